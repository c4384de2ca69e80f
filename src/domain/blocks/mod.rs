//! Blocksworld (Latplan's photo-realistic Blocksworld, §1.3): `k` coloured
//! blocks on a table with a fixed number of positions, drawn by our own code
//! with shading and jitter (fresh in every picture, or one picture per state
//! as Latplan's renders) at about Latplan's size (32×48 RGB for 4 blocks on 5
//! positions, Latplan's 30×45).
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
    /// How the pictures of one state vary: `true` (fresh jitter of block
    /// positions, light and sensor noise in every picture), `false` (none) or
    /// `"state"` (one jittered picture per state).
    #[serde(default = "default_jitter")]
    pub jitter: JitterMode,
}

fn default_jitter() -> JitterMode {
    JitterMode::PerImage
}

/// How the pictures of one state vary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "JitterSetting", into = "JitterSetting")]
pub enum JitterMode {
    /// Every picture of a state is the same clean drawing (`jitter = false`).
    Off,
    /// Every picture draws fresh jitter from the caller's generator
    /// (`jitter = true`): two pictures of one state differ.
    PerImage,
    /// Every state has one jittered picture, drawn from a generator seeded by
    /// the state itself (`jitter = "state"`): the same on every call, seed and
    /// machine. This is how Latplan's Blender renderer made its data: it
    /// enumerates the states, renders each once, and links every transition's
    /// before and after to those renders.
    PerState,
}

/// The form `jitter` takes in a preset: a flag or a name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum JitterSetting {
    Flag(bool),
    Name(String),
}

impl TryFrom<JitterSetting> for JitterMode {
    type Error = String;

    fn try_from(s: JitterSetting) -> Result<JitterMode, String> {
        match s {
            JitterSetting::Flag(true) => Ok(JitterMode::PerImage),
            JitterSetting::Flag(false) => Ok(JitterMode::Off),
            JitterSetting::Name(n) if n == "state" => Ok(JitterMode::PerState),
            JitterSetting::Name(n) => Err(format!(
                "jitter = \"{n}\", expected true, false or \"state\""
            )),
        }
    }
}

impl From<JitterMode> for JitterSetting {
    fn from(m: JitterMode) -> JitterSetting {
        match m {
            JitterMode::Off => JitterSetting::Flag(false),
            JitterMode::PerImage => JitterSetting::Flag(true),
            JitterMode::PerState => JitterSetting::Name("state".into()),
        }
    }
}

/// The seed of the per-state pictures (`jitter = "state"`), each state's
/// generator a stream of it.
const STATE_PICTURE_SEED: u64 = 0x0b10_c4ed;

/// The generator of one state's picture: its stream is an FNV-1a hash of the code.
fn state_rng(state: &[u8]) -> Rng {
    let hash = state.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    crate::util::rng(STATE_PICTURE_SEED, hash)
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
        let mut own;
        let rng = match self.config.jitter {
            JitterMode::Off => return self.clean(&world),
            JitterMode::PerImage => rng,
            JitterMode::PerState => {
                own = state_rng(state);
                &mut own
            }
        };
        let scene = scene(self.geometry, &world, Some((Jitter::DEFAULT, &mut *rng)));
        paint(&scene, rng)
    }

    /// Reads the blocks exactly; `distance` is to the jitter-free picture.
    fn parse(&self, image: &Image) -> Result<Parsed, Rejection> {
        Rejection::check_shape(image, self.shape())?;
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
