//! Domain presets: TOML files under `domains/` (built into the binary) or any
//! path a user gives. A preset names a world and its rendering; it is resolved
//! into a [`DomainConfig`], which is stored beside every dataset and model so
//! later commands rebuild exactly the same world.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::blocks::{Blocks, BlocksConfig};
use super::hanoi::{Hanoi, HanoiConfig};
use super::lightsout::{LightsOut, LightsOutConfig};
use super::puzzle::{PuzzleConfig, SlidingPuzzle, TileSource};
use super::sokoban::{Sokoban, SokobanConfig};
use super::Domain;

/// Built-in presets, `(name, TOML text)`, compiled from `domains/*.toml`.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "puzzle8-digits",
        include_str!("../../domains/puzzle8-digits.toml"),
    ),
    (
        "puzzle15-picture",
        include_str!("../../domains/puzzle15-picture.toml"),
    ),
    (
        "puzzle8-tiles",
        include_str!("../../domains/puzzle8-tiles.toml"),
    ),
    (
        "puzzle3x2-digits",
        include_str!("../../domains/puzzle3x2-digits.toml"),
    ),
    ("lightsout3", include_str!("../../domains/lightsout3.toml")),
    ("lightsout4", include_str!("../../domains/lightsout4.toml")),
    ("lightsout5", include_str!("../../domains/lightsout5.toml")),
    (
        "lightsout5-twisted",
        include_str!("../../domains/lightsout5-twisted.toml"),
    ),
    ("blocks4", include_str!("../../domains/blocks4.toml")),
    ("blocks5", include_str!("../../domains/blocks5.toml")),
    (
        "blocks4-flat",
        include_str!("../../domains/blocks4-flat.toml"),
    ),
    (
        "blocks4-fixed",
        include_str!("../../domains/blocks4-fixed.toml"),
    ),
    ("hanoi4-4", include_str!("../../domains/hanoi4-4.toml")),
    ("hanoi3-9", include_str!("../../domains/hanoi3-9.toml")),
    ("hanoi4-9", include_str!("../../domains/hanoi4-9.toml")),
    ("hanoi5-9", include_str!("../../domains/hanoi5-9.toml")),
    (
        "hanoi4-4-large",
        include_str!("../../domains/hanoi4-4-large.toml"),
    ),
    ("sokoban6", include_str!("../../domains/sokoban6.toml")),
    ("sokoban7", include_str!("../../domains/sokoban7.toml")),
    ("sokoban7b", include_str!("../../domains/sokoban7b.toml")),
    ("sokoban7x8", include_str!("../../domains/sokoban7x8.toml")),
    ("sokoban8", include_str!("../../domains/sokoban8.toml")),
    (
        "sokoban7-large",
        include_str!("../../domains/sokoban7-large.toml"),
    ),
];

/// A world and how it is drawn; `kind` selects the world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DomainConfig {
    /// A w×h sliding-tile puzzle.
    SlidingPuzzle(PuzzleConfig),
    /// n×n LightsOut, plain or twisted.
    LightsOut(LightsOutConfig),
    /// Blocksworld.
    Blocks(BlocksConfig),
    /// Towers of Hanoi.
    Hanoi(HanoiConfig),
    /// A Sokoban level.
    Sokoban(SokobanConfig),
}

impl DomainConfig {
    /// Builds the simulator, checking that the configuration makes sense
    /// (sizes, readable tile images, distinguishable tiles).
    pub fn build(&self) -> anyhow::Result<Box<dyn Domain>> {
        Ok(match self {
            DomainConfig::SlidingPuzzle(c) => Box::new(SlidingPuzzle::new(c)?),
            DomainConfig::LightsOut(c) => Box::new(LightsOut::new(c)?),
            DomainConfig::Blocks(c) => Box::new(Blocks::new(c)?),
            DomainConfig::Hanoi(c) => Box::new(Hanoi::new(c)?),
            DomainConfig::Sokoban(c) => Box::new(Sokoban::new(c)?),
        })
    }

    /// Makes relative paths absolute against `base` (the preset file's folder).
    fn resolve_paths(&mut self, base: &Path) {
        match self {
            DomainConfig::SlidingPuzzle(c) => c.tiles.resolve_paths(base),
            DomainConfig::Sokoban(c) => c.resolve_paths(base),
            DomainConfig::LightsOut(_) | DomainConfig::Hanoi(_) | DomainConfig::Blocks(_) => {}
        }
    }
}

/// A named preset: a domain plus defaults for the commands that use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// Preset name (the file stem for a user's file).
    pub name: String,
    /// One line for `--help` listings and the README.
    #[serde(default)]
    pub description: String,
    /// Default number of training transitions (Latplan's `num_examples`).
    #[serde(default = "default_transitions")]
    pub transitions: usize,
    /// Default optimal plan lengths of problem sets (Latplan's 7 and 14;
    /// smaller worlds such as Hanoi have no states 14 moves from the goal).
    #[serde(default = "default_steps")]
    pub steps: Vec<usize>,
    /// The network that learns the domain (what `latplan train` uses unless
    /// `--preset` says otherwise).
    #[serde(default)]
    pub network: Network,
    /// The network that learns the domain on a GPU (what `latplan train`
    /// uses on CUDA, or with `--network gpu`): Latplan's convolutional one,
    /// sized for the domain. `[gpu-network]` in the file.
    #[serde(
        default,
        rename = "gpu-network",
        skip_serializing_if = "Option::is_none"
    )]
    pub gpu_network: Option<Network>,
    /// The world.
    pub domain: DomainConfig,
}

