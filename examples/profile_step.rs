//! Times the parts of one training step of a preset on random binary images (a development aid).
use std::time::Instant;

use candle_core::Device;
use latplan::domain::Shape;
use latplan::model::data::{batch, Normalization, Pairs};
use latplan::model::loss::summarize;
use latplan::model::nets::Pass;
use latplan::model::noise::Noise;
use latplan::model::train::Session;
use latplan::model::Preset;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (h, w, b) = (
        args[1].parse()?,
        args[2].parse()?,
        args[3].parse::<usize>()?,
    );
    let shape = Shape::gray(h, w);
    let (mut m, mut t) = Preset::CpuMlp.configs(shape, 1);
    if args.len() > 4 {
        m.arch = latplan::model::Arch::Mlp {
            hidden: vec![args[4].parse()?],
        };
    }
    t.batch = b;
    let n = 4 * b;
    let pre: Vec<u8> = (0..n * shape.len())
        .map(|i| if (i * 7919) % 13 < 6 { 255 } else { 0 })
        .collect();
    let suc: Vec<u8> = pre.iter().rev().copied().collect();
    let pairs = Pairs {
        shape,
        pre: &pre,
        suc: &suc,
    };
    let norm = Normalization::from_pairs(&pairs, 0..n);
    let mut s = Session::new(&m, &t, norm, &Device::Cpu)?;
    let mut noise = Noise::new(latplan::util::rng(1, 1));
    let idx: Vec<usize> = (0..b).collect();
    for step in 0..6 {
        let t0 = Instant::now();
        let bt = batch(&pairs, &idx, &s.norm, m.output, &Device::Cpu)?;
        let t1 = Instant::now();
        let terms = s.model.terms(
            &bt.x0,
            &bt.x1,
            &bt.t0,
            &bt.t1,
            &mut Pass::Train {
                noise: &mut noise,
                tau: 1.0,
            },
        )?;
        let (loss, parts) = summarize(&terms, &m)?;
        let _ = parts.to_vec1::<f32>()?;
        let t2 = Instant::now();
        let grads = loss.backward()?;
        let t3 = Instant::now();
        s.optimizer.step(&grads)?;
        let t4 = Instant::now();
        println!(
            "step {step}: batch {:?} fwd {:?} bwd {:?} opt {:?}",
            t1 - t0,
            t2 - t1,
            t3 - t2,
            t4 - t3
        );
    }
    Ok(())
}
