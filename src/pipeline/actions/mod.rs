//! The learned action model of a run: extracted from the network and the
//! training data (Latplan §3.1), saved as `actions.json` in the run directory,
//! and turned into a [`StripsModel`] for the planner and the PDDL writer.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::model::Model;
use crate::pipeline::pictures::{PictureRules, PICTURES};
use crate::symbolic::{BitState, StripsAction, StripsModel};

mod changes;
mod extraction;
mod observed;
mod relax;
mod seen;
#[cfg(test)]
mod tests;

pub use changes::{keep_to_changes, observed_changes, Change, CHANGE_SUPPORT};
pub use extraction::{extract, extract_from, to_bools, ExtractOptions};
#[cfg(test)]
use extraction::{pre_states_by_label, same_effect_groups};
pub use observed::{observed_effects, ObservedEffects, OBSERVED_SUPPORT};
pub use relax::{relax_preconditions, Relaxed, RELAX_SUPPORT};
pub use seen::{SeenStates, STATES};

/// File name of the action model inside a run directory.
pub const ACTIONS: &str = "actions.json";

/// Where the preconditions came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PreconditionSource {
    /// AMA3+: bits constant over the observed pre-states of each action.
    Data,
    /// AMA4+: `pos = REGRESS(0⃗, a)`, `neg = 1 − REGRESS(1⃗, a)`.
    Regression,
}

/// One action, masks as strings of `0`/`1` (bit 0 first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedAction {
    /// PDDL name.
    pub name: String,
    /// The network's label.
    pub label: usize,
    /// Training transitions labelled with it.
    pub observed: usize,
    /// Bits that must be true.
    pub pre_pos: String,
    /// Bits that must be false.
    pub pre_neg: String,
    /// Bits made true.
    pub add: String,
    /// Bits made false.
    pub del: String,
}

/// The extracted action model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionModel {
    /// Latent bits.
    pub bits: usize,
    /// Labels the network has.
    pub labels: usize,
    /// Labels the data used.
    pub labels_used: usize,
    /// Where the preconditions came from.
    pub preconditions: PreconditionSource,
    /// Transitions the extraction saw.
    pub transitions: usize,
    /// Of those, the transitions whose label's effect does not reproduce the
    /// encoded successor: left out of the data preconditions (AMA3+).
    #[serde(default)]
    pub unreproduced: usize,
    /// Precondition literals dropped because observed moves contradict them
    /// ([`relax_preconditions`]).
    #[serde(default)]
    pub relaxed_literals: usize,
    /// The observed moves the actions make only since those literals went.
    #[serde(default)]
    pub relaxed_moves: usize,
    /// Actions made of bit changes that observed moves share and no learned
    /// effect makes ([`observed_effects`]), labels past the network's.
    #[serde(default)]
    pub observed_actions: usize,
    /// The extraction's [`ExtractOptions::relax_support`] (0 in files
    /// written before session 21, which made no repair).
    #[serde(default)]
    pub relax_support: usize,
    /// The extraction's [`ExtractOptions::observed_support`].
    #[serde(default)]
    pub observed_support: usize,
    /// The extraction's [`ExtractOptions::change_support`] (0 in files
    /// written before session 24, whose actions make any change their
    /// effects make).
    #[serde(default)]
    pub change_support: usize,
    /// The bit changes the actions are kept to ([`keep_to_changes`]).
    #[serde(default)]
    pub changes: usize,
    /// The STRIPS actions (after splitting flips).
    pub actions: Vec<SavedAction>,
    /// The labels' picture rules, saved beside as [`PICTURES`] (`None` for
    /// runs extracted before session 11).
    #[serde(skip)]
    pub pictures: Option<PictureRules>,
    /// The distinct codes of the pictures extraction encoded, saved beside
    /// as [`STATES`] (`None` for runs extracted before session 23).
    #[serde(skip)]
    pub seen: Option<SeenStates>,
}

