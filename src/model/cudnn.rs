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

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use candle_core::backend::BackendStorage;
use candle_core::cuda_backend::cudarc::cudnn::result as cudnn_result;
use candle_core::cuda_backend::cudarc::cudnn::{
    sys, ConvBackwardData, ConvBackwardFilter, ConvDescriptor, Cudnn, FilterDescriptor,
    TensorDescriptor,
};
use candle_core::cuda_backend::cudarc::driver::{
    CudaSlice, CudaStream, DevicePtr, DevicePtrMut, SyncOnDrop,
};
use candle_core::cuda_backend::{CudaDevice, DeviceId};
use candle_core::{CpuStorage, CudaStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};
use candle_nn::BatchNorm;

thread_local! {
    /// cuDNN handles are neither Send nor Sync: one per thread and device.
    static HANDLES: RefCell<HashMap<DeviceId, Arc<Cudnn>>> = RefCell::new(HashMap::new());
}

fn handle(dev: &CudaDevice) -> Result<Arc<Cudnn>> {
    HANDLES.with(|handles| {
        if let Some(h) = handles.borrow().get(&dev.id()) {
            return Ok(h.clone());
        }
        let h = Cudnn::new(dev.cuda_stream())?;
        handles.borrow_mut().insert(dev.id(), h.clone());
        Ok(h)
    })
}

/// The descriptors of one stride-1 convolution `x [n, in, h, w]` ⋆
/// `w [out, in, k, k]` (padding `pad`) -> `y [n, out, oh, ow]`.
struct Descriptors {
    conv: ConvDescriptor<f32>,
    x: TensorDescriptor<f32>,
    w: FilterDescriptor<f32>,
    y: TensorDescriptor<f32>,
}

fn descriptors(
    cudnn: &Arc<Cudnn>,
    x: [usize; 4],
    w: [usize; 4],
    pad: usize,
) -> Result<Descriptors> {
    let (oh, ow) = (x[2] + 2 * pad + 1 - w[2], x[3] + 2 * pad + 1 - w[3]);
    let i32s = |d: [usize; 4]| d.map(|v| v as i32);
    let nchw = sys::cudnnTensorFormat_t::CUDNN_TENSOR_NCHW;
    Ok(Descriptors {
        conv: cudnn.create_conv2d::<f32>(
            [pad as i32; 2],
            [1, 1],
            [1, 1],
            sys::cudnnConvolutionMode_t::CUDNN_CROSS_CORRELATION,
        )?,
        x: cudnn.create_4d_tensor::<f32>(nchw, i32s(x))?,
        w: cudnn.create_4d_filter::<f32>(nchw, i32s(w))?,
        y: cudnn.create_4d_tensor::<f32>(nchw, i32s([x[0], w[0], oh, ow]))?,
    })
}

/// A contiguous f32 operand's dims and its slice from its layout's offset.
fn operand<'a>(
    s: &'a CudaStorage,
    l: &Layout,
    what: &str,
) -> Result<(
    [usize; 4],
    candle_core::cuda_backend::cudarc::driver::CudaView<'a, f32>,
)> {
    if !l.is_contiguous() {
        candle_core::bail!("cuDNN convolution gradient: the {what} must be contiguous");
    }
    let (a, b, c, d) = l.shape().dims4()?;
    Ok((
        [a, b, c, d],
        s.as_cuda_slice::<f32>()?.slice(l.start_offset()..),
    ))
}

/// A workspace of `bytes` (none when zero).
fn workspace(dev: &CudaDevice, bytes: usize) -> Result<Option<CudaSlice<u8>>> {
    if bytes == 0 {
        return Ok(None);
    }
    Ok(Some(dev.alloc_zeros::<u8>(bytes)?))
}

/// `(x [n, in, h, w], g [n, out, oh, ow])` -> the kernel gradient `[out, in, k, k]`.
struct FilterGrad {
    pad: usize,
    k: usize,
}

