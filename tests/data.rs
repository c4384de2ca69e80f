//! `generate`, `problems`, `render`, `parse`: outputs and error messages.

use std::collections::HashMap;

use latplan::data::problems::ProblemSet;
use latplan::data::Dataset;
use latplan::domain::{Domain, Image, Shape};

use crate::util::Sandbox;

#[test]
fn generated_pairs_are_legal_moves_and_pictures_match_states() {
    let sb = Sandbox::new();
    for preset in [
        "puzzle3x2-digits",
        "lightsout3",
        "lightsout5-twisted",
        "puzzle15-picture",
    ] {
        sb.ok(&[
            "generate", "-d", preset, "-n", "200", "--seed", "5", "--out", preset,
        ]);
        let ds = Dataset::load(&sb.path(preset)).unwrap();
        assert_eq!(ds.len(), 200);
        assert_eq!(
            ds.manifest.split.train + ds.manifest.split.val + ds.manifest.split.test,
            200
        );
        assert_eq!(ds.manifest.split.train, 180);
        crate::util::assert_pairs_are_legal_moves(&ds, preset);
    }
}

#[test]
fn same_seed_same_bytes() {
    let sb = Sandbox::new();
    let read = |dir: &str, file: &str| std::fs::read(sb.path(dir).join(file)).unwrap();
    for (dir, seed) in [("a", "7"), ("b", "7"), ("c", "8")] {
        sb.ok(&[
            "generate",
            "-d",
            "lightsout4",
            "-n",
            "100",
            "--seed",
            seed,
            "--out",
            dir,
        ]);
        sb.ok(&[
            "problems",
            "-d",
            "puzzle8-digits",
            "--steps",
            "3,5",
            "--count",
            "4",
            "--seed",
            seed,
            "--noise",
            "0.1",
            "--out",
            &format!("p{dir}"),
        ]);
    }
    assert_eq!(
        read("a", "transitions.safetensors"),
        read("b", "transitions.safetensors")
    );
    assert_ne!(
        read("a", "transitions.safetensors"),
        read("c", "transitions.safetensors")
    );
    assert_eq!(
        read("pa", "005-001/init.png"),
        read("pb", "005-001/init.png")
    );
    assert_ne!(read("pa", "manifest.json"), read("pc", "manifest.json"));
}

/// Breadth-first distance from `init` to `goal`, by the pathfinding crate.
fn bfs_distance(domain: &dyn Domain, init: &[u8], goal: &[u8]) -> usize {
    let path = pathfinding::prelude::bfs(&init.to_vec(), |s| domain.successors(s), |s| s == goal)
        .expect("goal reachable");
    path.len() - 1
}

#[test]
fn problem_distances_are_confirmed_by_breadth_first_search() {
    let sb = Sandbox::new();
    for (preset, steps) in [
        ("puzzle8-digits", "7,14"),
        ("lightsout4", "2,5"),
        ("lightsout5-twisted", "4"),
    ] {
        sb.ok(&[
            "problems", "-d", preset, "--steps", steps, "--count", "5", "--seed", "2", "--out",
            preset,
        ]);
        let dir = sb.path(preset);
        let set = ProblemSet::load(&dir).unwrap();
        let domain = set.domain.build().unwrap();
        let problems = set.load_problems(&dir).unwrap();
        assert_eq!(problems.len(), 5 * set.steps.len());
        let mut per_length: HashMap<usize, usize> = HashMap::new();
        for (folder, p) in problems {
            assert_eq!(
                bfs_distance(domain.as_ref(), &p.init_code, &p.goal_code),
                p.optimal_length,
                "{}",
                p.name
            );
            // What `plan` judges optimality by (LightsOut: GF(2) algebra).
            assert_eq!(
                domain.distance(&p.init_code, &p.goal_code, 1 << 20).moves(),
                Some(p.optimal_length),
                "{}",
                p.name
            );
            assert_eq!(p.goal_code, domain.goal());
            let init = Image::load_exact(&folder.join("init.png"), domain.shape()).unwrap();
            assert_eq!(domain.parse(&init).unwrap().state, p.init_code);
            *per_length.entry(p.optimal_length).or_default() += 1;
        }
        assert!(per_length.values().all(|&n| n == 5), "{per_length:?}");
    }
}

#[test]
fn noisy_problems_keep_clean_copies() {
    let sb = Sandbox::new();
    sb.ok(&[
        "problems",
        "-d",
        "lightsout4",
        "--steps",
        "3",
        "--count",
        "2",
        "--noise",
        "0.2",
        "--out",
        "p",
    ]);
    let shape = Shape::gray(36, 36);
    let noisy = Image::load_exact(&sb.path("p/003-000/init.png"), shape).unwrap();
    let clean = Image::load_exact(&sb.path("p/003-000/init-clean.png"), shape).unwrap();
    let d = noisy.mean_abs_diff(&clean).unwrap();
    assert!(d > 0.05, "noise of σ = 0.2 changed the picture by only {d}");
}

#[test]
fn render_and_parse_round_trip_through_files() {
    let sb = Sandbox::new();
    let out = sb.ok(&[
        "render",
        "-d",
        "puzzle8-digits",
        "--state",
        "1 0 2 / 3 4 5 / 6 7 8",
        "-o",
        "s.png",
    ]);
    assert!(out.contains("48×48"), "{out}");
    let out = sb.ok(&["parse", "-d", "puzzle8-digits", "s.png"]);
    assert!(
        out.contains("1 0 2 / 3 4 5 / 6 7 8 (distance 0.000"),
        "quantization only: {out}"
    );
    sb.ok(&[
        "render",
        "-d",
        "lightsout3",
        "--state",
        "goal",
        "-o",
        "g.png",
    ]);
    let img = Image::load(&sb.path("g.png"), 1).unwrap();
    assert_eq!(img.shape(), Shape::gray(27, 27));
}

