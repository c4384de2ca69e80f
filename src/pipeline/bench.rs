//! `latplan bench-estimators`: trains the same network preset with each gradient
//! estimator ([`crate::model::estimator`]) on the same data, seed and epochs, and
//! compares validation ELBO, exact successor prediction (the quality report),
//! valid plans on a problem set (the pipeline's [`super::eval`]) and time per epoch.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use candle_core::Device;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use super::actions::{ActionModel, Coverage};
use super::eval::{evaluate, EvalOptions};
use super::external::Planner;
use super::session::{Filter, Session};
use crate::data::generate::{self, ProblemOptions};
use crate::data::Dataset;
use crate::domain::Preset as DomainPreset;
use crate::model::train::Silent;
use crate::model::workflow::{self, Part, TrainOptions};
use crate::model::{EstimatorKind, Model, Preset};
use crate::search::SearchConfig;
use crate::util::{read_json, write_atomic, write_json};

/// What to compare.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Network preset (the same for every estimator).
    pub preset: Preset,
    /// Epochs instead of the preset's.
    pub epochs: Option<usize>,
    /// Domain presets, e.g. `lightsout4`, `puzzle8-digits`.
    pub domains: Vec<String>,
    /// Estimators, in table order.
    pub estimators: Vec<EstimatorKind>,
    /// Folder for datasets, problems, runs and the table.
    pub out: PathBuf,
    /// Seed of the data, the problems and every run.
    pub seed: u64,
    /// Training pairs instead of each domain preset's.
    pub transitions: Option<usize>,
    /// Optimal plan lengths of the problems instead of each domain preset's.
    pub steps: Option<Vec<usize>>,
    /// Problems per optimal length.
    pub problems: usize,
    /// How the problems are searched.
    pub search: SearchConfig,
    /// `key=value` settings over the preset for every run (as `train --set`).
    pub overrides: Vec<String>,
    /// Continue an interrupted comparison in `out`: finished runs are kept,
    /// an unfinished one resumes from its checkpoint.
    pub resume: bool,
}

/// One line of the table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchRow {
    /// Domain preset.
    pub domain: String,
    /// Estimator name (as in `--estimator`).
    pub estimator: String,
    /// Negative ELBO on the validation pairs, last epoch (eval mode; lower is better).
    pub val_neg_elbo: f64,
    /// Share of test pairs with `APPLY(z0, a) == z1` bit-exact.
    pub successor: f64,
    /// Share of test pairs where some label gives the exact successor.
    pub successor_any_label: f64,
    /// Valid plans.
    pub valid: usize,
    /// Valid plans of the optimal length.
    pub optimal: usize,
    /// Problems planned.
    pub problems: usize,
    /// Mean seconds per joint training epoch.
    pub seconds_per_epoch: f64,
    /// Seconds of the whole training (joint epochs and refinement).
    pub train_seconds: f64,
    /// Share of the test pairs' moves that the extracted STRIPS actions make
    /// ([`super::actions::Coverage`]); absent in rows of older versions.
    #[serde(default)]
    pub coverage: Option<f64>,
    /// Distinct successors the extracted actions give a test pre-state.
    #[serde(default)]
    pub branching: Option<f64>,
}

