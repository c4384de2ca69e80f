//! `latplan eval`: plan every problem of a problem set from its pictures and
//! judge each plan with the ground truth (Latplan §4.1): found, valid, optimal,
//! exhausted (the learned model proves no plan exists), with plan lengths,
//! expansions and times, per optimal length and in total.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use anyhow::Context as _;

use super::external::Planner;
use super::output::outcome_name;
use super::session::Session;
use crate::data::problems::ProblemSet;
use crate::search::{Outcome, SearchConfig};
use crate::util::{read_json, rng, write_atomic, write_json};

/// The rows of an evaluation in progress, rewritten after every problem, so
/// that one cut by a time limit can resume (`latplan eval --resume`).
pub const PARTIAL: &str = "eval.partial.json";

/// One problem's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// Problem folder name.
    pub name: String,
    /// Proved optimal length.
    pub optimal_length: usize,
    /// "plan", "unsolvable" or "limit: …".
    pub outcome: String,
    /// A plan was found.
    pub found: bool,
    /// The decoded plan is valid in the real domain.
    pub valid: bool,
    /// Valid and of optimal length.
    pub optimal: bool,
    /// The search proved that the learned model has no plan.
    pub exhausted: bool,
    /// Plan length, if found.
    pub length: Option<usize>,
    /// States expanded.
    pub expanded: u64,
    /// Latent states the filter refused to expand (0 without it).
    pub rejected: u64,
    /// Applicable actions the picture preconditions denied (0 without them).
    pub denied: u64,
    /// Steps of the plan found that a filter refuses when checked after the
    /// search: the search's filter, else the run's default (0 without a plan).
    #[serde(default)]
    pub refused_steps: usize,
    /// Search time, seconds.
    pub search_seconds: f64,
    /// Encode + search + decode + judge, seconds.
    pub total_seconds: f64,
    /// Why the plan is invalid, if it is.
    pub failure: Option<String>,
}

/// Results of a whole set.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The problem set's preset.
    pub preset: String,
    /// Pixel noise added to the input pictures.
    pub noise: f32,
    /// The planner ([`Planner::name`]).
    pub planner: String,
    /// Everything that decides the rows: the model, the search, the noise,
    /// its seed and the planner (a resumed evaluation must match it).
    pub settings: String,
    /// Which filter checked the plans after the search (`refused_steps`).
    pub check_filter: String,
    /// One row per problem.
    pub rows: Vec<Row>,
}

/// What [`PARTIAL`] holds.
#[derive(Serialize, Deserialize)]
struct Partial {
    settings: String,
    rows: Vec<Row>,
}

/// Where an evaluation keeps its rows as it goes.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The output folder ([`PARTIAL`] is written there).
    pub out: PathBuf,
    /// Keep the rows a cut evaluation with the same settings saved there.
    pub resume: bool,
}

/// Options of an evaluation.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The search.
    pub search: SearchConfig,
    /// Gaussian noise (pixels in [0, 1]) added to start and goal pictures.
    pub noise: f32,
    /// Seed of the noise.
    pub seed: u64,
    /// The planner.
    pub planner: Planner,
}

impl EvalOptions {
    /// What decides the rows of `model`'s evaluation ([`Report::settings`]).
    pub fn settings(&self, model: &Path) -> String {
        format!(
            "model {}, {:?}, noise {}, seed {}, planner {}",
            model.display(),
            self.search,
            self.noise,
            self.seed,
            self.planner.name()
        )
    }
}

