//! The heuristics: blind and goal-count (cheap), h^max and LM-cut (admissible,
//! on the delete relaxation of the task, Helmert & Domshlak 2009).
//!
//! Negative preconditions are handled as Fast Downward's translator does: the
//! relaxed task has a fact for "bit j is true" and one for "bit j is false"
//! wherever a precondition or the goal mentions it.

mod hmax;
mod lmcut;
mod relaxed;

pub use hmax::HMax;
pub use lmcut::LmCut;
pub use relaxed::RelaxedTask;

use super::Heuristic;
use crate::symbolic::StripsTask;

/// The heuristics a user can choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeuristicKind {
    /// 0 at goal states, the cheapest action cost elsewhere (admissible).
    Blind,
    /// Number of unsatisfied goal literals (not admissible).
    GoalCount,
    /// h^max (admissible).
    Hmax,
    /// LM-cut (admissible).
    Lmcut,
}

impl HeuristicKind {
    /// Every kind, for help texts and tests.
    pub const ALL: [HeuristicKind; 4] = [Self::Blind, Self::GoalCount, Self::Hmax, Self::Lmcut];

    /// True if A* with this heuristic returns optimal plans.
    pub fn is_admissible(self) -> bool {
        self != Self::GoalCount
    }

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Blind => "blind",
            Self::GoalCount => "goal-count",
            Self::Hmax => "hmax",
            Self::Lmcut => "lmcut",
        }
    }
}

/// Goal masks as words, shared by the cheap heuristics.
#[derive(Clone, Debug)]
struct GoalMasks {
    pos: Vec<u64>,
    neg: Vec<u64>,
}

impl GoalMasks {
    fn new(task: &StripsTask) -> Self {
        Self {
            pos: task.goal_pos.words().to_vec(),
            neg: task.goal_neg.words().to_vec(),
        }
    }

    /// Number of goal literals `state` violates.
    #[inline]
    fn unsatisfied(&self, state: &[u64]) -> u32 {
        let words = self.pos.iter().zip(&self.neg).zip(state);
        words
            .map(|((p, n), s)| (p & !s).count_ones() + (n & s).count_ones())
            .sum()
    }
}

/// The blind heuristic: 0 at goal states, the cheapest action cost elsewhere.
#[derive(Clone, Debug)]
pub struct Blind {
    goal: GoalMasks,
    min_cost: u32,
}

impl Blind {
    /// The blind heuristic of `task`.
    pub fn new(task: &StripsTask) -> Self {
        let min_cost = task
            .model
            .actions()
            .iter()
            .map(|a| a.cost)
            .min()
            .unwrap_or(0);
        Self {
            goal: GoalMasks::new(task),
            min_cost,
        }
    }
}

impl Heuristic for Blind {
    #[inline]
    fn estimate(&mut self, state: &[u64]) -> Option<u32> {
        Some(if self.goal.unsatisfied(state) == 0 {
            0
        } else {
            self.min_cost
        })
    }
}

/// The goal-count heuristic: the number of unsatisfied goal literals.
#[derive(Clone, Debug)]
pub struct GoalCount {
    goal: GoalMasks,
}

impl GoalCount {
    /// The goal-count heuristic of `task`.
    pub fn new(task: &StripsTask) -> Self {
        Self {
            goal: GoalMasks::new(task),
        }
    }
}

impl Heuristic for GoalCount {
    #[inline]
    fn estimate(&mut self, state: &[u64]) -> Option<u32> {
        Some(self.goal.unsatisfied(state))
    }
}
