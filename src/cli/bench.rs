//! `bench-estimators`: the gradient estimators compared on the same preset, seed
//! and budget (the work is [`crate::pipeline::bench`]).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::search::SearchArgs;
use super::train::{DeviceArg, PresetArg};
use crate::model::workflow;
use crate::model::EstimatorKind;
use crate::pipeline::bench::{self, BenchOptions};

/// Gradient estimators of the discrete latents (bits; labels where a categorical form exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EstimatorArg {
    /// Soft Binary Concrete bits and Gumbel-Softmax labels (Latplan's default).
    BinaryConcrete,
    /// Straight-through: exact samples, gradient of σ(l/τ) / softmax(θ/τ).
    StBernoulli,
    /// Straight-through Binary Concrete / Gumbel-Softmax (Latplan's train_hard).
    StConcrete,
    /// Gapped Straight-Through, fixed gap (model.estimator_options.gap, default 1).
    Gst,
    /// Gapped Straight-Through with the probability-dependent gap (GST-p).
    GstP,
    /// Invertible Gaussian Reparameterization of the bits (labels: Gumbel-Softmax).
    Igr,
    /// REINFORCE with a moving-average baseline.
    Reinforce,
    /// REINFORCE leave-one-out over model.estimator_options.samples draws (default 2).
    Rloo,
    /// Implicit MLE, fixed λ (model.estimator_options.lambda, default 1).
    Imle,
    /// Adaptive I-MLE: λ relative to the logits, tuned to a target gradient sparsity.
    Aimle,
}

impl From<EstimatorArg> for EstimatorKind {
    fn from(e: EstimatorArg) -> Self {
        match e {
            EstimatorArg::BinaryConcrete => EstimatorKind::BinaryConcrete,
            EstimatorArg::StBernoulli => EstimatorKind::StBernoulli,
            EstimatorArg::StConcrete => EstimatorKind::StConcrete,
            EstimatorArg::Gst => EstimatorKind::Gst,
            EstimatorArg::GstP => EstimatorKind::GstP,
            EstimatorArg::Igr => EstimatorKind::Igr,
            EstimatorArg::Reinforce => EstimatorKind::Reinforce,
            EstimatorArg::Rloo => EstimatorKind::Rloo,
            EstimatorArg::Imle => EstimatorKind::Imle,
            EstimatorArg::Aimle => EstimatorKind::Aimle,
        }
    }
}

/// `latplan bench-estimators`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Network preset, the same for every estimator.
    #[arg(long, value_enum, default_value = "cpu-mlp")]
    pub preset: PresetArg,
    /// Epochs [default: the preset's].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Domain presets, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "lightsout4,puzzle8-digits"
    )]
    pub domains: Vec<String>,
    /// Estimators, comma-separated [default: all].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub estimators: Vec<EstimatorArg>,
    /// Folder for data, problems, runs and bench.md / bench.csv / bench.json (must be new or empty).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the data, the problems and every run.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Training pairs [default: each domain preset's].
    #[arg(long, short = 'n')]
    pub transitions: Option<usize>,
    /// Optimal plan lengths of the problems, comma-separated [default: each domain preset's, e.g. 7,14].
    #[arg(long, value_delimiter = ',')]
    pub steps: Option<Vec<usize>>,
    /// Problems per optimal length (20 × 2 lengths = 40 by default).
    #[arg(long, default_value_t = 20)]
    pub count: usize,
    /// How the problems are searched.
    #[command(flatten)]
    pub search: SearchArgs,
    /// Where to compute.
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceArg,
    /// CPU threads for the tensor kernels (see `train --threads`).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Change one setting of the preset for every run (repeatable), as `train --set`,
    /// e.g. `--set train.anneal_epochs=20`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Continue an interrupted comparison in --out: finished runs are kept, an
    /// unfinished one resumes from its checkpoint (use the same other arguments).
    #[arg(long)]
    pub resume: bool,
}

/// Runs `latplan bench-estimators` and prints the table.
pub fn bench_estimators(args: &BenchArgs) -> anyhow::Result<()> {
    workflow::set_cpu_threads(args.threads)?;
    let device = workflow::device(args.device.into())?;
    let estimators = if args.estimators.is_empty() {
        EstimatorKind::ALL.to_vec()
    } else {
        args.estimators.iter().map(|&e| e.into()).collect()
    };
    let opts = BenchOptions {
        preset: args.preset.into(),
        epochs: args.epochs,
        domains: args.domains.clone(),
        estimators,
        out: args.out.clone(),
        seed: args.seed,
        transitions: args.transitions,
        steps: args.steps.clone(),
        problems: args.count,
        search: args.search.config(Some(60.0))?,
        overrides: args.overrides.clone(),
        resume: args.resume,
    };
    let rows = bench::run(&opts, &device, |line| eprintln!("{line}"))?;
    println!("{}", bench::markdown(&rows));
    println!(
        "wrote bench.md, bench.csv and bench.json to {}",
        args.out.display()
    );
    Ok(())
}
