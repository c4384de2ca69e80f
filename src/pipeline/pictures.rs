//! Picture preconditions: the pixels an action always saw one way.
//!
//! The data preconditions (AMA3+) are the latent bits constant over an
//! action's observed pre-states. When the encoding spreads a fact ("the blank
//! is in the top-left cell") over many bits, no single bit is constant and
//! the action applies where it never could: on own tiles with 96 bits, every
//! invalid plan of session 10 had a step whose decoded successor shows the
//! blank tile twice, from an action whose observed pre-pictures all had it
//! elsewhere. The same test in pixel space catches what the bits miss: over
//! the observed pre-pictures of an action, the pixels that never change
//! (while they do change across the data) are what the action needs to see.
//! The built-in planner's `pictures` filter decodes each state it expands and
//! drops the actions whose picture precondition the decoded picture breaks.
//! Nothing here knows the domain: the masks come from the unlabeled training
//! pairs and the network's own labels, like the data preconditions.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use candle_core::{Device, Tensor};

use crate::domain::Image;
use crate::model::params;

/// File name of the picture preconditions inside a run directory.
pub const PICTURES: &str = "pictures.safetensors";

/// A pixel belongs to an action's precondition when its standard deviation
/// over the action's pre-pictures is at most this share of its deviation over
/// all pre-pictures (a tile that is always there: 0; noise in the data keeps a
/// small share).
const STEADY: f32 = 0.25;

/// Pixels that hardly vary over the whole data (the background, grid lines)
/// say nothing about an action and are left out: their deviation is below this.
const VARYING: f32 = 0.05;

/// A masked pixel contradicts the action when the picture is farther than its
/// data-wide standard deviation from the action's mean there.
const FAR: f32 = 1.0;

/// The picture precondition of one action label.
#[derive(Debug, Clone, PartialEq)]
pub struct PicturePrecondition {
    /// Pixel indices (into `Image::data`) the action always saw one way.
    pub pixels: Vec<u32>,
    /// The action's mean pre-picture at those pixels.
    pub expect: Vec<f32>,
    /// How far a pixel may be from `expect` (the data-wide deviation × [`FAR`]).
    pub reach: Vec<f32>,
}

impl PicturePrecondition {
    /// The share of the precondition's pixels that `picture` contradicts (0
    /// when the action needs no pixel).
    pub fn contradicted(&self, picture: &[f32]) -> f32 {
        if self.pixels.is_empty() {
            return 0.0;
        }
        let bad = self
            .pixels
            .iter()
            .zip(&self.expect)
            .zip(&self.reach)
            .filter(|((&p, &e), &r)| (picture[p as usize] - e).abs() > r)
            .count();
        bad as f32 / self.pixels.len() as f32
    }
}

/// The picture preconditions of every used label of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct PicturePreconditions {
    /// Values per picture.
    pub len: usize,
    /// By action label.
    pub by_label: BTreeMap<usize, PicturePrecondition>,
    /// Share of the extraction's own transitions whose decoded pre-picture
    /// its label's precondition denies ([`Self::denied_share`]), if measured.
    pub self_denied: Option<f64>,
}

/// The metadata key of [`PicturePreconditions::self_denied`].
const SELF_DENIED: &str = "self_denied";

/// Share of an action's pixels a picture may contradict and still admit it.
/// The network's decoded pre-pictures of the observed moves contradict 0 in
/// the median and 0.2-0.5 % at the 99th percentile (own tiles and 8-puzzle
/// runs, session 11); a wrong tile contradicts far more, but a filled circle
/// where a square should be only 7 % (their corners).
pub const TOLERANCE: f32 = 0.02;

impl PicturePreconditions {
    /// Learns the preconditions from the pictures `pictures` and the groups of
    /// indices into it that each label's pre-pictures form. Every picture has
    /// the same length; groups may be empty (such labels get none).
    pub fn learn(pictures: &[&[f32]], groups: &[(usize, Vec<usize>)]) -> PicturePreconditions {
        let len = pictures.first().map_or(0, |p| p.len());
        let spread = deviation(pictures.iter().copied(), len);
        let mut by_label = BTreeMap::new();
        for (label, members) in groups {
            if members.is_empty() {
                continue;
            }
            let (mean, dev) = mean_and_deviation(members.iter().map(|&i| pictures[i]), len);
            let mut pre = PicturePrecondition {
                pixels: Vec::new(),
                expect: Vec::new(),
                reach: Vec::new(),
            };
            for p in 0..len {
                if spread[p] >= VARYING && dev[p] <= STEADY * spread[p] {
                    pre.pixels.push(p as u32);
                    pre.expect.push(mean[p]);
                    pre.reach.push(FAR * spread[p]);
                }
            }
            by_label.insert(*label, pre);
        }
        PicturePreconditions {
            len,
            by_label,
            self_denied: None,
        }
    }