/// Runs the comparison; `progress` hears a line before each step. Writes
/// `bench.md`, `bench.csv` and `bench.json` into `opts.out` and returns the rows.
pub fn run(
    opts: &BenchOptions,
    device: &Device,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<Vec<BenchRow>> {
    if opts.domains.is_empty() || opts.estimators.is_empty() {
        bail!("--domains and --estimators must each name at least one");
    }
    if !opts.resume && opts.out.exists() && opts.out.read_dir()?.next().is_some() {
        bail!(
            "--out {} is not empty; choose a new folder, or --resume to continue it",
            opts.out.display()
        );
    }
    let mut rows = Vec::new();
    for name in &opts.domains {
        let domain = DomainPreset::load(name).with_context(|| format!("--domains: {name}"))?;
        let dir = opts.out.join(name);
        progress(&format!("{name}: generating data and problems"));
        let (data, problems) = prepare(&domain, opts, &dir)?;
        for &kind in &opts.estimators {
            progress(&format!("{name}: training with {}", kind.name()));
            rows.push(bench_one(opts, &domain, kind, &data, &problems, device)?);
        }
    }
    save(&rows, &opts.out)?;
    Ok(rows)
}

/// Generates the dataset and the problem set of one domain under `dir`, or
/// keeps them when an earlier comparison finished making them (the problem set
/// is made last, in a temporary folder renamed when complete).
fn prepare(
    domain: &DomainPreset,
    opts: &BenchOptions,
    dir: &Path,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let (data, problems) = (dir.join("data"), dir.join("problems"));
    if problems.is_dir() {
        return Ok((data, problems));
    }
    let partial = dir.join("problems.partial");
    for stale in [&data, &partial] {
        if stale.exists() {
            std::fs::remove_dir_all(stale)
                .with_context(|| format!("cannot remove the unfinished {}", stale.display()))?;
        }
    }
    let hidden = ProgressBar::hidden();
    let n = opts.transitions.unwrap_or(domain.transitions);
    generate::dataset(domain, n, opts.seed, &hidden)?.save(&data)?;
    let popts = ProblemOptions {
        steps: opts.steps.clone().unwrap_or_else(|| domain.steps.clone()),
        count: opts.problems,
        seed: opts.seed,
        noise: 0.0,
    };
    generate::problems(domain, &popts, &partial, &hidden)?;
    std::fs::rename(&partial, &problems)
        .with_context(|| format!("cannot rename {} to problems", partial.display()))?;
    Ok((data, problems))
}

/// Trains one estimator, extracts its actions and plans the problems.
fn bench_one(
    opts: &BenchOptions,
    domain: &DomainPreset,
    kind: EstimatorKind,
    data: &Path,
    problems: &Path,
    device: &Device,
) -> anyhow::Result<BenchRow> {
    let run = opts.out.join(&domain.name).join(kind.name());
    let row_file = run.join("bench-row.json");
    if row_file.exists() {
        let mut row: BenchRow = read_json(&row_file)?;
        if row.coverage.is_none() {
            // A row of an older version: add the columns it lacks.
            let model = Model::load(&run, device)?;
            let ds = workflow::load_dataset(data)?;
            let cover = test_coverage(&ActionModel::load(&run)?, &model, &ds)?;
            (row.coverage, row.branching) = (Some(cover.share()), Some(cover.mean_successors));
            write_json(&row_file, &row)?;
        }
        return Ok(row);
    }
    let resume = run.join("config.json").exists();
    if run.exists() && !resume {
        std::fs::remove_dir_all(&run)
            .with_context(|| format!("cannot remove the unfinished run {}", run.display()))?;
    }
    let mut overrides = opts.overrides.clone();
    overrides.push(format!("model.estimator={}", kind.name()));
    let topts = TrainOptions {
        preset: opts.preset,
        epochs: opts.epochs,
        seed: opts.seed,
        resume,
        overrides,
    };
    let (report, quality) = workflow::train(data, &run, &topts, device, &mut Silent)?;
    let quality = quality.context("training stopped before its last epoch")?;
    let last = report.last.context("no epoch was trained")?;
    let joint = report.last_joint.context("no joint epoch was trained")?;
    let model = Model::load(&run, device)?;
    let ds = workflow::load_dataset(data)?;
    let actions = super::actions::extract(&model, &ds, Default::default())?;
    actions.save(&run)?;
    let cover = test_coverage(&actions, &model, &ds)?;
    let session = Session::open(&run, device)?;
    let eval_opts = EvalOptions {
        search: opts.search,
        noise: 0.0,
        seed: opts.seed,
        planner: Planner::Builtin(Filter::None),
    };
    let settings = eval_opts.settings(&run);
    let eval = evaluate(&session, problems, &eval_opts, &settings, None, |_| ())?;
    eval.save(&run.join("eval"))?;
    let row = BenchRow {
        domain: domain.name.clone(),
        estimator: kind.name().to_string(),
        val_neg_elbo: last.val[1],
        successor: quality.successor,
        successor_any_label: quality.successor_any_label,
        valid: eval.rows.iter().filter(|r| r.valid).count(),
        optimal: eval.rows.iter().filter(|r| r.optimal).count(),
        problems: eval.rows.len(),
        seconds_per_epoch: joint.seconds / (joint.epoch + 1) as f64,
        train_seconds: last.seconds,
        coverage: Some(cover.share()),
        branching: Some(cover.mean_successors),
    };
    write_json(&row_file, &row)?;
    Ok(row)
}

/// How the extracted actions cover the moves of the test pairs.
fn test_coverage(actions: &ActionModel, model: &Model, ds: &Dataset) -> anyhow::Result<Coverage> {
    actions.coverage_on(model, ds, Part::Test.range(&ds.manifest.split))
}

/// `value` with `digits` decimals and `unit`, or a dash when a row lacks it.
fn optional(value: Option<f64>, digits: usize, unit: &str) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.digits$}{unit}"))
}

/// The rows as a markdown table.
pub fn markdown(rows: &[BenchRow]) -> String {
    let mut out = String::from(
        "| domain | estimator | val −ELBO | exact successor | some label exact | valid plans \
         | optimal plans | coverage | branching | s / joint epoch | training s |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {:.1}% | {:.1}% | {}/{} | {}/{} | {} | {} | {:.2} | {:.0} |",
            r.domain,
            r.estimator,
            r.val_neg_elbo,
            100.0 * r.successor,
            100.0 * r.successor_any_label,
            r.valid,
            r.problems,
            r.optimal,
            r.problems,
            optional(r.coverage.map(|c| 100.0 * c), 2, "%"),
            optional(r.branching, 2, ""),
            r.seconds_per_epoch,
            r.train_seconds
        );
    }
    out
}

/// Writes `bench.md`, `bench.csv` and `bench.json` into `out`.
fn save(rows: &[BenchRow], out: &Path) -> anyhow::Result<()> {
    let mut csv = String::from(
        "domain,estimator,val_neg_elbo,successor,successor_any_label,valid,optimal,problems,\
         coverage,branching,seconds_per_epoch,train_seconds\n",
    );
    for r in rows {
        let _ = writeln!(
            csv,
            "{},{},{:.4},{:.4},{:.4},{},{},{},{},{},{:.3},{:.1}",
            r.domain,
            r.estimator,
            r.val_neg_elbo,
            r.successor,
            r.successor_any_label,
            r.valid,
            r.optimal,
            r.problems,
            r.coverage.map_or(String::new(), |c| format!("{c:.4}")),
            r.branching.map_or(String::new(), |b| format!("{b:.3}")),
            r.seconds_per_epoch,
            r.train_seconds
        );
    }
    write_atomic(&out.join("bench.csv"), csv.as_bytes())?;
    write_atomic(&out.join("bench.md"), markdown(rows).as_bytes())?;
    write_json(&out.join("bench.json"), &rows)
}