impl CustomOp2 for FilterGrad {
    fn name(&self) -> &'static str {
        "cudnn-conv-filter-grad"
    }

    fn cpu_fwd(
        &self,
        _: &CpuStorage,
        _: &Layout,
        _: &CpuStorage,
        _: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        candle_core::bail!("cuDNN convolution gradients need CUDA tensors")
    }

    fn cuda_fwd(
        &self,
        xs: &CudaStorage,
        xl: &Layout,
        gs: &CudaStorage,
        gl: &Layout,
    ) -> Result<(CudaStorage, Shape)> {
        let dev = xs.device().clone();
        let (xd, x) = operand(xs, xl, "input")?;
        let (gd, g) = operand(gs, gl, "output gradient")?;
        let wd = [gd[1], xd[1], self.k, self.k];
        let cudnn = handle(&dev)?;
        let d = descriptors(&cudnn, xd, wd, self.pad)?;
        let op = ConvBackwardFilter {
            conv: &d.conv,
            x: &d.x,
            dw: &d.w,
            dy: &d.y,
        };
        let algo = op.pick_algorithm()?;
        let mut ws = workspace(&dev, op.get_workspace_size(algo)?)?;
        let mut dw = dev.alloc_zeros::<f32>(wd.iter().product())?;
        // SAFETY: the slices are contiguous f32 of the descriptors' shapes.
        unsafe { op.launch(algo, ws.as_mut(), (1f32, 0f32), &x, &mut dw, &g)? };
        Ok((
            CudaStorage::wrap_cuda_slice(dw, dev),
            Shape::from(wd.to_vec()),
        ))
    }
}

/// `(g [n, out, oh, ow], w [out, in, k, k])` -> the input gradient `[n, in, h, w]`.
struct DataGrad {
    pad: usize,
    input: [usize; 4],
}

impl CustomOp2 for DataGrad {
    fn name(&self) -> &'static str {
        "cudnn-conv-data-grad"
    }

    fn cpu_fwd(
        &self,
        _: &CpuStorage,
        _: &Layout,
        _: &CpuStorage,
        _: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        candle_core::bail!("cuDNN convolution gradients need CUDA tensors")
    }

    fn cuda_fwd(
        &self,
        gs: &CudaStorage,
        gl: &Layout,
        ws_: &CudaStorage,
        wl: &Layout,
    ) -> Result<(CudaStorage, Shape)> {
        let dev = gs.device().clone();
        let (_, g) = operand(gs, gl, "output gradient")?;
        let (wd, w) = operand(ws_, wl, "kernel")?;
        let cudnn = handle(&dev)?;
        let d = descriptors(&cudnn, self.input, wd, self.pad)?;
        let op = ConvBackwardData {
            conv: &d.conv,
            dx: &d.x,
            w: &d.w,
            dy: &d.y,
        };
        let algo = op.pick_algorithm()?;
        let mut ws = workspace(&dev, op.get_workspace_size(algo)?)?;
        let mut dx = dev.alloc_zeros::<f32>(self.input.iter().product())?;
        // SAFETY: the slices are contiguous f32 of the descriptors' shapes.
        unsafe { op.launch(algo, ws.as_mut(), (1f32, 0f32), &mut dx, &w, &g)? };
        Ok((
            CudaStorage::wrap_cuda_slice(dx, dev),
            Shape::from(self.input.to_vec()),
        ))
    }
}

/// The kernel gradient of `x ⋆ w` (padding `pad`) for the output gradient `g`.
///
/// # Shapes
/// `x`: `[n, in, h, w]`, `g`: `[n, out, oh, ow]` -> `[out, in, k, k]`.
pub fn kernel_grad(x: &Tensor, g: &Tensor, k: usize, pad: usize) -> Result<Tensor> {
    x.detach()
        .contiguous()?
        .apply_op2_no_bwd(&g.detach().contiguous()?, &FilterGrad { pad, k })
}

