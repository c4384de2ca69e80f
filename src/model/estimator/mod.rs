//! Gradient estimators for the discrete latents (`reference/ESTIMATORS.md`): how a
//! training step turns bit logits and action-label logits into the codes the
//! network reads, and how the gradient reaches the logits.
//!
//! One [`Estimator`] trait, one implementation per file:
//!
//! | [`EstimatorKind`] | bits (§) | action labels (§) |
//! |---|---|---|
//! | `binary-concrete` (default, Latplan) | soft Binary Concrete (§1) | soft Gumbel-Softmax (§1) |
//! | `st-bernoulli` | exact sample, ST through `σ(l/τ)` (§2.3) | exact sample, ST through `softmax(θ/τ)` (§2.2) |
//! | `st-concrete` | ST Binary Concrete (§2.3) | ST Gumbel-Softmax (§2.1) |
//! | `gst`, `gst-p` | binary GST (§3.2) | categorical GST (§3.1) |
//! | `igr` | binary IGR, unit scale (§4.2) | soft Gumbel-Softmax (no categorical IGR) |
//! | `reinforce` | score function, moving-average baseline (§5.2) | same |
//! | `rloo` | score function, leave-one-out over S samples (§5.3) | same |
//! | `imle`, `aimle` | perturb-and-MAP with logistic noise (§6) | perturb-and-MAP with Gumbel noise (§6.1) |
//!
//! Evaluation is `1[l > 0]` / argmax for every estimator, so extraction and
//! planning never depend on the choice. All noise comes from the run's seeded
//! [`Noise`].

mod concrete;
mod gst;
mod igr;
mod imle;
mod reinforce;
mod straight;

#[cfg(test)]
mod tests;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var, D};
use candle_nn::ops;
use serde::{Deserialize, Serialize};

use super::noise::Noise;
use super::numerics::{one_hot_argmax, softplus, step};

pub use concrete::BinaryConcrete;
pub use gst::{Gap, Gst};
pub use igr::Igr;
pub use imle::{Aimle, Imle};
pub use reinforce::{Reinforce, Rloo};
pub use straight::{StBernoulli, StConcrete};

/// Which estimator a run trains with (saved in `config.json` as `model.estimator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EstimatorKind {
    /// Soft Binary Concrete bits and Gumbel-Softmax labels (Latplan's default).
    #[default]
    BinaryConcrete,
    /// Straight-through: exact samples, gradient of `σ(l/τ)` / `softmax(θ/τ)`.
    StBernoulli,
    /// Straight-through Binary Concrete / Gumbel-Softmax (Latplan's `train_hard`).
    StConcrete,
    /// Gapped Straight-Through with a fixed gap (`estimator_options.gap`, GST-1.0).
    Gst,
    /// Gapped Straight-Through with the probability-dependent gap (GST-p).
    GstP,
    /// Invertible Gaussian Reparameterization of the bits (labels: Gumbel-Softmax).
    Igr,
    /// REINFORCE with a moving-average baseline.
    Reinforce,
    /// REINFORCE leave-one-out over `estimator_options.samples` samples per transition.
    Rloo,
    /// Implicit MLE with a fixed λ (`estimator_options.lambda`).
    Imle,
    /// Adaptive I-MLE: λ relative to the logits, tuned to a target gradient sparsity.
    Aimle,
}

/// The estimators' hyperparameters; each estimator reads the ones it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EstimatorOptions {
    /// GST's gap κ between the sampled logit and the others (GST-1.0: 1).
    pub gap: f64,
    /// RLOO's samples per transition (at least 2).
    pub samples: usize,
    /// REINFORCE's baseline decay: `b ← decay·b + (1 − decay)·mean(loss)`.
    pub baseline_decay: f64,
    /// I-MLE's λ: the target logits are `θ − λ·∂loss/∂z` per transition.
    pub lambda: f64,
    /// AIMLE's starting β (λ = β·‖θ‖/‖∂loss/∂z‖).
    pub aimle_beta: f64,
    /// AIMLE's step of β per training step.
    pub aimle_step: f64,
    /// AIMLE's target share of non-zero gradient entries per sample.
    pub aimle_target: f64,
}

impl Default for EstimatorOptions {
    fn default() -> Self {
        EstimatorOptions {
            gap: 1.0,
            samples: 2,
            baseline_decay: 0.9,
            lambda: 1.0,
            aimle_beta: 0.1,
            aimle_step: 1e-3,
            aimle_target: 0.05,
        }
    }
}