    /// The share of the pictures `pictures[i]` (for `i` in each label's
    /// group) that their own label's precondition denies: moves the data
    /// shows but the filter would refuse (0 with no group).
    pub fn denied_share(&self, pictures: &[&[f32]], groups: &[(usize, Vec<usize>)]) -> f64 {
        let (mut denied, mut total) = (0usize, 0usize);
        for (label, members) in groups {
            let Some(pre) = self.by_label.get(label) else {
                continue;
            };
            total += members.len();
            denied += members
                .iter()
                .filter(|&&i| pre.contradicted(pictures[i]) > TOLERANCE)
                .count();
        }
        denied as f64 / total.max(1) as f64
    }

    /// True if `picture` does not contradict label `label`'s precondition
    /// (labels without one are always admitted).
    pub fn admits(&self, label: usize, picture: &Image) -> bool {
        self.by_label
            .get(&label)
            .is_none_or(|pre| pre.contradicted(picture.data()) <= TOLERANCE)
    }

    /// Writes the preconditions to `path` atomically: `labels` [L], and
    /// `expect` and `reach` [L, len], NaN where a pixel is not in the mask.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let (rows, len) = (self.by_label.len(), self.len);
        let labels: Vec<f32> = self.by_label.keys().map(|&l| l as f32).collect();
        let mut expect = vec![f32::NAN; rows * len];
        let mut reach = vec![f32::NAN; rows * len];
        for (r, pre) in self.by_label.values().enumerate() {
            for ((&p, &e), &d) in pre.pixels.iter().zip(&pre.expect).zip(&pre.reach) {
                expect[r * len + p as usize] = e;
                reach[r * len + p as usize] = d;
            }
        }
        let cpu = Device::Cpu;
        let tensors = vec![
            ("labels".to_string(), Tensor::from_vec(labels, rows, &cpu)?),
            (
                "expect".to_string(),
                Tensor::from_vec(expect, (rows, len), &cpu)?,
            ),
            (
                "reach".to_string(),
                Tensor::from_vec(reach, (rows, len), &cpu)?,
            ),
        ];
        let metadata = self
            .self_denied
            .map(|d| [(SELF_DENIED.to_string(), d.to_string())].into());
        params::save(path, &tensors, metadata)
    }

    /// Reads what [`Self::save`] wrote; a missing tensor or a mismatched shape
    /// is an error that names the file.
    pub fn load(path: &Path) -> anyhow::Result<PicturePreconditions> {
        let loaded = params::load(path, &Device::Cpu)?;
        let get = |name: &str| -> anyhow::Result<(Vec<usize>, Vec<f32>)> {
            let t = loaded
                .tensors
                .get(name)
                .with_context(|| format!("{}: no tensor {name}", path.display()))?;
            Ok((t.dims().to_vec(), t.flatten_all()?.to_vec1::<f32>()?))
        };
        let (_, labels) = get("labels")?;
        let (dims, expect) = get("expect")?;
        let (reach_dims, reach) = get("reach")?;
        if dims.len() != 2 || dims[0] != labels.len() || reach_dims != dims {
            bail!(
                "{}: expect {dims:?} and reach {reach_dims:?} must both be [{}, pixels]",
                path.display(),
                labels.len()
            );
        }
        let len = dims[1];
        let mut by_label = BTreeMap::new();
        for (r, &label) in labels.iter().enumerate() {
            let mut pre = PicturePrecondition {
                pixels: Vec::new(),
                expect: Vec::new(),
                reach: Vec::new(),
            };
            for p in 0..len {
                let (e, d) = (expect[r * len + p], reach[r * len + p]);
                if !e.is_nan() {
                    pre.pixels.push(p as u32);
                    pre.expect.push(e);
                    pre.reach.push(d);
                }
            }
            by_label.insert(label as usize, pre);
        }
        let self_denied = match loaded.metadata.get(SELF_DENIED) {
            Some(v) => Some(v.parse().with_context(|| {
                format!("{}: {SELF_DENIED} = {v:?} is no number", path.display())
            })?),
            None => None,
        };
        Ok(PicturePreconditions {
            len,
            by_label,
            self_denied,
        })
    }

    /// Mean number of pixels per label's precondition.
    pub fn mean_pixels(&self) -> f64 {
        let n = self.by_label.len().max(1);
        self.by_label
            .values()
            .map(|p| p.pixels.len())
            .sum::<usize>() as f64
            / n as f64
    }
}

