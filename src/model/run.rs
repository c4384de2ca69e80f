//! The run directory: `config.json` (everything needed to rebuild the model),
//! `model.safetensors` (weights and batch-norm statistics), `normalization.safetensors`,
//! `checkpoint.safetensors` (weights, optimizer moments and the log, in one atomic
//! file, so `--resume` continues a killed run exactly), `log.csv` and `loss.png`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use candle_core::Device;
use serde::{Deserialize, Serialize};

use super::config::{ModelConfig, TrainConfig};
use super::data::{Normalization, Pairs};
use super::loss::LOSS_NAMES;
use super::params;
use super::plot::loss_curve_png;
use super::train::{fit, EpochLog, Observer, Session, Split, TrainReport};
use crate::util::{create_dir, read_json, write_atomic, write_json};

/// Version of the run-directory layout.
pub const FORMAT_VERSION: u32 = 1;

/// Where the training data came from; later commands compare it with their data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    /// The dataset's preset name, e.g. `puzzle8-digits`.
    pub preset: String,
    /// The dataset's domain configuration, as the dataset manifest stores it.
    pub domain: serde_json::Value,
    /// Length of the true state codes.
    pub code_len: usize,
}

/// `config.json` of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// The network.
    pub model: ModelConfig,
    /// The training settings.
    pub train: TrainConfig,
    /// The training data.
    pub data: DataInfo,
}

/// Paths of the files of a run directory.
#[derive(Debug, Clone)]
pub struct RunDir(PathBuf);

impl RunDir {
    /// The run directory at `dir`.
    pub fn new(dir: &Path) -> Self {
        RunDir(dir.to_path_buf())
    }
    /// The directory itself.
    pub fn dir(&self) -> &Path {
        &self.0
    }
    /// `config.json`.
    pub fn config(&self) -> PathBuf {
        self.0.join("config.json")
    }
    /// `model.safetensors`.
    pub fn model(&self) -> PathBuf {
        self.0.join("model.safetensors")
    }
    /// `normalization.safetensors`.
    pub fn normalization(&self) -> PathBuf {
        self.0.join("normalization.safetensors")
    }
    /// `checkpoint.safetensors`.
    pub fn checkpoint(&self) -> PathBuf {
        self.0.join("checkpoint.safetensors")
    }
    /// `log.csv`.
    pub fn log(&self) -> PathBuf {
        self.0.join("log.csv")
    }
    /// `loss.png`.
    pub fn curve(&self) -> PathBuf {
        self.0.join("loss.png")
    }
    /// `quality.json`.
    pub fn quality(&self) -> PathBuf {
        self.0.join("quality.json")
    }

    /// Reads and checks `config.json`.
    pub fn read_config(&self) -> anyhow::Result<RunConfig> {
        let path = self.config();
        if !path.exists() {
            bail!(
                "{} is not a model directory: {} is missing",
                self.0.display(),
                path.display()
            );
        }
        let cfg: RunConfig = read_json(&path)?;
        if cfg.format_version != FORMAT_VERSION {
            bail!(
                "{}: format version {}, this program reads {FORMAT_VERSION}",
                path.display(),
                cfg.format_version
            );
        }
        Ok(cfg)
    }

    /// Reads `normalization.safetensors`, checking it fits `cfg`.
    pub fn read_normalization(
        &self,
        cfg: &RunConfig,
        device: &Device,
    ) -> anyhow::Result<Normalization> {
        let path = self.normalization();
        let mut loaded = params::load(&path, device)?;
        let mut take = |name: &str| -> anyhow::Result<Vec<f32>> {
            let t = loaded
                .tensors
                .remove(name)
                .with_context(|| format!("{} lacks the tensor {name}", path.display()))?;
            let v = t.flatten_all()?.to_vec1::<f32>()?;
            if v.len() != cfg.model.shape.len() {
                bail!(
                    "{}: {name} has {} values, the model's images have {}",
                    path.display(),
                    v.len(),
                    cfg.model.shape.len()
                );
            }
            Ok(v)
        };
        Ok(Normalization {
            mean: take("mean")?,
            std: take("std")?,
        })
    }
}

/// Data for a training run.
pub struct TrainData<'a> {
    /// All transitions.
    pub pairs: Pairs<'a>,
    /// Which of them train and validate.
    pub split: Split,
}

fn write_normalization(dir: &RunDir, cfg: &RunConfig, norm: &Normalization) -> anyhow::Result<()> {
    let (mean, std) = norm.tensors(cfg.model.shape, &Device::Cpu)?;
    params::save(
        &dir.normalization(),
        &[("mean".into(), mean), ("std".into(), std)],
        None,
    )
}

