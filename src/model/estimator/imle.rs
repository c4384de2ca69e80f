//! Implicit MLE (Niepert et al., NeurIPS 2021) and adaptive I-MLE (Minervini et
//! al., AAAI 2023), ESTIMATORS §6: the network reads a perturb-and-MAP sample
//! (`1[l + L > 0]` for bits, `onehot(argmax(θ + G))` for a label: exact samples),
//! read through a leaf variable so a first backward pass yields `g = ∂loss/∂z`
//! per transition; the logits then get the finite difference of MAP states
//! around the target logits `θ ∓ λ·g` at the same noise, through a second
//! backward pass (§6.5's candle recipe).
//!
//! `g` is the gradient of a transition's own loss (the batch-mean loss times the
//! batch size), so λ does not depend on the batch size.

use std::sync::Mutex;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};

use super::{sample_bits, sample_label, Draw, Estimator, EstimatorOptions, Site, SiteKind};
use crate::model::numerics::{one_hot_argmax, step};

/// Draws a code through a leaf variable and records it.
fn record(kind: SiteKind, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
    let (code, noise) = match kind {
        SiteKind::Bits => sample_bits(logits, draw.noise)?,
        SiteKind::Label => sample_label(logits, draw.noise)?,
    }; // [n, width] each
    let leaf = Var::from_tensor(&code)?;
    let read = leaf.as_tensor().clone();
    draw.sites.push(Site {
        kind,
        logits: logits.clone(),
        code,
        noise,
        leaf: Some(leaf),
    });
    Ok(read)
}

/// The MAP state of perturbed logits `θ + noise` (threshold or one-hot argmax).
///
/// # Shapes
/// `theta`: `[n, width]` -> `[n, width]`.
pub fn map_state(site: &Site, theta: &Tensor) -> Result<Tensor> {
    let perturbed = (theta + &site.noise)?;
    match site.kind {
        SiteKind::Bits => step(&perturbed),
        SiteKind::Label => one_hot_argmax(&perturbed),
    }
}

/// Both backward passes: the loss's, then `Σ_sites Σ l ⊙ sg(ĝ)/rows` where
/// `rule(index, site, g)` gives the per-transition estimate `ĝ` from `g`.
fn two_pass(
    losses: &Tensor,
    sites: &[Site],
    mut rule: impl FnMut(usize, &Site, &Tensor) -> Result<Tensor>,
) -> Result<GradStore> {
    let mut grads = losses.mean_all()?.backward()?;
    let rows = losses.dim(0)? as f64;
    let mut surrogate: Option<Tensor> = None;
    for (i, site) in sites.iter().enumerate() {
        let Some(leaf) = &site.leaf else { continue };
        let g = match grads.get(leaf.as_tensor()) {
            Some(dy) => dy.affine(rows, 0.0)?, // [n, width], per transition
            None => site.code.zeros_like()?,
        };
        let estimate = rule(i, site, &g)?.affine(1.0 / rows, 0.0)?.detach(); // [n, width]
        let term = (&site.logits * estimate)?.sum_all()?; // []
        surrogate = Some(match surrogate {
            Some(s) => (s + term)?,
            None => term,
        });
    }
    if let Some(s) = surrogate {
        grads.extend(s.backward()?)?;
    }
    Ok(grads)
}

/// I-MLE with a fixed λ: `ĝ = (MAP(θ + ε) − MAP(θ − λg + ε))/λ`.
pub struct Imle {
    /// The step to the target logits.
    pub lambda: f64,
}

/// The I-MLE estimate `(z − MAP(θ − λg + ε))/λ`.
///
/// # Shapes
/// `g`: `[n, width]` -> `[n, width]`.
pub fn imle_estimate(site: &Site, g: &Tensor, lambda: f64) -> Result<Tensor> {
    let target = (site.logits.detach() - g.affine(lambda, 0.0)?)?;
    (&site.code - map_state(site, &target)?)?.affine(1.0 / lambda, 0.0)
}

