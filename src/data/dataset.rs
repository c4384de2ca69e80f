//! Transition datasets: `N` (pre, successor) image pairs with the true states
//! kept for judging, as one safetensors file plus a JSON manifest.
//!
//! Layout of a dataset directory:
//! - `manifest.json`: [`Manifest`] (preset, resolved domain, seed, sizes, split)
//! - `transitions.safetensors`: `pre`, `suc` as `u8 [N, H, W, C]` (pixel × 255)
//!   and `pre_state`, `suc_state` as `u8 [N, code_len]`.
//!
//! The pairs are stored in shuffled order; the split is Latplan's: first 90 %
//! train, next 5 % validation, last 5 % test.

use std::path::Path;

use anyhow::{bail, Context};
use safetensors::tensor::{Dtype, TensorView};
use serde::{Deserialize, Serialize};

use crate::domain::preset::Network;
use crate::domain::{Code, DomainConfig, Image, Shape};

/// File name of the manifest inside a dataset directory.
pub const MANIFEST: &str = "manifest.json";
/// File name of the tensors inside a dataset directory.
pub const TENSORS: &str = "transitions.safetensors";
/// Version of this layout, checked on load.
pub const FORMAT_VERSION: u32 = 1;

/// Index ranges of the three parts of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// `0..train` are training pairs.
    pub train: usize,
    /// `train..train + val` are validation pairs.
    pub val: usize,
    /// The last `test` pairs are held out for testing.
    pub test: usize,
}

impl Split {
    /// Latplan's 90/5/5 split of `n` pairs.
    pub fn latplan(n: usize) -> Split {
        let train = n * 90 / 100;
        let val = n * 5 / 100;
        Split {
            train,
            val,
            test: n - train - val,
        }
    }

    /// Training index range.
    pub fn train_range(&self) -> std::ops::Range<usize> {
        0..self.train
    }

    /// Validation index range.
    pub fn val_range(&self) -> std::ops::Range<usize> {
        self.train..self.train + self.val
    }

    /// Test index range.
    pub fn test_range(&self) -> std::ops::Range<usize> {
        self.train + self.val..self.train + self.val + self.test
    }
}

/// What a dataset is: enough to rebuild its domain and judge its pictures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The preset's name.
    pub preset: String,
    /// The resolved domain configuration.
    pub domain: DomainConfig,
    /// The seed that generated the data.
    pub seed: u64,
    /// Number of pairs.
    pub transitions: usize,
    /// Image shape.
    pub shape: Shape,
    /// Length of each state code.
    pub code_len: usize,
    /// The train/validation/test split.
    pub split: Split,
    /// The domain preset's own network (absent in datasets made before
    /// session 13: then `latplan train` uses `cpu-mlp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    /// The domain preset's network for the GPU (`[gpu-network]`; absent
    /// where the preset has none and in datasets made before session 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_network: Option<Network>,
}

impl Manifest {
    /// Reads `manifest.json` of the dataset directory `dir` alone.
    pub fn read(dir: &Path) -> anyhow::Result<Manifest> {
        let mpath = dir.join(MANIFEST);
        if !mpath.is_file() {
            bail!(
                "{} is not a dataset directory: {} is missing (make one with `latplan generate`)",
                dir.display(),
                MANIFEST
            );
        }
        let manifest: Manifest = crate::util::read_json(&mpath)?;
        if manifest.format_version != FORMAT_VERSION {
            bail!(
                "{} has dataset format version {}, this latplan reads version {FORMAT_VERSION}",
                mpath.display(),
                manifest.format_version
            );
        }
        Ok(manifest)
    }
}

/// A dataset in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// What it is.
    pub manifest: Manifest,
    /// Pre-images, `u8 [N, H, W, C]`, flattened.
    pub pre: Vec<u8>,
    /// Successor images, same layout.
    pub suc: Vec<u8>,
    /// True pre-states, `[N, code_len]`, flattened.
    pub pre_state: Vec<u8>,
    /// True successor states, same layout.
    pub suc_state: Vec<u8>,
}

impl Dataset {
    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.manifest.transitions
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pre-image `i` as an [`Image`].
    pub fn pre_image(&self, i: usize) -> Image {
        self.image(&self.pre, i)
    }

    /// Successor image `i` as an [`Image`].
    pub fn suc_image(&self, i: usize) -> Image {
        self.image(&self.suc, i)
    }

    /// True pre-state `i`.
    pub fn pre_code(&self, i: usize) -> Code {
        let l = self.manifest.code_len;
        self.pre_state[i * l..(i + 1) * l].to_vec()
    }

    /// True successor state `i`.
    pub fn suc_code(&self, i: usize) -> Code {
        let l = self.manifest.code_len;
        self.suc_state[i * l..(i + 1) * l].to_vec()
    }

    fn image(&self, pixels: &[u8], i: usize) -> Image {
        let n = self.manifest.shape.len();
        let shape = self.manifest.shape;
        // The slice length equals shape.len() by construction (checked on load).
        Image::from_u8(shape, &pixels[i * n..(i + 1) * n])
            .unwrap_or_else(|_| Image::filled(shape, 0.0))
    }

    /// Writes `manifest.json` and `transitions.safetensors` into `dir`
    /// (created if needed), each atomically.
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        crate::util::create_dir(dir)?;
        let m = &self.manifest;
        let img_shape = vec![
            m.transitions,
            m.shape.height,
            m.shape.width,
            m.shape.channels,
        ];
        let code_shape = vec![m.transitions, m.code_len];
        let views = [
            (
                "pre",
                TensorView::new(Dtype::U8, img_shape.clone(), &self.pre)?,
            ),
            ("suc", TensorView::new(Dtype::U8, img_shape, &self.suc)?),
            (
                "pre_state",
                TensorView::new(Dtype::U8, code_shape.clone(), &self.pre_state)?,
            ),
            (
                "suc_state",
                TensorView::new(Dtype::U8, code_shape, &self.suc_state)?,
            ),
        ];
        let bytes =
            safetensors::serialize(views, None).context("cannot serialize the dataset tensors")?;
        crate::util::write_atomic(&dir.join(TENSORS), &bytes)?;
        crate::util::write_json(&dir.join(MANIFEST), m)
    }

    /// Reads a dataset directory written by [`Dataset::save`], checking that
    /// every tensor has the size the manifest promises.
    pub fn load(dir: &Path) -> anyhow::Result<Dataset> {
        let manifest = Manifest::read(dir)?;
        let tpath = dir.join(TENSORS);
        let bytes =
            std::fs::read(&tpath).with_context(|| format!("cannot read {}", tpath.display()))?;
        let st = safetensors::SafeTensors::deserialize(&bytes)
            .with_context(|| format!("{} is not a valid safetensors file", tpath.display()))?;
        let n = manifest.transitions;
        let take = |name: &str, per_item: usize| -> anyhow::Result<Vec<u8>> {
            let t = st
                .tensor(name)
                .with_context(|| format!("{} has no tensor {name:?}", tpath.display()))?;
            if t.dtype() != Dtype::U8 || t.data().len() != n * per_item {
                bail!(
                    "{}: tensor {name:?} is {:?} {:?}, expected U8 with {} values per pair for {n} pairs",
                    tpath.display(),
                    t.dtype(),
                    t.shape(),
                    per_item
                );
            }
            Ok(t.data().to_vec())
        };
        let img = manifest.shape.len();
        let code = manifest.code_len;
        Ok(Dataset {
            pre: take("pre", img)?,
            suc: take("suc", img)?,
            pre_state: take("pre_state", code)?,
            suc_state: take("suc_state", code)?,
            manifest,
        })
    }
}
