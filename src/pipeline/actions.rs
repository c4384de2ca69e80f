//! The learned action model of a run: extracted from the network and the
//! training data (Latplan §3.1), saved as `actions.json` in the run directory,
//! and turned into a [`StripsModel`] for the planner and the PDDL writer.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::extract::{
    compile, preconditions_from_data, significant_preconditions, CompiledAction, LearnedAction,
    PRECONDITION_SIGNIFICANCE,
};
use super::pictures::{PictureRules, PICTURES, SIGNIFICANCE};
use crate::data::Dataset;
use crate::domain::Image;
use crate::model::Model;
use crate::symbolic::{BitState, StripsAction, StripsModel};

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
    /// The STRIPS actions (after splitting flips).
    pub actions: Vec<SavedAction>,
    /// The labels' picture rules, saved beside as [`PICTURES`] (`None` for
    /// runs extracted before session 11).
    #[serde(skip)]
    pub pictures: Option<PictureRules>,
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
pub fn to_bools(z: &[u8]) -> Vec<bool> {
    z.iter().map(|&b| b == 1).collect()
}

/// Encodes every transition of `data` and extracts the action model of `model`.
pub fn extract(model: &Model, data: &Dataset) -> anyhow::Result<ActionModel> {
    let n = data.len();
    let pre: Vec<Image> = (0..n).map(|i| data.pre_image(i)).collect();
    let suc: Vec<Image> = (0..n).map(|i| data.suc_image(i)).collect();
    let z0 = model.encode(&pre)?;
    let z1 = model.encode(&suc)?;
    let labels = model.action_of(&z0, &z1)?;
    let predicted = model.apply(&z0, &labels)?;
    let (by_label, unreproduced) = pre_states_by_label(&z1, &labels, &predicted);
    let used: Vec<usize> = by_label.keys().copied().collect();
    let f = model.bits();
    let apply_zero = model.apply(&vec![vec![0u8; f]; used.len()], &used)?;
    let apply_one = model.apply(&vec![vec![1u8; f]; used.len()], &used)?;
    let source = if model.has_regression() {
        PreconditionSource::Regression
    } else {
        PreconditionSource::Data
    };
    let (reg_zero, reg_one) = match source {
        PreconditionSource::Regression => (
            model.regress(&vec![vec![0u8; f]; used.len()], &used)?,
            model.regress(&vec![vec![1u8; f]; used.len()], &used)?,
        ),
        PreconditionSource::Data => (Vec::new(), Vec::new()),
    };
    // With data preconditions, labels of identical effect are one action whose
    // preconditions pool their pre-states; the regression gives each label its own.
    let groups = match source {
        PreconditionSource::Data => same_effect_groups(&apply_zero, &apply_one),
        PreconditionSource::Regression => (0..used.len()).map(|k| vec![k]).collect(),
    };
    let ones_rate = match source {
        PreconditionSource::Data => ones_rate(&z0, f),
        PreconditionSource::Regression => Vec::new(),
    };
    let mut counts = BTreeMap::new();
    let mut learned = Vec::with_capacity(groups.len());
    let mut members_by_label = Vec::with_capacity(groups.len());
    for group in groups {
        let k = group[0];
        let label = used[k];
        let members: Vec<usize> = group
            .iter()
            .flat_map(|&g| by_label[&used[g]].iter().copied())
            .collect();
        if members.is_empty() && source == PreconditionSource::Data {
            continue; // the effect never reproduced its transitions
        }
        counts.insert(label, members.len());
        let states: Vec<Vec<bool>> = members.iter().map(|&i| to_bools(&z0[i])).collect();
        members_by_label.push((label, members));
        let (zero, one) = (to_bools(&apply_zero[k]), to_bools(&apply_one[k]));
        let (pre_pos, pre_neg) = match source {
            PreconditionSource::Data => {
                let touched: Vec<bool> = zero.iter().zip(&one).map(|(&z, &o)| z || !o).collect();
                significant_preconditions(
                    preconditions_from_data(&states),
                    &touched,
                    &ones_rate,
                    PRECONDITION_SIGNIFICANCE,
                    states.len(),
                )
            }
            PreconditionSource::Regression => (
                to_bools(&reg_zero[k]),
                reg_one[k].iter().map(|&b| b == 0).collect(),
            ),
        };
        learned.push(LearnedAction {
            label,
            apply_zero: zero,
            apply_one: one,
            pre_pos,
            pre_neg,
        });
    }
    let compiled = compile(&learned)?;
    let observed = |label: usize| counts.get(&label).copied().unwrap_or(0);
    fn pixels(images: &[Image]) -> Vec<&[f32]> {
        images.iter().map(Image::data).collect()
    }
    let mut pictures = PictureRules::learn(
        &pixels(&pre),
        &pixels(&suc),
        &members_by_label,
        SIGNIFICANCE,
    );
    // How often the filter would deny an observed move on the pictures the
    // network decodes for its states (what the planner sees).
    let (decoded_pre, decoded_suc) = (model.decode(&z0)?, model.decode(&z1)?);
    pictures.self_denied = Some(pictures.denied_share(
        &pixels(&decoded_pre),
        &pixels(&decoded_suc),
        &members_by_label,
    ));
    Ok(ActionModel {
        bits: f,
        labels: model.actions(),
        labels_used: used.len(),
        preconditions: source,
        transitions: n,
        unreproduced,
        actions: compiled.iter().map(|c| saved(c, observed)).collect(),
        pictures: Some(pictures),
    })
}

