//! Search options shared by `solve`, `plan`, `eval` (one set of names for the
//! planner everywhere), turned into the library's [`SearchConfig`].

use std::time::Duration;

use anyhow::bail;
use clap::{Args, ValueEnum};

use crate::search::{HeuristicKind, Limits, SearchConfig, Strategy};

/// The search algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SearchArg {
    /// A*: optimal plans with an admissible heuristic (blind, hmax, lmcut).
    Astar,
    /// Greedy best-first search: fast, plans not necessarily optimal.
    Gbfs,
    /// Bidirectional uniform-cost search from the start and the goal state:
    /// optimal, no heuristic (the goal must be one complete state, as it is
    /// when planning from pictures).
    Bidir,
}

/// The heuristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HeuristicArg {
    /// 0 at the goal, 1 elsewhere (admissible).
    Blind,
    /// Unsatisfied goal literals (not admissible).
    GoalCount,
    /// h^max (admissible).
    Hmax,
    /// LM-cut (admissible, usually the strongest).
    Lmcut,
}

impl From<HeuristicArg> for HeuristicKind {
    fn from(h: HeuristicArg) -> Self {
        match h {
            HeuristicArg::Blind => Self::Blind,
            HeuristicArg::GoalCount => Self::GoalCount,
            HeuristicArg::Hmax => Self::Hmax,
            HeuristicArg::Lmcut => Self::Lmcut,
        }
    }
}

/// Search algorithm, heuristic and limits.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Search algorithm.
    #[arg(long, value_enum, default_value = "astar")]
    pub search: SearchArg,
    /// Heuristic of A* and greedy search [default: lmcut].
    #[arg(long, short = 'H', value_enum)]
    pub heuristic: Option<HeuristicArg>,
    /// Stop after this many seconds of search (per problem; `eval` defaults to 60).
    #[arg(long, value_name = "SECONDS")]
    pub max_time: Option<f64>,
    /// Stop after this many expansions.
    #[arg(long, value_name = "N")]
    pub max_expansions: Option<u64>,
    /// Stop when the search's states and tables exceed this many MiB.
    #[arg(long, value_name = "MIB")]
    pub max_memory: Option<u64>,
}

impl SearchArgs {
    /// The library's search configuration; `default_time` applies when
    /// `--max-time` is not given.
    pub fn config(&self, default_time: Option<f64>) -> anyhow::Result<SearchConfig> {
        let max_time = match self.max_time.or(default_time) {
            Some(t) if !(t.is_finite() && t > 0.0) => {
                bail!("--max-time must be a positive number of seconds, got {t}")
            }
            t => t.map(Duration::from_secs_f64),
        };
        let max_memory_bytes = self
            .max_memory
            .map(|m| usize::try_from(m.saturating_mul(1 << 20)).unwrap_or(usize::MAX));
        let (strategy, heuristic) = match (self.search, self.heuristic) {
            (SearchArg::Astar, h) => (Strategy::AStar, h.unwrap_or(HeuristicArg::Lmcut)),
            (SearchArg::Gbfs, h) => (Strategy::Greedy, h.unwrap_or(HeuristicArg::Lmcut)),
            (SearchArg::Bidir, None) => (Strategy::Bidirectional, HeuristicArg::Blind),
            (SearchArg::Bidir, Some(_)) => bail!(
                "--search bidir uses no heuristic; leave out --heuristic (or use --search astar)"
            ),
        };
        let limits = Limits {
            max_expansions: self.max_expansions,
            max_time,
            max_memory_bytes,
        };
        Ok(SearchConfig {
            strategy,
            heuristic: heuristic.into(),
            limits,
        })
    }
}

/// Why `--search bidir` stopped with `limit: predecessors`, for `solve` and `plan`.
pub fn predecessors_limit_text() -> String {
    format!(
        "--search bidir met a state with more than 2^{} predecessors through one action \
         (its precondition leaves that many of the bits it changes open); use --search astar",
        crate::search::MAX_OPEN_EFFECT_BITS
    )
}
