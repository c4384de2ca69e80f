//! The command line: clap types, turned into plain configurations for the
//! library. Nothing below this module knows about clap.

mod data;
mod progress;
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

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// Learn bits and actions (a Cube-Space AutoEncoder) from a dataset.
    Train(train::TrainArgs),
    /// Measure a trained model on a dataset of its domain.
    Report(train::ReportArgs),
    /// Print the bits a trained model gives to pictures.
    Encode(train::EncodeArgs),
    /// Draw the picture a trained model gives to bits.
    Decode(train::DecodeArgs),
    /// Plan on PDDL files with A* or greedy search (writes the plan like Fast Downward).
    Solve(solve::SolveArgs),
    /// Check a plan file (from any planner) against a domain and problem.
    Validate(solve::ValidateArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Generate(args) => data::generate(&args),
        Command::Problems(args) => data::problems(&args),
        Command::Render(args) => data::render(&args),
        Command::Parse(args) => data::parse(&args),
        Command::Domains => data::list_domains(),
        Command::Train(args) => train::train(&args),
        Command::Report(args) => train::report(&args),
        Command::Encode(args) => train::encode(&args),
        Command::Decode(args) => train::decode(&args),
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