/// Per bit, the share of the states `z` with it set.
fn ones_rate(z: &[Vec<u8>], bits: usize) -> Vec<f64> {
    let mut rate = vec![0f64; bits];
    for s in z {
        for (r, &b) in rate.iter_mut().zip(s) {
            *r += f64::from(b);
        }
    }
    rate.iter_mut().for_each(|r| *r /= z.len().max(1) as f64);
    rate
}

/// The transitions (indices) whose pre-states describe each used label, and
/// how many transitions were left out.
///
/// The data preconditions describe where an action's learned effect holds: a
/// transition whose successor `z1` differs from the effect's prediction
/// `predicted` would only widen them (with 20 000 8-puzzle transitions, 5 % of
/// them unseen in training, 82 % valid plans instead of 95 %), so it is left
/// out. Its label still counts as used (with perhaps no pre-state).
fn pre_states_by_label(
    z1: &[Vec<u8>],
    labels: &[usize],
    predicted: &[Vec<u8>],
) -> (BTreeMap<usize, Vec<usize>>, usize) {
    let mut by_label: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut unreproduced = 0;
    for (k, &a) in labels.iter().enumerate() {
        let pre_states = by_label.entry(a).or_default();
        if predicted[k] == z1[k] {
            pre_states.push(k);
        } else {
            unreproduced += 1;
        }
    }
    (by_label, unreproduced)
}

/// Indices of the labels grouped by identical effect (`APPLY(0⃗, a)`, `APPLY(1⃗, a)`),
/// each group in label order, groups ordered by their first label.
fn same_effect_groups(apply_zero: &[Vec<u8>], apply_one: &[Vec<u8>]) -> Vec<Vec<usize>> {
    let mut by_effect: BTreeMap<(&[u8], &[u8]), Vec<usize>> = BTreeMap::new();
    for (k, (zero, one)) in apply_zero.iter().zip(apply_one).enumerate() {
        by_effect.entry((zero, one)).or_default().push(k);
    }
    let mut groups: Vec<Vec<usize>> = by_effect.into_values().collect();
    groups.sort_by_key(|g| g[0]);
    groups
}