/// The input gradient of `x ⋆ w` (padding `pad`) for the output gradient `g`.
///
/// # Shapes
/// `g`: `[n, out, oh, ow]`, `w`: `[out, in, k, k]` -> `input` (`[n, in, h, w]`).
pub fn input_grad(g: &Tensor, w: &Tensor, input: &Shape, pad: usize) -> Result<Tensor> {
    let (n, c, h, wd) = input.dims4()?;
    g.detach().contiguous()?.apply_op2_no_bwd(
        &w.detach().contiguous()?,
        &DataGrad {
            pad,
            input: [n, c, h, wd],
        },
    )
}

/// A raw cuDNN handle on a device's stream, for the calls cudarc has no safe wrapper for.
struct RawHandle(sys::cudnnHandle_t);

impl Drop for RawHandle {
    fn drop(&mut self) {
        // SAFETY: created by `raw_handle`, destroyed once.
        let _ = unsafe { cudnn_result::destroy_handle(self.0) };
    }
}

thread_local! {
    static RAW_HANDLES: RefCell<HashMap<DeviceId, Arc<RawHandle>>> = RefCell::new(HashMap::new());
}

fn raw_handle(dev: &CudaDevice) -> Result<Arc<RawHandle>> {
    RAW_HANDLES.with(|handles| {
        if let Some(h) = handles.borrow().get(&dev.id()) {
            return Ok(h.clone());
        }
        let h = RawHandle(cudnn_result::create_handle()?);
        // SAFETY: the stream outlives the handle (both belong to the device).
        unsafe { cudnn_result::set_stream(h.0, dev.cuda_stream().cu_stream() as *mut _)? };
        let h = Arc::new(h);
        handles.borrow_mut().insert(dev.id(), h.clone());
        Ok(h)
    })
}

/// A 4-d f32 NCHW tensor descriptor, destroyed on drop.
struct RawDesc(sys::cudnnTensorDescriptor_t);

impl RawDesc {
    fn nchw(dims: [usize; 4]) -> Result<Self> {
        let d = RawDesc(cudnn_result::create_tensor_descriptor()?);
        // SAFETY: a fresh descriptor.
        unsafe {
            cudnn_result::set_tensor4d_descriptor(
                d.0,
                sys::cudnnTensorFormat_t::CUDNN_TENSOR_NCHW,
                sys::cudnnDataType_t::CUDNN_DATA_FLOAT,
                dims.map(|v| v as i32),
            )?
        };
        Ok(d)
    }
}

impl Drop for RawDesc {
    fn drop(&mut self) {
        // SAFETY: created by `nchw`, destroyed once.
        let _ = unsafe { cudnn_result::destroy_tensor_descriptor(self.0) };
    }
}

/// How cuDNN sees a batch-norm input: `[n, c, h, w]` normalized per channel
/// over `n, h, w` (spatial), `[n, f]` per feature over `n` (per activation,
/// as `[n, f, 1, 1]`).
struct BnShape {
    dims: [usize; 4],
    mode: sys::cudnnBatchNormMode_t,
}

impl BnShape {
    fn of(shape: &Shape) -> Result<Self> {
        use sys::cudnnBatchNormMode_t as M;
        match *shape.dims() {
            [n, c, h, w] => Ok(BnShape {
                dims: [n, c, h, w],
                mode: M::CUDNN_BATCHNORM_SPATIAL,
            }),
            [n, f] => Ok(BnShape {
                dims: [n, f, 1, 1],
                mode: M::CUDNN_BATCHNORM_PER_ACTIVATION,
            }),
            _ => candle_core::bail!(
                "cuDNN batch norm: expected [n, c, h, w] or [n, f], got {shape:?}"
            ),
        }
    }

    fn numel(&self) -> usize {
        self.dims.iter().product()
    }

    fn channels(&self) -> usize {
        self.dims[1]
    }

    /// The descriptors of the data and of the per-channel parameters.
    fn descriptors(&self) -> Result<(RawDesc, RawDesc)> {
        Ok((
            RawDesc::nchw(self.dims)?,
            RawDesc::nchw([1, self.channels(), 1, 1])?,
        ))
    }
}

