//! The closed worlds extraction writes beside the action model: the states
//! the training pictures encode to (`--filter seen`) and the bit changes the
//! training moves make (every action kept to them), on a Blocksworld small
//! enough that its data shows every state.

use std::collections::HashSet;

use crate::pipeline::{json, plan_problem};
use crate::util::Sandbox;

/// One action of `actions.json`, masks as bytes `b'0'`/`b'1'`.
struct Action {
    name: String,
    pos: Vec<u8>,
    neg: Vec<u8>,
    add: Vec<u8>,
    del: Vec<u8>,
}

impl Action {
    /// The actions of `actions.json`.
    fn all(actions: &serde_json::Value) -> Vec<Action> {
        let actions = actions["actions"].as_array().unwrap();
        actions
            .iter()
            .map(|a| {
                let mask = |k: &str| a[k].as_str().unwrap().as_bytes().to_vec();
                Action {
                    name: a["name"].as_str().unwrap().to_string(),
                    pos: mask("pre_pos"),
                    neg: mask("pre_neg"),
                    add: mask("add"),
                    del: mask("del"),
                }
            })
            .collect()
    }

    /// Its successor of `state` (a 0/1 string), `None` where it does not apply.
    fn apply(&self, state: &str) -> Option<String> {
        let mut next = state.as_bytes().to_vec();
        for (j, v) in next.iter_mut().enumerate() {
            if (self.pos[j] == b'1' && *v == b'0') || (self.neg[j] == b'1' && *v == b'1') {
                return None;
            }
            if self.add[j] == b'1' {
                *v = b'1';
            }
            if self.del[j] == b'1' {
                *v = b'0';
            }
        }
        Some(String::from_utf8(next).unwrap())
    }
}

/// The states `ops` visit from `init` under the actions of `actions.json`,
/// the start first.
fn replay(actions: &serde_json::Value, init: &str, ops: &[serde_json::Value]) -> Vec<String> {
    let all = Action::all(actions);
    let mut states = vec![init.to_string()];
    for op in ops {
        let a = all
            .iter()
            .find(|a| a.name == *op)
            .unwrap_or_else(|| panic!("{op} is no action"));
        let next = a
            .apply(states.last().unwrap())
            .unwrap_or_else(|| panic!("{op} does not apply"));
        states.push(next);
    }
    states
}

/// The bit change from `a` to `b` (0/1 strings) as the masks of an
/// action's effect: the bits set, the bits cleared.
fn change(a: &str, b: &str) -> (Vec<u8>, Vec<u8>) {
    let pairs = || a.bytes().zip(b.bytes());
    let mask = |from: u8, to: u8| {
        pairs()
            .map(|(x, y)| if (x, y) == (from, to) { b'1' } else { b'0' })
            .collect()
    };
    (mask(b'0', b'1'), mask(b'1', b'0'))
}

