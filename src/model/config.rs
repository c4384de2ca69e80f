//! Model and training configuration: serde data saved as `config.json` beside
//! `model.safetensors`, and the named presets (Latplan JAIR-22 §2.2 for the GPU;
//! small MLP presets that train on two CPU cores in minutes).

use serde::{Deserialize, Serialize};

use super::estimator::{EstimatorKind, EstimatorOptions};
use crate::domain::Shape;

/// Encoder/decoder family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Arch {
    /// Fully connected: `hidden` widths for the encoder, mirrored in the decoder.
    Mlp {
        /// Hidden layer widths, input side first.
        hidden: Vec<usize>,
    },
    /// Latplan's: two `kernel`×`kernel` "same" convolutions of `channels` then a dense layer.
    Conv {
        /// Channels of every convolution (Latplan: 32).
        channels: usize,
        /// Kernel size (Latplan: 5).
        kernel: usize,
    },
}

/// AMA3+ (effects only) or AMA4+ (also the regression network for preconditions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// Cube-Space AE with the forward (effect) network.
    Ama3Plus,
    /// Bidirectional: forward effects and backward regression.
    Ama4Plus,
}

/// Reconstruction likelihood `p(x | z)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Output {
    /// Latplan's: Gaussian with standard deviation `sigma` on normalized pixels.
    Gaussian {
        /// Standard deviation (Latplan: 0.1).
        sigma: f64,
    },
    /// Bernoulli on raw pixels in [0, 1], for (nearly) binary images.
    Bernoulli,
}

/// Everything needed to rebuild the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Image size the network reads and draws.
    pub shape: Shape,
    /// Encoder/decoder family.
    pub arch: Arch,
    /// AMA3+ or AMA4+.
    pub variant: Variant,
    /// Latent bits F.
    pub bits: usize,
    /// Action labels A (an upper bound; the used ones are counted after training).
    pub actions: usize,
    /// Hidden width of the action encoder (Latplan: 1000).
    pub action_hidden: usize,
    /// Reconstruction likelihood.
    pub output: Output,
    /// Bernoulli prior of every bit (Latplan "zerosuppress": 0.1).
    pub prior: f64,
    /// Weight of the state-prior KL (β_z).
    pub beta_z: f64,
    /// Weight of the successor-prediction KL (β_d).
    pub beta_d: f64,
    /// Dropout rate after every hidden batch norm (Latplan: 0.2).
    pub dropout: f32,
    /// Standard deviation of Gaussian input noise on normalized pixels (Latplan: 0.2).
    pub input_noise: f32,
    /// Gradient estimator of the bits and labels (absent in older runs: Binary Concrete).
    #[serde(default)]
    pub estimator: EstimatorKind,
    /// The estimator's hyperparameters.
    #[serde(default)]
    pub estimator_options: EstimatorOptions,
}

/// Optimizer family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// Adam (Kingma & Ba).
    Adam,
    /// Rectified Adam (Liu et al. 2020), Latplan's choice, no warm-up.
    Radam,
}

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Epochs in all.
    pub epochs: usize,
    /// Epochs over which τ decays exponentially from `tau_max` to `tau_min`.
    pub anneal_epochs: usize,
    /// Starting temperature (Latplan: 5.0).
    pub tau_max: f64,
    /// Final temperature (Latplan: 0.5).
    pub tau_min: f64,
    /// Transitions per batch (the tail batch is dropped).
    pub batch: usize,
    /// Learning rate.
    pub lr: f64,
    /// Adam or RAdam.
    pub optimizer: OptimizerKind,
    /// Global gradient-norm limit (Latplan: 0.1 under Keras' summed loss scale).
    pub clip_norm: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Epochs after `epochs` that train only the action networks (action encoder,
    /// APPLY, the action priors and, for AMA4+, REGRESS) on the hard codes of the
    /// now frozen encoder: the bits the planner will see (see `docs/model.md`).
    #[serde(default)]
    pub refine_epochs: usize,
}

impl TrainConfig {
    /// Joint epochs plus action-refinement epochs.
    pub fn total_epochs(&self) -> usize {
        self.epochs + self.refine_epochs
    }

    /// True when `epoch` (from 0) belongs to the action-refinement phase.
    pub fn is_refinement(&self, epoch: usize) -> bool {
        epoch >= self.epochs
    }

    /// Latplan's temperature at the start of `epoch`:
    /// `max(τ_min, τ_max·exp(−ln(τ_max/τ_min)/anneal·epoch))`.
    pub fn temperature(&self, epoch: usize) -> f64 {
        if self.anneal_epochs == 0 {
            return self.tau_min;
        }
        let rate = (self.tau_max / self.tau_min).ln() / self.anneal_epochs as f64;
        (self.tau_max * (-rate * epoch as f64).exp()).max(self.tau_min)
    }

    /// Checks the values a user can set.
    pub fn validate(&self) -> Result<(), String> {
        if self.epochs == 0 || self.batch == 0 {
            return Err("epochs and batch size must be positive".into());
        }
        if !(self.tau_min > 0.0 && self.tau_max >= self.tau_min) {
            return Err(format!(
                "temperatures must satisfy 0 < tau_min <= tau_max, got {} and {}",
                self.tau_min, self.tau_max
            ));
        }
        if !(self.lr > 0.0 && self.clip_norm > 0.0) {
            return Err("learning rate and clip norm must be positive".into());
        }
        Ok(())
    }
}

/// Named configurations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// Small MLP AMA3+ for the CPU (8-puzzle, LightsOut in minutes on two cores).
    CpuMlp,
    /// The same network with the AMA4+ regression head.
    CpuMlpAma4,
    /// A very small MLP for tests and demos (LightsOut 3×3, 3×2 puzzle).
    Tiny,
    /// Latplan's convolutional AMA3+ (JAIR-22 §2.2), for a GPU.
    Conv,
    /// Latplan's convolutional AMA4+.
    ConvAma4,
}

