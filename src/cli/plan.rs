//! `export`, `plan` and `eval`: from a trained run to PDDL, plans and tables.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::progress::bar;
use super::search::SearchArgs;
use super::train::DeviceArg;
use crate::data::Dataset;
use crate::model::workflow::device;
use crate::model::Model;
use crate::pipeline::actions::ActionModel;
use crate::pipeline::eval::{evaluate, Checkpoint, EvalOptions, PARTIAL};
use crate::pipeline::external::Planner;
use crate::pipeline::output::{write_run, PlanCheckSummary, PDDL_DOMAIN};
use crate::pipeline::session::{Filter, Session};
use crate::symbolic::{write_domain, write_problem};
use crate::util::{create_dir, write_atomic};

/// `latplan export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Trained run folder.
    #[arg(long, short = 'm', value_name = "RUN")]
    pub model: PathBuf,
    /// Output folder for domain.pddl (and problem.pddl with --init and --goal).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// (Re-)extract the action model from this dataset first.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Start picture, for a problem.pddl.
    #[arg(long, requires = "goal", value_name = "PNG")]
    pub init: Option<PathBuf>,
    /// Goal picture, for a problem.pddl.
    #[arg(long, requires = "init", value_name = "PNG")]
    pub goal: Option<PathBuf>,
    /// With --data: drop a precondition literal once this many observed moves
    /// that an action's effect makes contradict it (0: keep every literal)
    #[arg(long, value_name = "N", default_value_t = crate::pipeline::actions::RELAX_SUPPORT, requires = "data")]
    pub relax_support: usize,
    /// With --data: make an action of a bit change that this many observed
    /// moves share and no learned effect makes (0: none)
    #[arg(long, value_name = "N", default_value_t = crate::pipeline::actions::OBSERVED_SUPPORT, requires = "data")]
    pub observed_support: usize,
    /// With --data: keep the actions to the bit changes this many training
    /// moves share, splitting each by change (0: any change its effect makes)
    #[arg(long, value_name = "N", default_value_t = crate::pipeline::actions::CHANGE_SUPPORT, requires = "data")]
    pub change_support: usize,
    /// Where to run the network.
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceArg,
}

/// Which latent states the built-in planner expands (`Filter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FilterArg {
    /// The round trip, and from each state only the moves whose decoded
    /// pictures keep their action's picture rules (the pixels the action's
    /// training pairs always show one way before and after, and the pixels
    /// it never changes).
    Pictures,
    /// Only states the network maps back to themselves, encode(decode(z)) = z:
    /// a state no picture shows is closed as a dead end.
    RoundTrip,
    /// Every state the extracted actions reach (what the exported PDDL allows).
    None,
    /// Only the moves whose pictures, encoded again, some learned action
    /// joins; no state is refused (best with --lazy).
    Canonical,
    /// As `pictures`, and only latent states some training picture encodes
    /// to (the run's states.json, written by `latplan export --data`): for
    /// worlds whose training data shows every state (Blocksworld, Hanoi).
    Seen,
}

impl From<FilterArg> for Filter {
    fn from(f: FilterArg) -> Self {
        match f {
            FilterArg::Pictures => Filter::Pictures,
            FilterArg::RoundTrip => Filter::RoundTrip,
            FilterArg::None => Filter::None,
            FilterArg::Canonical => Filter::Canonical,
            FilterArg::Seen => Filter::Seen,
        }
    }
}

/// The planner and, for the built-in one, its successor filter.
#[derive(Debug, Args)]
pub struct PlannerArgs {
    /// `builtin`, `fast-downward` (found through LATPLAN_FAST_DOWNWARD or PATH),
    /// or a command run on the exported PDDL: `{domain}`, `{problem}` and
    /// `{plan}` stand for the files' paths, else they are appended in that
    /// order (the IPC convention); it must write the plan file.
    #[arg(long, default_value = "builtin", value_name = "PLANNER")]
    pub planner: String,
    /// Which latent states and moves the built-in planner takes [default:
    /// pictures, or round-trip for a run extracted without picture rules].
    /// External planners search the exported PDDL as it is (`none`).
    #[arg(long, value_enum)]
    pub filter: Option<FilterArg>,
    /// Check the filter on the plans found, not at every expansion: search
    /// without it, and while the plan has a state or move the filter
    /// refuses, search again without those. The plan is as short as with the
    /// filter at every expansion; the network decodes a few pictures per
    /// plan instead of every successor's (built-in planner only).
    #[arg(long)]
    pub lazy: bool,
}

