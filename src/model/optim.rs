//! Adam and RAdam (Latplan JAIR-22 §2.2 uses RAdam without warm-up, lr 1e-3),
//! with state that can be saved into a checkpoint and restored, so a resumed
//! run continues exactly. candle's own `AdamW` keeps its moments private.
//!
//! On the CPU the update runs fused and in place (three passes over each
//! variable, no allocation) instead of candle's dozen tensor ops; it does the
//! same f32 operations in the same order, so both paths give the same bits
//! (tested), and a run trained before the fused path existed is reproduced.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{bail, CpuStorage, InplaceOp2, InplaceOp3, Layout, Result, Tensor, Var};

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
        self.step_with(grads, true)
    }

    /// [`Optimizer::step`], fused in place on the CPU when `fused` (other
    /// devices always take the tensor ops).
    fn step_with(&mut self, grads: &GradStore, fused: bool) -> Result<()> {
        self.step += 1;
        let t = self.step as f64;
        let (bc1, bc2) = (1.0 - BETA1.powf(t), 1.0 - BETA2.powf(t));
        let rect = self.rectification();
        for slot in &mut self.slots {
            let Some(g) = grads.get(slot.var.as_tensor()) else {
                continue;
            };
            if fused && g.device().is_cpu() {
                let g = g.contiguous()?;
                slot.m.inplace_op2(
                    &g,
                    &Moment {
                        beta: BETA1,
                        square: false,
                    },
                )?;
                slot.v.inplace_op2(
                    &g,
                    &Moment {
                        beta: BETA2,
                        square: true,
                    },
                )?;
                let update = Update {
                    bc1,
                    bc2,
                    lr: self.lr,
                    rect,
                };
                slot.var
                    .as_tensor()
                    .inplace_op3(&slot.m, &slot.v, &update)?;
                continue;
            }
            // Detached: a gradient refers to the step's activations, and moments
            // built from it would chain every step's graph (out of GPU memory
            // within an epoch of the conv preset).
            let g = g.detach();
            let g = &g;
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

    /// The moments as named tensors (`m.<var>`, `v.<var>`) for a checkpoint:
    /// copies, as the fused step changes the moments in place.
    pub fn state(&self) -> Result<Vec<(String, Tensor)>> {
        let mut out = Vec::with_capacity(2 * self.slots.len());
        for s in &self.slots {
            out.push((format!("m.{}", s.name), s.m.copy()?));
            out.push((format!("v.{}", s.name), s.v.copy()?));
        }
        Ok(out)
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
                *target = t
                    .copy()
                    .map_err(|e| format!("optimizer state {key}: {e}"))?;
            }
        }
        self.step = steps;
        Ok(())
    }
}

/// The f32 slice a contiguous CPU tensor covers.
fn f32s<'a>(storage: &'a CpuStorage, layout: &Layout) -> Result<&'a [f32]> {
    match (storage, layout.contiguous_offsets()) {
        (CpuStorage::F32(data), Some((start, end))) => Ok(&data[start..end]),
        _ => bail!("the fused optimizer step takes contiguous f32 tensors"),
    }
}

/// [`f32s`], mutable.
fn f32s_mut<'a>(storage: &'a mut CpuStorage, layout: &Layout) -> Result<&'a mut [f32]> {
    match (storage, layout.contiguous_offsets()) {
        (CpuStorage::F32(data), Some((start, end))) => Ok(&mut data[start..end]),
        _ => bail!("the fused optimizer step takes contiguous f32 tensors"),
    }
}

/// A moment estimate updated in place from the gradient:
/// `m ← m·β + g·(1 − β)`, or with `g²` when `square`. Each operation is the
/// one candle's tensor ops do (`t * c` is `t·c + 0`), so the bits agree.
struct Moment {
    beta: f64,
    square: bool,
}

impl InplaceOp2 for Moment {
    fn name(&self) -> &'static str {
        "adam-moment"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<()> {
        let (m, g) = (f32s_mut(s1, l1)?, f32s(s2, l2)?);
        if m.len() != g.len() {
            bail!("adam-moment: {} moments for {} gradients", m.len(), g.len());
        }
        let (keep, take) = (self.beta as f32, (1.0 - self.beta) as f32);
        for (m, &g) in m.iter_mut().zip(g) {
            let g = if self.square { g * g } else { g };
            *m = (*m * keep + 0.0) + (g * take + 0.0);
        }
        Ok(())
    }
}

