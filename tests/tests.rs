//! Integration tests: the built `latplan` binary, end to end, in temp dirs.

mod util;

mod data;

mod domains;
mod model;
mod solve;