impl EstimatorOptions {
    /// Checks the values a user can set.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let o = self;
        if !(o.gap > 0.0 && o.lambda > 0.0 && o.aimle_step > 0.0) {
            return Err(format!(
                "model.estimator_options: gap, lambda and aimle_step must be positive, \
                 got {}, {} and {}",
                o.gap, o.lambda, o.aimle_step
            ));
        }
        if o.samples < 2 {
            return Err(format!(
                "model.estimator_options.samples must be at least 2 (RLOO leaves one out), got {}",
                o.samples
            ));
        }
        if !((0.0..1.0).contains(&o.baseline_decay)
            && o.aimle_beta >= 0.0
            && (0.0..=1.0).contains(&o.aimle_target))
        {
            return Err(format!(
                "model.estimator_options: expected 0 <= baseline_decay < 1, aimle_beta >= 0 and \
                 0 <= aimle_target <= 1, got {}, {} and {}",
                o.baseline_decay, o.aimle_beta, o.aimle_target
            ));
        }
        Ok(())
    }
}

impl EstimatorKind {
    /// Every kind, in the order of the table above.
    pub const ALL: [EstimatorKind; 10] = [
        EstimatorKind::BinaryConcrete,
        EstimatorKind::StBernoulli,
        EstimatorKind::StConcrete,
        EstimatorKind::Gst,
        EstimatorKind::GstP,
        EstimatorKind::Igr,
        EstimatorKind::Reinforce,
        EstimatorKind::Rloo,
        EstimatorKind::Imle,
        EstimatorKind::Aimle,
    ];

    /// The name in `config.json` and on the command line, e.g. `st-concrete`.
    pub fn name(self) -> &'static str {
        match self {
            EstimatorKind::BinaryConcrete => "binary-concrete",
            EstimatorKind::StBernoulli => "st-bernoulli",
            EstimatorKind::StConcrete => "st-concrete",
            EstimatorKind::Gst => "gst",
            EstimatorKind::GstP => "gst-p",
            EstimatorKind::Igr => "igr",
            EstimatorKind::Reinforce => "reinforce",
            EstimatorKind::Rloo => "rloo",
            EstimatorKind::Imle => "imle",
            EstimatorKind::Aimle => "aimle",
        }
    }

    /// The estimator of this kind with `options`.
    pub fn build(self, options: &EstimatorOptions) -> Box<dyn Estimator> {
        match self {
            EstimatorKind::BinaryConcrete => Box::new(BinaryConcrete),
            EstimatorKind::StBernoulli => Box::new(StBernoulli),
            EstimatorKind::StConcrete => Box::new(StConcrete),
            EstimatorKind::Gst => Box::new(Gst {
                gap: Gap::Fixed(options.gap),
            }),
            EstimatorKind::GstP => Box::new(Gst { gap: Gap::P }),
            EstimatorKind::Igr => Box::new(Igr),
            EstimatorKind::Reinforce => Box::new(Reinforce::new(options.baseline_decay)),
            EstimatorKind::Rloo => Box::new(Rloo {
                samples: options.samples,
            }),
            EstimatorKind::Imle => Box::new(Imle {
                lambda: options.lambda,
            }),
            EstimatorKind::Aimle => Box::new(Aimle::new(options)),
        }
    }
}

/// Whether a stochastic node holds independent bits or a one-hot label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKind {
    /// Independent Bernoulli bits, `q(z=1) = σ(l)`.
    Bits,
    /// One categorical label per row, `q = softmax(θ)`.
    Label,
}

/// A stochastic node of one training step, recorded by estimators whose gradient
/// needs more than one backward pass through the relaxation (REINFORCE, I-MLE).
pub struct Site {
    /// Bits or label.
    pub kind: SiteKind,
    /// The logits the code was drawn from, still on the graph, `[n, width]`.
    pub logits: Tensor,
    /// The hard code, detached, `[n, width]`.
    pub code: Tensor,
    /// The noise of the draw (logistic for bits, Gumbel for labels), `[n, width]`.
    pub noise: Tensor,
    /// The leaf the network read the code from (I-MLE), for `∂loss/∂code`.
    pub leaf: Option<Var>,
}

/// What a training-mode draw needs: the run's noise, the temperature and the
/// list where estimators record their [`Site`]s.
pub struct Draw<'a> {
    /// The run's seeded noise.
    pub noise: &'a mut Noise,
    /// Temperature of the relaxation (shapes the surrogate gradient of ST estimators).
    pub tau: f64,
    /// Sites recorded so far in this step.
    pub sites: &'a mut Vec<Site>,
}

