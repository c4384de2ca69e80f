//! One entry point for running a configured search on a [`StripsTask`]: the
//! heuristic choice is matched here, once, so each search is monomorphized.

use super::filter::{Guard, Guarded};
use super::heuristics::{Blind, GoalCount, HMax, HeuristicKind, LmCut};
use super::{
    best_first, bidirectional, bidirectional_checked, BackwardSpace, BitSpace, Choice, Limits,
    SearchResult, Strategy,
};
use crate::symbolic::StripsTask;

/// What search to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SearchConfig {
    /// A*, greedy best-first or bidirectional (which uses no heuristic).
    pub strategy: Strategy,
    /// The heuristic.
    pub heuristic: HeuristicKind,
    /// Resource limits.
    pub limits: Limits,
}

impl Default for SearchConfig {
    /// A* with LM-cut and no limits.
    fn default() -> Self {
        Self {
            strategy: Strategy::AStar,
            heuristic: HeuristicKind::Lmcut,
            limits: Limits::default(),
        }
    }
}

/// Runs the configured search on `task`. Plan operator ids are action indices
/// of `task.model`.
pub fn search_task(task: &StripsTask, config: &SearchConfig) -> SearchResult {
    search_space(&BitSpace::new(task), task, config)
}

/// [`search_task`] where a state is expanded only if `guard` admits it (the
/// initial state and goals are not asked), with the operators the guard
/// allows there; the heuristics still see the whole task, so they stay
/// admissible. `stats.refused` counts the states refused. The guard comes
/// back with the result.
pub fn search_task_guarded<G: Guard>(
    task: &StripsTask,
    config: &SearchConfig,
    guard: G,
) -> (SearchResult, G) {
    let bits = BitSpace::new(task);
    let space = Guarded::new(&bits, guard);
    let result = search_space(&space, task, config);
    (result, space.into_guard())
}

/// [`search_task_guarded`] whose plan must also pass `checker`: the
/// bidirectional search chooses it among its optimal paths
/// ([`bidirectional_checked`]); the other searches give their own plan,
/// unchecked (`choice.checked` false, nothing refused).
pub fn search_task_checked<G: Guard>(
    task: &StripsTask,
    config: &SearchConfig,
    guard: G,
    checker: &mut dyn Guard,
) -> (SearchResult, G, Choice) {
    let bits = BitSpace::new(task);
    let space = Guarded::new(&bits, guard);
    if config.strategy != Strategy::Bidirectional {
        let result = search_space(&space, task, config);
        return (result, space.into_guard(), Choice::default());
    }
    let (result, choice) = bidirectional_checked(&space, config.limits, checker);
    (result, space.into_guard(), choice)
}

fn search_space<S: BackwardSpace>(
    space: &S,
    task: &StripsTask,
    config: &SearchConfig,
) -> SearchResult {
    let (strategy, limits) = (config.strategy, config.limits);
    if strategy == Strategy::Bidirectional {
        return bidirectional(space, limits);
    }
    match config.heuristic {
        HeuristicKind::Blind => best_first(space, &mut Blind::new(task), strategy, limits),
        HeuristicKind::GoalCount => best_first(space, &mut GoalCount::new(task), strategy, limits),
        HeuristicKind::Hmax => best_first(space, &mut HMax::new(task), strategy, limits),
        HeuristicKind::Lmcut => best_first(space, &mut LmCut::new(task), strategy, limits),
    }
}