/// Plans and judges every problem in `dir`; `progress` is called after each.
/// With a `checkpoint`, the rows so far are saved after each problem, and
/// with `resume` the problems a cut run with the same `settings` judged are
/// taken from its file instead of planned again.
pub fn evaluate(
    session: &Session,
    dir: &Path,
    opts: &EvalOptions,
    settings: &str,
    checkpoint: Option<&Checkpoint>,
    mut progress: impl FnMut(&Row),
) -> anyhow::Result<Report> {
    let set = ProblemSet::load(dir)?;
    if set.domain.build()?.shape() != session.domain.shape() || set.preset != session.preset {
        anyhow::bail!(
            "{} holds {} problems, but the model was trained on {}",
            dir.display(),
            set.preset,
            session.preset
        );
    }
    let mut saved = match checkpoint {
        Some(c) => resumed(c, settings)?,
        None => HashMap::new(),
    };
    let mut noise_rng = rng(opts.seed, 17);
    let mut rows = Vec::new();
    for (folder, problem) in set.load_problems(dir)? {
        let start = Instant::now();
        let mut init = session.read_picture(&folder.join("init.png"))?;
        let mut goal = session.read_picture(&folder.join("goal.png"))?;
        // The noise is drawn for every problem, judged before or not, so a
        // resumed evaluation sees the pictures an uncut one would.
        init.add_noise(opts.noise, &mut noise_rng);
        goal.add_noise(opts.noise, &mut noise_rng);
        if let Some(row) = saved.remove(&problem.name) {
            progress(&row);
            rows.push(row);
            continue;
        }
        let solved = session
            .solve(&init, &goal, &opts.search, &opts.planner)
            .with_context(|| format!("problem {}", folder.display()))?;
        let judged = (!solved.pictures.is_empty()).then(|| {
            super::judge::judge(
                session.domain.as_ref(),
                &solved.pictures,
                &problem.init_code,
                &problem.goal_code,
                problem.optimal_length,
            )
        });
        let found = matches!(solved.outcome, Outcome::Plan(_));
        let row = Row {
            name: problem.name.clone(),
            optimal_length: problem.optimal_length,
            outcome: outcome_name(&solved.outcome),
            found,
            valid: judged.as_ref().is_some_and(|v| v.valid),
            optimal: judged.as_ref().is_some_and(|v| v.optimal),
            exhausted: matches!(solved.outcome, Outcome::Unsolvable),
            length: found.then_some(solved.steps.len()),
            expanded: solved.stats.expanded,
            rejected: solved.filter.map_or(0, |(_, f)| f.rejected),
            denied: solved.filter.map_or(0, |(_, f)| f.denied),
            refused_steps: solved.check.as_ref().map_or(0, |c| c.refused.len()),
            search_seconds: solved.stats.search_time.as_secs_f64(),
            total_seconds: start.elapsed().as_secs_f64(),
            failure: judged.and_then(|v| v.failure),
        };
        progress(&row);
        rows.push(row);
        if let Some(c) = checkpoint {
            let partial = Partial {
                settings: settings.to_string(),
                rows: rows.clone(),
            };
            write_json(&c.out.join(PARTIAL), &partial)?;
        }
    }
    Ok(Report {
        preset: set.preset,
        noise: opts.noise,
        planner: opts.planner.name(),
        settings: settings.to_string(),
        check_filter: format!("the {} filter", session.check_filter(&opts.planner).name()),
        rows,
    })
}

/// The rows a cut evaluation saved in `checkpoint`'s folder, by problem
/// name, when resuming and the file is there; its settings must be these.
fn resumed(checkpoint: &Checkpoint, settings: &str) -> anyhow::Result<HashMap<String, Row>> {
    let file = checkpoint.out.join(PARTIAL);
    if !checkpoint.resume || !file.is_file() {
        return Ok(HashMap::new());
    }
    let partial: Partial = read_json(&file)?;
    if partial.settings != settings {
        anyhow::bail!(
            "--resume: {} was saved by an evaluation with other settings \
             ({}; now {settings}); run without --resume to start again",
            file.display(),
            partial.settings
        );
    }
    Ok(partial
        .rows
        .into_iter()
        .map(|r| (r.name.clone(), r))
        .collect())
}