#[test]
fn user_tiles_and_pictures_make_puzzles() {
    let sb = Sandbox::new();
    std::fs::create_dir(sb.path("tiles")).unwrap();
    for n in 0..9usize {
        let mut img = Image::filled(Shape::rgb(30, 30), 0.0);
        for y in 0..30 {
            for x in 0..30 {
                img.set(
                    y,
                    x,
                    0,
                    if (x / (n + 2) + y / 5) % 2 == 0 {
                        1.0
                    } else {
                        0.0
                    },
                );
            }
        }
        img.save_png(&sb.path(&format!("tiles/{n}.png"))).unwrap();
    }
    sb.ok(&[
        "generate",
        "-d",
        "puzzle8-tiles",
        "--tiles",
        "tiles",
        "-n",
        "50",
        "--out",
        "t",
    ]);
    let ds = Dataset::load(&sb.path("t")).unwrap();
    assert_eq!(ds.manifest.shape, Shape::gray(48, 48));
    sb.ok(&[
        "render",
        "-d",
        "puzzle8-digits",
        "--state",
        "goal",
        "-o",
        "photo.png",
    ]);
    sb.ok(&[
        "render",
        "-d",
        "puzzle15-picture",
        "--image",
        "photo.png",
        "--state",
        "goal",
        "-o",
        "cut.png",
    ]);
}

#[test]
fn bad_inputs_get_clear_errors() {
    let sb = Sandbox::new();
    let err = sb.fails(&["generate", "-d", "no-such-preset", "--out", "x"]);
    assert!(
        err.contains("unknown domain preset \"no-such-preset\""),
        "{err}"
    );
    let err = sb.fails(&[
        "generate",
        "-d",
        "puzzle8-tiles",
        "--tiles",
        "missing",
        "--out",
        "x",
    ]);
    assert!(
        err.contains("tile folder") && err.contains("missing"),
        "{err}"
    );
    std::fs::write(sb.path("corrupt.png"), b"\x89PNG not really").unwrap();
    let err = sb.fails(&[
        "render",
        "-d",
        "puzzle8-digits",
        "--image",
        "corrupt.png",
        "--state",
        "goal",
        "-o",
        "y.png",
    ]);
    assert!(err.contains("corrupt.png"), "{err}");
    let err = sb.fails(&["parse", "-d", "puzzle8-digits", "corrupt.png"]);
    assert!(err.contains("corrupt.png"), "{err}");
    sb.ok(&[
        "render",
        "-d",
        "lightsout3",
        "--state",
        "goal",
        "-o",
        "small.png",
    ]);
    let err = sb.fails(&["parse", "-d", "puzzle8-digits", "small.png"]);
    assert!(
        err.contains("small.png is 27×27 pixels, expected 48×48"),
        "{err}"
    );
    let err = sb.fails(&[
        "render",
        "-d",
        "puzzle8-digits",
        "--state",
        "0 1 2 / 3 4 5",
        "-o",
        "z.png",
    ]);
    assert!(err.contains("expected a 3×3 puzzle"), "{err}");
    let err = sb.fails(&[
        "render",
        "-d",
        "lightsout4",
        "--image",
        "small.png",
        "--state",
        "goal",
        "-o",
        "z.png",
    ]);
    assert!(err.contains("sliding-puzzle presets only"), "{err}");
    let err = sb.fails(&[
        "problems",
        "-d",
        "lightsout3",
        "--steps",
        "14",
        "--count",
        "3",
        "--out",
        "p",
    ]);
    assert!(
        err.contains("only 0 states are exactly 14 moves away"),
        "{err}"
    );
}

#[test]
fn existing_output_is_never_overwritten_silently() {
    let sb = Sandbox::new();
    sb.ok(&["generate", "-d", "lightsout3", "-n", "40", "--out", "d"]);
    let before = std::fs::read(sb.path("d/transitions.safetensors")).unwrap();
    let err = sb.fails(&[
        "generate",
        "-d",
        "lightsout3",
        "-n",
        "40",
        "--seed",
        "9",
        "--out",
        "d",
    ]);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read(sb.path("d/transitions.safetensors")).unwrap(),
        before
    );
    sb.ok(&[
        "generate",
        "-d",
        "lightsout3",
        "-n",
        "40",
        "--seed",
        "9",
        "--out",
        "d",
        "--force",
    ]);
}

#[test]
fn a_user_preset_file_works_by_path() {
    let sb = Sandbox::new();
    sb.ok(&[
        "render",
        "-d",
        "puzzle8-digits",
        "--state",
        "goal",
        "-o",
        "mine.png",
    ]);
    std::fs::write(
        sb.path("mine.toml"),
        "name = \"mine\"\n[domain]\nkind = \"sliding-puzzle\"\nwidth = 3\nheight = 3\ntile_size = 12\ntiles = { source = \"picture\", path = \"mine.png\" }\n",
    )
    .unwrap();
    let out = sb.ok(&[
        "render",
        "-d",
        "mine.toml",
        "--state",
        "goal",
        "-o",
        "g.png",
    ]);
    assert!(out.contains("36×36"), "{out}");
    std::fs::write(
        sb.path("bad.toml"),
        "name = \"bad\"\n[domain]\nkind = \"chess\"\n",
    )
    .unwrap();
    let err = sb.fails(&["render", "-d", "bad.toml", "--state", "goal", "-o", "g.png"]);
    assert!(err.contains("bad.toml"), "{err}");
}
