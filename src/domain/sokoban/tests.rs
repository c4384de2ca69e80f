//! Tests of the Sokoban domain through its [`Domain`] face.

use std::collections::HashMap;

use super::*;
use crate::util::rng;

fn sokoban(level: &str, tile: usize) -> Sokoban {
    Sokoban::new(&SokobanConfig {
        level: level.into(),
        tile,
        limit: 20_000,
    })
    .unwrap()
}

/// Every state reachable from the start with its distance (no cap).
fn distances(s: &Sokoban) -> HashMap<Code, usize> {
    let (all, done) = search::reachable(&s.level().start.code(), 10_000_000, |c| s.successors(c));
    assert!(done);
    all.into_iter().collect()
}

#[test]
fn builtin_levels_are_solvable_and_big_enough() {
    for (name, _) in LEVELS {
        let s = sokoban(name, 4);
        let (solved, moves) = s.nearest_solved().unwrap();
        assert!(s.level().solved(&Board::from_code(&solved)));
        assert!(moves >= 14, "{name} is solved in only {moves} moves");
        let dist = distances(&s);
        for steps in [7, 14] {
            let n = dist.values().filter(|&&d| d == steps).count();
            assert!(
                n >= 20,
                "{name}: only {n} states {steps} moves from the start"
            );
        }
        assert_eq!(dist[&solved], moves);
        let nearest = dist
            .iter()
            .filter(|(c, _)| s.level().solved(&Board::from_code(c)))
            .map(|(_, d)| *d)
            .min();
        assert_eq!(nearest, Some(moves), "{name}");
        assert_eq!(s.goal(), solved);
    }
}

#[test]
fn random_states_round_trip_through_pictures_and_text() {
    for (level, tile) in [
        ("sokoban6", 4),
        ("sokoban7", 4),
        ("sokoban8", 4),
        ("sokoban7", 16),
        ("sokoban8", 3),
    ] {
        let s = sokoban(level, tile);
        assert_eq!(
            s.shape(),
            Shape::rgb(s.level().height * tile, s.level().width * tile)
        );
        let mut r = rng(1, 0);
        for _ in 0..200 {
            let code = s.random_state(&mut r);
            let parsed = s
                .parse(&s.render(&code, &mut r))
                .unwrap_or_else(|e| panic!("{e}\n{}", s.format(&code)));
            assert_eq!(
                parsed,
                Parsed {
                    state: code.clone(),
                    distance: 0.0
                }
            );
            assert_eq!(s.read(&s.format(&code)).unwrap(), code);
        }
    }
}

#[test]
fn latplan_size_for_a_7x7_level() {
    assert_eq!(sokoban("sokoban7", 4).shape(), Shape::rgb(28, 28));
}

#[test]
fn training_pairs_are_distinct_legal_moves_between_reached_states() {
    let s = sokoban("sokoban8", 4);
    let reached: HashSet<&Code> = s.reached().iter().collect();
    let pairs = s.sample_transitions(3000, &mut rng(2, 0)).unwrap();
    assert_eq!(pairs.iter().collect::<HashSet<_>>().len(), 3000);
    for (pre, suc) in &pairs {
        assert!(
            s.is_move(pre, suc),
            "{}\n->\n{}",
            s.format(pre),
            s.format(suc)
        );
        assert!(s.predecessors(suc).contains(pre));
        assert!(reached.contains(pre) && reached.contains(suc));
    }
    assert_eq!(pairs, s.sample_transitions(3000, &mut rng(2, 0)).unwrap());
    assert_ne!(pairs, s.sample_transitions(3000, &mut rng(3, 0)).unwrap());
}

#[test]
fn the_state_cap_is_latplans_and_too_many_pairs_is_an_error() {
    let capped = Sokoban::new(&SokobanConfig {
        level: "sokoban8".into(),
        tile: 4,
        limit: 500,
    })
    .unwrap();
    assert_eq!(capped.reached().len(), 500);
    let err = capped
        .sample_transitions(100_000, &mut rng(0, 0))
        .unwrap_err()
        .to_string();
    assert!(err.contains("ask for at most"), "{err}");
}

#[test]
fn predecessors_invert_successors_on_reached_states() {
    let s = sokoban("sokoban7", 4);
    for code in s.reached().iter().take(2000) {
        for t in s.successors(code) {
            assert!(s.predecessors(&t).contains(code));
        }
        for p in s.predecessors(code) {
            assert!(s.is_move(&p, code));
        }
    }
}

