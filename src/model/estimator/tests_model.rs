//! The estimators inside the network: configuration, and one training step each.

use candle_core::backprop::GradStore;
use candle_core::Device;

use super::*;
use crate::domain::Shape;
use crate::model::config::{Arch, ModelConfig, Preset};
use crate::model::data::{batch, Normalization, Pairs};
use crate::model::loss::summarize;
use crate::model::nets::Pass;
use crate::model::params::sorted_vars;
use crate::model::train::Session;
use crate::model::workflow::configure;

#[test]
fn config_selects_the_estimator_and_old_configs_load() {
    let shape = Shape::gray(6, 6);
    let sets = [
        "model.estimator=rloo".to_string(),
        "model.estimator_options.samples=3".into(),
    ];
    let (m, _) = configure(Preset::Tiny, shape, 1, None, &sets).unwrap();
    assert_eq!(m.estimator, EstimatorKind::Rloo);
    assert_eq!(m.estimator_options.samples, 3);
    let (default, _) = configure(Preset::Tiny, shape, 1, None, &[]).unwrap();
    assert_eq!(default.estimator, EstimatorKind::BinaryConcrete);
    let err = configure(
        Preset::Tiny,
        shape,
        1,
        None,
        &["model.estimator=nope".into()],
    );
    let err = format!("{:#}", err.unwrap_err());
    assert!(
        err.contains("model setting") && err.contains("nope"),
        "{err}"
    );
    let mut old = serde_json::to_value(&m).unwrap();
    let fields = old.as_object_mut().unwrap();
    fields.remove("estimator");
    fields.remove("estimator_options");
    let back: ModelConfig = serde_json::from_value(old).unwrap();
    assert_eq!(back.estimator, EstimatorKind::BinaryConcrete);
    assert_eq!(back.estimator_options, EstimatorOptions::default());
    let bad = EstimatorOptions {
        samples: 1,
        ..EstimatorOptions::default()
    };
    assert!(bad.validate().unwrap_err().contains("samples"));
}

fn small_model(kind: EstimatorKind, shape: Shape) -> (ModelConfig, crate::model::TrainConfig) {
    let (mut model, train) = Preset::Tiny.configs(shape, 1);
    model.arch = Arch::Mlp { hidden: vec![16] };
    model.bits = 8;
    model.actions = 6;
    model.action_hidden = 16;
    model.estimator = kind;
    (model, train)
}

/// Checks that every encoder and decoder weight got a finite, non-zero gradient.
fn check_gradients(kind: EstimatorKind, s: &Session, grads: &GradStore) {
    for (name, var) in sorted_vars(&s.varmap) {
        let net = name.starts_with("encoder") || name.starts_with("decoder");
        if !(net && name.ends_with("weight")) {
            continue;
        }
        let g = grads
            .get(var.as_tensor())
            .unwrap_or_else(|| panic!("{kind:?}: no gradient for {name}"));
        let size = g.abs().unwrap().sum_all().unwrap();
        let size = size.to_scalar::<f32>().unwrap();
        assert!(size.is_finite() && size > 0.0, "{kind:?} {name}: {size}");
    }
}

/// One step of every estimator: finite gradients reach the encoder and decoder,
/// and the estimators that need them recorded the z, label and z2 sites.
#[test]
fn every_estimator_trains_a_step_of_the_network() {
    let shape = Shape::gray(6, 6);
    let n = 6;
    let pre: Vec<u8> = (0..n * shape.len())
        .map(|i| if i % 3 == 0 { 255 } else { 0 })
        .collect();
    let suc: Vec<u8> = pre.iter().rev().copied().collect();
    let pairs = Pairs {
        shape,
        pre: &pre,
        suc: &suc,
    };
    for kind in EstimatorKind::ALL {
        let (model, train) = small_model(kind, shape);
        let norm = Normalization::from_pairs(&pairs, 0..n);
        let s = Session::new(&model, &train, norm, &Device::Cpu).unwrap();
        let est = s.model.estimator();
        let rows = (0..n).collect::<Vec<_>>().repeat(est.samples());
        let b = batch(&pairs, &rows, &s.norm, model.output, &Device::Cpu).unwrap();
        let mut noise = Noise::new(crate::util::rng(1, 2));
        let mut pass = Pass::Train {
            noise: &mut noise,
            tau: 1.0,
        };
        let terms = s.model.terms(&b.x0, &b.x1, &b.t0, &b.t1, &mut pass);
        let terms = terms.unwrap();
        use EstimatorKind::{Aimle, Imle, Reinforce, Rloo};
        let recorded = matches!(kind, Reinforce | Rloo | Imle | Aimle);
        assert_eq!(terms.sites.len(), if recorded { 3 } else { 0 }, "{kind:?}");
        let (losses, _) = summarize(&terms, &model).unwrap();
        assert_eq!(losses.dims(), &[rows.len()]);
        let grads = est.gradients(&losses, &terms.sites).unwrap();
        check_gradients(kind, &s, &grads);
    }
}
