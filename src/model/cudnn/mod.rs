//! cuDNN where candle is slow on CUDA (feature `cudnn`, CUDA tensors only),
//! the calls PyTorch makes for the same layers:
//!
//! - the two backward passes of a stride-1 convolution,
//!   `cudnnConvolutionBackwardData` and `cudnnConvolutionBackwardFilter`
//!   ([`input_grad`], [`kernel_grad`]). [`super::conv`]'s portable form
//!   computes the kernel gradient as a forward convolution whose "kernel" is
//!   the image-sized output gradient: correct, but on an H200 with cuDNN it
//!   made the backward pass of Latplan's conv network 298 ms against
//!   PyTorch's 28 (session 9).
//! - batch norm in training mode, forward and backward
//!   (`cudnnBatchNormalizationForwardTraining` / `Backward`, [`batch_norm_train`]):
//!   candle_nn's is a dozen broadcast kernels per pass, each doing 64-bit
//!   index arithmetic per element, over a transposed copy of the input; with
//!   cuDNN's convolutions they were half of a conv step's GPU time
//!   (Nsight Compute, session 10).
//!
//! Each convolution call builds its descriptors, asks cuDNN's heuristics for
//! an algorithm (as candle's own cuDNN forward does) and runs it on the
//! tensors' stream. The math type is cuDNN's default, which on Ampere and
//! later lets FP32 convolutions use TF32 tensor cores, as PyTorch's default
//! (`torch.backends.cudnn.allow_tf32 = True`) does; `NVIDIA_TF32_OVERRIDE=0`
//! in the environment turns that off for an exact check.
//!
//! The only unsafe code of the crate: cudarc marks cuDNN's launches unsafe
//! (the device pointers must match the descriptors), and batch norm has no
//! safe wrapper, so it calls cuDNN's C API; every pointer comes from a
//! contiguous f32 slice whose shape made the descriptor beside it.
#![allow(unsafe_code)]

mod conv;
mod norm;

pub use conv::{input_grad, kernel_grad};
pub use norm::batch_norm_train;

/// What every op here answers on the CPU.
fn cuda_only<T>(what: &str) -> candle_core::Result<T> {
    candle_core::bail!("{what} needs CUDA tensors")
}
