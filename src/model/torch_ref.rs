//! The PyTorch reference of `latplan bench-train --torch`: `scripts/torch_ama3.py`
//! (embedded in the binary, so it runs wherever the binary does) builds the
//! same AMA3+ network as a [`ModelConfig`] in PyTorch and times its training
//! step on the same device; this module writes its arguments and reads back
//! its `RESULT` lines.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use super::config::{Arch, ModelConfig, OptimizerKind, Output, TrainConfig, Variant};

/// The reference script.
pub const SCRIPT: &str = include_str!("../../scripts/torch_ama3.py");

/// One timing the script printed.
#[derive(Debug, Clone, PartialEq)]
pub struct TorchResult {
    /// `eager`, `tuned` (cudnn.benchmark + TF32) or `compile`.
    pub variant: String,
    /// Trainable parameters of the PyTorch network.
    pub params: usize,
    /// Median milliseconds per step.
    pub median_ms: f64,
}

/// Why no reference ran, in a sentence; `None` when `python` can import torch.
pub fn unavailable(python: &Path) -> Option<String> {
    match Command::new(python).args(["-c", "import torch"]).output() {
        Err(e) => Some(format!("cannot run {}: {e}", python.display())),
        Ok(out) if !out.status.success() => {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err
                .lines()
                .last()
                .unwrap_or("no message")
                .trim()
                .to_string();
            Some(format!(
                "`{} -c 'import torch'` failed: {last}",
                python.display()
            ))
        }
        Ok(_) => None,
    }
}

/// The flags naming the layer family and the likelihood.
fn family(model: &ModelConfig) -> Vec<(&'static str, String)> {
    let mut flags = match &model.arch {
        Arch::Mlp { hidden } => {
            let widths: Vec<String> = hidden.iter().map(usize::to_string).collect();
            vec![("arch", "mlp".into()), ("hidden", widths.join(","))]
        }
        Arch::Conv { channels, kernel } => vec![
            ("arch", "conv".into()),
            ("conv-channels", channels.to_string()),
            ("kernel", kernel.to_string()),
        ],
    };
    match model.output {
        Output::Gaussian { sigma } => {
            flags.push(("output", "gaussian".into()));
            flags.push(("sigma", sigma.to_string()));
        }
        Output::Bernoulli => flags.push(("output", "bernoulli".into())),
    }
    flags
}

/// The script's arguments for the network `model` trained with `train`.
/// Fails for AMA4+ (the script implements AMA3+).
pub fn arguments(model: &ModelConfig, train: &TrainConfig) -> anyhow::Result<Vec<String>> {
    if model.variant != Variant::Ama3Plus {
        bail!("the PyTorch reference implements AMA3+ only");
    }
    let s = model.shape;
    let mut flags = family(model);
    for (k, v) in [
        ("height", s.height),
        ("width", s.width),
        ("image-channels", s.channels),
        ("bits", model.bits),
        ("actions", model.actions),
        ("action-hidden", model.action_hidden),
        ("batch", train.batch),
    ] {
        flags.push((k, v.to_string()));
    }
    for (k, v) in [
        ("prior", model.prior),
        ("beta-z", model.beta_z),
        ("beta-d", model.beta_d),
        ("dropout", f64::from(model.dropout)),
        ("noise", f64::from(model.input_noise)),
        ("lr", train.lr),
        ("clip", train.clip_norm),
        ("tau", train.temperature(0)),
    ] {
        flags.push((k, v.to_string()));
    }
    let optimizer = match train.optimizer {
        OptimizerKind::Adam => "adam",
        OptimizerKind::Radam => "radam",
    };
    flags.push(("optimizer", optimizer.into()));
    Ok(flags
        .into_iter()
        .flat_map(|(k, v)| [format!("--{k}"), v])
        .collect())
}

