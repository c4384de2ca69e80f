//! The numerics candle lacks, each tested against values computed independently
//! (by hand, by enumeration, or in `f64` beside the test).
//!
//! - stable `softplus`, Bernoulli KL and BCE from logits (no probability clipping,
//!   so gradients never silently vanish; `reference/ESTIMATORS.md` §0.2–0.3);
//! - the relaxations: Binary Concrete and Gumbel-Softmax (ESTIMATORS §1, §8),
//!   fed with noise drawn from the run's seeded generator ([`super::noise`]);
//! - global gradient-norm clipping (Keras `clipnorm`, Latplan §2.2);
//! - batch norm with frozen statistics is candle's `BatchNorm` in eval mode,
//!   checked here against the formula.

use candle_core::{Result, Tensor, Var, D};
use candle_nn::ops;

/// `softplus(x) = log(1 + exp(x))`, computed as `max(x, 0) + log(1 + exp(-|x|))`
/// so it never overflows. Elementwise.
pub fn softplus(x: &Tensor) -> Result<Tensor> {
    let tail = x.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?;
    x.relu()? + tail
}

/// Sum over the last axis of `KL(Bern(σ(lq)) || Bern(σ(lp)))`, from logits:
/// `σ(lq)·(lq − lp) + softplus(lp) − softplus(lq)`.
///
/// # Shapes
/// `lq`, `lp`: `[batch, bits]` -> `[batch]`.
pub fn kl_bernoulli(lq: &Tensor, lp: &Tensor) -> Result<Tensor> {
    let q = ops::sigmoid(lq)?; // [batch, bits]
    let cross = (q * (lq - lp)?)?; // [batch, bits]
    ((cross + softplus(lp)?)? - softplus(lq)?)?.sum(D::Minus1) // [batch]
}

/// Sum over the last axis of `KL(Bern(σ(lq)) || Bern(p0))` for a constant prior `p0` in (0, 1).
///
/// # Shapes
/// `lq`: `[batch, bits]` -> `[batch]`.
pub fn kl_bernoulli_const(lq: &Tensor, p0: f64) -> Result<Tensor> {
    let lp = (p0 / (1.0 - p0)).ln();
    let softplus_lp = lp.max(0.0) + (-lp.abs()).exp().ln_1p();
    let q = ops::sigmoid(lq)?; // [batch, bits]
    let cross = (q * lq.affine(1.0, -lp)?)?; // [batch, bits]
    (cross - softplus(lq)?)?
        .affine(1.0, softplus_lp)?
        .sum(D::Minus1) // [batch]
}

/// `KL(Cat(softmax(lq)) || Cat(softmax(lp)))` over the last axis, through `log_softmax`.
///
/// # Shapes
/// `lq`, `lp`: `[batch, labels]` -> `[batch]`.
pub fn kl_categorical(lq: &Tensor, lp: &Tensor) -> Result<Tensor> {
    let log_q = ops::log_softmax(lq, D::Minus1)?; // [batch, labels]
    let log_p = ops::log_softmax(lp, D::Minus1)?; // [batch, labels]
    (log_q.exp()? * (log_q - log_p)?)?.sum(D::Minus1) // [batch]
}

/// Bernoulli negative log-likelihood of targets `x ∈ [0, 1]` under logits `y`,
/// summed over all but the first axis: `softplus(y) − x·y`.
///
/// # Shapes
/// `x`, `y`: `[batch, ...]` -> `[batch]`.
pub fn bce_with_logits(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    (softplus(y)? - (x * y)?)?.flatten_from(1)?.sum(1) // [batch]
}

/// Gaussian negative log-likelihood without the normalizer, Latplan's
/// `GaussianOutput`: `Σ (x − y)² / (2σ²)` over all but the first axis.
///
/// # Shapes
/// `x`, `y`: `[batch, ...]` -> `[batch]`.
pub fn gaussian_nll(x: &Tensor, y: &Tensor, sigma: f64) -> Result<Tensor> {
    (x - y)?.sqr()?.flatten_from(1)?.sum(1)? / (2.0 * sigma * sigma) // [batch]
}

