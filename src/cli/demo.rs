//! `latplan demo`: the whole pipeline, small, on the CPU, in one command:
//! generate the 8-puzzle, train the CPU preset, extract the action model,
//! draw a 7-step problem, plan it from its pictures, judge the plan, and write
//! the pictures and the PDDL.

use std::path::{Path, PathBuf};

use clap::Args;

use super::progress::bar;
use super::train::{network, train_and_extract, DeviceArg, NetworkArg, PresetArg};
use crate::data::generate::{self, ProblemOptions};
use crate::data::problems::ProblemSet;
use crate::domain::Preset;
use crate::model::workflow::device;
use crate::model::workflow::TrainOptions;
use crate::pipeline::external::Planner;
use crate::pipeline::output::write_run;
use crate::pipeline::session::Session;
use crate::search::{HeuristicKind, Limits, SearchConfig, Strategy};

/// `latplan demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for everything the demo makes.
    #[arg(long, short = 'o', default_value = "latplan-demo", value_name = "DIR")]
    pub out: PathBuf,
    /// Domain preset.
    #[arg(
        long,
        short = 'd',
        default_value = "puzzle8-digits",
        value_name = "PRESET"
    )]
    pub domain: String,
    /// Training pairs [default: the preset's].
    #[arg(long, short = 'n')]
    pub transitions: Option<usize>,
    /// Network preset [default: the domain's own CPU network, `[network]`
    /// of its preset, on any device: the demo is small].
    #[arg(long, value_enum)]
    pub preset: Option<PresetArg>,
    /// Epochs [default: the network preset's].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Optimal length of the demo problem.
    #[arg(long, default_value_t = 7)]
    pub steps: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where to run the network.
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceArg,
}

pub fn demo(args: &DemoArgs) -> anyhow::Result<()> {
    let preset = Preset::load(&args.domain)?;
    let (data, run, probs, plan) = (
        args.out.join("data"),
        args.out.join("run"),
        args.out.join("problems"),
        args.out.join("plan"),
    );
    println!("[1/4] generating {} …", preset.name);
    let n = args.transitions.unwrap_or(preset.transitions);
    let progress = bar("rendering", n as u64);
    let ds = generate::dataset(&preset, n, args.seed, &progress)?;
    ds.save(&data)?;
    progress.finish_and_clear();
    let dev = device(args.device.into())?;
    let network = network(args.preset, NetworkArg::Cpu, dev.is_cuda(), &ds.manifest)?;
    println!(
        "[2/4] training the {} network (progress below) …",
        network.preset.name()
    );
    let opts = TrainOptions {
        preset: network.preset,
        epochs: args.epochs,
        seed: args.seed,
        resume: false,
        overrides: network.set,
    };
    train_and_extract(&data, &run, &opts, &dev)?;
    println!("[3/4] drawing a {}-step problem …", args.steps);
    let opts = ProblemOptions {
        steps: vec![args.steps],
        count: 1,
        seed: args.seed,
        noise: 0.0,
    };
    generate::problems(&preset, &opts, &probs, &indicatif::ProgressBar::hidden())?;
    println!("[4/4] planning from its pictures …");
    let verdict = plan_first(&run, &probs, &plan, &dev)?;
    println!("\n{verdict}");
    if plan.join("plan.png").is_file() {
        println!(
            "pictures: {}  {}",
            plan.join("plan.png").display(),
            plan.join("plan.gif").display()
        );
    }
    println!("problem:  {} (init.png, goal.png)", probs.display());
    println!(
        "PDDL:     {}  {}",
        plan.join("domain.pddl").display(),
        plan.join("problem.pddl").display()
    );
    println!(
        "model:    {} (log.csv, loss.png, actions.json)",
        run.display()
    );
    Ok(())
}

/// Plans the first problem of the set in `probs` into `out`; returns a verdict line.
fn plan_first(
    run: &Path,
    probs: &Path,
    out: &Path,
    dev: &candle_core::Device,
) -> anyhow::Result<String> {
    let session = Session::open(run, dev)?;
    let set = ProblemSet::load(probs)?;
    let (folder, problem) = set
        .load_problems(probs)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no problem was drawn"))?;
    let init = session.read_picture(&folder.join("init.png"))?;
    let goal = session.read_picture(&folder.join("goal.png"))?;
    let search = SearchConfig {
        strategy: Strategy::AStar,
        heuristic: HeuristicKind::Blind,
        limits: Limits {
            max_time: Some(std::time::Duration::from_secs(120)),
            ..Limits::default()
        },
    };
    let solved = session.solve(
        &init,
        &goal,
        &search,
        &Planner::Builtin(session.default_filter()),
    )?;
    let summary = write_run(
        out,
        &session,
        &init,
        &goal,
        &solved,
        Some(problem.optimal_length),
    )?;
    Ok(match (&summary.length, &summary.verdict) {
        (Some(n), Some(v)) if v.valid => format!(
            "found a {n}-step plan; the simulator says it is valid and {} (optimal: {})",
            if v.optimal { "optimal" } else { "not optimal" },
            problem.optimal_length
        ),
        (Some(n), Some(v)) => format!(
            "found a {n}-step plan, but it is invalid: {}",
            v.failure.clone().unwrap_or_default()
        ),
        _ => format!(
            "no plan found ({}); try more epochs or transitions",
            summary.outcome
        ),
    })
}