/// Reads the `RESULT key=value …` lines of the script's output.
pub fn parse_results(stdout: &str) -> anyhow::Result<Vec<TorchResult>> {
    let mut results = Vec::new();
    for line in stdout.lines().filter(|l| l.starts_with("RESULT ")) {
        let field = |key: &str| -> anyhow::Result<&str> {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                .with_context(|| format!("the torch reference's line `{line}` lacks {key}="))
        };
        let number = |key: &str| -> anyhow::Result<f64> {
            field(key)?
                .parse()
                .with_context(|| format!("the torch reference's {key} in `{line}` is not a number"))
        };
        results.push(TorchResult {
            variant: field("variant")?.to_string(),
            params: number("params")? as usize,
            median_ms: number("median_ms")?,
        });
    }
    Ok(results)
}

/// Where and how to run the script.
#[derive(Debug, Clone)]
pub struct TorchRun {
    /// The Python interpreter.
    pub python: PathBuf,
    /// `cpu` or `cuda`.
    pub device: String,
    /// Comma-separated variants.
    pub variants: String,
    /// Untimed and timed steps.
    pub warmup: usize,
    /// Timed steps.
    pub steps: usize,
    /// CPU threads (for a CPU run).
    pub threads: usize,
}

/// Runs the script for the network and returns its results; its full output
/// goes to the caller's `log`.
pub fn run(
    run: &TorchRun,
    model: &ModelConfig,
    train: &TrainConfig,
    log: &mut dyn FnMut(&str),
) -> anyhow::Result<Vec<TorchResult>> {
    let script = std::env::temp_dir().join(format!("latplan-torch-ama3-{}.py", std::process::id()));
    std::fs::write(&script, SCRIPT)
        .with_context(|| format!("cannot write the torch reference to {}", script.display()))?;
    let mut args = arguments(model, train)?;
    for (k, v) in [
        ("device", run.device.clone()),
        ("variants", run.variants.clone()),
        ("warmup", run.warmup.to_string()),
        ("steps", run.steps.to_string()),
        ("threads", run.threads.to_string()),
    ] {
        args.push(format!("--{k}"));
        args.push(v);
    }
    let out = Command::new(&run.python).arg(&script).args(&args).output();
    let _ = std::fs::remove_file(&script);
    let out = out.with_context(|| format!("cannot run {}", run.python.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    stdout.lines().chain(stderr.lines()).for_each(log);
    if !out.status.success() {
        bail!(
            "the torch reference failed ({}): {}",
            out.status,
            stderr.lines().last().unwrap_or("no message")
        );
    }
    let results = parse_results(&stdout)?;
    if results.is_empty() {
        bail!("the torch reference printed no RESULT line");
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Shape;
    use crate::model::Preset;

    #[test]
    fn results_are_parsed_and_bad_lines_named() {
        let out = "# torch 2.11\nRESULT variant=eager device=cuda batch=400 params=12 steps=5 \
                   median_ms=41.5 transitions_per_s=9638.6\n";
        let r = parse_results(out).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].variant.as_str(), r[0].params), ("eager", 12));
        assert!((r[0].median_ms - 41.5).abs() < 1e-12);
        let err = parse_results("RESULT variant=eager params=3 median_ms=x\n").unwrap_err();
        assert!(format!("{err:#}").contains("median_ms"), "{err:#}");
    }

    #[test]
    fn arguments_carry_the_network_and_refuse_ama4() {
        let (m, t) = Preset::Conv.configs(Shape::gray(48, 48), 1);
        let args = arguments(&m, &t).unwrap().join(" ");
        for want in [
            "--arch conv",
            "--kernel 5",
            "--bits 100",
            "--actions 6000",
            "--batch 400",
        ] {
            assert!(args.contains(want), "{want} missing in {args}");
        }
        assert!(args.contains("--optimizer radam") && args.contains("--output gaussian"));
        let (m, t) = Preset::ConvAma4.configs(Shape::gray(48, 48), 1);
        assert!(arguments(&m, &t).is_err());
    }
}
