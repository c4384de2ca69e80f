//! The action refinement that ends training: the encoder and decoder are frozen,
//! every training pair becomes its hard codes `z0 -> z1` (the bits the planner
//! will see), and the action networks are fitted to them by hard EM over the
//! labels, everything with frozen batch norm so that what is fitted is exactly
//! the STRIPS model that is extracted:
//!
//! - E step (each epoch): every transition takes the label whose APPLY (and, for
//!   AMA4+, REGRESS) explains it best; labels nobody takes are given to the
//!   worst-explained transitions, and their effects are set to exactly those
//!   transitions' bit changes, so unused labels become new effects at once.
//! - M step: APPLY's effects learn the assigned labels' transitions, the action
//!   encoder `q(a | z0, z1)` and the prior `p(a | z0)` learn to predict the labels.
//!
//! The joint training's Gumbel-Softmax shares labels between transitions whose
//! effects differ and leaves most labels unused; this phase splits them.

use std::ops::Range;

use anyhow::Context;
use candle_core::Tensor;
use rand::seq::SliceRandom;

use super::data::Resident;
use super::noise::Noise;
use super::train::{EpochSums, Losses, Observer, Session, STREAM_EPOCH};
use crate::util::rng;

/// A transition whose best label costs more than this (nats of successor
/// cross-entropy) is not explained and may seed an unused label.
const REVIVE_COST: f32 = 1.0;
/// Transitions per chunk of the label-cost matrix.
const COST_CHUNK: usize = 256;

impl Session {
    /// The eval-mode (hard) codes of the pre and successor images in `range`.
    fn hard_codes(&self, data: &Resident, range: Range<usize>) -> anyhow::Result<(Tensor, Tensor)> {
        let indices: Vec<usize> = range.collect();
        let (mut z0, mut z1) = (Vec::new(), Vec::new());
        for chunk in indices.chunks(512) {
            let b = data.batch_of(chunk)?;
            z0.push(self.model.encode(&b.x0)?); // [chunk, bits]
            z1.push(self.model.encode(&b.x1)?);
        }
        Ok((Tensor::cat(&z0, 0)?, Tensor::cat(&z1, 0)?))
    }

    /// E step: the label of every transition (its cheapest, or an unused label
    /// for the worst-explained ones).
    ///
    /// # Shapes
    /// `z0`, `z1`: `[n, bits]`.
    fn assign_labels(&self, z0: &Tensor, z1: &Tensor) -> anyhow::Result<Vec<u32>> {
        let n = z0.dim(0)?;
        let mut best = Vec::with_capacity(n);
        let tables = self.model.cost_tables()?;
        for start in (0..n).step_by(COST_CHUNK) {
            let len = COST_CHUNK.min(n - start);
            let costs = self.model.label_costs(
                &tables,
                &z0.narrow(0, start, len)?,
                &z1.narrow(0, start, len)?,
            )?; // [len, actions]
            let labels = costs.argmin(1)?.to_vec1::<u32>()?;
            let least = costs.min(1)?.to_vec1::<f32>()?;
            best.extend(labels.into_iter().zip(least));
        }
        let revived = revive(&mut best, self.model.config().actions);
        let row = |z: &Tensor, i: usize| z.get(i)?.to_vec1::<f32>();
        let seeds = revived
            .into_iter()
            .map(|(label, i)| Ok((label, row(z0, i)?, row(z1, i)?)))
            .collect::<candle_core::Result<Vec<_>>>()?;
        self.model.seed_labels(&self.varmap, &seeds)?;
        Ok(best.into_iter().map(|(label, _)| label).collect())
    }

    /// One epoch of the action refinement (E step, then M step over shuffled batches).
    pub(super) fn refine_epoch(
        &mut self,
        data: &Resident,
        range: Range<usize>,
        observer: &mut dyn Observer,
    ) -> anyhow::Result<Losses> {
        let epoch = self.epochs_done();
        if self.codes.is_none() {
            self.codes = Some(self.hard_codes(data, range.clone())?);
        }
        let (z0, z1) = self.codes.clone().context("the codes were just made")?;
        let labels = Tensor::new(self.assign_labels(&z0, &z1)?.as_slice(), &self.device)?; // [n]
        let mut noise = Noise::new(rng(self.train.seed, STREAM_EPOCH + epoch as u64));
        let mut order: Vec<u32> = (0..range.len() as u32).collect();
        order.shuffle(noise.rng());
        let vars = self.optimizer.vars();
        let mut sums = EpochSums::<3>::new(epoch, order.len() / self.train.batch, &self.device);
        for indices in order.chunks_exact(self.train.batch) {
            let idx = Tensor::new(indices, &self.device)?; // [batch]
            let (b0, b1) = (z0.index_select(&idx, 0)?, z1.index_select(&idx, 0)?);
            let (loss, ce_a, succ) =
                self.model
                    .refine_terms(&b0, &b1, &labels.index_select(&idx, 0)?)?;
            let loss = loss.mean_all()?;
            let mut grads = loss.backward()?;
            self.step(&mut grads, &vars)?;
            let parts = Tensor::stack(&[loss, ce_a.mean_all()?, succ.mean_all()?], 0)?; // [3]
            sums.add(parts, observer)?;
        }
        let [loss, ce_a, succ] = sums.finish(observer)?;
        Ok([loss, 0.0, 0.0, 0.0, ce_a, succ])
    }
}

/// Gives each label that no transition took to one of the worst-explained
/// transitions (cost above [`REVIVE_COST`], worst first). `best`: per transition
/// its label and that label's cost. Returns the `(label, transition)` pairs made.
fn revive(best: &mut [(u32, f32)], labels: usize) -> Vec<(usize, usize)> {
    let mut used = vec![false; labels];
    for &(label, _) in best.iter() {
        used[label as usize] = true;
    }
    let mut worst: Vec<usize> = (0..best.len())
        .filter(|&i| best[i].1 > REVIVE_COST)
        .collect();
    worst.sort_by(|&a, &b| best[b].1.total_cmp(&best[a].1).then(a.cmp(&b)));
    let unused = (0..labels).filter(|&l| !used[l]);
    let revived: Vec<(usize, usize)> = unused.zip(worst).collect();
    for &(label, i) in &revived {
        best[i].0 = label as u32;
    }
    revived
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unused_labels_go_to_the_worst_explained_transitions() {
        let mut best = vec![(0, 0.1), (0, 5.0), (1, 3.0), (1, 0.5), (0, 9.0)];
        let revived = revive(&mut best, 4);
        assert_eq!(revived, vec![(2, 4), (3, 1)]);
        // Labels 2 and 3 are unused: the two worst transitions (costs 9 and 5) take them.
        assert_eq!(best, vec![(0, 0.1), (3, 5.0), (1, 3.0), (1, 0.5), (2, 9.0)]);
    }

    #[test]
    fn well_explained_transitions_keep_their_labels() {
        let mut best = vec![(0, 0.2), (1, 0.9)];
        assert!(revive(&mut best, 5).is_empty());
        assert_eq!(best, vec![(0, 0.2), (1, 0.9)]);
    }
}
