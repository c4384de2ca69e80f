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
use std::path::Path;

use anyhow::{bail, Context};
use candle_core::{Device, Tensor};

use crate::model::params;

/// File name of the picture rules inside a run directory.
pub const PICTURES: &str = "pictures.safetensors";

/// A pixel is steady over an action's pictures when its standard deviation
/// there (or, for the frame, the root mean square of its change) is at most
/// this share of its deviation over all pre-pictures: a tile that is always
/// there gives 0, noise in the data a small share.
const STEADY: f32 = 0.25;

/// Pixels that hardly vary over the whole data (the background, grid lines)
/// say nothing about an action and are left out: their deviation is below this.
const VARYING: f32 = 0.05;

/// Share of a rule's pixels a move may break and still be allowed. The
/// network's decoded pictures of the observed moves break 0 in the median
/// and 0.2-0.5 % at the 99th percentile (own tiles and 8-puzzle runs, session
/// 11); a wrong tile breaks far more, but a filled circle where a square
/// should be only 7 % (their corners).
pub const TOLERANCE: f32 = 0.02;

/// A steady pixel joins a rule only when its steadiness is unlikely by
/// chance: `n` moves whose pictures all show it within reach of the rule's
/// value, where a random picture does so with probability `c`, make it
/// significant when `c^n` is at most this. An action seen in 3 moves of the
/// 8-puzzle otherwise takes every pixel its 3 pictures happen to share (a
/// stroke common to several digits) as a precondition and is denied on a
/// valid move with another tile there: session 12 found such a rule blocking
/// the only optimal plan of a 14-step problem.
pub const SIGNIFICANCE: f64 = 1e-3;

/// Pictures sampled (evenly over the data) to measure the chance `c` of
/// [`SIGNIFICANCE`].
const CHANCE_SAMPLE: usize = 1024;

