//! `generate`, `problems`, `render` and `domains`: making pictures and data.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use super::progress::bar;
use crate::data::dataset::MANIFEST;
use crate::data::generate::{self, ProblemOptions};
use crate::domain::preset::{builtin_names, Preset};
use crate::domain::puzzle::TileSource;

/// Which domain, and optionally whose tiles.
#[derive(Debug, Args)]
pub struct DomainArgs {
    /// Domain preset: a built-in name (see `latplan domains`) or a path to a .toml file.
    #[arg(long, short = 'd', value_name = "PRESET")]
    pub domain: String,
    /// Sliding puzzles: cut this picture (PNG, JPEG, …) into the tiles.
    #[arg(long, value_name = "FILE", conflicts_with = "tiles")]
    pub image: Option<PathBuf>,
    /// Sliding puzzles: a folder with one image per tile, named 0.png, 1.png, …
    #[arg(long, value_name = "DIR")]
    pub tiles: Option<PathBuf>,
}

impl DomainArgs {
    /// The preset with the tile overrides applied.
    pub fn preset(&self) -> anyhow::Result<Preset> {
        let mut preset = Preset::load(&self.domain)?;
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        if let Some(image) = &self.image {
            preset.override_tiles(TileSource::Picture {
                path: Some(cwd.join(image)),
            })?;
        }
        if let Some(tiles) = &self.tiles {
            preset.override_tiles(TileSource::Folder {
                path: cwd.join(tiles),
            })?;
        }
        Ok(preset)
    }
}

/// `latplan generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub domain: DomainArgs,
    /// Number of (state, successor) pairs [default: the preset's, e.g. 5000].
    #[arg(long, short = 'n')]
    pub transitions: Option<usize>,
    /// Seed of every random choice (states, moves, order, jitter).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder (manifest.json + transitions.safetensors).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Replace a dataset already in the output folder.
    #[arg(long)]
    pub force: bool,
}

/// `latplan problems`.
#[derive(Debug, Args)]
pub struct ProblemsArgs {
    #[command(flatten)]
    pub domain: DomainArgs,
    /// Optimal plan lengths, comma-separated [default: the preset's, e.g. 7,14].
    #[arg(long, value_delimiter = ',')]
    pub steps: Option<Vec<usize>>,
    /// Problems per length.
    #[arg(long, default_value_t = 20)]
    pub count: usize,
    /// Seed of the problem draw (and of the noise).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Add Gaussian pixel noise of this standard deviation (pixels in [0, 1]).
    #[arg(long, default_value_t = 0.0, value_name = "SIGMA")]
    pub noise: f32,
    /// Output folder (one sub-folder per problem).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Replace a problem set already in the output folder.
    #[arg(long)]
    pub force: bool,
}

/// `latplan render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub domain: DomainArgs,
    /// The state in the domain's text form (e.g. "1 0 2 / 3 4 5 / 6 7 8"), or `goal`.
    #[arg(long, short = 's', allow_hyphen_values = true)]
    pub state: String,
    /// Seed of the per-image jitter (domains that have any).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output PNG.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: PathBuf,
    /// Enlarge by this integer factor (nearest neighbour), for viewing.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub scale: u32,
}

/// `latplan parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    #[command(flatten)]
    pub domain: DomainArgs,
    /// Pictures to read (PNG, JPEG, …), of the domain's size.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Refuses to overwrite earlier output unless `force`.
fn guard(dir: &std::path::Path, force: bool, what: &str) -> anyhow::Result<()> {
    if dir.join(MANIFEST).exists() && !force {
        bail!(
            "{} already holds a {what}: pass --force to replace it, or choose another --out",
            dir.display()
        );
    }
    Ok(())
}

pub fn generate(args: &GenerateArgs) -> anyhow::Result<()> {
    let preset = args.domain.preset()?;
    guard(&args.out, args.force, "dataset")?;
    let n = args.transitions.unwrap_or(preset.transitions);
    let progress = bar("rendering", n as u64);
    let ds = generate::dataset(&preset, n, args.seed, &progress)?;
    progress.finish_and_clear();
    ds.save(&args.out)?;
    let m = &ds.manifest;
    println!(
        "wrote {n} transitions of {} ({}) to {} (train {}, validation {}, test {})",
        preset.name,
        m.shape,
        args.out.display(),
        m.split.train,
        m.split.val,
        m.split.test
    );
    Ok(())
}

pub fn problems(args: &ProblemsArgs) -> anyhow::Result<()> {
    let preset = args.domain.preset()?;
    guard(&args.out, args.force, "problem set")?;
    let opts = ProblemOptions {
        steps: args.steps.clone().unwrap_or_else(|| preset.steps.clone()),
        count: args.count,
        seed: args.seed,
        noise: args.noise,
    };
    let progress = bar("problems", 0);
    let set = generate::problems(&preset, &opts, &args.out, &progress)?;
    progress.finish_and_clear();
    println!(
        "wrote {} problems of {} to {}",
        set.problems.len(),
        preset.name,
        args.out.display()
    );
    Ok(())
}

pub fn render(args: &RenderArgs) -> anyhow::Result<()> {
    let preset = args.domain.preset()?;
    let domain = preset.domain.build()?;
    let code = if args.state.trim() == "goal" {
        domain.goal()
    } else {
        domain.read(&args.state)?
    };
    let img = domain
        .render(&code, &mut crate::util::rng(args.seed, 0))
        .upscale(args.scale as usize);
    img.save_png(&args.out)?;
    println!(
        "wrote {} ({}) showing {}",
        args.out.display(),
        img.shape(),
        domain.format(&code)
    );
    Ok(())
}

pub fn list_domains() -> anyhow::Result<()> {
    for name in builtin_names() {
        let preset = Preset::load(name)?;
        let network = preset.network.preset.name();
        println!("{name:<20} {network:<13} {}", preset.description);
        for set in &preset.network.set {
            println!("{:<20} --set {set}", "");
        }
        if let Some(gpu) = &preset.gpu_network {
            println!("{:<20} gpu: {}", "", gpu.preset.name());
            for set in &gpu.set {
                println!("{:<20}   --set {set}", "");
            }
        }
    }
    Ok(())
}

pub fn parse(args: &ParseArgs) -> anyhow::Result<()> {
    let domain = args.domain.preset()?.domain.build()?;
    let mut invalid = 0;
    for file in &args.files {
        let img = crate::domain::Image::load_exact(file, domain.shape())?;
        match domain.parse(&img) {
            Ok(p) => println!(
                "{}: {} (distance {:.4})",
                file.display(),
                domain.format(&p.state),
                p.distance
            ),
            Err(why) => {
                invalid += 1;
                println!("{}: not a valid state: {why}", file.display());
            }
        }
    }
    if invalid > 0 {
        bail!(
            "{invalid} of {} pictures show no valid state",
            args.files.len()
        );
    }
    Ok(())
}
