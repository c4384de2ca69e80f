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
//!
//! The input gradient is not left to autograd (which would differentiate the
//! k² shifted windows one by one, each a padded full-size copy): the kernel
//! gradient comes from the matrix product over the windows of the detached
//! input, and the input gradient from [`InputGrad`], a zero-valued custom op
//! whose backward is the adjoint layer: a transposed convolution for a
//! convolution and the other way round, each again one im2col + GEMM.

use candle_core::{CpuStorage, CustomOp1, DType, Layout, Module, Result, Shape, Tensor};
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
    // (on an inner axis it concatenates transposed views, and the reshape
    // below would then copy the result element by element).
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

/// Zeros of a convolution's output shape, whose backward maps the output
/// gradient to the input gradient by the adjoint correlation (`weight`,
/// `pad`, `flip` as in [`correlate`]). Added to the output computed from the
/// detached input, it routes the input gradient around the windows' autograd.
struct InputGrad {
    /// The adjoint's kernel matrix, detached.
    weight: Tensor,
    k: usize,
    pad: usize,
    flip: bool,
    out: Shape,
}

impl CustomOp1 for InputGrad {
    fn name(&self) -> &'static str {
        "conv-input-grad"
    }

    fn cpu_fwd(&self, _: &CpuStorage, _: &Layout) -> Result<(CpuStorage, Shape)> {
        let zeros = vec![0f32; self.out.elem_count()];
        Ok((CpuStorage::F32(zeros), self.out.clone()))
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        storage: &candle_core::CudaStorage,
        _: &Layout,
    ) -> Result<(candle_core::CudaStorage, Shape)> {
        use candle_core::backend::{BackendDevice, BackendStorage};
        let zeros = storage.device().zeros_impl(&self.out, DType::F32)?;
        Ok((zeros, self.out.clone()))
    }

    fn bwd(&self, _: &Tensor, _: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        correlate(grad, &self.weight, self.k, self.pad, self.flip).map(Some)
    }
}

/// `correlate(x, w, k, pad, flip)` whose input gradient is the adjoint
/// correlation `correlate(grad, adjoint, k, adjoint_pad, !flip)`, and whose
/// kernel gradient flows through `w` only.
fn conv_with_adjoint(
    x: &Tensor,
    w: &Tensor,
    (k, pad, flip): (usize, usize, bool),
    adjoint: &Tensor,
    adjoint_pad: usize,
) -> Result<Tensor> {
    if x.dtype() != DType::F32 {
        candle_core::bail!("convolution: expected f32 input, got {:?}", x.dtype());
    }
    let y = correlate(&x.detach(), w, k, pad, flip)?; // [batch, out, oh, ow]
    if !x.track_op() {
        return Ok(y);
    }
    let route = x.apply_op1(InputGrad {
        weight: adjoint.detach(),
        k,
        pad: adjoint_pad,
        flip: !flip,
        out: y.shape().clone(),
    })?; // zeros, [batch, out, oh, ow]
    y + route
}

/// A kernel `[a, b, k, k]` as the matrix `[b, k·k·a]` that [`correlate`] takes
/// for a layer from `a` to `b` channels (`b_first`: the kernel is `[b, a, k, k]`).
fn kernel_matrix(weight: &Tensor, b_first: bool) -> Result<Tensor> {
    let (d0, d1, k, _) = weight.dims4()?;
    let (perm, rows, inputs) = if b_first {
        ((0, 2, 3, 1), d0, d1)
    } else {
        ((1, 2, 3, 0), d1, d0)
    };
    weight
        .permute(perm)? // [b, k, k, a]
        .contiguous()?
        .reshape((rows, k * k * inputs))
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
    /// A layer over existing tensors (`weight [out, in, k, k]` square, `bias [out]`);
    /// `padding` must be below the kernel size.
    pub fn new(weight: Tensor, bias: Option<Tensor>, padding: usize) -> Result<Self> {
        check_kernel("convolution", &weight, padding)?;
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
        let k = self.weight.dim(2)?;
        let w = kernel_matrix(&self.weight, true)?; // [out, k·k·in]
                                                    // The adjoint is the transposed convolution of the same kernel.
        let adjoint = kernel_matrix(&self.weight, false)?; // [in, k·k·out]
        let adjoint_pad = k - 1 - self.padding;
        let y = conv_with_adjoint(x, &w, (k, self.padding, false), &adjoint, adjoint_pad)?;
        add_bias(y, self.bias.as_ref())
    }
}

/// Both layers need a square kernel and a padding below its size.
fn check_kernel(layer: &str, weight: &Tensor, padding: usize) -> Result<()> {
    let (_, _, kh, kw) = weight.dims4()?;
    if kh != kw || padding >= kh {
        candle_core::bail!(
            "{layer}: needs a square kernel and padding below its size, got {kh}×{kw} and {padding}"
        );
    }
    Ok(())
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
        check_kernel("transposed convolution", &weight, padding)?;
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
        let k = self.weight.dim(2)?;
        let w = kernel_matrix(&self.weight, false)?; // [out, k·k·in]
                                                     // The adjoint is the convolution of the same kernel.
        let adjoint = kernel_matrix(&self.weight, true)?; // [in, k·k·out]
        let pad = k - 1 - self.padding;
        let y = conv_with_adjoint(x, &w, (k, pad, true), &adjoint, self.padding)?;
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
