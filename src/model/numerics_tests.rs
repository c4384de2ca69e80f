//! Tests of [`super`]: every expected value is computed independently in `f64`
//! beside the test (closed forms by enumeration, analytic derivatives).

use super::*;
use crate::model::noise::Noise;
use candle_core::{Device, Tensor, Var};
use candle_nn::{BatchNorm, ModuleT};

fn sigmoid64(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn vec1(t: &Tensor) -> Vec<f64> {
    t.to_vec1::<f32>()
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect()
}

const LOGITS: [f32; 9] = [-40.0, -12.0, -3.0, -0.5, 0.0, 0.7, 4.0, 15.0, 40.0];

#[test]
fn softplus_matches_definition_and_never_overflows() {
    let x = Tensor::new(&LOGITS, &Device::Cpu).unwrap();
    let got = vec1(&softplus(&x).unwrap());
    for (&l, g) in LOGITS.iter().zip(got) {
        let l = f64::from(l);
        let want = if l > 30.0 { l } else { l.exp().ln_1p() };
        assert!(
            (g - want).abs() < 1e-5 * want.max(1.0),
            "softplus({l}) = {g}, want {want}"
        );
    }
}

/// KL(Bern(q) || Bern(p)) by enumerating the two outcomes.
fn kl_enumerated(q: f64, p: f64) -> f64 {
    let term = |a: f64, b: f64| if a == 0.0 { 0.0 } else { a * (a / b).ln() };
    term(q, p) + term(1.0 - q, 1.0 - p)
}

#[test]
fn bernoulli_kl_matches_enumeration() {
    let dev = Device::Cpu;
    let lp: [f32; 9] = [3.0, -2.0, 0.0, 1.0, -1.0, 5.0, -0.3, 2.0, -6.0];
    let lq_t = Tensor::new(&LOGITS[..], &dev)
        .unwrap()
        .reshape((9, 1))
        .unwrap();
    let lp_t = Tensor::new(&lp[..], &dev).unwrap().reshape((9, 1)).unwrap();
    let got = vec1(&kl_bernoulli(&lq_t, &lp_t).unwrap());
    let got_const = vec1(&kl_bernoulli_const(&lq_t, 0.1).unwrap());
    for i in 0..9 {
        let q = sigmoid64(f64::from(LOGITS[i]));
        let want = kl_enumerated(q, sigmoid64(f64::from(lp[i])));
        assert!(
            (got[i] - want).abs() < 1e-4 * want.max(1.0),
            "KL {i}: {} vs {want}",
            got[i]
        );
        let want = kl_enumerated(q, 0.1);
        assert!(
            (got_const[i] - want).abs() < 1e-4 * want.max(1.0),
            "KL const {i}: {} vs {want}",
            got_const[i]
        );
    }
}

#[test]
fn bernoulli_kl_gradient_survives_large_logits() {
    // d/dl KL(Bern(σ(l)) || Bern(p0)) = σ(l)(1 − σ(l))·(l − logit p0); Latplan's clipping makes it 0 for |l| > 11.5.
    let dev = Device::Cpu;
    let values: [f32; 4] = [-14.0, -2.0, 1.0, 14.0];
    let l = Var::new(&values[..], &dev).unwrap();
    let kl = kl_bernoulli_const(&l.as_tensor().reshape((1, 4)).unwrap(), 0.1).unwrap();
    let grads = kl.sum_all().unwrap().backward().unwrap();
    let got = vec1(grads.get(l.as_tensor()).unwrap());
    let lp = (0.1f64 / 0.9).ln();
    for (&v, g) in values.iter().zip(got) {
        let v = f64::from(v);
        let s = sigmoid64(v);
        let want = s * (1.0 - s) * (v - lp);
        assert!(g != 0.0, "gradient vanished at {v}");
        // f32 cancellation of σ(l) − softplus'(l) costs ~1e-7 absolute.
        assert!(
            (g - want).abs() < 1e-3 * want.abs() + 2e-7,
            "grad at {v}: {g} vs {want}"
        );
    }
}

#[test]
fn categorical_kl_matches_enumeration() {
    let q: [f32; 4] = [2.0, -1.0, 0.5, 30.0];
    let p: [f32; 4] = [0.0, 1.0, -2.0, 3.0];
    let softmax = |v: &[f32]| {
        let z: f64 = v.iter().map(|&x| f64::from(x).exp()).sum();
        v.iter()
            .map(|&x| f64::from(x).exp() / z)
            .collect::<Vec<_>>()
    };
    let (pq, pp) = (softmax(&q), softmax(&p));
    let want: f64 = pq
        .iter()
        .zip(&pp)
        .filter(|(a, _)| **a > 0.0)
        .map(|(a, b)| a * (a / b).ln())
        .sum();
    let dev = Device::Cpu;
    let lq = Tensor::new(&[q], &dev).unwrap();
    let lp = Tensor::new(&[p], &dev).unwrap();
    let got = vec1(&kl_categorical(&lq, &lp).unwrap())[0];
    assert!((got - want).abs() < 1e-4 * want.max(1.0), "{got} vs {want}");
}

#[test]
fn bce_and_gaussian_match_direct_formulas() {
    let dev = Device::Cpu;
    let x: [f32; 4] = [0.0, 1.0, 0.25, 1.0];
    let y: [f32; 4] = [-3.0, 2.0, 0.1, -25.0];
    let xt = Tensor::new(&[x], &dev).unwrap();
    let yt = Tensor::new(&[y], &dev).unwrap();
    let want_bce: f64 = x
        .iter()
        .zip(&y)
        .map(|(&x, &y)| {
            let (x, s) = (f64::from(x), sigmoid64(f64::from(y)));
            // log(1 − σ(y)) = −softplus(y), written out for the −25 entry
            let log_1ms = if s > 0.5 {
                (1.0 - s).ln()
            } else {
                (-s).ln_1p()
            };
            -(x * s.ln() + (1.0 - x) * log_1ms)
        })
        .sum();
    let got = vec1(&bce_with_logits(&xt, &yt).unwrap())[0];
    assert!(
        (got - want_bce).abs() < 1e-4 * want_bce,
        "{got} vs {want_bce}"
    );
    let want_gauss: f64 = x
        .iter()
        .zip(&y)
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2) / 0.02)
        .sum();
    let got = vec1(&gaussian_nll(&xt, &yt, 0.1).unwrap())[0];
    assert!(
        (got - want_gauss).abs() < 1e-4 * want_gauss,
        "{got} vs {want_gauss}"
    );
}

