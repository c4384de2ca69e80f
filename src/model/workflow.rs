//! The model's commands as library functions over a dataset directory: train a
//! new run or resume one, then measure it ([`super::quality`]); the CLI only
//! turns its arguments into [`TrainOptions`] and draws progress.

use std::path::Path;

use anyhow::{bail, Context};
use candle_core::Device;

use super::config::{ModelConfig, Preset, TrainConfig};
use super::data::Pairs;
use super::infer::Model;
use super::quality::{assess, QualityReport, TrueStates};
use super::run::{resume, train_new, DataInfo, RunConfig, RunDir, TrainData, FORMAT_VERSION};
use super::train::{Observer, Split, TrainReport};
use crate::data::dataset::Dataset;
use crate::util::write_json;

/// Where to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    /// CUDA when compiled in and present, else the CPU.
    Auto,
    /// The CPU.
    Cpu,
    /// The first CUDA device (an error without the `cuda` feature or a GPU).
    Cuda,
}

/// The device for `choice`: the one place the program picks it.
pub fn device(choice: DeviceChoice) -> anyhow::Result<Device> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Cuda => Device::new_cuda(0).map_err(|e| {
            anyhow::anyhow!(
                "cannot use CUDA (build with `--features cuda` on a machine with an NVIDIA GPU): {}",
                first_line(&e)
            )
        }),
        DeviceChoice::Auto if candle_core::utils::cuda_is_available() => Ok(Device::new_cuda(0)
            .unwrap_or_else(|e| {
                eprintln!(
                    "latplan: CUDA is compiled in but no GPU can be used ({}); using the CPU",
                    first_line(&e)
                );
                Device::Cpu
            })),
        DeviceChoice::Auto => Ok(Device::Cpu),
    }
}

/// The first line of a candle error (whose display may carry a backtrace).
fn first_line(e: &candle_core::Error) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// Sets the number of CPU threads of the tensor kernels (candle's rayon pool
/// reads `RAYON_NUM_THREADS` when it starts). Call before any tensor work; an
/// explicit `RAYON_NUM_THREADS` in the environment wins.
pub fn set_cpu_threads(threads: usize) -> anyhow::Result<()> {
    if threads == 0 {
        bail!("--threads must be at least 1");
    }
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    }
    Ok(())
}

/// What `latplan train` was asked to do.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Network and schedule (ignored when resuming: the run's own are used).
    pub preset: Preset,
    /// Total epochs instead of the preset's.
    pub epochs: Option<usize>,
    /// Seed of every random choice.
    pub seed: u64,
    /// Continue the run in the output directory from its last checkpoint.
    pub resume: bool,
    /// `key=value` settings over the preset, e.g. `train.lr=0.003`, `model.bits=64`
    /// (see [`configure`]).
    pub overrides: Vec<String>,
}

/// The model and training configuration of a new run: the preset's for images of
/// `shape`, then `epochs` (the annealing window shrinks to at most 2/3 of it),
/// then every `key=value` of `overrides`, where `key` is `model.<field>` or
/// `train.<field>` (nested fields with more dots, e.g. `model.arch.hidden`) and
/// `value` is JSON (`0.003`, `[800]`, `"adam"`) or a bare word taken as a string.
pub fn configure(
    preset: Preset,
    shape: crate::domain::Shape,
    seed: u64,
    epochs: Option<usize>,
    overrides: &[String],
) -> anyhow::Result<(ModelConfig, TrainConfig)> {
    let (model, mut train) = preset.configs(shape, seed);
    if let Some(e) = epochs {
        train.anneal_epochs = train.anneal_epochs.min(e * 2 / 3);
        train.epochs = e;
    }
    let mut value = serde_json::json!({ "model": model, "train": train });
    for o in overrides {
        let (key, raw) = o
            .split_once('=')
            .with_context(|| format!("--set {o}: expected KEY=VALUE, e.g. train.lr=0.003"))?;
        let new: serde_json::Value =
            serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.into()));
        let mut slot = &mut value;
        for part in key.split('.') {
            slot = slot.get_mut(part).with_context(|| {
                format!(
                    "--set {o}: `{key}` is not a setting (keys look like model.beta_d, \
                     train.lr, model.arch.hidden; see config.json of a run)"
                )
            })?;
        }
        *slot = new;
    }
    let model: ModelConfig = serde_json::from_value(value["model"].clone())
        .context("--set: a model setting has the wrong type")?;
    let train: TrainConfig = serde_json::from_value(value["train"].clone())
        .context("--set: a training setting has the wrong type")?;
    if model.shape != shape {
        bail!("--set: model.shape is the dataset's image size and cannot be changed");
    }
    Ok((model, train))
}