/// The extraction keeps every action to the bit changes training moves made
/// (`change_support` 1, the default): each action is one change of one
/// learned action, with every bit of its effect pinned by its preconditions.
/// Against the same model re-extracted with `--change-support 0`, on every
/// seen state the kept actions make exactly the moves of the whole actions
/// whose change is one of theirs.
fn actions_keep_to_the_training_changes(sb: &Sandbox, seen: &HashSet<String>) {
    let kept_json = json(sb, "run/actions.json");
    assert_eq!(kept_json["change_support"], 1, "{kept_json}");
    let changes = kept_json["changes"].as_u64().unwrap() as usize;
    assert!(changes > 0, "{kept_json}");
    let kept = Action::all(&kept_json);
    let mut effects = HashSet::new();
    for a in &kept {
        assert!(a.name.contains('~'), "{} is no change of an action", a.name);
        for j in 0..a.add.len() {
            assert!(a.add[j] == b'0' || a.neg[j] == b'1', "{}: bit {j}", a.name);
            assert!(a.del[j] == b'0' || a.pos[j] == b'1', "{}: bit {j}", a.name);
        }
        effects.insert((a.add.clone(), a.del.clone()));
    }
    assert!(effects.len() <= changes, "{} effects", effects.len());
    std::fs::create_dir(sb.path("run0")).unwrap();
    for entry in std::fs::read_dir(sb.path("run")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), sb.path("run0").join(entry.file_name())).unwrap();
    }
    let out = sb.ok(&[
        "export",
        "--model",
        "run0",
        "--data",
        "data",
        "--change-support",
        "0",
        "--out",
        "pddl0",
    ]);
    assert!(!out.contains("kept to the"), "{out}");
    let whole_json = json(sb, "run0/actions.json");
    assert_eq!(whole_json["change_support"], 0, "{whole_json}");
    let whole = Action::all(&whole_json);
    for a in &kept {
        let base = a.name.split('~').next().unwrap();
        let b = whole
            .iter()
            .find(|b| b.name == base)
            .unwrap_or_else(|| panic!("{} has no action {base}", a.name));
        let within = |x: &[u8], y: &[u8]| x.iter().zip(y).all(|(&x, &y)| x == b'0' || y == b'1');
        assert!(
            within(&a.add, &b.add) && within(&a.del, &b.del),
            "{}",
            a.name
        );
        assert!(
            within(&b.pos, &a.pos) && within(&b.neg, &a.neg),
            "{}",
            a.name
        );
    }
    let mut left_out = 0;
    for s in seen {
        let ours: HashSet<String> = kept.iter().filter_map(|a| a.apply(s)).collect();
        let mut theirs = HashSet::new();
        for t in whole.iter().filter_map(|b| b.apply(s)) {
            if effects.contains(&change(s, &t)) {
                theirs.insert(t);
            } else if t != *s {
                left_out += 1;
            }
        }
        assert_eq!(ours, theirs, "from {s}");
    }
    // On this data the whole actions make 93 such moves (seed 1).
    assert!(
        left_out > 0,
        "the whole actions make no move of a change no training move made"
    );
}