#[test]
fn binary_concrete_threshold_frequency_is_sigmoid() {
    // 1[BC(l) > 1/2] = 1[l + L > 0] ~ Bern(σ(l)) for any τ.
    let dev = Device::Cpu;
    let n = 40_000;
    let logits: [f32; 3] = [-2.0, 0.0, 1.5];
    let l = Tensor::new(&logits[..], &dev)
        .unwrap()
        .unsqueeze(0)
        .unwrap()
        .repeat((n, 1))
        .unwrap();
    let mut noise = Noise::new(crate::util::rng(1, 0));
    let u = noise.uniform((n, 3), &dev).unwrap();
    let y = binary_concrete(&l, &u, 0.7).unwrap();
    let freq = vec1(
        &y.gt(0.5)
            .unwrap()
            .to_dtype(candle_core::DType::F32)
            .unwrap()
            .mean(0)
            .unwrap(),
    );
    for (&lv, f) in logits.iter().zip(freq) {
        let p = sigmoid64(f64::from(lv));
        let sd = (p * (1.0 - p) / n as f64).sqrt();
        assert!((f - p).abs() < 4.0 * sd, "l={lv}: {f} vs {p}");
    }
}

#[test]
fn binary_concrete_gradient_is_pathwise() {
    // y = σ((l + L)/τ): dy/dl = y(1 − y)/τ, with L from the same uniform noise.
    let dev = Device::Cpu;
    let tau = 0.8;
    let l = Var::new(&[[-1.0f32, 0.3, 2.0]], &dev).unwrap();
    let u_vals = [[0.2f32, 0.6, 0.9]];
    let u = Tensor::new(&u_vals, &dev).unwrap();
    let y = binary_concrete(l.as_tensor(), &u, tau).unwrap();
    let grads = y.sum_all().unwrap().backward().unwrap();
    let got = grads.get(l.as_tensor()).unwrap().flatten_all().unwrap();
    for (i, g) in vec1(&got).into_iter().enumerate() {
        let (lv, uv) = (f64::from([-1.0f32, 0.3, 2.0][i]), f64::from(u_vals[0][i]));
        let y = sigmoid64((lv + uv.ln() - (1.0 - uv).ln()) / tau);
        let want = y * (1.0 - y) / tau;
        assert!((g - want).abs() < 1e-5, "bit {i}: {g} vs {want}");
    }
}