/// The contiguous f32 slice of an operand, checked to hold `len` elements.
fn flat<'a>(
    s: &'a CudaStorage,
    l: &Layout,
    len: usize,
    what: &str,
) -> Result<candle_core::cuda_backend::cudarc::driver::CudaView<'a, f32>> {
    if !l.is_contiguous() || l.shape().elem_count() != len {
        candle_core::bail!(
            "cuDNN batch norm: the {what} must be contiguous with {len} elements, got {:?}",
            l.shape()
        );
    }
    Ok(s.as_cuda_slice::<f32>()?
        .slice(l.start_offset()..len + l.start_offset()))
}

/// A device pointer for a cuDNN argument (the guard orders the stream's work).
fn ptr<'a, T: DevicePtr<f32>>(
    v: &'a T,
    stream: &'a CudaStream,
) -> (*const std::ffi::c_void, SyncOnDrop<'a>) {
    let (p, guard) = v.device_ptr(stream);
    (p as *const std::ffi::c_void, guard)
}

/// `(x, γ [c], β [c])` -> `[y (x's elements), batch mean [c], 1/√(batch var + ε) [c]]`, flat.
struct BnForward {
    eps: f64,
}

impl CustomOp3 for BnForward {
    fn name(&self) -> &'static str {
        "cudnn-batch-norm"
    }

    fn cpu_fwd(
        &self,
        _: &CpuStorage,
        _: &Layout,
        _: &CpuStorage,
        _: &Layout,
        _: &CpuStorage,
        _: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        candle_core::bail!("cuDNN batch norm needs CUDA tensors")
    }

    fn cuda_fwd(
        &self,
        xs: &CudaStorage,
        xl: &Layout,
        gs: &CudaStorage,
        gl: &Layout,
        bs: &CudaStorage,
        bl: &Layout,
    ) -> Result<(CudaStorage, Shape)> {
        let dev = xs.device().clone();
        let stream = dev.cuda_stream();
        let shape = BnShape::of(xl.shape())?;
        let (n, c) = (shape.numel(), shape.channels());
        let x = flat(xs, xl, n, "input")?;
        let gamma = flat(gs, gl, c, "scale")?;
        let beta = flat(bs, bl, c, "shift")?;
        let (data, params) = shape.descriptors()?;
        let h = raw_handle(&dev)?;
        let mut out = dev.alloc_zeros::<f32>(n + 2 * c)?;
        {
            let (x, _gx) = ptr(&x, &stream);
            let (gamma, _gg) = ptr(&gamma, &stream);
            let (beta, _gb) = ptr(&beta, &stream);
            let (base, _go) = out.device_ptr_mut(&stream);
            let at = |offset: usize| (base + 4 * offset as u64) as *mut std::ffi::c_void;
            let (one, zero) = (1f32, 0f32);
            // SAFETY: every pointer is a contiguous f32 buffer of the size its
            // descriptor gives (y, mean and inverse std are disjoint parts of `out`);
            // no running statistics (null): the caller keeps them.
            unsafe {
                sys::cudnnBatchNormalizationForwardTraining(
                    h.0,
                    shape.mode,
                    &one as *const f32 as *const _,
                    &zero as *const f32 as *const _,
                    data.0,
                    x,
                    data.0,
                    at(0),
                    params.0,
                    gamma,
                    beta,
                    0.0,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    self.eps,
                    at(n),
                    at(n + c),
                )
                .result()?;
            }
        }
        Ok((
            CudaStorage::wrap_cuda_slice(out, dev),
            Shape::from(n + 2 * c),
        ))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _: &Tensor,
        _: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (n, c) = (x.elem_count(), gamma.elem_count());
        let dy = grad.narrow(0, 0, n)?.contiguous()?;
        let out = x.apply_op3_no_bwd(gamma, &dy, &BnBackward { eps: self.eps })?;
        Ok((
            Some(out.narrow(0, 0, n)?.reshape(x.shape())?),
            Some(out.narrow(0, n, c)?),
            Some(out.narrow(0, n + c, c)?),
        ))
    }
}

/// `(x, γ [c], dy (x's elements))` -> `[dx, dγ [c], dβ [c]]`, flat (the batch
/// statistics recomputed from `x`).
struct BnBackward {
    eps: f64,
}

