//! `train`, `report`, `encode` and `decode`: the learned model on the command line.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use candle_core::Device;
use clap::{Args, ValueEnum};
use indicatif::ProgressBar;

use super::bench::EstimatorArg;
use super::progress::bar;
use crate::data::dataset::Manifest;
use crate::domain::preset::Network;
use crate::domain::Image;
use crate::model::quality::QualityReport;
use crate::model::train::{Event, Observer};
use crate::model::workflow::{self, DeviceChoice, Part, TrainOptions};
use crate::model::{EstimatorKind, Model, Preset};

/// Network presets.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PresetArg {
    /// Small MLP, AMA3+: the CPU preset (8-puzzle, LightsOut 4×4).
    CpuMlp,
    /// The CPU MLP with the AMA4+ regression network.
    CpuMlpAma4,
    /// A very small MLP for LightsOut 3×3 or the 3×2 puzzle.
    Tiny,
    /// Latplan's convolutional AMA3+ (for a GPU).
    Conv,
    /// Latplan's convolutional AMA4+ (for a GPU).
    ConvAma4,
}

impl From<PresetArg> for Preset {
    fn from(p: PresetArg) -> Self {
        match p {
            PresetArg::CpuMlp => Preset::CpuMlp,
            PresetArg::CpuMlpAma4 => Preset::CpuMlpAma4,
            PresetArg::Tiny => Preset::Tiny,
            PresetArg::Conv => Preset::Conv,
            PresetArg::ConvAma4 => Preset::ConvAma4,
        }
    }
}

/// Which of the domain's own networks to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NetworkArg {
    /// `gpu` when training on CUDA and the domain has one, else `cpu`.
    Auto,
    /// `[network]` of the domain preset (an MLP that trains on the CPU).
    Cpu,
    /// `[gpu-network]` of the domain preset (Latplan's convolutional network;
    /// hours on a GPU, far too slow on the CPU but at tiny sizes).
    Gpu,
}

/// Where to compute.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeviceArg {
    /// CUDA if compiled in and present, else the CPU.
    Auto,
    /// The CPU.
    Cpu,
    /// An NVIDIA GPU (needs `--features cuda`).
    Cuda,
}

impl From<DeviceArg> for DeviceChoice {
    fn from(d: DeviceArg) -> Self {
        match d {
            DeviceArg::Auto => DeviceChoice::Auto,
            DeviceArg::Cpu => DeviceChoice::Cpu,
            DeviceArg::Cuda => DeviceChoice::Cuda,
        }
    }
}

/// `latplan train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Dataset folder (from `latplan generate`).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Run folder to create (or to continue with --resume).
    #[arg(long, short = 'o', value_name = "RUN")]
    pub out: PathBuf,
    /// Network and schedule [default: the dataset's domain's own network, with
    /// its settings (`[network]` in the domain preset, `[gpu-network]` on
    /// CUDA; `cpu-mlp` for datasets made before they existed)].
    #[arg(long, value_enum)]
    pub preset: Option<PresetArg>,
    /// Which of the domain's own networks (when no --preset is given).
    #[arg(long, value_enum, default_value = "auto", conflicts_with = "preset")]
    pub network: NetworkArg,
    /// Total epochs [default: the preset's].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Seed of every random choice (same seed on the CPU = same curve).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where to compute.
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceArg,
    /// Continue the run in --out from its last checkpoint (its own configuration is used).
    #[arg(long)]
    pub resume: bool,
    /// Gradient estimator of the bits and action labels (same as
    /// `--set model.estimator=NAME`; its settings are `model.estimator_options.*`).
    #[arg(long, value_enum, default_value = "binary-concrete")]
    pub estimator: EstimatorArg,
    /// CPU threads for the tensor kernels. One is fastest on a busy machine: with
    /// other processes running, two threads measured up to 5× slower than one.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Change one setting of the preset (repeatable), e.g. `--set train.lr=0.003`,
    /// `--set model.bits=64`, `--set model.arch.hidden=[800]`; the keys are those
    /// of a run's config.json under `model` and `train`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

