//! Stride-1 2-D convolutions of the convolutional presets (Latplan JAIR-22
//! §2.2: 5×5 "same" convolutions and transposed convolutions), every forward
//! pass as candle's `conv2d` (im2col + one GEMM on the CPU and on CUDA, where
//! cuBLAS does the product, or cuDNN with the `cudnn` feature).
//!
//! candle's own autograd of `conv2d` computes the input gradient with
//! `conv_transpose2d`, a naive CUDA kernel, and `conv_transpose2d` is itself
//! that kernel. Here a transposed convolution is a convolution with the
//! rotated kernel, its channels swapped and padding `k − 1 − padding`, and the
//! gradients are left to [`Route`]: a zero-valued custom op added to the
//! output, whose backward computes them as [`ConvGrads`] says: on CUDA with
//! the `cudnn` feature by cuDNN's own backward passes (src/model/cudnn/),
//! elsewhere by `conv2d` too: the input gradient as the convolution of the
//! output gradient with the rotated, swapped kernel, and the kernel gradient
//! as the convolution of the input (batch and channels swapped) with the
//! output gradient (likewise), as candle does for the kernel.
//!
//! (Sessions 1–8 built the im2col columns from k² shifted views with candle
//! tensor ops: on an H200 that made a `conv` training step 598 ms against
//! PyTorch's 40, slower than candle's own 350. `conv2d` in every pass: 474 ms;
//! with cuDNN's forward: 421 ms, 298 of them in the backward pass, where the
//! kernel gradient's convolution has an image-sized kernel. cuDNN's backward
//! passes, session 10: 214 ms, backward 94.)
//!
//! The layers load the same parameters (names and shapes) as candle_nn's
//! `Conv2d` (`weight [out, in, k, k]`, `bias [out]`) and `ConvTranspose2d`
//! (`weight [in, out, k, k]`, `bias [out]`), so saved models read unchanged.
//! Only stride 1, dilation 1 and one group are supported: what the model uses.

use candle_core::{CpuStorage, CustomOp2, DType, Layout, Module, Result, Shape, Tensor};
use candle_nn::{Init, VarBuilder};

/// Cross-correlation of `x` with `w`, zero padding `pad`, stride 1, recorded
/// in no graph.
///
/// # Shapes
/// `x`: `[batch, in, height, width]`, `w`: `[out, in, k, k]` ->
/// `[batch, out, height + 2·pad − k + 1, width + 2·pad − k + 1]`.
fn correlate_detached(x: &Tensor, w: &Tensor, pad: usize) -> Result<Tensor> {
    let (_, channels, height, width) = x.dims4()?;
    let (_, inputs, kh, kw) = w.dims4()?;
    if inputs != channels {
        candle_core::bail!("convolution: input has {channels} channels and the kernel {inputs}");
    }
    if height + 2 * pad < kh || width + 2 * pad < kw {
        candle_core::bail!(
            "convolution: {height}×{width} input (padding {pad}) is smaller than the {kh}×{kw} kernel"
        );
    }
    x.detach()
        .contiguous()?
        .conv2d(&w.detach().contiguous()?, pad, 1, 1, 1)
}

/// The kernel of the adjoint: `[a, b, k, k]` -> `[b, a, k, k]` rotated by 180°
/// (a differentiable tensor op).
fn rotate_swap(w: &Tensor) -> Result<Tensor> {
    let k = w.dim(2)? as u32;
    let reversed: Vec<u32> = (0..k).rev().collect();
    let reversed = Tensor::new(reversed.as_slice(), w.device())?;
    w.index_select(&reversed, 2)?
        .index_select(&reversed, 3)?
        .transpose(0, 1)?
        .contiguous()
}

/// Adds a per-channel bias. `y`: `[batch, out, h, w]`, `bias`: `[out]`.
fn add_bias(y: Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    match bias {
        Some(b) => y.broadcast_add(&b.reshape((1, b.dim(0)?, 1, 1))?),
        None => Ok(y),
    }
}

/// Zeros of a convolution's output shape whose backward is the convolution's
/// (input `x`, kernel `w [out, in, k, k]`, padding `pad`). Added to the output
/// computed from the detached operands, it carries both gradients.
struct Route {
    pad: usize,
    out: Shape,
}