/// A domain's own network: a model preset and settings over it (the
/// `--set KEY=VALUE` of `latplan train`), chosen by measurement (README).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// The model preset, e.g. `cpu-mlp-ama4`.
    pub preset: crate::model::Preset,
    /// Settings over the preset, e.g. `["model.bits=64"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<String>,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            preset: crate::model::Preset::CpuMlp,
            set: Vec::new(),
        }
    }
}

fn default_transitions() -> usize {
    5000
}

fn default_steps() -> Vec<usize> {
    vec![7, 14]
}

impl Preset {
    /// Loads a preset by built-in name or by path to a `.toml` file.
    pub fn load(name_or_path: &str) -> anyhow::Result<Preset> {
        let path = Path::new(name_or_path);
        if name_or_path.ends_with(".toml") || path.is_file() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read preset file {}", path.display()))?;
            let mut preset = Self::from_toml(&text)
                .with_context(|| format!("invalid preset file {}", path.display()))?;
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let base = std::fs::canonicalize(&base).unwrap_or(base);
            preset.domain.resolve_paths(&base);
            return Ok(preset);
        }
        match BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            Some((_, text)) => Self::from_toml(text).with_context(|| format!("built-in preset {name_or_path} is invalid")),
            None => bail!(
                "unknown domain preset {name_or_path:?}: expected a path to a .toml file or one of {}",
                builtin_names().join(", ")
            ),
        }
    }

    /// Parses preset TOML text.
    pub fn from_toml(text: &str) -> anyhow::Result<Preset> {
        Ok(toml::from_str(text)?)
    }

    /// Replaces a sliding puzzle's tile source (the `--image` / `--tiles` flags).
    pub fn override_tiles(&mut self, source: TileSource) -> anyhow::Result<()> {
        match &mut self.domain {
            DomainConfig::SlidingPuzzle(c) => {
                c.tiles = source;
                Ok(())
            }
            _ => bail!(
                "--image and --tiles apply to sliding-puzzle presets only, and {} is not one",
                self.name
            ),
        }
    }
}

/// Names of the built-in presets.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

/// Absolute form of `p` against `base` (unchanged if already absolute).
pub(crate) fn absolute(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_preset_loads_and_builds() {
        for (name, _) in BUILTIN {
            let preset = Preset::load(name).unwrap();
            assert_eq!(&preset.name, name);
            if *name == "puzzle8-tiles" {
                continue; // needs the user's tile folder
            }
            preset
                .domain
                .build()
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
    }

    #[test]
    fn every_builtin_network_configures() {
        for (name, _) in BUILTIN {
            let preset = Preset::load(name).unwrap();
            let shape = super::super::Shape::gray(8, 8);
            for network in std::iter::once(&preset.network).chain(&preset.gpu_network) {
                crate::model::workflow::configure(network.preset, shape, 1, None, &network.set)
                    .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            }
        }
    }

    /// The six Latplan domains have a convolutional network for the GPU, at
    /// Latplan's size (50–300 bits, thousands of labels) and schedule in
    /// gradient steps.
    #[test]
    fn the_six_latplan_domains_have_convolutional_gpu_networks() {
        let six = [
            "puzzle8-digits",
            "puzzle15-picture",
            "lightsout5",
            "lightsout5-twisted",
            "blocks4",
            "blocks4-fixed",
            "sokoban7",
        ];
        for name in six {
            let preset = Preset::load(name).unwrap();
            let network = preset
                .gpu_network
                .unwrap_or_else(|| panic!("{name} has no [gpu-network]"));
            let shape = preset.domain.build().unwrap().shape();
            let (model, train) =
                crate::model::workflow::configure(network.preset, shape, 1, None, &network.set)
                    .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            assert!(
                matches!(model.arch, crate::model::Arch::Conv { .. }),
                "{name}"
            );
            assert!(
                (50..=300).contains(&model.bits),
                "{name}: {} bits",
                model.bits
            );
            assert!(model.actions >= 1000, "{name}: {} labels", model.actions);
            let train_pairs = preset.transitions * 9 / 10;
            let steps = train.epochs * (train_pairs / train.batch);
            assert!(
                (15_000..=30_000).contains(&steps),
                "{name}: {steps} joint steps (Latplan: about 22 000)"
            );
        }
    }

    #[test]
    fn unknown_preset_is_a_clear_error() {
        let err = Preset::load("no-such-domain").unwrap_err().to_string();
        assert!(err.contains("unknown domain preset"), "{err}");
        assert!(err.contains("puzzle8-digits"), "{err}");
    }
}
