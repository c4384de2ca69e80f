//! `generate`, `problems`, `render`, `parse` on the Blocksworld, Hanoi and
//! Sokoban presets (and a user's Sokoban level), end to end.

use latplan::data::problems::ProblemSet;
use latplan::data::Dataset;
use latplan::domain::sokoban::rules::Board;
use latplan::domain::{Domain, DomainConfig, Image, Shape};

use crate::util::Sandbox;

/// Breadth-first distance from `init` to `goal`, by the pathfinding crate.
fn bfs_distance(domain: &dyn Domain, init: &[u8], goal: &[u8]) -> usize {
    let path = pathfinding::prelude::bfs(&init.to_vec(), |s| domain.successors(s), |s| s == goal)
        .expect("goal reachable");
    path.len() - 1
}

#[test]
fn generated_pairs_are_legal_moves_and_pictures_match_states() {
    let sb = Sandbox::new();
    for preset in ["blocks4", "hanoi4-4", "hanoi5-9", "sokoban6", "sokoban8"] {
        sb.ok(&[
            "generate", "-d", preset, "-n", "300", "--seed", "3", "--out", preset,
        ]);
        let ds = Dataset::load(&sb.path(preset)).unwrap();
        assert_eq!(ds.len(), 300);
        crate::util::assert_pairs_are_legal_moves(&ds, preset);
    }
}

#[test]
fn same_seed_same_bytes() {
    let sb = Sandbox::new();
    for preset in ["sokoban7", "blocks4", "hanoi4-4"] {
        for (dir, seed) in [("a", "4"), ("b", "4"), ("c", "5")] {
            let out = format!("{preset}-{dir}");
            sb.ok(&[
                "generate", "-d", preset, "-n", "100", "--seed", seed, "--out", &out,
            ]);
        }
        let read = |dir: &str| {
            let path = sb
                .path(&format!("{preset}-{dir}"))
                .join("transitions.safetensors");
            std::fs::read(path).unwrap()
        };
        assert_eq!(read("a"), read("b"), "{preset}");
        assert_ne!(read("a"), read("c"), "{preset}");
    }
}

#[test]
fn hanoi_problems_use_the_presets_steps_and_are_optimal() {
    let sb = Sandbox::new();
    let out = sb.ok(&["problems", "-d", "hanoi3-9", "--count", "6", "--out", "p"]);
    assert!(out.contains("wrote 6 problems"), "{out}");
    let set = ProblemSet::load(&sb.path("p")).unwrap();
    assert_eq!(set.steps, [5]);
    let domain = set.domain.build().unwrap();
    for (folder, p) in set.load_problems(&sb.path("p")).unwrap() {
        assert_eq!(bfs_distance(domain.as_ref(), &p.init_code, &p.goal_code), 5);
        assert_eq!(p.goal, "- | - | - | - | - | - | - | - | 3 2 1");
        let init = Image::load_exact(&folder.join("init.png"), Shape::rgb(3, 36)).unwrap();
        assert_eq!(domain.parse(&init).unwrap().state, p.init_code);
    }
}

#[test]
fn blocks_problems_are_optimal_and_their_jittered_pictures_parse() {
    let sb = Sandbox::new();
    sb.ok(&["problems", "-d", "blocks4", "--count", "4", "--out", "p"]);
    let set = ProblemSet::load(&sb.path("p")).unwrap();
    assert_eq!(set.steps, [5, 7]);
    let domain = set.domain.build().unwrap();
    let problems = set.load_problems(&sb.path("p")).unwrap();
    assert_eq!(problems.len(), 8);
    for (folder, p) in problems {
        assert_eq!(
            bfs_distance(domain.as_ref(), &p.init_code, &p.goal_code),
            p.optimal_length
        );
        assert_eq!(p.goal, "R G B Y | - | - | - | -");
        let init = Image::load_exact(&folder.join("init.png"), Shape::rgb(32, 48)).unwrap();
        assert_eq!(domain.parse(&init).unwrap().state, p.init_code);
    }
}

#[test]
fn sokoban_problems_start_at_the_level_and_include_its_solution() {
    let sb = Sandbox::new();
    sb.ok(&[
        "problems", "-d", "sokoban7", "--steps", "7,14", "--count", "3", "--out", "p",
    ]);
    let set = ProblemSet::load(&sb.path("p")).unwrap();
    assert_eq!(set.problems.len(), 7);
    assert!(
        set.problems.contains(&"solved-000".to_string()),
        "{:?}",
        set.problems
    );
    let domain = set.domain.build().unwrap();
    let DomainConfig::Sokoban(config) = &set.domain else {
        panic!("not sokoban")
    };
    let sokoban = latplan::domain::sokoban::Sokoban::new(config).unwrap();
    let start = sokoban.level().start.code();
    for (folder, p) in set.load_problems(&sb.path("p")).unwrap() {
        assert_eq!(p.init_code, start);
        assert_eq!(
            bfs_distance(domain.as_ref(), &p.init_code, &p.goal_code),
            p.optimal_length
        );
        let goal = Image::load_exact(&folder.join("goal.png"), Shape::rgb(28, 28)).unwrap();
        assert_eq!(domain.parse(&goal).unwrap().state, p.goal_code);
        if p.name == "solved-000" {
            assert!(sokoban.level().solved(&Board::from_code(&p.goal_code)));
            assert_eq!(p.optimal_length, 27);
        }
    }
}