impl PlannerArgs {
    /// The planner these options name for `session`'s run.
    pub fn planner(&self, session: &Session) -> anyhow::Result<Planner> {
        let filter = self
            .filter
            .map_or_else(|| session.default_filter(), Filter::from);
        let planner = Planner::parse(&self.planner, filter, self.lazy)?;
        if self.lazy && !matches!(planner, Planner::BuiltinLazy(_)) {
            anyhow::bail!(
                "--lazy checks the built-in planner's filter on its plans; it needs --planner builtin and a filter other than none (--planner {}, --filter {})",
                self.planner,
                filter.name()
            );
        }
        match self.filter {
            Some(f)
                if f != FilterArg::None
                    && !matches!(planner, Planner::Builtin(_) | Planner::BuiltinLazy(_)) =>
            {
                anyhow::bail!(
                    "--filter {} needs the built-in planner: the exported PDDL cannot carry the \
                     network's checks (--planner {})",
                    Filter::from(f).name(),
                    self.planner
                )
            }
            _ => Ok(planner),
        }
    }
}

/// `latplan plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Trained run folder.
    #[arg(long, short = 'm', value_name = "RUN")]
    pub model: PathBuf,
    /// Start picture.
    #[arg(long, value_name = "PNG")]
    pub init: PathBuf,
    /// Goal picture.
    #[arg(long, value_name = "PNG")]
    pub goal: PathBuf,
    /// Output folder: plan.txt, plan.png, plan.gif, domain.pddl, problem.pddl, summary.json.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub search: SearchArgs,
    #[command(flatten)]
    pub planner: PlannerArgs,
    /// Where to run the network.
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceArg,
}

/// `latplan eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Trained run folder.
    #[arg(long, short = 'm', value_name = "RUN")]
    pub model: PathBuf,
    /// Problem set folder (from `latplan problems`).
    #[arg(long, short = 'p', value_name = "DIR")]
    pub problems: PathBuf,
    /// Add Gaussian noise of this standard deviation to the input pictures (pixels in [0, 1]).
    #[arg(long, default_value_t = 0.0, value_name = "SIGMA")]
    pub noise: f32,
    /// Seed of the noise.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where to write eval.csv, eval.json, eval.md [default: PROBLEMS/eval-<run name>].
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub search: SearchArgs,
    #[command(flatten)]
    pub planner: PlannerArgs,
    /// Where to run the network.
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceArg,
    /// Keep the problems a cut evaluation with the same settings judged
    /// (OUT/eval.partial.json, rewritten after every problem) and plan only
    /// the rest.
    #[arg(long)]
    pub resume: bool,
}

