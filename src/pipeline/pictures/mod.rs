//! Picture rules: what an action's observed moves always look like.
//!
//! The data preconditions (AMA3+) are the latent bits constant over an
//! action's observed pre-states. When the encoding spreads a fact ("the blank
//! is in the top-left cell") over many bits, no single bit is constant and
//! the action applies where it never could: on own tiles with 96 bits, every
//! invalid plan of session 10 had a step whose decoded successor shows the
//! blank tile twice. The same questions asked of the pictures catch what the
//! bits miss. Over the observed moves of an action label (the training pairs
//! the network gives that label and whose successor its effect reproduces):
//!
//! - **pre**: the pixels its pre-pictures always show one way;
//! - **post**: the pixels its successor pictures always show one way;
//! - **frame**: the pixels it never changes.
//!
//! Only pixels that vary across the data count (the background and grid lines
//! say nothing). The built-in planner's `pictures` filter decodes the state it
//! expands and each successor, and drops the moves that break the action's
//! rules: the pre-picture contradicts `pre`, the successor contradicts `post`,
//! or the move changes the `frame`. Nothing here knows the domain: the rules
//! come from the unlabeled training pairs and the network's own labels, like
//! the data preconditions.

use std::collections::BTreeMap;

mod file;
mod learn;
#[cfg(test)]
mod tests;

pub use file::PICTURES;
pub use learn::SIGNIFICANCE;

/// Share of a rule's pixels a move may break and still be allowed. The
/// network's decoded pictures of the observed moves break 0 in the median
/// and 0.2-0.5 % at the 99th percentile (own tiles and 8-puzzle runs, session
/// 11); a wrong tile breaks far more, but a filled circle where a square
/// should be only 7 % (their corners).
pub const TOLERANCE: f32 = 0.02;

/// Pixels and the values a rule expects there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mask {
    /// Pixel indices (into `Image::data`).
    pub pixels: Vec<u32>,
    /// The expected value at each (the mean over the observed pictures).
    pub expect: Vec<f32>,
}

/// The rules of one action label.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PictureRule {
    /// What the pre-picture always shows.
    pub pre: Mask,
    /// What the successor picture always shows.
    pub post: Mask,
    /// Pixels the action never changes.
    pub frame: Vec<u32>,
}

/// The picture rules of every used label of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct PictureRules {
    /// Values per picture.
    pub len: usize,
    /// Per pixel, how far a picture may be from a rule's expectation (or a
    /// frame pixel move) before it breaks the rule: the pixel's standard
    /// deviation over all pre-pictures.
    pub reach: Vec<f32>,
    /// By action label.
    pub by_label: BTreeMap<usize, PictureRule>,
    /// Share of the extraction's own moves whose decoded pictures their
    /// label's rules deny ([`Self::denied_share`]), if measured.
    pub self_denied: Option<f64>,
}

/// The observed moves of one label: indices into the picture lists.
pub type Group = (usize, Vec<usize>);

impl PictureRules {
    /// The share of `mask`'s pixels where `picture` is farther than the
    /// reach from the expected value (0 for an empty mask).
    pub fn contradicted(&self, mask: &Mask, picture: &[f32]) -> f32 {
        let bad = mask
            .pixels
            .iter()
            .zip(&mask.expect)
            .filter(|(&p, &e)| (picture[p as usize] - e).abs() > self.reach[p as usize])
            .count();
        bad as f32 / mask.pixels.len().max(1) as f32
    }

    /// The share of `frame`'s pixels that change by more than the reach from
    /// `before` to `after` (0 for an empty frame).
    pub fn changed(&self, frame: &[u32], before: &[f32], after: &[f32]) -> f32 {
        let bad = frame
            .iter()
            .filter(|&&p| {
                let p = p as usize;
                (after[p] - before[p]).abs() > self.reach[p]
            })
            .count();
        bad as f32 / frame.len().max(1) as f32
    }

    /// True if `before` meets label `label`'s precondition (labels without
    /// rules always do).
    pub fn admits(&self, label: usize, before: &[f32]) -> bool {
        self.by_label
            .get(&label)
            .is_none_or(|r| self.contradicted(&r.pre, before) <= TOLERANCE)
    }

    /// True if the move `before` → `after` by label `label` keeps its
    /// postcondition and frame (the precondition is [`Self::admits`]).
    pub fn keeps(&self, label: usize, before: &[f32], after: &[f32]) -> bool {
        self.by_label.get(&label).is_none_or(|r| {
            self.contradicted(&r.post, after) <= TOLERANCE
                && self.changed(&r.frame, before, after) <= TOLERANCE
        })
    }

    /// True if the move `before` → `after` by label `label` keeps all its
    /// rules: the precondition, the postcondition and the frame.
    pub fn allows(&self, label: usize, before: &[f32], after: &[f32]) -> bool {
        self.admits(label, before) && self.keeps(label, before, after)
    }

    /// The share of the moves `pre[i]` → `post[i]` (for `i` in each label's
    /// group) that their own label's rules deny: moves the data shows but
    /// the filter would refuse (0 with no move).
    pub fn denied_share(&self, pre: &[&[f32]], post: &[&[f32]], groups: &[Group]) -> f64 {
        let (mut denied, mut total) = (0usize, 0usize);
        for (label, members) in groups {
            total += members.len();
            denied += members
                .iter()
                .filter(|&&i| !self.allows(*label, pre[i], post[i]))
                .count();
        }
        denied as f64 / total.max(1) as f64
    }

    /// Mean number of pixels per label in (pre, post, frame).
    pub fn mean_pixels(&self) -> (f64, f64, f64) {
        let n = self.by_label.len().max(1) as f64;
        let sum =
            |f: fn(&PictureRule) -> usize| self.by_label.values().map(f).sum::<usize>() as f64 / n;
        (
            sum(|r| r.pre.pixels.len()),
            sum(|r| r.post.pixels.len()),
            sum(|r| r.frame.len()),
        )
    }
}
