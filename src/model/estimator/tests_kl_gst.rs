//! KL against enumeration, GST against a port of `gst_mover`, the IGR prior.

use candle_core::{Device, Tensor, Var};

use super::super::gst::{binary_gst, categorical_gst};
use super::super::igr::probit_logit;
use super::*;

/// One row `[1, n]`.
fn row(v: &[f32]) -> Tensor {
    Tensor::from_slice(v, (1, v.len()), &Device::Cpu).unwrap()
}

/// KL of Bern(q_j) products against Bern(p0), by enumerating all codes.
fn kl_by_enumeration(q: &[f64], p0: f64) -> f64 {
    let n = q.len();
    (0..1usize << n)
        .map(|code| {
            let (mut lq, mut lp) = (0.0, 0.0);
            for (j, &qj) in q.iter().enumerate() {
                let on = code >> j & 1 == 1;
                lq += if on { qj.ln() } else { (1.0 - qj).ln() };
                lp += if on { p0.ln() } else { (1.0 - p0).ln() };
            }
            lq.exp() * (lq - lp)
        })
        .sum()
}

#[test]
fn score_log_q_and_kl_agree_with_enumeration() {
    let l = [-2.0f32, 0.4, 1.1, -0.3];
    let t = Tensor::new(&[l], &Device::Cpu).unwrap(); // [1, 4]
    let q: Vec<f64> = l.iter().map(|&x| sigmoid(f64::from(x))).collect();
    let want = kl_by_enumeration(&q, 0.1);
    let kl = kl_bernoulli_const(&t, 0.1)
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()[0];
    assert!((f64::from(kl) - want).abs() < 1e-5, "{kl} vs {want}");
    // log q of every code (the score estimators' `log_q`) sums to a distribution.
    let mut total = 0.0;
    for code in 0..16usize {
        let bits: Vec<f32> = (0..4).map(|j| (code >> j & 1) as f32).collect();
        let site = Site {
            kind: SiteKind::Bits,
            logits: t.clone(),
            code: row(&bits),
            noise: t.zeros_like().unwrap(),
            leaf: None,
        };
        let lq = f64::from(log_q(&site).unwrap().to_vec1::<f32>().unwrap()[0]);
        let direct: f64 = (0..4)
            .map(|j| {
                if bits[j] == 1.0 {
                    q[j].ln()
                } else {
                    (1.0 - q[j]).ln()
                }
            })
            .sum();
        assert!((lq - direct).abs() < 1e-5, "code {code}");
        total += lq.exp();
    }
    assert!((total - 1.0).abs() < 1e-5);
}

#[test]
fn igr_kl_is_the_bernoulli_kl_of_phi() {
    let mu = [-3.0f32, -0.5, 0.0, 0.8, 2.5];
    let t = Tensor::new(&[mu], &Device::Cpu).unwrap();
    let lq = Igr.q_logits(&t).unwrap();
    let kl = kl_bernoulli_const(&lq, 0.1)
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()[0];
    let q: Vec<f64> = mu.iter().map(|&m| phi(f64::from(m))).collect();
    let want = kl_by_enumeration(&q, 0.1);
    assert!((f64::from(kl) - want).abs() < 1e-4, "{kl} vs {want}");
    // Far tails stay finite with a finite gradient inside the clamp.
    let far = Var::new(&[-30.0f32, -6.5, 6.5, 30.0], &Device::Cpu).unwrap();
    let lq = probit_logit(far.as_tensor()).unwrap();
    let g = lq.sum_all().unwrap().backward().unwrap();
    let g = g.get(far.as_tensor()).unwrap().to_vec1::<f32>().unwrap();
    assert!(lq.to_vec1::<f32>().unwrap().iter().all(|v| v.is_finite()));
    assert!(
        g[1] > 0.0 && g[2] > 0.0 && g.iter().all(|v| v.is_finite()),
        "{g:?}"
    );
}

/// The IGR prior for Bern(p0) is N(μ0, 1) with μ0 = Φ⁻¹(p0) (ESTIMATORS §4.3):
/// the estimator's samples at μ0 are on with frequency p0, and its q is p0.
#[test]
fn igr_prior_pushes_forward_to_the_bernoulli_prior() {
    let p0 = 0.1;
    let (mut lo, mut hi) = (-10.0, 10.0);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if phi(mid) < p0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mu0 = lo as f32; // ≈ −1.2816
    assert!((mu0 + 1.2816).abs() < 1e-3);
    let (_, y, _) = draw(&Igr, &[mu0], 20_000, false, 0.5);
    let freq = column_means(
        &y.gt(0.5)
            .unwrap()
            .to_dtype(candle_core::DType::F32)
            .unwrap(),
    )[0];
    assert!((freq - p0).abs() < 0.01, "{freq}");
    let lq = Igr
        .q_logits(&Tensor::new(&[mu0], &Device::Cpu).unwrap())
        .unwrap();
    let q = sigmoid(f64::from(lq.to_vec1::<f32>().unwrap()[0]));
    assert!((q - p0).abs() < 1e-4, "{q}");
}

