//! Training speed of a preset's network (`latplan bench-train`): the training
//! loop's own step ([`Session::train_step`]: forward, loss, gradients, clipping,
//! optimizer step, reading the loss back) timed on one synthetic batch that
//! stays on the device; and a check that one step's losses and gradients on a
//! device equal the CPU's (the GPU's kernels, the im2col convolutions included,
//! against the CPU's).
//!
//! The batch is built once, so the timing leaves out the per-step host-to-device
//! copy of the images. The noise (input noise, dropout masks, relaxation noise)
//! is drawn every step as in training: on the device's own generator on a GPU,
//! or, with [`SpeedOptions::host_noise`], on the host and copied over.

use std::time::Instant;

use anyhow::{bail, Context};
use candle_core::{Device, Tensor};
use rand::Rng as _;

use super::config::{ModelConfig, Preset, TrainConfig};
use super::data::{batch, Batch, Normalization, Pairs};
use super::noise::Noise;
use super::params::{is_statistic, sorted_vars};
use super::train::Session;
use crate::domain::Shape;
use crate::util::rng;

/// Random stream of the synthetic pixels.
const STREAM_PIXELS: u64 = 1;
/// Random stream of the step noise.
const STREAM_NOISE: u64 = 2;

/// What to time.
#[derive(Debug, Clone)]
pub struct SpeedOptions {
    /// The network and its training settings.
    pub preset: Preset,
    /// Image size.
    pub shape: Shape,
    /// Transitions per step [default: the preset's batch].
    pub batch: Option<usize>,
    /// Untimed steps first.
    pub warmup: usize,
    /// Timed steps (at least 1).
    pub steps: usize,
    /// Seed of the weights, pixels and noise.
    pub seed: u64,
    /// Draw the noise on the host also for a GPU (the way every step drew it
    /// before session 9), to time what drawing it on the device saves.
    pub host_noise: bool,
}

/// The timing of one preset.
#[derive(Debug, Clone)]
pub struct SpeedReport {
    /// The preset timed.
    pub preset: Preset,
    /// Its network.
    pub model: ModelConfig,
    /// Its training settings (with the batch used).
    pub train: TrainConfig,
    /// Trainable parameters.
    pub params: usize,
    /// Milliseconds of each timed step.
    pub step_ms: Vec<f64>,
    /// Seconds of the warm-up steps.
    pub warmup_s: f64,
    /// The loss of the first and of the last step.
    pub loss: (f64, f64),
    /// Median milliseconds of the phases of a step, from [`PHASE_STEPS`]
    /// more steps with the device synchronized between phases.
    pub phases: Phases,
}

/// Steps timed phase by phase after the timed ones.
pub const PHASE_STEPS: usize = 3;

/// Where a step's time goes (medians, milliseconds).
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    /// Forward pass and loss (run once more on its own to time it).
    pub forward: f64,
    /// The estimator's gradients (the step's forward pass subtracted).
    pub backward: f64,
    /// Clipping and the optimizer step.
    pub update: f64,
}

impl SpeedReport {
    /// Median milliseconds per step.
    pub fn median_ms(&self) -> f64 {
        median(self.step_ms.clone())
    }

    /// Training transitions per second at the median step time.
    pub fn transitions_per_s(&self) -> f64 {
        self.train.batch as f64 * 1000.0 / self.median_ms()
    }
}

/// A fresh session of the preset on `device` and one batch of seeded random
/// pixels, resident on `device`.
fn setup(opts: &SpeedOptions, device: &Device) -> anyhow::Result<(Session, Batch)> {
    let (model, mut train) = opts.preset.configs(opts.shape, opts.seed);
    if let Some(b) = opts.batch {
        train.batch = b;
    }
    if train.batch == 0 || opts.shape.is_empty() {
        bail!("the batch and the image must not be empty");
    }
    let n = train.batch;
    let mut r = rng(opts.seed, STREAM_PIXELS);
    let mut pixels = || -> Vec<u8> { (0..n * opts.shape.len()).map(|_| r.random()).collect() };
    let (pre, suc) = (pixels(), pixels());
    let pairs = Pairs {
        shape: opts.shape,
        pre: &pre,
        suc: &suc,
    };
    let norm = Normalization::from_pairs(&pairs, 0..n);
    let session = Session::new(&model, &train, norm, device)?;
    let rows: Vec<usize> = (0..n)
        .collect::<Vec<_>>()
        .repeat(session.model.estimator().samples());
    let b = batch(&pairs, &rows, &session.norm, model.output, device)?;
    Ok((session, b))
}