/// `latplan report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run folder.
    #[arg(long, value_name = "RUN")]
    pub model: PathBuf,
    /// Dataset folder of the same domain.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Which pairs to measure on.
    #[arg(long, value_enum, default_value = "test")]
    pub split: PartArg,
    /// Where to compute.
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceArg,
}

/// Dataset parts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PartArg {
    /// Training pairs.
    Train,
    /// Validation pairs.
    Val,
    /// Held-out test pairs.
    Test,
}

/// `latplan encode`.
#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// Run folder.
    #[arg(long, value_name = "RUN")]
    pub model: PathBuf,
    /// Images to encode (each must have the model's size).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
}

/// `latplan decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Run folder.
    #[arg(long, value_name = "RUN")]
    pub model: PathBuf,
    /// The bits, e.g. 0110…, as many as the model has.
    #[arg(long)]
    pub bits: String,
    /// PNG to write.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: PathBuf,
}

/// Draws a progress bar and prints one line per epoch above it.
struct Progress {
    bar: Option<ProgressBar>,
    epochs: usize,
}

impl Observer for Progress {
    fn event(&mut self, event: Event) -> ControlFlow<()> {
        match event {
            Event::Batch {
                epoch,
                done,
                of,
                loss,
            } => {
                let bar = self
                    .bar
                    .get_or_insert_with(|| bar("training", (self.epochs * of) as u64));
                bar.set_position((epoch * of + done) as u64);
                bar.set_message(format!("ep {epoch} loss {loss:.1}"));
            }
            Event::Epoch(row) => {
                let line = format!(
                    "epoch {:>4}  τ {:.3}  train loss {:>9.2}  val loss {:>9.2}  val recon {:>8.2}  val kl_succ {:>7.3}  {:>6.0} s",
                    row.epoch, row.tau, row.train[0], row.val[0], row.val[2], row.val[5], row.seconds
                );
                match &self.bar {
                    Some(bar) if !bar.is_hidden() => bar.println(line),
                    _ => eprintln!("{line}"),
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// Prints `q`, measured on the pairs of `part`.
fn print_quality(q: &QualityReport, part: Part) {
    let pairs = match part {
        Part::Train => "training",
        Part::Val => "validation",
        Part::Test => "held-out test",
    };
    println!("quality on {} {pairs} pairs:", q.pairs);
    println!(
        "  reconstruction (decoded image parses to the true state): {:.2}%",
        100.0 * q.reconstruction
    );
    println!(
        "  successor prediction (APPLY(z0, a) == z1, bit-exact):     {:.2}%",
        100.0 * q.successor
    );
    println!(
        "  predicted successor decodes to the true next state:      {:.2}%",
        100.0 * q.successor_image
    );
    println!(
        "  some label gives the exact successor:                    {:.2}%",
        100.0 * q.successor_any_label
    );
    println!(
        "  action labels used:                                      {}",
        q.actions_used
    );
    println!(
        "  bits unchanged under pixel noise σ={}:                  {:.2}%",
        q.stability_noise,
        100.0 * q.stability
    );
}

/// Runs `latplan train`.
pub fn train(args: &TrainArgs) -> anyhow::Result<()> {
    workflow::set_cpu_threads(args.threads)?;
    let device = workflow::device(args.device.into())?;
    let estimator = EstimatorKind::from(args.estimator);
    if args.resume && estimator != EstimatorKind::default() {
        bail!("--estimator cannot change a run being resumed (--resume uses the run's own)");
    }
    let network = if args.resume {
        Network::default() // unused: a resumed run keeps its own configuration
    } else {
        let manifest = Manifest::read(&args.data)?;
        let path = args.data.join("manifest.json");
        let chosen = network(args.preset, args.network, device.is_cuda(), &manifest)
            .with_context(|| format!("--network: {}", path.display()))?;
        // The domain's settings come from its preset file, not the command
        // line: a bad one is reported as the preset's.
        workflow::configure(chosen.preset, manifest.shape, args.seed, None, &chosen.set)
            .with_context(|| {
                format!(
                    "{}: the settings of the {} preset's {} network are not valid",
                    path.display(),
                    manifest.preset,
                    chosen.preset.name()
                )
            })?;
        chosen
    };
    // The domain's settings, then the estimator, so that an explicit
    // `--set model.estimator=…` wins, as every `--set` does.
    let overrides = network
        .set
        .into_iter()
        .chain(std::iter::once(format!(
            "model.estimator={}",
            estimator.name()
        )))
        .chain(args.overrides.iter().cloned())
        .collect();
    let opts = TrainOptions {
        preset: network.preset,
        epochs: args.epochs,
        seed: args.seed,
        resume: args.resume,
        overrides,
    };
    train_and_extract(&args.data, &args.out, &opts, &device)
}

/// The network of a new run on a dataset with `manifest`: `--preset` when
/// given (without the domain's settings, which belong to its own preset), else
/// the domain's own, `[gpu-network]` for `which` = gpu (or auto on CUDA, where
/// the domain has one) and `[network]` otherwise; says which.
pub fn network(
    preset: Option<PresetArg>,
    which: NetworkArg,
    on_cuda: bool,
    manifest: &Manifest,
) -> anyhow::Result<Network> {
    let gpu = match which {
        NetworkArg::Gpu => true,
        NetworkArg::Cpu => false,
        NetworkArg::Auto => on_cuda && manifest.gpu_network.is_some(),
    };
    let (chosen, why) = match (preset, gpu) {
        (Some(p), _) => (
            Network {
                preset: p.into(),
                set: Vec::new(),
            },
            "--preset".to_string(),
        ),
        (None, true) => match &manifest.gpu_network {
            Some(n) => (
                n.clone(),
                format!("the {} preset's [gpu-network]", manifest.preset),
            ),
            None => bail!(
                "the {} preset of this dataset has no [gpu-network] (the six Latplan domains \
                 have one; a dataset made before session 15 names none: generate it again)",
                manifest.preset
            ),
        },
        (None, false) => match &manifest.network {
            Some(n) => (
                n.clone(),
                format!("the {} preset's own network", manifest.preset),
            ),
            None => (
                Network::default(),
                "the default: this dataset names no network".to_string(),
            ),
        },
    };
    let sets: String = chosen.set.iter().map(|s| format!(" --set {s}")).collect();
    println!("network: {}{sets} ({why})", chosen.preset.name());
    Ok(chosen)
}

/// Trains (or resumes) a run with a progress bar, prints its quality, then
/// extracts its STRIPS action model from the dataset into `actions.json`.
pub fn train_and_extract(
    data: &Path,
    out: &Path,
    opts: &TrainOptions,
    device: &Device,
) -> anyhow::Result<()> {
    let schedule = if opts.resume {
        crate::model::run::RunDir::new(out).read_config()?.train
    } else {
        let shape = crate::domain::Shape::gray(1, 1);
        workflow::configure(opts.preset, shape, 0, None, &opts.overrides)?.1
    };
    let epochs = opts.epochs.unwrap_or(schedule.epochs) + schedule.refine_epochs;
    let mut progress = Progress { bar: None, epochs };
    let (report, quality) = workflow::train(data, out, opts, device, &mut progress)?;
    if let Some(bar) = &progress.bar {
        bar.finish_and_clear();
    }
    let seconds = report.last.as_ref().map_or(0.0, |r| r.seconds);
    println!(
        "trained {} epochs in {seconds:.0} s; run written to {}",
        report.epochs_done,
        out.display()
    );
    if let Some(q) = quality {
        print_quality(&q, Part::Test);
        let model = Model::load(out, device)?;
        let actions = crate::pipeline::actions::extract(
            &model,
            &workflow::load_dataset(data)?,
            Default::default(),
        )?;
        actions.save(out)?;
        println!(
            "extracted {} into {}",
            actions.summary(),
            out.join(crate::pipeline::actions::ACTIONS).display()
        );
    }
    Ok(())
}

/// Moves the action model lacks that `latplan report` lists.
const MISSING_SHOWN: usize = 10;

/// Runs `latplan report`.
pub fn report(args: &ReportArgs) -> anyhow::Result<()> {
    let device = workflow::device(args.device.into())?;
    let part = match args.split {
        PartArg::Train => Part::Train,
        PartArg::Val => Part::Val,
        PartArg::Test => Part::Test,
    };
    let ds = workflow::load_dataset(&args.data)?;
    print_quality(&workflow::report(&args.model, &ds, part, &device)?, part);
    if args.model.join(crate::pipeline::actions::ACTIONS).is_file() {
        let actions = crate::pipeline::actions::ActionModel::load(&args.model)?;
        let range = part.range(&ds.manifest.split);
        let model = Model::load(&args.model, &device)?;
        let start = range.start;
        // Encoded once for both coverages below.
        let (z0, z1) = crate::pipeline::actions::encode_pairs(&model, &ds, range.clone())?;
        let c = actions.coverage(&z0, &z1)?;
        println!(
            "  extracted actions ({}) make the move z0 -> z1:  {:.2}% of {} pairs",
            crate::pipeline::actions::ACTIONS,
            100.0 * c.share(),
            c.pairs
        );
        println!(
            "  distinct successors they give a pre-state:                {:.2}",
            c.mean_successors
        );
        if part == Part::Test && range.start > 0 {
            // Extraction sees every pair (Latplan's protocol), these too; the
            // same extraction from the other pairs alone measures them held out.
            let other = crate::pipeline::actions::extract_from(
                &model,
                &ds,
                0..range.start,
                actions.options(),
            )?;
            let held = other.coverage(&z0, &z1)?;
            println!(
                "  the same extracted without these pairs make:              {:.2}% ({:.2} successors)",
                100.0 * held.share(),
                held.mean_successors
            );
        }
        let domain = ds.manifest.domain.build()?;
        let n = ds.manifest.code_len;
        let state = |states: &[u8], i: usize| domain.format(&states[i * n..(i + 1) * n]);
        for &k in c.missing.iter().take(MISSING_SHOWN) {
            let i = start + k;
            println!(
                "    lacks pair {i}: {} -> {}",
                state(&ds.pre_state, i),
                state(&ds.suc_state, i)
            );
        }
    }
    Ok(())
}

/// Runs `latplan encode`: one line per image, `FILE BITS`.
pub fn encode(args: &EncodeArgs) -> anyhow::Result<()> {
    let model = Model::load(&args.model, &candle_core::Device::Cpu)?;
    let shape = model.config.model.shape;
    let images = args
        .images
        .iter()
        .map(|p| Image::load_exact(p, shape))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for (path, bits) in args.images.iter().zip(model.encode(&images)?) {
        let text: String = bits
            .iter()
            .map(|b| if *b == 1 { '1' } else { '0' })
            .collect();
        println!("{} {text}", path.display());
    }
    Ok(())
}

/// Runs `latplan decode`.
pub fn decode(args: &DecodeArgs) -> anyhow::Result<()> {
    let model = Model::load(&args.model, &candle_core::Device::Cpu)?;
    let bits: Vec<u8> = args
        .bits
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '0' => Ok(0),
            '1' => Ok(1),
            other => bail!("--bits may hold only 0 and 1, found {other:?}"),
        })
        .collect::<anyhow::Result<_>>()?;
    if bits.len() != model.bits() {
        bail!(
            "--bits has {} bits, the model has {}",
            bits.len(),
            model.bits()
        );
    }
    let image = model
        .decode(&[bits])?
        .pop()
        .context("the decoder returned no image")?;
    image.save_png(&args.out)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
