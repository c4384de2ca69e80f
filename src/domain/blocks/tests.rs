//! Tests of the Blocksworld domain through its [`Domain`] face, and of the
//! parser on scenes no state can make.

use super::render::{Light, Placed, Scene};
use super::*;
use crate::util::rng;

fn blocks(blocks: usize, positions: usize, jitter: bool) -> Blocks {
    let jitter = if jitter {
        JitterMode::PerImage
    } else {
        JitterMode::Off
    };
    with_jitter(blocks, positions, jitter)
}

fn with_jitter(blocks: usize, positions: usize, jitter: JitterMode) -> Blocks {
    Blocks::new(&BlocksConfig {
        blocks,
        positions,
        jitter,
    })
    .unwrap()
}

#[test]
fn image_size_is_about_latplans() {
    assert_eq!(blocks(4, 5, true).shape(), Shape::rgb(32, 48));
    assert_eq!(blocks(6, 3, true).shape(), Shape::rgb(44, 30));
}

#[test]
fn state_counts_match_a_formula() {
    // Sum over m non-empty stacks: Lah number L(k, m) orderings × p!/(p−m)! placements.
    assert_eq!(blocks(3, 3, false).states().len(), 6 * 3 + 6 * 6 + 6);
    assert_eq!(
        blocks(4, 5, false).states().len(),
        24 * 5 + 36 * 20 + 12 * 60 + 120
    );
}

#[test]
fn jittered_pictures_parse_exactly() {
    for (k, p) in [(4, 5), (3, 3), (5, 5), (6, 3), (1, 2)] {
        let d = blocks(k, p, true);
        let mut r = rng(1, 0);
        for _ in 0..200 {
            let s = d.random_state(&mut r);
            let img = d.render(&s, &mut r);
            let parsed = d
                .parse(&img)
                .unwrap_or_else(|e| panic!("{e}: {}", d.format(&s)));
            assert_eq!(parsed.state, s, "{}", d.format(&s));
            assert!(
                parsed.distance > 0.0 && parsed.distance < 0.2,
                "distance {}",
                parsed.distance
            );
            assert_eq!(d.read(&d.format(&s)).unwrap(), s);
        }
    }
}

#[test]
fn clean_pictures_parse_at_distance_zero() {
    let d = blocks(4, 5, false);
    let mut r = rng(2, 0);
    for _ in 0..100 {
        let s = d.random_state(&mut r);
        assert_eq!(
            d.parse(&d.render(&s, &mut r)).unwrap(),
            Parsed {
                state: s,
                distance: 0.0
            }
        );
    }
}

#[test]
fn jitter_comes_only_from_the_rng() {
    let d = blocks(4, 5, true);
    let s = d.read("R G | - | B | - | Y").unwrap();
    assert_eq!(d.render(&s, &mut rng(3, 0)), d.render(&s, &mut rng(3, 0)));
    assert_ne!(d.render(&s, &mut rng(3, 0)), d.render(&s, &mut rng(4, 0)));
}

#[test]
fn per_state_jitter_gives_each_state_one_picture() {
    let d = with_jitter(4, 5, JitterMode::PerState);
    let fresh = blocks(4, 5, true);
    let mut r = rng(9, 0);
    let mut distances = Vec::new();
    for _ in 0..200 {
        let s = d.random_state(&mut r);
        let img = d.render(&s, &mut rng(3, 0));
        assert_eq!(img, d.render(&s, &mut rng(4, 7)), "{}", d.format(&s));
        let parsed = d.parse(&img).unwrap();
        assert_eq!(parsed.state, s);
        assert!(parsed.distance > 0.0 && parsed.distance < 0.2);
        distances.push(parsed.distance);
        // The picture is one that per-image jitter could draw too.
        assert!(fresh.parse(&img).is_ok());
    }
    // Jittered, and differently for different states.
    distances.sort_by(f32::total_cmp);
    distances.dedup();
    assert!(
        distances.len() > 150,
        "{} distinct distances",
        distances.len()
    );
}

#[test]
fn jitter_reads_as_a_flag_or_state() {
    let read = |text: &str| toml::from_str::<BlocksConfig>(text).map(|c| c.jitter);
    let base = "blocks = 4\npositions = 5\n";
    assert_eq!(read(base).unwrap(), JitterMode::PerImage);
    assert_eq!(
        read(&format!("{base}jitter = true")).unwrap(),
        JitterMode::PerImage
    );
    assert_eq!(
        read(&format!("{base}jitter = false")).unwrap(),
        JitterMode::Off
    );
    assert_eq!(
        read(&format!("{base}jitter = \"state\"")).unwrap(),
        JitterMode::PerState
    );
    let err = read(&format!("{base}jitter = \"album\""))
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected true, false or \"state\""), "{err}");
    for mode in [JitterMode::Off, JitterMode::PerImage, JitterMode::PerState] {
        let c = BlocksConfig {
            blocks: 4,
            positions: 5,
            jitter: mode,
        };
        let back: BlocksConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}

