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
    quiet_on_closed_pipe();
    let cli = latplan::cli::Cli::parse();
    match latplan::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("latplan: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `latplan domains | head` closes the pipe early; `println!` then panics.
/// That is the reader's choice, not an error: end as a program killed by
/// SIGPIPE would (exit status 141), without a panic message. Every other
/// panic is reported as before.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
