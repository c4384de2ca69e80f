//! Variables: seeded initialization (candle's CPU initializers cannot be seeded)
//! and safetensors files written atomically and read with errors that name the file.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::VarMap;
use rand::Rng as _;
use safetensors::tensor::{Dtype, TensorView};

use crate::util::{write_atomic, Rng};

/// True for batch-norm running statistics: variables the optimizer does not touch.
pub fn is_statistic(name: &str) -> bool {
    name.ends_with("running_mean") || name.ends_with("running_var")
}

/// The variables of `varmap` sorted by name.
pub fn sorted_vars(varmap: &VarMap) -> Vec<(String, Var)> {
    let data = varmap
        .data()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut vars: Vec<(String, Var)> = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars
}

/// Re-initializes every variable from `rng`, in name order, as Keras does:
/// matrices and kernels He-uniform (`U(±√(6/fan_in))`), biases and batch-norm
/// shifts 0, batch-norm scales 1, running means 0 and variances 1.
pub fn initialize(varmap: &VarMap, rng: &mut Rng) -> candle_core::Result<()> {
    for (name, var) in sorted_vars(varmap) {
        let t = var.as_tensor();
        let dims = t.dims().to_vec();
        let value =
            if name.ends_with("running_var") || (name.ends_with("weight") && dims.len() == 1) {
                t.ones_like()?
            } else if dims.len() >= 2 {
                // Linear [out, in]; Conv2d [out, in, k, k]; ConvTranspose2d [in, out, k, k].
                let fan_in: usize = dims[1..].iter().product();
                let limit = (6.0 / fan_in as f32).sqrt();
                let data: Vec<f32> = (0..t.elem_count())
                    .map(|_| rng.random_range(-limit..limit))
                    .collect();
                Tensor::from_vec(data, dims.as_slice(), t.device())?
            } else {
                t.zeros_like()?
            };
        var.set(&value)?;
    }
    Ok(())
}

/// Serializes named `f32` tensors (and string metadata) as safetensors bytes.
pub fn to_bytes(
    tensors: &[(String, Tensor)],
    metadata: Option<HashMap<String, String>>,
) -> anyhow::Result<Vec<u8>> {
    let mut raw = Vec::with_capacity(tensors.len());
    for (name, t) in tensors {
        let values = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        raw.push((name.clone(), t.dims().to_vec(), bytes));
    }
    let views = raw
        .iter()
        .map(|(name, dims, bytes)| {
            Ok((
                name.as_str(),
                TensorView::new(Dtype::F32, dims.clone(), bytes)?,
            ))
        })
        .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()?;
    Ok(safetensors::tensor::serialize(views, metadata)?)
}

/// Writes named tensors to `path` atomically.
pub fn save(
    path: &Path,
    tensors: &[(String, Tensor)],
    metadata: Option<HashMap<String, String>>,
) -> anyhow::Result<()> {
    let bytes = to_bytes(tensors, metadata)
        .with_context(|| format!("cannot serialize {}", path.display()))?;
    write_atomic(path, &bytes)
}

/// The contents of a safetensors file: tensors on `device` and its metadata.
pub struct Loaded {
    /// Tensors by name.
    pub tensors: HashMap<String, Tensor>,
    /// The header's string metadata (empty when there is none).
    pub metadata: HashMap<String, String>,
}

/// Reads a safetensors file of `f32` tensors; a truncated or corrupt file is an
/// error that names it.
pub fn load(path: &Path, device: &Device) -> anyhow::Result<Loaded> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let parsed = safetensors::SafeTensors::deserialize(&bytes).with_context(|| {
        format!(
            "{} is not a valid safetensors file (corrupt or truncated?)",
            path.display()
        )
    })?;
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
        .with_context(|| format!("{} has an unreadable header", path.display()))?;
    let mut tensors = HashMap::new();
    for (name, view) in parsed.tensors() {
        if view.dtype() != Dtype::F32 {
            bail!(
                "{}: tensor {name} is {:?}, expected F32",
                path.display(),
                view.dtype()
            );
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        tensors.insert(name, Tensor::from_vec(values, view.shape(), device)?);
    }
    let metadata = header.metadata().clone().unwrap_or_default();
    Ok(Loaded { tensors, metadata })
}

/// The variables of `varmap` as named tensors (weights and running statistics).
pub fn named_tensors(varmap: &VarMap) -> Vec<(String, Tensor)> {
    sorted_vars(varmap)
        .into_iter()
        .map(|(name, var)| (name, var.as_tensor().clone()))
        .collect()
}

/// Sets every variable of `varmap` from `tensors`; a missing variable or a shape
/// mismatch is an error naming `path` and the variable.
pub fn assign(
    varmap: &VarMap,
    tensors: &HashMap<String, Tensor>,
    path: &Path,
) -> anyhow::Result<()> {
    for (name, var) in sorted_vars(varmap) {
        let Some(t) = tensors.get(&name) else {
            bail!(
                "{} lacks the weight {name}: it was not written for this model configuration",
                path.display()
            );
        };
        if t.dims() != var.as_tensor().dims() {
            bail!(
                "{}: weight {name} has shape {:?}, the model configuration expects {:?}",
                path.display(),
                t.dims(),
                var.as_tensor().dims()
            );
        }
        var.set(t)?;
    }
    Ok(())
}
