//! From stored transition pixels to tensors: per-pixel normalization computed
//! from the training split (Latplan §1.2: `(x − mean) / std`), batches of
//! inputs and reconstruction targets, and the way back from decoder output to images.

use std::ops::Range;

use candle_core::{DType, Device, Result, Tensor};
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

/// The transitions' pixels kept on the compute device for a whole training
/// run, as `u8` (a quarter of the floats' size), and made into batches there:
/// a batch is an index selection and three elementwise passes, with no copy
/// from the host and nothing computed on it. Each batch equals [`batch`] bit
/// for bit (the same IEEE operations in the same order).
pub struct Resident {
    /// `u8 [n, height, width, channels]`, images before and after.
    pre: Tensor,
    suc: Tensor,
    /// `f32 [height, width, channels]` of the [`Normalization`].
    mean: Tensor,
    std: Tensor,
    /// `f32 []`: 255, the divisor from bytes to [0, 1].
    full: Tensor,
    output: Output,
}

impl Resident {
    /// Copies the pixels of `pairs` to `device` once.
    pub fn new(
        pairs: &Pairs,
        norm: &Normalization,
        output: Output,
        device: &Device,
    ) -> Result<Self> {
        let s = pairs.shape;
        let dims = (pairs.len(), s.height, s.width, s.channels);
        let (mean, std) = norm.tensors(s, device)?;
        Ok(Resident {
            pre: Tensor::from_slice(pairs.pre, dims, device)?,
            suc: Tensor::from_slice(pairs.suc, dims, device)?,
            mean,
            std,
            full: Tensor::new(255f32, device)?,
            output,
        })
    }

    /// Indices as a `u32` tensor on the data's device (one small copy, e.g.
    /// an epoch's whole batch order, narrowed per batch after).
    pub fn indices(&self, indices: &[usize]) -> Result<Tensor> {
        let ids: Vec<u32> = indices.iter().map(|&i| i as u32).collect();
        Tensor::new(ids.as_slice(), self.pre.device())
    }

    /// The batch of the transitions `ids` (`u32 [batch]` on the data's device).
    ///
    /// # Shapes
    /// every field of the result: `[ids.len(), height, width, channels]`.
    pub fn batch(&self, ids: &Tensor) -> Result<Batch> {
        let side = |images: &Tensor| -> Result<(Tensor, Tensor)> {
            let raw = images
                .index_select(ids, 0)?
                .to_dtype(DType::F32)?
                .broadcast_div(&self.full)?;
            let x = raw.broadcast_sub(&self.mean)?.broadcast_div(&self.std)?;
            let t = match self.output {
                Output::Bernoulli => raw,
                Output::Gaussian { .. } => x.clone(),
            };
            Ok((x, t))
        };
        let (x0, t0) = side(&self.pre)?;
        let (x1, t1) = side(&self.suc)?;
        Ok(Batch { x0, x1, t0, t1 })
    }

    /// The batch of the transitions `indices` (copies the indices only).
    pub fn batch_of(&self, indices: &[usize]) -> Result<Batch> {
        self.batch(&self.indices(indices)?)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes of every value, so that equality means bit for bit.
    fn bits(t: &Tensor) -> Vec<u32> {
        let v = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        v.into_iter().map(f32::to_bits).collect()
    }

    #[test]
    fn resident_batches_equal_host_batches_bit_for_bit() {
        let shape = Shape {
            height: 3,
            width: 2,
            channels: 3,
        };
        let n = 7;
        let pre: Vec<u8> = (0..n * shape.len()).map(|i| (i * 37 % 256) as u8).collect();
        let suc: Vec<u8> = (0..n * shape.len()).map(|i| (i * 91 % 251) as u8).collect();
        let pairs = Pairs {
            shape,
            pre: &pre,
            suc: &suc,
        };
        let norm = Normalization::from_pairs(&pairs, 0..5);
        let indices = [4, 0, 6, 6, 2];
        for output in [Output::Bernoulli, Output::Gaussian { sigma: 0.1 }] {
            let host = batch(&pairs, &indices, &norm, output, &Device::Cpu).unwrap();
            let data = Resident::new(&pairs, &norm, output, &Device::Cpu).unwrap();
            let all = data.indices(&[1, 4, 0, 6, 6, 2, 3]).unwrap();
            let resident = data.batch(&all.narrow(0, 1, 5).unwrap()).unwrap();
            for (h, r) in [
                (&host.x0, &resident.x0),
                (&host.x1, &resident.x1),
                (&host.t0, &resident.t0),
                (&host.t1, &resident.t1),
            ] {
                assert_eq!(h.dims(), r.dims());
                assert_eq!(bits(h), bits(r), "{output:?}");
            }
        }
    }
}
