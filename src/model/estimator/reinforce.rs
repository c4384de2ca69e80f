//! Score-function estimators (ESTIMATORS §5): the network reads exact hard
//! samples (decoder and transition get their ordinary pathwise gradient), and the
//! logits get `(loss − baseline)·∇log q(code)`. The learning signal of a
//! transition is its whole loss, and one signal multiplies the scores of all its
//! codes (z0, z1, z2, label). The KL terms stay analytic, so their gradient is exact.
//!
//! - [`Reinforce`]: the baseline is a moving average of the batch-mean loss (§5.2).
//! - [`Rloo`]: every transition is drawn `S` times in the same batch and each
//!   sample's baseline is the mean of the other `S − 1` (§5.3; unbiased).

use std::sync::Mutex;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor};

use super::{log_q, per_row, sample_bits, sample_label, Draw, Estimator, Site, SiteKind};

/// Records a hard bit sample as a [`Site`] and returns it.
fn record_bits(logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
    let (code, noise) = sample_bits(logits, draw.noise)?; // [n, bits]
    draw.sites.push(Site {
        kind: SiteKind::Bits,
        logits: logits.clone(),
        code: code.clone(),
        noise,
        leaf: None,
    });
    Ok(code)
}

/// Records a hard label sample as a [`Site`] and returns it.
fn record_label(logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
    let (code, noise) = sample_label(logits, draw.noise)?; // [n, labels]
    draw.sites.push(Site {
        kind: SiteKind::Label,
        logits: logits.clone(),
        code: code.clone(),
        noise,
        leaf: None,
    });
    Ok(code)
}

/// Gradients of `mean(loss) + mean(sg(advantage)·Σ_sites log q)`.
///
/// # Shapes
/// `losses`, `advantage`: `[rows]`.
fn score_gradients(losses: &Tensor, advantage: &Tensor, sites: &[Site]) -> Result<GradStore> {
    let rows = losses.dim(0)?;
    let mut score = losses.zeros_like()?.detach(); // [rows]
    for site in sites {
        score = (score + per_row(&log_q(site)?, rows)?)?;
    }
    let surrogate = (advantage.detach() * score)?.mean_all()?; // []
    (losses.mean_all()? + surrogate)?.backward()
}

/// REINFORCE with a moving-average baseline.
pub struct Reinforce {
    decay: f64,
    /// The baseline; `None` until the first step (which uses its own batch mean).
    baseline: Mutex<Option<f64>>,
}

impl Reinforce {
    /// A fresh baseline with `decay` (`b ← decay·b + (1 − decay)·mean(loss)`).
    pub fn new(decay: f64) -> Self {
        Reinforce {
            decay,
            baseline: Mutex::new(None),
        }
    }

    /// The baseline for this step, then folds `mean` into it.
    fn baseline(&self, mean: f64) -> Result<f64> {
        let Ok(mut state) = self.baseline.lock() else {
            candle_core::bail!("the REINFORCE baseline was poisoned by an earlier panic");
        };
        let b = state.unwrap_or(mean);
        *state = Some(self.decay * b + (1.0 - self.decay) * mean);
        Ok(b)
    }
}

impl Estimator for Reinforce {
    fn bits(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        record_bits(logits, draw)
    }

    fn labels(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        record_label(logits, draw)
    }

    fn gradients(&self, losses: &Tensor, sites: &[Site]) -> Result<GradStore> {
        let f = losses.detach(); // [rows]
        let mean = f64::from(f.mean_all()?.to_scalar::<f32>()?);
        let b = self.baseline(mean)?;
        score_gradients(losses, &f.affine(1.0, -b)?, sites)
    }
}

/// REINFORCE leave-one-out over `samples` draws of every transition.
pub struct Rloo {
    /// Draws per transition (at least 2).
    pub samples: usize,
}

impl Estimator for Rloo {
    fn bits(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        record_bits(logits, draw)
    }

    fn labels(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        record_label(logits, draw)
    }

    fn samples(&self) -> usize {
        self.samples
    }

    /// Rows are `samples` blocks of the same transitions; the advantage of sample
    /// `s` is `S/(S−1)·(f_s − f̄)`, so the mean over rows is RLOO's estimate.
    fn gradients(&self, losses: &Tensor, sites: &[Site]) -> Result<GradStore> {
        let (rows, s) = (losses.dim(0)?, self.samples);
        if s < 2 || rows % s != 0 {
            candle_core::bail!(
                "RLOO needs at least 2 samples per transition, {rows} rows given for {s} samples"
            );
        }
        let f = losses.detach().reshape((s, rows / s))?; // [S, batch]
        let centred = f.broadcast_sub(&f.mean_keepdim(0)?)?; // [S, batch]
        let advantage = (centred * (s as f64 / (s - 1) as f64))?.flatten_all()?; // [rows]
        score_gradients(losses, &advantage, sites)
    }
}
