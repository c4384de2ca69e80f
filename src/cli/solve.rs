//! `solve` and `validate`: the planner on its own, on any STRIPS PDDL files.
//! Output follows Fast Downward's: statistics lines, then the plan written
//! to a file as `(action args)` lines and `; cost = N (unit cost)`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;

use super::search::SearchArgs;

use crate::pddl;
use crate::search::{search_task, LimitKind, Limits, Outcome, SearchResult, Strategy};
use crate::symbolic::{write_domain, write_problem, StripsTask};
use crate::util::write_atomic;

/// `latplan solve`.
#[derive(Debug, Args)]
pub struct SolveArgs {
    /// The domain file (STRIPS with :typing, :negative-preconditions, :equality).
    pub domain: PathBuf,
    /// The problem file.
    pub problem: PathBuf,
    #[command(flatten)]
    pub search: SearchArgs,
    /// Also write the grounded task as a bit-vector PDDL model (DIR/domain.pddl, DIR/problem.pddl).
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
    /// Where to write the plan (Fast Downward's default name).
    #[arg(long, value_name = "FILE", default_value = "sas_plan")]
    pub plan_file: PathBuf,
}

/// Runs `latplan solve`.
pub fn solve(args: &SolveArgs) -> anyhow::Result<()> {
    let config = args.search.config(None)?;
    let start = Instant::now();
    let task = pddl::load_task(&args.domain, &args.problem)?;
    let grounding = start.elapsed();
    println!(
        "Grounded {} in {:.6}s: {} bits (reachable fluent atoms), {} actions",
        args.problem.display(),
        grounding.as_secs_f64(),
        task.model.width(),
        task.model.actions().len()
    );
    if let Some(dir) = &args.export {
        export(&task, dir)?;
    }
    let fixed = task.goal_pos.count_ones() + task.goal_neg.count_ones();
    if config.strategy == Strategy::Bidirectional && fixed < task.model.width() {
        bail!(
            "--search bidir searches back from one goal state, but the goal of {} fixes {fixed} of its {} bits; use --search astar",
            args.problem.display(),
            task.model.width()
        );
    }
    println!(
        "Search: {:?} with {}",
        config.strategy,
        config.heuristic.name()
    );
    let result = search_task(&task, &config);
    report(&task, &result, &args.plan_file)?;
    println!("Total time: {:.6}s", start.elapsed().as_secs_f64());
    match result.outcome {
        Outcome::Plan(_) => Ok(()),
        Outcome::Unsolvable => bail!(
            "the problem is unsolvable: the search exhausted all {} reachable states",
            result.stats.states
        ),
        Outcome::LimitReached(kind) => bail!("no plan found: {}", limit_text(kind, &config.limits)),
    }
}

/// Writes `task` as the parameterless bit-vector PDDL that `latplan export` writes for learned models.
fn export(task: &StripsTask, dir: &Path) -> anyhow::Result<()> {
    crate::util::create_dir(dir)?;
    write_atomic(
        &dir.join("domain.pddl"),
        write_domain(&task.model, "grounded").as_bytes(),
    )?;
    write_atomic(
        &dir.join("problem.pddl"),
        write_problem(task, "grounded", "problem").as_bytes(),
    )?;
    println!(
        "Grounded task written to {}/domain.pddl and problem.pddl",
        dir.display()
    );
    Ok(())
}

fn limit_text(kind: LimitKind, limits: &Limits) -> String {
    match kind {
        LimitKind::Expansions => format!(
            "the expansion limit ({}) was reached",
            limits.max_expansions.unwrap_or(0)
        ),
        LimitKind::Time => format!(
            "the time limit ({:?}) was reached",
            limits.max_time.unwrap_or_default()
        ),
        LimitKind::Memory => format!(
            "the memory limit ({} MiB) was reached",
            limits.max_memory_bytes.unwrap_or(0) >> 20
        ),
        LimitKind::Predecessors => super::search::predecessors_limit_text(),
    }
}

/// Prints the statistics as Fast Downward does and writes the plan file.
fn report(task: &StripsTask, result: &SearchResult, plan_file: &Path) -> anyhow::Result<()> {
    if let Outcome::Plan(plan) = &result.outcome {
        println!("Solution found!");
        println!("Plan length: {} step(s).", plan.ops.len());
        println!("Plan cost: {}", plan.cost);
        write_atomic(plan_file, pddl::format_plan(task, &plan.ops).as_bytes())
            .with_context(|| format!("cannot write the plan to {}", plan_file.display()))?;
        println!("Plan written to {}", plan_file.display());
    }
    let s = &result.stats;
    println!("Expanded {} state(s).", s.expanded);
    println!("Reopened {} state(s).", s.reopened);
    println!("Evaluated {} state(s).", s.evaluated);
    println!("Evaluations: {}", s.evaluated);
    println!("Generated {} state(s).", s.generated);
    println!("Dead ends: {} state(s).", s.dead_ends);
    println!(
        "Expanded until last jump: {} state(s).",
        s.expanded_until_last_jump
    );
    println!("Number of registered states: {}", s.states);
    println!("Search time: {:.6}s", s.search_time.as_secs_f64());
    println!("Search memory: {} KB", s.memory_bytes / 1024);
    if let Some(kb) = peak_memory_kb() {
        println!("Peak memory: {kb} KB");
    }
    Ok(())
}

/// The process's peak resident memory (Linux `VmHWM`), if known.
fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `latplan validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The domain file.
    pub domain: PathBuf,
    /// The problem file.
    pub problem: PathBuf,
    /// The plan file (one `(action args)` per line; `;` comments), from any planner.
    pub plan: PathBuf,
}

/// Runs `latplan validate`: replays the plan on the lifted task.
pub fn validate(args: &ValidateArgs) -> anyhow::Result<()> {
    let (domain, problem) = pddl::load(&args.domain, &args.problem)?;
    let text = std::fs::read_to_string(&args.plan)
        .with_context(|| format!("cannot read {}", args.plan.display()))?;
    let at = |e| pddl::PddlError::at(&args.plan, e);
    let steps = pddl::read_plan(&text).map_err(at)?;
    let v = pddl::validate_plan(&domain, &problem, &steps)
        .map_err(|e| anyhow::anyhow!("plan is invalid: {}", at(e)))?;
    println!(
        "Plan valid: {} step(s), cost {} (unit cost), reaches the goal of {}",
        v.steps,
        v.steps,
        args.problem.display()
    );
    Ok(())
}
