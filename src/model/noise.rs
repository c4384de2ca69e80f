//! Seeded noise for training: every random number of a run (Binary Concrete and
//! Gumbel noise, input noise, dropout masks, batch order) comes from the
//! project's ChaCha8 generator, so the same seed gives the same curve on the CPU.
//! (candle's CPU device cannot be seeded, so its `rand_like` is not used.)
//!
//! On a GPU the noise tensors are drawn there instead, by the device's own
//! generator (cuRAND), seeded once per [`Noise`] from the host stream: a `conv`
//! step at batch 400 needs about 300 M random numbers, which would otherwise be
//! a host loop and a 1.2 GB host-to-device copy per step. The batch order stays
//! on the host. A GPU run repeats itself on the same card, but its noise differs
//! from the CPU's.

use candle_core::{Device, Result, Shape, Tensor};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

use crate::util::Rng;

/// Uniform noise stays in `[UNIFORM_EPS, 1 − UNIFORM_EPS]` so `log u` and `log(1 − u)` are finite.
pub const UNIFORM_EPS: f32 = 1e-6;

/// A source of noise tensors driven by one seeded generator.
pub struct Noise {
    rng: Rng,
    /// Whether a non-CPU device's generator has been seeded from `rng` yet.
    device_seeded: bool,
    /// Draw every tensor from `rng` on the host, whatever its device.
    host_only: bool,
}

impl Noise {
    /// Noise from `rng`.
    pub fn new(rng: Rng) -> Self {
        Noise {
            rng,
            device_seeded: false,
            host_only: false,
        }
    }

    /// Noise from `rng` that draws every tensor on the host, also for a GPU:
    /// the same numbers on every device (to compare a GPU step with the CPU's,
    /// or to time the host draws).
    pub fn on_host(rng: Rng) -> Self {
        Noise {
            host_only: true,
            ..Noise::new(rng)
        }
    }

    /// True when tensors for `device` are drawn there; seeds its generator
    /// from the host stream on the first such draw.
    fn on_device(&mut self, device: &Device) -> Result<bool> {
        if self.host_only || device.is_cpu() {
            return Ok(false);
        }
        if !self.device_seeded {
            device.set_seed(self.rng.random::<u64>())?;
            self.device_seeded = true;
        }
        Ok(true)
    }

    /// The generator, for host-side choices such as batch order.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Uniform values in `[ε, 1 − ε]`, `ε =` [`UNIFORM_EPS`].
    pub fn uniform<S: Into<Shape>>(&mut self, shape: S, device: &Device) -> Result<Tensor> {
        let shape = shape.into();
        if self.on_device(device)? {
            return device_uniform(shape, device);
        }
        let data: Vec<f32> = (0..shape.elem_count())
            .map(|_| self.rng.random_range(UNIFORM_EPS..=1.0 - UNIFORM_EPS))
            .collect();
        Tensor::from_vec(data, shape, device)
    }

    /// Gaussian values with mean 0 and standard deviation `sigma`.
    pub fn normal<S: Into<Shape>>(
        &mut self,
        shape: S,
        sigma: f32,
        device: &Device,
    ) -> Result<Tensor> {
        let shape = shape.into();
        if self.on_device(device)? {
            return Tensor::randn(0f32, sigma, shape, device);
        }
        let data: Vec<f32> = (0..shape.elem_count())
            .map(|_| {
                let v: f32 = StandardNormal.sample(&mut self.rng);
                v * sigma
            })
            .collect();
        Tensor::from_vec(data, shape, device)
    }

    /// An inverted-dropout mask: each entry is 0 with probability `p`, else `1 / (1 − p)`.
    pub fn dropout_mask<S: Into<Shape>>(
        &mut self,
        shape: S,
        p: f32,
        device: &Device,
    ) -> Result<Tensor> {
        let shape = shape.into();
        if self.on_device(device)? {
            return device_dropout_mask(shape, p, device);
        }
        let keep = 1.0 / (1.0 - p);
        let data: Vec<f32> = (0..shape.elem_count())
            .map(|_| {
                if self.rng.random::<f32>() < p {
                    0.0
                } else {
                    keep
                }
            })
            .collect();
        Tensor::from_vec(data, shape, device)
    }
}

