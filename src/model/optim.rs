//! Adam and RAdam (Latplan JAIR-22 §2.2 uses RAdam without warm-up, lr 1e-3),
//! with state that can be saved into a checkpoint and restored, so a resumed
//! run continues exactly. candle's own `AdamW` keeps its moments private.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};

use super::config::OptimizerKind;

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-7; // Keras' default epsilon

/// One trainable variable with its two moment estimates.
struct Slot {
    name: String,
    var: Var,
    m: Tensor,
    v: Tensor,
}

/// Adam or RAdam over named variables, in name order.
pub struct Optimizer {
    kind: OptimizerKind,
    lr: f64,
    step: u64,
    slots: Vec<Slot>,
}

impl Optimizer {
    /// An optimizer over `vars` (name, variable); moments start at zero.
    pub fn new(kind: OptimizerKind, lr: f64, mut vars: Vec<(String, Var)>) -> Result<Self> {
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let slots = vars
            .into_iter()
            .map(|(name, var)| {
                let m = var.as_tensor().zeros_like()?;
                let v = var.as_tensor().zeros_like()?;
                Ok(Slot { name, var, m, v })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Optimizer {
            kind,
            lr,
            step: 0,
            slots,
        })
    }

    /// The variables, in the optimizer's order.
    pub fn vars(&self) -> Vec<Var> {
        self.slots.iter().map(|s| s.var.clone()).collect()
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The step-size multiplier of this step: Adam's bias correction, and for RAdam
    /// the variance rectification `r_t` (or `None` when RAdam falls back to momentum SGD).
    fn rectification(&self) -> Option<f64> {
        let t = self.step as f64;
        match self.kind {
            OptimizerKind::Adam => Some(1.0),
            OptimizerKind::Radam => {
                let rho_inf = 2.0 / (1.0 - BETA2) - 1.0;
                let b2t = BETA2.powf(t);
                let rho = rho_inf - 2.0 * t * b2t / (1.0 - b2t);
                (rho > 4.0).then(|| {
                    ((rho - 4.0) * (rho - 2.0) * rho_inf
                        / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))
                        .sqrt()
                })
            }
        }
    }

    /// One update from `grads`; variables without a gradient are left alone.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.step += 1;
        let t = self.step as f64;
        let (bc1, bc2) = (1.0 - BETA1.powf(t), 1.0 - BETA2.powf(t));
        let rect = self.rectification();
        for slot in &mut self.slots {
            let Some(g) = grads.get(slot.var.as_tensor()) else {
                continue;
            };
            slot.m = ((&slot.m * BETA1)? + (g * (1.0 - BETA1))?)?;
            slot.v = ((&slot.v * BETA2)? + (g.sqr()? * (1.0 - BETA2))?)?;
            let m_hat = (&slot.m / bc1)?;
            let update = match rect {
                Some(r) => (m_hat / ((&slot.v / bc2)?.sqrt()? + EPS)?)? * (self.lr * r),
                None => m_hat * self.lr,
            }?;
            slot.var.set(&(slot.var.as_tensor() - update)?)?;
        }
        Ok(())
    }

    /// The moments as named tensors (`m.<var>`, `v.<var>`) for a checkpoint.
    pub fn state(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::with_capacity(2 * self.slots.len());
        for s in &self.slots {
            out.push((format!("m.{}", s.name), s.m.clone()));
            out.push((format!("v.{}", s.name), s.v.clone()));
        }
        out
    }

    /// Restores the moments saved by [`Optimizer::state`] and the step count.
    /// Fails, naming the variable, when one is missing or has another shape.
    pub fn restore(
        &mut self,
        tensors: &HashMap<String, Tensor>,
        steps: u64,
    ) -> std::result::Result<(), String> {
        for s in &mut self.slots {
            for (prefix, target) in [("m", &mut s.m), ("v", &mut s.v)] {
                let key = format!("{prefix}.{}", s.name);
                let t = tensors
                    .get(&key)
                    .ok_or_else(|| format!("optimizer state {key} is missing"))?;
                if t.dims() != target.dims() {
                    return Err(format!(
                        "optimizer state {key} has shape {:?}, expected {:?}",
                        t.dims(),
                        target.dims()
                    ));
                }
                *target = t.clone();
            }
        }
        self.step = steps;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Adam on f(x) = x²/2 (gradient x), computed by hand in f64 for three steps.
    #[test]
    fn adam_matches_hand_computation() {
        let x = Var::new(&[1.0f32], &Device::Cpu).unwrap();
        let mut opt =
            Optimizer::new(OptimizerKind::Adam, 0.1, vec![("x".into(), x.clone())]).unwrap();
        let (mut xv, mut m, mut v) = (1.0f64, 0.0, 0.0);
        for t in 1..=3 {
            let loss = (x.as_tensor().sqr().unwrap() * 0.5)
                .unwrap()
                .sum_all()
                .unwrap();
            opt.step(&loss.backward().unwrap()).unwrap();
            let g = xv;
            m = BETA1 * m + (1.0 - BETA1) * g;
            v = BETA2 * v + (1.0 - BETA2) * g * g;
            let (mh, vh) = (m / (1.0 - BETA1.powi(t)), v / (1.0 - BETA2.powi(t)));
            xv -= 0.1 * mh / (vh.sqrt() + EPS);
        }
        let got = f64::from(x.as_tensor().to_vec1::<f32>().unwrap()[0]);
        assert!((got - xv).abs() < 1e-5, "{got} vs {xv}");
    }

    #[test]
    fn radam_starts_as_momentum_sgd_then_rectifies() {
        let x = Var::new(&[1.0f32], &Device::Cpu).unwrap();
        let mut opt =
            Optimizer::new(OptimizerKind::Radam, 0.1, vec![("x".into(), x.clone())]).unwrap();
        opt.step = 1;
        assert_eq!(opt.rectification(), None, "rho_1 = 1 ≤ 4");
        opt.step = 10_000;
        let r = opt.rectification().unwrap();
        assert!(r > 0.9 && r <= 1.0, "r_t tends to 1, got {r}");
    }
}