/// How well an action model explains encoded transitions ([`ActionModel::coverage`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coverage {
    /// Transitions whose two states encode differently.
    pub pairs: usize,
    /// Of those, the ones where some applicable action leads from `z0` to `z1`:
    /// a move the planner can take. The rest are moves the planner lacks.
    pub covered: usize,
    /// Indices (into the pairs given) of the moves the model lacks.
    pub missing: Vec<usize>,
    /// Distinct successors (other than the state itself) per pre-state: the
    /// planner's branching there (the true one is the domain's).
    pub mean_successors: f64,
}

impl Coverage {
    /// Share of the moves the model makes (1 when there are none).
    pub fn share(&self) -> f64 {
        if self.pairs == 0 {
            1.0
        } else {
            self.covered as f64 / self.pairs as f64
        }
    }
}

/// Codes as the network gives them: one 0/1 byte per bit, one vector per picture.
pub type Codes = Vec<Vec<u8>>;

/// The codes `model` gives the pre and successor pictures of the transitions
/// `range` of `data`.
pub fn encode_pairs(
    model: &Model,
    data: &Dataset,
    range: Range<usize>,
) -> anyhow::Result<(Codes, Codes)> {
    let z0 = model.encode(&range.clone().map(|i| data.pre_image(i)).collect::<Vec<_>>())?;
    let z1 = model.encode(&range.map(|i| data.suc_image(i)).collect::<Vec<_>>())?;
    Ok((z0, z1))
}

fn mask_string(m: &[bool]) -> String {
    m.iter().map(|&b| if b { '1' } else { '0' }).collect()
}

fn mask_bools(s: &str, bits: usize, what: &str) -> anyhow::Result<Vec<bool>> {
    if s.len() != bits || s.chars().any(|c| c != '0' && c != '1') {
        bail!("{what} must be {bits} characters of 0/1");
    }
    Ok(s.chars().map(|c| c == '1').collect())
}

/// 0/1 bytes to booleans.
impl ActionModel {
    /// One line for the terminal: actions, labels, and where the
    /// preconditions came from.
    pub fn summary(&self) -> String {
        let pre = match self.preconditions {
            PreconditionSource::Data => format!(
                "preconditions from {} of {} transitions ({} whose successor the effect gets wrong left out)",
                self.transitions - self.unreproduced,
                self.transitions,
                self.unreproduced
            ),
            PreconditionSource::Regression => "preconditions from the regression network".into(),
        };
        let relaxed = if self.relaxed_literals > 0 {
            format!(
                ", less {} literals that observed moves contradict ({} moves they now make)",
                self.relaxed_literals, self.relaxed_moves
            )
        } else {
            String::new()
        };
        let observed = if self.observed_actions > 0 {
            format!(
                "; {} of the actions are bit changes observed moves share and no label's effect makes",
                self.observed_actions
            )
        } else {
            String::new()
        };
        let changes = if self.change_support > 0 {
            format!(
                "; kept to the {} bit changes {} or more training moves made",
                self.changes, self.change_support
            )
        } else {
            String::new()
        };
        let pictures = match &self.pictures {
            Some(p) => {
                let (pre, post, frame) = p.mean_pixels();
                format!(
                    "; picture rules of {pre:.0} / {post:.0} / {frame:.0} pixels per label on average \
                     (pre / post / frame){}",
                    p.self_denied.map_or(String::new(), |d| format!(
                        ", denying {:.2} % of the observed moves on their decoded pictures",
                        100.0 * d
                    ))
                )
            }
            None => String::new(),
        };
        let seen = self.seen.as_ref().map_or(String::new(), |s| {
            format!("; {} distinct states seen", s.len())
        });
        format!(
            "{} STRIPS actions from {} of {} labels over {} bits; {pre}{relaxed}{observed}{changes}{pictures}{seen}",
            self.actions.len(),
            self.labels_used,
            self.labels,
            self.bits
        )
    }