impl CustomOp2 for Route {
    fn name(&self) -> &'static str {
        "conv-route"
    }

    fn cpu_fwd(
        &self,
        _: &CpuStorage,
        _: &Layout,
        _: &CpuStorage,
        _: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let zeros = vec![0f32; self.out.elem_count()];
        Ok((CpuStorage::F32(zeros), self.out.clone()))
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        storage: &candle_core::CudaStorage,
        _: &Layout,
        _: &candle_core::CudaStorage,
        _: &Layout,
    ) -> Result<(candle_core::CudaStorage, Shape)> {
        use candle_core::backend::{BackendDevice, BackendStorage};
        let zeros = storage.device().zeros_impl(&self.out, DType::F32)?;
        Ok((zeros, self.out.clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let k = w.dim(2)?;
        let method = conv_grads_for(x.device());
        if method == ConvGrads::Cudnn {
            return cudnn_grads(x, w, grad, k, self.pad);
        }
        // dx = g ⋆ rot(w)ᵀ with padding k − 1 − pad (the adjoint).
        let dx = if x.track_op() {
            let adjoint = rotate_swap(&w.detach())?; // [in, out, k, k]
            Some(correlate_detached(grad, &adjoint, k - 1 - self.pad)?)
        } else {
            None
        };
        Ok((dx, Some(kernel_grad_by_conv(x, grad, self.pad)?)))
    }
}

/// Both gradients from cuDNN's backward passes (src/model/cudnn/).
#[cfg(feature = "cudnn")]
fn cudnn_grads(
    x: &Tensor,
    w: &Tensor,
    grad: &Tensor,
    k: usize,
    pad: usize,
) -> Result<(Option<Tensor>, Option<Tensor>)> {
    use super::cudnn;
    let dx = if x.track_op() {
        Some(cudnn::input_grad(grad, w, x.shape(), pad)?)
    } else {
        None
    };
    Ok((dx, Some(cudnn::kernel_grad(x, grad, k, pad)?)))
}

#[cfg(not(feature = "cudnn"))]
fn cudnn_grads(
    _: &Tensor,
    _: &Tensor,
    _: &Tensor,
    _: usize,
    _: usize,
) -> Result<(Option<Tensor>, Option<Tensor>)> {
    candle_core::bail!(
        "convolution gradients by cuDNN: this binary was built without the `cudnn` feature"
    )
}

/// How [`Route`] computes a convolution's gradients, the kernel's being
/// `dw[o, i, a, b] = Σ_{n, y, x} g[n, o, y, x] · x_pad[n, i, y + a, x + b]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvGrads {
    /// Both by candle's `conv2d`: the input gradient as the adjoint
    /// convolution, the kernel gradient as one convolution of `xᵀ` (batch as
    /// channels) with `gᵀ`, a k×k output from an image-sized kernel. The
    /// default except on CUDA with cuDNN.
    Conv,
    /// cuDNN's backward-data and backward-filter passes (needs the `cudnn`
    /// feature and CUDA tensors); the default there.
    Cudnn,
}

thread_local! {
    /// The method chosen by [`set_conv_grads`] on this thread (backward passes
    /// run on the thread that calls them), `None` for each device's default.
    static CONV_GRADS: std::cell::Cell<Option<ConvGrads>> = const { std::cell::Cell::new(None) };
}

/// Chooses how every convolution whose backward pass runs on this thread
/// computes its gradients from now on; `None` restores each device's default
/// ([`conv_grads_for`]).
pub fn set_conv_grads(method: Option<ConvGrads>) {
    CONV_GRADS.with(|m| m.set(method));
}

/// The method used for tensors on `device`: the one set by [`set_conv_grads`],
/// else cuDNN on CUDA when built with it, else [`ConvGrads::Conv`].
pub fn conv_grads_for(device: &candle_core::Device) -> ConvGrads {
    match CONV_GRADS.with(|m| m.get()) {
        Some(m) => m,
        None if cfg!(feature = "cudnn") && device.is_cuda() => ConvGrads::Cudnn,
        None => ConvGrads::Conv,
    }
}

/// [`ConvGrads::Conv`]'s kernel gradient: the batch is the channel axis of a convolution of
/// `xᵀ` with `gᵀ`. `x`: `[n, in, h, w]`, `g`: `[n, out, oh, ow]` -> `[out, in, k, k]`.
fn kernel_grad_by_conv(x: &Tensor, g: &Tensor, pad: usize) -> Result<Tensor> {
    correlate_detached(&x.transpose(0, 1)?, &g.transpose(0, 1)?, pad)?
        .transpose(0, 1)?
        .contiguous()
}

/// `x ⋆ w` (padding `pad`, stride 1) with the gradients of [`Route`].
///
/// # Shapes
/// `x`: `[batch, in, h, w]`, `w`: `[out, in, k, k]` -> `[batch, out, h + 2·pad − k + 1, …]`.
fn correlate(x: &Tensor, w: &Tensor, pad: usize) -> Result<Tensor> {
    if x.dtype() != DType::F32 || w.dtype() != DType::F32 {
        candle_core::bail!(
            "convolution: expected f32 input and kernel, got {:?} and {:?}",
            x.dtype(),
            w.dtype()
        );
    }
    let y = correlate_detached(x, w, pad)?;
    if !x.track_op() && !w.track_op() {
        return Ok(y);
    }
    let route = x.apply_op2(
        w,
        Route {
            pad,
            out: y.shape().clone(),
        },
    )?; // zeros
    y + route
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
        let y = correlate(x, &self.weight, self.padding)?;
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
        let y = correlate(x, &rotate_swap(&self.weight)?, k - 1 - self.padding)?;
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