/// A gradient estimator for the bits and the action labels.
pub trait Estimator: Send + Sync {
    /// The training-mode code of bit logits.
    ///
    /// # Shapes
    /// `logits`: `[n, bits]` -> `[n, bits]`.
    fn bits(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor>;

    /// The training-mode code of action-label logits.
    ///
    /// # Shapes
    /// `logits`: `[n, labels]` -> `[n, labels]`.
    fn labels(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor>;

    /// The Bernoulli logit of `q(z = 1 | x)` for raw bit logits `l` (`l` itself
    /// except for IGR); the KL terms and the action encoder use it.
    ///
    /// # Shapes
    /// any -> same.
    fn q_logits(&self, logits: &Tensor) -> Result<Tensor> {
        Ok(logits.clone())
    }

    /// Copies of every transition a training batch holds (RLOO's samples).
    fn samples(&self) -> usize {
        1
    }

    /// The gradients of a step from the per-row losses (the step minimizes their
    /// mean) and the sites recorded while computing them.
    ///
    /// # Shapes
    /// `losses`: `[rows]`.
    fn gradients(&self, losses: &Tensor, _sites: &[Site]) -> Result<GradStore> {
        losses.mean_all()?.backward()
    }
}

/// Logistic noise `log u − log(1 − u)` from uniform `u`. Elementwise.
pub fn logistic(uniform: &Tensor) -> Result<Tensor> {
    uniform.log()? - uniform.affine(-1.0, 1.0)?.log()?
}

/// Gumbel noise `−log(−log u)` from uniform `u`. Elementwise.
pub fn gumbel(uniform: &Tensor) -> Result<Tensor> {
    uniform.log()?.neg()?.log()?.neg()
}

/// Straight-through: the value of `hard` (exactly: `soft − sg(soft)` is 0), the
/// gradient of `soft` (`hard + soft − sg(soft)`). Elementwise.
pub fn straight_through(hard: &Tensor, soft: &Tensor) -> Result<Tensor> {
    hard + (soft - soft.detach())?
}

/// An exact `Bern(σ(l))` sample `1[l + L > 0]` with its logistic noise, detached.
///
/// # Shapes
/// `logits`: `[n, bits]` -> (`[n, bits]` code, `[n, bits]` noise).
pub fn sample_bits(logits: &Tensor, noise: &mut Noise) -> Result<(Tensor, Tensor)> {
    let l = logistic(&noise.uniform(logits.shape(), logits.device())?)?; // [n, bits]
    Ok((step(&(logits.detach() + &l)?)?, l))
}

/// An exact `Cat(softmax θ)` one-hot sample `onehot(argmax(θ + G))` with its Gumbel noise, detached.
///
/// # Shapes
/// `logits`: `[n, labels]` -> (`[n, labels]` one-hot, `[n, labels]` noise).
pub fn sample_label(logits: &Tensor, noise: &mut Noise) -> Result<(Tensor, Tensor)> {
    let g = gumbel(&noise.uniform(logits.shape(), logits.device())?)?; // [n, labels]
    Ok((one_hot_argmax(&(logits.detach() + &g)?)?, g))
}

/// `log q(code)` of each row: bits `Σ z·l − softplus(l)`, label `Σ d·log_softmax(θ)`.
///
/// # Shapes
/// `site.logits`, `site.code`: `[n, width]` -> `[n]`.
pub fn log_q(site: &Site) -> Result<Tensor> {
    let l = &site.logits;
    match site.kind {
        SiteKind::Bits => ((&site.code * l)? - softplus(l)?)?.sum(D::Minus1),
        SiteKind::Label => (&site.code * ops::log_softmax(l, D::Minus1)?)?.sum(D::Minus1),
    }
}

/// Sums a per-site value over the site's row blocks (`[z0; z1]` has two blocks
/// per transition) so it lines up with the loss rows.
///
/// # Shapes
/// `values`: `[k·rows]` -> `[rows]`.
pub fn per_row(values: &Tensor, rows: usize) -> Result<Tensor> {
    let n = values.dim(0)?;
    if rows == 0 || n % rows != 0 {
        candle_core::bail!("a site of {n} rows does not line up with {rows} loss rows");
    }
    values.reshape((n / rows, rows))?.sum(0) // [rows]
}
