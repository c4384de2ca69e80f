//! Gapped Straight-Through (Fan et al., ICML 2022; ESTIMATORS §3): the network
//! reads an exact hard sample; the gradient is the tempered sigmoid / softmax
//! slope at a deterministic perturbation of the logits that makes the sampled
//! class win by at least a gap κ. The perturbation is a constant, so the
//! gradient reaches the logits unchanged (the authors' `gst_mover`, `detach=True`).

use candle_core::{Result, Tensor, D};
use candle_nn::ops;

use super::{sample_bits, sample_label, straight_through, Draw, Estimator};

/// The gap between the sampled logit and the others.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gap {
    /// A constant κ (GST-1.0: κ = 1).
    Fixed(f64),
    /// GST-p: `κ = −log(1 − π')/π'`, `π' = π_D·(1 − 1e-5)`, π_D the sampled class's probability.
    P,
}

/// Gapped Straight-Through, binary (§3.2) for bits and categorical (§3.1) for labels.
pub struct Gst {
    /// How the gap is chosen.
    pub gap: Gap,
}

impl Estimator for Gst {
    fn bits(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        let (b, _) = sample_bits(logits, draw.noise)?; // [n, bits]
        binary_gst(logits, &b, self.gap, draw.tau)
    }

    fn labels(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        let (d, _) = sample_label(logits, draw.noise)?; // [n, labels]
        categorical_gst(logits, &d, self.gap, draw.tau)
    }
}

/// `κ` for probabilities `pi` of the sampled classes. Elementwise.
fn kappa(gap: Gap, pi: &Tensor) -> Result<Tensor> {
    match gap {
        Gap::Fixed(k) => pi.ones_like()?.affine(k, 0.0),
        Gap::P => {
            let p = pi.affine(1.0 - 1e-5, 0.0)?;
            p.affine(-1.0, 1.0)?.log()?.neg()? / p
        }
    }
}

/// Binary GST for the sampled bits `b`: value `b`, gradient `σ'(t̃/τ)/τ` with
/// `t̃ = max(l, κ)` where `b = 1` and `min(l, −κ)` where `b = 0`.
///
/// # Shapes
/// `logits`, `b`: `[n, bits]` -> `[n, bits]`.
pub fn binary_gst(logits: &Tensor, b: &Tensor, gap: Gap, tau: f64) -> Result<Tensor> {
    let l = logits.detach(); // [n, bits]
    let sign = b.affine(2.0, -1.0)?; // [n, bits], ±1
    let k = kappa(gap, &ops::sigmoid(&(&l * sign)?)?)?; // [n, bits]
    let up = l.maximum(&k)?; // [n, bits]
    let down = l.minimum(&k.neg()?)?; // [n, bits]
    let target = b.gt(0.5)?.where_cond(&up, &down)?; // [n, bits]
    let moved = (logits + (target - l)?)?; // value t̃, gradient 1
    straight_through(b, &ops::sigmoid(&moved.affine(1.0 / tau, 0.0)?)?)
}

/// Categorical GST for the sampled one-hot `d`: value `d`, gradient of
/// `softmax(θ̃/τ)` with `θ̃_D = max θ`, `θ̃_i = min(θ_i, max θ − κ)` (i ≠ D).
///
/// # Shapes
/// `logits`, `d`: `[n, labels]` -> `[n, labels]`.
pub fn categorical_gst(logits: &Tensor, d: &Tensor, gap: Gap, tau: f64) -> Result<Tensor> {
    let t = logits.detach(); // [n, labels]
    let top = t.max_keepdim(D::Minus1)?; // [n, 1]
    let pi = (d * ops::softmax(&t, D::Minus1)?)?.sum_keepdim(D::Minus1)?; // [n, 1]
    let k = kappa(gap, &pi)?; // [n, 1]
    let others = t.broadcast_minimum(&(&top - k)?)?; // [n, labels]
    let target = d
        .gt(0.5)?
        .where_cond(&top.broadcast_as(t.shape())?, &others)?; // [n, labels]
    let moved = (logits + (target - t)?)?; // value θ̃, gradient 1
    let soft = ops::softmax(&moved.affine(1.0 / tau, 0.0)?, D::Minus1)?; // [n, labels]
    straight_through(d, &soft)
}
