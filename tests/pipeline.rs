//! The whole pipeline on a tiny domain: generate, train, extract, export,
//! plan from pictures, decode, judge; Fast Downward on the exported PDDL; and
//! the errors a user meets on the way.

use std::process::Command;

use crate::util::Sandbox;

/// Generates LightsOut 3×3, trains the tiny network and makes 2-step problems.
fn trained() -> Sandbox {
    let sb = Sandbox::new();
    sb.ok(&[
        "generate",
        "-d",
        "lightsout3",
        "-n",
        "1000",
        "--seed",
        "1",
        "--out",
        "data",
    ]);
    sb.ok(&[
        "train", "--data", "data", "--out", "run", "--preset", "tiny", "--device", "cpu", "--seed",
        "1",
    ]);
    sb.ok(&[
        "problems",
        "-d",
        "lightsout3",
        "--steps",
        "1,2",
        "--count",
        "3",
        "--seed",
        "4",
        "--out",
        "probs",
    ]);
    sb
}

fn summary(sb: &Sandbox, dir: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(sb.path(dir).join("summary.json")).unwrap())
        .unwrap()
}

#[test]
fn pictures_in_a_valid_optimal_plan_out() {
    let sb = trained();
    assert!(sb.path("run/actions.json").is_file());
    let out = sb.ok(&[
        "plan",
        "--model",
        "run",
        "--init",
        "probs/002-000/init.png",
        "--goal",
        "probs/002-000/goal.png",
        "--out",
        "plan",
    ]);
    assert!(out.contains("valid, optimal"), "{out}");
    let s = summary(&sb, "plan");
    assert_eq!(s["length"], 2, "{s}");
    assert_eq!(s["verdict"]["valid"], true, "{s}");
    for file in [
        "plan.txt",
        "plan.png",
        "plan.gif",
        "domain.pddl",
        "problem.pddl",
    ] {
        assert!(sb.path("plan").join(file).is_file(), "{file} missing");
    }
    let plan_txt = std::fs::read_to_string(sb.path("plan/plan.txt")).unwrap();
    assert!(plan_txt.ends_with("; cost = 2 (unit cost)\n"), "{plan_txt}");
    // The exported PDDL is a planning task on its own: our solver and any other
    // planner agree with the built-in search.
    let solved = sb.ok(&[
        "solve",
        "plan/domain.pddl",
        "plan/problem.pddl",
        "--plan-file",
        "solo.txt",
    ]);
    assert!(solved.contains("Plan length: 2 step"), "{solved}");
    sb.ok(&[
        "validate",
        "plan/domain.pddl",
        "plan/problem.pddl",
        "plan/plan.txt",
    ]);
    if let Ok(fd) = std::env::var("LATPLAN_FAST_DOWNWARD") {
        let out = Command::new(&fd)
            .args([sb.path("plan/domain.pddl"), sb.path("plan/problem.pddl")])
            .args(["--search", "astar(blind())"])
            .current_dir(sb.path(""))
            .output()
            .expect("Fast Downward runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Plan length: 2 step"),
            "Fast Downward disagrees:\n{text}"
        );
    }
    let eval = sb.ok(&[
        "eval",
        "--model",
        "run",
        "--problems",
        "probs",
        "--out",
        "eval",
    ]);
    assert!(
        eval.contains("| all | 6/6 (100%) | 6/6 (100%) | 6/6 (100%)"),
        "{eval}"
    );
    for file in ["eval.csv", "eval.json", "eval.md"] {
        assert!(sb.path("eval").join(file).is_file());
    }
    bad_inputs(&sb);
}

/// Clear errors on a trained run (shares its training time).
fn bad_inputs(sb: &Sandbox) {
    sb.ok(&[
        "render",
        "-d",
        "lightsout4",
        "--state",
        "goal",
        "-o",
        "big.png",
    ]);
    let err = sb.fails(&[
        "plan",
        "--model",
        "run",
        "--init",
        "big.png",
        "--goal",
        "probs/001-000/goal.png",
        "--out",
        "x",
    ]);
    assert!(
        err.contains("big.png is 36×36 pixels, expected 27×27"),
        "{err}"
    );
    sb.ok(&[
        "problems",
        "-d",
        "lightsout4",
        "--steps",
        "1",
        "--count",
        "1",
        "--out",
        "other",
    ]);
    let err = sb.fails(&["eval", "--model", "run", "--problems", "other"]);
    assert!(
        err.contains("lightsout4 problems, but the model was trained on lightsout3"),
        "{err}"
    );
    let err = sb.fails(&[
        "plan", "--model", "data", "--init", "big.png", "--goal", "big.png", "--out", "x",
    ]);
    assert!(err.contains("data"), "{err}");
}
