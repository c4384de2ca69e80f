//! The Cube-Space AutoEncoder (Latplan JAIR-22 §2.2, AMA3+ and AMA4+): encoder,
//! Binary Concrete bits, action encoder with Gumbel-Softmax, action priors,
//! back-to-logit effect `z2 = BC(BN(z0) + BN(W a))` and, for AMA4+, the regression
//! `z3 = BC(BN(z1) + BN(W' a))`. With batch norm frozen (eval mode) APPLY is
//! exactly a STRIPS action: each bit is added, deleted or kept.

use candle_core::{Module, Result, Tensor};
use candle_nn::{
    batch_norm, linear, linear_no_bias, ops, BatchNorm, BatchNormConfig, Linear, ModuleT,
    VarBuilder,
};

use super::config::{ModelConfig, Output, Variant};
use super::estimator::{Draw, Estimator, Site};
use super::nets::{bn, ActionEncoder, Decoder, Encoder, Pass};
use super::numerics::{self, one_hot_argmax, step};

/// Back-to-logit transition: `logits = exp(s) ⊙ state_bn(z) + action_bn(action(a))`,
/// with `state_bn` non-affine and a learned positive per-bit scale `exp(s)`: the
/// state term is increasing in every bit, so a frozen transition is exactly STRIPS
/// (Latplan's affine batch norm could learn a negative scale, which negates a bit).
pub struct BackToLogit {
    action: Linear,
    action_bn: BatchNorm,
    state_bn: BatchNorm,
    /// Per-bit log of the (positive) scale of the normalized state, `[bits]`.
    state_log_scale: Tensor,
}

impl BackToLogit {
    /// A transition over `cfg.bits` bits and `cfg.actions` labels.
    pub fn new(cfg: &ModelConfig, vb: VarBuilder) -> Result<Self> {
        Ok(BackToLogit {
            action: linear_no_bias(cfg.actions, cfg.bits, vb.pp("action"))?,
            action_bn: bn(cfg.bits, vb.pp("action_bn"))?,
            // Without an affine scale the state's normalization is increasing in every
            // bit, so a frozen APPLY can only add, delete or keep (never negate) a bit.
            state_bn: batch_norm(
                cfg.bits,
                BatchNormConfig {
                    affine: false,
                    ..Default::default()
                },
                vb.pp("state_bn"),
            )?,
            state_log_scale: vb.get_with_hints(
                cfg.bits,
                "state_log_scale",
                candle_nn::Init::Const(0.0),
            )?,
        })
    }

    /// # Shapes
    /// `z`: `[batch, bits]`, `a`: `[batch, actions]` -> `[batch, bits]`.
    pub fn logits(&self, z: &Tensor, a: &Tensor, train: bool) -> Result<Tensor> {
        let effect = self.action_bn.forward_t(&self.action.forward(a)?, train)?; // [batch, bits]
        let scale = self.state_log_scale.exp()?; // [bits], positive
        let state = self.state_bn.forward_t(z, train)?.broadcast_mul(&scale)?; // [batch, bits]
        state + effect // [batch, bits]
    }
}

/// Per-sample loss terms of one batch, each `[batch]`.
pub struct Terms {
    /// KL(q(z0 | x0) || Bern(ε)).
    pub kl_z0: Tensor,
    /// KL(q(z1 | x1) || Bern(ε)).
    pub kl_z1: Tensor,
    /// KL(q(a | x0, x1) || p(a | z0)).
    pub kl_a_z0: Tensor,
    /// KL(q(z1 | x1) || Bern(σ(l2))): the encoder of x1 against APPLY's prediction.
    pub kl_z1z2: Tensor,
    /// NLL(x0 | z0), NLL(x1 | z1), NLL(x1 | z2).
    pub x0y0: Tensor,
    /// See `x0y0`.
    pub x1y1: Tensor,
    /// See `x0y0`.
    pub x1y2: Tensor,
    /// AMA4+ only: KL(q(a | x0, x1) || p(a | z1)), KL(q(z0 | x0) || Bern(σ(l3))), NLL(x0 | z3).
    pub backward: Option<BackwardTerms>,
    /// The stochastic nodes the estimator recorded (empty unless it needs them).
    pub sites: Vec<Site>,
}

/// The AMA4+ terms of the regression direction, each `[batch]`.
pub struct BackwardTerms {
    /// KL(q(a | x0, x1) || p(a | z1)).
    pub kl_a_z1: Tensor,
    /// KL(q(z0 | x0) || Bern(σ(l3))).
    pub kl_z0z3: Tensor,
    /// NLL(x0 | z3).
    pub x0y3: Tensor,
}

/// The whole network.
pub struct CubeSpaceAe {
    cfg: ModelConfig,
    encoder: Encoder,
    decoder: Decoder,
    action: ActionEncoder,
    apply: BackToLogit,
    prior0: Linear,
    regress: Option<BackToLogit>,
    prior1: Option<Linear>,
    estimator: Box<dyn Estimator>,
}