impl CustomOp3 for BnBackward {
    fn name(&self) -> &'static str {
        "cudnn-batch-norm-backward"
    }

    fn cpu_fwd(
        &self,
        _: &CpuStorage,
        _: &Layout,
        _: &CpuStorage,
        _: &Layout,
        _: &CpuStorage,
        _: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        candle_core::bail!("cuDNN batch norm needs CUDA tensors")
    }

    fn cuda_fwd(
        &self,
        xs: &CudaStorage,
        xl: &Layout,
        gs: &CudaStorage,
        gl: &Layout,
        dys: &CudaStorage,
        dyl: &Layout,
    ) -> Result<(CudaStorage, Shape)> {
        let dev = xs.device().clone();
        let stream = dev.cuda_stream();
        let shape = BnShape::of(xl.shape())?;
        let (n, c) = (shape.numel(), shape.channels());
        let x = flat(xs, xl, n, "input")?;
        let gamma = flat(gs, gl, c, "scale")?;
        let dy = flat(dys, dyl, n, "output gradient")?;
        let (data, params) = shape.descriptors()?;
        let h = raw_handle(&dev)?;
        let mut out = dev.alloc_zeros::<f32>(n + 2 * c)?;
        {
            let (x, _gx) = ptr(&x, &stream);
            let (gamma, _gg) = ptr(&gamma, &stream);
            let (dy, _gd) = ptr(&dy, &stream);
            let (base, _go) = out.device_ptr_mut(&stream);
            let at = |offset: usize| (base + 4 * offset as u64) as *mut std::ffi::c_void;
            let (one, zero) = (1f32, 0f32);
            let (one, zero) = (
                &one as *const f32 as *const _,
                &zero as *const f32 as *const _,
            );
            // SAFETY: as in `BnForward`; dx, dγ and dβ are disjoint parts of `out`;
            // the saved statistics are null, so cuDNN recomputes them from x.
            unsafe {
                sys::cudnnBatchNormalizationBackward(
                    h.0,
                    shape.mode,
                    one,
                    zero,
                    one,
                    zero,
                    data.0,
                    x,
                    data.0,
                    dy,
                    data.0,
                    at(0),
                    params.0,
                    gamma,
                    at(n),
                    at(n + c),
                    self.eps,
                    std::ptr::null(),
                    std::ptr::null(),
                )
                .result()?;
            }
        }
        Ok((
            CudaStorage::wrap_cuda_slice(out, dev),
            Shape::from(n + 2 * c),
        ))
    }
}

/// `bn` in training mode through cuDNN: normalizes `x` by its batch
/// statistics (per channel of `[n, c, h, w]`, per feature of `[n, f]`), scales
/// and shifts, and updates the running statistics in place as candle_nn does
/// (momentum-weighted; the variance unbiased by `m / (m − 1)` over the `m`
/// values averaged).
pub fn batch_norm_train(bn: &BatchNorm, x: &Tensor) -> Result<Tensor> {
    let Some((gamma, beta)) = bn.weight_and_bias() else {
        candle_core::bail!("cuDNN batch norm: only the affine form is supported");
    };
    let shape = BnShape::of(x.shape())?;
    let (n, c) = (shape.numel(), shape.channels());
    let out = x
        .contiguous()?
        .apply_op3(gamma, beta, BnForward { eps: bn.eps() })?;
    let y = out.narrow(0, 0, n)?.reshape(x.shape())?;
    let stats = out.detach();
    let mean = stats.narrow(0, n, c)?;
    let inv_std = stats.narrow(0, n + c, c)?;
    let m = (n / c) as f64;
    let var = ((inv_std.sqr()?.recip()? - bn.eps())? * (m / (m - 1.0)))?;
    let momentum = bn.momentum();
    let update = |running: &Tensor, batch: &Tensor| -> Result<()> {
        let next = ((running * (1.0 - momentum))? + (batch * momentum)?)?;
        running.slice_set(&next, 0, 0)
    };
    update(bn.running_mean(), &mean)?;
    update(bn.running_var(), &var)?;
    Ok(y)
}
