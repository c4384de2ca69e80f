//! The training loop, in candle's order: VarMap -> model -> optimizer over the
//! trainable variables -> shuffled batches -> loss -> backward -> clip -> step ->
//! validation -> checkpoint (by the caller's hook). It reports through an
//! [`Observer`] and returns a [`TrainReport`]; it never prints.
//!
//! Every epoch draws its batch order and noise from its own stream of the run's
//! seed, so a run resumed from an epoch checkpoint continues exactly as one that
//! never stopped.

use std::ops::{ControlFlow, Range};
use std::time::Instant;

use anyhow::{bail, Context};
use candle_core::backprop::GradStore;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use rand::seq::SliceRandom;

use super::config::{ModelConfig, TrainConfig};
use super::csae::CubeSpaceAe;
use super::data::{Batch, Normalization, Pairs, Resident};
use super::loss::{summarize, LOSS_NAMES};
use super::nets::Pass;
use super::noise::Noise;
use super::numerics::{clip_grad_norm, clip_grad_norm_on_device};
use super::optim::Optimizer;
use super::params::{initialize, is_statistic, sorted_vars};
use crate::util::rng;

/// Random stream of the weight initialization.
const STREAM_INIT: u64 = 1;
/// Random stream of epoch `e` is `STREAM_EPOCH + e`.
pub(super) const STREAM_EPOCH: u64 = 1_000;

/// The means of [`LOSS_NAMES`] over an epoch.
pub type Losses = [f64; LOSS_NAMES.len()];

/// One row of `log.csv`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochLog {
    /// Epoch number, from 0.
    pub epoch: usize,
    /// Temperature used in the epoch.
    pub tau: f64,
    /// Training losses (relaxed, with noise).
    pub train: Losses,
    /// Validation losses (eval mode: hard codes, frozen batch norm).
    pub val: Losses,
    /// Wall-clock seconds of training so far, over all sessions of the run.
    pub seconds: f64,
    /// True in the action-refinement phase, where the training columns hold only
    /// the loss, the action KL and the successor cross-entropy (the encoder and
    /// decoder are frozen; `log.csv` leaves their columns empty).
    #[serde(default)]
    pub refine: bool,
}

/// What the loop tells its observer.
pub enum Event<'a> {
    /// A batch finished; `loss` is the running mean of the epoch.
    Batch {
        /// Epoch number.
        epoch: usize,
        /// Batches done in this epoch.
        done: usize,
        /// Batches per epoch.
        of: usize,
        /// Running mean loss.
        loss: f64,
    },
    /// An epoch finished (and its checkpoint was written).
    Epoch(&'a EpochLog),
}

