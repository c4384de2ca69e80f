//! Extraction of the action model from the network and the training data
//! (Latplan §3.1): effects, preconditions, label groups, picture rules.

use std::collections::BTreeMap;
use std::ops::Range;

use super::changes::{keep_to_changes, observed_changes, CHANGE_SUPPORT};
use super::observed::{observed_effects, OBSERVED_SUPPORT};
use super::relax::{relax_preconditions, RELAX_SUPPORT};
use super::{mask_string, ActionModel, PreconditionSource, SavedAction, SeenStates};
use crate::data::Dataset;
use crate::domain::Image;
use crate::model::Model;
use crate::pipeline::extract::{
    compile, preconditions_from_data, significant_preconditions, CompiledAction, LearnedAction,
    PRECONDITION_SIGNIFICANCE,
};
use crate::pipeline::pictures::{PictureRules, SIGNIFICANCE};

pub fn to_bools(z: &[u8]) -> Vec<bool> {
    z.iter().map(|&b| b == 1).collect()
}

/// How extraction repairs what the network got wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractOptions {
    /// Drop a precondition literal that this many observed moves contradict
    /// ([`relax_preconditions`]; 0: none).
    pub relax_support: usize,
    /// Make an action of a bit change that this many observed moves share and
    /// no effect makes ([`observed_effects`]; 0: none).
    pub observed_support: usize,
    /// Keep the actions to the bit changes this many training moves share
    /// ([`keep_to_changes`]; 0: every change their effects make).
    pub change_support: usize,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        Self {
            relax_support: RELAX_SUPPORT,
            observed_support: OBSERVED_SUPPORT,
            change_support: CHANGE_SUPPORT,
        }
    }
}

/// Encodes every transition of `data` and extracts the action model of
/// `model`, repaired as `options` say.
pub fn extract(
    model: &Model,
    data: &Dataset,
    options: ExtractOptions,
) -> anyhow::Result<ActionModel> {
    extract_from(model, data, 0..data.len(), options)
}

/// [`extract`] from the transitions `range` of `data` only.
pub fn extract_from(
    model: &Model,
    data: &Dataset,
    range: Range<usize>,
    options: ExtractOptions,
) -> anyhow::Result<ActionModel> {
    let n = range.len();
    let pre: Vec<Image> = range.clone().map(|i| data.pre_image(i)).collect();
    let suc: Vec<Image> = range.map(|i| data.suc_image(i)).collect();
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
    // The picture rules stay those of each label's own moves: learned from
    // the moves the relaxation adds too, they let wrong moves through (on the
    // session-20 Sokoban models 1–7 invalid plans of 41, none without).
    let relaxed = relax_preconditions(&mut learned, &z0, &z1, options.relax_support);
    let extra = observed_effects(
        &learned,
        &z0,
        &z1,
        options.observed_support,
        model.actions(),
    );
    for (a, moves) in extra.actions.iter().zip(extra.moves) {
        counts.insert(a.label, moves.len());
        members_by_label.push((a.label, moves));
    }
    let observed_actions = extra.actions.len();
    learned.extend(extra.actions);
    let mut compiled = compile(&learned)?;
    let mut changes = 0;
    if options.change_support > 0 {
        let kept = observed_changes(&z0, &z1, options.change_support);
        changes = kept.len();
        compiled = keep_to_changes(&compiled, &kept);
    }
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
        relaxed_literals: relaxed.literals,
        relaxed_moves: relaxed.moves.len(),
        observed_actions,
        relax_support: options.relax_support,
        observed_support: options.observed_support,
        change_support: options.change_support,
        changes,
        actions: compiled.iter().map(|c| saved(c, observed)).collect(),
        pictures: Some(pictures),
        seen: Some(SeenStates::from_codes(f, z0.iter().chain(&z1))),
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
pub(super) fn pre_states_by_label(
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
pub(super) fn same_effect_groups(apply_zero: &[Vec<u8>], apply_one: &[Vec<u8>]) -> Vec<Vec<usize>> {
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
        .split(['+', '-', '~'])
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
