//! Sokoban (Latplan's PDDLGym Sokoban, §1.3): small levels in the usual text
//! format under `domains/sokoban/` (or a user's file), 4 px sprite tiles.
//!
//! Unlike the other worlds, states are those reached from the level's start:
//! training pairs are edges of the state graph that breadth-first search
//! reaches from the start (at most `limit` states, Latplan's 20,000), and
//! problems start at the level's start with goals exactly N moves away
//! (Latplan's protocol), plus one problem to the nearest solved state.
//! Deadlocked states are ordinary states here. Rules live in [`rules`], the
//! level format in [`level`], sprites and the parser in [`render`].

pub mod level;
pub mod render;
pub mod rules;

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rand::seq::{IndexedRandom, SliceRandom};
use serde::{Deserialize, Serialize};

use self::level::Level;
use self::render::Art;
use self::rules::Board;
use super::{search, Code, Domain, DomainError, Image, Parsed, ProblemStates, Rejection, Shape};
use crate::util::Rng;

/// Built-in levels, `(name, text)`, compiled from `domains/sokoban/*.txt`.
pub const LEVELS: &[(&str, &str)] = &[
    (
        "sokoban6",
        include_str!("../../../domains/sokoban/sokoban6.txt"),
    ),
    (
        "sokoban7",
        include_str!("../../../domains/sokoban/sokoban7.txt"),
    ),
    (
        "sokoban7b",
        include_str!("../../../domains/sokoban/sokoban7b.txt"),
    ),
    (
        "sokoban7x8",
        include_str!("../../../domains/sokoban/sokoban7x8.txt"),
    ),
    (
        "sokoban8",
        include_str!("../../../domains/sokoban/sokoban8.txt"),
    ),
];

/// The most states the search for a solved state visits.
const SOLVE_LIMIT: usize = 2_000_000;

/// Sokoban settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SokobanConfig {
    /// A built-in level name (`sokoban6`, `sokoban7`, `sokoban7b`,
    /// `sokoban7x8`, `sokoban8`) or the path
    /// of a level file (relative paths are relative to the preset file).
    pub level: String,
    /// Tile size in pixels (Latplan's: 4).
    #[serde(default = "default_tile")]
    pub tile: usize,
    /// At most this many states are reached from the start (Latplan's 20,000).
    #[serde(default = "default_limit")]
    pub limit: usize,
}

fn default_tile() -> usize {
    4
}

fn default_limit() -> usize {
    20_000
}

impl SokobanConfig {
    /// Makes a level file path absolute against `base` (built-in names stay).
    pub fn resolve_paths(&mut self, base: &Path) {
        if builtin_level(&self.level).is_none() {
            self.level = super::preset::absolute(base, Path::new(&self.level))
                .display()
                .to_string();
        }
    }

    /// The level's name and text: built in, or read from its file.
    fn level_text(&self) -> Result<(String, String), DomainError> {
        if let Some(text) = builtin_level(&self.level) {
            return Ok((self.level.clone(), text.to_string()));
        }
        let path = PathBuf::from(&self.level);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let names: Vec<&str> = LEVELS.iter().map(|(n, _)| *n).collect();
            DomainError::Config(format!(
                "cannot read Sokoban level file {}: {e} (expected a level file or one of {})",
                path.display(),
                names.join(", ")
            ))
        })?;
        Ok((path.display().to_string(), text))
    }
}

fn builtin_level(name: &str) -> Option<&'static str> {
    LEVELS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// A Sokoban level with its sprites and the states reached from its start.
#[derive(Debug, Clone)]
pub struct Sokoban {
    name: String,
    level: Level,
    art: Art,
    /// States reached from the start, breadth-first (at most `limit`).
    reached: Vec<Code>,
    /// The nearest solved state and its distance, or why there is none
    /// (searched when first needed: only problems and `goal` need it).
    solved: OnceLock<Result<(Code, usize), String>>,
}

impl Sokoban {
    /// Reads the level, draws the sprites and explores from the start.
    pub fn new(config: &SokobanConfig) -> Result<Sokoban, DomainError> {
        let (name, text) = config.level_text()?;
        let level = Level::parse(&text)
            .map_err(|why| DomainError::Config(format!("Sokoban level {name}: {why}")))?;
        if !(2..=64).contains(&config.tile) {
            return Err(DomainError::Config(format!(
                "sokoban: tile = {}, expected 2 to 64 pixels",
                config.tile
            )));
        }
        if config.limit < 2 {
            return Err(DomainError::Config(format!(
                "sokoban: limit = {}, expected at least 2 states",
                config.limit
            )));
        }
        let art = Art::new(config.tile)?;
        let (reached, _) =
            search::reachable(&level.start.code(), config.limit, |s| next(&level, s));
        let reached = reached.into_iter().map(|(s, _)| s).collect();
        Ok(Sokoban {
            name,
            level,
            art,
            reached,
            solved: OnceLock::new(),
        })
    }

    /// The level.
    pub fn level(&self) -> &Level {
        &self.level
    }

    /// The states reached from the start, breadth-first.
    pub fn reached(&self) -> &[Code] {
        &self.reached
    }

    /// The nearest solved state (every box on a target) and its distance
    /// from the start, or why there is none.
    pub fn nearest_solved(&self) -> Result<(Code, usize), DomainError> {
        let solved = self
            .solved
            .get_or_init(|| nearest_solved(&self.name, &self.level));
        solved.clone().map_err(DomainError::Config)
    }
}