pub fn export(args: &ExportArgs) -> anyhow::Result<()> {
    let dev = device(args.device.into())?;
    if let Some(data) = &args.data {
        let model = Model::load(&args.model, &dev)?;
        let ds = Dataset::load(data)?;
        let actions = crate::pipeline::actions::extract(
            &model,
            &ds,
            crate::pipeline::actions::ExtractOptions {
                relax_support: args.relax_support,
                observed_support: args.observed_support,
                change_support: args.change_support,
            },
        )?;
        actions.save(&args.model)?;
    }
    let session = Session::open(&args.model, &dev)?;
    create_dir(&args.out)?;
    let domain_path = args.out.join("domain.pddl");
    write_atomic(
        &domain_path,
        write_domain(&session.strips, PDDL_DOMAIN).as_bytes(),
    )?;
    let a: &ActionModel = &session.actions;
    println!("wrote {}: {}", domain_path.display(), a.summary());
    if let (Some(init), Some(goal)) = (&args.init, &args.goal) {
        let bits = session
            .model
            .encode(&[session.read_picture(init)?, session.read_picture(goal)?])?;
        let task = session.task(&bits[0], &bits[1])?;
        let path = args.out.join("problem.pddl");
        write_atomic(
            &path,
            write_problem(&task, PDDL_DOMAIN, "problem").as_bytes(),
        )?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

pub fn plan(args: &PlanArgs) -> anyhow::Result<()> {
    let session = Session::open(&args.model, &device(args.device.into())?)?;
    let init = session
        .read_picture(&args.init)
        .with_context(|| "--init".to_string())?;
    let goal = session
        .read_picture(&args.goal)
        .with_context(|| "--goal".to_string())?;
    let planner = args.planner.planner(&session)?;
    let solved = session.solve(&init, &goal, &args.search.config(None)?, &planner)?;
    let summary = write_run(&args.out, &session, &init, &goal, &solved, None)?;
    let s = &solved.stats;
    println!(
        "search ({}): {} (expanded {}, generated {}, evaluated {}, {:.3} s)",
        planner.name(),
        summary.outcome,
        s.expanded,
        s.generated,
        s.evaluated,
        s.search_time.as_secs_f64()
    );
    if let Some(f) = &summary.filter {
        let what = if f.kind == Filter::Canonical.name() {
            format!(
                "denied {} moves no learned action makes between their pictures' own codes (encoded {} states' pictures again)",
                f.denied, f.tested
            )
        } else {
            format!(
                "refused {} of the {} latent states it was to expand{}",
                f.rejected,
                f.tested,
                if f.kind == Filter::Pictures.name() || f.kind == Filter::Seen.name() {
                    format!(
                        "; denied {} moves by the picture rules (decoded {} pictures)",
                        f.denied, f.decoded
                    )
                } else {
                    String::new()
                }
            )
        };
        println!("filter {}: {what}", f.kind);
        if matches!(planner, Planner::BuiltinLazy(_)) {
            println!(
                "lazy filter: {} searches, each without the states and moves the filter refused on the plans before{}",
                f.searches,
                if f.walked > 0 {
                    format!(
                        "; each plan chosen among the search's optimal paths ({} states walked)",
                        f.walked
                    )
                } else {
                    String::new()
                }
            );
        }
    }
    match &summary.length {
        Some(n) => {
            println!("plan of {n} steps: {}", summary.plan.join(" "));
            if let Some(c) = &summary.plan_check {
                print_plan_check(c, *n);
            }
        }
        None => println!(
            "no plan: {}",
            match (&planner, summary.outcome.as_str()) {
                (Planner::Command(_), "unsolvable") => {
                    "the planner wrote no plan file (its output is in planner.log)".into()
                }
                (_, "unsolvable") =>
                    "the learned model has no path from the start to the goal".into(),
                (_, "limit: predecessors") => super::search::predecessors_limit_text(),
                _ => "the search hit a limit".to_string(),
            }
        ),
    }
    if summary.length.is_none() {
        let real = session.preset.as_str();
        match (summary.real_path.as_deref(), summary.optimal_length) {
            (Some("no"), _) => println!(
                "the real {real} has no path from the start to the goal either"
            ),
            (Some("unknown"), _) => println!(
                "whether the real {real} reaches the goal is not known: its breadth-first search stopped at {} states",
                crate::pipeline::output::OPTIMUM_SEARCH_LIMIT
            ),
            (_, Some(n)) if summary.outcome == "unsolvable" => println!(
                "the real {real} reaches the goal in {n} moves: the learned model misses some"
            ),
            (_, Some(n)) => println!("the real {real} reaches the goal in {n} moves"),
            _ => {}
        }
    }
    if let Some(v) = &summary.verdict {
        let opt = summary
            .optimal_length
            .map_or("unknown".into(), |n| n.to_string());
        match &v.failure {
            None => println!(
                "judged by the {} simulator: valid, {} (optimal length {opt})",
                session.preset,
                if v.optimal { "optimal" } else { "not optimal" }
            ),
            Some(why) => println!("judged by the {} simulator: INVALID: {why}", session.preset),
        }
    } else if summary.true_init.is_none() || summary.true_goal.is_none() {
        println!(
            "not judged: the {} parser cannot read the start or goal picture",
            session.preset
        );
    }
    println!("wrote plan files to {}", args.out.display());
    if summary.length.is_none() {
        anyhow::bail!("no plan found ({})", summary.outcome);
    }
    Ok(())
}

/// What the checking filter (the search's, else the run's default) says of
/// the plan's `n` steps.
fn print_plan_check(check: &PlanCheckSummary, n: usize) {
    if check.refused.is_empty() {
        println!("the {} filter passes every step of the plan", check.filter);
        return;
    }
    let steps: Vec<String> = check
        .refused
        .iter()
        .map(|r| format!("{} ({})", r.step, r.why))
        .collect();
    println!(
        "the {} filter refuses {} of the {n} steps: {}",
        check.filter,
        check.refused.len(),
        steps.join(", ")
    );
}

pub fn eval(args: &EvalArgs) -> anyhow::Result<()> {
    let session = Session::open(&args.model, &device(args.device.into())?)?;
    let opts = EvalOptions {
        search: args.search.config(Some(60.0))?,
        noise: args.noise,
        seed: args.seed,
        planner: args.planner.planner(&session)?,
    };
    if !(0.0..=1.0).contains(&args.noise) {
        anyhow::bail!("--noise must be between 0 and 1, not {}", args.noise);
    }
    let total = crate::data::problems::ProblemSet::load(&args.problems)?
        .problems
        .len();
    let run_name = args
        .model
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.problems.join(format!("eval-{run_name}")));
    create_dir(&out)?;
    let checkpoint = Checkpoint {
        out: out.clone(),
        resume: args.resume,
    };
    let settings = opts.settings(&args.model);
    let progress = bar("planning", total as u64);
    let report = evaluate(
        &session,
        &args.problems,
        &opts,
        &settings,
        Some(&checkpoint),
        |_| progress.inc(1),
    )?;
    progress.finish_and_clear();
    report.save(&out)?;
    let partial = out.join(PARTIAL);
    if partial.exists() {
        std::fs::remove_file(&partial)
            .with_context(|| format!("cannot remove {}", partial.display()))?;
    }
    println!("{}", report.markdown());
    println!("wrote eval.csv, eval.json and eval.md to {}", out.display());
    Ok(())
}
