//! A trained model loaded from its run directory, with the image- and bit-level
//! functions that extraction and planning use: `encode`, `decode`, `apply`
//! (batch norm frozen: exactly STRIPS), `action_of`, and the AMA4+ `regress`.
//! States are bit vectors `Vec<u8>` of 0/1 of length `bits()`.

use std::path::Path;

use anyhow::{bail, Context};
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};

use super::csae::CubeSpaceAe;
use super::data::{images_to_input, output_to_images, Normalization};
use super::params;
use super::run::{RunConfig, RunDir};
use crate::domain::Image;

/// Images or states per forward pass.
const CHUNK: usize = 512;

/// A trained Cube-Space AE.
pub struct Model {
    /// The run's `config.json`.
    pub config: RunConfig,
    net: CubeSpaceAe,
    norm: Normalization,
    device: Device,
    _varmap: VarMap,
}

impl Model {
    /// Loads the model in run directory `dir`; a missing, corrupt or mismatched
    /// file is an error that names it.
    pub fn load(dir: &Path, device: &Device) -> anyhow::Result<Model> {
        let run = RunDir::new(dir);
        let config = run.read_config()?;
        let norm = run.read_normalization(&config, device)?;
        let varmap = VarMap::new();
        let net = CubeSpaceAe::new(
            &config.model,
            VarBuilder::from_varmap(&varmap, DType::F32, device),
        )
        .with_context(|| format!("cannot build the network of {}", run.config().display()))?;
        let path = run.model();
        let loaded = params::load(&path, device)?;
        params::assign(&varmap, &loaded.tensors, &path)?;
        Ok(Model {
            config,
            net,
            norm,
            device: device.clone(),
            _varmap: varmap,
        })
    }

    /// Number of latent bits.
    pub fn bits(&self) -> usize {
        self.config.model.bits
    }

    /// Number of action labels (used or not).
    pub fn actions(&self) -> usize {
        self.config.model.actions
    }

    /// True for an AMA4+ model (one with `regress`).
    pub fn has_regression(&self) -> bool {
        self.config.model.variant == super::Variant::Ama4Plus
    }

    /// The bits of each image. Every image must have the model's shape.
    pub fn encode(&self, images: &[Image]) -> anyhow::Result<Vec<Vec<u8>>> {
        let shape = self.config.model.shape;
        if let Some(bad) = images.iter().find(|im| im.shape() != shape) {
            bail!("the image is {}, this model reads {shape}", bad.shape());
        }
        let mut out = Vec::with_capacity(images.len());
        for chunk in images.chunks(CHUNK) {
            let x = images_to_input(chunk, shape, &self.norm, &self.device)?; // [n, h, w, c]
            out.extend(to_bits(&self.net.encode(&x)?)?);
        }
        Ok(out)
    }

    /// The image each bit vector decodes to.
    pub fn decode(&self, states: &[Vec<u8>]) -> anyhow::Result<Vec<Image>> {
        let mut out = Vec::with_capacity(states.len());
        for chunk in states.chunks(CHUNK) {
            let y = self.net.decode(&self.bits_tensor(chunk)?)?; // [n, h, w, c]
            out.extend(output_to_images(
                &y,
                self.config.model.output,
                &self.norm,
                self.config.model.shape,
            )?);
        }
        Ok(out)
    }

    /// The action label of each transition `before[i] -> after[i]`.
    pub fn action_of(&self, before: &[Vec<u8>], after: &[Vec<u8>]) -> anyhow::Result<Vec<usize>> {
        if before.len() != after.len() {
            bail!(
                "action_of needs as many successors ({}) as states ({})",
                after.len(),
                before.len()
            );
        }
        let mut out = Vec::with_capacity(before.len());
        for (b, a) in before.chunks(CHUNK).zip(after.chunks(CHUNK)) {
            let labels = self
                .net
                .action_of(&self.bits_tensor(b)?, &self.bits_tensor(a)?)?; // [n]
            out.extend(labels.to_vec1::<u32>()?.into_iter().map(|l| l as usize));
        }
        Ok(out)
    }

    /// APPLY(z, a) with batch norm frozen, for each pair `(states[i], actions[i])`.
    pub fn apply(&self, states: &[Vec<u8>], actions: &[usize]) -> anyhow::Result<Vec<Vec<u8>>> {
        self.transition(states, actions, false)
    }

    /// The AMA4+ regression REGRESS(z1, a): the predecessor the network predicts.
    /// An error for an AMA3+ model.
    pub fn regress(&self, states: &[Vec<u8>], actions: &[usize]) -> anyhow::Result<Vec<Vec<u8>>> {
        if !self.has_regression() {
            bail!("this is an AMA3+ model: it has no regression network (train an AMA4+ preset)");
        }
        self.transition(states, actions, true)
    }

    fn transition(
        &self,
        states: &[Vec<u8>],
        actions: &[usize],
        backward: bool,
    ) -> anyhow::Result<Vec<Vec<u8>>> {
        if states.len() != actions.len() {
            bail!("{} states but {} actions", states.len(), actions.len());
        }
        if let Some(&a) = actions.iter().find(|&&a| a >= self.actions()) {
            bail!(
                "action label {a} is out of range: the model has {} labels",
                self.actions()
            );
        }
        let mut out = Vec::with_capacity(states.len());
        for (s, a) in states.chunks(CHUNK).zip(actions.chunks(CHUNK)) {
            let z = self.bits_tensor(s)?; // [n, bits]
            let a = self.one_hot(a)?; // [n, actions]
            let next = if backward {
                self.net.regress(&z, &a)?
            } else {
                Some(self.net.apply(&z, &a)?)
            };
            out.extend(to_bits(
                &next.context("the network has no regression head")?,
            )?);
        }
        Ok(out)
    }

    fn bits_tensor(&self, states: &[Vec<u8>]) -> anyhow::Result<Tensor> {
        let f = self.bits();
        if let Some(bad) = states
            .iter()
            .find(|s| s.len() != f || s.iter().any(|&b| b > 1))
        {
            bail!("a state must be {f} bits of 0/1, got {} values", bad.len());
        }
        let data: Vec<f32> = states
            .iter()
            .flat_map(|s| s.iter().map(|&b| f32::from(b)))
            .collect();
        Ok(Tensor::from_vec(data, (states.len(), f), &self.device)?)
    }

    /// # Shapes
    /// result: `[labels.len(), actions]`.
    fn one_hot(&self, labels: &[usize]) -> anyhow::Result<Tensor> {
        let n = self.actions();
        let mut data = vec![0f32; labels.len() * n];
        for (i, &l) in labels.iter().enumerate() {
            data[i * n + l] = 1.0;
        }
        Ok(Tensor::from_vec(data, (labels.len(), n), &self.device)?)
    }
}

/// 0/1 rows of a `[n, bits]` tensor of hard bits.
fn to_bits(t: &Tensor) -> anyhow::Result<Vec<Vec<u8>>> {
    Ok(t.to_vec2::<f32>()?
        .into_iter()
        .map(|row| row.into_iter().map(|v| u8::from(v > 0.5)).collect())
        .collect())
}
