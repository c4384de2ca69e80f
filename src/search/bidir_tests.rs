//! Bidirectional search against oracles on random STRIPS models: its
//! predecessors are exactly the states that lead in, its plans are as short
//! (or as cheap) as breadth-first search's (Dijkstra's), and a guard's
//! refusals and pruned moves restrict both sides to the same graph.

use std::collections::BTreeSet;

use rand::Rng as _;

use super::tests::{bfs_length, random_task};
use super::{
    bidirectional, retain_moves, search_task, search_task_checked, search_task_guarded,
    BackwardSpace, BitSpace, Guard, HeuristicKind, LimitKind, Limits, Outcome, SearchConfig,
    SearchSpace, Strategy, MAX_OPEN_EFFECT_BITS,
};
use crate::symbolic::{BitState, StripsAction, StripsModel, StripsTask};
use crate::util::{rng, Rng};

const BIDIR: SearchConfig = SearchConfig {
    strategy: Strategy::Bidirectional,
    heuristic: HeuristicKind::Blind,
    limits: Limits {
        max_expansions: None,
        max_time: None,
        max_memory_bytes: None,
    },
};

/// `random_task` with its goal made one complete state: the end of a random
/// walk, or (one time in five) a random state, often unreachable.
fn complete_goal_task(r: &mut Rng, width: usize, actions: usize) -> StripsTask {
    let task = random_task(r, width, actions);
    let mut s = task.init.clone();
    if r.random_bool(0.2) {
        s = BitState::from_bools(&(0..width).map(|_| r.random_bool(0.5)).collect::<Vec<_>>());
    } else {
        for _ in 0..r.random_range(0..10) {
            let app: Vec<&StripsAction> = task
                .model
                .actions()
                .iter()
                .filter(|a| a.is_applicable(&s))
                .collect();
            if app.is_empty() {
                break;
            }
            s = app[r.random_range(0..app.len())].apply(&s);
        }
    }
    StripsTask::with_full_goal(task.model, task.init, s).unwrap_or_else(|e| panic!("{e}"))
}

/// The plan's length after checking that it replays to the goal.
fn replayed(task: &StripsTask, outcome: &Outcome) -> Option<usize> {
    match outcome {
        Outcome::Plan(plan) => {
            let ops: Vec<usize> = plan.ops.iter().map(|&o| o as usize).collect();
            let states = task
                .replay(&ops)
                .unwrap_or_else(|step| panic!("plan step {step} is not applicable"));
            assert!(task.is_goal(states.last().unwrap_or(&task.init)));
            let cost: u64 = ops
                .iter()
                .map(|&o| u64::from(task.model.actions()[o].cost))
                .sum();
            assert_eq!(plan.cost, cost);
            Some(ops.len())
        }
        Outcome::Unsolvable => None,
        Outcome::LimitReached(k) => panic!("limit {k:?} reached without limits"),
    }
}

#[test]
fn predecessors_are_exactly_the_states_that_lead_in() {
    let mut r = rng(21, 0);
    for case in 0..40 {
        let width = 3 + case % 6;
        let task = random_task(&mut r, width, 6 + case % 15);
        let space = BitSpace::new(&task);
        let states: Vec<BitState> = (0..1u64 << width)
            .map(|v| BitState::from_words(width, &[v]))
            .collect();
        for t in &states {
            let mut expect = BTreeSet::new();
            for s in &states {
                for (op, a) in task.model.actions().iter().enumerate() {
                    if s != t && a.is_applicable(s) && a.apply(s) == *t {
                        expect.insert((op as u32, s.words()[0]));
                    }
                }
            }
            let (mut ops, mut from) = (Vec::new(), Vec::new());
            assert!(space.predecessors(t.words(), &mut ops, &mut from));
            assert_eq!(ops.len(), from.len());
            let got: Vec<(u32, u64)> = ops.iter().copied().zip(from.iter().copied()).collect();
            let unique: BTreeSet<(u32, u64)> = got.iter().copied().collect();
            assert_eq!(unique.len(), got.len(), "a predecessor listed twice");
            assert_eq!(unique, expect, "case {case}, state {t}");
        }
    }
}

#[test]
fn bidirectional_plans_are_as_short_as_breadth_first_search() {
    let mut r = rng(22, 0);
    let (mut solved, mut unsolvable) = (0, 0);
    for case in 0..200 {
        let task = complete_goal_task(&mut r, 6 + case % 10, 10 + case % 30);
        let optimal = bfs_length(&task);
        let result = search_task(&task, &BIDIR);
        assert_eq!(replayed(&task, &result.outcome), optimal, "case {case}");
        solved += usize::from(optimal.is_some());
        unsolvable += usize::from(optimal.is_none());
    }
    assert!(
        solved > 100 && unsolvable > 5,
        "{solved} solvable, {unsolvable} unsolvable: too few of either"
    );
}