impl Estimator for Imle {
    fn bits(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        record(SiteKind::Bits, logits, draw)
    }

    fn labels(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        record(SiteKind::Label, logits, draw)
    }

    fn gradients(&self, losses: &Tensor, sites: &[Site]) -> Result<GradStore> {
        two_pass(losses, sites, |_, site, g| {
            imle_estimate(site, g, self.lambda)
        })
    }
}

/// Adaptive I-MLE: central differences with `λ = β·‖θ‖/‖g‖`, and per site a β
/// that grows while samples have fewer non-zero gradient entries than the
/// target (a share of the bits; at most 1 for a label, whose changes come in pairs).
pub struct Aimle {
    step: f64,
    target: f64,
    start: f64,
    /// `(β, running mean of non-zeros per sample)` of every site, in draw order.
    state: Mutex<Vec<(f64, f64)>>,
}

impl Aimle {
    /// Fresh β's from `options`.
    pub fn new(options: &EstimatorOptions) -> Self {
        Aimle {
            step: options.aimle_step,
            target: options.aimle_target,
            start: options.aimle_beta,
            state: Mutex::new(Vec::new()),
        }
    }

    /// The current β of every site, in draw order (empty before the first step).
    pub fn betas(&self) -> Vec<f64> {
        self.state
            .lock()
            .map(|s| s.iter().map(|&(b, _)| b).collect())
            .unwrap_or_default()
    }

    /// The estimate of site `index`, updating its β.
    fn estimate(&self, index: usize, site: &Site, g: &Tensor) -> Result<Tensor> {
        let Ok(mut state) = self.state.lock() else {
            candle_core::bail!("the AIMLE state was poisoned by an earlier panic");
        };
        if state.len() <= index {
            state.resize(index + 1, (self.start, 1.0));
        }
        let (beta, mean_nnz) = state[index];
        let (estimate, nnz) = aimle_estimate(site, g, beta)?;
        let (n, width) = site.code.dims2()?;
        let goal = match site.kind {
            SiteKind::Bits => self.target * width as f64,
            SiteKind::Label => (self.target * width as f64).min(1.0),
        };
        let mean_nnz = 0.9 * mean_nnz + 0.1 * nnz / n as f64;
        let delta = if mean_nnz < goal {
            self.step
        } else {
            -self.step
        };
        state[index] = ((beta + delta).max(0.0), mean_nnz);
        Ok(estimate)
    }
}

/// AIMLE's central difference `(MAP(θ + λg + ε) − MAP(θ − λg + ε))/(2λ)` with
/// `λ = β·‖θ‖/‖g‖` (0, and a zero estimate, when `g = 0`), and its number of non-zeros.
///
/// # Shapes
/// `g`: `[n, width]` -> `[n, width]`.
pub fn aimle_estimate(site: &Site, g: &Tensor, beta: f64) -> Result<(Tensor, f64)> {
    let theta = site.logits.detach(); // [n, width]
    let norm = |t: &Tensor| -> Result<f64> {
        Ok(f64::from(t.sqr()?.sum_all()?.to_scalar::<f32>()?).sqrt())
    };
    let g_norm = norm(g)?;
    let lambda = if g_norm > 0.0 {
        beta * norm(&theta)? / g_norm
    } else {
        0.0
    };
    let step_g = g.affine(lambda, 0.0)?; // [n, width]
    let diff = (map_state(site, &(&theta + &step_g)?)? - map_state(site, &(&theta - &step_g)?)?)?;
    let nnz = f64::from(diff.abs()?.sum_all()?.to_scalar::<f32>()?);
    Ok((diff.affine(1.0 / (2.0 * lambda).max(1e-7), 0.0)?, nnz))
}

impl Estimator for Aimle {
    fn bits(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        record(SiteKind::Bits, logits, draw)
    }

    fn labels(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        record(SiteKind::Label, logits, draw)
    }

    fn gradients(&self, losses: &Tensor, sites: &[Site]) -> Result<GradStore> {
        two_pass(losses, sites, |i, site, g| self.estimate(i, site, g))
    }
}