/// Writes `log.csv` from the rows.
pub fn write_log(path: &Path, rows: &[EpochLog]) -> anyhow::Result<()> {
    let mut text = String::from("epoch,phase,tau,seconds");
    for split in ["train", "val"] {
        for name in LOSS_NAMES {
            text.push_str(&format!(",{split}_{name}"));
        }
    }
    text.push('\n');
    for r in rows {
        let phase = if r.refine { "actions" } else { "joint" };
        text.push_str(&format!(
            "{},{phase},{:.6},{:.3}",
            r.epoch, r.tau, r.seconds
        ));
        for (i, v) in r.train.iter().enumerate() {
            // elbo, recon and kl_z are not computed while only the actions learn.
            if r.refine && (1..=3).contains(&i) {
                text.push(',');
            } else {
                text.push_str(&format!(",{v:.6}"));
            }
        }
        for v in &r.val {
            text.push_str(&format!(",{v:.6}"));
        }
        text.push('\n');
    }
    write_atomic(path, text.as_bytes())
}

fn write_checkpoint(dir: &RunDir, session: &Session) -> anyhow::Result<()> {
    let weights = params::named_tensors(&session.varmap);
    let mut all: Vec<_> = weights
        .iter()
        .map(|(n, t)| (format!("model.{n}"), t.clone()))
        .collect();
    all.extend(
        session
            .optimizer
            .state()?
            .into_iter()
            .map(|(n, t)| (format!("optimizer.{n}"), t)),
    );
    let meta = HashMap::from([
        ("steps".to_string(), session.optimizer.steps().to_string()),
        ("log".to_string(), serde_json::to_string(&session.log)?),
    ]);
    params::save(&dir.checkpoint(), &all, Some(meta))?;
    params::save(&dir.model(), &weights, None)?;
    write_log(&dir.log(), &session.log)?;
    write_atomic(&dir.curve(), &loss_curve_png(&session.log)?)
}

fn read_checkpoint(dir: &RunDir, session: &mut Session) -> anyhow::Result<()> {
    let path = dir.checkpoint();
    let loaded = params::load(&path, &session.device)?;
    let strip = |prefix: &str| -> HashMap<String, candle_core::Tensor> {
        loaded
            .tensors
            .iter()
            .filter_map(|(k, t)| k.strip_prefix(prefix).map(|n| (n.to_string(), t.clone())))
            .collect()
    };
    params::assign(&session.varmap, &strip("model."), &path)?;
    let meta = |key: &str| {
        loaded
            .metadata
            .get(key)
            .with_context(|| format!("{} lacks the entry {key}", path.display()))
    };
    let steps: u64 = meta("steps")?
        .parse()
        .with_context(|| format!("{}: steps is not a number", path.display()))?;
    session
        .optimizer
        .restore(&strip("optimizer."), steps)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    session.log = serde_json::from_str(meta("log")?)
        .with_context(|| format!("{}: the log is not valid", path.display()))?;
    Ok(())
}

/// Trains a new run in `dir` (which must not hold one yet) with `cfg`.
pub fn train_new(
    dir: &Path,
    cfg: &RunConfig,
    data: &TrainData,
    device: &Device,
    observer: &mut dyn Observer,
) -> anyhow::Result<TrainReport> {
    let run = RunDir::new(dir);
    if run.config().exists() {
        bail!(
            "{} already holds a run; pass --resume to continue it, or choose another --out",
            dir.display()
        );
    }
    cfg.train
        .validate()
        .map_err(|e| anyhow::anyhow!("invalid training configuration: {e}"))?;
    create_dir(dir)?;
    let norm = Normalization::from_pairs(&data.pairs, data.split.train.clone());
    write_json(&run.config(), cfg)?;
    write_normalization(&run, cfg, &norm)?;
    let mut session = Session::new(&cfg.model, &cfg.train, norm, device)?;
    fit(&mut session, &data.pairs, &data.split, observer, &mut |s| {
        write_checkpoint(&run, s)
    })
}

/// Continues the run in `dir` from its last checkpoint; `epochs` (if given)
/// replaces the configured total. The data must be the run's.
pub fn resume(
    dir: &Path,
    epochs: Option<usize>,
    data: &TrainData,
    device: &Device,
    observer: &mut dyn Observer,
) -> anyhow::Result<TrainReport> {
    let run = RunDir::new(dir);
    let mut cfg = run.read_config()?;
    if let Some(e) = epochs {
        cfg.train.epochs = e;
        write_json(&run.config(), &cfg)?;
    }
    let norm = run.read_normalization(&cfg, device)?;
    let mut session = Session::new(&cfg.model, &cfg.train, norm, device)?;
    // Killed before the first epoch ended: start over, which is what the run would have done.
    if run.checkpoint().exists() {
        read_checkpoint(&run, &mut session)?;
    }
    fit(&mut session, &data.pairs, &data.split, observer, &mut |s| {
        write_checkpoint(&run, s)
    })
}