/// Cheapest plan cost by Dijkstra's algorithm over the reachable states.
fn cheapest(task: &StripsTask) -> Option<u64> {
    pathfinding::directed::dijkstra::dijkstra(
        &task.init,
        |s| {
            task.model
                .actions()
                .iter()
                .filter(|a| a.is_applicable(s))
                .map(|a| (a.apply(s), u64::from(a.cost)))
                .collect::<Vec<_>>()
        },
        |s| task.is_goal(s),
    )
    .map(|(_, cost)| cost)
}

#[test]
fn bidirectional_plans_are_cheapest_with_costs_zero_included() {
    let mut r = rng(23, 0);
    let mut solved = 0;
    for case in 0..150 {
        let task = complete_goal_task(&mut r, 6 + case % 8, 10 + case % 25);
        let actions: Vec<StripsAction> = task
            .model
            .actions()
            .iter()
            .map(|a| StripsAction {
                // Costs 0..=4 in some tasks, 2..=6 in the others (ε = 0 and ε > 1).
                cost: r.random_range(0..5) + if case % 2 == 0 { 0 } else { 2 },
                ..a.clone()
            })
            .collect();
        let model = StripsModel::new(task.model.bit_names().to_vec(), actions).unwrap();
        let goal = task.goal_pos.clone();
        let task = StripsTask::with_full_goal(model, task.init, goal).unwrap();
        let expect = cheapest(&task);
        let result = search_task(&task, &BIDIR);
        replayed(&task, &result.outcome);
        let got = match result.outcome {
            Outcome::Plan(p) => Some(p.cost),
            _ => None,
        };
        assert_eq!(got, expect, "case {case}");
        solved += usize::from(expect.is_some());
    }
    assert!(solved > 80, "only {solved} solvable");
}

#[test]
fn a_partial_goal_is_searched_forward_and_limits_stop_the_search() {
    let mut r = rng(24, 0);
    let mut partial = 0;
    for case in 0..60 {
        let task = random_task(&mut r, 6 + case % 8, 10 + case % 20);
        partial += usize::from(BitSpace::new(&task).goal_state().is_none());
        let result = search_task(&task, &BIDIR);
        assert_eq!(
            replayed(&task, &result.outcome),
            bfs_length(&task),
            "case {case}"
        );
    }
    assert!(partial > 50, "only {partial} partial goals");
    // A counter over 12 bits, from zero to all ones (4095 steps).
    let width = 12;
    let actions: Vec<StripsAction> = (0..width)
        .map(|k| {
            let pos: Vec<bool> = (0..width).map(|i| i < k).collect();
            let neg: Vec<bool> = (0..width).map(|i| i == k).collect();
            StripsAction::from_bools(format!("inc{k}"), &pos, &neg, &neg, &pos)
        })
        .collect();
    let model = StripsModel::new((0..width).map(|i| format!("z{i}")).collect(), actions).unwrap();
    let all = BitState::from_ones(width, 0..width);
    let task = StripsTask::with_full_goal(model, BitState::zeros(width), all).unwrap();
    let limited = SearchConfig {
        limits: Limits {
            max_expansions: Some(100),
            ..Limits::default()
        },
        ..BIDIR
    };
    let result = search_task(&task, &limited);
    assert_eq!(result.outcome, Outcome::LimitReached(LimitKind::Expansions));
    assert_eq!(result.stats.expanded, 100);
    let result = search_task(&task, &BIDIR);
    assert_eq!(replayed(&task, &result.outcome), Some(4095));
    // Each side expands about half the chain.
    assert!(result.stats.expanded <= 4096, "{}", result.stats.expanded);
}

/// Refuses the states whose hash is 0 mod 5 and forbids the moves whose
/// (from, op) hash is 0 mod 4, the same way in both directions.
struct Sieve;

fn hashed(words: &[u64], salt: u64) -> u64 {
    words.iter().fold(salt, |h, &w| {
        (h ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17)
    })
}

impl Sieve {
    fn admits(state: &[u64]) -> bool {
        hashed(state, 1) % 5 != 0
    }
    fn allows(from: &[u64], op: u32) -> bool {
        hashed(from, 2 + u64::from(op)) % 4 != 0
    }
}