    /// Writes `actions.json` (and the picture preconditions, [`PICTURES`])
    /// into the run directory, atomically.
    pub fn save(&self, run: &Path) -> anyhow::Result<()> {
        if let Some(pictures) = &self.pictures {
            pictures.save(&run.join(PICTURES))?;
        }
        if let Some(seen) = &self.seen {
            seen.save(&run.join(STATES))?;
        }
        crate::util::write_json(&run.join(ACTIONS), self)
    }

    /// Reads `actions.json` from a run directory.
    pub fn load(run: &Path) -> anyhow::Result<ActionModel> {
        let path = run.join(ACTIONS);
        if !path.is_file() {
            bail!(
                "{} has no action model ({ACTIONS}): run `latplan export --model {} --data DATASET` to extract it",
                run.display(),
                run.display()
            );
        }
        let mut model: ActionModel = crate::util::read_json(&path)?;
        let pictures = run.join(PICTURES);
        if pictures.is_file() {
            model.pictures = Some(PictureRules::load(&pictures)?);
        }
        let seen = run.join(STATES);
        if seen.is_file() {
            let states = SeenStates::load(&seen)?;
            if states.bits() != model.bits {
                bail!(
                    "{}: codes of {} bits, but {} has {} bits",
                    seen.display(),
                    states.bits(),
                    path.display(),
                    model.bits
                );
            }
            model.seen = Some(states);
        }
        Ok(model)
    }

    /// How well the STRIPS model explains encoded transitions `z0[i] -> z1[i]`
    /// (pairs with `z0 == z1` are skipped: no action is a no-op move).
    pub fn coverage(&self, z0: &[Vec<u8>], z1: &[Vec<u8>]) -> anyhow::Result<Coverage> {
        let strips = self.strips()?;
        let mut c = Coverage::default();
        let mut successors = 0usize;
        for (i, (a, b)) in z0.iter().zip(z1).enumerate() {
            if a == b {
                continue;
            }
            let (from, to) = (
                BitState::from_bools(&to_bools(a)),
                BitState::from_bools(&to_bools(b)),
            );
            let next: HashSet<BitState> = strips
                .actions()
                .iter()
                .filter(|act| act.is_applicable(&from))
                .map(|act| act.apply(&from))
                .filter(|s| *s != from)
                .collect();
            c.pairs += 1;
            if next.contains(&to) {
                c.covered += 1;
            } else {
                c.missing.push(i);
            }
            successors += next.len();
        }
        c.mean_successors = successors as f64 / c.pairs.max(1) as f64;
        Ok(c)
    }

    /// [`Self::coverage`] of the transitions `range` of `data`, encoded by
    /// `model`; the indices in `missing` count from `range.start`.
    pub fn coverage_on(
        &self,
        model: &Model,
        data: &Dataset,
        range: Range<usize>,
    ) -> anyhow::Result<Coverage> {
        let (z0, z1) = encode_pairs(model, data, range)?;
        self.coverage(&z0, &z1)
    }

    /// The options this model was extracted with.
    pub fn options(&self) -> ExtractOptions {
        ExtractOptions {
            relax_support: self.relax_support,
            observed_support: self.observed_support,
            change_support: self.change_support,
        }
    }

    /// The STRIPS model over bits `z0 … z{F−1}`.
    pub fn strips(&self) -> anyhow::Result<StripsModel> {
        let f = self.bits;
        let actions = self
            .actions
            .iter()
            .map(|a| {
                let m = |s: &str, what: &str| {
                    mask_bools(s, f, &format!("{ACTIONS}: {what} of action {}", a.name))
                };
                Ok(StripsAction::from_bools(
                    a.name.clone(),
                    &m(&a.pre_pos, "pre_pos")?,
                    &m(&a.pre_neg, "pre_neg")?,
                    &m(&a.add, "add")?,
                    &m(&a.del, "del")?,
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let names = (0..f).map(|i| format!("z{i}")).collect();
        StripsModel::new(names, actions).context("the action model is inconsistent")
    }
}
