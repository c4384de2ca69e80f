//! The AMA3+ / AMA4+ objective (Latplan JAIR-22 §2.2, `BaseActionMixinAMA3Plus`
//! and `BaseActionMixinAMA4Plus`): per sample, summed over dimensions, averaged
//! over the batch.
//!
//! ```text
//! fwd1 = β_z·KL(z0) + NLL(x0|z0) + KL(a|z0) + β_d·KL(z1 || z2) + NLL(x1|z1)
//! fwd2 = β_z·KL(z0) + NLL(x0|z0) + KL(a|z0) + NLL(x1|z2)
//! AMA3+: (fwd1 + fwd2)/2
//! AMA4+: (fwd1 + fwd2 + bwd1 + bwd2)/4 with the roles of (x0, z2) and (x1, z3) swapped
//! ```
//! The ELBO is the same with β_z = β_d = 1.

use candle_core::{Result, Tensor};

use super::config::ModelConfig;
use super::csae::Terms;

/// Names of the values [`summarize`] returns, in order (also the log columns).
pub const LOSS_NAMES: [&str; 6] = ["loss", "elbo", "recon", "kl_z", "kl_a", "kl_succ"];

/// The loss to minimize and the ELBO (negated, so lower is better), both `[batch]`.
pub fn objective(terms: &Terms, cfg: &ModelConfig) -> Result<(Tensor, Tensor)> {
    let weighted = combine(terms, cfg.beta_z, cfg.beta_d)?;
    let elbo = combine(terms, 1.0, 1.0)?;
    Ok((weighted, elbo))
}

fn combine(t: &Terms, beta_z: f64, beta_d: f64) -> Result<Tensor> {
    let common0 = (((&t.kl_z0 * beta_z)? + &t.x0y0)? + &t.kl_a_z0)?; // [batch]
    let fwd1 = ((&common0 + (&t.kl_z1z2 * beta_d)?)? + &t.x1y1)?;
    let fwd2 = (&common0 + &t.x1y2)?;
    match &t.backward {
        None => (fwd1 + fwd2)? * 0.5,
        Some(b) => {
            let common1 = (((&t.kl_z1 * beta_z)? + &t.x1y1)? + &b.kl_a_z1)?; // [batch]
            let bwd1 = ((&common1 + (&b.kl_z0z3 * beta_d)?)? + &t.x0y0)?;
            let bwd2 = (&common1 + &b.x0y3)?;
            (((fwd1 + fwd2)? + bwd1)? + bwd2)? * 0.25
        }
    }
}

/// The per-transition loss `[batch]` (the step minimizes its mean, through the
/// estimator's gradients) and the batch means of [`LOSS_NAMES`] as one `[6]`
/// tensor, so that logging costs one device-to-host copy.
pub fn summarize(terms: &Terms, cfg: &ModelConfig) -> Result<(Tensor, Tensor)> {
    let (losses, elbo) = objective(terms, cfg)?;
    let loss = losses.mean_all()?;
    let recon = ((&terms.x0y0 + &terms.x1y1)? * 0.5)?.mean_all()?;
    let kl_z = ((&terms.kl_z0 + &terms.kl_z1)? * 0.5)?.mean_all()?;
    let parts = [
        loss.detach(),
        elbo.mean_all()?,
        recon,
        kl_z,
        terms.kl_a_z0.mean_all()?,
        terms.kl_z1z2.mean_all()?,
    ];
    Ok((losses, Tensor::stack(&parts, 0)?))
}