impl Guard for Sieve {
    fn admits(&mut self, state: &[u64]) -> bool {
        Sieve::admits(state)
    }
    fn prune(&mut self, state: &[u64], ops: &mut Vec<u32>, _: &dyn Fn(u32, &mut [u64])) {
        ops.retain(|&op| Sieve::allows(state, op));
    }
    fn prune_backward(&mut self, _: &[u64], ops: &mut Vec<u32>, from: &mut Vec<u64>) {
        let words = from.len() / ops.len().max(1);
        let copy = from.clone();
        let kept: Vec<bool> = ops
            .iter()
            .enumerate()
            .map(|(i, &op)| Sieve::allows(&copy[i * words..(i + 1) * words], op))
            .collect();
        retain_moves(ops, from, words, |i| kept[i]);
    }
}

/// Breadth-first search on the sieved graph: states other than the start
/// and the goal must be admitted, moves allowed.
fn sieved_length(task: &StripsTask) -> Option<usize> {
    let goal = task.goal_pos.clone();
    pathfinding::directed::bfs::bfs(
        &task.init,
        |s| {
            let s = s.clone();
            task.model
                .actions()
                .iter()
                .enumerate()
                .filter(|(op, a)| a.is_applicable(&s) && Sieve::allows(s.words(), *op as u32))
                .map(|(_, a)| a.apply(&s))
                .filter(|t| *t == goal || *t == task.init || Sieve::admits(t.words()))
                .collect::<Vec<_>>()
        },
        |s| task.is_goal(s),
    )
    .map(|p| p.len() - 1)
}

#[test]
fn a_guard_restricts_both_sides_to_the_same_graph() {
    let mut r = rng(25, 0);
    let (mut refused, mut differs) = (0, 0);
    for case in 0..200 {
        let task = complete_goal_task(&mut r, 6 + case % 10, 12 + case % 30);
        let expect = sieved_length(&task);
        let (result, _) = search_task_guarded(&task, &BIDIR, Sieve);
        assert_eq!(replayed(&task, &result.outcome), expect, "case {case}");
        refused += usize::from(result.stats.refused > 0);
        differs += usize::from(expect != bfs_length(&task));
        // A* under the same guard agrees.
        let astar = SearchConfig {
            strategy: Strategy::AStar,
            ..BIDIR
        };
        let (result, _) = search_task_guarded(&task, &astar, Sieve);
        assert_eq!(replayed(&task, &result.outcome), expect, "case {case}, A*");
    }
    assert!(
        refused > 30 && differs > 20,
        "{refused} refusing, {differs} changed"
    );
}

/// The steps of `ops` from the start of `task` that [`Sieve`] refuses: a
/// state other than the start and the goal it does not admit, or a move it
/// does not allow.
fn sieve_refusals(task: &StripsTask, ops: &[u32]) -> usize {
    let goal = task.goal_pos.clone();
    let mut s = task.init.clone();
    let mut refused = 0;
    for &op in ops {
        let next = task.model.actions()[op as usize].apply(&s);
        let admitted = next == goal || next == task.init || Sieve::admits(next.words());
        refused += usize::from(!admitted || !Sieve::allows(s.words(), op));
        s = next;
    }
    refused
}

#[test]
fn a_checked_plan_is_an_optimal_path_the_checker_allows() {
    let mut r = rng(27, 0);
    let (mut chosen, mut fell_back, mut missed, mut refused_states) = (0, 0, 0, 0);
    for case in 0..300 {
        let task = complete_goal_task(&mut r, 6 + case % 10, 12 + case % 30);
        let own = search_task(&task, &BIDIR);
        let (result, _, choice) = search_task_checked(&task, &BIDIR, |_: &[u64]| true, &mut Sieve);
        // As cheap as the search's own plan, which is optimal.
        let length = replayed(&task, &result.outcome);
        assert_eq!(length, bfs_length(&task), "case {case}");
        let Outcome::Plan(plan) = &result.outcome else {
            assert!(choice.refused.is_empty() && !choice.checked);
            continue;
        };
        let refusals = sieve_refusals(&task, &plan.ops);
        if choice.checked {
            // Allowed at every step, so also optimal in the sieved graph.
            assert_eq!(refusals, 0, "case {case}");
            assert_eq!(sieved_length(&task), length, "case {case}");
            let Outcome::Plan(own) = &own.outcome else {
                panic!("case {case}: only the checked search found a plan");
            };
            chosen += usize::from(sieve_refusals(&task, &own.ops) > 0);
        } else {
            // The search's own plan, which the checker refused.
            assert!(refusals > 0, "case {case}");
            fell_back += 1;
            // Rarely does an optimal path the checker allows lie outside
            // the searches' tables.
            missed += usize::from(sieved_length(&task) == length);
        }
        let space = BitSpace::new(&task);
        let mut seen = std::collections::HashSet::new();
        for (from, op, to) in &choice.refused {
            assert!(
                !Sieve::allows(from, *op),
                "case {case}: allowed move refused"
            );
            // A real move of the task, listed once.
            let mut next = vec![0u64; from.len()];
            space.apply(*op, from, &mut next);
            assert_eq!(&next, to, "case {case}");
            assert!(seen.insert((from, op, to)), "case {case}: listed twice");
        }
        for state in &choice.refused_states {
            assert!(!Sieve::admits(state), "case {case}: admitted state refused");
        }
        refused_states += choice.refused_states.len();
    }
    assert!(
        refused_states > 0,
        "no walk met a state the checker refuses"
    );
    // Often the search's own plan is refused and another optimal one passes.
    assert!(
        chosen > 10 && fell_back > 50 && missed * 10 < fell_back,
        "{chosen} chosen, {fell_back} fell back, {missed} of them with an allowed optimal path"
    );
}

