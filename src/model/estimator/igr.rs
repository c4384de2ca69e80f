//! Invertible Gaussian Reparameterization for bits (Potapczynski et al., NeurIPS
//! 2020; ESTIMATORS §4.2): for two classes softmax++ is a sigmoid, so a bit is
//! relaxed as `σ((μ + ε)/τ)`, `ε ~ N(0, 1)`: a probit relaxation instead of
//! Binary Concrete's logistic one. The encoder's logit is μ and the scale σ is
//! fixed to 1 (only μ/σ decides `q`, and a learned σ would need a second encoder
//! head), so `q(z = 1 | x) = Φ(μ)`. The KL is the exact discrete one on
//! `Bern(Φ(μ))` (§4.3 "binary alternative"), which the model gets through
//! [`Estimator::q_logits`]. Action labels use Gumbel-Softmax: this project has
//! no categorical IGR (its τ→0 label distribution has no closed form for the
//! label KL against the learned prior `p(a | z0)`).

use candle_core::{DType, Result, Tensor};
use candle_nn::ops;

use super::{Draw, Estimator};
use crate::model::numerics::gumbel_softmax;

/// Binary IGR (unit scale) for bits, Gumbel-Softmax for labels.
pub struct Igr;

/// `|μ|` beyond which `logit Φ(μ)` is held constant: `Φ(−7) ≈ 1.3e-12` is still
/// exact in `f64` through `erf`; farther out `1 + erf` rounds to 0.
const PROBIT_LIMIT: f64 = 7.0;

impl Estimator for Igr {
    /// `σ((μ + ε)/τ)`; its hard version `1[μ + ε > 0]` is `Bern(Φ(μ))`.
    fn bits(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        let eps = draw.noise.normal(logits.shape(), 1.0, logits.device())?; // [n, bits]
        ops::sigmoid(&(logits + eps)?.affine(1.0 / draw.tau, 0.0)?)
    }

    /// Gumbel-Softmax `softmax((θ + G)/τ)`.
    fn labels(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        let u = draw.noise.uniform(logits.shape(), logits.device())?; // [n, labels]
        gumbel_softmax(logits, &u, draw.tau)
    }

    /// `log Φ(μ) − log Φ(−μ)`, computed in `f64`.
    fn q_logits(&self, logits: &Tensor) -> Result<Tensor> {
        probit_logit(logits)
    }
}

/// The Bernoulli logit of `Φ(μ)`: `log Φ(μ) − log Φ(−μ)`, with `μ` clamped to
/// ±[`PROBIT_LIMIT`]. Elementwise.
pub fn probit_logit(mu: &Tensor) -> Result<Tensor> {
    let dtype = mu.dtype();
    let x = mu
        .to_dtype(DType::F64)?
        .clamp(-PROBIT_LIMIT, PROBIT_LIMIT)?
        .affine(std::f64::consts::FRAC_1_SQRT_2, 0.0)?; // μ/√2
    let log_cdf = |v: &Tensor| v.erf()?.affine(0.5, 0.5)?.log(); // log Φ
    (log_cdf(&x)? - log_cdf(&x.neg()?)?)?.to_dtype(dtype)
}
