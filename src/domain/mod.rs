//! Ground-truth worlds: rules, rendering to pixels, and parsing pixels back.
//!
//! Each world is a typed simulator (its own `State` with a text form) behind one
//! object-safe face, [`Domain`], which the pipeline uses without knowing which
//! world it has. States cross that face as [`Code`]: a fixed-length vector of
//! small integers whose meaning belongs to the world (tile at each position,
//! light per cell, ...). The ground truth serves exactly two purposes: making
//! training images and problems, and judging decoded plans (the parser).

pub mod blocks;
pub mod grid;
pub mod hanoi;
pub mod image;
pub mod lightsout;
pub mod preset;
pub mod puzzle;
pub mod search;
pub mod sokoban;
mod swirl;
#[cfg(test)]
mod tests;
mod tiles;

pub use image::{Image, Shape};
pub use preset::{DomainConfig, Preset};

use crate::util::Rng;

/// A state in canonical form: a fixed-length vector of small integers.
pub type Code = Vec<u8>;

/// What a parser read from an image.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The state the image shows.
    pub state: Code,
    /// Mean absolute pixel difference between the image and a clean rendering
    /// of `state` (0 for a clean rendering).
    pub distance: f32,
}

/// Why an image is not a valid state.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    /// The image has the wrong size or channel count.
    #[error("image is {got}, expected {expected}")]
    WrongShape {
        /// What the image is.
        got: Shape,
        /// What the domain renders.
        expected: Shape,
    },
    /// The pixels do not show a valid state; the text says where and why.
    #[error("{0}")]
    Invalid(String),
}

impl Rejection {
    /// `Ok` if `image` has the `expected` shape, else [`Rejection::WrongShape`].
    pub fn check_shape(image: &Image, expected: Shape) -> Result<(), Rejection> {
        if image.shape() == expected {
            Ok(())
        } else {
            Err(Rejection::WrongShape {
                got: image.shape(),
                expected,
            })
        }
    }
}

/// A problem's states: `init` is exactly `optimal` moves from `goal`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemStates {
    /// Start state.
    pub init: Code,
    /// Goal state.
    pub goal: Code,
    /// Length of a shortest plan (proved by breadth-first search).
    pub optimal: usize,
}

/// Errors of the domain layer that a user can cause.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// A state's text form could not be read.
    #[error("cannot read state {text:?}: {why}")]
    BadState {
        /// The text given.
        text: String,
        /// What was expected.
        why: String,
    },
    /// Problem generation found too few states at the requested distance.
    #[error("only {found} states are exactly {steps} moves away, {wanted} were asked for")]
    TooFewStates {
        /// The distance asked for.
        steps: usize,
        /// How many exist.
        found: usize,
        /// How many were asked for.
        wanted: usize,
    },
    /// Any other invalid configuration, with its explanation.
    #[error("{0}")]
    Config(String),
}

/// The object-safe face of every ground-truth world.
///
/// Contract: `goal`, `random_state`, `successors` and `read` return codes of
/// length `code_len()`; `parse(render(s)) == s` for every valid `s` and any
/// render randomness, with distance 0 (worlds with per-image jitter, like
/// Blocksworld, measure it to their jitter-free picture instead); `format`
/// and `read` round-trip.
pub trait Domain: Send + Sync {
    /// A short human name, e.g. "sliding puzzle 3×3 (digits)".
    fn describe(&self) -> String;
    /// The size of every rendered image.
    fn shape(&self) -> Shape;
    /// Length of every state code.
    fn code_len(&self) -> usize;
    /// The canonical goal state.
    fn goal(&self) -> Code;
    /// A uniformly random state (Latplan's sampling; it need not be reachable).
    fn random_state(&self, rng: &mut Rng) -> Code;
    /// Every state one legal move away, in a fixed order.
    fn successors(&self, state: &[u8]) -> Vec<Code>;
    /// Every state from which one legal move leads to `state`. The default
    /// assumes reversible moves (true of puzzles, LightsOut, Hanoi, Blocksworld).
    fn predecessors(&self, state: &[u8]) -> Vec<Code> {
        self.successors(state)
    }
    /// Renders a state; `rng` drives per-image jitter where a world has any.
    fn render(&self, state: &[u8], rng: &mut Rng) -> Image;
    /// Reads an image back into a state, or says why it shows no valid state.
    fn parse(&self, image: &Image) -> Result<Parsed, Rejection>;
    /// The state's text form (what `latplan render --state` reads).
    fn format(&self, state: &[u8]) -> String;
    /// Reads a state's text form.
    fn read(&self, text: &str) -> Result<Code, DomainError>;

    /// `n` training transitions (pre, successor). The default is Latplan's:
    /// a uniformly random state and one uniformly random legal move.
    fn sample_transitions(
        &self,
        n: usize,
        rng: &mut Rng,
    ) -> Result<Vec<(Code, Code)>, DomainError> {
        use rand::seq::IndexedRandom;
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let pre = self.random_state(rng);
            if let Some(suc) = self.successors(&pre).choose(rng) {
                out.push((pre.clone(), suc.clone()));
            }
        }
        Ok(out)
    }

    /// `count` problems per distance in `steps`. The default (Latplan's
    /// protocol): goal = the canonical goal, starts sampled uniformly among the
    /// states exactly N moves from it, found by breadth-first search backward.
    fn problems(
        &self,
        steps: usize,
        count: usize,
        rng: &mut Rng,
    ) -> Result<Vec<ProblemStates>, DomainError> {
        search::problems_before(&self.goal(), steps, count, rng, |s| self.predecessors(s))
    }

    /// Problems that belong to the world rather than to a distance, added
    /// once to every problem set. None by default; Sokoban has one: from the
    /// level's start to its nearest solved state (Latplan's "PDDL goal" instance).
    fn extra_problems(&self) -> Result<Vec<ProblemStates>, DomainError> {
        Ok(Vec::new())
    }

    /// The optimal number of moves from `from` to `to`, by breadth-first
    /// search over at most `limit` states unless the world knows better
    /// (LightsOut solves it by linear algebra at any size).
    fn distance(&self, from: &[u8], to: &[u8], limit: usize) -> search::Reach {
        search::distance(from, to, limit, |s| self.successors(s))
    }

    /// True when `next` is one legal move from `state`.
    fn is_move(&self, state: &[u8], next: &[u8]) -> bool {
        self.successors(state).iter().any(|s| s == next)
    }
}

/// Checks that no two templates are closer than `min_gap` (mean absolute
/// difference), so that a parser can always tell them apart.
pub(crate) fn check_distinct(
    templates: &[Image],
    min_gap: f32,
    what: &str,
) -> Result<f32, DomainError> {
    let mut closest = f32::INFINITY;
    for i in 0..templates.len() {
        for j in i + 1..templates.len() {
            let d = templates[i]
                .mean_abs_diff(&templates[j])
                .unwrap_or(f32::INFINITY);
            if d < min_gap {
                return Err(DomainError::Config(format!(
                    "{what} {i} and {j} are nearly identical (mean difference {d:.4} < {min_gap}): \
                     a parser could not tell them apart"
                )));
            }
            closest = closest.min(d);
        }
    }
    Ok(closest)
}
