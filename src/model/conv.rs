//! Stride-1 2-D convolutions of the convolutional presets (Latplan JAIR-22
//! §2.2: 5×5 "same" convolutions and transposed convolutions) written as
//! im2col + one matrix product, out of candle tensor operations (pad, narrow,
//! stack, reshape, matmul). Forward and backward then run as copies and one
//! GEMM per layer (cuBLAS on a GPU, `gemm` on the CPU), instead of candle's
//! direct kernels: its `conv_transpose2d` is a naive CUDA kernel, and
//! `conv2d`'s backward goes through it.
//!
//! The layers load the same parameters (names and shapes) as candle_nn's
//! `Conv2d` (`weight [out, in, k, k]`, `bias [out]`) and `ConvTranspose2d`
//! (`weight [in, out, k, k]`, `bias [out]`), so saved models read unchanged.
//! Only stride 1, dilation 1 and one group are supported: what the model uses.

use candle_core::{Module, Result, Tensor};
use candle_nn::{Init, VarBuilder};

/// Cross-correlation of `x` with a kernel given as the matrix `w`, whose
/// columns are ordered (kernel row, kernel column, input channel). With
/// `flip`, kernel position (a, b) reads the input at offset (k−1−a, k−1−b):
/// a correlation with the rotated kernel, i.e. a transposed convolution.
///
/// # Shapes
/// `x`: `[batch, in, height, width]`, `w`: `[out, k·k·in]` ->
/// `[batch, out, height + 2·pad − k + 1, width + 2·pad − k + 1]`.
fn correlate(x: &Tensor, w: &Tensor, k: usize, pad: usize, flip: bool) -> Result<Tensor> {
    let (batch, channels, height, width) = x.dims4()?;
    let (out, cols) = w.dims2()?;
    if cols != channels * k * k || k == 0 {
        candle_core::bail!(
            "convolution: input has {channels} channels and the {k}×{k} kernel matrix {cols} columns"
        );
    }
    let (oh, ow) = match (
        (height + 2 * pad).checked_sub(k),
        (width + 2 * pad).checked_sub(k),
    ) {
        (Some(h), Some(w)) => (h + 1, w + 1),
        _ => candle_core::bail!(
            "convolution: {height}×{width} input is smaller than the {k}×{k} kernel"
        ),
    };
    // Contiguous before padding: candle pads by concatenation, which on a
    // transposed tensor yields a transposed result, and the windows of that
    // would be copied element by element.
    let padded = x
        .transpose(0, 1)? // [in, batch, height, width]
        .contiguous()?
        .pad_with_zeros(2, pad, pad)?
        .pad_with_zeros(3, pad, pad)?; // [in, batch, height + 2·pad, width + 2·pad]
    let mut windows = Vec::with_capacity(k * k);
    for a in 0..k {
        for b in 0..k {
            let (da, db) = if flip { (k - 1 - a, k - 1 - b) } else { (a, b) };
            windows.push(padded.narrow(2, da, oh)?.narrow(3, db, ow)?); // [in, batch, oh, ow]
        }
    }
    // Stacked on the first axis: candle copies each window in blocks of a row
    // (stacking on an inner axis makes it copy element by element on the CPU).
    let columns = Tensor::stack(&windows, 0)? // [k·k, in, batch, oh, ow]
        .reshape((cols, batch * oh * ow))?;
    w.matmul(&columns)? // [out, batch·oh·ow]
        .reshape((out, batch, oh, ow))?
        .transpose(0, 1)? // [batch, out, oh, ow]
        .contiguous()
}

/// Adds a per-channel bias. `y`: `[batch, out, h, w]`, `bias`: `[out]`.
fn add_bias(y: Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    match bias {
        Some(b) => y.broadcast_add(&b.reshape((1, b.dim(0)?, 1, 1))?),
        None => Ok(y),
    }
}

/// A stride-1 convolution with zero padding `padding` (`kernel / 2` is "same").
#[derive(Debug, Clone)]
pub struct Conv2d {
    /// `[out, in, k, k]`.
    weight: Tensor,
    /// `[out]`.
    bias: Option<Tensor>,
    padding: usize,
}

