//! Binary Concrete bits and Gumbel-Softmax labels (ESTIMATORS §1, Latplan §8):
//! the decoder reads the soft relaxation, the gradient is pathwise. Latplan's
//! default and this project's; it draws exactly the noise the model drew before
//! estimators were selectable, so runs stay bit-identical.

use candle_core::{Result, Tensor};

use super::{Draw, Estimator};
use crate::model::numerics::{binary_concrete, gumbel_softmax};

/// Soft Binary Concrete / Gumbel-Softmax at the step's temperature.
pub struct BinaryConcrete;

impl Estimator for BinaryConcrete {
    /// `σ((l + L)/τ)`.
    fn bits(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        let u = draw.noise.uniform(logits.shape(), logits.device())?; // [n, bits]
        binary_concrete(logits, &u, draw.tau)
    }

    /// `softmax((θ + G)/τ)`.
    fn labels(&self, logits: &Tensor, draw: &mut Draw) -> Result<Tensor> {
        let u = draw.noise.uniform(logits.shape(), logits.device())?; // [n, labels]
        gumbel_softmax(logits, &u, draw.tau)
    }
}