/// Times `opts.steps` training steps after `opts.warmup` untimed ones.
pub fn measure(opts: &SpeedOptions, device: &Device) -> anyhow::Result<SpeedReport> {
    if opts.steps == 0 {
        bail!("--steps must be at least 1");
    }
    let (mut session, b) = setup(opts, device)?;
    let vars = session.optimizer.vars();
    let params = vars.iter().map(|v| v.elem_count()).sum();
    let tau = session.train.temperature(0);
    let stream = rng(opts.seed, STREAM_NOISE);
    let mut noise = if opts.host_noise {
        Noise::on_host(stream)
    } else {
        Noise::new(stream)
    };
    let mut step = |session: &mut Session| -> anyhow::Result<f64> {
        let parts = session.train_step(&b, &mut noise, tau, &vars)?;
        let loss = f64::from(parts.to_vec1::<f32>()?[0]); // the loop's one device-to-host copy
        if !loss.is_finite() {
            bail!("the loss became {loss}");
        }
        Ok(loss)
    };
    let start = Instant::now();
    let mut first = None;
    for _ in 0..opts.warmup {
        let loss = step(&mut session)?;
        first.get_or_insert(loss);
    }
    device.synchronize()?;
    let warmup_s = start.elapsed().as_secs_f64();
    let mut step_ms = Vec::with_capacity(opts.steps);
    let mut last = f64::NAN;
    for _ in 0..opts.steps {
        let t = Instant::now();
        last = step(&mut session)?;
        device.synchronize()?;
        step_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        first.get_or_insert(last);
    }
    let phases = time_phases(&mut session, &b, &mut noise, tau, &vars)?;
    Ok(SpeedReport {
        preset: opts.preset,
        model: session.model.config().clone(),
        train: session.train.clone(),
        params,
        step_ms,
        warmup_s,
        loss: (first.unwrap_or(f64::NAN), last),
        phases,
    })
}

/// [`PHASE_STEPS`] steps timed phase by phase (the device synchronized after
/// each): a forward pass alone, then the gradients (forward and backward) and
/// the update of one step.
fn time_phases(
    session: &mut Session,
    b: &Batch,
    noise: &mut Noise,
    tau: f64,
    vars: &[candle_core::Var],
) -> anyhow::Result<Phases> {
    let device = session.device.clone();
    let timed = |f: &mut dyn FnMut() -> anyhow::Result<()>| -> anyhow::Result<f64> {
        let t = Instant::now();
        f()?;
        device.synchronize()?;
        Ok(t.elapsed().as_secs_f64() * 1000.0)
    };
    let (mut forward, mut backward, mut update) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..PHASE_STEPS {
        let cfg = session.model.config().clone();
        let f = timed(&mut || {
            let terms = session.model.terms(
                &b.x0,
                &b.x1,
                &b.t0,
                &b.t1,
                &mut super::nets::Pass::Train { noise, tau },
            )?;
            super::loss::summarize(&terms, &cfg)?;
            Ok(())
        })?;
        let mut grads = None;
        let fb = timed(&mut || {
            grads = Some(session.gradients(b, noise, tau)?.1);
            Ok(())
        })?;
        let mut grads = grads.context("the gradients were just computed")?;
        update.push(timed(&mut || session.step(&mut grads, vars))?);
        forward.push(f);
        backward.push((fb - f).max(0.0));
    }
    Ok(Phases {
        forward: median(forward),
        backward: median(backward),
        update: median(update),
    })
}

/// The median of `v` (NaN when empty).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// How far one step on a device is from the same step on the CPU.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Largest relative error of the loss means (`max |d − c| / max |c|`).
    pub loss_err: f64,
    /// Every trainable variable compared: name, error
    /// `max |d − c| / max(max |c|, GRAD_FLOOR · max over all variables of max |c|)`,
    /// `max |d − c|`, `max |c|`; the largest errors first.
    pub grads: Vec<(String, f64, f64, f64)>,
    /// The CPU against itself with the input pixels perturbed by a relative
    /// [`SENSITIVITY_PERTURBATION`]: the variable whose gradient moved most and
    /// by how much (same measure as in `grads`).
    pub cpu_sensitivity: (String, f64),
    /// The batch norms' running statistics after the step, as `grads` (the
    /// floor a share of the largest statistic); the largest errors first.
    pub statistics: Vec<(String, f64, f64, f64)>,
}