impl CubeSpaceAe {
    /// The network of `cfg`; its variables live in `vb`.
    pub fn new(cfg: &ModelConfig, vb: VarBuilder) -> Result<Self> {
        let ama4 = cfg.variant == Variant::Ama4Plus;
        Ok(CubeSpaceAe {
            cfg: cfg.clone(),
            encoder: Encoder::new(cfg, vb.pp("encoder"))?,
            decoder: Decoder::new(cfg, vb.pp("decoder"))?,
            action: ActionEncoder::new(cfg, vb.pp("action"))?,
            apply: BackToLogit::new(cfg, vb.pp("apply"))?,
            prior0: linear(cfg.bits, cfg.actions, vb.pp("prior0"))?,
            regress: if ama4 {
                Some(BackToLogit::new(cfg, vb.pp("regress"))?)
            } else {
                None
            },
            prior1: if ama4 {
                Some(linear(cfg.bits, cfg.actions, vb.pp("prior1"))?)
            } else {
                None
            },
            estimator: cfg.estimator.build(&cfg.estimator_options),
        })
    }

    /// The configuration the network was built from.
    pub fn config(&self) -> &ModelConfig {
        &self.cfg
    }

    /// The estimator the network trains with.
    pub fn estimator(&self) -> &dyn Estimator {
        self.estimator.as_ref()
    }

    fn bits_of(&self, logits: &Tensor, pass: &mut Pass, sites: &mut Vec<Site>) -> Result<Tensor> {
        match pass {
            Pass::Train { noise, tau } => {
                let tau = *tau;
                self.estimator.bits(logits, &mut Draw { noise, tau, sites })
            }
            Pass::Eval => step(logits),
        }
    }

    fn label_of(&self, logits: &Tensor, pass: &mut Pass, sites: &mut Vec<Site>) -> Result<Tensor> {
        match pass {
            Pass::Train { noise, tau } => {
                let tau = *tau;
                self.estimator
                    .labels(logits, &mut Draw { noise, tau, sites })
            }
            Pass::Eval => one_hot_argmax(logits),
        }
    }

    fn nll(&self, target: &Tensor, output: &Tensor) -> Result<Tensor> {
        match self.cfg.output {
            Output::Gaussian { sigma } => numerics::gaussian_nll(target, output, sigma),
            Output::Bernoulli => numerics::bce_with_logits(target, output),
        }
    }

    /// All loss terms of a batch of transitions. `x0`, `x1` are normalized inputs;
    /// `t0`, `t1` the reconstruction targets (normalized pixels for a Gaussian
    /// output, raw pixels in [0, 1] for a Bernoulli one).
    ///
    /// # Shapes
    /// `x0`, `x1`, `t0`, `t1`: `[batch, height, width, channels]`; every term `[batch]`.
    pub fn terms(
        &self,
        x0: &Tensor,
        x1: &Tensor,
        t0: &Tensor,
        t1: &Tensor,
        pass: &mut Pass,
    ) -> Result<Terms> {
        let cfg = &self.cfg;
        let b = x0.dim(0)?;
        let train = pass.is_train();
        let mut sites = Vec::new();
        let l = self
            .encoder
            .forward(&Tensor::cat(&[x0, x1], 0)?, cfg, pass)?; // [2b, bits]
        let z = self.bits_of(&l, pass, &mut sites)?; // [2b, bits]
        let lq = self.estimator.q_logits(&l)?; // [2b, bits], logits of q(z = 1 | x)
        let (l0, l1) = (lq.narrow(0, 0, b)?, lq.narrow(0, b, b)?); // [b, bits] each
        let (z0, z1) = (z.narrow(0, 0, b)?, z.narrow(0, b, b)?); // [b, bits] each
        let q = ops::sigmoid(&lq)?; // [2b, bits]
        let la = self
            .action
            .forward(&q.narrow(0, 0, b)?, &q.narrow(0, b, b)?, pass)?; // [b, actions]
        let a = self.label_of(&la, pass, &mut sites)?; // [b, actions]
        let l2 = self.apply.logits(&z0, &a, train)?; // [b, bits]
        let z2 = self.bits_of(&l2, pass, &mut sites)?; // [b, bits]
        let l2 = self.estimator.q_logits(&l2)?; // [b, bits]
        let mut codes = vec![z0.clone(), z1.clone(), z2];
        let mut back = None;
        if let (Some(regress), Some(prior1)) = (&self.regress, &self.prior1) {
            let l3 = regress.logits(&z1, &a, train)?; // [b, bits]
            codes.push(self.bits_of(&l3, pass, &mut sites)?);
            let l3 = self.estimator.q_logits(&l3)?; // [b, bits]
            back = Some((l3, prior1.forward(&z1)?)); // [b, bits], [b, actions]
        }
        let y = self.decoder.forward(&Tensor::cat(&codes, 0)?, cfg, pass)?; // [k·b, h, w, c]
        let kl_a_z0 = numerics::kl_categorical(&la, &self.prior0.forward(&z0)?)?; // [b]
        let backward = match back {
            Some((l3, lp1)) => Some(BackwardTerms {
                kl_a_z1: numerics::kl_categorical(&la, &lp1)?,
                kl_z0z3: numerics::kl_bernoulli(&l0, &l3)?,
                x0y3: self.nll(t0, &y.narrow(0, 3 * b, b)?)?,
            }),
            None => None,
        };
        Ok(Terms {
            kl_z0: numerics::kl_bernoulli_const(&l0, cfg.prior)?,
            kl_z1: numerics::kl_bernoulli_const(&l1, cfg.prior)?,
            kl_a_z0,
            kl_z1z2: numerics::kl_bernoulli(&l1, &l2)?,
            x0y0: self.nll(t0, &y.narrow(0, 0, b)?)?,
            x1y1: self.nll(t1, &y.narrow(0, b, b)?)?,
            x1y2: self.nll(t1, &y.narrow(0, 2 * b, b)?)?,
            backward,
            sites,
        })
    }

