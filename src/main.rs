//! The `latplan` binary: parse the command line, run it, report errors.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = latplan::cli::Cli::parse();
    match latplan::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("latplan: {err:#}");
            ExitCode::FAILURE
        }
    }
}