/// The metadata key of [`PictureRules::self_denied`].
const SELF_DENIED: &str = "self_denied";

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
    /// Learns the rules from the pre-pictures `pre`, their successors `post`
    /// and the moves (indices into both) each label was given, keeping in the
    /// `pre` and `post` masks the steady pixels whose chance agreement over
    /// the label's moves is at most `significance` (1 keeps them all; see
    /// [`SIGNIFICANCE`]). Every picture has the same length; labels without
    /// moves get no rule.
    pub fn learn(
        pre: &[&[f32]],
        post: &[&[f32]],
        groups: &[Group],
        significance: f64,
    ) -> PictureRules {
        let len = pre.first().map_or(0, |p| p.len());
        let reach = Stats::over(pre.iter().copied(), len).deviation();
        let chance = Chance::sample(pre, len);
        let varies: Vec<bool> = reach.iter().map(|&d| d >= VARYING).collect();
        let steady = |p: usize, d: f32| varies[p] && d <= STEADY * reach[p];
        let mut by_label = BTreeMap::new();
        for (label, members) in groups {
            if members.is_empty() {
                continue;
            }
            let before = Stats::over(members.iter().map(|&i| pre[i]), len);
            let after = Stats::over(members.iter().map(|&i| post[i]), len);
            let mut change = vec![0f64; len];
            for &i in members {
                for (c, (&a, &b)) in change.iter_mut().zip(pre[i].iter().zip(post[i])) {
                    *c += f64::from(b - a).powi(2);
                }
            }
            let n = members.len() as f64;
            let moves = members.len().min(i32::MAX as usize) as i32;
            let mask = |s: &Stats| {
                let (mean, dev) = (s.mean(), s.deviation());
                let significant =
                    |p: usize| chance.within(p, mean[p], reach[p]).powi(moves) <= significance;
                let mut m = Mask::default();
                for p in (0..len).filter(|&p| steady(p, dev[p]) && significant(p)) {
                    m.pixels.push(p as u32);
                    m.expect.push(mean[p]);
                }
                m
            };
            let rule = PictureRule {
                pre: mask(&before),
                post: mask(&after),
                frame: (0..len)
                    .filter(|&p| steady(p, (change[p] / n).sqrt() as f32))
                    .map(|p| p as u32)
                    .collect(),
            };
            by_label.insert(*label, rule);
        }
        PictureRules {
            len,
            reach,
            by_label,
            self_denied: None,
        }
    }

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

    /// Writes the rules to `path` atomically: `labels` [L], `reach` [len],
    /// `pre` and `post` [L, len] (NaN off the mask), `frame` [L, len] (0/1).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let (rows, len) = (self.by_label.len(), self.len);
        let labels: Vec<f32> = self.by_label.keys().map(|&l| l as f32).collect();
        let mut pre = vec![f32::NAN; rows * len];
        let mut post = vec![f32::NAN; rows * len];
        let mut frame = vec![0f32; rows * len];
        for (r, rule) in self.by_label.values().enumerate() {
            let row = r * len;
            for (values, mask) in [(&mut pre, &rule.pre), (&mut post, &rule.post)] {
                for (&p, &e) in mask.pixels.iter().zip(&mask.expect) {
                    values[row + p as usize] = e;
                }
            }
            for &p in &rule.frame {
                frame[row + p as usize] = 1.0;
            }
        }
        let cpu = Device::Cpu;
        let table = |v: Vec<f32>| Tensor::from_vec(v, (rows, len), &cpu);
        let tensors = vec![
            ("labels".to_string(), Tensor::from_vec(labels, rows, &cpu)?),
            (
                "reach".to_string(),
                Tensor::from_vec(self.reach.clone(), len, &cpu)?,
            ),
            ("pre".to_string(), table(pre)?),
            ("post".to_string(), table(post)?),
            ("frame".to_string(), table(frame)?),
        ];
        let metadata = self
            .self_denied
            .map(|d| [(SELF_DENIED.to_string(), d.to_string())].into());
        params::save(path, &tensors, metadata)
    }

    /// Reads what [`Self::save`] wrote; a missing tensor or a mismatched shape
    /// is an error that names the file.
    pub fn load(path: &Path) -> anyhow::Result<PictureRules> {
        let loaded = params::load(path, &Device::Cpu)?;
        let get = |name: &str| -> anyhow::Result<(Vec<usize>, Vec<f32>)> {
            let t = loaded.tensors.get(name).with_context(|| {
                format!(
                    "{}: no tensor {name} (written before session 11's picture rules? \
                     extract again with `latplan export --data`)",
                    path.display()
                )
            })?;
            Ok((t.dims().to_vec(), t.flatten_all()?.to_vec1::<f32>()?))
        };
        let (_, labels) = get("labels")?;
        let (_, reach) = get("reach")?;
        let len = reach.len();
        let mut tables = Vec::new();
        for name in ["pre", "post", "frame"] {
            let (dims, values) = get(name)?;
            if dims != [labels.len(), len] {
                bail!(
                    "{}: {name} is {dims:?}, expected [{}, {len}]",
                    path.display(),
                    labels.len()
                );
            }
            tables.push(values);
        }
        let mask = |table: &[f32], row: usize| {
            let mut m = Mask::default();
            for (p, &v) in table[row * len..(row + 1) * len].iter().enumerate() {
                if !v.is_nan() {
                    m.pixels.push(p as u32);
                    m.expect.push(v);
                }
            }
            m
        };
        let mut by_label = BTreeMap::new();
        for (r, &label) in labels.iter().enumerate() {
            let rule = PictureRule {
                pre: mask(&tables[0], r),
                post: mask(&tables[1], r),
                frame: (0..len)
                    .filter(|&p| tables[2][r * len + p] == 1.0)
                    .map(|p| p as u32)
                    .collect(),
            };
            by_label.insert(label as usize, rule);
        }
        let self_denied = match loaded.metadata.get(SELF_DENIED) {
            Some(v) => Some(v.parse().with_context(|| {
                format!("{}: {SELF_DENIED} = {v:?} is no number", path.display())
            })?),
            None => None,
        };
        Ok(PictureRules {
            len,
            reach,
            by_label,
            self_denied,
        })
    }
}

/// Per pixel, the sorted values of an even sample of the pictures: how
/// likely a random picture shows a value near a given one.
struct Chance {
    /// Pixel-major: the sample's values of pixel `p` are `values[p*k..(p+1)*k]`.
    values: Vec<f32>,
    k: usize,
}