#[test]
fn gumbel_softmax_argmax_frequency_is_softmax() {
    let dev = Device::Cpu;
    let n = 40_000;
    let theta: [f32; 3] = [1.0, 0.0, -0.5];
    let l = Tensor::new(&theta[..], &dev)
        .unwrap()
        .unsqueeze(0)
        .unwrap()
        .repeat((n, 1))
        .unwrap();
    let mut noise = Noise::new(crate::util::rng(2, 0));
    let u = noise.uniform((n, 3), &dev).unwrap();
    let y = gumbel_softmax(&l, &u, 0.5).unwrap();
    let freq = vec1(&one_hot_argmax(&y).unwrap().mean(0).unwrap());
    let z: f64 = theta.iter().map(|&t| f64::from(t).exp()).sum();
    for (&t, f) in theta.iter().zip(freq) {
        let p = f64::from(t).exp() / z;
        let sd = (p * (1.0 - p) / n as f64).sqrt();
        assert!((f - p).abs() < 4.0 * sd, "θ={t}: {f} vs {p}");
    }
}

#[test]
fn gumbel_softmax_gradient_is_pathwise() {
    // ∂<w, y>/∂θ = (1/τ)·y ⊙ (w − <w, y>), y = softmax((θ + G)/τ).
    let dev = Device::Cpu;
    let tau = 0.6;
    let theta = [0.5f32, -1.0, 0.2];
    let u = [0.3f32, 0.8, 0.5];
    let w = [1.0f32, -2.0, 0.5];
    let l = Var::new(&[theta], &dev).unwrap();
    let y = gumbel_softmax(l.as_tensor(), &Tensor::new(&[u], &dev).unwrap(), tau).unwrap();
    let obj = (y * Tensor::new(&[w], &dev).unwrap())
        .unwrap()
        .sum_all()
        .unwrap();
    let got = vec1(&grads_flat(&obj, &l));
    let x: Vec<f64> = (0..3)
        .map(|k| (f64::from(theta[k]) - (-f64::from(u[k]).ln()).ln()) / tau)
        .collect();
    let z: f64 = x.iter().map(|v| v.exp()).sum();
    let y: Vec<f64> = x.iter().map(|v| v.exp() / z).collect();
    let wy: f64 = (0..3).map(|k| f64::from(w[k]) * y[k]).sum();
    for k in 0..3 {
        let want = y[k] * (f64::from(w[k]) - wy) / tau;
        assert!(
            (got[k] - want).abs() < 1e-5,
            "label {k}: {} vs {want}",
            got[k]
        );
    }
}

