//! Blocksworld (Latplan's photo-realistic Blocksworld, §1.3): `k` coloured
//! blocks on a table with a fixed number of positions, drawn by our own code
//! with shading and per-image jitter at about Latplan's size (32×48 RGB for
//! 4 blocks on 5 positions, Latplan's 30×45).
//!
//! The code says what each block stands on ([`rules::World`]). The canonical
//! goal is one tower on the leftmost position, in palette order from the
//! bottom: red, green, blue, yellow, … Rules live in [`rules`], drawing in
//! [`render`], reading pictures in [`parse`].

pub mod parse;
pub mod render;
pub mod rules;

use std::sync::OnceLock;

use rand::seq::IndexedRandom;
use serde::{Deserialize, Serialize};

use self::render::{paint, scene, Geometry, Jitter, PALETTE};
use self::rules::World;
use super::{search, Code, Domain, DomainError, Image, Parsed, Rejection, Shape};
use crate::util::Rng;

/// Blocksworld settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlocksConfig {
    /// Number of blocks, 1 to 6.
    pub blocks: usize,
    /// Number of table positions, 2 to 6 (Latplan's table has 5).
    pub positions: usize,
    /// Vary block positions, light and sensor noise in every picture.
    #[serde(default = "default_jitter")]
    pub jitter: bool,
}

fn default_jitter() -> bool {
    true
}

/// The Blocksworld world.
#[derive(Debug)]
pub struct Blocks {
    config: BlocksConfig,
    geometry: Geometry,
    /// Every state, breadth-first from the goal (made when first needed).
    states: OnceLock<Vec<Code>>,
}

impl Blocks {
    /// Checks the sizes.
    pub fn new(config: &BlocksConfig) -> Result<Blocks, DomainError> {
        let BlocksConfig {
            blocks, positions, ..
        } = *config;
        if !(1..=PALETTE.len()).contains(&blocks) {
            let max = PALETTE.len();
            return Err(DomainError::Config(format!(
                "blocks: blocks = {blocks}, expected 1 to {max}"
            )));
        }
        if !(2..=6).contains(&positions) {
            return Err(DomainError::Config(format!(
                "blocks: positions = {positions}, expected 2 to 6"
            )));
        }
        let geometry = Geometry { blocks, positions };
        Ok(Blocks {
            config: config.clone(),
            geometry,
            states: OnceLock::new(),
        })
    }

    /// Every state of the world, breadth-first from the goal.
    pub fn states(&self) -> &[Code] {
        self.states.get_or_init(|| {
            let (all, _) = search::reachable(&self.goal(), usize::MAX, |s| self.successors(s));
            all.into_iter().map(|(s, _)| s).collect()
        })
    }

    fn world(&self, code: &[u8]) -> World {
        World {
            positions: self.config.positions,
            on: code.to_vec(),
        }
    }

    /// The picture without jitter, the parser's reference.
    fn clean(&self, world: &World) -> Image {
        paint(
            &scene(self.geometry, world, None),
            &mut crate::util::rng(0, 0),
        )
    }
}

impl Domain for Blocks {
    fn describe(&self) -> String {
        let c = &self.config;
        format!(
            "Blocksworld, {} blocks on a table with {} positions",
            c.blocks, c.positions
        )
    }

    fn shape(&self) -> Shape {
        self.geometry.shape()
    }

    fn code_len(&self) -> usize {
        self.config.blocks
    }

    /// One tower on the leftmost position, block 0 (red) at the bottom.
    fn goal(&self) -> Code {
        let mut stacks = vec![Vec::new(); self.config.positions];
        stacks[0] = (0..self.config.blocks).collect();
        World::from_stacks(&stacks).on
    }

    /// A uniformly random state (Latplan draws a fresh random scene per pair).
    fn random_state(&self, rng: &mut Rng) -> Code {
        self.states()
            .choose(rng)
            .cloned()
            .unwrap_or_else(|| self.goal())
    }

    fn successors(&self, state: &[u8]) -> Vec<Code> {
        self.world(state)
            .successors()
            .into_iter()
            .map(|w| w.on)
            .collect()
    }

    fn render(&self, state: &[u8], rng: &mut Rng) -> Image {
        let world = self.world(state);
        if !self.config.jitter {
            return self.clean(&world);
        }
        let scene = scene(self.geometry, &world, Some((Jitter::DEFAULT, &mut *rng)));
        paint(&scene, rng)
    }

    /// Reads the blocks exactly; `distance` is to the jitter-free picture.
    fn parse(&self, image: &Image) -> Result<Parsed, Rejection> {
        if image.shape() != self.shape() {
            return Err(Rejection::WrongShape {
                got: image.shape(),
                expected: self.shape(),
            });
        }
        let world = parse::read(self.geometry, image)?;
        let distance = image
            .mean_abs_diff(&self.clean(&world))
            .unwrap_or(f32::INFINITY);
        Ok(Parsed {
            state: world.on,
            distance,
        })
    }

    fn format(&self, state: &[u8]) -> String {
        self.world(state).to_string()
    }

    fn read(&self, text: &str) -> Result<Code, DomainError> {
        let bad = |why: String| DomainError::BadState {
            text: text.to_string(),
            why,
        };
        let world: World = text.parse().map_err(bad)?;
        let BlocksConfig {
            blocks, positions, ..
        } = self.config;
        if world.positions != positions || world.blocks() != blocks {
            return Err(bad(format!(
                "it has {} blocks on {} positions, expected {blocks} blocks on {positions} positions separated by `|`",
                world.blocks(),
                world.positions
            )));
        }
        Ok(world.on)
    }
}

#[cfg(test)]
mod tests;