/// Which part of the dataset to measure on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The training pairs.
    Train,
    /// The validation pairs.
    Val,
    /// The held-out test pairs.
    Test,
}

impl Part {
    /// The indices of this part's pairs.
    pub fn range(self, split: &crate::data::Split) -> std::ops::Range<usize> {
        match self {
            Part::Train => split.train_range(),
            Part::Val => split.val_range(),
            Part::Test => split.test_range(),
        }
    }
}

/// Loads a dataset with context.
pub fn load_dataset(dir: &Path) -> anyhow::Result<Dataset> {
    Dataset::load(dir).with_context(|| format!("cannot load the dataset {}", dir.display()))
}

fn data_info(ds: &Dataset) -> anyhow::Result<DataInfo> {
    Ok(DataInfo {
        preset: ds.manifest.preset.clone(),
        domain: serde_json::to_value(&ds.manifest.domain).context("cannot serialize the domain")?,
        code_len: ds.manifest.code_len,
    })
}

/// Fails unless `ds` shows the same domain (and image size) as the run `cfg` was trained on.
pub fn check_same_domain(cfg: &RunConfig, ds: &Dataset, model_dir: &Path) -> anyhow::Result<()> {
    let info = data_info(ds)?;
    if info.domain != cfg.data.domain || ds.manifest.shape != cfg.model.shape {
        bail!(
            "the model {} was trained on `{}` ({}), but this dataset is `{}` ({})",
            model_dir.display(),
            cfg.data.preset,
            cfg.model.shape,
            info.preset,
            ds.manifest.shape
        );
    }
    Ok(())
}

fn pairs(ds: &Dataset) -> Pairs<'_> {
    Pairs {
        shape: ds.manifest.shape,
        pre: &ds.pre,
        suc: &ds.suc,
    }
}

/// Trains (or resumes) the run `out` on the dataset `data`, then writes and
/// returns its quality report on the test pairs (unless training was stopped).
pub fn train(
    data: &Path,
    out: &Path,
    opts: &TrainOptions,
    device: &Device,
    observer: &mut dyn Observer,
) -> anyhow::Result<(TrainReport, Option<QualityReport>)> {
    let ds = load_dataset(data)?;
    let m = &ds.manifest;
    let split = Split {
        train: m.split.train_range(),
        val: m.split.val_range(),
    };
    let td = TrainData {
        pairs: pairs(&ds),
        split,
    };
    let report = if opts.resume {
        check_same_domain(&RunDir::new(out).read_config()?, &ds, out)?;
        resume(out, opts.epochs, &td, device, observer)?
    } else {
        let (model, train) = configure(
            opts.preset,
            m.shape,
            opts.seed,
            opts.epochs,
            &opts.overrides,
        )?;
        let cfg = RunConfig {
            format_version: FORMAT_VERSION,
            model,
            train,
            data: data_info(&ds)?,
        };
        train_new(out, &cfg, &td, device, observer)?
    };
    if report.stopped {
        return Ok((report, None));
    }
    let quality = self::report(out, &ds, Part::Test, device)?;
    Ok((report, Some(quality)))
}

/// Measures the run `model_dir` on `part` of the dataset `ds` (load it with
/// [`load_dataset`]); writes `quality.json` into the run.
pub fn report(
    model_dir: &Path,
    ds: &Dataset,
    part: Part,
    device: &Device,
) -> anyhow::Result<QualityReport> {
    let model = Model::load(model_dir, device)?;
    check_same_domain(&model.config, ds, model_dir)?;
    let domain = ds.manifest.domain.build()?;
    let m = &ds.manifest;
    let range = part.range(&m.split);
    let states = TrueStates {
        code_len: m.code_len,
        pre: &ds.pre_state,
        suc: &ds.suc_state,
    };
    let q = assess(
        &model,
        domain.as_ref(),
        &pairs(ds),
        &states,
        range,
        model.config.train.seed,
    )?;
    write_json(&RunDir::new(model_dir).quality(), &q)?;
    Ok(q)
}