/// Counts over a group of rows.
fn line(label: &str, rows: &[&Row]) -> String {
    let n = rows.len().max(1);
    let count = |f: fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    let pct = |k: usize| format!("{k}/{} ({:.0}%)", rows.len(), 100.0 * k as f64 / n as f64);
    let found: Vec<&&Row> = rows.iter().filter(|r| r.found).collect();
    let mean = |f: &dyn Fn(&Row) -> f64| {
        if found.is_empty() {
            "–".to_string()
        } else {
            format!(
                "{:.1}",
                found.iter().map(|r| f(r)).sum::<f64>() / found.len() as f64
            )
        }
    };
    format!(
        "| {label} | {} | {} | {} | {} | {} | {} | {:.3} | {:.3} |",
        pct(count(|r| r.found)),
        pct(count(|r| r.valid)),
        pct(count(|r| r.optimal)),
        pct(count(|r| r.exhausted)),
        mean(&|r| r.length.unwrap_or(0) as f64),
        mean(&|r| r.expanded as f64),
        rows.iter().map(|r| r.search_seconds).sum::<f64>() / n as f64,
        rows.iter().map(|r| r.total_seconds).sum::<f64>() / n as f64,
    )
}

impl Report {
    /// The summary as a markdown table: one line per optimal length, then all.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "| problems | found | valid | optimal | exhausted | mean length | mean expanded | search s | total s |");
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
        let mut lengths: Vec<usize> = self.rows.iter().map(|r| r.optimal_length).collect();
        lengths.sort_unstable();
        lengths.dedup();
        for n in lengths {
            let group: Vec<&Row> = self.rows.iter().filter(|r| r.optimal_length == n).collect();
            let _ = writeln!(out, "{}", line(&format!("{n} steps"), &group));
        }
        let all: Vec<&Row> = self.rows.iter().collect();
        let _ = writeln!(out, "{}", line("all", &all));
        let found: Vec<&Row> = self.rows.iter().filter(|r| r.found).collect();
        if !found.is_empty() {
            let refused: Vec<&&Row> = found.iter().filter(|r| r.refused_steps > 0).collect();
            let valid = refused.iter().filter(|r| r.valid).count();
            let missed = found
                .iter()
                .filter(|r| r.refused_steps == 0 && !r.valid)
                .count();
            let _ = writeln!(
                out,
                "\nChecked after the search by {}: {} of the {} plans found have a step it refuses ({valid} of them valid); it passes {missed} invalid plans.",
                self.check_filter,
                refused.len(),
                found.len()
            );
        }
        out
    }

    /// Share of valid plans.
    pub fn valid_rate(&self) -> f64 {
        self.rows.iter().filter(|r| r.valid).count() as f64 / self.rows.len().max(1) as f64
    }

    /// Writes `eval.csv`, `eval.json` and `eval.md` into `out`.
    pub fn save(&self, out: &Path) -> anyhow::Result<()> {
        crate::util::create_dir(out)?;
        let mut csv = String::from("name,optimal_length,outcome,found,valid,optimal,exhausted,length,expanded,rejected,denied,refused_steps,search_seconds,total_seconds,failure\n");
        for r in &self.rows {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{},{},{},{},{},{},{:.6},{:.6},\"{}\"",
                r.name,
                r.optimal_length,
                r.outcome,
                r.found,
                r.valid,
                r.optimal,
                r.exhausted,
                r.length.map(|l| l.to_string()).unwrap_or_default(),
                r.expanded,
                r.rejected,
                r.denied,
                r.refused_steps,
                r.search_seconds,
                r.total_seconds,
                r.failure.clone().unwrap_or_default().replace('"', "'")
            );
        }
        write_atomic(&out.join("eval.csv"), csv.as_bytes())?;
        write_json(&out.join("eval.json"), self)?;
        let md = format!(
            "# {} (noise σ = {}, planner: {})\n\n{}",
            self.preset,
            self.noise,
            self.planner,
            self.markdown()
        );
        write_atomic(&out.join("eval.md"), md.as_bytes())
    }
}