fn grads_flat(obj: &Tensor, var: &Var) -> Tensor {
    obj.backward()
        .unwrap()
        .get(var.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
}

#[test]
fn clipping_scales_to_the_global_norm() {
    let dev = Device::Cpu;
    let a = Var::new(&[3.0f32], &dev).unwrap();
    let b = Var::new(&[4.0f32], &dev).unwrap();
    // loss = 3a' ... gradients (3, 4): global norm 5
    let loss = ((a.as_tensor() * 3.0).unwrap() + (b.as_tensor() * 4.0).unwrap())
        .unwrap()
        .sum_all()
        .unwrap();
    let mut grads = loss.backward().unwrap();
    let vars = [a.clone(), b.clone()];
    let norm = clip_grad_norm(&mut grads, &vars, 1.0).unwrap();
    assert!((norm - 5.0).abs() < 1e-6);
    assert!((vec1(grads.get(a.as_tensor()).unwrap())[0] - 0.6).abs() < 1e-6);
    assert!((vec1(grads.get(b.as_tensor()).unwrap())[0] - 0.8).abs() < 1e-6);
    let norm = clip_grad_norm(&mut grads, &vars, 10.0).unwrap();
    assert!(
        (norm - 1.0).abs() < 1e-6,
        "a norm under the limit is left alone"
    );
    assert!((vec1(grads.get(a.as_tensor()).unwrap())[0] - 0.6).abs() < 1e-6);
}

#[test]
fn clipping_on_the_device_matches_the_host_clipping() {
    let dev = Device::Cpu;
    let mut rng = crate::util::rng(5, 0);
    let vars: Vec<Var> = [(3, 4), (7, 1), (2, 2)]
        .iter()
        .map(|&shape| {
            let shape: candle_core::Shape = shape.into();
            let v: Vec<f32> = (0..shape.elem_count())
                .map(|_| rand::Rng::random_range(&mut rng, -2.0f32..2.0))
                .collect();
            Var::from_tensor(&Tensor::from_vec(v, shape, &dev).unwrap()).unwrap()
        })
        .collect();
    // loss = Σ v²: gradients 2v, global norm ≈ 2·sqrt(Σ v²) ≈ 9.
    let loss = vars
        .iter()
        .map(|v| v.as_tensor().sqr().unwrap().sum_all().unwrap())
        .reduce(|a, b| (a + b).unwrap())
        .unwrap();
    for max_norm in [1.0, 1000.0] {
        let mut host = loss.backward().unwrap();
        let mut device = loss.backward().unwrap();
        let before = clip_grad_norm(&mut host, &vars, max_norm).unwrap();
        assert!(
            before > 1.5 && before < 1000.0,
            "norm {before}: one limit below, one above"
        );
        clip_grad_norm_on_device(&mut device, &vars, max_norm).unwrap();
        let mut sq = 0.0;
        for v in &vars {
            let h = vec1(&host.get(v.as_tensor()).unwrap().flatten_all().unwrap());
            let d = vec1(&device.get(v.as_tensor()).unwrap().flatten_all().unwrap());
            for (h, d) in h.iter().zip(&d) {
                assert!((h - d).abs() <= 1e-6 * h.abs().max(1.0), "{h} vs {d}");
                sq += d.powi(2);
            }
        }
        let expected = before.min(max_norm);
        assert!(
            (sq.sqrt() - expected).abs() < 1e-5,
            "norm {} at {max_norm}",
            sq.sqrt()
        );
    }
}

#[test]
fn batch_norm_eval_uses_frozen_running_statistics() {
    let dev = Device::Cpu;
    let (mean, var, w, b) = ([1.0f32, -2.0], [4.0f32, 0.25], [2.0f32, 1.0], [0.5f32, 0.0]);
    let bn = BatchNorm::new(
        2,
        Tensor::new(&mean, &dev).unwrap(),
        Tensor::new(&var, &dev).unwrap(),
        Tensor::new(&w, &dev).unwrap(),
        Tensor::new(&b, &dev).unwrap(),
        1e-5,
    )
    .unwrap();
    let x = [[3.0f32, -1.0], [1.0, -2.5]];
    let xt = Tensor::new(&x, &dev).unwrap();
    let got = bn.forward_t(&xt, false).unwrap().to_vec2::<f32>().unwrap();
    for (row, got_row) in x.iter().zip(&got) {
        for c in 0..2 {
            let want = (f64::from(row[c]) - f64::from(mean[c])) / (f64::from(var[c]) + 1e-5).sqrt()
                * f64::from(w[c])
                + f64::from(b[c]);
            assert!(
                (f64::from(got_row[c]) - want).abs() < 1e-5,
                "{got_row:?} vs {want}"
            );
        }
    }
    // Eval mode is a pure function of the input: a batch of one gives the same row,
    // and the running statistics have not moved.
    let one = bn
        .forward_t(&xt.narrow(0, 1, 1).unwrap(), false)
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    assert_eq!(one[0], got[1]);
    assert_eq!(bn.running_mean().to_vec1::<f32>().unwrap(), mean.to_vec());
    // Train mode normalizes with the batch and moves the running statistics.
    let _ = bn.forward_t(&xt, true).unwrap();
    assert_ne!(bn.running_mean().to_vec1::<f32>().unwrap(), mean.to_vec());
}
