//! Making datasets and problem sets from a domain preset.

use std::path::Path;

use anyhow::bail;
use indicatif::ProgressBar;

use super::dataset::{Dataset, Manifest, Split, FORMAT_VERSION};
use super::problems::{Problem, ProblemSet, MANIFEST as PROBLEMS_MANIFEST, PROBLEM};
use crate::domain::{Domain, Image, Preset};
use crate::util::{self, rng};

/// Random streams of one seed, so each kind of choice has its own.
mod stream {
    pub const STATES: u64 = 1;
    pub const RENDER: u64 = 2;
    pub const SHUFFLE: u64 = 3;
    pub const PROBLEMS: u64 = 4;
    pub const NOISE: u64 = 5;
}

/// Samples `n` transitions of `preset`'s domain with `seed` and renders them.
/// `progress` counts rendered pairs.
pub fn dataset(
    preset: &Preset,
    n: usize,
    seed: u64,
    progress: &ProgressBar,
) -> anyhow::Result<Dataset> {
    if n < 20 {
        bail!("--transitions must be at least 20 (for a 90/5/5 split), not {n}");
    }
    let domain = preset.domain.build()?;
    let mut pairs = domain.sample_transitions(n, &mut rng(seed, stream::STATES))?;
    use rand::seq::SliceRandom;
    pairs.shuffle(&mut rng(seed, stream::SHUFFLE));
    let shape = domain.shape();
    let mut render_rng = rng(seed, stream::RENDER);
    let mut ds = Dataset {
        manifest: Manifest {
            format_version: FORMAT_VERSION,
            preset: preset.name.clone(),
            domain: preset.domain.clone(),
            seed,
            transitions: n,
            shape,
            code_len: domain.code_len(),
            split: Split::latplan(n),
            network: Some(preset.network.clone()),
            gpu_network: preset.gpu_network.clone(),
        },
        pre: Vec::with_capacity(n * shape.len()),
        suc: Vec::with_capacity(n * shape.len()),
        pre_state: Vec::with_capacity(n * domain.code_len()),
        suc_state: Vec::with_capacity(n * domain.code_len()),
    };
    progress.set_length(n as u64);
    for (pre, suc) in &pairs {
        ds.pre.extend(domain.render(pre, &mut render_rng).to_u8());
        ds.suc.extend(domain.render(suc, &mut render_rng).to_u8());
        ds.pre_state.extend_from_slice(pre);
        ds.suc_state.extend_from_slice(suc);
        progress.inc(1);
    }
    Ok(ds)
}

/// Options of a problem set.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemOptions {
    /// Optimal lengths.
    pub steps: Vec<usize>,
    /// Problems per length.
    pub count: usize,
    /// Seed.
    pub seed: u64,
    /// Gaussian pixel noise (0 = clean).
    pub noise: f32,
}

/// Draws problems of `preset` and writes them under `out`.
pub fn problems(
    preset: &Preset,
    opts: &ProblemOptions,
    out: &Path,
    progress: &ProgressBar,
) -> anyhow::Result<ProblemSet> {
    if opts.steps.is_empty() || opts.count == 0 {
        bail!("--steps and --count must ask for at least one problem");
    }
    if !(0.0..=1.0).contains(&opts.noise) {
        bail!(
            "--noise must be between 0 and 1 (a pixel standard deviation), not {}",
            opts.noise
        );
    }
    let domain = preset.domain.build()?;
    let mut pick = rng(opts.seed, stream::PROBLEMS);
    let mut drawn = Vec::new();
    for &steps in &opts.steps {
        let states = domain.problems(steps, opts.count, &mut pick)?;
        drawn.extend(
            states
                .into_iter()
                .enumerate()
                .map(|(i, p)| (format!("{steps:03}-{i:03}"), p)),
        );
    }
    let extra = domain.extra_problems()?.into_iter().enumerate();
    drawn.extend(extra.map(|(i, p)| (format!("solved-{i:03}"), p)));
    util::create_dir(out)?;
    progress.set_length(drawn.len() as u64);
    let mut render_rng = rng(opts.seed, stream::RENDER);
    let mut noise_rng = rng(opts.seed, stream::NOISE);
    for (name, p) in &drawn {
        let dir = out.join(name);
        util::create_dir(&dir)?;
        for (file, code) in [("init", &p.init), ("goal", &p.goal)] {
            write_picture(
                domain.as_ref(),
                code,
                &dir,
                file,
                opts.noise,
                &mut render_rng,
                &mut noise_rng,
            )?;
        }
        let problem = Problem {
            name: name.clone(),
            init: domain.format(&p.init),
            goal: domain.format(&p.goal),
            init_code: p.init.clone(),
            goal_code: p.goal.clone(),
            optimal_length: p.optimal,
        };
        util::write_json(&dir.join(PROBLEM), &problem)?;
        progress.inc(1);
    }
    let set = ProblemSet {
        preset: preset.name.clone(),
        domain: preset.domain.clone(),
        seed: opts.seed,
        steps: opts.steps.clone(),
        count: opts.count,
        noise: opts.noise,
        problems: drawn.into_iter().map(|(n, _)| n).collect(),
    };
    util::write_json(&out.join(PROBLEMS_MANIFEST), &set)?;
    Ok(set)
}

/// Renders `code` to `dir/{name}.png`, noisy if `noise > 0` (then the clean
/// picture goes to `{name}-clean.png`).
fn write_picture(
    domain: &dyn Domain,
    code: &[u8],
    dir: &Path,
    name: &str,
    noise: f32,
    render_rng: &mut util::Rng,
    noise_rng: &mut util::Rng,
) -> anyhow::Result<()> {
    let clean: Image = domain.render(code, render_rng);
    if noise > 0.0 {
        clean.save_png(&dir.join(format!("{name}-clean.png")))?;
        let mut noisy = clean;
        noisy.add_noise(noise, noise_rng);
        noisy.save_png(&dir.join(format!("{name}.png")))
    } else {
        clean.save_png(&dir.join(format!("{name}.png")))
    }
}