#[test]
fn problem_distances_are_confirmed_by_search() {
    let s = sokoban("sokoban7", 4);
    let dist = distances(&s);
    for steps in [7, 14] {
        let problems = s.problems(steps, 20, &mut rng(4, 0)).unwrap();
        assert_eq!(problems.len(), 20);
        for p in problems {
            assert_eq!(p.init, s.level().start.code());
            assert_eq!(dist[&p.goal], steps);
            assert_eq!(p.optimal, steps);
        }
    }
    let extra = s.extra_problems().unwrap();
    assert_eq!(extra.len(), 1);
    assert!(s.level().solved(&Board::from_code(&extra[0].goal)));
    assert_eq!(dist[&extra[0].goal], extra[0].optimal);
}

/// Pastes the sprite `cell` shows in `from` over cell `to` of a picture.
fn copy_cell(s: &Sokoban, img: &mut Image, from: usize, to: usize) {
    let (t, w) = (4, s.level().width);
    let patch = img.crop(from / w * t, from % w * t, t, t);
    img.paste(&patch, to / w * t, to % w * t);
}

fn rejection(s: &Sokoban, img: &Image) -> String {
    match s.parse(img) {
        Err(Rejection::Invalid(why)) => why,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn bad_pictures_are_rejected_with_a_reason() {
    let s = sokoban("sokoban6", 4);
    let start = s.level().start.clone();
    let clean = s.render(&start.code(), &mut rng(0, 0));
    let (player, first_box) = (usize::from(start.player), usize::from(start.boxes[0]));
    let free = (0..36)
        .find(|&i| s.level().floor(i) && !s.level().targets[i] && i != player && !start.has_box(i));
    let free = free.unwrap();
    let cases = [
        (player, free, "2 players in the picture, at (row "),
        (first_box, 0, "(row 1, column 1): a box inside a wall"),
        (player, 5, "(row 1, column 6): the player inside a wall"),
        (free, first_box, "1 boxes in the picture, the level has 2"),
        (0, free, "a wall where the level has floor"),
        (free, 7, "no target where the level has one"),
    ];
    for (from, to, why) in cases {
        let mut img = clean.clone();
        copy_cell(&s, &mut img, from, to);
        assert!(
            rejection(&s, &img).contains(why),
            "{} (wanted {why})",
            rejection(&s, &img)
        );
    }
    let gray = Image::filled(s.shape(), 0.5);
    assert!(rejection(&s, &gray).contains("matches no template"));
    assert!(matches!(
        s.parse(&Image::filled(Shape::rgb(24, 20), 0.5)),
        Err(Rejection::WrongShape { .. })
    ));
}

#[test]
fn level_files_and_their_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.txt");
    std::fs::write(&file, "; mine\n#####\n#@$.#\n#####\n").unwrap();
    let mine = Sokoban::new(&SokobanConfig {
        level: file.display().to_string(),
        tile: 4,
        limit: 100,
    })
    .unwrap();
    assert_eq!(mine.nearest_solved().unwrap().1, 1);
    assert_eq!(mine.shape(), Shape::rgb(12, 20));

    let missing = dir.path().join("nope.txt");
    let config = SokobanConfig {
        level: missing.display().to_string(),
        tile: 4,
        limit: 100,
    };
    let err = Sokoban::new(&config).unwrap_err().to_string();
    assert!(
        err.contains("nope.txt") && err.contains("sokoban7"),
        "{err}"
    );

    std::fs::write(&file, "#####\n#@$ #\n#####\n").unwrap();
    let config = SokobanConfig {
        level: file.display().to_string(),
        tile: 4,
        limit: 100,
    };
    let err = Sokoban::new(&config).unwrap_err().to_string();
    assert!(
        err.contains("mine.txt") && err.contains("1 boxes and 0 targets"),
        "{err}"
    );
}

#[test]
fn mild_noise_is_tolerated() {
    let s = sokoban("sokoban8", 4);
    let mut r = rng(8, 0);
    for _ in 0..100 {
        let code = s.random_state(&mut r);
        let mut img = s.render(&code, &mut r);
        img.add_noise(0.03, &mut r);
        let parsed = s.parse(&img).unwrap();
        assert_eq!(parsed.state, code);
        assert!(parsed.distance > 0.0);
    }
}

#[test]
fn an_unsolvable_level_still_makes_data_but_no_solved_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stuck.txt");
    std::fs::write(&file, "#####\n#$ .#\n# @ #\n#####\n").unwrap();
    let config = SokobanConfig {
        level: file.display().to_string(),
        tile: 4,
        limit: 100,
    };
    let s = Sokoban::new(&config).unwrap();
    assert_eq!(s.goal(), s.level().start.code());
    assert_eq!(s.sample_transitions(5, &mut rng(0, 0)).unwrap().len(), 5);
    let err = s.extra_problems().unwrap_err().to_string();
    assert!(err.contains("stuck.txt has no solved state"), "{err}");
}
