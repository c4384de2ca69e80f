//! The estimators against values computed independently (ESTIMATORS §10): sample
//! frequencies, gradients of a linear decoder `f(z) = <w, z>` (exact gradient
//! `w ⊙ σ'(l)`), KL against enumeration, binary and categorical GST against a
//! direct `f64` port of the authors' `gst_mover`, and the IGR prior.

use candle_core::{Device, Tensor, Var};

use super::*;
use crate::model::noise::Noise;
use crate::model::numerics::{binary_concrete, kl_bernoulli_const};
use crate::util::rng;

const ALL: [EstimatorKind; 10] = EstimatorKind::ALL;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `Φ(x)` by Simpson's rule on the normal density (independent of candle's `erf`).
fn phi(x: f64) -> f64 {
    let n = 4000;
    let h = x / n as f64;
    let density = |t: f64| (-t * t / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let inner: f64 = (1..n)
        .map(|i| density(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
        .sum();
    0.5 + h / 3.0 * (density(0.0) + inner + density(x))
}

/// `rows` copies of `logits` as a leaf variable `[rows, width]`.
fn leaf(logits: &[f32], rows: usize) -> Var {
    let data: Vec<f32> = (0..rows).flat_map(|_| logits.iter().copied()).collect();
    Var::from_vec(data, (rows, logits.len()), &Device::Cpu).unwrap()
}

/// Draws bits (or labels) of `rows` copies of `logits`; returns the leaf, the code and the sites.
fn draw(
    est: &dyn Estimator,
    logits: &[f32],
    rows: usize,
    labels: bool,
    tau: f64,
) -> (Var, Tensor, Vec<Site>) {
    let l = leaf(logits, rows);
    let mut noise = Noise::new(rng(5, 7));
    let mut sites = Vec::new();
    let mut d = Draw {
        noise: &mut noise,
        tau,
        sites: &mut sites,
    };
    let code = if labels {
        est.labels(l.as_tensor(), &mut d).unwrap()
    } else {
        est.bits(l.as_tensor(), &mut d).unwrap()
    };
    (l, code, sites)
}

fn column_means(t: &Tensor) -> Vec<f64> {
    let v = t.mean(0).unwrap().to_vec1::<f32>().unwrap();
    v.into_iter().map(f64::from).collect()
}

#[test]
fn names_match_the_config_spelling() {
    for kind in ALL {
        let json = serde_json::to_value(kind).unwrap();
        assert_eq!(json.as_str(), Some(kind.name()));
        let back: EstimatorKind = serde_json::from_value(json).unwrap();
        assert_eq!(back, kind);
    }
}

#[test]
fn bit_codes_have_the_posterior_frequencies() {
    let l = [-1.5f32, 0.2, 2.0];
    for kind in ALL {
        let est = kind.build(&EstimatorOptions::default());
        let (_, code, _) = draw(est.as_ref(), &l, 6000, false, 0.7);
        let hard = code
            .gt(0.5)
            .unwrap()
            .to_dtype(candle_core::DType::F32)
            .unwrap();
        for (j, m) in column_means(&hard).into_iter().enumerate() {
            let want = match kind {
                EstimatorKind::Igr => phi(f64::from(l[j])),
                _ => sigmoid(f64::from(l[j])),
            };
            assert!((m - want).abs() < 0.03, "{kind:?} bit {j}: {m} vs {want}");
        }
    }
}

#[test]
fn label_codes_have_the_softmax_frequencies() {
    let theta = [0.5f32, -1.0, 1.2, 0.0];
    let z: f64 = theta.iter().map(|&t| f64::from(t).exp()).sum();
    for kind in ALL {
        let est = kind.build(&EstimatorOptions::default());
        let (_, code, _) = draw(est.as_ref(), &theta, 6000, true, 0.7);
        let hard = crate::model::numerics::one_hot_argmax(&code).unwrap();
        for (k, m) in column_means(&hard).into_iter().enumerate() {
            let want = f64::from(theta[k]).exp() / z;
            assert!((m - want).abs() < 0.03, "{kind:?} label {k}: {m} vs {want}");
        }
    }
}

/// The mean over rows of the per-row gradient estimate of `E[<w, z>]` w.r.t. the logits.
fn linear_decoder_gradient(est: &dyn Estimator, l: &[f32], w: &[f32], rows: usize) -> Vec<f64> {
    let rows = rows * est.samples();
    let (var, code, sites) = draw(est, l, rows, false, 1.0);
    let w = Tensor::from_slice(w, (w.len(), 1), &Device::Cpu).unwrap();
    let losses = code.matmul(&w).unwrap().squeeze(1).unwrap(); // [rows]
    let grads = est.gradients(&losses, &sites).unwrap();
    let g = grads.get(var.as_tensor()).unwrap();
    column_means(&(g * rows as f64).unwrap())
}

const L: [f32; 3] = [-1.0, 0.3, 1.5];
const W: [f32; 3] = [1.0, -2.0, 0.5];

fn exact_gradient(j: usize) -> f64 {
    let s = sigmoid(f64::from(L[j]));
    f64::from(W[j]) * s * (1.0 - s)
}

#[test]
fn score_function_gradients_are_unbiased_for_a_linear_decoder() {
    for kind in [EstimatorKind::Reinforce, EstimatorKind::Rloo] {
        let est = kind.build(&EstimatorOptions::default());
        let got = linear_decoder_gradient(est.as_ref(), &L, &W, 40_000);
        for (j, g) in got.into_iter().enumerate() {
            let want = exact_gradient(j);
            assert!((g - want).abs() < 0.02, "{kind:?} bit {j}: {g} vs {want}");
        }
    }
}

#[test]
fn st_sigmoid_matches_the_exact_gradient_at_unit_temperature() {
    let got = linear_decoder_gradient(&StBernoulli, &L, &W, 10);
    for (j, g) in got.into_iter().enumerate() {
        assert!((g - exact_gradient(j)).abs() < 1e-5, "bit {j}: {g}");
    }
}

#[test]
fn imle_over_lambda_matches_its_finite_difference_and_the_exact_gradient() {
    let lambda = 0.1;
    let got = linear_decoder_gradient(&Imle { lambda }, &L, &W, 60_000);
    for (j, g) in got.into_iter().enumerate() {
        let (l, w) = (f64::from(L[j]), f64::from(W[j]));
        // E[z − z'] = σ(l) − σ(l − λw) for logistic noise (ESTIMATORS §6.2).
        let finite = (sigmoid(l) - sigmoid(l - lambda * w)) / lambda;
        assert!((g - finite).abs() < 0.035, "bit {j}: {g} vs {finite}");
        assert!((finite - exact_gradient(j)).abs() < 0.03, "bit {j}");
    }
}

#[test]
fn aimle_central_difference_and_beta_adaptation() {
    let (rows, beta) = (60_000, 0.05);
    let (_, _, sites) = draw(
        &Aimle::new(&EstimatorOptions::default()),
        &L,
        rows,
        false,
        1.0,
    );
    let w = Tensor::new(&W, &Device::Cpu).unwrap().unsqueeze(0).unwrap();
    let g = w.broadcast_as((rows, 3)).unwrap().contiguous().unwrap(); // [rows, 3]
    let (estimate, _) = imle::aimle_estimate(&sites[0], &g, beta).unwrap();
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(x * x)).sum::<f64>().sqrt();
    let lambda = beta * norm(&L) / norm(&W); // the rows cancel in the ratio of norms
    for (j, m) in column_means(&estimate).into_iter().enumerate() {
        let (l, w) = (f64::from(L[j]), f64::from(W[j]));
        let want = (sigmoid(l + lambda * w) - sigmoid(l - lambda * w)) / (2.0 * lambda);
        assert!((m - want).abs() < 0.04, "bit {j}: {m} vs {want}");
    }
    for (target, grows) in [(1.0, true), (0.0, false)] {
        let opts = EstimatorOptions {
            aimle_target: target,
            ..EstimatorOptions::default()
        };
        let est = Aimle::new(&opts);
        linear_decoder_gradient(&est, &L, &W, 50);
        let b = est.betas()[0];
        assert_eq!(b > opts.aimle_beta, grows, "target {target}: β {b}");
    }
}

#[test]
fn pathwise_estimators_have_the_relaxation_slope() {
    // Binary Concrete and IGR feed y = σ(x/τ): the gradient is w·y(1 − y)/τ.
    let tau = 0.7;
    for est in [&BinaryConcrete as &dyn Estimator, &Igr] {
        let (var, y, sites) = draw(est, &L, 50, false, tau);
        let w = Tensor::new(&W, &Device::Cpu).unwrap();
        let losses = y.broadcast_mul(&w).unwrap().sum(1).unwrap();
        let g = est.gradients(&losses, &sites).unwrap();
        let g = (g.get(var.as_tensor()).unwrap() * 50.0).unwrap();
        let want = ((&y * (1.0 - &y).unwrap())
            .unwrap()
            .broadcast_mul(&w)
            .unwrap()
            / tau)
            .unwrap();
        let err = (g - want).unwrap().abs().unwrap().max_all().unwrap();
        assert!(err.to_scalar::<f32>().unwrap() < 1e-5);
    }
}

#[test]
fn binary_concrete_draws_the_noise_of_the_model_before_estimators() {
    let (var, y, _) = draw(&BinaryConcrete, &L, 20, false, 0.5);
    let u = Noise::new(rng(5, 7))
        .uniform((20, 3), &Device::Cpu)
        .unwrap();
    let old = binary_concrete(var.as_tensor(), &u, 0.5).unwrap();
    assert_eq!(y.to_vec2::<f32>().unwrap(), old.to_vec2::<f32>().unwrap());
}

#[test]
fn st_concrete_slope_is_at_the_noisy_logit() {
    let tau = 0.5;
    let (var, y, _) = draw(&StConcrete, &L, 30, false, tau);
    let u = Noise::new(rng(5, 7))
        .uniform((30, 3), &Device::Cpu)
        .unwrap();
    let s = binary_concrete(var.as_tensor(), &u, tau).unwrap().detach();
    let hard = s
        .gt(0.5)
        .unwrap()
        .to_dtype(candle_core::DType::F32)
        .unwrap();
    assert_eq!(y.to_vec2::<f32>().unwrap(), hard.to_vec2::<f32>().unwrap());
    let g = y.sum_all().unwrap().backward().unwrap();
    let want = ((&s * (1.0 - &s).unwrap()).unwrap() / tau).unwrap();
    let err = (g.get(var.as_tensor()).unwrap() - want)
        .unwrap()
        .abs()
        .unwrap();
    assert!(err.max_all().unwrap().to_scalar::<f32>().unwrap() < 1e-5);
}

#[path = "tests_kl_gst.rs"]
mod kl_gst;

#[path = "tests_model.rs"]
mod model;
