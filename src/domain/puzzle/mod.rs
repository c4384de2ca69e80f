//! The sliding-tile puzzle (Latplan's MNIST 8-puzzle and Mandrill 15-puzzle):
//! rules in [`rules`], tiles from a [`TileSource`], rendering by pasting tiles,
//! parsing by nearest tile per cell (no tile twice).

pub mod rules;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::grid::GridMatcher;
pub use super::tiles::TileSource;
use super::{check_distinct, Code, Domain, DomainError, Image, Parsed, Rejection, Shape};
use crate::util::Rng;
use rules::PuzzleState;

/// Smallest mean difference allowed between two tiles.
const MIN_TILE_GAP: f32 = 0.03;

/// Configuration of a sliding puzzle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PuzzleConfig {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Side of a tile in pixels.
    pub tile_size: usize,
    /// Where the tile pictures come from.
    pub tiles: TileSource,
}

/// A sliding puzzle with its tile bank.
#[derive(Debug, Clone)]
pub struct SlidingPuzzle {
    cfg: PuzzleConfig,
    matcher: GridMatcher,
}

impl SlidingPuzzle {
    /// Builds the puzzle, making its tiles and checking they are distinguishable.
    pub fn new(cfg: &PuzzleConfig) -> anyhow::Result<Self> {
        let n = cfg.width * cfg.height;
        if cfg.width < 2 || cfg.height < 2 || n > 100 {
            return Err(DomainError::Config(format!(
                "a sliding puzzle must be at least 2×2 and at most 100 tiles, not {}×{}",
                cfg.width, cfg.height
            ))
            .into());
        }
        if !(4..=256).contains(&cfg.tile_size) {
            return Err(DomainError::Config(format!(
                "tile_size must be 4…256 pixels, not {}",
                cfg.tile_size
            ))
            .into());
        }
        let tiles = cfg.tiles.make(cfg.width, cfg.height, cfg.tile_size)?;
        let closest = check_distinct(&tiles, MIN_TILE_GAP, "tiles")?;
        Ok(SlidingPuzzle {
            cfg: cfg.clone(),
            matcher: GridMatcher::new(tiles, closest),
        })
    }

    /// The tile images.
    pub fn tiles(&self) -> &[Image] {
        self.matcher.templates()
    }

    fn typed(&self, code: &[u8]) -> PuzzleState {
        PuzzleState {
            width: self.cfg.width,
            height: self.cfg.height,
            tiles: code.to_vec(),
        }
    }

    fn draw(&self, code: &[u8]) -> Image {
        let s = self.cfg.tile_size;
        let mut img = Image::filled(self.shape(), 0.0);
        for (pos, &tile) in code.iter().enumerate() {
            img.paste(
                &self.tiles()[tile as usize],
                (pos / self.cfg.width) * s,
                (pos % self.cfg.width) * s,
            );
        }
        img
    }
}

impl Domain for SlidingPuzzle {
    fn describe(&self) -> String {
        format!(
            "sliding puzzle {}×{} ({})",
            self.cfg.width,
            self.cfg.height,
            self.cfg.tiles.describe()
        )
    }

    fn shape(&self) -> Shape {
        Shape::gray(
            self.cfg.height * self.cfg.tile_size,
            self.cfg.width * self.cfg.tile_size,
        )
    }

    fn code_len(&self) -> usize {
        self.cfg.width * self.cfg.height
    }

    fn goal(&self) -> Code {
        PuzzleState::goal(self.cfg.width, self.cfg.height).tiles
    }

    fn random_state(&self, rng: &mut Rng) -> Code {
        let mut tiles = self.goal();
        tiles.shuffle(rng);
        tiles
    }

    fn successors(&self, state: &[u8]) -> Vec<Code> {
        self.typed(state)
            .successors()
            .into_iter()
            .map(|s| s.tiles)
            .collect()
    }

    fn render(&self, state: &[u8], _rng: &mut Rng) -> Image {
        self.draw(state)
    }

    fn parse(&self, image: &Image) -> Result<Parsed, Rejection> {
        Rejection::check_shape(image, self.shape())?;
        let state = self
            .matcher
            .match_grid(image, self.cfg.height, self.cfg.width, 0, 0)?;
        let mut first = vec![None; state.len()];
        for (pos, &tile) in state.iter().enumerate() {
            if let Some(other) = first[tile as usize].replace(pos) {
                return Err(Rejection::Invalid(format!(
                    "tile {tile} appears twice, at cells {} and {}",
                    cell_name(other, self.cfg.width),
                    cell_name(pos, self.cfg.width)
                )));
            }
        }
        let distance = image
            .mean_abs_diff(&self.draw(&state))
            .unwrap_or(f32::INFINITY);
        Ok(Parsed { state, distance })
    }

    fn format(&self, state: &[u8]) -> String {
        self.typed(state).to_string()
    }

    fn read(&self, text: &str) -> Result<Code, DomainError> {
        let bad = |why: String| DomainError::BadState {
            text: text.into(),
            why,
        };
        let s: PuzzleState = text.parse().map_err(bad)?;
        if (s.width, s.height) != (self.cfg.width, self.cfg.height) {
            return Err(bad(format!(
                "expected a {}×{} puzzle, got {}×{}",
                self.cfg.width, self.cfg.height, s.width, s.height
            )));
        }
        Ok(s.tiles)
    }
}

/// "(row r, column c)" for a row-major position.
fn cell_name(pos: usize, width: usize) -> String {
    format!("(row {}, column {})", pos / width, pos % width)
}
