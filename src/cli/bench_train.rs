//! `bench-train`: the training speed of presets' networks on a device (the
//! work is [`crate::model::speed`]), optionally beside the PyTorch reference
//! of the same network ([`crate::model::torch_ref`]) and after a check that the
//! device computes what the CPU does.

use std::path::PathBuf;

use anyhow::{bail, Context};
use candle_core::{Device, DeviceLocation};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::train::{DeviceArg, PresetArg};
use crate::domain::Shape;
use crate::model::conv::{conv_grads_for, set_conv_grads, ConvGrads};
use crate::model::nets::{set_candle_batch_norm, uses_cudnn_batch_norm};
use crate::model::speed::{self, SpeedOptions, SpeedReport};
use crate::model::torch_ref::{self, TorchRun};
use crate::model::workflow;

/// PyTorch variants of the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TorchVariant {
    /// PyTorch's defaults.
    Eager,
    /// cudnn.benchmark and TF32 on.
    Tuned,
    /// torch.compile with the tuned flags.
    Compile,
}

/// `latplan bench-train`.
#[derive(Debug, Args)]
pub struct BenchTrainArgs {
    /// Network presets to time, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "conv")]
    pub presets: Vec<PresetArg>,
    /// Where to compute.
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceArg,
    /// Image size HEIGHTxWIDTH or HEIGHTxWIDTHxCHANNELS (Latplan's MNIST 8-puzzle: 48x48).
    #[arg(long, default_value = "48x48", value_parser = parse_image)]
    pub image: Shape,
    /// Transitions per step [default: each preset's batch].
    #[arg(long)]
    pub batch: Option<usize>,
    /// Untimed steps before the timed ones.
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// Timed steps; the median is reported.
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    /// Seed of the weights, the synthetic pixels and the noise.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// CPU threads for the tensor kernels (and for PyTorch on the CPU).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// First compare one step's losses and gradients on the device with the CPU's.
    #[arg(long)]
    pub check: bool,
    /// Largest relative error --check accepts.
    #[arg(long, default_value_t = 1e-3)]
    pub check_tolerance: f64,
    /// Also time the PyTorch reference of each network on the same device.
    #[arg(long)]
    pub torch: bool,
    /// PyTorch variants to time, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "eager")]
    pub torch_variants: Vec<TorchVariant>,
    /// Python interpreter with torch.
    #[arg(long, default_value = "python3")]
    pub python: PathBuf,
    /// On a GPU, also time each preset with its noise drawn on the host and
    /// copied over (as every step did before session 9), beside the default
    /// of drawing it on the device.
    #[arg(long)]
    pub host_noise_too: bool,
    /// Also time each preset with the convolutions' gradients computed these
    /// ways, beside the device's default (cudnn on CUDA when built with the
    /// `cudnn` feature, else conv), comma-separated.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub conv_grads_too: Vec<ConvGradsArg>,
    /// Where batch norm trains through cuDNN (CUDA, the `cudnn` feature), also
    /// time each preset with candle_nn's batch norm instead.
    #[arg(long)]
    pub candle_batch_norm_too: bool,
    /// Also write the rows as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// How convolutions compute their gradients (src/model/conv.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConvGradsArg {
    /// candle's conv2d: the adjoint convolution and, for the kernel, one
    /// convolution with the image-sized output gradient as its kernel.
    Conv,
    /// cuDNN's backward-data and backward-filter (the `cudnn` feature, CUDA).
    Cudnn,
}

impl From<ConvGradsArg> for ConvGrads {
    fn from(a: ConvGradsArg) -> Self {
        match a {
            ConvGradsArg::Conv => ConvGrads::Conv,
            ConvGradsArg::Cudnn => ConvGrads::Cudnn,
        }
    }
}

/// Parses `48x48` or `48x48x3`.
fn parse_image(s: &str) -> Result<Shape, String> {
    let dims: Vec<usize> = s
        .split('x')
        .map(|d| d.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("expected HEIGHTxWIDTH or HEIGHTxWIDTHxCHANNELS, got `{s}`"))?;
    match dims[..] {
        [h, w] if h > 0 && w > 0 => Ok(Shape::gray(h, w)),
        [h, w, c @ (1 | 3)] if h > 0 && w > 0 => Ok(Shape {
            height: h,
            width: w,
            channels: c,
        }),
        _ => Err(format!(
            "expected positive HEIGHTxWIDTH or HEIGHTxWIDTHxCHANNELS with 1 or 3 channels, got `{s}`"
        )),
    }
}

/// One row of the table.
#[derive(Debug, Clone, Serialize)]
struct Row {
    preset: String,
    framework: String,
    device: String,
    batch: usize,
    params: usize,
    steps: usize,
    median_ms: f64,
    transitions_per_s: f64,
    /// Latplan's median step time over this row's (above 1: faster than latplan).
    speed_vs_latplan: f64,
}