/// The parameter update in place from the new moments:
/// `p ← p − m̂ / (√v̂ + ε) · lr·r`, or `p ← p − m̂ · lr` where RAdam falls
/// back to momentum SGD (`rect` = `None`, as [`Optimizer::rectification`]).
struct Update {
    bc1: f64,
    bc2: f64,
    lr: f64,
    rect: Option<f64>,
}

impl InplaceOp3 for Update {
    fn name(&self) -> &'static str {
        "adam-update"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<()> {
        let (p, m, v) = (f32s_mut(s1, l1)?, f32s(s2, l2)?, f32s(s3, l3)?);
        if p.len() != m.len() || p.len() != v.len() {
            bail!(
                "adam-update: {} parameters for {} and {} moments",
                p.len(),
                m.len(),
                v.len()
            );
        }
        let (inv1, inv2) = ((1.0 / self.bc1) as f32, (1.0 / self.bc2) as f32);
        let eps = EPS as f32;
        match self.rect {
            Some(r) => {
                let scale = (self.lr * r) as f32;
                for ((p, &m), &v) in p.iter_mut().zip(m).zip(v) {
                    let m_hat = m * inv1 + 0.0;
                    let denom = (v * inv2 + 0.0).sqrt() * 1.0 + eps;
                    *p -= (m_hat / denom) * scale + 0.0;
                }
            }
            None => {
                let lr = self.lr as f32;
                for (p, &m) in p.iter_mut().zip(m) {
                    *p -= (m * inv1 + 0.0) * lr + 0.0;
                }
            }
        }
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

    /// The fused CPU step and the tensor ops give the same bits, for Adam and
    /// for RAdam (both of its branches: 12 steps leave its momentum-SGD start).
    #[test]
    fn fused_step_matches_tensor_ops_bit_for_bit() {
        for kind in [OptimizerKind::Adam, OptimizerKind::Radam] {
            let init = Tensor::randn(0f32, 1.0, (7, 5), &Device::Cpu).unwrap();
            let targets: Vec<Tensor> = (0..12)
                .map(|_| Tensor::randn(0f32, 1.0, (5, 5), &Device::Cpu).unwrap())
                .collect();
            let mut runs = Vec::new();
            for fused in [false, true] {
                let w = Var::from_tensor(&init.copy().unwrap()).unwrap();
                let mut opt = Optimizer::new(kind, 0.01, vec![("w".into(), w.clone())]).unwrap();
                for (step, target) in targets.iter().enumerate() {
                    let x = (w.as_tensor().t().unwrap() * (step as f64 + 1.0)).unwrap();
                    // Through a product with an activation, like a network's: the
                    // gradient then refers to the graph of `x`.
                    let y = x.matmul(w.as_tensor()).unwrap(); // [5, 5]
                    let loss = (y - target).unwrap().sqr().unwrap().sum_all().unwrap();
                    let grads = loss.backward().unwrap();
                    opt.step_with(&grads, fused).unwrap();
                    for slot in &opt.slots {
                        // A moment that tracked the gradient's graph would keep
                        // every step's activations alive (the GPU ran out of memory).
                        assert!(!slot.m.track_op() && !slot.v.track_op(), "fused={fused}");
                    }
                }
                let state: Vec<Vec<f32>> = opt
                    .state()
                    .unwrap()
                    .iter()
                    .map(|(_, t)| t.flatten_all().unwrap().to_vec1().unwrap())
                    .collect();
                runs.push((
                    w.as_tensor()
                        .flatten_all()
                        .unwrap()
                        .to_vec1::<f32>()
                        .unwrap(),
                    state,
                ));
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&runs[0].0), bits(&runs[1].0), "{kind:?} weights");
            for (a, b) in runs[0].1.iter().zip(&runs[1].1) {
                assert_eq!(bits(a), bits(b), "{kind:?} moments");
            }
        }
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