#[test]
fn bidirectional_expands_far_fewer_states_than_forward_blind_search() {
    // Twenty independent switches, each turned on and off by its own
    // actions; from all off to the first six on takes 6 moves. Forward blind
    // search expands the 21 700 states within 5 moves (and some at 6); each
    // side of the bidirectional search those within about 3 of its root
    // (1 351).
    let width = 20;
    let mut actions = Vec::new();
    for k in 0..width {
        let bit: Vec<bool> = (0..width).map(|i| i == k).collect();
        let none = vec![false; width];
        actions.push(StripsAction::from_bools(
            format!("on{k}"),
            &none,
            &bit,
            &bit,
            &none,
        ));
        actions.push(StripsAction::from_bools(
            format!("off{k}"),
            &bit,
            &none,
            &none,
            &bit,
        ));
    }
    let model = StripsModel::new((0..width).map(|i| format!("z{i}")).collect(), actions).unwrap();
    let six = BitState::from_ones(width, 0..6);
    let task = StripsTask::with_full_goal(model, BitState::zeros(width), six).unwrap();
    let space = BitSpace::new(&task);
    let bidir = bidirectional(&space, Limits::default());
    assert_eq!(replayed(&task, &bidir.outcome), Some(6));
    let blind = search_task(
        &task,
        &SearchConfig {
            strategy: Strategy::AStar,
            ..BIDIR
        },
    );
    assert_eq!(replayed(&task, &blind.outcome), Some(6));
    assert!(
        bidir.stats.expanded * 4 < blind.stats.expanded,
        "bidirectional {} vs blind {}",
        bidir.stats.expanded,
        blind.stats.expanded
    );
}

#[test]
fn too_many_predecessors_through_one_operator_stop_the_search() {
    // "wide" sets bits 0..open whatever they were, except the first `fixed`
    // its precondition requires false: 2^(open - fixed) predecessors of the
    // goal (all ones) through it.
    let task = |open: usize, fixed: usize| {
        let width = 20;
        let bits = |f: &dyn Fn(usize) -> bool| (0..width).map(f).collect::<Vec<bool>>();
        let none = bits(&|_| false);
        let wide = StripsAction::from_bools(
            "wide",
            &none,
            &bits(&|b| b < fixed),
            &bits(&|b| b < open),
            &none,
        );
        let rest = StripsAction::from_bools("rest", &none, &none, &bits(&|b| b >= open), &none);
        let model = StripsModel::new(
            (0..width).map(|i| format!("z{i}")).collect(),
            vec![wide, rest],
        )
        .unwrap();
        StripsTask::with_full_goal(
            model,
            BitState::zeros(width),
            BitState::from_bools(&bits(&|_| true)),
        )
        .unwrap()
    };
    let at_limit = search_task(&task(MAX_OPEN_EFFECT_BITS, 0), &BIDIR);
    assert!(
        matches!(at_limit.outcome, Outcome::Plan(ref p) if p.ops.len() == 2),
        "{:?}",
        at_limit.outcome
    );
    let fixed = search_task(&task(MAX_OPEN_EFFECT_BITS + 3, 3), &BIDIR);
    assert!(
        matches!(fixed.outcome, Outcome::Plan(_)),
        "{:?}",
        fixed.outcome
    );
    let over = search_task(&task(MAX_OPEN_EFFECT_BITS + 1, 0), &BIDIR);
    assert_eq!(over.outcome, Outcome::LimitReached(LimitKind::Predecessors));
}
