//! Handwritten-style digit tiles drawn by the project's own code.
//!
//! Each digit is a few pen strokes (polylines and arcs) in a unit box. A seed
//! gives each digit its own hand: slant, rotation, scale, offset, wobbly
//! control points and pen width all vary, like one writer's MNIST digits. Tiles
//! are white ink on black, anti-aliased by 4×4 supersampling.

use std::f32::consts::PI;

use rand::Rng as _;

use crate::domain::{Image, Shape};
use crate::util::Rng;

/// A point in the unit box, x to the right, y down.
type Pt = (f32, f32);

/// Points on an ellipse arc; angles in degrees, 0 = right, 90 = down.
fn arc(c: Pt, r: Pt, from: f32, to: f32) -> Vec<Pt> {
    let steps = ((to - from).abs() / 12.0).ceil().max(2.0) as usize;
    (0..=steps)
        .map(|i| {
            let a = (from + (to - from) * i as f32 / steps as f32) * PI / 180.0;
            (c.0 + r.0 * a.cos(), c.1 + r.1 * a.sin())
        })
        .collect()
}

fn join(parts: &[Vec<Pt>]) -> Vec<Pt> {
    parts.concat()
}

/// The pen strokes of digit `d` (0–9) in the unit box.
fn strokes(d: u8) -> Vec<Vec<Pt>> {
    match d {
        0 => vec![arc((0.5, 0.5), (0.27, 0.37), -90.0, 275.0)],
        1 => vec![vec![(0.36, 0.26), (0.53, 0.12), (0.53, 0.88)]],
        2 => vec![join(&[
            arc((0.5, 0.34), (0.23, 0.21), 195.0, 390.0),
            vec![(0.24, 0.86), (0.8, 0.86)],
        ])],
        3 => vec![join(&[
            arc((0.48, 0.31), (0.21, 0.19), 200.0, 450.0),
            arc((0.48, 0.68), (0.24, 0.2), 270.0, 520.0),
        ])],
        4 => vec![vec![(0.63, 0.88), (0.63, 0.12), (0.2, 0.62), (0.82, 0.62)]],
        5 => vec![join(&[
            vec![(0.76, 0.13), (0.33, 0.13), (0.29, 0.46)],
            arc((0.5, 0.64), (0.25, 0.23), 215.0, 515.0),
        ])],
        6 => vec![join(&[
            vec![(0.7, 0.12), (0.46, 0.28)],
            arc((0.5, 0.65), (0.23, 0.22), 210.0, 575.0),
        ])],
        7 => vec![vec![(0.2, 0.14), (0.8, 0.14), (0.42, 0.88)]],
        8 => vec![
            arc((0.5, 0.3), (0.18, 0.17), -90.0, 270.0),
            arc((0.5, 0.68), (0.22, 0.2), -90.0, 270.0),
        ],
        _ => vec![join(&[
            arc((0.5, 0.35), (0.21, 0.2), 0.0, 365.0),
            vec![(0.71, 0.36), (0.6, 0.88)],
        ])],
    }
}

/// One writer's hand: a random affine transform, point wobble and pen width.
struct Hand {
    slant: f32,
    rot: f32,
    scale: (f32, f32),
    shift: Pt,
    wobble: f32,
    pen: f32,
}

impl Hand {
    fn random(rng: &mut Rng) -> Hand {
        Hand {
            slant: rng.random_range(-0.25..0.1),
            rot: rng.random_range(-0.12..0.12),
            scale: (rng.random_range(0.78..0.98), rng.random_range(0.82..0.98)),
            shift: (rng.random_range(-0.04..0.04), rng.random_range(-0.03..0.03)),
            wobble: rng.random_range(0.01..0.035),
            pen: rng.random_range(0.09..0.14),
        }
    }

