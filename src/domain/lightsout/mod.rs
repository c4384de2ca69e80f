//! LightsOut n×n and Twisted LightsOut (Latplan §1.3).
//!
//! A state is one light per cell; pressing a cell toggles it and its four
//! neighbours (n² moves). The goal is all lights off. An "on" cell is drawn as
//! a plus, an "off" cell is black (9-pixel cells: 5×5 → 45×45). The twisted
//! variant pads the image by one pixel and swirls it (47×47); its parser
//! unswirls before reading the cells.

use std::fmt::Write as _;

use rand::Rng as _;
use serde::{Deserialize, Serialize};

mod gf2;

use super::grid::GridMatcher;
use super::swirl::Warp;
use super::{
    check_distinct, Code, Domain, DomainError, Image, Parsed, ProblemStates, Rejection, Shape,
};
use crate::util::Rng;

/// Configuration of LightsOut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LightsOutConfig {
    /// Cells per side.
    pub size: usize,
    /// Side of a cell in pixels (Latplan: 9).
    #[serde(default = "default_cell")]
    pub cell_size: usize,
    /// Behind a swirl distortion (Twisted LightsOut).
    #[serde(default)]
    pub twisted: bool,
}

fn default_cell() -> usize {
    9
}

/// Swirl strength of Twisted LightsOut (Latplan: 3).
const SWIRL_STRENGTH: f32 = 3.0;

/// LightsOut with its cell templates and, when twisted, its warps.
#[derive(Debug, Clone)]
pub struct LightsOut {
    cfg: LightsOutConfig,
    matcher: GridMatcher,
    twist: Option<(Warp, Warp)>,
}

impl LightsOut {
    /// Builds the domain.
    pub fn new(cfg: &LightsOutConfig) -> anyhow::Result<Self> {
        if !(2..=16).contains(&cfg.size) || !(5..=64).contains(&cfg.cell_size) {
            return Err(DomainError::Config(format!(
                "LightsOut needs size 2…16 and cell_size 5…64, not size {} and cell_size {}",
                cfg.size, cfg.cell_size
            ))
            .into());
        }
        let templates = vec![
            Image::filled(Shape::gray(cfg.cell_size, cfg.cell_size), 0.0),
            plus(cfg.cell_size),
        ];
        let closest = check_distinct(&templates, 0.05, "cell templates")?;
        let twist = cfg.twisted.then(|| {
            let side = cfg.size * cfg.cell_size + 2;
            let shape = Shape::gray(side, side);
            let radius = 0.75 * side as f32;
            (
                Warp::swirl(shape, SWIRL_STRENGTH, radius),
                Warp::swirl(shape, -SWIRL_STRENGTH, radius),
            )
        });
        Ok(LightsOut {
            cfg: cfg.clone(),
            matcher: GridMatcher::new(templates, closest),
            twist,
        })
    }

    /// Pad (pixels around the grid) of the rendered image.
    fn pad(&self) -> usize {
        usize::from(self.cfg.twisted)
    }

    fn draw(&self, state: &[u8]) -> Image {
        let (s, n, p) = (self.cfg.cell_size, self.cfg.size, self.pad());
        let mut img = Image::filled(self.shape(), 0.0);
        for (i, &on) in state.iter().enumerate() {
            img.paste(
                &self.matcher.templates()[on as usize],
                p + (i / n) * s,
                p + (i % n) * s,
            );
        }
        match &self.twist {
            Some((forward, _)) => forward.apply(&img),
            None => img,
        }
    }
}

/// Boards with at most this many cells get problems by breadth-first search
/// (2^16 states); larger ones by the algebra of [`gf2`].
const EXHAUSTIVE_CELLS: usize = 16;

impl LightsOut {
    /// `count` distinct boards exactly `steps` presses from all-off, uniformly:
    /// a random press set P of size `steps` is kept when no press set of its
    /// coset is smaller, with probability 1 / (number of minimal ones), so
    /// every board is equally likely whatever its number of optimal plans.
    fn sample_at_distance(
        &self,
        steps: usize,
        count: usize,
        rng: &mut Rng,
    ) -> Result<Vec<Code>, DomainError> {
        use rand::seq::index;
        let (n, cells) = (self.cfg.size, self.code_len());
        if steps > cells {
            return Err(DomainError::TooFewStates {
                steps,
                found: 0,
                wanted: count,
            });
        }
        let kernel = gf2::span(&gf2::null_space(n), cells);
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for _ in 0..MAX_DRAWS {
            if out.len() == count {
                break;
            }
            let mut presses = vec![0u8; cells];
            index::sample(rng, cells, steps)
                .into_iter()
                .for_each(|i| presses[i] = 1);
            let (mut minimal, mut smaller) = (0usize, false);
            for w in gf2::weights(&kernel, &presses) {
                smaller |= w < steps;
                minimal += usize::from(w == steps);
            }
            if smaller || rng.random_range(0..minimal) != 0 {
                continue;
            }
            let state = gf2::board(n, &presses);
            if seen.insert(state.clone()) {
                out.push(state);
            }
        }
        if out.len() < count {
            return Err(DomainError::Config(format!(
                "drew only {} distinct boards exactly {steps} presses from the goal in {MAX_DRAWS} tries, {count} were asked for",
                out.len()
            )));
        }
        Ok(out)
    }
}