fn device_name(device: &Device) -> String {
    match device.location() {
        DeviceLocation::Cpu => "cpu".into(),
        DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        DeviceLocation::Metal { gpu_id } => format!("metal:{gpu_id}"),
    }
}

/// Runs `latplan bench-train` and prints the table.
pub fn bench_train(args: &BenchTrainArgs) -> anyhow::Result<()> {
    workflow::set_cpu_threads(args.threads)?;
    if args.steps == 0 {
        bail!("--steps must be at least 1 (the median of the timed steps is reported)");
    }
    let device = workflow::device(args.device.into())?;
    let torch_missing = args
        .torch
        .then(|| torch_ref::unavailable(&args.python))
        .flatten();
    if let Some(why) = &torch_missing {
        println!("torch reference skipped: {why}");
    }
    let mut rows = Vec::new();
    let mut torch_failed = Vec::new();
    let mut check_failed = Vec::new();
    let mut variants_failed = Vec::new();
    for &preset in &args.presets {
        let opts = SpeedOptions {
            preset: preset.into(),
            shape: args.image,
            batch: args.batch,
            warmup: args.warmup,
            steps: args.steps,
            seed: args.seed,
            host_noise: false,
        };
        let name = opts.preset.name();
        if args.check && !check(args, &opts, &device, name)? {
            check_failed.push(name);
        }
        eprintln!("timing {name} on {}", device_name(&device));
        let report =
            speed::measure(&opts, &device).with_context(|| format!("timing the preset {name}"))?;
        rows.push(latplan_row(name, &device, &report, "latplan (candle)"));
        for &method in &args.conv_grads_too {
            let method = ConvGrads::from(method);
            if method == conv_grads_for(&device) {
                continue; // the default row above
            }
            set_conv_grads(Some(method));
            let what = format!("conv grads by {}", conv_grads_name(method));
            let row = variant_row(&opts, &device, &report, &what);
            set_conv_grads(None);
            push_variant(&mut rows, &mut variants_failed, row);
        }
        if args.candle_batch_norm_too && uses_cudnn_batch_norm(&device) {
            set_candle_batch_norm(true);
            let row = variant_row(&opts, &device, &report, "candle batch norm");
            set_candle_batch_norm(false);
            push_variant(&mut rows, &mut variants_failed, row);
        }
        if args.host_noise_too && !device.is_cpu() {
            let host_opts = SpeedOptions {
                host_noise: true,
                ..opts.clone()
            };
            let row = variant_row(&host_opts, &device, &report, "host noise");
            push_variant(&mut rows, &mut variants_failed, row);
        }
        if args.torch && torch_missing.is_none() {
            // A failed reference loses neither latplan's rows nor the other presets.
            match torch_rows(args, name, &device, &report) {
                Ok(more) => rows.extend(more),
                Err(e) => {
                    println!("torch reference failed for {name}: {e:#}");
                    torch_failed.push(name);
                }
            }
        }
    }
    println!("{}", markdown(&rows));
    if let Some(path) = &args.json {
        crate::util::write_json(path, &rows)?;
    }
    if !check_failed.is_empty() {
        bail!(
            "{} differs from the cpu by more than --check-tolerance {} for {}",
            device_name(&device),
            args.check_tolerance,
            check_failed.join(", ")
        );
    }
    if !variants_failed.is_empty() {
        bail!("timing failed for {}", variants_failed.join("; "));
    }
    if !torch_failed.is_empty() {
        bail!(
            "the torch reference failed for {} (its output is above, prefixed `torch:`)",
            torch_failed.join(", ")
        );
    }
    Ok(())
}

/// Compares one step with the CPU's and prints the result; true when within
/// the tolerance.
fn check(
    args: &BenchTrainArgs,
    opts: &SpeedOptions,
    device: &Device,
    name: &str,
) -> anyhow::Result<bool> {
    let c = speed::check_against_cpu(opts, device)
        .with_context(|| format!("checking the preset {name} against the CPU"))?;
    let (worst_var, worst_err) = c.worst_grad();
    let (worst_stat, stat_err) = c.worst_statistic();
    let ok = c.loss_err <= args.check_tolerance
        && worst_err <= args.check_tolerance
        && stat_err <= args.check_tolerance;
    println!(
        "check {name} on {} against the cpu: losses rel. error {:.2e}, worst gradient rel. error {:.2e} ({}) over {} variables: {}",
        device_name(device),
        c.loss_err,
        worst_err,
        worst_var,
        c.grads.len(),
        if ok { "ok" } else { "FAILED" }
    );
    println!(
        "  batch-norm running statistics after the step: worst rel. error {stat_err:.2e} ({worst_stat})"
    );
    println!(
        "  for scale: on the cpu alone, pixels perturbed by a relative {:.0e} move the gradients by up to {:.2e} ({})",
        speed::SENSITIVITY_PERTURBATION,
        c.cpu_sensitivity.1,
        c.cpu_sensitivity.0
    );
    if !ok {
        for (var, err, diff, scale) in c.grads.iter().take(6) {
            println!(
                "  {var}: error {err:.2e} (max |difference| {diff:.3e}, max |cpu gradient| {scale:.3e})"
            );
        }
        for (var, err, diff, scale) in c.statistics.iter().take(6) {
            println!(
                "  {var}: error {err:.2e} (max |difference| {diff:.3e}, max |cpu value| {scale:.3e})"
            );
        }
    }
    Ok(ok)
}

