//! A small owned raster: `f32` pixels in [0, 1], row-major, channels last (HWC).
//!
//! Renderers produce it, parsers read it, datasets store it quantized to `u8`,
//! and the model later consumes and produces it. PNG/JPEG input and PNG output
//! go through the `image` crate; every error names the file.

use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

/// Height, width and channel count of an image (channels: 1 = gray, 3 = RGB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shape {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// 1 (gray) or 3 (RGB).
    pub channels: usize,
}

impl Shape {
    /// A gray shape.
    pub fn gray(height: usize, width: usize) -> Self {
        Shape {
            height,
            width,
            channels: 1,
        }
    }

    /// An RGB shape.
    pub fn rgb(height: usize, width: usize) -> Self {
        Shape {
            height,
            width,
            channels: 3,
        }
    }

    /// Number of values (`height * width * channels`).
    pub fn len(&self) -> usize {
        self.height * self.width * self.channels
    }

    /// True for a zero-sized shape.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.channels == 1 { "gray" } else { "RGB" };
        write!(f, "{}×{} {}", self.height, self.width, kind)
    }
}

/// An image with `f32` pixels in [0, 1], HWC layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    shape: Shape,
    data: Vec<f32>,
}

impl Image {
    /// An image filled with `value`.
    pub fn filled(shape: Shape, value: f32) -> Self {
        Image {
            shape,
            data: vec![value; shape.len()],
        }
    }

    /// Wraps pixel data; `data.len()` must equal `shape.len()`.
    pub fn from_vec(shape: Shape, data: Vec<f32>) -> anyhow::Result<Self> {
        if data.len() != shape.len() {
            bail!(
                "pixel buffer has {} values, expected {} for {shape}",
                data.len(),
                shape.len()
            );
        }
        Ok(Image { shape, data })
    }

    /// Decodes `u8` pixels (0..=255) into [0, 1].
    pub fn from_u8(shape: Shape, bytes: &[u8]) -> anyhow::Result<Self> {
        Self::from_vec(shape, bytes.iter().map(|&b| f32::from(b) / 255.0).collect())
    }

    /// Quantizes to `u8` (round to nearest, clamped).
    pub fn to_u8(&self) -> Vec<u8> {
        self.data.iter().map(|&v| quantize(v)).collect()
    }

    /// The shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Pixel values, HWC.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Mutable pixel values, HWC.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The value at row `y`, column `x`, channel `c`.
    pub fn get(&self, y: usize, x: usize, c: usize) -> f32 {
        self.data[(y * self.shape.width + x) * self.shape.channels + c]
    }

    /// Sets the value at row `y`, column `x`, channel `c`.
    pub fn set(&mut self, y: usize, x: usize, c: usize, v: f32) {
        let i = (y * self.shape.width + x) * self.shape.channels + c;
        self.data[i] = v;
    }

    /// Copies a `h × w` block starting at (`y0`, `x0`).
    pub fn crop(&self, y0: usize, x0: usize, h: usize, w: usize) -> Image {
        let c = self.shape.channels;
        let mut out = Vec::with_capacity(h * w * c);
        for y in y0..y0 + h {
            let start = (y * self.shape.width + x0) * c;
            out.extend_from_slice(&self.data[start..start + w * c]);
        }
        Image {
            shape: Shape {
                height: h,
                width: w,
                channels: c,
            },
            data: out,
        }
    }

    /// Pastes `src` with its top-left corner at (`y0`, `x0`); channels must match.
    pub fn paste(&mut self, src: &Image, y0: usize, x0: usize) {
        let c = self.shape.channels;
        let w = src.shape.width;
        for y in 0..src.shape.height {
            let dst = ((y0 + y) * self.shape.width + x0) * c;
            let s = y * w * c;
            self.data[dst..dst + w * c].copy_from_slice(&src.data[s..s + w * c]);
        }
    }

    /// Mean absolute difference per value; `None` if the shapes differ.
    pub fn mean_abs_diff(&self, other: &Image) -> Option<f32> {
        (self.shape == other.shape).then(|| {
            let sum: f32 = self
                .data
                .iter()
                .zip(&other.data)
                .map(|(a, b)| (a - b).abs())
                .sum();
            sum / self.data.len().max(1) as f32
        })
    }

    /// Converts to one channel by averaging (gray images are returned as is).
    pub fn to_gray(&self) -> Image {
        if self.shape.channels == 1 {
            return self.clone();
        }
        let c = self.shape.channels;
        let data = self
            .data
            .chunks(c)
            .map(|px| px.iter().sum::<f32>() / c as f32)
            .collect();
        Image {
            shape: Shape {
                channels: 1,
                ..self.shape
            },
            data,
        }
    }

    /// Area-averaging resize (box filter over the exact source footprint of
    /// each output pixel), good for shrinking pictures into tiles.
    pub fn resize_area(&self, height: usize, width: usize) -> Image {
        let (sh, sw, c) = (self.shape.height, self.shape.width, self.shape.channels);
        let shape = Shape {
            height,
            width,
            channels: c,
        };
        let mut out = vec![0.0f32; shape.len()];
        let (fy, fx) = (sh as f64 / height as f64, sw as f64 / width as f64);
        for oy in 0..height {
            let (y0, y1) = (oy as f64 * fy, (oy + 1) as f64 * fy);
            for ox in 0..width {
                let (x0, x1) = (ox as f64 * fx, (ox + 1) as f64 * fx);
                let mut acc = vec![0.0f64; c];
                let mut total = 0.0f64;
                for sy in y0.floor() as usize..(y1.ceil() as usize).min(sh) {
                    let wy = overlap(sy as f64, y0, y1);
                    for sx in x0.floor() as usize..(x1.ceil() as usize).min(sw) {
                        let wgt = wy * overlap(sx as f64, x0, x1);
                        for (ch, a) in acc.iter_mut().enumerate() {
                            *a += wgt * f64::from(self.get(sy, sx, ch));
                        }
                        total += wgt;
                    }
                }
                for (ch, a) in acc.iter().enumerate() {
                    out[(oy * width + ox) * c + ch] = (a / total.max(1e-12)) as f32;
                }
            }
        }
        Image { shape, data: out }
    }

