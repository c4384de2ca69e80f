//! Learning the picture rules from the observed moves: the steady pixels of
//! each label's pictures, less those that chance explains.

use std::collections::BTreeMap;

use super::{Group, Mask, PictureRule, PictureRules};
use crate::pipeline::extract::explained_by_chance;

/// A pixel is steady over an action's pictures when its standard deviation
/// there (or, for the frame, the root mean square of its change) is at most
/// this share of its deviation over all pre-pictures: a tile that is always
/// there gives 0, noise in the data a small share.
const STEADY: f32 = 0.25;

/// Pixels that hardly vary over the whole data (the background, grid lines)
/// say nothing about an action and are left out: their deviation is below this.
const VARYING: f32 = 0.05;

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
            let mask = |s: &Stats| {
                let (mean, dev) = (s.mean(), s.deviation());
                let significant = |p: usize| {
                    let share = chance.within(p, mean[p], reach[p]);
                    !explained_by_chance(share, members.len(), significance)
                };
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
