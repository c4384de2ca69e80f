//! The picture rules on disk: `pictures.safetensors` in a run directory.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use candle_core::{Device, Tensor};

use super::{Mask, PictureRule, PictureRules};
use crate::model::params;

/// File name of the picture rules inside a run directory.
pub const PICTURES: &str = "pictures.safetensors";

/// The metadata key of [`PictureRules::self_denied`].
const SELF_DENIED: &str = "self_denied";

impl PictureRules {
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
