//! The Cube-Space AutoEncoder (Latplan JAIR-22 §2.2, AMA3+ and AMA4+): encoder,
//! Binary Concrete bits, action encoder with Gumbel-Softmax, action priors,
//! back-to-logit effect `z2 = BC(BN(z0) + BN(W a))` and, for AMA4+, the regression
//! `z3 = BC(BN(z1) + BN(W' a))`. With batch norm frozen (eval mode) APPLY is
//! exactly a STRIPS action: each bit is added, deleted or kept.

use candle_core::{Module, Result, Tensor};
use candle_nn::{
    batch_norm, linear, linear_no_bias, ops, BatchNorm, BatchNormConfig, Linear, ModuleT,
    VarBuilder, VarMap,
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
        self.state_term(z, train)? + self.effect_term(a, train)? // [batch, bits]
    }

    /// `exp(s) ⊙ state_bn(z)`: `[batch, bits]` -> `[batch, bits]`.
    fn state_term(&self, z: &Tensor, train: bool) -> Result<Tensor> {
        let scale = self.state_log_scale.exp()?; // [bits], positive
        self.state_bn.forward_t(z, train)?.broadcast_mul(&scale)
    }

    /// `action_bn(W a)`: `[batch, actions]` -> `[batch, bits]`.
    fn effect_term(&self, a: &Tensor, train: bool) -> Result<Tensor> {
        self.action_bn.forward_t(&self.action.forward(a)?, train)
    }

    /// The column of `action`'s weight that makes a label, with frozen batch norm,
    /// turn the 0/1 state `from` into `to` with a logit margin of [`SEED_MARGIN`]:
    /// bits that go 0→1 are added, 1→0 deleted, the others kept.
    pub fn seeded_column(&self, from: &[f32], to: &[f32]) -> Result<Vec<f32>> {
        let bits = from.len();
        let device = self.state_log_scale.device();
        let row = |v: f32| -> Result<Vec<f32>> {
            let s = self.state_term(&Tensor::full(v, (1, bits), device)?, false)?;
            s.squeeze(0)?.to_vec1::<f32>()
        };
        let (s0, s1) = (row(0.0)?, row(1.0)?);
        let mean = self.action_bn.running_mean().to_vec1::<f32>()?;
        let var = self.action_bn.running_var().to_vec1::<f32>()?;
        let (gamma, beta) = match self.action_bn.weight_and_bias() {
            Some((g, b)) => (g.to_vec1::<f32>()?, b.to_vec1::<f32>()?),
            None => (vec![1.0; bits], vec![0.0; bits]),
        };
        let eps = self.action_bn.eps() as f32;
        Ok((0..bits)
            .map(|j| {
                let effect = match (from[j] > 0.5, to[j] > 0.5) {
                    (false, true) => SEED_MARGIN - s0[j],
                    (true, false) => -SEED_MARGIN - s1[j],
                    _ => -(s0[j] + s1[j]) / 2.0,
                };
                // Invert the frozen batch norm; a vanished scale leaves the bit at the mean.
                let g = if gamma[j].abs() < 1e-3 {
                    f32::INFINITY
                } else {
                    gamma[j]
                };
                (effect - beta[j]) * (var[j] + eps).sqrt() / g + mean[j]
            })
            .collect())
    }

    /// The per-label tables of [`BackToLogit::label_costs`] (frozen batch norm):
    /// the effects and `softplus(s(1) + e_a)`, `softplus(s(0) + e_a)`. They
    /// depend on the weights only, so one E step makes them once for all chunks.
    pub fn cost_tables(&self) -> Result<CostTables> {
        let (bits, labels) = self.action.weight().dims2()?; // Linear: [out, in]
        let device = self.state_log_scale.device();
        let eye = Tensor::eye(labels, candle_core::DType::F32, device)?; // [actions, actions]
        let effects = self.effect_term(&eye, false)?; // [actions, bits]
        let table = |v: f32| -> Result<Tensor> {
            let s = self.state_term(&Tensor::full(v, (1, bits), device)?, false)?; // [1, bits]
            numerics::softplus(&effects.broadcast_add(&s)?)?.t() // [bits, actions]
        };
        Ok(CostTables {
            on: table(1.0)?,
            off: table(0.0)?,
            effects,
        })
    }

    /// Frozen-BN cross-entropy of the target bits `t` under every label applied to
    /// the 0/1 states `z`: `Σ_bits BCE(t, APPLY logits(z, a))` for each `a`. As every
    /// state bit is 0 or 1, the softplus part is two matrix products with the
    /// per-label tables `softplus(s(0) + e_a)` and `softplus(s(1) + e_a)`
    /// ([`BackToLogit::cost_tables`], made by the caller).
    ///
    /// # Shapes
    /// `z`, `t`: `[n, bits]` -> `[n, actions]`.
    pub fn label_costs(&self, tables: &CostTables, z: &Tensor, t: &Tensor) -> Result<Tensor> {
        let on = z.matmul(&tables.on)?; // [n, actions]
        let off = z.affine(-1.0, 1.0)?.matmul(&tables.off)?; // [n, actions]
        let fit_state = (t * self.state_term(z, false)?)?.sum_keepdim(1)?; // [n, 1]
        let fit_effect = t.matmul(&tables.effects.t()?)?; // [n, actions]
        (on + off)?.broadcast_sub(&fit_state)? - fit_effect
    }
}

/// Per-label tables of the whole network for [`CubeSpaceAe::label_costs`].
pub struct LabelCostTables {
    apply: CostTables,
    regress: Option<CostTables>,
}