/// Receives progress; returning `Break` stops training after the current epoch's checkpoint.
pub trait Observer {
    /// Called after every batch and every epoch.
    fn event(&mut self, event: Event) -> ControlFlow<()>;
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {
    fn event(&mut self, _: Event) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

/// A model being trained, with everything a checkpoint must hold.
pub struct Session {
    /// The variables (weights and batch-norm statistics).
    pub varmap: VarMap,
    /// The network.
    pub model: CubeSpaceAe,
    /// The optimizer and its moments.
    pub optimizer: Optimizer,
    /// Training settings.
    pub train: TrainConfig,
    /// Pixel normalization.
    pub norm: Normalization,
    /// The rows of the log so far (`log.len()` epochs are done).
    pub log: Vec<EpochLog>,
    /// Where the tensors live.
    pub device: Device,
    /// Hard codes `(z0, z1)` of the training pairs under the frozen encoder, made
    /// when the action refinement starts (`[n, bits]` each).
    pub(super) codes: Option<(Tensor, Tensor)>,
}

impl Session {
    /// A fresh session with seeded initial weights.
    pub fn new(
        model: &ModelConfig,
        train: &TrainConfig,
        norm: Normalization,
        device: &Device,
    ) -> anyhow::Result<Self> {
        let varmap = VarMap::new();
        model
            .estimator_options
            .validate()
            .map_err(anyhow::Error::msg)?;
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
        let net = CubeSpaceAe::new(model, vb).context("cannot build the network")?;
        initialize(&varmap, &mut rng(train.seed, STREAM_INIT))?;
        let trainable = sorted_vars(&varmap)
            .into_iter()
            .filter(|(name, _)| !is_statistic(name))
            .collect();
        let optimizer = Optimizer::new(train.optimizer, train.lr, trainable)?;
        Ok(Session {
            varmap,
            model: net,
            optimizer,
            train: train.clone(),
            norm,
            log: Vec::new(),
            device: device.clone(),
            codes: None,
        })
    }

    /// Epochs completed.
    pub fn epochs_done(&self) -> usize {
        self.log.len()
    }

    fn train_epoch(
        &mut self,
        data: &Resident,
        range: Range<usize>,
        observer: &mut dyn Observer,
    ) -> anyhow::Result<Losses> {
        let epoch = self.epochs_done();
        let tau = self.train.temperature(epoch);
        let mut noise = Noise::new(rng(self.train.seed, STREAM_EPOCH + epoch as u64));
        let mut order: Vec<usize> = range.collect();
        order.shuffle(noise.rng());
        let vars = self.optimizer.vars();
        let batches = order.len() / self.train.batch;
        let mut sums = EpochSums::<{ LOSS_NAMES.len() }>::new(epoch, batches, &self.device);
        // Estimators that draw several samples of a transition (RLOO) see the
        // batch repeated: rows are `samples` blocks of the same transitions.
        // The epoch's rows go to the device at once, then each batch is a slice.
        let samples = self.model.estimator().samples();
        let rows: Vec<usize> = order
            .chunks_exact(self.train.batch)
            .flat_map(|indices| indices.repeat(samples))
            .collect();
        let rows = data.indices(&rows)?;
        let per = self.train.batch * samples;
        for k in 0..batches {
            let b = data.batch(&rows.narrow(0, k * per, per)?)?;
            let parts = self.train_step(&b, &mut noise, tau, &vars)?;
            sums.add(parts, observer)?;
        }
        sums.finish(observer)
    }

    /// One training step on a batch: forward pass, loss, the estimator's
    /// gradients, clipping and an optimizer step. `vars` are the optimizer's
    /// variables ([`Optimizer::vars`]). Returns the batch means of
    /// [`LOSS_NAMES`] as a `[6]` tensor, still on the device (reading it is
    /// the caller's device-to-host copy).
    pub fn train_step(
        &mut self,
        b: &Batch,
        noise: &mut Noise,
        tau: f64,
        vars: &[Var],
    ) -> anyhow::Result<Tensor> {
        let (parts, mut grads) = self.gradients(b, noise, tau)?;
        self.step(&mut grads, vars)?;
        Ok(parts)
    }

    /// The training pass of a batch and the estimator's gradients, without a
    /// step: the loss means of [`LOSS_NAMES`] (`[6]`) and the gradients.
    pub fn gradients(
        &self,
        b: &Batch,
        noise: &mut Noise,
        tau: f64,
    ) -> anyhow::Result<(Tensor, GradStore)> {
        let terms =
            self.model
                .terms(&b.x0, &b.x1, &b.t0, &b.t1, &mut Pass::Train { noise, tau })?;
        let (losses, parts) = summarize(&terms, self.model.config())?;
        let grads = self.model.estimator().gradients(&losses, &terms.sites)?;
        Ok((parts, grads))
    }

    /// Clips the gradients to the configured global norm and takes an optimizer step.
    pub(super) fn step(&mut self, grads: &mut GradStore, vars: &[Var]) -> anyhow::Result<()> {
        if self.device.is_cpu() {
            clip_grad_norm(grads, vars, self.train.clip_norm)?;
        } else {
            clip_grad_norm_on_device(grads, vars, self.train.clip_norm)?;
        }
        self.optimizer.step(grads)?;
        Ok(())
    }

    /// Mean eval-mode losses over the transitions in `range`, in batches.
    pub fn evaluate(&self, data: &Resident, range: Range<usize>) -> anyhow::Result<Losses> {
        let cfg = self.model.config();
        let indices: Vec<usize> = range.collect();
        let mut sums = [0f64; LOSS_NAMES.len()];
        for chunk in indices.chunks(self.train.batch.max(1)) {
            let b = data.batch_of(chunk)?;
            let terms = self
                .model
                .terms(&b.x0, &b.x1, &b.t0, &b.t1, &mut Pass::Eval)?;
            let (_, parts) = summarize(&terms, cfg)?;
            for (s, v) in sums.iter_mut().zip(parts.to_vec1::<f32>()?) {
                *s += f64::from(v) * chunk.len() as f64;
            }
        }
        Ok(sums.map(|s| s / indices.len().max(1) as f64))
    }
}

/// The running sums of an epoch's loss parts (the loss first), reported to the
/// observer as they are read back from the device.
///
/// On the CPU every batch's parts are read at once. On a GPU they are kept on
/// the device and read [`GPU_READ_EVERY`] batches at a time, so the host does
/// not wait for every step to finish before it queues the next one.
pub(super) struct EpochSums<const N: usize> {
    epoch: usize,
    batches: usize,
    sums: [f64; N],
    /// Batches read so far.
    read: usize,
    /// Parts (`[N]` each) of the batches after `read`, not read yet.
    pending: Vec<Tensor>,
    read_every: usize,
}

/// Batches whose loss parts a GPU epoch reads back in one copy.
const GPU_READ_EVERY: usize = 16;

impl<const N: usize> EpochSums<N> {
    pub(super) fn new(epoch: usize, batches: usize, device: &Device) -> Self {
        Self {
            epoch,
            batches,
            sums: [0.0; N],
            read: 0,
            pending: Vec::new(),
            read_every: if device.is_cpu() { 1 } else { GPU_READ_EVERY },
        }
    }

    /// Adds the next batch's parts (`[N]`); fails once the loss is not finite.
    pub(super) fn add(&mut self, parts: Tensor, observer: &mut dyn Observer) -> anyhow::Result<()> {
        // Detached, so that the pending parts do not keep their steps' graphs alive.
        self.pending.push(parts.detach());
        if self.pending.len() >= self.read_every {
            self.read_pending(observer)?;
        }
        Ok(())
    }

    fn read_pending(&mut self, observer: &mut dyn Observer) -> anyhow::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = Tensor::stack(&self.pending, 0)?.to_vec2::<f32>()?; // one device-to-host copy
        self.pending.clear();
        for row in rows {
            for (s, v) in self.sums.iter_mut().zip(row) {
                *s += f64::from(v);
            }
            self.read += 1;
            if !self.sums[0].is_finite() {
                bail!(
                    "the loss became {} in epoch {}; try a smaller learning rate",
                    self.sums[0],
                    self.epoch
                );
            }
            let event = Event::Batch {
                epoch: self.epoch,
                done: self.read,
                of: self.batches,
                loss: self.sums[0] / self.read as f64,
            };
            // Stopping is honoured at epoch ends only, where a checkpoint is written.
            let _ = observer.event(event);
        }
        Ok(())
    }

    /// Reads what is left and returns the means over the epoch's batches.
    pub(super) fn finish(mut self, observer: &mut dyn Observer) -> anyhow::Result<[f64; N]> {
        self.read_pending(observer)?;
        Ok(self.sums.map(|s| s / self.batches.max(1) as f64))
    }
}

/// The split of a dataset the loop uses.
#[derive(Debug, Clone)]
pub struct Split {
    /// Training transitions.
    pub train: Range<usize>,
    /// Validation transitions.
    pub val: Range<usize>,
}

/// How a call to [`fit`] ended.
#[derive(Debug, Clone)]
pub struct TrainReport {
    /// Epochs completed in all (over all sessions of the run).
    pub epochs_done: usize,
    /// True when the observer stopped training before the last epoch.
    pub stopped: bool,
    /// The last epoch's log row.
    pub last: Option<EpochLog>,
    /// The last joint (not refinement) epoch's log row.
    pub last_joint: Option<EpochLog>,
}

/// Trains `session` until its configured epochs are done or `observer` stops it,
/// calling `checkpoint` after every epoch.
pub fn fit(
    session: &mut Session,
    pairs: &Pairs,
    split: &Split,
    observer: &mut dyn Observer,
    checkpoint: &mut dyn FnMut(&Session) -> anyhow::Result<()>,
) -> anyhow::Result<TrainReport> {
    let train_len = split.train.len();
    if train_len < session.train.batch {
        bail!(
            "the training split has {train_len} transitions, fewer than one batch of {}",
            session.train.batch
        );
    }
    let data = Resident::new(
        pairs,
        &session.norm,
        session.model.config().output,
        &session.device,
    )?;
    let mut stopped = false;
    while session.epochs_done() < session.train.total_epochs() {
        let epoch = session.epochs_done();
        let start = Instant::now();
        let refine = session.train.is_refinement(epoch);
        let train = if refine {
            session.refine_epoch(&data, split.train.clone(), observer)?
        } else {
            session.codes = None;
            session.train_epoch(&data, split.train.clone(), observer)?
        };
        let val = session.evaluate(&data, split.val.clone())?;
        let before = session.log.last().map_or(0.0, |row| row.seconds);
        let tau = session.train.temperature(epoch);
        let row = EpochLog {
            epoch,
            tau,
            train,
            val,
            seconds: before + start.elapsed().as_secs_f64(),
            refine,
        };
        session.log.push(row.clone());
        checkpoint(session)?;
        if observer.event(Event::Epoch(&row)).is_break()
            && session.epochs_done() < session.train.total_epochs()
        {
            stopped = true;
            break;
        }
    }
    Ok(TrainReport {
        epochs_done: session.epochs_done(),
        stopped,
        last: session.log.last().cloned(),
        last_joint: session.log.iter().rev().find(|row| !row.refine).cloned(),
    })
}