/// Binary Concrete sample `σ((l + log u − log(1 − u)) / τ)` from uniform noise `u ∈ (0, 1)`.
/// Its hard version `1[l + L > 0]` is exactly `Bern(σ(l))` for any `τ`.
///
/// # Shapes
/// `logits`, `uniform`: `[batch, bits]` -> `[batch, bits]`.
pub fn binary_concrete(logits: &Tensor, uniform: &Tensor, tau: f64) -> Result<Tensor> {
    let logistic = (uniform.log()? - uniform.affine(-1.0, 1.0)?.log()?)?; // [batch, bits]
    ops::sigmoid(&(logits + logistic)?.affine(1.0 / tau, 0.0)?)
}

/// Gumbel-Softmax sample `softmax((l + G) / τ)` over the last axis, `G = −log(−log u)`.
///
/// # Shapes
/// `logits`, `uniform`: `[batch, labels]` -> `[batch, labels]`.
pub fn gumbel_softmax(logits: &Tensor, uniform: &Tensor, tau: f64) -> Result<Tensor> {
    let gumbel = uniform.log()?.neg()?.log()?.neg()?; // [batch, labels]
                                                      // `softmax_last_dim` has no backward in candle 0.11.1; `softmax` is built from differentiable ops.
    ops::softmax(&(logits + gumbel)?.affine(1.0 / tau, 0.0)?, D::Minus1)
}

/// The hard test-time code `1[l > 0]` as `f32` 0/1.
///
/// # Shapes
/// `logits`: any -> same.
pub fn step(logits: &Tensor) -> Result<Tensor> {
    logits.gt(0.0)?.to_dtype(candle_core::DType::F32)
}

/// One-hot of the argmax over the last axis (the test-time Gumbel-Softmax).
///
/// # Shapes
/// `logits`: `[batch, labels]` -> `[batch, labels]`.
pub fn one_hot_argmax(logits: &Tensor) -> Result<Tensor> {
    let (_, labels) = logits.dims2()?;
    let index = logits.argmax_keepdim(D::Minus1)?; // [batch, 1] u32
    let range = Tensor::arange(0u32, labels as u32, logits.device())?.unsqueeze(0)?; // [1, labels]
    range
        .broadcast_eq(&index)?
        .to_dtype(candle_core::DType::F32)
}

/// The squared L2 norm of every gradient in `grads` that belongs to `vars`,
/// summed on the device (`[]`); `None` when none has a gradient.
fn squared_grad_norm(
    grads: &candle_core::backprop::GradStore,
    vars: &[Var],
) -> Result<Option<Tensor>> {
    let mut squares = Vec::new();
    for var in vars {
        if let Some(g) = grads.get(var.as_tensor()) {
            squares.push(g.sqr()?.sum_all()?); // []
        }
    }
    if squares.is_empty() {
        return Ok(None);
    }
    Tensor::stack(&squares, 0)?.sum_all().map(Some)
}

/// Scales every gradient in `grads` that belongs to `vars` so that their global
/// L2 norm is at most `max_norm` (Keras `clipnorm`). Returns the norm before clipping.
pub fn clip_grad_norm(
    grads: &mut candle_core::backprop::GradStore,
    vars: &[Var],
    max_norm: f64,
) -> Result<f64> {
    let Some(squared) = squared_grad_norm(grads, vars)? else {
        return Ok(0.0);
    };
    // One device-to-host copy per step, not one per variable.
    let norm = f64::from(squared.to_scalar::<f32>()?).sqrt();
    if norm > max_norm && norm > 0.0 {
        let scale = max_norm / norm;
        for var in vars {
            if let Some(g) = grads.remove(var.as_tensor()) {
                grads.insert(var.as_tensor(), (g * scale)?);
            }
        }
    }
    Ok(norm)
}

/// [`clip_grad_norm`] without reading the norm back: the factor
/// `max_norm / max(norm, max_norm)` stays on the device and every gradient is
/// multiplied by it (by 1 under the limit), so a GPU step needs no host round
/// trip between the backward pass and the optimizer step.
pub fn clip_grad_norm_on_device(
    grads: &mut candle_core::backprop::GradStore,
    vars: &[Var],
    max_norm: f64,
) -> Result<()> {
    let Some(squared) = squared_grad_norm(grads, vars)? else {
        return Ok(());
    };
    let factor = (squared.sqrt()?.maximum(max_norm)?.recip()? * max_norm)?; // []
    for var in vars {
        if let Some(g) = grads.remove(var.as_tensor()) {
            grads.insert(var.as_tensor(), g.broadcast_mul(&factor)?);
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "numerics_tests.rs"]
mod tests;