impl Chance {
    fn sample(pictures: &[&[f32]], len: usize) -> Chance {
        let k = pictures.len().min(CHANCE_SAMPLE);
        let mut values = vec![0f32; len * k];
        for j in 0..k {
            let picture = pictures[j * pictures.len() / k];
            for (p, &v) in picture.iter().enumerate() {
                values[p * k + j] = v;
            }
        }
        values
            .chunks_mut(k.max(1))
            .for_each(|c| c.sort_by(f32::total_cmp));
        Chance { values, k }
    }

    /// Share of the sample whose pixel `p` is within `reach` of `value`
    /// (1 without a sample).
    fn within(&self, p: usize, value: f32, reach: f32) -> f64 {
        if self.k == 0 {
            return 1.0;
        }
        let v = &self.values[p * self.k..(p + 1) * self.k];
        let lo = v.partition_point(|&x| x < value - reach);
        let hi = v.partition_point(|&x| x <= value + reach);
        (hi - lo) as f64 / self.k as f64
    }
}

/// Per-value sums over pictures, in f64.
struct Stats {
    sum: Vec<f64>,
    squares: Vec<f64>,
    n: usize,
}

impl Stats {
    fn over<'a>(pictures: impl Iterator<Item = &'a [f32]>, len: usize) -> Stats {
        let mut s = Stats {
            sum: vec![0.0; len],
            squares: vec![0.0; len],
            n: 0,
        };
        for p in pictures {
            for (i, &v) in p.iter().enumerate() {
                s.sum[i] += f64::from(v);
                s.squares[i] += f64::from(v) * f64::from(v);
            }
            s.n += 1;
        }
        s
    }

    fn mean(&self) -> Vec<f32> {
        let n = self.n.max(1) as f64;
        self.sum.iter().map(|s| (s / n) as f32).collect()
    }

    /// Population standard deviation.
    fn deviation(&self) -> Vec<f32> {
        let n = self.n.max(1) as f64;
        self.sum
            .iter()
            .zip(&self.squares)
            .map(|(s, q)| {
                let m = s / n;
                (q / n - m * m).max(0.0).sqrt() as f32
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four pixels over four moves. Label 1 (moves 0, 1) always starts with
    /// pixel 0 on and turns it off, and never touches pixel 3; label 2
    /// (moves 2, 3) always starts with pixel 3 off. Pixel 1 is background.
    fn learned() -> (PictureRules, Vec<&'static [f32]>, Vec<&'static [f32]>) {
        let pre: Vec<&[f32]> = vec![
            &[1.0, 0.0, 0.0, 1.0],
            &[1.0, 0.0, 1.0, 1.0],
            &[0.0, 0.0, 1.0, 0.0],
            &[1.0, 0.0, 0.0, 0.0],
        ];
        let post: Vec<&[f32]> = vec![
            &[0.0, 0.0, 0.0, 1.0],
            &[0.0, 0.0, 1.0, 1.0],
            &[0.0, 0.0, 1.0, 1.0],
            &[1.0, 0.0, 1.0, 1.0],
        ];
        let groups = [(1, vec![0, 1]), (2, vec![2, 3]), (3, vec![])];
        (PictureRules::learn(&pre, &post, &groups, 1.0), pre, post)
    }

    #[test]
    fn rules_are_the_pixels_steady_within_the_action_and_varying_across_the_data() {
        let (p, _, _) = learned();
        assert_eq!(p.len, 4);
        // Pixel 0 is on in 3 of 4 pre-pictures; pixel 1 never varies.
        assert!((p.reach[0] - (0.75f32 * 0.25).sqrt()).abs() < 1e-6);
        assert_eq!(p.reach[1], 0.0);
        let one = &p.by_label[&1];
        assert_eq!(one.pre.pixels, vec![0, 3]);
        assert_eq!(one.pre.expect, vec![1.0, 1.0]);
        assert_eq!(one.post.pixels, vec![0, 3]);
        assert_eq!(one.post.expect, vec![0.0, 1.0]);
        // Pixel 2 differs between label 1's moves but neither move changes it.
        assert_eq!(one.frame, vec![2, 3]);
        let two = &p.by_label[&2];
        assert_eq!(two.pre.pixels, vec![3]);
        assert_eq!(two.post.pixels, vec![2, 3]);
        // Pixel 0 differs between label 2's moves but neither changes it.
        assert_eq!(two.frame, vec![0]);
        assert!(
            !p.by_label.contains_key(&3),
            "a label without moves gets no rule"
        );
    }

    #[test]
    fn steady_pixels_that_chance_explains_are_left_out() {
        // 100 pictures of 2 pixels: pixel 0 is on in half of them, pixel 1
        // in 90 %. Label 1's moves all start with both on.
        let pictures: Vec<[f32; 2]> = (0..100)
            .map(|i| [(i % 2) as f32, if i % 10 == 0 { 0.0 } else { 1.0 }])
            .collect();
        let pre: Vec<&[f32]> = pictures.iter().map(|p| &p[..]).collect();
        let with_moves = |n: usize| {
            let members: Vec<usize> = (0..100).filter(|i| i % 2 == 1).take(n).collect();
            PictureRules::learn(&pre, &pre, &[(1, members)], SIGNIFICANCE)
        };
        // Three moves: 0.5^3 and 0.9^3 are chance.
        assert!(with_moves(3).by_label[&1].pre.pixels.is_empty());
        // Twelve: 0.5^12 = 2e-4 is not, 0.9^12 = 0.28 still is.
        assert_eq!(with_moves(12).by_label[&1].pre.pixels, vec![0]);
        // Fifty: 0.9^50 = 5e-3 is still chance.
        assert_eq!(with_moves(50).by_label[&1].pre.pixels, vec![0]);
        // Without the test every steady pixel counts.
        let all = (0..100).filter(|i| i % 2 == 1).take(3).collect();
        let plain = PictureRules::learn(&pre, &pre, &[(1, all)], 1.0);
        assert_eq!(plain.by_label[&1].pre.pixels, vec![0, 1]);
    }

    #[test]
    fn moves_that_break_a_rule_are_denied() {
        let (p, pre, post) = learned();
        assert!(p.admits(1, &[1.0, 0.3, 0.0, 0.9]));
        assert!(
            !p.admits(1, &[0.0, 0.0, 0.0, 1.0]),
            "pre: pixel 0 must be on"
        );
        assert_eq!(
            p.contradicted(&p.by_label[&1].pre, &[1.0, 0.0, 0.0, 0.0]),
            0.5
        );
        assert!(p.allows(1, &[1.0, 0.0, 0.0, 1.0], &[0.0, 0.0, 0.0, 1.0]));
        assert!(
            !p.allows(1, &[1.0, 0.0, 0.0, 1.0], &[1.0, 0.0, 0.0, 1.0]),
            "post: pixel 0 must go off"
        );
        assert!(
            !p.allows(1, &[1.0, 0.0, 0.0, 1.0], &[0.0, 0.0, 1.0, 1.0]),
            "frame: pixel 2 must stay"
        );
        assert_eq!(p.changed(&[2, 3], &[0.0; 4], &[0.0, 0.0, 1.0, 0.0]), 0.5);
        assert!(p.allows(7, &[0.0; 4], &[1.0; 4]), "unknown labels pass");
        // The observed moves pass; label 2's first move would not pass as label 1.
        assert_eq!(
            p.denied_share(&pre, &post, &[(1, vec![0, 1]), (2, vec![2, 3])]),
            0.0
        );
        assert_eq!(p.denied_share(&pre, &post, &[(1, vec![0, 2])]), 0.5);
    }

    #[test]
    fn saved_rules_load_the_same_and_a_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PICTURES);
        let (mut p, _, _) = learned();
        p.self_denied = Some(0.25);
        p.save(&path).unwrap();
        assert_eq!(PictureRules::load(&path).unwrap(), p);
        std::fs::write(&path, b"not safetensors").unwrap();
        let err = format!("{:#}", PictureRules::load(&path).unwrap_err());
        assert!(err.contains(PICTURES), "{err}");
    }
}
