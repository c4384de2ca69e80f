//! Tests of the Towers of Hanoi domain through its [`Domain`] face.

use super::*;
use crate::domain::search;
use crate::util::rng;

fn hanoi(disks: usize, towers: usize, scale: usize) -> Hanoi {
    Hanoi::new(&HanoiConfig {
        disks,
        towers,
        scale,
    })
    .unwrap()
}

#[test]
fn latplan_image_size() {
    assert_eq!(hanoi(4, 4, 1).shape(), Shape::rgb(4, 16));
    assert_eq!(hanoi(3, 9, 1).shape(), Shape::rgb(3, 36));
    assert_eq!(hanoi(4, 4, 4).shape(), Shape::rgb(16, 64));
}

#[test]
fn random_states_round_trip_through_pictures_and_text() {
    for (d, t, scale) in [(4, 4, 1), (3, 9, 1), (5, 9, 1), (4, 4, 3), (13, 3, 1)] {
        let h = hanoi(d, t, scale);
        let mut r = rng(1, 0);
        for _ in 0..200 {
            let s = h.random_state(&mut r);
            let img = h.render(&s, &mut r);
            assert_eq!(img.shape(), h.shape());
            let parsed = h
                .parse(&img)
                .unwrap_or_else(|e| panic!("{}: {e}", h.format(&s)));
            assert_eq!(
                parsed,
                Parsed {
                    state: s.clone(),
                    distance: 0.0
                }
            );
            assert_eq!(h.read(&h.format(&s)).unwrap(), s);
        }
    }
}

#[test]
fn goal_is_everything_on_the_last_tower() {
    let h = hanoi(4, 4, 1);
    assert_eq!(h.format(&h.goal()), "- | - | - | 4 3 2 1");
}

#[test]
fn every_sampled_pair_is_a_legal_move() {
    let h = hanoi(4, 4, 1);
    for (pre, suc) in h.sample_transitions(500, &mut rng(2, 0)).unwrap() {
        let moved: Vec<usize> = (0..4).filter(|&i| pre[i] != suc[i]).collect();
        assert_eq!(moved.len(), 1, "{} -> {}", h.format(&pre), h.format(&suc));
        let disk = moved[0];
        // The moved disk was on top of its tower and lands on a larger one (or an empty tower).
        assert!((0..disk).all(|i| pre[i] != pre[disk] && pre[i] != suc[disk]));
        assert!(h.is_move(&suc, &pre));
    }
}

#[test]
fn problem_distances_are_confirmed_by_search() {
    let h = hanoi(4, 4, 1);
    let (all, done) = search::reachable(&h.goal(), 1_000_000, |s| h.successors(s));
    assert!(done);
    assert_eq!(all.len(), 4usize.pow(4));
    for p in h.problems(7, 20, &mut rng(3, 0)).unwrap() {
        assert_eq!(p.goal, h.goal());
        let depth = all.iter().find(|(s, _)| *s == p.init).map(|(_, d)| *d);
        assert_eq!(depth, Some(7));
        assert_eq!(p.optimal, 7);
    }
}

#[test]
fn same_seed_same_bytes() {
    let h = hanoi(3, 9, 1);
    let a = h.sample_transitions(50, &mut rng(9, 0)).unwrap();
    let b = h.sample_transitions(50, &mut rng(9, 0)).unwrap();
    assert_eq!(a, b);
    let img = |s: &Code| h.render(s, &mut rng(9, 1)).to_u8();
    assert_eq!(img(&a[0].0), img(&b[0].0));
}

/// Paints slot (`tower`, `level`) of a scale-1 picture with `colour`.
fn paint(img: &mut Image, disks: usize, tower: usize, level: usize, colour: [f32; 3]) {
    for x in 4 * tower..4 * tower + 4 {
        for (c, v) in colour.iter().enumerate() {
            img.set(disks - 1 - level, x, c, *v);
        }
    }
}

fn rejection(h: &Hanoi, img: &Image) -> String {
    match h.parse(img) {
        Err(Rejection::Invalid(why)) => why,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn bad_pictures_are_rejected_with_a_reason() {
    let h = hanoi(3, 3, 1);
    let start = h.read("3 2 1 | - | -").unwrap();
    let clean = h.render(&start, &mut rng(0, 0));
    let colour_of = |level: usize| {
        [
            clean.get(2 - level, 0, 0),
            clean.get(2 - level, 0, 1),
            clean.get(2 - level, 0, 2),
        ]
    };
    let (big, small) = (colour_of(0), colour_of(2));

    let mut swapped = clean.clone();
    paint(&mut swapped, 3, 0, 0, small);
    paint(&mut swapped, 3, 0, 2, big);
    assert!(
        rejection(&h, &swapped).contains("lies on the smaller disk"),
        "{}",
        rejection(&h, &swapped)
    );

    let mut floating = h.render(&h.read("3 | 2 | 1").unwrap(), &mut rng(0, 0));
    paint(&mut floating, 3, 2, 0, [0.5; 3]);
    paint(&mut floating, 3, 2, 1, small);
    assert!(
        rejection(&h, &floating).contains("floats"),
        "{}",
        rejection(&h, &floating)
    );

    let mut missing = clean.clone();
    paint(&mut missing, 3, 0, 2, [0.5; 3]);
    assert!(
        rejection(&h, &missing).contains("disk(s) 1 missing"),
        "{}",
        rejection(&h, &missing)
    );

    let mut twice = clean.clone();
    paint(&mut twice, 3, 1, 0, small);
    assert!(
        rejection(&h, &twice).contains("appears twice"),
        "{}",
        rejection(&h, &twice)
    );

    let mut smudge = clean.clone();
    paint(&mut smudge, 3, 2, 0, [0.0, 0.0, 0.0]);
    assert!(
        rejection(&h, &smudge).contains("tower 3, level 0"),
        "{}",
        rejection(&h, &smudge)
    );

    let wrong = Image::filled(Shape::rgb(4, 12), 0.5);
    assert!(matches!(h.parse(&wrong), Err(Rejection::WrongShape { .. })));
}

#[test]
fn bad_configs_and_text_are_errors() {
    assert!(Hanoi::new(&HanoiConfig {
        disks: 14,
        towers: 3,
        scale: 1
    })
    .is_err());
    assert!(Hanoi::new(&HanoiConfig {
        disks: 3,
        towers: 2,
        scale: 1
    })
    .is_err());
    let h = hanoi(3, 3, 1);
    assert!(h.read("1 2 | 3 | -").is_err());
    assert!(h.read("2 1 | 3 | -").is_ok());
    assert!(h
        .read("3 2 1 | -")
        .unwrap_err()
        .to_string()
        .contains("expected 3 disks on 3 towers"));
}

#[test]
fn mild_noise_is_tolerated() {
    let h = hanoi(5, 9, 1);
    let mut r = rng(8, 0);
    for _ in 0..100 {
        let s = h.random_state(&mut r);
        let mut img = h.render(&s, &mut r);
        img.add_noise(0.05, &mut r);
        assert_eq!(h.parse(&img).unwrap().state, s);
    }
}
