//! The networks of the Cube-Space AutoEncoder (Latplan JAIR-22 §2.2): state
//! encoder `q(z | x)` and decoder `p(x | z)` in an MLP preset (CPU) and Latplan's
//! convolutional one (GPU), and the action encoder `q(a | z0, z1)`.
//!
//! Forward passes take a [`Pass`] instead of candle's `train: bool` because the
//! training pass draws its noise (input noise, dropout) from the run's seeded
//! generator: candle's CPU random numbers cannot be seeded.

use candle_core::{Module, Result, Tensor};
use candle_nn::{
    batch_norm, linear, linear_no_bias, BatchNorm, BatchNormConfig, Linear, ModuleT, VarBuilder,
};

use super::config::{Arch, ModelConfig};
use super::conv::{conv2d, conv_transpose2d, Conv2d, ConvTranspose2d};
use super::noise::Noise;

/// Training (batch statistics, noise, relaxed samples at temperature `tau`) or
/// evaluation (frozen batch norm, no noise, hard codes).
pub enum Pass<'a> {
    /// A training step.
    Train {
        /// The run's noise source.
        noise: &'a mut Noise,
        /// Relaxation temperature.
        tau: f64,
    },
    /// Inference: deterministic.
    Eval,
}

impl Pass<'_> {
    /// True in training.
    pub fn is_train(&self) -> bool {
        matches!(self, Pass::Train { .. })
    }
}

/// Inverted dropout with rate `p` in training, identity otherwise.
pub fn dropout(x: &Tensor, p: f32, pass: &mut Pass) -> Result<Tensor> {
    match pass {
        Pass::Train { noise, .. } if p > 0.0 => x * noise.dropout_mask(x.shape(), p, x.device())?,
        _ => Ok(x.clone()),
    }
}

/// Dense blocks of the given widths after an input of `inputs` features,
/// named `blocks.0`, `blocks.1`, …; returns them and the last width.
fn dense_stack<'a>(
    inputs: usize,
    widths: impl Iterator<Item = &'a usize>,
    dropout: f32,
    vb: &VarBuilder,
) -> Result<(Vec<DenseBlock>, usize)> {
    let mut blocks = Vec::new();
    let mut width = inputs;
    for (i, &h) in widths.enumerate() {
        blocks.push(DenseBlock::new(
            width,
            h,
            dropout,
            vb.pp(format!("blocks.{i}")),
        )?);
        width = h;
    }
    Ok((blocks, width))
}

/// Latplan's batch norm: PyTorch defaults (momentum 0.1, ε 1e-5), affine.
pub fn bn(features: usize, vb: VarBuilder) -> Result<BatchNorm> {
    batch_norm(features, BatchNormConfig::default(), vb)
}

/// [`bn`] for the encoders and decoders: candle_nn's batch norm, except in
/// training on CUDA with the `cudnn` feature, where cuDNN's fused passes do the
/// same (src/model/cudnn/, the same parameters and running statistics).
pub struct Norm(BatchNorm);

impl Norm {
    /// A batch norm over `features` channels (of `[n, c, h, w]`) or features (of `[n, f]`).
    pub fn new(features: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Norm(bn(features, vb)?))
    }
}

impl ModuleT for Norm {
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        if train && uses_cudnn_batch_norm(x.device()) {
            #[cfg(feature = "cudnn")]
            return super::cudnn::batch_norm_train(&self.0, x);
        }
        self.0.forward_t(x, train)
    }
}

