//! The quality report of a trained model on held-out transitions, judged by the
//! ground-truth domain parser (never by the network itself):
//!
//! - reconstruction: share of images whose decoding `decode(encode(x))` the parser
//!   reads back to the true state;
//! - successor: share of pairs with bit-exact `APPLY(z0, action_of(z0, z1)) == z1`
//!   (and the share whose predicted successor decodes to the true next state);
//! - action labels used on those pairs;
//! - stability: share of images whose bits do not change under small pixel noise.

use std::collections::BTreeSet;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::data::Pairs;
use super::infer::Model;
use crate::domain::{Domain, Image};
use crate::util::rng;

/// Pixel noise (standard deviation, pixels in [0, 1]) of the stability check.
pub const STABILITY_NOISE: f32 = 0.05;
/// Random stream of the stability noise.
const STREAM_STABILITY: u64 = 7;

/// The true states of the transitions: `u8` `[n, code_len]` each, flattened.
#[derive(Clone, Copy)]
pub struct TrueStates<'a> {
    /// Length of one state code.
    pub code_len: usize,
    /// States before.
    pub pre: &'a [u8],
    /// States after.
    pub suc: &'a [u8],
}

impl TrueStates<'_> {
    fn code(&self, i: usize, successor: bool) -> &[u8] {
        let source = if successor { self.suc } else { self.pre };
        &source[i * self.code_len..(i + 1) * self.code_len]
    }
}

/// What [`assess`] measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    /// Transitions assessed.
    pub pairs: usize,
    /// Share of the 2·`pairs` images decoded back to their true state.
    pub reconstruction: f64,
    /// Share of pairs with `APPLY(z0, a) == z1` bit for bit.
    pub successor: f64,
    /// Share of pairs whose `decode(APPLY(z0, a))` parses to the true successor.
    pub successor_image: f64,
    /// Share of pairs for which *some* label gives `APPLY(z0, a) == z1`: the gap to
    /// `successor` is the action encoder's fault, the rest the effects' or the encoding's.
    #[serde(default)]
    pub successor_any_label: f64,
    /// Distinct action labels `action_of` chose on these pairs.
    pub actions_used: usize,
    /// Share of images whose bits are unchanged under pixel noise of [`STABILITY_NOISE`].
    pub stability: f64,
    /// The noise level of `stability`.
    pub stability_noise: f32,
}

fn images(pairs: &Pairs, range: &Range<usize>, successor: bool) -> anyhow::Result<Vec<Image>> {
    range
        .clone()
        .map(|i| Image::from_u8(pairs.shape, pairs.pixels(i, successor)))
        .collect()
}

fn parsed_share(domain: &dyn Domain, decoded: &[Image], truth: impl Fn(usize) -> Vec<u8>) -> f64 {
    let ok = decoded
        .iter()
        .enumerate()
        .filter(|(i, im)| domain.parse(im).is_ok_and(|p| p.state == truth(*i)))
        .count();
    ok as f64 / decoded.len().max(1) as f64
}

/// Share of pairs `(z0, z1)` with some label `a` such that `APPLY(z0, a) == z1`,
/// using APPLY's STRIPS form: add = APPLY(0⃗, a), delete = ¬APPLY(1⃗, a).
fn reachable_share(model: &Model, z0: &[Vec<u8>], z1: &[Vec<u8>]) -> anyhow::Result<f64> {
    let labels: Vec<usize> = (0..model.actions()).collect();
    let bits = model.bits();
    let add = model.apply(&vec![vec![0u8; bits]; labels.len()], &labels)?;
    let keep = model.apply(&vec![vec![1u8; bits]; labels.len()], &labels)?;
    let hit = z0
        .iter()
        .zip(z1)
        .filter(|(s, t)| {
            add.iter()
                .zip(&keep)
                .any(|(a, k)| (0..bits).all(|j| (a[j] | (s[j] & k[j])) == t[j]))
        })
        .count();
    Ok(hit as f64 / z0.len().max(1) as f64)
}

/// Measures `model` on the transitions in `range`, judged by `domain`.
pub fn assess(
    model: &Model,
    domain: &dyn Domain,
    pairs: &Pairs,
    states: &TrueStates,
    range: Range<usize>,
    seed: u64,
) -> anyhow::Result<QualityReport> {
    let x0 = images(pairs, &range, false)?;
    let x1 = images(pairs, &range, true)?;
    let z0 = model.encode(&x0)?;
    let z1 = model.encode(&x1)?;
    let start = range.start;
    let y0 = model.decode(&z0)?;
    let y1 = model.decode(&z1)?;
    let r0 = parsed_share(domain, &y0, |i| states.code(start + i, false).to_vec());
    let r1 = parsed_share(domain, &y1, |i| states.code(start + i, true).to_vec());
    let actions = model.action_of(&z0, &z1)?;
    let z2 = model.apply(&z0, &actions)?;
    let exact = z2.iter().zip(&z1).filter(|(a, b)| a == b).count();
    let y2 = model.decode(&z2)?;
    let successor_image = parsed_share(domain, &y2, |i| states.code(start + i, true).to_vec());
    let used: BTreeSet<usize> = actions.iter().copied().collect();
    let any_label = reachable_share(model, &z0, &z1)?;
    let mut r = rng(seed, STREAM_STABILITY);
    let noisy: Vec<Image> = x0
        .iter()
        .map(|im| {
            let mut n = im.clone();
            n.add_noise(STABILITY_NOISE, &mut r);
            n
        })
        .collect();
    let zn = model.encode(&noisy)?;
    let stable = zn.iter().zip(&z0).filter(|(a, b)| a == b).count();
    let n = range.len().max(1) as f64;
    Ok(QualityReport {
        pairs: range.len(),
        reconstruction: (r0 + r1) / 2.0,
        successor: exact as f64 / n,
        successor_image,
        successor_any_label: any_label,
        actions_used: used.len(),
        stability: stable as f64 / n,
        stability_noise: STABILITY_NOISE,
    })
}