/// Per-label tables of one APPLY or REGRESS head for [`BackToLogit::label_costs`].
pub struct CostTables {
    /// `softplus(s(1) + e_a)`: `[bits, actions]`.
    on: Tensor,
    /// `softplus(s(0) + e_a)`: `[bits, actions]`.
    off: Tensor,
    /// The effects `e_a`: `[actions, bits]`.
    effects: Tensor,
}

/// Logit margin of a seeded effect (see [`BackToLogit::seeded_column`]).
pub const SEED_MARGIN: f32 = 4.0;

/// One-hot rows of `labels`: `[batch]` u32 -> `[batch, classes]` f32.
fn labels_one_hot(labels: &Tensor, classes: usize) -> Result<Tensor> {
    let range = Tensor::arange(0u32, classes as u32, labels.device())?.unsqueeze(0)?; // [1, classes]
    range
        .broadcast_eq(&labels.unsqueeze(1)?)?
        .to_dtype(candle_core::DType::F32)
}

/// Per-sample `−log softmax(logits)[label]`: `[batch, classes]`, `[batch]` u32 -> `[batch]`.
fn cross_entropy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    candle_nn::ops::log_softmax(logits, 1)?
        .gather(&labels.unsqueeze(1)?, 1)?
        .squeeze(1)?
        .neg()
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

    /// Frozen-BN cost of each label for each transition `z0 -> z1` (hard codes):
    /// APPLY's successor cross-entropy, plus REGRESS's predecessor cross-entropy
    /// for AMA4+. The action refinement assigns each transition its cheapest label.
    /// `tables`: [`CubeSpaceAe::cost_tables`] of the current weights.
    ///
    /// # Shapes
    /// `z0`, `z1`: `[n, bits]` -> `[n, actions]`.
    pub fn label_costs(
        &self,
        tables: &LabelCostTables,
        z0: &Tensor,
        z1: &Tensor,
    ) -> Result<Tensor> {
        let forward = self.apply.label_costs(&tables.apply, z0, z1)?;
        match (&self.regress, &tables.regress) {
            (Some(regress), Some(back)) => forward + regress.label_costs(back, z1, z0)?,
            _ => Ok(forward),
        }
    }

    /// The per-label tables of [`CubeSpaceAe::label_costs`] (APPLY's, and
    /// REGRESS's for AMA4+), made once per E step.
    pub fn cost_tables(&self) -> Result<LabelCostTables> {
        Ok(LabelCostTables {
            apply: self.apply.cost_tables()?,
            regress: self.regress.as_ref().map(|r| r.cost_tables()).transpose()?,
        })
    }

    /// Sets the effect of each `(label, z0, z1)` so that, with frozen batch norm,
    /// APPLY(z0, label) == z1 (and, for AMA4+, REGRESS(z1, label) == z0): the
    /// action refinement's seeding of an unused label. `varmap` holds this network.
    pub fn seed_labels(
        &self,
        varmap: &VarMap,
        seeds: &[(usize, Vec<f32>, Vec<f32>)],
    ) -> Result<()> {
        let mut heads = vec![("apply", &self.apply, false)];
        if let Some(regress) = &self.regress {
            heads.push(("regress", regress, true));
        }
        let vars = varmap
            .data()
            .lock()
            .expect("the variable map is not poisoned");
        for (name, head, backward) in heads {
            let var = vars.get(&format!("{name}.action.weight")).ok_or_else(|| {
                candle_core::Error::Msg(format!("{name}.action.weight is missing"))
            })?;
            let (bits, labels) = var.dims2()?;
            let mut w = var.as_tensor().flatten_all()?.to_vec1::<f32>()?; // [bits·labels]
            for (label, z0, z1) in seeds {
                let (from, to) = if backward { (z1, z0) } else { (z0, z1) };
                for (j, v) in head.seeded_column(from, to)?.into_iter().enumerate() {
                    w[j * labels + label] = v;
                }
            }
            var.set(&Tensor::from_vec(w, (bits, labels), var.device())?)?;
        }
        Ok(())
    }

    /// The action-refinement objective for transitions `z0 -> z1` (hard codes of the
    /// frozen encoder) with assigned labels, everything in eval mode (frozen batch
    /// norm: what is trained is exactly the STRIPS model that is extracted):
    /// `CE(q(a | z0, z1), label) + CE(p(a | z0), label) + β_d·BCE(z1, APPLY(z0, label))`,
    /// and for AMA4+ the mean with the regression direction's same terms.
    /// Returns the loss, the action cross-entropy and the successor cross-entropy.
    ///
    /// # Shapes
    /// `z0`, `z1`: `[batch, bits]` of 0/1, `labels`: `[batch]` u32; each result `[batch]`.
    pub fn refine_terms(
        &self,
        z0: &Tensor,
        z1: &Tensor,
        labels: &Tensor,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let beta_d = self.cfg.beta_d;
        let a = labels_one_hot(labels, self.cfg.actions)?; // [batch, actions]
        let la = self.action.forward(z0, z1, &mut Pass::Eval)?; // [batch, actions]
        let ce_a = cross_entropy(&la, labels)?; // [batch]
        let ce_p = cross_entropy(&self.prior0.forward(z0)?, labels)?; // [batch]
        let succ = numerics::bce_with_logits(z1, &self.apply.logits(z0, &a, false)?)?; // [batch]
        let forward = ((&ce_a + ce_p)? + (&succ * beta_d)?)?; // [batch]
        let loss = match (&self.regress, &self.prior1) {
            (Some(regress), Some(prior1)) => {
                let ce_p1 = cross_entropy(&prior1.forward(z1)?, labels)?; // [batch]
                let pred = numerics::bce_with_logits(z0, &regress.logits(z1, &a, false)?)?;
                ((forward + ce_p1)? + (pred * beta_d)?)? * 0.5
            }
            _ => Ok(forward),
        }?;
        Ok((loss, ce_a, succ))
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
