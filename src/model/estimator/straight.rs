//! Straight-through estimators (ESTIMATORS §2): the network reads an exact hard
//! sample; the backward pass uses the gradient of a soft surrogate.
//!
//! - [`StBernoulli`]: bits `b ~ Bern(σ(l))` with surrogate `σ(l/τ)` (§2.3,
//!   "ST-sigmoid"); labels `D ~ Cat(softmax θ)` with surrogate `softmax(θ/τ)` (§2.2).
//! - [`StConcrete`]: the surrogate is the Binary Concrete / Gumbel-Softmax sample
//!   at the same noise (§2.1, §2.3; Latplan's `train_hard`).

use candle_core::{Result, Tensor, D};
use candle_nn::ops;

use super::{gumbel, logistic, sample_bits, sample_label, straight_through, Draw, Estimator};
use crate::model::numerics::{one_hot_argmax, step};

/// Straight-through with the noiseless tempered sigmoid / softmax as surrogate.
pub struct StBernoulli;

impl Estimator for StBernoulli {
    /// `b + σ(l/τ) − sg(σ(l/τ))`, `b = 1[l + L > 0]`.
    fn bits(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        let (b, _) = sample_bits(logits, draw.noise)?; // [n, bits]
        let soft = ops::sigmoid(&logits.affine(1.0 / draw.tau, 0.0)?)?; // [n, bits]
        straight_through(&b, &soft)
    }

    /// `D + softmax(θ/τ) − sg(softmax(θ/τ))`, `D = onehot(argmax(θ + G))`.
    fn labels(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        let (d, _) = sample_label(logits, draw.noise)?; // [n, labels]
        let soft = ops::softmax(&logits.affine(1.0 / draw.tau, 0.0)?, D::Minus1)?; // [n, labels]
        straight_through(&d, &soft)
    }
}

/// Straight-through Binary Concrete / Gumbel-Softmax.
pub struct StConcrete;

impl Estimator for StConcrete {
    /// `b + s − sg(s)`, `s = σ((l + L)/τ)`, `b = 1[l + L > 0]`.
    fn bits(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        let u = draw.noise.uniform(logits.shape(), logits.device())?; // [n, bits]
        let noisy = (logits + logistic(&u)?)?; // [n, bits]
        let soft = ops::sigmoid(&noisy.affine(1.0 / draw.tau, 0.0)?)?;
        straight_through(&step(&noisy.detach())?, &soft)
    }

    /// `D + y − sg(y)`, `y = softmax((θ + G)/τ)`, `D = onehot(argmax(θ + G))`.
    fn labels(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        let u = draw.noise.uniform(logits.shape(), logits.device())?; // [n, labels]
        let noisy = (logits + gumbel(&u)?)?; // [n, labels]
        let soft = ops::softmax(&noisy.affine(1.0 / draw.tau, 0.0)?, D::Minus1)?;
        straight_through(&one_hot_argmax(&noisy.detach())?, &soft)
    }
}
