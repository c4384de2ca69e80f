//! `latplan solve` and `latplan validate` on the hand-written domains in
//! pddl/ and on an exported bit-vector model. When `LATPLAN_FAST_DOWNWARD`
//! names a Fast Downward driver (scripts/install-fast-downward.sh), every
//! problem is also solved by Fast Downward and the plan lengths must agree.

use std::path::{Path, PathBuf};
use std::process::Command;

use rand::Rng as _;

use crate::util::Sandbox;
use latplan::symbolic::{
    write_domain, write_problem, BitState, StripsAction, StripsModel, StripsTask,
};

fn pddl(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("pddl")
        .join(rel)
        .display()
        .to_string()
}

fn examples() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for d in ["puzzle8", "hanoi", "blocksworld", "sokoban", "lightsout"] {
        for p in ["p01", "p02", "p03"] {
            if Path::new(&pddl(&format!("{d}/{p}.pddl"))).exists() {
                out.push((
                    pddl(&format!("{d}/domain.pddl")),
                    pddl(&format!("{d}/{p}.pddl")),
                ));
            }
        }
    }
    out
}

/// The number in the line `Plan length: N step(s).`.
fn plan_length(stdout: &str) -> usize {
    let line = stdout
        .lines()
        .find(|l| l.contains("Plan length:"))
        .unwrap_or_else(|| panic!("no plan length in:\n{stdout}"));
    let n = line
        .split("Plan length:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next());
    n.and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bad line {line}"))
}

/// Fast Downward's optimal plan length, or `None` when the variable is unset.
fn fast_downward(sandbox: &Sandbox, domain: &str, problem: &str, search: &str) -> Option<usize> {
    let driver = std::env::var("LATPLAN_FAST_DOWNWARD").ok()?;
    let out = Command::new(&driver)
        .args([domain, problem, "--search", search])
        .current_dir(sandbox.path(""))
        .output()
        .unwrap_or_else(|e| panic!("LATPLAN_FAST_DOWNWARD={driver} does not run: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "Fast Downward failed on {problem}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = sandbox.path("sas_plan").display().to_string();
    sandbox.ok(&["validate", domain, problem, &plan]);
    Some(plan_length(&stdout))
}

#[test]
fn solve_every_example_optimally_and_validate_the_plans() {
    let sandbox = Sandbox::new();
    let mut checked_by_fd = 0;
    let mut bidirectional = 0;
    for (domain, problem) in examples() {
        let out = sandbox.ok(&[
            "solve",
            &domain,
            &problem,
            "-H",
            "lmcut",
            "--plan-file",
            "lmcut.plan",
        ]);
        let length = plan_length(&out);
        for line in [
            "Expanded ",
            "Generated ",
            "Evaluated ",
            "Search time: ",
            "Peak memory: ",
        ] {
            assert!(out.contains(line), "no `{line}` in:\n{out}");
        }
        let plan = std::fs::read_to_string(sandbox.path("lmcut.plan")).unwrap_or_default();
        assert!(
            plan.ends_with(&format!("; cost = {length} (unit cost)\n")),
            "{plan}"
        );
        sandbox.ok(&["validate", &domain, &problem, "lmcut.plan"]);
        let blind = sandbox.ok(&[
            "solve",
            &domain,
            &problem,
            "-H",
            "blind",
            "--plan-file",
            "blind.plan",
        ]);
        assert_eq!(plan_length(&blind), length, "{problem}");
        sandbox.ok(&[
            "solve",
            &domain,
            &problem,
            "--search",
            "gbfs",
            "-H",
            "goal-count",
            "--plan-file",
            "gbfs.plan",
        ]);
        sandbox.ok(&["validate", &domain, &problem, "gbfs.plan"]);
        // Bidirectional search needs the goal as one state: LightsOut's goal
        // (every light off) is one, the others fix only some atoms.
        let bidir = sandbox.run(&[
            "solve",
            &domain,
            &problem,
            "--search",
            "bidir",
            "--plan-file",
            "bidir.plan",
        ]);
        let stdout = String::from_utf8_lossy(&bidir.stdout);
        let stderr = String::from_utf8_lossy(&bidir.stderr);
        if domain.contains("lightsout") {
            assert!(bidir.status.success(), "{problem}: {stderr}");
            assert_eq!(plan_length(&stdout), length, "bidir on {problem}");
            sandbox.ok(&["validate", &domain, &problem, "bidir.plan"]);
            bidirectional += 1;
        } else {
            assert!(
                !bidir.status.success()
                    && stderr.contains("searches back from one goal state")
                    && stderr.contains(&problem),
                "{problem}: {stderr}"
            );
        }
        if let Some(fd) = fast_downward(&sandbox, &domain, &problem, "astar(lmcut())") {
            assert_eq!(
                fd, length,
                "Fast Downward and latplan disagree on {problem}"
            );
            checked_by_fd += 1;
        }
    }
    assert_eq!(bidirectional, 3, "the three LightsOut problems");
    if std::env::var_os("LATPLAN_FAST_DOWNWARD").is_some() {
        assert_eq!(checked_by_fd, examples().len());
    }
}

/// A random learned-style model: negative preconditions, add and delete effects.
fn random_task(seed: u64, width: usize, actions: usize) -> StripsTask {
    let mut r = latplan::util::rng(seed, 0);
    let mut mask = |p: f64| -> Vec<bool> { (0..width).map(|_| r.random_bool(p)).collect() };
    let acts = (0..actions)
        .map(|i| {
            let pos = mask(0.05);
            let neg: Vec<bool> = mask(0.05).iter().zip(&pos).map(|(n, p)| *n && !p).collect();
            StripsAction::from_bools(format!("a{i}"), &pos, &neg, &mask(0.1), &mask(0.1))
        })
        .collect();
    let model = StripsModel::new((0..width).map(|i| format!("z{i}")).collect(), acts)
        .unwrap_or_else(|e| panic!("{e}"));
    let init = BitState::from_bools(&mask(0.5));
    let mut state = init.clone();
    for _ in 0..6 {
        if let Some(a) = model
            .actions()
            .iter()
            .find(|a| a.is_applicable(&state) && a.apply(&state) != state)
        {
            state = a.apply(&state);
        }
    }
    StripsTask::with_full_goal(model, init, state).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn exported_bit_vector_models_solve_like_fast_downward() {
    let sandbox = Sandbox::new();
    for seed in 0..3 {
        let task = random_task(seed, 30 + 15 * seed as usize, 120);
        let domain = sandbox.path("latent-domain.pddl").display().to_string();
        let problem = sandbox.path("latent-problem.pddl").display().to_string();
        std::fs::write(&domain, write_domain(&task.model, "latent"))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&problem, write_problem(&task, "latent", "p"))
            .unwrap_or_else(|e| panic!("{e}"));
        let out = sandbox.ok(&["solve", &domain, &problem, "-H", "lmcut"]);
        let length = plan_length(&out);
        sandbox.ok(&["validate", &domain, &problem, "sas_plan"]);
        let bidir = sandbox.ok(&["solve", &domain, &problem, "--search", "bidir"]);
        assert_eq!(plan_length(&bidir), length, "bidir, model of seed {seed}");
        sandbox.ok(&["validate", &domain, &problem, "sas_plan"]);
        if let Some(fd) = fast_downward(&sandbox, &domain, &problem, "astar(blind())") {
            assert_eq!(
                fd, length,
                "Fast Downward and latplan disagree on the model of seed {seed}"
            );
        }
    }
}

#[test]
fn bad_input_gets_a_clear_error() {
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.path("d.pddl"),
        "(define (domain d)\n  (:predicates (p))\n  (:action a :effect (q)))\n",
    )
    .unwrap_or_default();
    std::fs::write(
        sandbox.path("p.pddl"),
        "(define (problem x) (:domain d) (:goal (p)))",
    )
    .unwrap_or_default();
    let err = sandbox.fails(&["solve", "d.pddl", "p.pddl"]);
    assert!(err.contains("d.pddl:3:23: unknown predicate `q`"), "{err}");
    std::fs::write(
        sandbox.path("d.pddl"),
        "(define (domain d) (:predicates (p) (q)) (:action a :precondition (q) :effect (p)))",
    )
    .unwrap_or_default();
    let err = sandbox.fails(&["solve", "d.pddl", "p.pddl"]);
    assert!(err.contains("unsolvable"), "{err}");
    std::fs::write(sandbox.path("bad.plan"), "(a)\n(a)\n").unwrap_or_default();
    let err = sandbox.fails(&["validate", "d.pddl", "p.pddl", "bad.plan"]);
    assert!(
        err.contains("bad.plan:1:1") && err.contains("not applicable"),
        "{err}"
    );
    let err = sandbox.fails(&["solve", "missing.pddl", "p.pddl"]);
    assert!(err.contains("missing.pddl"), "{err}");
    let p8 = (pddl("puzzle8/domain.pddl"), pddl("puzzle8/p03.pddl"));
    let err = sandbox.fails(&[
        "solve",
        &p8.0,
        &p8.1,
        "-H",
        "blind",
        "--max-expansions",
        "50",
    ]);
    assert!(err.contains("expansion limit"), "{err}");
    // `set` makes 17 atoms true whatever they were: the goal has 2^17
    // predecessors through it, more than bidirectional search lists (the
    // r actions fan the forward side out, so the backward side expands).
    let atoms: Vec<String> = (0..17).map(|i| format!("(p{i})")).collect();
    let atoms = atoms.join(" ");
    std::fs::write(
        sandbox.path("wide.pddl"),
        format!(
            "(define (domain wide) (:requirements :strips :negative-preconditions)
               (:predicates {atoms} (q) (r0) (r1) (r2))
               (:action prep :effect (q))
               (:action r0 :effect (r0)) (:action r1 :effect (r1)) (:action r2 :effect (r2))
               (:action set :precondition (q) :effect (and {atoms})))"
        ),
    )
    .unwrap_or_default();
    std::fs::write(
        sandbox.path("wide-p.pddl"),
        format!(
            "(define (problem w) (:domain wide) (:init)
               (:goal (and {atoms} (q) (not (r0)) (not (r1)) (not (r2)))))"
        ),
    )
    .unwrap_or_default();
    let err = sandbox.fails(&["solve", "wide.pddl", "wide-p.pddl", "--search", "bidir"]);
    assert!(
        err.contains("more than 2^16 predecessors through one action"),
        "{err}"
    );
    sandbox.ok(&["solve", "wide.pddl", "wide-p.pddl"]);
}