    /// Enlarges by an integer `factor`, each pixel becoming a block.
    pub fn upscale(&self, factor: usize) -> Image {
        let factor = factor.max(1);
        let s = self.shape;
        let shape = Shape {
            height: s.height * factor,
            width: s.width * factor,
            channels: s.channels,
        };
        let mut data = Vec::with_capacity(shape.len());
        for y in 0..shape.height {
            for x in 0..shape.width {
                let i = ((y / factor) * s.width + x / factor) * s.channels;
                data.extend_from_slice(&self.data[i..i + s.channels]);
            }
        }
        Image { shape, data }
    }

    /// Adds Gaussian noise of standard deviation `sigma` and clamps to [0, 1].
    pub fn add_noise(&mut self, sigma: f32, rng: &mut crate::util::Rng) {
        use rand_distr::{Distribution, Normal};
        if sigma <= 0.0 {
            return;
        }
        if let Ok(normal) = Normal::new(0.0f32, sigma) {
            for v in &mut self.data {
                *v = (*v + normal.sample(rng)).clamp(0.0, 1.0);
            }
        }
    }

    /// Reads a PNG, JPEG, GIF or BMP file as gray (`channels = 1`) or RGB (`3`).
    pub fn load(path: &Path, channels: usize) -> anyhow::Result<Image> {
        let img = image::ImageReader::open(path)
            .with_context(|| format!("cannot open image {}", path.display()))?
            .with_guessed_format()
            .with_context(|| format!("cannot read image {}", path.display()))?
            .decode()
            .with_context(|| {
                format!(
                    "{} is not a readable image (expected PNG, JPEG, GIF or BMP)",
                    path.display()
                )
            })?;
        let (w, h) = (img.width() as usize, img.height() as usize);
        let bytes = match channels {
            1 => img.to_luma8().into_raw(),
            3 => img.to_rgb8().into_raw(),
            n => bail!("unsupported channel count {n}: expected 1 or 3"),
        };
        Image::from_u8(
            Shape {
                height: h,
                width: w,
                channels,
            },
            &bytes,
        )
    }

    /// Reads an image that must have exactly `shape`, naming the file and both
    /// sizes when it does not.
    pub fn load_exact(path: &Path, shape: Shape) -> anyhow::Result<Image> {
        let img = Self::load(path, shape.channels)?;
        if img.shape != shape {
            bail!(
                "{} is {}×{} pixels, expected {}×{} ({shape})",
                path.display(),
                img.shape.height,
                img.shape.width,
                shape.height,
                shape.width
            );
        }
        Ok(img)
    }

    /// Encodes as PNG bytes (gray or RGB, 8 bit).
    pub fn to_png(&self) -> anyhow::Result<Vec<u8>> {
        let color = match self.shape.channels {
            1 => image::ExtendedColorType::L8,
            3 => image::ExtendedColorType::Rgb8,
            n => bail!("cannot write a {n}-channel image as PNG"),
        };
        let mut out = Vec::new();
        let encoder = image::codecs::png::PngEncoder::new(&mut out);
        image::ImageEncoder::write_image(
            encoder,
            &self.to_u8(),
            self.shape.width as u32,
            self.shape.height as u32,
            color,
        )
        .context("cannot encode PNG")?;
        Ok(out)
    }

    /// Writes a PNG atomically.
    pub fn save_png(&self, path: &Path) -> anyhow::Result<()> {
        crate::util::write_atomic(path, &self.to_png()?)
    }
}

/// Rounds a [0, 1] value to a byte.
pub fn quantize(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// Length of the overlap of pixel `[p, p + 1)` with `[a, b)`.
fn overlap(p: f64, a: f64, b: f64) -> f64 {
    ((p + 1.0).min(b) - p.max(a)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip_is_exact_on_quantized_values() {
        let shape = Shape::rgb(3, 5);
        let bytes: Vec<u8> = (0..shape.len()).map(|i| (i * 17 % 256) as u8).collect();
        let img = Image::from_u8(shape, &bytes).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.png");
        img.save_png(&p).unwrap();
        assert_eq!(Image::load_exact(&p, shape).unwrap(), img);
    }

    #[test]
    fn resize_area_averages_blocks() {
        let img = Image::from_vec(
            Shape::gray(2, 4),
            vec![0.0, 1.0, 0.5, 0.5, 1.0, 0.0, 0.25, 0.75],
        )
        .unwrap();
        let small = img.resize_area(1, 2);
        assert_eq!(small.data(), &[0.5, 0.5]);
    }

    #[test]
    fn crop_and_paste_are_inverse() {
        let shape = Shape::gray(4, 4);
        let img = Image::from_vec(shape, (0..16).map(|i| i as f32 / 16.0).collect()).unwrap();
        let part = img.crop(1, 2, 2, 2);
        assert_eq!(
            part.data(),
            &[6.0 / 16.0, 7.0 / 16.0, 10.0 / 16.0, 11.0 / 16.0]
        );
        let mut blank = Image::filled(shape, 0.0);
        blank.paste(&part, 1, 2);
        assert_eq!(blank.get(2, 3, 0), 11.0 / 16.0);
    }
}
