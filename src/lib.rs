//! latplan-rs: learn classical-planning models from unlabeled pictures.
//!
//! The pipeline (see the README): ground-truth domains render image pairs
//! ([`domain`]), which become datasets and problem sets.

pub mod domain;
pub mod util;
pub mod search;
pub mod symbolic;
pub mod pddl;
