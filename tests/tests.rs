//! Integration tests: the built `latplan` binary, end to end, in temp dirs.

mod util;

mod bench;
mod bench_train;
mod closed_world;
mod data;
mod domains;
mod model;
mod pipeline;
mod six_domains;
mod solve;