/// Per-value standard deviation of `pictures`.
fn deviation<'a>(pictures: impl Iterator<Item = &'a [f32]>, len: usize) -> Vec<f32> {
    mean_and_deviation(pictures, len).1
}

/// Per-value mean and (population) standard deviation, accumulated in f64.
fn mean_and_deviation<'a>(
    pictures: impl Iterator<Item = &'a [f32]>,
    len: usize,
) -> (Vec<f32>, Vec<f32>) {
    let (mut sum, mut squares, mut n) = (vec![0f64; len], vec![0f64; len], 0usize);
    for p in pictures {
        for (i, &v) in p.iter().enumerate() {
            sum[i] += f64::from(v);
            squares[i] += f64::from(v) * f64::from(v);
        }
        n += 1;
    }
    let n = n.max(1) as f64;
    let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
    let dev = sum
        .iter()
        .zip(&squares)
        .map(|(s, q)| {
            let m = s / n;
            ((q / n - m * m).max(0.0)).sqrt() as f32
        })
        .collect();
    (mean, dev)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four pixels: 0 is what label 1 needs (always 1 there, varying in the
    /// data), 1 is background (0 everywhere), 2 varies within label 1 too,
    /// 3 is label 2's need (always 0 there).
    fn learned() -> PicturePreconditions {
        let pictures: Vec<&[f32]> = vec![
            &[1.0, 0.0, 0.0, 1.0],
            &[1.0, 0.0, 1.0, 1.0],
            &[0.0, 0.0, 1.0, 0.0],
            &[1.0, 0.0, 0.0, 0.0],
        ];
        PicturePreconditions::learn(&pictures, &[(1, vec![0, 1]), (2, vec![2, 3]), (3, vec![])])
    }

    #[test]
    fn the_mask_is_the_pixels_steady_within_the_action_and_varying_across_the_data() {
        let p = learned();
        assert_eq!(p.len, 4);
        let one = &p.by_label[&1];
        assert_eq!(one.pixels, vec![0, 3]);
        assert_eq!(one.expect, vec![1.0, 1.0]);
        assert_eq!(p.by_label[&2].pixels, vec![3]);
        assert!(
            !p.by_label.contains_key(&3),
            "a label without pictures needs none"
        );
        // The reach is the data-wide deviation: pixel 0 is 1 in 3 of 4 pictures.
        assert!((one.reach[0] - (0.75f32 * 0.25).sqrt()).abs() < 1e-6);
    }

    #[test]
    fn a_picture_that_breaks_the_mask_is_denied() {
        let p = learned();
        assert!(p.admits(1, &picture(&[1.0, 0.3, 0.0, 0.9])));
        assert!(!p.admits(1, &picture(&[0.0, 0.0, 0.0, 1.0])));
        assert_eq!(p.by_label[&1].contradicted(&[0.0, 0.0, 0.0, 0.0]), 1.0);
        assert_eq!(p.by_label[&1].contradicted(&[1.0, 0.0, 0.0, 0.0]), 0.5);
        assert!(p.admits(7, &picture(&[0.0; 4])), "unknown labels pass");
        // Label 1's own pictures pass; label 2's first one would not pass label 1.
        let pictures: Vec<&[f32]> = vec![&[1.0, 0.0, 0.0, 1.0], &[0.0, 0.0, 1.0, 0.0]];
        assert_eq!(p.denied_share(&pictures, &[(1, vec![0])]), 0.0);
        assert_eq!(p.denied_share(&pictures, &[(1, vec![0, 1])]), 0.5);
    }

    fn picture(values: &[f32]) -> Image {
        Image::from_vec(crate::domain::Shape::gray(1, values.len()), values.to_vec()).unwrap()
    }

    #[test]
    fn saved_preconditions_load_the_same_and_a_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PICTURES);
        let mut p = learned();
        p.self_denied = Some(0.25);
        p.save(&path).unwrap();
        assert_eq!(PicturePreconditions::load(&path).unwrap(), p);
        std::fs::write(&path, b"not safetensors").unwrap();
        let err = format!("{:#}", PicturePreconditions::load(&path).unwrap_err());
        assert!(err.contains(PICTURES), "{err}");
    }
}