thread_local! {
    /// Set by [`set_candle_batch_norm`] (for timing): candle_nn's batch norm
    /// even where cuDNN's could run.
    static CANDLE_BATCH_NORM: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// With `true`, every [`Norm`] trained on this thread uses candle_nn's batch
/// norm, also on CUDA with cuDNN; `false` restores the default.
pub fn set_candle_batch_norm(on: bool) {
    CANDLE_BATCH_NORM.with(|c| c.set(on));
}

/// Whether a [`Norm`] trains through cuDNN on `device`: built with the
/// `cudnn` feature, on CUDA, and not turned off by [`set_candle_batch_norm`].
pub fn uses_cudnn_batch_norm(device: &candle_core::Device) -> bool {
    cfg!(feature = "cudnn") && device.is_cuda() && !CANDLE_BATCH_NORM.with(|c| c.get())
}

/// Dense (no bias) → ReLU → batch norm → dropout: the hidden block of every MLP here.
pub struct DenseBlock {
    fc: Linear,
    bn: Norm,
    dropout: f32,
}

impl DenseBlock {
    /// A block from `inputs` to `outputs`.
    pub fn new(inputs: usize, outputs: usize, dropout: f32, vb: VarBuilder) -> Result<Self> {
        Ok(DenseBlock {
            fc: linear_no_bias(inputs, outputs, vb.pp("fc"))?,
            bn: Norm::new(outputs, vb.pp("bn"))?,
            dropout,
        })
    }

    /// # Shapes
    /// `x`: `[batch, inputs]` -> `[batch, outputs]`.
    pub fn forward(&self, x: &Tensor, pass: &mut Pass) -> Result<Tensor> {
        let h = self.fc.forward(x)?.relu()?; // [batch, outputs]
        let h = self.bn.forward_t(&h, pass.is_train())?;
        dropout(&h, self.dropout, pass)
    }
}

/// The state encoder: normalized image -> bit logits.
pub enum Encoder {
    /// Dense blocks then a dense layer to the logits.
    Mlp {
        /// Hidden blocks.
        blocks: Vec<DenseBlock>,
        /// Final layer (with bias).
        logits: Linear,
    },
    /// Latplan's: two convolutions with batch norm and dropout, then dense.
    Conv {
        /// First convolution.
        conv1: Conv2d,
        /// Its batch norm.
        bn1: Norm,
        /// Second convolution.
        conv2: Conv2d,
        /// Its batch norm.
        bn2: Norm,
        /// Final layer (with bias).
        logits: Linear,
    },
}

impl Encoder {
    /// The encoder of `cfg`.
    pub fn new(cfg: &ModelConfig, vb: VarBuilder) -> Result<Self> {
        let s = cfg.shape;
        match &cfg.arch {
            Arch::Mlp { hidden } => {
                let (blocks, width) = dense_stack(s.len(), hidden.iter(), cfg.dropout, &vb)?;
                Ok(Encoder::Mlp {
                    blocks,
                    logits: linear(width, cfg.bits, vb.pp("logits"))?,
                })
            }
            &Arch::Conv { channels, kernel } => {
                let same = kernel / 2;
                Ok(Encoder::Conv {
                    conv1: conv2d(s.channels, channels, kernel, same, false, vb.pp("conv1"))?,
                    bn1: Norm::new(channels, vb.pp("bn1"))?,
                    conv2: conv2d(channels, channels, kernel, same, false, vb.pp("conv2"))?,
                    bn2: Norm::new(channels, vb.pp("bn2"))?,
                    logits: linear(channels * s.height * s.width, cfg.bits, vb.pp("logits"))?,
                })
            }
        }
    }

    /// Bit logits of normalized images (training adds the input noise).
    ///
    /// # Shapes
    /// `x`: `[batch, height, width, channels]` -> `[batch, bits]`.
    pub fn forward(&self, x: &Tensor, cfg: &ModelConfig, pass: &mut Pass) -> Result<Tensor> {
        let x = match pass {
            Pass::Train { noise, .. } if cfg.input_noise > 0.0 => {
                (x + noise.normal(x.shape(), cfg.input_noise, x.device())?)?
            }
            _ => x.clone(),
        };
        match self {
            Encoder::Mlp { blocks, logits } => {
                let mut h = x.flatten_from(1)?; // [batch, pixels]
                for block in blocks {
                    h = block.forward(&h, pass)?; // [batch, hidden]
                }
                logits.forward(&h) // [batch, bits]
            }
            Encoder::Conv {
                conv1,
                bn1,
                conv2,
                bn2,
                logits,
            } => {
                let h = x.permute((0, 3, 1, 2))?.contiguous()?; // [batch, channels, height, width]
                let h = bn1.forward_t(&conv1.forward(&h)?.relu()?, pass.is_train())?; // [batch, ch, h, w]
                let h = dropout(&h, cfg.dropout, pass)?;
                let h = bn2.forward_t(&conv2.forward(&h)?.relu()?, pass.is_train())?; // [batch, ch, h, w]
                let h = dropout(&h, cfg.dropout, pass)?;
                logits.forward(&h.flatten_from(1)?) // [batch, bits]
            }
        }
    }
}

/// The state decoder: bits -> output-space image (logits for Bernoulli, normalized pixels for Gaussian).
pub enum Decoder {
    /// Batch norm on the bits, mirrored dense blocks, dense to the pixels.
    Mlp {
        /// Batch norm of the input bits.
        input_bn: Norm,
        /// Hidden blocks.
        blocks: Vec<DenseBlock>,
        /// Final layer (with bias) to the pixels.
        pixels: Linear,
    },
    /// Latplan's: batch norm, dense to a feature map, two transposed convolutions.
    Conv {
        /// Batch norm of the input bits.
        input_bn: Norm,
        /// Dense layer to `channels × height × width`.
        dense: Linear,
        /// Its batch norm.
        bn0: Norm,
        /// First transposed convolution (ReLU, no bias).
        deconv1: ConvTranspose2d,
        /// Its batch norm.
        bn1: Norm,
        /// Last transposed convolution to the image channels (linear, bias).
        deconv2: ConvTranspose2d,
    },
}

impl Decoder {
    /// The decoder of `cfg`.
    pub fn new(cfg: &ModelConfig, vb: VarBuilder) -> Result<Self> {
        let s = cfg.shape;
        let input_bn = Norm::new(cfg.bits, vb.pp("input_bn"))?;
        match &cfg.arch {
            Arch::Mlp { hidden } => {
                let (blocks, width) = dense_stack(cfg.bits, hidden.iter().rev(), cfg.dropout, &vb)?;
                Ok(Decoder::Mlp {
                    input_bn,
                    blocks,
                    pixels: linear(width, s.len(), vb.pp("pixels"))?,
                })
            }
            &Arch::Conv { channels, kernel } => {
                let same = kernel / 2;
                let flat = channels * s.height * s.width;
                Ok(Decoder::Conv {
                    input_bn,
                    dense: linear(cfg.bits, flat, vb.pp("dense"))?,
                    bn0: Norm::new(flat, vb.pp("bn0"))?,
                    deconv1: conv_transpose2d(
                        channels,
                        channels,
                        kernel,
                        same,
                        false,
                        vb.pp("deconv1"),
                    )?,
                    bn1: Norm::new(channels, vb.pp("bn1"))?,
                    deconv2: conv_transpose2d(
                        channels,
                        s.channels,
                        kernel,
                        same,
                        true,
                        vb.pp("deconv2"),
                    )?,
                })
            }
        }
    }

    /// # Shapes
    /// `z`: `[batch, bits]` -> `[batch, height, width, channels]`.
    pub fn forward(&self, z: &Tensor, cfg: &ModelConfig, pass: &mut Pass) -> Result<Tensor> {
        let s = cfg.shape;
        let batch = z.dim(0)?;
        match self {
            Decoder::Mlp {
                input_bn,
                blocks,
                pixels,
            } => {
                let mut h = input_bn.forward_t(z, pass.is_train())?; // [batch, bits]
                for block in blocks {
                    h = block.forward(&h, pass)?; // [batch, hidden]
                }
                pixels
                    .forward(&h)?
                    .reshape((batch, s.height, s.width, s.channels))
            }
            Decoder::Conv {
                input_bn,
                dense,
                bn0,
                deconv1,
                bn1,
                deconv2,
            } => {
                let train = pass.is_train();
                let h = dense.forward(&input_bn.forward_t(z, train)?)?; // [batch, ch·h·w]
                let h = dropout(&bn0.forward_t(&h, train)?, cfg.dropout, pass)?;
                let channels = h.dim(1)? / (s.height * s.width);
                let h = h.reshape((batch, channels, s.height, s.width))?; // [batch, ch, h, w]
                let h = bn1.forward_t(&deconv1.forward(&h)?.relu()?, train)?; // [batch, ch, h, w]
                let h = dropout(&h, cfg.dropout, pass)?;
                deconv2.forward(&h)?.permute((0, 2, 3, 1))?.contiguous() // [batch, h, w, channels]
            }
        }
    }
}

/// The action encoder `q(a | z0, z1)`: one dense block, then the label logits.
pub struct ActionEncoder {
    hidden: DenseBlock,
    logits: Linear,
}

impl ActionEncoder {
    /// The action encoder of `cfg`.
    pub fn new(cfg: &ModelConfig, vb: VarBuilder) -> Result<Self> {
        Ok(ActionEncoder {
            hidden: DenseBlock::new(
                2 * cfg.bits,
                cfg.action_hidden,
                cfg.dropout,
                vb.pp("hidden"),
            )?,
            logits: linear(cfg.action_hidden, cfg.actions, vb.pp("logits"))?,
        })
    }

    /// Label logits from the two states' bit probabilities (or hard bits).
    ///
    /// # Shapes
    /// `q0`, `q1`: `[batch, bits]` -> `[batch, actions]`.
    pub fn forward(&self, q0: &Tensor, q1: &Tensor, pass: &mut Pass) -> Result<Tensor> {
        let x = Tensor::cat(&[q0, q1], 1)?; // [batch, 2·bits]
        self.logits.forward(&self.hidden.forward(&x, pass)?) // [batch, actions]
    }
}
