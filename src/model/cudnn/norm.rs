//! Batch norm in training mode through cuDNN's C API
//! (`cudnnBatchNormalizationForwardTraining` / `Backward`), which cudarc does
//! not wrap.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::Arc;

use candle_core::backend::BackendStorage;
use candle_core::cuda_backend::cudarc::cudnn::result as cudnn_result;
use candle_core::cuda_backend::cudarc::cudnn::sys;
use candle_core::cuda_backend::cudarc::driver::{
    CudaStream, CudaView, DevicePtr, DevicePtrMut, SyncOnDrop,
};
use candle_core::cuda_backend::{CudaDevice, DeviceId};
use candle_core::{CpuStorage, CudaStorage, CustomOp3, Layout, Result, Shape, Tensor};
use candle_nn::BatchNorm;

use super::cuda_only;

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
fn flat<'a>(s: &'a CudaStorage, l: &Layout, len: usize, what: &str) -> Result<CudaView<'a, f32>> {
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

/// cuDNN's scaling factors 1 and 0 (f32 data: f32 factors).
const ONE: *const c_void = &1f32 as *const f32 as *const c_void;
const ZERO: *const c_void = &0f32 as *const f32 as *const c_void;

/// What both batch-norm calls get: the handle, the mode, the descriptors of
/// the data and of the per-channel parameters, the input pointers (`x`, `γ`
/// and the third operand) and the flat output `[n elements, c, c]`.
struct Launch {
    handle: sys::cudnnHandle_t,
    mode: sys::cudnnBatchNormMode_t,
    data: sys::cudnnTensorDescriptor_t,
    params: sys::cudnnTensorDescriptor_t,
    x: *const c_void,
    gamma: *const c_void,
    third: *const c_void,
    out: u64,
    /// Elements of `x`.
    n: usize,
    /// Channels (features).
    c: usize,
}

impl Launch {
    /// The output at `offset` elements.
    fn out(&self, offset: usize) -> *mut c_void {
        (self.out + 4 * offset as u64) as *mut c_void
    }
}

/// Checks `x`, `γ [c]` and the third operand (`x`'s size when `per_element`,
/// else `[c]`), allocates the flat output `[n + 2c]` and runs `call` on them.
fn launch(
    xs: &CudaStorage,
    xl: &Layout,
    gs: &CudaStorage,
    gl: &Layout,
    (ts, tl, third_name, per_element): (&CudaStorage, &Layout, &str, bool),
    call: impl FnOnce(&Launch) -> Result<()>,
) -> Result<(CudaStorage, Shape)> {
    let dev = xs.device().clone();
    let stream = dev.cuda_stream();
    let shape = BnShape::of(xl.shape())?;
    let (n, c) = (shape.numel(), shape.channels());
    let x = flat(xs, xl, n, "input")?;
    let gamma = flat(gs, gl, c, "scale")?;
    let third = flat(ts, tl, if per_element { n } else { c }, third_name)?;
    let (data, params) = shape.descriptors()?;
    let h = raw_handle(&dev)?;
    let mut out = dev.alloc_zeros::<f32>(n + 2 * c)?;
    {
        let (x, _gx) = ptr(&x, &stream);
        let (gamma, _gg) = ptr(&gamma, &stream);
        let (third, _gt) = ptr(&third, &stream);
        let (base, _go) = out.device_ptr_mut(&stream);
        call(&Launch {
            handle: h.0,
            mode: shape.mode,
            data: data.0,
            params: params.0,
            x,
            gamma,
            third,
            out: base,
            n,
            c,
        })?;
    }
    Ok((
        CudaStorage::wrap_cuda_slice(out, dev),
        Shape::from(n + 2 * c),
    ))
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
        cuda_only("cuDNN batch norm")
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
        let eps = self.eps;
        launch(xs, xl, gs, gl, (bs, bl, "shift", false), |l| {
            // SAFETY: every pointer is a contiguous f32 buffer of the size its
            // descriptor gives (y, mean and inverse std are disjoint parts of
            // the output); no running statistics (null): the caller keeps them.
            unsafe {
                sys::cudnnBatchNormalizationForwardTraining(
                    l.handle,
                    l.mode,
                    ONE,
                    ZERO,
                    l.data,
                    l.x,
                    l.data,
                    l.out(0),
                    l.params,
                    l.gamma,
                    l.third,
                    0.0,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    eps,
                    l.out(l.n),
                    l.out(l.n + l.c),
                )
                .result()?;
            }
            Ok(())
        })
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
        cuda_only("cuDNN batch norm")
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
        let eps = self.eps;
        launch(xs, xl, gs, gl, (dys, dyl, "output gradient", true), |l| {
            // SAFETY: as in `BnForward`; dx, dγ and dβ are disjoint parts of
            // the output; the saved statistics are null, so cuDNN recomputes
            // them from x.
            unsafe {
                sys::cudnnBatchNormalizationBackward(
                    l.handle,
                    l.mode,
                    ONE,
                    ZERO,
                    ONE,
                    ZERO,
                    l.data,
                    l.x,
                    l.data,
                    l.third,
                    l.data,
                    l.out(0),
                    l.params,
                    l.gamma,
                    l.out(l.n),
                    l.out(l.n + l.c),
                    eps,
                    std::ptr::null(),
                    std::ptr::null(),
                )
                .result()?;
            }
            Ok(())
        })
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
