//! Tests of the reader, the grounder and the validator on the hand-written
//! domains in pddl/, and the writer -> reader round trip on random models.

use std::path::PathBuf;

use rand::Rng as _;

use super::{ground, read_domain, read_plan, read_problem, validate_plan};
use crate::search::tests::{bfs_length, check_admissible, random_task};
use crate::search::{search_task, HeuristicKind, Limits, Outcome, SearchConfig, Strategy};
use crate::symbolic::{write_domain, write_problem, StripsTask};
use crate::util::rng;

const DOMAINS: [&str; 5] = ["puzzle8", "hanoi", "blocksworld", "sokoban", "lightsout"];

fn pddl_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pddl")
}

fn load(domain: &str, problem: &str) -> (super::Domain, super::Problem, StripsTask) {
    let dir = pddl_dir().join(domain);
    let read = |f: &str| {
        std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{domain}/{f}: {e}"))
    };
    let d = read_domain(&read("domain.pddl")).unwrap_or_else(|e| panic!("{domain}: {e:?}"));
    let p = read_problem(&read(&format!("{problem}.pddl")), &d)
        .unwrap_or_else(|e| panic!("{domain}/{problem}: {e:?}"));
    let task = ground(&d, &p).unwrap_or_else(|e| panic!("{domain}/{problem}: {e}"));
    (d, p, task)
}

fn astar(task: &StripsTask, heuristic: HeuristicKind) -> Option<Vec<u32>> {
    let config = SearchConfig {
        strategy: Strategy::AStar,
        heuristic,
        limits: Limits::default(),
    };
    match search_task(task, &config).outcome {
        Outcome::Plan(p) => Some(p.ops),
        _ => None,
    }
}

#[test]
fn grounding_finds_the_real_action_sets() {
    // 8-puzzle: 8 tiles x 24 directed adjacencies; bits: 8 x 9 tile positions + 9 blank positions.
    let (_, _, p8) = load("puzzle8", "p01");
    assert_eq!((p8.model.width(), p8.model.actions().len()), (81, 192));
    // Hanoi with 3 discs and 3 pegs: each disc onto each larger place it can reach.
    let (_, _, hanoi) = load("hanoi", "p01");
    assert!(hanoi
        .model
        .actions()
        .iter()
        .all(|a| !a.name.contains("peg1 peg1")));
    // LightsOut 3x3: 4 corners x 8 + 4 edges x 16 + 1 centre x 32 patterns.
    let (_, _, lo) = load("lightsout", "p01");
    assert_eq!(lo.model.actions().len(), 128);
}

/// Random problems of every domain: random walks from each example's start,
/// with the example's goal. A* (every admissible heuristic) must match
/// breadth-first search, and every plan must replay in the grounded model and
/// pass the lifted validator.
#[test]
fn astar_matches_bfs_on_random_problems_of_every_domain() {
    let mut r = rng(3, 0);
    let mut cases = 0;
    for domain in DOMAINS {
        let (d, p, task) = load(domain, "p01");
        for _ in 0..8 {
            let mut state = task.init.clone();
            for _ in 0..r.random_range(0..12) {
                let app: Vec<_> = task
                    .model
                    .actions()
                    .iter()
                    .filter(|a| a.is_applicable(&state))
                    .collect();
                state = app[r.random_range(0..app.len())].apply(&state);
            }
            let random = StripsTask {
                init: state.clone(),
                ..task.clone()
            };
            let optimal = bfs_length(&random);
            for h in [
                HeuristicKind::Blind,
                HeuristicKind::Hmax,
                HeuristicKind::Lmcut,
            ] {
                let plan = astar(&random, h);
                assert_eq!(plan.as_ref().map(Vec::len), optimal, "{domain} with {h:?}");
                let ops: Vec<usize> = plan
                    .unwrap_or_default()
                    .iter()
                    .map(|&o| o as usize)
                    .collect();
                let states = random
                    .replay(&ops)
                    .unwrap_or_else(|s| panic!("{domain}: step {s} not applicable"));
                assert!(states.last().is_some_and(|s| random.is_goal(s)));
            }
            cases += 1;
        }
        let plan =
            astar(&task, HeuristicKind::Lmcut).unwrap_or_else(|| panic!("{domain}/p01 unsolved"));
        let text = super::format_plan(&task, &plan);
        let steps = read_plan(&text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            validate_plan(&d, &p, &steps).map(|v| v.steps),
            Ok(plan.len()),
            "{domain}"
        );
    }
    assert_eq!(cases, 40);
}

#[test]
fn heuristics_are_admissible_on_enumerated_domain_problems() {
    for (domain, problem) in [
        ("hanoi", "p01"),
        ("blocksworld", "p02"),
        ("sokoban", "p01"),
        ("lightsout", "p01"),
    ] {
        let (_, _, task) = load(domain, problem);
        assert!(
            check_admissible(&task) > 20,
            "{domain}: too few states checked"
        );
    }
}

