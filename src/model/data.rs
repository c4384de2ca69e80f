//! From stored transition pixels to tensors: per-pixel normalization computed
//! from the training split (Latplan §1.2: `(x − mean) / std`), batches of
//! inputs and reconstruction targets, and the way back from decoder output to images.

use std::ops::Range;

use candle_core::{Device, Result, Tensor};
use candle_nn::ops;

use super::config::Output;
use crate::domain::{Image, Shape};

/// Lower bound of a pixel's standard deviation, so pixels (nearly) constant in
/// the data do not amplify noise at test time.
pub const STD_FLOOR: f32 = 0.1;

/// Transition pixels: `pre` and `suc` are `u8` `[n, height, width, channels]`, flattened.
#[derive(Clone, Copy)]
pub struct Pairs<'a> {
    /// Size of every image.
    pub shape: Shape,
    /// Images before each transition.
    pub pre: &'a [u8],
    /// Images after each transition.
    pub suc: &'a [u8],
}

impl Pairs<'_> {
    /// Number of transitions.
    pub fn len(&self) -> usize {
        self.pre.len() / self.shape.len().max(1)
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pixels of image `i` of `pre` (`false`) or `suc` (`true`).
    pub fn pixels(&self, i: usize, successor: bool) -> &[u8] {
        let n = self.shape.len();
        let source = if successor { self.suc } else { self.pre };
        &source[i * n..(i + 1) * n]
    }
}

/// Per-pixel mean and standard deviation (HWC order).
#[derive(Debug, Clone, PartialEq)]
pub struct Normalization {
    /// Mean of each pixel over the training images.
    pub mean: Vec<f32>,
    /// Standard deviation of each pixel, at least [`STD_FLOOR`].
    pub std: Vec<f32>,
}

impl Normalization {
    /// Statistics over the `pre` and `suc` images of the transitions in `range`.
    pub fn from_pairs(pairs: &Pairs, range: Range<usize>) -> Self {
        let n = pairs.shape.len();
        let (mut sum, mut sq) = (vec![0f64; n], vec![0f64; n]);
        let mut count = 0f64;
        for i in range {
            for successor in [false, true] {
                for (k, &p) in pairs.pixels(i, successor).iter().enumerate() {
                    let v = f64::from(p) / 255.0;
                    sum[k] += v;
                    sq[k] += v * v;
                }
                count += 1.0;
            }
        }
        let count = count.max(1.0);
        let mean: Vec<f32> = sum.iter().map(|s| (s / count) as f32).collect();
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(q, &m)| {
                ((q / count - f64::from(m).powi(2)).max(0.0).sqrt() as f32).max(STD_FLOOR)
            })
            .collect();
        Normalization { mean, std }
    }

    /// Normalizes `[0, 1]` pixels in place.
    pub fn apply(&self, pixels: &mut [f32]) {
        for (k, v) in pixels.iter_mut().enumerate() {
            let n = k % self.mean.len();
            *v = (*v - self.mean[n]) / self.std[n];
        }
    }

    /// The mean and std as tensors of `shape` (for saving).
    pub fn tensors(&self, shape: Shape, device: &Device) -> Result<(Tensor, Tensor)> {
        let dims = (shape.height, shape.width, shape.channels);
        Ok((
            Tensor::from_slice(&self.mean, dims, device)?,
            Tensor::from_slice(&self.std, dims, device)?,
        ))
    }
}

/// One batch: normalized inputs and reconstruction targets, each `[batch, h, w, c]`.
pub struct Batch {
    /// Normalized images before.
    pub x0: Tensor,
    /// Normalized images after.
    pub x1: Tensor,
    /// Targets for `x0` (raw for Bernoulli output, normalized for Gaussian).
    pub t0: Tensor,
    /// Targets for `x1`.
    pub t1: Tensor,
}

/// The tensors of the transitions `indices`.
///
/// # Shapes
/// every field of the result: `[indices.len(), height, width, channels]`.
pub fn batch(
    pairs: &Pairs,
    indices: &[usize],
    norm: &Normalization,
    output: Output,
    device: &Device,
) -> Result<Batch> {
    let s = pairs.shape;
    let dims = (indices.len(), s.height, s.width, s.channels);
    let side = |successor: bool| -> Result<(Tensor, Tensor)> {
        let raw: Vec<f32> = indices
            .iter()
            .flat_map(|&i| {
                pairs
                    .pixels(i, successor)
                    .iter()
                    .map(|&p| f32::from(p) / 255.0)
            })
            .collect();
        let mut normalized = raw.clone();
        norm.apply(&mut normalized);
        let x = Tensor::from_vec(normalized, dims, device)?;
        let t = match output {
            Output::Bernoulli => Tensor::from_vec(raw, dims, device)?,
            Output::Gaussian { .. } => x.clone(),
        };
        Ok((x, t))
    };
    let (x0, t0) = side(false)?;
    let (x1, t1) = side(true)?;
    Ok(Batch { x0, x1, t0, t1 })
}

/// Normalized input tensor of images (all of `shape`).
///
/// # Shapes
/// result: `[images.len(), height, width, channels]`.
pub fn images_to_input(
    images: &[Image],
    shape: Shape,
    norm: &Normalization,
    device: &Device,
) -> Result<Tensor> {
    let mut data: Vec<f32> = images
        .iter()
        .flat_map(|im| im.data().iter().copied())
        .collect();
    norm.apply(&mut data);
    Tensor::from_vec(
        data,
        (images.len(), shape.height, shape.width, shape.channels),
        device,
    )
}

/// Images from decoder output: `σ(y)` for Bernoulli, `y·std + mean` clamped to
/// [0, 1] for Gaussian.
///
/// # Shapes
/// `y`: `[n, height, width, channels]`.
pub fn output_to_images(
    y: &Tensor,
    output: Output,
    norm: &Normalization,
    shape: Shape,
) -> anyhow::Result<Vec<Image>> {
    let n = y.dim(0)?;
    let pixels = match output {
        Output::Bernoulli => ops::sigmoid(y)?,
        Output::Gaussian { .. } => {
            let (mean, std) = norm.tensors(shape, y.device())?; // [h, w, c] each
            y.broadcast_mul(&std)?
                .broadcast_add(&mean)?
                .clamp(0f32, 1f32)?
        }
    };
    let flat = pixels.flatten_all()?.to_vec1::<f32>()?;
    let per = shape.len();
    (0..n)
        .map(|i| Image::from_vec(shape, flat[i * per..(i + 1) * per].to_vec()))
        .collect()
}
