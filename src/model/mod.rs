//! The learned model: the Cube-Space AutoEncoder (Latplan JAIR-22 §2.2, AMA3+
//! and AMA4+) in candle, its numerics, training loop, run directory and quality report.
//!
//! Layers: [`numerics`] and [`noise`] (tested primitives) -> [`nets`] and
//! [`csae`] (the network) -> [`loss`] -> [`optim`] and [`train`] (the loop) ->
//! [`run`] (files on disk, the image-level API used by extraction and planning)
//! -> [`quality`] (the report judged by the domain parser).

pub mod config;
pub mod conv;
pub mod csae;
#[cfg(feature = "cudnn")]
pub mod cudnn;
pub mod data;
pub mod estimator;
pub mod infer;
pub mod loss;
pub mod nets;
pub mod noise;
pub mod numerics;
pub mod optim;
pub mod params;
pub mod plot;
pub mod quality;
mod refine;
pub mod run;
pub mod speed;
pub mod torch_ref;
pub mod train;
pub mod workflow;

#[cfg(test)]
mod tests;

pub use config::{Arch, ModelConfig, OptimizerKind, Output, Preset, TrainConfig, Variant};
pub use estimator::{EstimatorKind, EstimatorOptions};
pub use infer::Model;
