//! A stride-1 convolution's backward passes through cudarc's safe cuDNN
//! wrappers: `cudnnConvolutionBackwardData` and `BackwardFilter`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use candle_core::backend::BackendStorage;
use candle_core::cuda_backend::cudarc::cudnn::{
    sys, ConvBackwardData, ConvBackwardFilter, ConvDescriptor, Cudnn, FilterDescriptor,
    TensorDescriptor,
};
use candle_core::cuda_backend::cudarc::driver::{CudaSlice, CudaView};
use candle_core::cuda_backend::{CudaDevice, DeviceId};
use candle_core::{CpuStorage, CudaStorage, CustomOp2, Layout, Result, Shape, Tensor};

use super::cuda_only;

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
) -> Result<([usize; 4], CudaView<'a, f32>)> {
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
        cuda_only("cuDNN convolution gradients")
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
        cuda_only("cuDNN convolution gradients")
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