impl CheckReport {
    /// The variable whose gradient is furthest from the CPU's, and its error.
    pub fn worst_grad(&self) -> (String, f64) {
        worst(&self.grads)
    }

    /// The running statistic furthest from the CPU's, and its error.
    pub fn worst_statistic(&self) -> (String, f64) {
        worst(&self.statistics)
    }
}

/// The first (largest) entry of a [`compare`] list: name and error.
fn worst(grads: &[(String, f64, f64, f64)]) -> (String, f64) {
    grads
        .first()
        .map(|g| (g.0.clone(), g.1))
        .unwrap_or_default()
}

/// A gradient is compared with its own scale, but never with less than this
/// share of the largest gradient entry of the step: some gradients are zero
/// in exact arithmetic (a bias in front of a batch norm in training mode: the
/// norm subtracts the batch mean, so the conv preset's
/// `decoder.input_bn.bias` has none) and are rounding noise on both devices.
const GRAD_FLOOR: f64 = 1e-3;

/// `(max |a − b|, max |b|)` of two tensors of one shape, computed on the CPU.
fn abs_err(a: &Tensor, b: &Tensor) -> anyhow::Result<(f64, f64)> {
    let a = a.to_device(&Device::Cpu)?;
    let b = b.to_device(&Device::Cpu)?;
    let diff = (&a - &b)?.abs()?.max_all()?.to_scalar::<f32>()?;
    let scale = b.abs()?.max_all()?.to_scalar::<f32>()?;
    Ok((f64::from(diff), f64::from(scale)))
}

/// `max |a − b| / max |b|` (or the difference when `b` is zero).
fn rel_err(a: &Tensor, b: &Tensor) -> anyhow::Result<f64> {
    let (diff, scale) = abs_err(a, b)?;
    Ok(if scale == 0.0 { diff } else { diff / scale })
}

/// Relative size of the perturbation of the input pixels whose effect on the
/// CPU's own gradients [`check_against_cpu`] reports as a scale for the
/// device's error.
pub const SENSITIVITY_PERTURBATION: f32 = 1e-5;

/// Random stream of that perturbation.
const STREAM_PERTURBATION: u64 = 3;

/// One training pass (same weights, pixels and noise) on the CPU and on
/// `device`; compares the losses and every trainable variable's gradient.
/// Also compares the CPU with itself on input pixels perturbed by a relative
/// [`SENSITIVITY_PERTURBATION`]: how far rounding-sized changes move these
/// gradients at all.
pub fn check_against_cpu(opts: &SpeedOptions, device: &Device) -> anyhow::Result<CheckReport> {
    let (cpu, cpu_batch) = setup(opts, &Device::Cpu)?;
    let (dev, dev_batch) = setup(opts, device)?;
    let tau = cpu.train.temperature(0);
    // The same numbers on both devices: host noise.
    let noise = || Noise::on_host(rng(opts.seed, STREAM_NOISE));
    let cpu_pass = cpu.gradients(&cpu_batch, &mut noise(), tau)?;
    let dev_pass = dev.gradients(&dev_batch, &mut noise(), tau)?;
    let (loss_err, grads) = compare(&cpu, &cpu_pass, &dev, &dev_pass)?;
    let statistics = compare_statistics(&cpu, &dev)?;
    let mut r = rng(opts.seed, STREAM_PERTURBATION);
    let mut perturb = |t: &Tensor| -> anyhow::Result<Tensor> {
        let e = SENSITIVITY_PERTURBATION;
        let factors: Vec<f32> = (0..t.elem_count())
            .map(|_| 1.0 + r.random_range(-e..e))
            .collect();
        Ok((t * Tensor::from_vec(factors, t.shape(), t.device())?)?)
    };
    let perturbed = Batch {
        x0: perturb(&cpu_batch.x0)?,
        x1: perturb(&cpu_batch.x1)?,
        t0: cpu_batch.t0.clone(),
        t1: cpu_batch.t1.clone(),
    };
    let perturbed_pass = cpu.gradients(&perturbed, &mut noise(), tau)?;
    let (_, sensitivity) = compare(&cpu, &cpu_pass, &cpu, &perturbed_pass)?;
    Ok(CheckReport {
        loss_err,
        grads,
        cpu_sensitivity: worst(&sensitivity),
        statistics,
    })
}