/// Tries allowed when drawing boards at a distance.
const MAX_DRAWS: usize = 1_000_000;

/// An "on" cell: a plus, a third of the cell thick, leaving a one-pixel border.
fn plus(cell: usize) -> Image {
    let mut img = Image::filled(Shape::gray(cell, cell), 0.0);
    let t = (cell / 3).max(1);
    let lo = (cell - t) / 2;
    for a in 1..cell - 1 {
        for b in lo..lo + t {
            img.set(a, b, 0, 1.0);
            img.set(b, a, 0, 1.0);
        }
    }
    img
}

impl Domain for LightsOut {
    fn describe(&self) -> String {
        let kind = if self.cfg.twisted {
            "twisted LightsOut"
        } else {
            "LightsOut"
        };
        format!("{kind} {}×{}", self.cfg.size, self.cfg.size)
    }

    fn shape(&self) -> Shape {
        let side = self.cfg.size * self.cfg.cell_size + 2 * self.pad();
        Shape::gray(side, side)
    }

    fn code_len(&self) -> usize {
        self.cfg.size * self.cfg.size
    }

    fn goal(&self) -> Code {
        vec![0; self.code_len()]
    }

    fn random_state(&self, rng: &mut Rng) -> Code {
        (0..self.code_len())
            .map(|_| u8::from(rng.random::<bool>()))
            .collect()
    }

    fn distance(&self, from: &[u8], to: &[u8], _limit: usize) -> super::search::Reach {
        match gf2::min_presses(self.cfg.size, from, to) {
            Some(d) => super::search::Reach::Moves(d),
            None => super::search::Reach::Unreachable,
        }
    }

    fn successors(&self, state: &[u8]) -> Vec<Code> {
        let n = self.cfg.size;
        (0..n * n)
            .map(|i| {
                let mut next = state.to_vec();
                let (r, c) = (i / n, i % n);
                next[i] ^= 1;
                if r > 0 {
                    next[i - n] ^= 1;
                }
                if r + 1 < n {
                    next[i + n] ^= 1;
                }
                if c > 0 {
                    next[i - 1] ^= 1;
                }
                if c + 1 < n {
                    next[i + 1] ^= 1;
                }
                next
            })
            .collect()
    }

    fn problems(
        &self,
        steps: usize,
        count: usize,
        rng: &mut Rng,
    ) -> Result<Vec<ProblemStates>, DomainError> {
        if self.code_len() <= EXHAUSTIVE_CELLS {
            let predecessors = |s: &[u8]| self.predecessors(s);
            return super::search::problems_before(&self.goal(), steps, count, rng, predecessors);
        }
        let starts = self.sample_at_distance(steps, count, rng)?;
        Ok(starts
            .into_iter()
            .map(|init| ProblemStates {
                init,
                goal: self.goal(),
                optimal: steps,
            })
            .collect())
    }

    fn render(&self, state: &[u8], _rng: &mut Rng) -> Image {
        self.draw(state)
    }

    fn parse(&self, image: &Image) -> Result<Parsed, Rejection> {
        Rejection::check_shape(image, self.shape())?;
        let flat = match &self.twist {
            Some((_, inverse)) => inverse.apply(image),
            None => image.clone(),
        };
        let (n, p) = (self.cfg.size, self.pad());
        let state = self.matcher.match_grid(&flat, n, n, p, p)?;
        let distance = image
            .mean_abs_diff(&self.draw(&state))
            .unwrap_or(f32::INFINITY);
        Ok(Parsed { state, distance })
    }

    fn format(&self, state: &[u8]) -> String {
        let mut out = String::new();
        for (r, row) in state.chunks(self.cfg.size).enumerate() {
            if r > 0 {
                out.push_str(" / ");
            }
            for &v in row {
                let _ = write!(out, "{}", if v == 1 { '#' } else { '.' });
            }
        }
        out
    }

    fn read(&self, text: &str) -> Result<Code, DomainError> {
        let n = self.cfg.size;
        let rows: Vec<&str> = text
            .split(['/', '\n'])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect();
        let bad = |why: String| DomainError::BadState {
            text: text.into(),
            why,
        };
        if rows.len() != n || rows.iter().any(|r| r.chars().count() != n) {
            return Err(bad(format!(
                "expected {n} rows of {n} cells ('#' on, '.' off) separated by '/'"
            )));
        }
        rows.concat()
            .chars()
            .map(|ch| match ch {
                '#' | '1' => Ok(1),
                '.' | '0' => Ok(0),
                other => Err(bad(format!(
                    "{other:?} is not a cell: expected '#' (on) or '.' (off)"
                ))),
            })
            .collect()
    }
}