    fn apply(&self, p: Pt, rng: &mut Rng) -> Pt {
        let (x, y) = (
            p.0 - 0.5 + rng.random_range(-self.wobble..self.wobble),
            p.1 - 0.5 + rng.random_range(-self.wobble..self.wobble),
        );
        let (x, y) = (x * self.scale.0 - y * self.slant, y * self.scale.1);
        let (s, c) = self.rot.sin_cos();
        (
            0.5 + self.shift.0 + x * c - y * s,
            0.5 + self.shift.1 + x * s + y * c,
        )
    }
}

/// Distance from `p` to the segment `a`–`b`.
fn segment_distance(p: Pt, a: Pt, b: Pt) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a.0 + t * dx - p.0, a.1 + t * dy - p.1);
    (qx * qx + qy * qy).sqrt()
}

/// Rasterizes polylines with a round pen of width `pen` (unit-box units) into
/// a `size × size` gray image, 4×4 supersampled.
fn rasterize(lines: &[Vec<Pt>], pen: f32, size: usize) -> Image {
    const SS: usize = 4;
    let mut img = Image::filled(Shape::gray(size, size), 0.0);
    for y in 0..size {
        for x in 0..size {
            let mut hits = 0;
            for sy in 0..SS {
                for sx in 0..SS {
                    let p = (
                        (x as f32 + (sx as f32 + 0.5) / SS as f32) / size as f32,
                        (y as f32 + (sy as f32 + 0.5) / SS as f32) / size as f32,
                    );
                    let near = lines.iter().any(|l| {
                        l.windows(2)
                            .any(|w| segment_distance(p, w[0], w[1]) <= pen / 2.0)
                    });
                    hits += usize::from(near);
                }
            }
            img.set(y, x, 0, hits as f32 / (SS * SS) as f32);
        }
    }
    img
}

/// Draws the number `n` (one or two digits) as a handwritten tile.
fn draw_number(n: usize, size: usize, rng: &mut Rng) -> Image {
    let digits: Vec<u8> = n.to_string().bytes().map(|b| b - b'0').collect();
    let hand = Hand::random(rng);
    let k = digits.len() as f32;
    let mut lines = Vec::new();
    for (i, &d) in digits.iter().enumerate() {
        for stroke in strokes(d) {
            let placed = stroke
                .iter()
                .map(|&p| {
                    let q = hand.apply(p, rng);
                    // Squeeze several digits side by side into the box.
                    (
                        (q.0 + i as f32) / k,
                        if k > 1.0 {
                            0.5 + (q.1 - 0.5) / k.sqrt()
                        } else {
                            q.1
                        },
                    )
                })
                .collect();
            lines.push(placed);
        }
    }
    rasterize(&lines, hand.pen / k.sqrt(), size)
}

/// `count` handwritten-style tiles showing 0, 1, …, count − 1, each
/// `size × size` gray, in one hand chosen by `rng`.
pub fn digit_tiles(count: usize, size: usize, rng: &mut Rng) -> Vec<Image> {
    (0..count).map(|n| draw_number(n, size, rng)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_have_ink_and_differ_between_seeds() {
        let a = digit_tiles(10, 16, &mut crate::util::rng(1, 0));
        let b = digit_tiles(10, 16, &mut crate::util::rng(2, 0));
        for (i, t) in a.iter().enumerate() {
            let ink: f32 = t.data().iter().sum::<f32>() / t.data().len() as f32;
            assert!((0.08..0.6).contains(&ink), "digit {i} has ink share {ink}");
            assert!(
                t.mean_abs_diff(&b[i]).unwrap() > 0.02,
                "digit {i} looks the same in two hands"
            );
        }
    }

    #[test]
    fn segment_distance_by_hand() {
        assert!((segment_distance((0.5, 1.0), (0.0, 0.0), (1.0, 0.0)) - 1.0).abs() < 1e-6);
        assert!((segment_distance((2.0, 0.0), (0.0, 0.0), (1.0, 0.0)) - 1.0).abs() < 1e-6);
    }
}