/// Keeps a variant's row, or prints why it failed and notes it: one failed
/// variant loses neither the other rows nor the other presets.
fn push_variant(rows: &mut Vec<Row>, failed: &mut Vec<String>, row: anyhow::Result<Row>) {
    match row {
        Ok(row) => rows.push(row),
        Err(e) => {
            println!("{e:#}");
            failed.push(format!("{e:#}"));
        }
    }
}

fn conv_grads_name(m: ConvGrads) -> &'static str {
    match m {
        ConvGrads::Conv => "conv",
        ConvGrads::Cudnn => "cudnn",
    }
}

/// Times `opts` once more as a variant (`what`) of the default run `base`;
/// its row's speed is relative to `base`.
fn variant_row(
    opts: &SpeedOptions,
    device: &Device,
    base: &SpeedReport,
    what: &str,
) -> anyhow::Result<Row> {
    let name = opts.preset.name();
    eprintln!("timing {name} on {} with {what}", device_name(device));
    let r = speed::measure(opts, device)
        .with_context(|| format!("timing the preset {name} with {what}"))?;
    let mut row = latplan_row(name, device, &r, &format!("latplan (candle), {what}"));
    row.speed_vs_latplan = base.median_ms() / r.median_ms();
    Ok(row)
}

fn latplan_row(name: &str, device: &Device, r: &SpeedReport, framework: &str) -> Row {
    eprintln!(
        "  latplan: warm-up {:.2} s, loss {:.1} -> {:.1}, steps (ms) {:?}",
        r.warmup_s,
        r.loss.0,
        r.loss.1,
        r.step_ms.iter().map(|t| t.round()).collect::<Vec<_>>()
    );
    eprintln!(
        "  latplan phases (median ms of {} more steps, synchronized): forward {:.1}, backward {:.1}, clip + optimizer {:.1}",
        speed::PHASE_STEPS,
        r.phases.forward,
        r.phases.backward,
        r.phases.update
    );
    Row {
        preset: name.to_string(),
        framework: framework.into(),
        device: device_name(device),
        batch: r.train.batch,
        params: r.params,
        steps: r.step_ms.len(),
        median_ms: r.median_ms(),
        transitions_per_s: r.transitions_per_s(),
        speed_vs_latplan: 1.0,
    }
}

fn torch_rows(
    args: &BenchTrainArgs,
    name: &str,
    device: &Device,
    r: &SpeedReport,
) -> anyhow::Result<Vec<Row>> {
    if let Err(e) = torch_ref::arguments(&r.model, &r.train) {
        println!("torch reference skipped for {name}: {e}");
        return Ok(Vec::new());
    }
    let variants: Vec<String> = args
        .torch_variants
        .iter()
        .map(|v| format!("{v:?}").to_lowercase())
        .collect();
    let run = TorchRun {
        python: args.python.clone(),
        device: if device.is_cuda() { "cuda" } else { "cpu" }.into(),
        variants: variants.join(","),
        warmup: args.warmup,
        steps: args.steps,
        threads: args.threads,
    };
    let results = torch_ref::run(&run, &r.model, &r.train, &mut |l| eprintln!("  torch: {l}"))
        .with_context(|| format!("the torch reference of {name}"))?;
    Ok(results
        .into_iter()
        .map(|t| Row {
            preset: name.to_string(),
            framework: format!("torch {}", t.variant),
            device: device_name(device),
            batch: r.train.batch,
            params: t.params,
            steps: args.steps,
            median_ms: t.median_ms,
            transitions_per_s: r.train.batch as f64 * 1000.0 / t.median_ms,
            speed_vs_latplan: r.median_ms() / t.median_ms,
        })
        .collect())
}

fn markdown(rows: &[Row]) -> String {
    let mut s = String::from(
        "| preset | framework | device | batch | params | steps | median ms/step | transitions/s | speed vs latplan |\n\
         |---|---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.2} |\n",
            r.preset,
            r.framework,
            r.device,
            r.batch,
            r.params,
            r.steps,
            r.median_ms,
            r.transitions_per_s,
            r.speed_vs_latplan
        ));
    }
    s.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_sizes_parse_and_bad_ones_are_explained() {
        assert_eq!(parse_image("48x48").unwrap(), Shape::gray(48, 48));
        assert_eq!(parse_image("10x12x3").unwrap(), Shape::rgb(10, 12));
        for bad in ["48", "0x4", "4x4x2", "axb", "4x4x1x1"] {
            let err = parse_image(bad).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }
}
