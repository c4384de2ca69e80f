//! Towers of Hanoi (Latplan's extra domain, `puzzles/hanoi.py`): `d` coloured
//! disks on `t` towers, Latplan's tiny `d × 4t` RGB picture by default.
//!
//! The code is the tower of each disk, smallest disk first; the canonical goal
//! is every disk on the last tower (Latplan's). Rules live in [`rules`], the
//! picture and its parser in [`render`].

pub mod render;
pub mod rules;

use serde::{Deserialize, Serialize};

use self::render::{Art, MAX_DISKS};
use self::rules::Towers;
use super::{check_distinct, Code, Domain, DomainError, Image, Parsed, Rejection, Shape};
use crate::util::Rng;

/// Towers of Hanoi settings (Latplan's presets: 4-4, 3-9, 4-9, 5-9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HanoiConfig {
    /// Number of disks, 1 to 13.
    pub disks: usize,
    /// Number of towers, 3 to 16.
    pub towers: usize,
    /// Pixels per Latplan pixel: 1 keeps Latplan's `d × 4t` image; larger
    /// values draw disks of different widths, for viewing.
    #[serde(default = "default_scale")]
    pub scale: usize,
}

fn default_scale() -> usize {
    1
}

/// The Towers of Hanoi world.
#[derive(Debug, Clone)]
pub struct Hanoi {
    config: HanoiConfig,
    art: Art,
}

impl Hanoi {
    /// Checks the sizes and draws the tiles.
    pub fn new(config: &HanoiConfig) -> Result<Hanoi, DomainError> {
        let HanoiConfig {
            disks,
            towers,
            scale,
        } = *config;
        if !(1..=MAX_DISKS).contains(&disks) {
            return Err(DomainError::Config(format!(
                "hanoi: disks = {disks}, expected 1 to {MAX_DISKS}"
            )));
        }
        if !(3..=16).contains(&towers) {
            return Err(DomainError::Config(format!(
                "hanoi: towers = {towers}, expected 3 to 16"
            )));
        }
        if !(1..=16).contains(&scale) {
            return Err(DomainError::Config(format!(
                "hanoi: scale = {scale}, expected 1 to 16"
            )));
        }
        let art = Art::new(disks, towers, scale);
        check_distinct(art.tiles(), 0.05, "hanoi tiles")?;
        Ok(Hanoi {
            config: config.clone(),
            art,
        })
    }

    /// The typed state of a code.
    fn state(&self, code: &[u8]) -> Towers {
        Towers {
            towers: self.config.towers,
            on: code.to_vec(),
        }
    }
}

impl Domain for Hanoi {
    fn describe(&self) -> String {
        format!(
            "towers of Hanoi, {} disks on {} towers",
            self.config.disks, self.config.towers
        )
    }

    fn shape(&self) -> Shape {
        self.art.shape()
    }

    fn code_len(&self) -> usize {
        self.config.disks
    }

    fn goal(&self) -> Code {
        Towers::all_on(
            self.config.disks,
            self.config.towers,
            self.config.towers - 1,
        )
        .on
    }

    fn random_state(&self, rng: &mut Rng) -> Code {
        use rand::Rng as _;
        (0..self.config.disks)
            .map(|_| rng.random_range(0..self.config.towers) as u8)
            .collect()
    }

    fn successors(&self, state: &[u8]) -> Vec<Code> {
        self.state(state)
            .successors()
            .into_iter()
            .map(|s| s.on)
            .collect()
    }

    fn render(&self, state: &[u8], _rng: &mut Rng) -> Image {
        self.art.render(&self.state(state))
    }

    fn parse(&self, image: &Image) -> Result<Parsed, Rejection> {
        if image.shape() != self.shape() {
            return Err(Rejection::WrongShape {
                got: image.shape(),
                expected: self.shape(),
            });
        }
        let state = self.art.parse(image)?;
        let distance = image
            .mean_abs_diff(&self.art.render(&state))
            .unwrap_or(f32::INFINITY);
        Ok(Parsed {
            state: state.on,
            distance,
        })
    }

    fn format(&self, state: &[u8]) -> String {
        self.state(state).to_string()
    }

    fn read(&self, text: &str) -> Result<Code, DomainError> {
        let bad = |why: String| DomainError::BadState {
            text: text.to_string(),
            why,
        };
        let state: Towers = text.parse().map_err(bad)?;
        let (disks, towers) = (self.config.disks, self.config.towers);
        if state.towers != towers || state.on.len() != disks {
            return Err(bad(format!(
                "it has {} disks on {} towers, expected {disks} disks on {towers} towers separated by `|`",
                state.on.len(),
                state.towers
            )));
        }
        Ok(state.on)
    }
}

#[cfg(test)]
mod tests;