#[test]
fn hanoi_and_blocks_render_and_parse_through_files() {
    let sb = Sandbox::new();
    let state = "4 1 | 3 2 | - | -";
    let out = sb.ok(&["render", "-d", "hanoi4-4", "--state", state, "-o", "h.png"]);
    assert!(out.contains("4×16 RGB"), "{out}");
    let out = sb.ok(&["parse", "-d", "hanoi4-4", "h.png"]);
    assert!(out.contains("4 1 | 3 2 | - | - (distance 0.00"), "{out}");

    let state = "R G | - | B | - | Y";
    sb.ok(&["render", "-d", "blocks4", "--state", state, "-o", "b.png"]);
    let out = sb.ok(&["parse", "-d", "blocks4", "b.png"]);
    assert!(
        out.contains("b.png: R G | - | B | - | Y (distance 0.0"),
        "{out}"
    );
    let three = "R G B | - | - | - | -";
    let err = sb.fails(&["render", "-d", "blocks4", "--state", three, "-o", "x.png"]);
    assert!(err.contains("expected 4 blocks on 5 positions"), "{err}");
}

#[test]
fn sokoban_renders_and_parses_through_files() {
    let sb = Sandbox::new();
    let state = "#######/#.  @ #/# $ $ #/#.#   #/# $   #/#.  ###/#######";
    sb.ok(&[
        "render",
        "-d",
        "sokoban7-large",
        "--state",
        state,
        "-o",
        "s.png",
    ]);
    let out = sb.ok(&["parse", "-d", "sokoban7-large", "s.png"]);
    assert!(out.contains("s.png: #######/#.  @ #/# $ $ #/"), "{out}");

    let short = "#######/#.  @ #/# $ $@#";
    let err = sb.fails(&["render", "-d", "sokoban7", "--state", short, "-o", "x.png"]);
    assert!(
        err.contains("the drawing is 3×7, the level is 7×7"),
        "{err}"
    );
    let two = "#######/#. @@ #/# $ $ #/#.#   #/# $   #/#.  ###/#######";
    let err = sb.fails(&["render", "-d", "sokoban7", "--state", two, "-o", "x.png"]);
    assert!(err.contains("2 players"), "{err}");
    let err = sb.fails(&["parse", "-d", "sokoban7", "s.png"]);
    assert!(err.contains("expected 28×28"), "{err}");
}

#[test]
fn a_users_sokoban_level_works_by_path_and_errors_name_the_file() {
    let sb = Sandbox::new();
    std::fs::create_dir(sb.path("mine")).unwrap();
    std::fs::write(
        sb.path("mine/level.txt"),
        "######\n#@ $.#\n#  $.#\n######\n",
    )
    .unwrap();
    let preset = "name = \"mine\"\ntransitions = 40\n\n[domain]\nkind = \"sokoban\"\nlevel = \"level.txt\"\n";
    std::fs::write(sb.path("mine/mine.toml"), preset).unwrap();
    sb.ok(&["generate", "-d", "mine/mine.toml", "--out", "d"]);
    assert_eq!(Dataset::load(&sb.path("d")).unwrap().len(), 40);
    sb.ok(&[
        "problems",
        "-d",
        "mine/mine.toml",
        "--steps",
        "2",
        "--count",
        "2",
        "--out",
        "p",
    ]);

    std::fs::write(sb.path("mine/level.txt"), "######\n#@ $ #\n######\n").unwrap();
    let err = sb.fails(&["generate", "-d", "mine/mine.toml", "--out", "e"]);
    assert!(
        err.contains("level.txt") && err.contains("1 boxes and 0 targets"),
        "{err}"
    );
    std::fs::remove_file(sb.path("mine/level.txt")).unwrap();
    let err = sb.fails(&["generate", "-d", "mine/mine.toml", "--out", "e"]);
    assert!(
        err.contains("cannot read Sokoban level file") && err.contains("level.txt"),
        "{err}"
    );
}

#[test]
fn a_reader_closing_the_pipe_early_is_no_panic() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_latplan"))
        .arg("domains")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before the first line
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert!(matches!(status.code(), Some(0) | Some(141)), "{status:?}");
}

#[test]
fn the_domain_list_names_each_presets_network_and_its_settings() {
    let out = Sandbox::new().ok(&["domains"]);
    let line = |name: &str| {
        out.lines()
            .position(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{out}"))
    };
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[line("lightsout5")].contains("cpu-mlp-ama4"), "{out}");
    assert!(lines[line("puzzle3x2-digits")].contains(" tiny "), "{out}");
    // Sokoban's AMA4+ network, its Gaussian output and 64 bits, on the lines
    // below its own.
    let sokoban = line("sokoban7");
    assert!(lines[sokoban].contains("cpu-mlp-ama4"), "{out}");
    assert!(
        lines[sokoban + 1].trim() == r#"--set model.output={"kind":"gaussian","sigma":0.1}"#,
        "{out}"
    );
    assert!(lines[sokoban + 2].trim() == "--set model.bits=64", "{out}");
    assert!(
        !lines[line("blocks4") + 1].trim_start().starts_with("--set"),
        "{out}"
    );
}
