//! The `latplan` command line (being built).
fn main() {}
