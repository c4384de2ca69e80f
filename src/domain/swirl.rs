//! The swirl distortion of Twisted LightsOut (scikit-image's `swirl`, which
//! Latplan uses with strength 3, rotation 0, radius 0.75·H, bilinear order 1).
//!
//! Output pixel (x, y) samples the input at the point rotated about the image
//! centre by `θ = strength · exp(−ρ / r')`, where ρ is the distance to the
//! centre and `r' = radius / 5 · ln 2`. The rotation angle depends on ρ only,
//! so the swirl with `−strength` is its exact inverse in continuous space. The
//! warp is precomputed as four (index, weight) taps per output pixel.

use super::{Image, Shape};

/// A precomputed bilinear warp of one image shape.
#[derive(Debug, Clone)]
pub struct Warp {
    shape: Shape,
    taps: Vec<[(u32, f32); 4]>,
}

impl Warp {
    /// The swirl of an image of `shape` with the given strength and radius.
    pub fn swirl(shape: Shape, strength: f32, radius: f32) -> Warp {
        let (h, w) = (shape.height, shape.width);
        let (cx, cy) = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
        let decay = radius / 5.0 * std::f32::consts::LN_2;
        let mut taps = Vec::with_capacity(h * w);
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let rho = (dx * dx + dy * dy).sqrt();
                let theta = strength * (-rho / decay).exp() + dy.atan2(dx);
                taps.push(bilinear_taps(
                    cx + rho * theta.cos(),
                    cy + rho * theta.sin(),
                    h,
                    w,
                ));
            }
        }
        Warp { shape, taps }
    }

    /// Applies the warp to every channel; pixels sampled outside are 0.
    pub fn apply(&self, img: &Image) -> Image {
        let c = img.shape().channels;
        let mut out = Image::filled(
            Shape {
                channels: c,
                ..self.shape
            },
            0.0,
        );
        for (i, taps) in self.taps.iter().enumerate() {
            for ch in 0..c {
                let v: f32 = taps
                    .iter()
                    .map(|&(j, wgt)| wgt * img.data()[j as usize * c + ch])
                    .sum();
                out.data_mut()[i * c + ch] = v;
            }
        }
        out
    }
}

/// The four bilinear taps for sampling at (`x`, `y`); taps outside get weight 0.
fn bilinear_taps(x: f32, y: f32, h: usize, w: usize) -> [(u32, f32); 4] {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let mut taps = [(0u32, 0.0f32); 4];
    for (k, (oy, ox, wgt)) in [
        (0, 0, (1.0 - fx) * (1.0 - fy)),
        (0, 1, fx * (1.0 - fy)),
        (1, 0, (1.0 - fx) * fy),
        (1, 1, fx * fy),
    ]
    .into_iter()
    .enumerate()
    {
        let (yy, xx) = (y0 as i64 + oy, x0 as i64 + ox);
        if yy >= 0 && xx >= 0 && (yy as usize) < h && (xx as usize) < w {
            taps[k] = ((yy as usize * w + xx as usize) as u32, wgt);
        }
    }
    taps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_strength_is_identity_and_inverse_undoes() {
        let shape = Shape::gray(21, 21);
        let mut img = Image::filled(shape, 0.0);
        for y in 5..16 {
            img.set(y, 10, 0, 1.0);
        }
        let id = Warp::swirl(shape, 0.0, 15.0).apply(&img);
        assert!(id.mean_abs_diff(&img).unwrap() < 1e-5);
        let twisted = Warp::swirl(shape, 3.0, 15.0).apply(&img);
        assert!(
            twisted.mean_abs_diff(&img).unwrap() > 0.01,
            "the swirl must move pixels"
        );
        let back = Warp::swirl(shape, -3.0, 15.0).apply(&twisted);
        assert!(back.mean_abs_diff(&img).unwrap() < twisted.mean_abs_diff(&img).unwrap() / 2.0);
    }
}