impl Preset {
    /// The name on the command line and in domain presets, e.g. `cpu-mlp-ama4`.
    pub fn name(self) -> &'static str {
        match self {
            Preset::CpuMlp => "cpu-mlp",
            Preset::CpuMlpAma4 => "cpu-mlp-ama4",
            Preset::Tiny => "tiny",
            Preset::Conv => "conv",
            Preset::ConvAma4 => "conv-ama4",
        }
    }

    /// The preset's model and training configuration for images of `shape`.
    pub fn configs(self, shape: Shape, seed: u64) -> (ModelConfig, TrainConfig) {
        let mlp = |hidden: Vec<usize>| Arch::Mlp { hidden };
        let (arch, variant, bits, actions, action_hidden) = match self {
            // 1600 labels (800 until session 8): LightsOut's XOR toggles need
            // more than 288 STRIPS actions, and the 8-puzzle planned 40/40 valid on
            // two datasets with 1600 where 800 lacked 1 % of one dataset's moves.
            // 64 bits for the AMA3+ (sliding-puzzle) preset since session 12
            // (48 before): own tiles, 48 bits 98.15 % reconstruction and 22/40
            // valid plans, 64 bits 99.85 % and 40/40; the AMA4+ (LightsOut)
            // preset keeps 48, as its 96-bit run fell to 50 % exact successors.
            Preset::CpuMlp => (mlp(vec![400]), Variant::Ama3Plus, 64, 1600, 400),
            Preset::CpuMlpAma4 => (mlp(vec![400]), Variant::Ama4Plus, 48, 1600, 400),
            Preset::Tiny => (mlp(vec![128]), Variant::Ama3Plus, 32, 128, 128),
            Preset::Conv => (
                Arch::Conv {
                    channels: 32,
                    kernel: 5,
                },
                Variant::Ama3Plus,
                100,
                6000,
                1000,
            ),
            Preset::ConvAma4 => (
                Arch::Conv {
                    channels: 32,
                    kernel: 5,
                },
                Variant::Ama4Plus,
                100,
                6000,
                1000,
            ),
        };
        let gpu = matches!(self, Preset::Conv | Preset::ConvAma4);
        let model = ModelConfig {
            shape,
            arch,
            variant,
            bits,
            actions,
            action_hidden,
            output: if gpu {
                Output::Gaussian { sigma: 0.1 }
            } else {
                Output::Bernoulli
            },
            prior: 0.1,
            beta_z: 1.0,
            beta_d: if gpu { 1.0 } else { 10.0 },
            dropout: if gpu { 0.2 } else { 0.0 },
            input_noise: if gpu { 0.2 } else { 0.1 },
            estimator: EstimatorKind::default(),
            estimator_options: EstimatorOptions::default(),
        };
        let (epochs, anneal_epochs, batch) = match self {
            // The AMA3+ preset: 20 joint and 12 refinement epochs (25 and 40
            // until session 12): the refinement's validation successor loss is
            // lowest after about 5 epochs and drifts up after, the joint
            // reconstruction gains 0.2 % in the last 5; the seed-1 8-puzzle
            // planned 40/40 optimal either way, in 2/3 of the training time.
            // The AMA4+ (LightsOut) preset keeps 25 + 40: its seed-1 run fell
            // from 99.4 % to 74.7 % exact successors on the shorter schedule.
            Preset::CpuMlp => (20, 8, 100),
            Preset::CpuMlpAma4 => (25, 8, 100),
            Preset::Tiny => (60, 25, 50),
            Preset::Conv | Preset::ConvAma4 => (2000, 1000, 400),
        };
        let train = TrainConfig {
            epochs,
            anneal_epochs,
            tau_max: 5.0,
            tau_min: 0.5,
            batch,
            lr: match self {
                Preset::Tiny => 5e-3,
                Preset::CpuMlp | Preset::CpuMlpAma4 => 3e-3,
                Preset::Conv | Preset::ConvAma4 => 1e-3,
            },
            optimizer: if gpu {
                OptimizerKind::Radam
            } else {
                OptimizerKind::Adam
            },
            clip_norm: if gpu { 0.1 } else { 1.0 },
            seed,
            refine_epochs: match self {
                Preset::CpuMlp => 12,
                Preset::CpuMlpAma4 => 40,
                Preset::Tiny => 40,
                Preset::Conv | Preset::ConvAma4 => 200,
            },
        };
        (model, train)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_follows_latplan_schedule() {
        let (_, t) = Preset::Conv.configs(Shape::gray(48, 48), 0);
        assert!((t.temperature(0) - 5.0).abs() < 1e-12);
        assert!((t.temperature(500) - 5.0 * 0.1f64.sqrt()).abs() < 1e-9);
        assert!((t.temperature(1000) - 0.5).abs() < 1e-9);
        assert_eq!(t.temperature(1800), 0.5);
    }

    #[test]
    fn preset_names_are_their_serde_names() {
        for p in [
            Preset::CpuMlp,
            Preset::CpuMlpAma4,
            Preset::Tiny,
            Preset::Conv,
            Preset::ConvAma4,
        ] {
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.name())
            );
        }
    }

    #[test]
    fn config_round_trips_through_json() {
        let (m, t) = Preset::CpuMlpAma4.configs(Shape::gray(36, 36), 7);
        let back: ModelConfig = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        assert!(t.validate().is_ok());
        let bad = TrainConfig { tau_min: 0.0, ..t };
        assert!(bad.validate().is_err());
    }
}
