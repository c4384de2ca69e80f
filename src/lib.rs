//! latplan-rs: learn classical-planning models from unlabeled pictures.
//!
//! The pipeline (see the README): ground-truth domains render image pairs
//! ([`domain`]), which become datasets and problem sets ([`data`]); the
//! command line ([`cli`]) drives each stage.

pub mod cli;
pub mod data;
pub mod domain;
pub mod model;
pub mod pddl;
pub mod pipeline;
pub mod search;
pub mod symbolic;
pub mod util;