fn saved(c: &CompiledAction, observed: impl Fn(usize) -> usize) -> SavedAction {
    let label = c.name[1..]
        .split(['+', '-'])
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    SavedAction {
        name: c.name.clone(),
        label,
        observed: observed(label),
        pre_pos: mask_string(&c.pre_pos),
        pre_neg: mask_string(&c.pre_neg),
        add: mask_string(&c.add),
        del: mask_string(&c.del),
    }
}

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
        format!(
            "{} STRIPS actions from {} of {} labels over {} bits; {pre}{pictures}",
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
        let z0 = model.encode(&range.clone().map(|i| data.pre_image(i)).collect::<Vec<_>>())?;
        let z1 = model.encode(&range.map(|i| data.suc_image(i)).collect::<Vec<_>>())?;
        self.coverage(&z0, &z1)
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

#[cfg(test)]
mod tests {
    use super::{
        pre_states_by_label, same_effect_groups, ActionModel, PreconditionSource, SavedAction,
    };

    fn action(name: &str, pre_pos: &str, pre_neg: &str, add: &str, del: &str) -> SavedAction {
        SavedAction {
            name: name.into(),
            label: 0,
            observed: 1,
            pre_pos: pre_pos.into(),
            pre_neg: pre_neg.into(),
            add: add.into(),
            del: del.into(),
        }
    }

    #[test]
    fn coverage_counts_the_moves_the_model_has_and_its_successors() {
        // Two bits. a: 00 -> 10 (needs bit 0 false); b: x1 -> x0 (needs bit 1 true).
        let model = ActionModel {
            bits: 2,
            labels: 2,
            labels_used: 2,
            preconditions: PreconditionSource::Data,
            transitions: 0,
            unreproduced: 0,
            actions: vec![
                action("a0", "00", "10", "10", "00"),
                action("a1", "01", "00", "00", "01"),
            ],
            pictures: None,
        };
        let z0 = [vec![0, 0], vec![0, 1], vec![1, 1], vec![1, 0], vec![1, 0]];
        let z1 = [vec![1, 0], vec![0, 0], vec![0, 1], vec![0, 0], vec![1, 0]];
        let c = model.coverage(&z0, &z1).unwrap();
        // The last pair does not move; 00->10 and 01->00 are there; 11->01 and
        // 10->00 are not (a needs bit 0 false; b only clears bit 1).
        assert_eq!(c.pairs, 4);
        assert_eq!(c.covered, 2);
        assert_eq!(c.missing, vec![2, 3]);
        // Successors: 00 has {10}; 01 has {11, 00}; 11 has {10}; 10 has none.
        assert!((c.mean_successors - 4.0 / 4.0).abs() < 1e-12, "{c:?}");
    }

    #[test]
    fn transitions_the_effect_gets_wrong_give_no_pre_state() {
        // From 00, 10, 01, 11:
        let z1 = [vec![1, 0], vec![1, 0], vec![1, 1], vec![0, 1]];
        let labels = [3, 3, 3, 5];
        // Label 3 sets bit 0: right for the first two, wrong for the third
        // (bit 1 changed too); label 5's only transition is wrong as well.
        let predicted = [vec![1, 0], vec![1, 0], vec![1, 0], vec![1, 1]];
        let (by_label, left_out) = pre_states_by_label(&z1, &labels, &predicted);
        assert_eq!(left_out, 2);
        assert_eq!(by_label[&3], vec![0, 1]);
        assert!(
            by_label[&5].is_empty(),
            "label 5 is used but has no pre-state"
        );
    }

    #[test]
    fn labels_with_the_same_effect_are_grouped() {
        let zero = [vec![0, 1], vec![1, 0], vec![0, 1], vec![0, 1]];
        let one = [vec![1, 1], vec![1, 0], vec![1, 1], vec![0, 1]];
        // Labels 0 and 2 add bit 1 and keep bit 0; label 3 deletes bit 0; label 1 differs.
        assert_eq!(
            same_effect_groups(&zero, &one),
            vec![vec![0, 2], vec![1], vec![3]]
        );
    }
}