/// Every running statistic of session `ds` against session `cs`'s, as
/// [`compare`] lists gradients: name, `max |d − c| / max |c|`, `max |d − c|`,
/// `max |c|`; the largest errors first.
fn compare_statistics(cs: &Session, ds: &Session) -> anyhow::Result<Vec<(String, f64, f64, f64)>> {
    let d_vars: std::collections::HashMap<_, _> = sorted_vars(&ds.varmap).into_iter().collect();
    let mut errors = Vec::new();
    for (name, var) in sorted_vars(&cs.varmap) {
        let Some(d) = d_vars.get(&name).filter(|_| is_statistic(&name)) else {
            continue;
        };
        let (diff, scale) = abs_err(d.as_tensor(), var.as_tensor())
            .with_context(|| format!("comparing the running statistic {name}"))?;
        errors.push((name, diff, scale));
    }
    // Floored like gradients: a running mean that is zero in exact arithmetic
    // (behind a normalized input and a zero bias) is rounding noise.
    Ok(floored(errors))
}

/// `(name, max |d − c|, max |c|)` -> `(name, error, max |d − c|, max |c|)`,
/// the error against `max |c|` floored at [`GRAD_FLOOR`] of the largest
/// `max |c|`; the largest errors first, a non-finite one first of all.
fn floored(errors: Vec<(String, f64, f64)>) -> Vec<(String, f64, f64, f64)> {
    let largest = errors.iter().map(|e| e.2).fold(0.0, f64::max);
    let mut errors: Vec<_> = errors
        .into_iter()
        .map(|(name, diff, scale)| {
            let floor = scale.max(GRAD_FLOOR * largest);
            let err = if floor == 0.0 { diff } else { diff / floor };
            (name, err, diff, scale)
        })
        .collect();
    let key = |e: f64| if e.is_finite() { e } else { f64::INFINITY };
    errors.sort_by(|a, b| key(b.1).total_cmp(&key(a.1)));
    errors
}

/// The losses' relative error and every trainable variable's gradient error
/// (name, error against the floored scale, `max |d − c|`, `max |c|`; largest
/// first) of pass `d` of session `ds` against pass `c` of session `cs` (two
/// sessions with the same weights).
#[allow(clippy::type_complexity)]
fn compare(
    cs: &Session,
    (c_parts, c_grads): &(Tensor, candle_core::backprop::GradStore),
    ds: &Session,
    (d_parts, d_grads): &(Tensor, candle_core::backprop::GradStore),
) -> anyhow::Result<(f64, Vec<(String, f64, f64, f64)>)> {
    let loss_err = rel_err(d_parts, c_parts)?;
    let d_vars: std::collections::HashMap<_, _> = sorted_vars(&ds.varmap).into_iter().collect();
    let mut errors = Vec::new(); // (name, max |d − c|, max |c|)
    for (name, var) in sorted_vars(&cs.varmap) {
        if is_statistic(&name) {
            continue;
        }
        let (Some(c), Some(d)) = (
            c_grads.get(var.as_tensor()),
            d_vars.get(&name).and_then(|v| d_grads.get(v.as_tensor())),
        ) else {
            continue;
        };
        let (diff, scale) =
            abs_err(d, c).with_context(|| format!("comparing the gradient of {name}"))?;
        errors.push((name, diff, scale));
    }
    Ok((loss_err, floored(errors)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CPU against itself: no error; its sensitivity to a rounding-sized
    /// perturbation of the pixels is positive and small for the tiny MLP.
    #[test]
    fn the_cpu_checks_against_itself_and_reports_its_sensitivity() {
        let opts = SpeedOptions {
            preset: Preset::Tiny,
            shape: Shape::gray(12, 12),
            batch: Some(8),
            warmup: 0,
            steps: 1,
            seed: 3,
            host_noise: false,
        };
        let c = check_against_cpu(&opts, &Device::Cpu).unwrap();
        assert_eq!(c.loss_err, 0.0);
        assert_eq!(c.worst_grad().1, 0.0);
        assert!(c.grads.len() > 10, "{} variables compared", c.grads.len());
        assert!(c.statistics.len() > 4, "{:?}", c.statistics);
        assert_eq!(c.worst_statistic().1, 0.0);
        let (var, s) = &c.cpu_sensitivity;
        assert!(s.is_finite() && *s > 0.0 && *s < 1e-2, "{var}: {s}");
        let m = measure(&opts, &Device::Cpu).unwrap();
        assert_eq!(m.step_ms.len(), 1);
        let p = m.phases;
        assert!(
            p.forward > 0.0 && p.backward >= 0.0 && p.update > 0.0,
            "{p:?}"
        );
    }
}
