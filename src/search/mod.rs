//! Best-first search over fixed-width bit states: A*, greedy best-first
//! search and bidirectional uniform-cost search with explicit limits and Fast Downward-style statistics, plus the
//! heuristics blind, goal-count, h^max and LM-cut.
//!
//! The engine is generic in the way of `pathfinding`'s `astar`: it sees the
//! problem through the small [`SearchSpace`] trait and the estimate through
//! [`Heuristic`]. [`BitSpace`] is the fast space of a [`crate::symbolic::StripsTask`].

mod bidir;
mod config;
mod engine;
mod filter;
pub mod heuristics;
mod lists;
mod open;
mod space;
mod successors;
mod table;

pub use bidir::{
    bidirectional, bidirectional_checked, BackwardSpace, Choice, Move, MAX_OPEN_EFFECT_BITS,
};
pub use config::{search_task, search_task_checked, search_task_guarded, SearchConfig};
pub use engine::{
    astar, best_first, LimitKind, Limits, Outcome, Plan, SearchResult, SearchStats, Strategy,
};
pub use filter::{retain_moves, Guard, Guarded};
pub use heuristics::HeuristicKind;
pub use space::BitSpace;
pub use successors::SuccessorGenerator;

/// A state space whose states are fixed-width words (`words()` `u64`s each).
pub trait SearchSpace {
    /// Words per state.
    fn words(&self) -> usize;
    /// The initial state.
    fn initial(&self) -> &[u64];
    /// True if `state` is a goal state.
    fn is_goal(&self, state: &[u64]) -> bool;
    /// Appends the ids of the operators applicable in `state` to `out`.
    fn applicable(&self, state: &[u64], out: &mut Vec<u32>);
    /// Writes the result of applying operator `op` to `state` into `out`.
    fn apply(&self, op: u32, state: &[u64], out: &mut [u64]);
    /// The cost of operator `op`.
    fn cost(&self, op: u32) -> u32;
    /// False if `state`, about to be expanded, must not be: it is closed as a
    /// dead end instead. Asked once per state, never of the initial state or
    /// a goal.
    #[inline]
    fn admits(&self, state: &[u64]) -> bool {
        let _ = state;
        true
    }
}

/// A goal-distance estimate: `None` means the state is a proven dead end.
pub trait Heuristic {
    /// The estimate for `state`.
    fn estimate(&mut self, state: &[u64]) -> Option<u32>;
}

impl<F: FnMut(&[u64]) -> Option<u32>> Heuristic for F {
    fn estimate(&mut self, state: &[u64]) -> Option<u32> {
        self(state)
    }
}

#[cfg(test)]
mod bidir_tests;
#[cfg(test)]
pub(crate) mod tests;