/// Uniform values in `[ε, 1 − ε]` from `device`'s own generator.
fn device_uniform(shape: Shape, device: &Device) -> Result<Tensor> {
    Tensor::rand(0f32, 1f32, shape, device)?.clamp(UNIFORM_EPS, 1.0 - UNIFORM_EPS)
}

/// An inverted-dropout mask from `device`'s own generator.
fn device_dropout_mask(shape: Shape, p: f32, device: &Device) -> Result<Tensor> {
    keep_mask(&Tensor::rand(0f32, 1f32, shape, device)?, p)
}

/// `[u ≥ p] / (1 − p)` for uniform `u`, by elementwise kernels only:
/// `(1 − relu(sign(p − u))) / (1 − p)`, exact (`p − u` is zero only where
/// `u = p`). candle's `u.ge(p)` broadcasts the scalar through its strided
/// kernel (64-bit index arithmetic per element and dimension) and needs a cast
/// after it: on an H200 most of the comparison time of a conv step.
fn keep_mask(u: &Tensor, p: f32) -> Result<Tensor> {
    let keep = 1.0 / (1.0 - f64::from(p));
    u.affine(-1.0, f64::from(p))?
        .sign()?
        .relu()?
        .affine(-keep, keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mask by elementwise kernels is candle's comparison, exactly, at
    /// and around the threshold too.
    #[test]
    fn keep_mask_is_the_comparison() {
        let p = 0.2f32;
        let mut u = vec![
            0.0,
            p,
            f32::from_bits(p.to_bits() - 1),
            f32::from_bits(p.to_bits() + 1),
            0.999_999_94,
        ];
        let mut r = crate::util::rng(5, 0);
        u.extend((0..1000).map(|_| rand::Rng::random::<f32>(&mut r)));
        let u = Tensor::new(u.as_slice(), &Device::Cpu).unwrap();
        let expected = (u
            .ge(f64::from(p))
            .unwrap()
            .to_dtype(candle_core::DType::F32)
            .unwrap()
            / (1.0 - f64::from(p)))
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
        let got = keep_mask(&u, p).unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(got, expected);
        assert_eq!(&got[..4], &[0.0, 1.25, 0.0, 1.25]);
    }

    #[test]
    fn same_seed_same_noise_and_ranges_hold() {
        let dev = Device::Cpu;
        let a = Noise::new(crate::util::rng(3, 9))
            .uniform(1000, &dev)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let b = Noise::new(crate::util::rng(3, 9))
            .uniform(1000, &dev)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(a, b);
        assert!(a
            .iter()
            .all(|&u| (UNIFORM_EPS..=1.0 - UNIFORM_EPS).contains(&u)));
        let mask = Noise::new(crate::util::rng(3, 1))
            .dropout_mask(10_000, 0.25, &dev)
            .unwrap();
        let mask = mask.to_vec1::<f32>().unwrap();
        let zeros = mask.iter().filter(|&&m| m == 0.0).count() as f64 / 10_000.0;
        assert!((zeros - 0.25).abs() < 0.02, "dropped share {zeros}");
        assert!(mask
            .iter()
            .all(|&m| m == 0.0 || (m - 4.0 / 3.0).abs() < 1e-6));
    }

    /// The GPU path's tensor arithmetic, run with candle's (unseeded) CPU
    /// generator: ranges and the dropped share.
    #[test]
    fn device_draws_keep_ranges_and_rates() {
        let dev = Device::Cpu;
        let u = device_uniform(Shape::from(20_000), &dev)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert!(u
            .iter()
            .all(|&u| (UNIFORM_EPS..=1.0 - UNIFORM_EPS).contains(&u)));
        let mean = u.iter().map(|&v| f64::from(v)).sum::<f64>() / u.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
        let mask = device_dropout_mask(Shape::from(20_000), 0.25, &dev)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let zeros = mask.iter().filter(|&&m| m == 0.0).count() as f64 / 20_000.0;
        assert!((zeros - 0.25).abs() < 0.02, "dropped share {zeros}");
        assert!(mask
            .iter()
            .all(|&m| m == 0.0 || (m - 4.0 / 3.0).abs() < 1e-6));
    }
}
