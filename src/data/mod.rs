//! Transition datasets and problem sets on disk.

pub mod dataset;
pub mod generate;
pub mod problems;

pub use dataset::{Dataset, Manifest, Split};
