//! The built-in picture for picture puzzles (Latplan used the Mandrill photo;
//! we ship no photos, so the project paints its own): a procedural 224×224
//! gray scene of soft blobs, rings, waves and stripes, rich enough that every
//! piece of a 4×4 or 5×5 cut looks different.

use rand::Rng as _;

use crate::domain::{Image, Shape};

/// Side of the built-in picture in pixels.
const SIDE: usize = 224;

/// The built-in picture (always the same pixels).
pub fn builtin() -> Image {
    let mut rng = crate::util::rng(15, 0);
    let blobs: Vec<[f32; 4]> = (0..14)
        .map(|_| {
            [
                rng.random_range(0.0..1.0),
                rng.random_range(0.0..1.0),
                rng.random_range(0.04..0.14),
                rng.random_range(-0.6..0.6),
            ]
        })
        .collect();
    let mut img = Image::filled(Shape::gray(SIDE, SIDE), 0.0);
    for y in 0..SIDE {
        for x in 0..SIDE {
            let (u, v) = (x as f32 / SIDE as f32, y as f32 / SIDE as f32);
            img.set(y, x, 0, scene(u, v, &blobs));
        }
    }
    img
}

/// Brightness of the scene at (`u`, `v`) in the unit square.
fn scene(u: f32, v: f32, blobs: &[[f32; 4]]) -> f32 {
    let mut f = 0.45 + 0.15 * (6.0 * u + 2.0 * v).sin() * (5.0 * v).cos() + 0.2 * (u - v);
    for b in blobs {
        let d2 = (u - b[0]).powi(2) + (v - b[1]).powi(2);
        f += b[3] * (-d2 / (2.0 * b[2] * b[2])).exp();
    }
    let ring = ((u - 0.3).powi(2) + (v - 0.32).powi(2)).sqrt();
    if (0.12..0.16).contains(&ring) {
        f += 0.35;
    }
    let (su, sv) = (u - 0.8, v - 0.2);
    let sun = (su * su + sv * sv).sqrt();
    if sun < 0.07 || (sun < 0.16 && (sv.atan2(su) * 6.0).sin() > 0.6) {
        f += 0.4;
    }
    if v > 0.38 && v < 0.52 && (u - 0.62).abs() < (v - 0.38) * 1.2 {
        f -= 0.45;
    }
    if u > 0.55 && v > 0.55 && (40.0 * (u + v)).sin() > 0.0 {
        f += 0.25;
    }
    if u < 0.45 && v > 0.6 && ((u * 12.0) as i32 + (v * 12.0) as i32) % 2 == 0 {
        f -= 0.2;
    }
    f
}
