//! Tests of the picture rules: learning, judging moves, the file.

use super::*;

/// Four pixels over four moves. Label 1 (moves 0, 1) always starts with
/// pixel 0 on and turns it off, and never touches pixel 3; label 2
/// (moves 2, 3) always starts with pixel 3 off. Pixel 1 is background.
fn learned() -> (PictureRules, Vec<&'static [f32]>, Vec<&'static [f32]>) {
    let pre: Vec<&[f32]> = vec![
        &[1.0, 0.0, 0.0, 1.0],
        &[1.0, 0.0, 1.0, 1.0],
        &[0.0, 0.0, 1.0, 0.0],
        &[1.0, 0.0, 0.0, 0.0],
    ];
    let post: Vec<&[f32]> = vec![
        &[0.0, 0.0, 0.0, 1.0],
        &[0.0, 0.0, 1.0, 1.0],
        &[0.0, 0.0, 1.0, 1.0],
        &[1.0, 0.0, 1.0, 1.0],
    ];
    let groups = [(1, vec![0, 1]), (2, vec![2, 3]), (3, vec![])];
    (PictureRules::learn(&pre, &post, &groups, 1.0), pre, post)
}

#[test]
fn rules_are_the_pixels_steady_within_the_action_and_varying_across_the_data() {
    let (p, _, _) = learned();
    assert_eq!(p.len, 4);
    // Pixel 0 is on in 3 of 4 pre-pictures; pixel 1 never varies.
    assert!((p.reach[0] - (0.75f32 * 0.25).sqrt()).abs() < 1e-6);
    assert_eq!(p.reach[1], 0.0);
    let one = &p.by_label[&1];
    assert_eq!(one.pre.pixels, vec![0, 3]);
    assert_eq!(one.pre.expect, vec![1.0, 1.0]);
    assert_eq!(one.post.pixels, vec![0, 3]);
    assert_eq!(one.post.expect, vec![0.0, 1.0]);
    // Pixel 2 differs between label 1's moves but neither move changes it.
    assert_eq!(one.frame, vec![2, 3]);
    let two = &p.by_label[&2];
    assert_eq!(two.pre.pixels, vec![3]);
    assert_eq!(two.post.pixels, vec![2, 3]);
    // Pixel 0 differs between label 2's moves but neither changes it.
    assert_eq!(two.frame, vec![0]);
    assert!(
        !p.by_label.contains_key(&3),
        "a label without moves gets no rule"
    );
}

#[test]
fn steady_pixels_that_chance_explains_are_left_out() {
    // 100 pictures of 2 pixels: pixel 0 is on in half of them, pixel 1
    // in 90 %. Label 1's moves all start with both on.
    let pictures: Vec<[f32; 2]> = (0..100)
        .map(|i| [(i % 2) as f32, if i % 10 == 0 { 0.0 } else { 1.0 }])
        .collect();
    let pre: Vec<&[f32]> = pictures.iter().map(|p| &p[..]).collect();
    let with_moves = |n: usize| {
        let members: Vec<usize> = (0..100).filter(|i| i % 2 == 1).take(n).collect();
        PictureRules::learn(&pre, &pre, &[(1, members)], SIGNIFICANCE)
    };
    // Three moves: 0.5^3 and 0.9^3 are chance.
    assert!(with_moves(3).by_label[&1].pre.pixels.is_empty());
    // Twelve: 0.5^12 = 2e-4 is not, 0.9^12 = 0.28 still is.
    assert_eq!(with_moves(12).by_label[&1].pre.pixels, vec![0]);
    // Fifty: 0.9^50 = 5e-3 is still chance.
    assert_eq!(with_moves(50).by_label[&1].pre.pixels, vec![0]);
    // Without the test every steady pixel counts.
    let all = (0..100).filter(|i| i % 2 == 1).take(3).collect();
    let plain = PictureRules::learn(&pre, &pre, &[(1, all)], 1.0);
    assert_eq!(plain.by_label[&1].pre.pixels, vec![0, 1]);
}

#[test]
fn moves_that_break_a_rule_are_denied() {
    let (p, pre, post) = learned();
    assert!(p.admits(1, &[1.0, 0.3, 0.0, 0.9]));
    assert!(
        !p.admits(1, &[0.0, 0.0, 0.0, 1.0]),
        "pre: pixel 0 must be on"
    );
    assert_eq!(
        p.contradicted(&p.by_label[&1].pre, &[1.0, 0.0, 0.0, 0.0]),
        0.5
    );
    assert!(p.allows(1, &[1.0, 0.0, 0.0, 1.0], &[0.0, 0.0, 0.0, 1.0]));
    assert!(
        !p.allows(1, &[1.0, 0.0, 0.0, 1.0], &[1.0, 0.0, 0.0, 1.0]),
        "post: pixel 0 must go off"
    );
    assert!(
        !p.allows(1, &[1.0, 0.0, 0.0, 1.0], &[0.0, 0.0, 1.0, 1.0]),
        "frame: pixel 2 must stay"
    );
    assert_eq!(p.changed(&[2, 3], &[0.0; 4], &[0.0, 0.0, 1.0, 0.0]), 0.5);
    assert!(p.allows(7, &[0.0; 4], &[1.0; 4]), "unknown labels pass");
    // The observed moves pass; label 2's first move would not pass as label 1.
    assert_eq!(
        p.denied_share(&pre, &post, &[(1, vec![0, 1]), (2, vec![2, 3])]),
        0.0
    );
    assert_eq!(p.denied_share(&pre, &post, &[(1, vec![0, 2])]), 0.5);
}

#[test]
fn saved_rules_load_the_same_and_a_bad_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(PICTURES);
    let (mut p, _, _) = learned();
    p.self_denied = Some(0.25);
    p.save(&path).unwrap();
    assert_eq!(PictureRules::load(&path).unwrap(), p);
    std::fs::write(&path, b"not safetensors").unwrap();
    let err = format!("{:#}", PictureRules::load(&path).unwrap_err());
    assert!(err.contains(PICTURES), "{err}");
}