#[test]
fn goal_is_one_tower_in_palette_order() {
    let d = blocks(4, 5, true);
    assert_eq!(d.format(&d.goal()), "R G B Y | - | - | - | -");
}

#[test]
fn every_sampled_pair_is_one_legal_move() {
    let d = blocks(4, 5, true);
    for (pre, suc) in d.sample_transitions(500, &mut rng(5, 0)).unwrap() {
        let moved: Vec<usize> = (0..4).filter(|&i| pre[i] != suc[i]).collect();
        assert_eq!(moved.len(), 1, "{} -> {}", d.format(&pre), d.format(&suc));
        // The moved block was clear before and is clear after.
        assert!(!pre.contains(&(moved[0] as u8)) && !suc.contains(&(moved[0] as u8)));
        assert!(d.is_move(&suc, &pre));
    }
}

#[test]
fn problem_distances_are_confirmed_by_search() {
    let d = blocks(4, 5, true);
    for p in d.problems(7, 20, &mut rng(6, 0)).unwrap() {
        let path =
            pathfinding::prelude::bfs(&p.init, |s| d.successors(s), |s| *s == p.goal).unwrap();
        assert_eq!(path.len() - 1, 7);
    }
}

/// A change to the blocks of a scene.
type Edit<'a> = &'a dyn Fn(&mut Vec<Placed>);

/// A clean scene of `world` with `edit` applied to its placed blocks.
fn edited(d: &Blocks, text: &str, edit: impl Fn(&mut Vec<Placed>)) -> Image {
    let world = d.world(&d.read(text).unwrap());
    let mut scene: Scene = render::scene(d.geometry, &world, None);
    edit(&mut scene.placed);
    scene.light = Light {
        noise: 0.01,
        ..Light::CLEAN
    };
    render::paint(&scene, &mut rng(0, 0))
}

fn rejection(d: &Blocks, img: &Image) -> String {
    match d.parse(img) {
        Err(Rejection::Invalid(why)) => why,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn impossible_pictures_are_rejected_with_a_reason() {
    let d = blocks(4, 5, true);
    let text = "R G | - | B | - | Y";
    let lift = |block: usize, dy: f32, dx: f32| {
        move |p: &mut Vec<Placed>| {
            if let Some(b) = p.iter_mut().find(|b| b.block == block) {
                b.y -= dy;
                b.x -= dx;
            }
        }
    };
    let gone = |p: &mut Vec<Placed>| p.retain(|b| b.block != 3);
    let twice = |p: &mut Vec<Placed>| {
        p.push(Placed {
            block: 2,
            x: 11.5,
            y: 22.0,
        })
    };
    let stranger = |p: &mut Vec<Placed>| {
        p.push(Placed {
            block: 5,
            x: 11.5,
            y: 22.0,
        })
    };
    let cases: [(Edit, &str); 6] = [
        (
            &lift(1, 6.0, 0.0),
            "block G (green) floats at position 1, level 3, over an empty level 2",
        ),
        (&lift(2, 3.0, 0.0), "block B (blue) floats: its bottom edge"),
        (&gone, "block Y (yellow) is missing"),
        (
            &lift(3, 0.0, 4.5),
            "block Y (yellow) stands between table positions",
        ),
        (&twice, "block B (blue) appears more than once"),
        (
            &stranger,
            "a block coloured C (cyan) is not one of this world's blocks",
        ),
    ];
    for (edit, why) in cases {
        let img = edited(&d, text, edit);
        assert!(
            rejection(&d, &img).contains(why),
            "{} (wanted {why})",
            rejection(&d, &img)
        );
    }
    assert!(d.parse(&edited(&d, text, |_| {})).is_ok());
    assert!(rejection(&d, &Image::filled(d.shape(), 0.0)).contains("is missing"));
    assert!(matches!(
        d.parse(&Image::filled(Shape::rgb(30, 45), 0.5)),
        Err(Rejection::WrongShape { .. })
    ));
}

#[test]
fn bad_configs_and_text_are_errors() {
    assert!(Blocks::new(&BlocksConfig {
        blocks: 7,
        positions: 5,
        jitter: JitterMode::PerImage
    })
    .is_err());
    assert!(Blocks::new(&BlocksConfig {
        blocks: 4,
        positions: 1,
        jitter: JitterMode::PerImage
    })
    .is_err());
    let d = blocks(4, 5, true);
    let err = d.read("R G B Y | - | -").unwrap_err().to_string();
    assert!(err.contains("expected 4 blocks on 5 positions"), "{err}");
    assert!(d.read("R G B | - | - | - | -").is_err());
}

#[test]
fn mild_noise_is_tolerated() {
    let d = blocks(4, 5, true);
    let mut r = rng(8, 0);
    for _ in 0..100 {
        let s = d.random_state(&mut r);
        let mut img = d.render(&s, &mut r);
        img.add_noise(0.03, &mut r);
        assert_eq!(d.parse(&img).unwrap().state, s, "{}", d.format(&s));
    }
}