    /// The action-refinement objective on hard codes `z0 -> z1` of a frozen encoder,
    /// per sample: `KL(q(a | z0, z1) || p(a | z0)) + β_d·BCE(z1, APPLY logits)` and,
    /// for AMA4+, the mean with the regression direction's same two terms. Returns
    /// the loss, the action KL and the successor cross-entropy, each `[batch]`.
    ///
    /// # Shapes
    /// `z0`, `z1`: `[batch, bits]` of 0/1.
    pub fn action_terms(
        &self,
        z0: &Tensor,
        z1: &Tensor,
        pass: &mut Pass,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let train = pass.is_train();
        let beta_d = self.cfg.beta_d;
        let la = self.action.forward(z0, z1, pass)?; // [b, actions]
        let a = self.label_of(&la, pass)?; // [b, actions]
        let l2 = self.apply.logits(z0, &a, train)?; // [b, bits]
        let kl_a = numerics::kl_categorical(&la, &self.prior0.forward(z0)?)?; // [b]
        let succ = numerics::bce_with_logits(z1, &l2)?; // [b]
        let forward = (&kl_a + (&succ * beta_d)?)?; // [b]
        let loss = match (&self.regress, &self.prior1) {
            (Some(regress), Some(prior1)) => {
                let l3 = regress.logits(z1, &a, train)?; // [b, bits]
                let kl_a1 = numerics::kl_categorical(&la, &prior1.forward(z1)?)?; // [b]
                let pred = numerics::bce_with_logits(z0, &l3)?; // [b]
                ((forward + kl_a1)? + (pred * beta_d)?)? * 0.5
            }
            _ => Ok(forward),
        }?;
        Ok((loss, kl_a, succ))
    }

    /// Bit logits of normalized images (eval mode).
    ///
    /// # Shapes
    /// `x`: `[n, height, width, channels]` -> `[n, bits]`.
    pub fn encode_logits(&self, x: &Tensor) -> Result<Tensor> {
        self.encoder.forward(x, &self.cfg, &mut Pass::Eval)
    }

    /// Hard bits `1[l > 0]` (as `f32` 0/1) of normalized images.
    ///
    /// # Shapes
    /// `x`: `[n, height, width, channels]` -> `[n, bits]`.
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        step(&self.encode_logits(x)?)
    }

    /// Decoder output of bit vectors: pixel logits (Bernoulli) or normalized pixels (Gaussian).
    ///
    /// # Shapes
    /// `z`: `[n, bits]` -> `[n, height, width, channels]`.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        self.decoder.forward(z, &self.cfg, &mut Pass::Eval)
    }

    /// The most likely action label of each transition `z0 -> z1`.
    ///
    /// # Shapes
    /// `z0`, `z1`: `[n, bits]` -> `[n]` (u32).
    pub fn action_of(&self, z0: &Tensor, z1: &Tensor) -> Result<Tensor> {
        self.action.forward(z0, z1, &mut Pass::Eval)?.argmax(1)
    }

    /// APPLY with frozen batch norm: the successor bits of `z` under one-hot actions `a`.
    ///
    /// # Shapes
    /// `z`: `[n, bits]`, `a`: `[n, actions]` -> `[n, bits]`.
    pub fn apply(&self, z: &Tensor, a: &Tensor) -> Result<Tensor> {
        step(&self.apply.logits(z, a, false)?)
    }

    /// AMA4+ regression with frozen batch norm: the predecessor bits of `z1` under `a`;
    /// `None` for an AMA3+ network.
    ///
    /// # Shapes
    /// `z1`: `[n, bits]`, `a`: `[n, actions]` -> `[n, bits]`.
    pub fn regress(&self, z1: &Tensor, a: &Tensor) -> Result<Option<Tensor>> {
        match &self.regress {
            Some(r) => Ok(Some(step(&r.logits(z1, a, false)?)?)),
            None => Ok(None),
        }
    }
}