#[test]
fn validator_rejects_bad_plans_with_their_line() {
    let (d, p, _) = load("puzzle8", "p01");
    let bad = "; comment\n(move t5 p13 p23)\n(move t1 p11 p22)\n";
    let err = validate_plan(&d, &p, &read_plan(bad).unwrap_or_default()).unwrap_err();
    assert_eq!(err.pos.line, 3);
    assert!(err.message.contains("not applicable"), "{}", err.message);
    let short = validate_plan(
        &d,
        &p,
        &read_plan("(move t5 p13 p23)\n").unwrap_or_default(),
    )
    .unwrap_err();
    assert!(short.message.contains("goal"), "{}", short.message);
    assert!(read_plan("move t1\n").is_err());
    let unknown =
        validate_plan(&d, &p, &read_plan("(fly t1 p11 p12)\n").unwrap_or_default()).unwrap_err();
    assert!(
        unknown.message.contains("not an action"),
        "{}",
        unknown.message
    );
}

#[test]
fn malformed_pddl_is_reported_at_its_line_and_column() {
    let cases = [
        ("(define (domain d)\n  (:predicates (p ?x))\n  (:action a :parameters (?x) :precondition (q ?x) :effect (p ?x)))", 3, 46, "unknown predicate"),
        ("(define (domain d)\n  (:predicates (p ?x))\n  (:action a :parameters (?x) :effect (p ?y)))", 3, 42, "unknown variable"),
        ("(define (domain d)\n  (:predicates (p ?x))\n  (:action a :parameters (?x) :effect (p ?x ?x)))", 3, 39, "takes 1 argument"),
        ("(define (domain d)\n  (:predicates (p ?x))\n  (:action a :parameters (?x) :precondition (or (p ?x)) :effect (p ?x)))", 3, 45, "`or` is not supported"),
        ("(define (domain d)\n  (:predicates (q) (p ?x - thing)))", 2, 20, "unknown type"),
        ("(define (domain d)\n  (:predicates (p ?x)\n", 2, 3, "never closed"),
    ];
    for (text, line, column, message) in cases {
        let e = read_domain(text).unwrap_err();
        assert_eq!((e.pos.line, e.pos.column), (line, column), "{text}: {e:?}");
        assert!(e.message.contains(message), "{}", e.message);
    }
    let d =
        read_domain("(define (domain d) (:predicates (p ?x)))").unwrap_or_else(|e| panic!("{e:?}"));
    let e = read_problem(
        "(define (problem q) (:domain d)\n (:objects a)\n (:init (p b))\n (:goal (p a)))",
        &d,
    )
    .unwrap_err();
    assert_eq!(
        (
            e.pos.line,
            e.pos.column,
            e.message.contains("unknown constant")
        ),
        (3, 12, true)
    );
    let e = read_problem("(define (problem q) (:domain other) (:goal (and)))", &d).unwrap_err();
    assert!(
        e.message.contains("domain file defines `d`"),
        "{}",
        e.message
    );
}

/// Reads back a written task.
fn reread(task: &StripsTask) -> (String, StripsTask) {
    let (d, p) = (
        write_domain(&task.model, "latent"),
        write_problem(task, "latent", "p"),
    );
    let dom = read_domain(&d).unwrap_or_else(|e| panic!("{e:?}\n{d}"));
    let prob = read_problem(&p, &dom).unwrap_or_else(|e| panic!("{e:?}\n{p}"));
    (
        d + &p,
        ground(&dom, &prob).unwrap_or_else(|e| panic!("{e}")),
    )
}

/// A model where every bit is changed by some action and every action is
/// reachable: nothing is pruned, so write -> read -> write is the identity.
#[test]
fn writer_reader_round_trip_is_exact_without_pruning() {
    let width = 5;
    let actions = (0..width)
        .map(|k| {
            let pos: Vec<bool> = (0..width).map(|i| i < k).collect();
            let neg: Vec<bool> = (0..width).map(|i| i == k).collect();
            crate::symbolic::StripsAction::from_bools(format!("inc{k}"), &pos, &neg, &neg, &pos)
        })
        .collect();
    let names = (0..width).map(|i| format!("z{i}")).collect();
    let model = crate::symbolic::StripsModel::new(names, actions).unwrap_or_else(|e| panic!("{e}"));
    let goal = crate::symbolic::BitState::from_ones(width, 0..width);
    let task = StripsTask::with_full_goal(model, crate::symbolic::BitState::zeros(width), goal)
        .unwrap_or_else(|e| panic!("{e}"));
    let (text, back) = reread(&task);
    assert_eq!(back, task);
    assert_eq!(reread(&back).0, text);
}

/// On random models the reader prunes unreachable bits and actions (as Fast
/// Downward's translator does): the plans stay the same, and repeated
/// write -> read reaches a fixed text within a few rounds.
#[test]
fn writer_reader_round_trip_keeps_plans_on_random_models() {
    let mut r = rng(21, 0);
    for case in 0..30 {
        let task = random_task(&mut r, 6 + case % 10, 5 + case % 30);
        let (mut text, mut back) = reread(&task);
        assert_eq!(bfs_length(&back), bfs_length(&task), "case {case}");
        let mut stable = false;
        for _ in 0..6 {
            let (next_text, next) = reread(&back);
            stable = next_text == text;
            (text, back) = (next_text, next);
            if stable {
                break;
            }
        }
        assert!(stable, "case {case}: write -> read does not settle");
        assert_eq!(bfs_length(&back), bfs_length(&task), "case {case}");
    }
}
