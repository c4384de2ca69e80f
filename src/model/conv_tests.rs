//! The im2col convolutions against candle's direct ones (`Tensor::conv2d`,
//! `Tensor::conv_transpose2d`, what candle_nn's layers call): outputs, and the
//! gradients of a random linear functional `Σ r ⊙ y` with respect to the
//! input, the kernel and the bias.

use super::*;
use candle_core::{DType, Device, Var};
use candle_nn::VarMap;
use rand::Rng as _;

use crate::util::rng;

/// A tensor of seeded uniform values in [−1, 1).
fn random(dims: &[usize], stream: u64) -> Tensor {
    let mut r = rng(7, stream);
    let n: usize = dims.iter().product();
    let data: Vec<f32> = (0..n).map(|_| r.random_range(-1.0..1.0)).collect();
    Tensor::from_vec(data, dims, &Device::Cpu).unwrap()
}

/// `max |a − b| / max |b|`.
fn rel_err(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.dims(), b.dims());
    let diff = (a - b).unwrap().abs().unwrap().max_all().unwrap();
    let scale = b.abs().unwrap().max_all().unwrap();
    diff.to_scalar::<f32>().unwrap() / scale.to_scalar::<f32>().unwrap().max(1e-30)
}

/// Output and the gradients (input, weight, bias) of `Σ r ⊙ f(x, w, b)`.
fn value_and_grads(
    f: impl Fn(&Tensor, &Tensor, &Tensor) -> Result<Tensor>,
    x: &Var,
    w: &Var,
    b: &Var,
    r: &Tensor,
) -> [Tensor; 4] {
    let y = f(x.as_tensor(), w.as_tensor(), b.as_tensor()).unwrap();
    let grads = (&y * r).unwrap().sum_all().unwrap().backward().unwrap();
    let g = |v: &Var| grads.get(v.as_tensor()).unwrap().clone();
    [y, g(x), g(w), g(b)]
}

/// Checks one case: `x [batch, in, h, w]`, kernel `k`, padding `pad`.
fn check(
    transposed: bool,
    batch: usize,
    inputs: usize,
    outputs: usize,
    hw: (usize, usize),
    k: usize,
    pad: usize,
) {
    let x = Var::from_tensor(&random(&[batch, inputs, hw.0, hw.1], 1)).unwrap();
    let wdims = if transposed {
        [inputs, outputs, k, k]
    } else {
        [outputs, inputs, k, k]
    };
    let w = Var::from_tensor(&random(&wdims, 2)).unwrap();
    let b = Var::from_tensor(&random(&[outputs], 3)).unwrap();
    let bias = |y: Tensor, b: &Tensor| y.broadcast_add(&b.reshape((1, outputs, 1, 1))?);
    let reference = |x: &Tensor, w: &Tensor, b: &Tensor| {
        let y = if transposed {
            x.conv_transpose2d(w, pad, 0, 1, 1)?
        } else {
            x.conv2d(w, pad, 1, 1, 1)?
        };
        bias(y, b)
    };
    let ours = |x: &Tensor, w: &Tensor, b: &Tensor| {
        if transposed {
            ConvTranspose2d::new(w.clone(), Some(b.clone()), pad)?.forward(x)
        } else {
            Conv2d::new(w.clone(), Some(b.clone()), pad)?.forward(x)
        }
    };
    let expected_dims = reference(x.as_tensor(), w.as_tensor(), b.as_tensor())
        .unwrap()
        .dims()
        .to_vec();
    let r = random(&expected_dims, 4);
    let want = value_and_grads(reference, &x, &w, &b, &r);
    let got = value_and_grads(ours, &x, &w, &b, &r);
    for (name, (g, e)) in ["output", "d/dx", "d/dw", "d/db"]
        .iter()
        .zip(got.iter().zip(&want))
    {
        let err = rel_err(g, e);
        assert!(
            err < 1e-4,
            "{} transposed={transposed} batch={batch} {inputs}->{outputs} k={k} pad={pad}: relative error {err}",
            name
        );
    }
}

