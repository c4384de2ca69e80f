//! The command line: clap types, turned into plain configurations for the
//! library. Nothing below this module knows about clap.

mod bench;
mod bench_train;
mod data;
mod demo;
mod plan;
mod progress;
mod search;
mod solve;
mod train;

use clap::{Parser, Subcommand};

pub use progress::bar;

/// Learn classical-planning models (STRIPS / PDDL) from unlabeled pictures of
/// puzzles, and plan with them.
#[derive(Debug, Parser)]
#[command(name = "latplan", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands, in pipeline order.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Everything, small, on the CPU: generate, train, plan a problem, show the pictures.
    Demo(demo::DemoArgs),
    /// Render image transition pairs (state, one move later) into a dataset.
    Generate(data::GenerateArgs),
    /// Make planning problems (start and goal pictures) at known optimal distances.
    Problems(data::ProblemsArgs),
    /// Draw one state of a domain as a PNG.
    Render(data::RenderArgs),
    /// Read pictures back into states with the domain's parser (the judge of plans).
    Parse(data::ParseArgs),
    /// List the built-in domain presets.
    Domains,
    /// Learn bits and actions (a Cube-Space AutoEncoder) from a dataset, then extract STRIPS actions.
    Train(train::TrainArgs),
    /// Measure a trained model on a dataset of its domain.
    Report(train::ReportArgs),
    /// Train one preset with each gradient estimator and compare ELBO, successors, plans, time.
    BenchEstimators(bench::BenchArgs),
    /// Time training steps of presets' networks on a device (optionally beside PyTorch).
    BenchTrain(bench_train::BenchTrainArgs),
    /// Print the bits a trained model gives to pictures.
    Encode(train::EncodeArgs),
    /// Draw the picture a trained model gives to bits.
    Decode(train::DecodeArgs),
    /// Write a trained model's actions as PDDL (and a problem from two pictures).
    Export(plan::ExportArgs),
    /// Plan from a start picture to a goal picture; write the plan as text, pictures and PDDL.
    Plan(plan::PlanArgs),
    /// Plan every problem of a problem set and judge the plans: found, valid, optimal.
    Eval(plan::EvalArgs),
    /// Plan on PDDL files with A* or greedy search (writes the plan like Fast Downward).
    Solve(solve::SolveArgs),
    /// Check a plan file (from any planner) against a domain and problem.
    Validate(solve::ValidateArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => demo::demo(&args),
        Command::Generate(args) => data::generate(&args),
        Command::Problems(args) => data::problems(&args),
        Command::Render(args) => data::render(&args),
        Command::Parse(args) => data::parse(&args),
        Command::Domains => data::list_domains(),
        Command::Train(args) => train::train(&args),
        Command::Report(args) => train::report(&args),
        Command::BenchEstimators(args) => bench::bench_estimators(&args),
        Command::BenchTrain(args) => bench_train::bench_train(&args),
        Command::Encode(args) => train::encode(&args),
        Command::Decode(args) => train::decode(&args),
        Command::Export(args) => plan::export(&args),
        Command::Plan(args) => plan::plan(&args),
        Command::Eval(args) => plan::eval(&args),
        Command::Solve(args) => solve::solve(&args),
        Command::Validate(args) => solve::validate(&args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