/// On Blocksworld with 3 blocks on 3 positions and no jitter (60 states, all
/// in the data), the actions keep to the training changes
/// ([`actions_keep_to_the_training_changes`]), and `--filter seen` keeps to
/// the codes of the training pictures (`states.json`, written by the
/// extraction): every state of
/// its plans is one of those codes or the start or the goal (replayed from
/// `actions.json` here); it is never shorter than the pictures filter it adds
/// to; A*, its lazy form and lazy bidirectional search agree; a code taken
/// out of `states.json` is never passed through; and a run without
/// `states.json` says how to make it.
#[test]
fn the_seen_states_and_the_training_changes_bound_the_plans() {
    let sb = Sandbox::new();
    std::fs::write(
        sb.path("blocks3.toml"),
        "name = \"blocks3-flat\"\ndescription = \"3 blocks on 3 positions, no jitter\"\n\
         transitions = 1000\nsteps = [3, 4]\n[network]\npreset = \"tiny\"\n\
         [domain]\nkind = \"blocks\"\nblocks = 3\npositions = 3\njitter = false\n",
    )
    .unwrap();
    sb.ok(&[
        "generate",
        "-d",
        "blocks3.toml",
        "--seed",
        "1",
        "--out",
        "data",
    ]);
    let out = sb.ok(&["train", "--data", "data", "--out", "run", "--device", "cpu"]);
    assert!(out.contains("distinct states seen"), "{out}");
    sb.ok(&[
        "problems",
        "-d",
        "blocks3.toml",
        "--count",
        "3",
        "--seed",
        "4",
        "--out",
        "probs",
    ]);
    let actions = json(&sb, "run/actions.json");
    let saved = json(&sb, "run/states.json");
    let bits = actions["bits"].as_u64().unwrap() as usize;
    assert_eq!(saved["bits"].as_u64(), Some(bits as u64));
    let codes = |saved: &serde_json::Value| -> HashSet<String> {
        saved["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect()
    };
    let all = codes(&saved);
    assert!(all.iter().all(|c| c.len() == bits), "{saved}");
    // Every one of the 60 states is in the data, so each has a code.
    assert!(all.len() >= 60, "{} codes seen", all.len());
    actions_keep_to_the_training_changes(&sb, &all);
    let plan = |problem: &str, out: &str, args: &[&str]| plan_problem(&sb, problem, out, "5", args);
    let seen_runs = |problem: &str, tag: &str| {
        [
            plan(problem, &format!("seen{tag}"), &["--filter", "seen"]),
            plan(
                problem,
                &format!("seen-lazy{tag}"),
                &["--filter", "seen", "--lazy"],
            ),
            plan(
                problem,
                &format!("seen-bidir-lazy{tag}"),
                &["--search", "bidir", "--filter", "seen", "--lazy"],
            ),
        ]
    };
    // The states a plan visits, the start first (none without a plan).
    let visited = |p: &serde_json::Value| -> Vec<String> {
        let Some(ops) = p["plan"].as_array() else {
            return Vec::new();
        };
        replay(&actions, p["init_bits"].as_str().unwrap(), ops)
    };
    let check = |problem: &str, runs: &[serde_json::Value], seen: &HashSet<String>| {
        for p in runs {
            assert_eq!(p["filter"]["kind"], "seen", "{p}");
            let states = visited(p);
            if let Some((last, inner)) = states.split_last() {
                assert_eq!(last, p["goal_bits"].as_str().unwrap(), "{p}");
                for s in &inner[1..] {
                    assert!(
                        seen.contains(s),
                        "{problem}: a seen plan leaves the seen states: {p}"
                    );
                }
                assert_eq!(p["plan_check"]["refused"], serde_json::json!([]), "{p}");
            }
        }
        for p in &runs[1..] {
            assert_eq!(
                (&p["outcome"], &p["length"]),
                (&runs[0]["outcome"], &runs[0]["length"]),
                "{problem}: {p}\nvs {}",
                runs[0]
            );
        }
    };
    let mut taken_out = None;
    for problem in [
        "003-000", "003-001", "003-002", "004-000", "004-001", "004-002",
    ] {
        let pictures = plan(problem, "pictures", &[]);
        let runs = seen_runs(problem, "");
        check(problem, &runs, &all);
        if let (Some(s), Some(n)) = (runs[0]["length"].as_u64(), pictures["length"].as_u64()) {
            assert!(s >= n, "{problem}: seen {s} < pictures {n}");
        }
        if taken_out.is_none() && runs[0]["length"].as_u64() >= Some(2) {
            taken_out = Some((problem, visited(&runs[0])[1].clone()));
        }
    }
    // Take the first inner state of one plan out of the seen states: the
    // filter now refuses it (A* generates it from the start) and no plan
    // passes through it.
    let (problem, state) = taken_out.expect("no seen plan of 2 steps or more");
    let mut fewer = saved.clone();
    fewer["codes"] = serde_json::json!(all.iter().filter(|c| **c != state).collect::<Vec<_>>());
    std::fs::write(sb.path("run/states.json"), fewer.to_string()).unwrap();
    let runs = seen_runs(problem, "-fewer");
    check(problem, &runs, &codes(&fewer));
    assert!(
        runs[0]["filter"]["rejected"].as_u64() >= Some(1),
        "{}",
        runs[0]
    );
    std::fs::remove_file(sb.path("run/states.json")).unwrap();
    let out = sb.run(&[
        "plan",
        "--model",
        "run",
        "--init",
        "probs/003-000/init.png",
        "--goal",
        "probs/003-000/goal.png",
        "--out",
        "gone",
        "--filter",
        "seen",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("states.json") && err.contains("latplan export"),
        "{err}"
    );
}