#[test]
fn conv2d_matches_candle_forward_and_backward() {
    check(false, 1, 1, 1, (6, 6), 3, 1);
    check(false, 3, 2, 4, (9, 7), 5, 2); // "same", batch and channels > 1
    check(false, 2, 3, 2, (8, 8), 5, 0); // "valid"
}

#[test]
fn conv_transpose2d_matches_candle_forward_and_backward() {
    check(true, 1, 1, 1, (6, 6), 3, 1);
    check(true, 3, 4, 2, (7, 9), 5, 2); // "same", batch and channels > 1
    check(true, 2, 2, 3, (5, 5), 5, 0); // "full"
}

/// The layers read the parameter names and shapes of candle_nn's, so a saved
/// model loads into either.
#[test]
fn layers_load_candle_nn_parameters() {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let cfg = candle_nn::Conv2dConfig {
        padding: 2,
        ..Default::default()
    };
    let tcfg = candle_nn::ConvTranspose2dConfig {
        padding: 2,
        ..Default::default()
    };
    let theirs = candle_nn::conv2d_no_bias(3, 4, 5, cfg, vb.pp("a")).unwrap();
    let ours = conv2d(3, 4, 5, 2, false, vb.pp("a")).unwrap();
    assert_eq!(theirs.weight().dims(), ours.weight().dims());
    let theirs_t = candle_nn::conv_transpose2d(4, 2, 5, tcfg, vb.pp("b")).unwrap();
    let ours_t = conv_transpose2d(4, 2, 5, 2, true, vb.pp("b")).unwrap();
    assert_eq!(theirs_t.weight().dims(), ours_t.weight().dims());
    let x = random(&[2, 3, 6, 6], 5);
    let y = ours.forward(&x).unwrap();
    assert!(rel_err(&y, &theirs.forward(&x).unwrap()) < 1e-5);
    let yt = ours_t.forward(&y).unwrap();
    assert!(rel_err(&yt, &theirs_t.forward(&y).unwrap()) < 1e-5);
    let mut names: Vec<String> = varmap.data().lock().unwrap().keys().cloned().collect();
    names.sort();
    assert_eq!(names, ["a.weight", "b.bias", "b.weight"]);
}

#[test]
fn mismatched_shapes_are_errors() {
    let w = random(&[2, 3, 5, 5], 1);
    let conv = Conv2d::new(w.clone(), None, 2).unwrap();
    assert!(conv.forward(&random(&[1, 2, 6, 6], 2)).is_err(), "channels");
    let valid = Conv2d::new(w.clone(), None, 0).unwrap();
    assert!(
        valid.forward(&random(&[1, 3, 4, 4], 3)).is_err(),
        "too small"
    );
    assert!(ConvTranspose2d::new(w, None, 5).is_err(), "padding");
    assert!(
        Conv2d::new(random(&[2, 3, 3, 3], 5), None, 3).is_err(),
        "padding"
    );
    assert!(
        Conv2d::new(random(&[2, 3, 5, 3], 4), None, 1).is_err(),
        "square"
    );
}

/// Asking for cuDNN's gradients of CPU tensors is an error that says why,
/// with or without the `cudnn` feature.
#[test]
fn cudnn_gradients_of_cpu_tensors_are_an_error() {
    let x = Var::from_tensor(&random(&[2, 1, 5, 5], 21)).unwrap();
    let w = Var::from_tensor(&random(&[3, 1, 3, 3], 22)).unwrap();
    let y = Conv2d::new(w.as_tensor().clone(), None, 1)
        .unwrap()
        .forward(x.as_tensor())
        .unwrap();
    set_conv_grads(Some(ConvGrads::Cudnn));
    let err = y.sum_all().unwrap().backward();
    set_conv_grads(None);
    let msg = err.expect_err("cuDNN on the CPU").to_string();
    assert!(msg.contains("cudnn") || msg.contains("cuDNN"), "{msg}");
    assert_eq!(conv_grads_for(&Device::Cpu), ConvGrads::Conv);
}