/// Direct port of `chijames/GST/model/basic.py::gst_mover` (detach=True) for one
/// variable: returns `p = softmax(θ̃/τ)`; `gap = None` is GST-p.
fn gst_mover(theta: &[f64], d: usize, gap: Option<f64>, tau: f64) -> Vec<f64> {
    let softmax = |x: &[f64]| {
        let m = x.iter().cloned().fold(f64::MIN, f64::max);
        let e: Vec<f64> = x.iter().map(|v| (v - m).exp()).collect();
        let s: f64 = e.iter().sum();
        e.into_iter().map(|v| v / s).collect::<Vec<_>>()
    };
    let pi = softmax(theta);
    let top = theta.iter().cloned().fold(f64::MIN, f64::max);
    let kappa = match gap {
        Some(k) => k,
        None => {
            let p = pi[d] * (1.0 - 1e-5);
            -(1.0 - p).ln() / p
        }
    };
    let mut moved: Vec<f64> = theta
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let up = if i == d { top - t } else { 0.0 };
            let down = if i == d {
                0.0
            } else {
                (t - top + kappa).max(0.0)
            };
            t + up - down
        })
        .collect();
    let mean = moved.iter().sum::<f64>() / moved.len() as f64;
    moved.iter_mut().for_each(|v| *v -= mean);
    softmax(&moved.iter().map(|v| v / tau).collect::<Vec<_>>())
}

#[test]
fn binary_gst_is_gst_mover_on_zero_and_l() {
    let mut r = rng(11, 3);
    for case in 0..400 {
        use rand::Rng as _;
        let l: f64 = r.random_range(-6.0..6.0);
        let b = r.random_range(0..2usize);
        let tau: f64 = r.random_range(0.2..2.0);
        let gap = if case % 2 == 0 {
            Some(r.random_range(0.1..3.0))
        } else {
            None
        };
        let p = gst_mover(&[0.0, l], b, gap, tau);
        let want = p[1] * (1.0 - p[1]) / tau; // ∂p_1/∂θ_1 with the move held constant
        let var = Var::new(&[[l as f32]], &Device::Cpu).unwrap();
        let code = Tensor::new(&[[b as f32]], &Device::Cpu).unwrap();
        let g = gap.map_or(Gap::P, Gap::Fixed);
        let y = binary_gst(var.as_tensor(), &code, g, tau).unwrap();
        assert_eq!(y.to_vec2::<f32>().unwrap()[0][0], b as f32);
        let grads = y.sum_all().unwrap().backward().unwrap();
        let got = f64::from(
            grads
                .get(var.as_tensor())
                .unwrap()
                .to_vec2::<f32>()
                .unwrap()[0][0],
        );
        assert!(
            (got - want).abs() < 1e-4 * want.max(1.0),
            "l {l} b {b} τ {tau} {gap:?}: {got} vs {want}"
        );
    }
}

#[test]
fn categorical_gst_is_gst_mover() {
    let mut r = rng(12, 3);
    for case in 0..100 {
        use rand::Rng as _;
        let theta: Vec<f64> = (0..5).map(|_| r.random_range(-3.0..3.0)).collect();
        let c: Vec<f64> = (0..5).map(|_| r.random_range(-1.0..1.0)).collect();
        let d = r.random_range(0..5usize);
        let tau = 0.5;
        let gap = if case % 2 == 0 { Some(1.0) } else { None };
        let p = gst_mover(&theta, d, gap, tau);
        let pc: f64 = p.iter().zip(&c).map(|(a, b)| a * b).sum();
        let want: Vec<f64> = (0..5).map(|k| p[k] * (c[k] - pc) / tau).collect();
        let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
        let var = Var::from_tensor(&row(&f32s(&theta))).unwrap();
        let onehot: Vec<f32> = (0..5).map(|k| if k == d { 1.0 } else { 0.0 }).collect();
        let code = row(&onehot);
        let y =
            categorical_gst(var.as_tensor(), &code, gap.map_or(Gap::P, Gap::Fixed), tau).unwrap();
        assert_eq!(y.to_vec2::<f32>().unwrap()[0], onehot);
        let cw = row(&f32s(&c));
        let grads = (y * cw).unwrap().sum_all().unwrap().backward().unwrap();
        let got = grads
            .get(var.as_tensor())
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        for k in 0..5 {
            assert!(
                (f64::from(got[0][k]) - want[k]).abs() < 1e-4,
                "case {case} class {k}"
            );
        }
    }
}