impl Conv2d {
    /// A layer over existing tensors (`weight [out, in, k, k]` square, `bias [out]`).
    pub fn new(weight: Tensor, bias: Option<Tensor>, padding: usize) -> Result<Self> {
        let (_, _, kh, kw) = weight.dims4()?;
        if kh != kw {
            candle_core::bail!("convolution: the kernel must be square, got {kh}×{kw}");
        }
        Ok(Conv2d {
            weight,
            bias,
            padding,
        })
    }

    /// The kernel, `[out, in, k, k]`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }
}

impl Module for Conv2d {
    /// # Shapes
    /// `x`: `[batch, in, h, w]` -> `[batch, out, h + 2·padding − k + 1, …]`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (out, inputs, k, _) = self.weight.dims4()?;
        let w = self
            .weight
            .permute((0, 2, 3, 1))? // [out, k, k, in]
            .contiguous()?
            .reshape((out, k * k * inputs))?;
        add_bias(
            correlate(x, &w, k, self.padding, false)?,
            self.bias.as_ref(),
        )
    }
}

/// A stride-1 transposed convolution with padding `padding` (`kernel / 2` is
/// "same" for an odd kernel): a convolution with the rotated kernel, its input
/// and output channels swapped, and padding `k − 1 − padding`.
#[derive(Debug, Clone)]
pub struct ConvTranspose2d {
    /// `[in, out, k, k]`.
    weight: Tensor,
    /// `[out]`.
    bias: Option<Tensor>,
    padding: usize,
}

impl ConvTranspose2d {
    /// A layer over existing tensors (`weight [in, out, k, k]` square, `bias [out]`);
    /// `padding` must be below the kernel size.
    pub fn new(weight: Tensor, bias: Option<Tensor>, padding: usize) -> Result<Self> {
        let (_, _, kh, kw) = weight.dims4()?;
        if kh != kw || padding >= kh {
            candle_core::bail!(
                "transposed convolution: needs a square kernel and padding below its size, got {kh}×{kw} and {padding}"
            );
        }
        Ok(ConvTranspose2d {
            weight,
            bias,
            padding,
        })
    }

    /// The kernel, `[in, out, k, k]`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }
}

impl Module for ConvTranspose2d {
    /// # Shapes
    /// `x`: `[batch, in, h, w]` -> `[batch, out, h + k − 1 − 2·padding, …]`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (inputs, out, k, _) = self.weight.dims4()?;
        let w = self
            .weight
            .permute((1, 2, 3, 0))? // [out, k, k, in]
            .contiguous()?
            .reshape((out, k * k * inputs))?;
        let y = correlate(x, &w, k, k - 1 - self.padding, true)?;
        add_bias(y, self.bias.as_ref())
    }
}

/// A convolution of `inputs` -> `outputs` channels, loading `weight` (and
/// `bias` when `bias` is set) like `candle_nn::conv2d` / `conv2d_no_bias`.
pub fn conv2d(
    inputs: usize,
    outputs: usize,
    kernel: usize,
    padding: usize,
    bias: bool,
    vb: VarBuilder,
) -> Result<Conv2d> {
    let fan_in = (inputs * kernel * kernel) as f64;
    let bound = 1.0 / fan_in.sqrt();
    let init = Init::Uniform {
        lo: -bound,
        up: bound,
    };
    let w = vb.get_with_hints(
        (outputs, inputs, kernel, kernel),
        "weight",
        candle_nn::init::DEFAULT_KAIMING_NORMAL,
    )?;
    let b = bias
        .then(|| vb.get_with_hints(outputs, "bias", init))
        .transpose()?;
    Conv2d::new(w, b, padding)
}

/// A transposed convolution of `inputs` -> `outputs` channels, loading `weight`
/// (and `bias`) like `candle_nn::conv_transpose2d` / `conv_transpose2d_no_bias`.
pub fn conv_transpose2d(
    inputs: usize,
    outputs: usize,
    kernel: usize,
    padding: usize,
    bias: bool,
    vb: VarBuilder,
) -> Result<ConvTranspose2d> {
    let bound = 1.0 / (outputs as f64).sqrt() / kernel as f64;
    let init = Init::Uniform {
        lo: -bound,
        up: bound,
    };
    let w = vb.get_with_hints((inputs, outputs, kernel, kernel), "weight", init)?;
    let b = bias
        .then(|| vb.get_with_hints(outputs, "bias", init))
        .transpose()?;
    ConvTranspose2d::new(w, b, padding)
}

#[cfg(test)]
#[path = "conv_tests.rs"]
mod tests;
