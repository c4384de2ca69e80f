//! The `latplan` binary: parse the command line, run it, report errors.

use std::process::ExitCode;

use clap::Parser;

/// A training step allocates and frees the same tensors (up to a few MB each)
/// thousands of times; glibc's malloc maps such blocks afresh and hands them
/// back to the system each time (145 000 page faults in 33 steps of
/// `cpu-mlp-ama4`), mimalloc keeps them for reuse (8 000). Arithmetic is
/// untouched: results are bit-identical.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
