//! Seeded noise for training: every random number of a run (Binary Concrete and
//! Gumbel noise, input noise, dropout masks, batch order) comes from the
//! project's ChaCha8 generator, so the same seed gives the same curve on the CPU.
//! (candle's CPU device cannot be seeded, so its `rand_like` is not used.)

use candle_core::{Device, Result, Shape, Tensor};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

use crate::util::Rng;

/// Uniform noise stays in `[UNIFORM_EPS, 1 − UNIFORM_EPS]` so `log u` and `log(1 − u)` are finite.
pub const UNIFORM_EPS: f32 = 1e-6;

/// A source of noise tensors driven by one seeded generator.
pub struct Noise {
    rng: Rng,
}

impl Noise {
    /// Noise from `rng`.
    pub fn new(rng: Rng) -> Self {
        Noise { rng }
    }

    /// The generator, for host-side choices such as batch order.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Uniform values in `[ε, 1 − ε]`, `ε =` [`UNIFORM_EPS`].
    pub fn uniform<S: Into<Shape>>(&mut self, shape: S, device: &Device) -> Result<Tensor> {
        let shape = shape.into();
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