/// Breadth-first search from the start of `level` for the nearest state with
/// every box on a target.
fn nearest_solved(name: &str, level: &Level) -> Result<(Code, usize), String> {
    let start = level.start.code();
    let mut seen = HashSet::from([start.clone()]);
    let mut queue = VecDeque::from([(start, 0)]);
    while let Some((s, d)) = queue.pop_front() {
        if level.solved(&Board::from_code(&s)) {
            return Ok((s, d));
        }
        if seen.len() > SOLVE_LIMIT {
            break;
        }
        for t in next(level, &s) {
            if seen.insert(t.clone()) {
                queue.push_back((t, d + 1));
            }
        }
    }
    Err(format!(
        "Sokoban level {name} has no solved state reachable from its start (searched {} states)",
        seen.len()
    ))
}

/// Successor codes of a code.
fn next(level: &Level, code: &[u8]) -> Vec<Code> {
    level
        .successors(&Board::from_code(code))
        .iter()
        .map(Board::code)
        .collect()
}

impl Domain for Sokoban {
    fn describe(&self) -> String {
        let l = &self.level;
        format!(
            "Sokoban level {}, {}×{} with {} boxes",
            self.name,
            l.height,
            l.width,
            l.start.boxes.len()
        )
    }

    fn shape(&self) -> Shape {
        self.art.shape(&self.level)
    }

    fn code_len(&self) -> usize {
        1 + self.level.start.boxes.len()
    }

    /// The nearest solved state (the level's start if it cannot be solved).
    fn goal(&self) -> Code {
        match self.nearest_solved() {
            Ok((solved, _)) => solved,
            Err(_) => self.level.start.code(),
        }
    }

    /// A uniformly random state among those reached from the start.
    fn random_state(&self, rng: &mut Rng) -> Code {
        self.reached
            .choose(rng)
            .cloned()
            .unwrap_or_else(|| self.level.start.code())
    }

    fn successors(&self, state: &[u8]) -> Vec<Code> {
        next(&self.level, state)
    }

    fn predecessors(&self, state: &[u8]) -> Vec<Code> {
        self.level
            .predecessors(&Board::from_code(state))
            .iter()
            .map(Board::code)
            .collect()
    }

    fn render(&self, state: &[u8], _rng: &mut Rng) -> Image {
        self.art.render(&self.level, &Board::from_code(state))
    }

    fn parse(&self, image: &Image) -> Result<Parsed, Rejection> {
        if image.shape() != self.shape() {
            return Err(Rejection::WrongShape {
                got: image.shape(),
                expected: self.shape(),
            });
        }
        let board = self.art.parse(&self.level, image)?;
        let distance = image
            .mean_abs_diff(&self.art.render(&self.level, &board))
            .unwrap_or(f32::INFINITY);
        Ok(Parsed {
            state: board.code(),
            distance,
        })
    }

    /// The level drawing on one line, rows separated by `/` (messages and
    /// problem files show states on one line; `read` takes either form).
    fn format(&self, state: &[u8]) -> String {
        self.level.show(&Board::from_code(state)).replace('\n', "/")
    }

    fn read(&self, text: &str) -> Result<Code, DomainError> {
        let bad = |why| DomainError::BadState {
            text: text.to_string(),
            why,
        };
        Ok(self.level.read_board(text).map_err(bad)?.code())
    }

    /// `n` distinct edges of the state graph among the states reached from
    /// the start, in random order (Latplan's Sokoban dataset).
    fn sample_transitions(
        &self,
        n: usize,
        rng: &mut Rng,
    ) -> Result<Vec<(Code, Code)>, DomainError> {
        let known: HashSet<&Code> = self.reached.iter().collect();
        let mut edges: Vec<(Code, Code)> = Vec::new();
        for s in &self.reached {
            edges.extend(
                self.successors(s)
                    .into_iter()
                    .filter(|t| known.contains(t))
                    .map(|t| (s.clone(), t)),
            );
        }
        if edges.len() < n {
            return Err(DomainError::Config(format!(
                "Sokoban level {} has only {} moves among the {} states reached from its start; ask for at most {}",
                self.name,
                edges.len(),
                self.reached.len(),
                edges.len()
            )));
        }
        edges.shuffle(rng);
        edges.truncate(n);
        Ok(edges)
    }

    /// Latplan's protocol for Sokoban: start = the level's start, goals drawn
    /// among the states exactly `steps` moves from it (forward search).
    fn problems(
        &self,
        steps: usize,
        count: usize,
        rng: &mut Rng,
    ) -> Result<Vec<ProblemStates>, DomainError> {
        let start = self.level.start.code();
        let layer = search::layer_at(&start, steps, |s| self.successors(s));
        let goals = search::sample(layer, count, steps, rng)?;
        Ok(goals
            .into_iter()
            .map(|goal| ProblemStates {
                init: start.clone(),
                goal,
                optimal: steps,
            })
            .collect())
    }

    /// The level's own problem: from the start to the nearest solved state.
    fn extra_problems(&self) -> Result<Vec<ProblemStates>, DomainError> {
        let (goal, optimal) = self.nearest_solved()?;
        Ok(vec![ProblemStates {
            init: self.level.start.code(),
            goal,
            optimal,
        }])
    }
}

#[cfg(test)]
mod tests;
