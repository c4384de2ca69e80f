//! The lazy filter ([`crate::pipeline::external::Planner::BuiltinLazy`]): search without the network,
//! check the plan found, and search again without what it refused.

use std::collections::{HashMap, HashSet};

use super::guard::NetworkGuard;
use super::{plan_states, state_words, Filter, FilterStats, Refusal, Session};
use crate::search::{
    retain_moves, search_task_checked, Guard, Outcome, SearchConfig, SearchResult, SearchStats,
};
use crate::symbolic::StripsTask;

impl Session {
    /// The lazy filter ([`crate::pipeline::external::Planner::BuiltinLazy`]): searches `task` without
    /// the network, and while the plan found has states or moves the filter
    /// `kind` refuses, searches again with those refused, within `search`'s
    /// limits for all rounds together. Each round refuses at least one state
    /// or move the last did not, and the unchecked graph contains the
    /// checked one, so the first plan that passes is as short as the
    /// shortest the filter allows (with an optimal search). The
    /// bidirectional search puts its optimal paths to the filter itself and
    /// gives the first one it allows ([`crate::search::bidirectional_checked`]:
    /// on LightsOut, whose presses commute, a plan has many orderings of the
    /// same presses), so a round ends the loop unless no optimal path in its
    /// tables passes (or the time ran out on the walk); the states and moves
    /// refused on the way are blocked in the next round too.
    pub(super) fn solve_lazily(
        &self,
        task: &StripsTask,
        search: &SearchConfig,
        kind: Filter,
        init: &[u8],
        goal: &[u8],
    ) -> anyhow::Result<(SearchResult, FilterStats)> {
        let mut checker = NetworkGuard::new(self, kind, init, goal)?;
        checker.stats.searches = 0;
        let mut blocked = Blocked::default();
        let mut total = SearchStats::default();
        let start = std::time::Instant::now();
        let outcome = loop {
            let mut round = *search;
            if let Some(t) = search.limits.max_time {
                round.limits.max_time = Some(t.saturating_sub(start.elapsed()));
            }
            if let Some(m) = search.limits.max_expansions {
                round.limits.max_expansions = Some(m.saturating_sub(total.expanded));
            }
            let (result, back, choice) = search_task_checked(task, &round, blocked, &mut checker);
            blocked = back;
            if let Some(e) = checker.failure.take() {
                return Err(e);
            }
            checker.stats.searches += 1;
            checker.stats.walked += choice.visited;
            blocked.states.extend(choice.refused_states);
            // The walk counted these moves' denials when it screened them.
            let denied = checker.stats.denied;
            for (from, op, to) in choice.refused {
                // A move refused for nothing at its end or in itself was
                // refused for the state it leaves.
                if !blocked.add_refusals(&mut checker, &[from.clone(), to], &[op])?
                    && !checker.admits(&from)
                {
                    blocked.states.insert(from);
                }
            }
            checker.stats.denied = denied;
            if let Some(e) = checker.failure.take() {
                return Err(e);
            }
            total = add_stats(total, &result.stats);
            let Outcome::Plan(plan) = &result.outcome else {
                break result.outcome;
            };
            let path = state_words(&plan_states(task, &plan.ops)?);
            if !blocked.add_refusals(&mut checker, &path, &plan.ops)? {
                break result.outcome;
            }
        };
        total.search_time = start.elapsed();
        Ok((
            SearchResult {
                outcome,
                stats: total,
            },
            checker.stats,
        ))
    }
}

/// Adds the counters of `round` to `total` (the peak memory is the larger).
fn add_stats(mut total: SearchStats, round: &SearchStats) -> SearchStats {
    total.expanded += round.expanded;
    total.reopened += round.reopened;
    total.evaluated += round.evaluated;
    total.generated += round.generated;
    total.dead_ends += round.dead_ends;
    total.refused += round.refused;
    total.expanded_until_last_jump = round.expanded_until_last_jump;
    total.states += round.states;
    total.memory_bytes = total.memory_bytes.max(round.memory_bytes);
    total
}

/// The states and moves the lazy filter has refused so far: the next
/// search neither expands those states nor takes those moves (in either
/// direction).
#[derive(Default)]
struct Blocked {
    states: HashSet<Vec<u64>>,
    /// The operators refused from each state a refused move leaves (the
    /// picture rules judge an operator's label).
    moves: HashMap<Vec<u64>, HashSet<u32>>,
    /// The states each state may not move to by any operator (the
    /// canonical filter judges the two states alone, and many labels of a
    /// learned model make the same move).
    edges: HashMap<Vec<u64>, HashSet<Vec<u64>>>,
}

impl Blocked {
    fn refuses_move(&self, from: &[u64], op: u32, to: &[u64]) -> bool {
        self.moves.get(from).is_some_and(|ops| ops.contains(&op))
            || self.edges.get(from).is_some_and(|to_| to_.contains(to))
    }

    /// Adds what `checker` refuses on the path `path` (the states from the
    /// start to the goal) taken by `ops`: the states that fail the round
    /// trip and the moves whose pictures break their action's rules.
    /// Returns whether it refused anything.
    fn add_refusals(
        &mut self,
        checker: &mut NetworkGuard,
        path: &[Vec<u64>],
        ops: &[u32],
    ) -> anyhow::Result<bool> {
        let refused = checker.check_path(path, ops)?;
        for r in &refused {
            let (from, to) = (&path[r.step - 1], &path[r.step]);
            match r.why {
                Refusal::RoundTrip | Refusal::Unseen => {
                    self.states.insert(to.clone());
                }
                Refusal::PictureRules => {
                    self.moves
                        .entry(from.clone())
                        .or_default()
                        .insert(ops[r.step - 1]);
                }
                Refusal::Unjoined => {
                    self.edges
                        .entry(from.clone())
                        .or_default()
                        .insert(to.clone());
                }
            }
        }
        Ok(!refused.is_empty())
    }
}

impl Guard for Blocked {
    fn admits(&mut self, state: &[u64]) -> bool {
        !self.states.contains(state)
    }

    fn prune(&mut self, state: &[u64], ops: &mut Vec<u32>, successor: &dyn Fn(u32, &mut [u64])) {
        if !self.moves.contains_key(state) && !self.edges.contains_key(state) {
            return;
        }
        let mut next = vec![0u64; state.len()];
        ops.retain(|&op| {
            successor(op, &mut next);
            !self.refuses_move(state, op, &next)
        });
    }

    fn prune_backward(&mut self, state: &[u64], ops: &mut Vec<u32>, from: &mut Vec<u64>) {
        if !self.moves.is_empty() || !self.edges.is_empty() {
            let words = state.len();
            let refused: Vec<bool> = ops
                .iter()
                .enumerate()
                .map(|(i, &op)| self.refuses_move(&from[i * words..(i + 1) * words], op, state))
                .collect();
            retain_moves(ops, from, words, |i| !refused[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Operator `op` adds `op` to the one-word state.
    fn successor(state: &[u64]) -> impl Fn(u32, &mut [u64]) + '_ {
        move |op, out: &mut [u64]| out[0] = state[0] + u64::from(op)
    }

    #[test]
    fn a_blocked_edge_refuses_every_operator_that_makes_it() {
        let mut blocked = Blocked::default();
        blocked.edges.entry(vec![10]).or_default().insert(vec![13]);
        blocked.moves.entry(vec![10]).or_default().insert(1);
        // Forward from 10: operators 3 and 3 again (two labels, one move)
        // reach 13 and are refused, 1 is refused by itself, 2 is kept.
        let mut ops = vec![1, 2, 3, 3];
        blocked.prune(&[10], &mut ops, &successor(&[10]));
        assert_eq!(ops, vec![2]);
        // Elsewhere nothing is refused.
        let mut ops = vec![1, 2, 3];
        blocked.prune(&[11], &mut ops, &successor(&[11]));
        assert_eq!(ops, vec![1, 2, 3]);
        // Backward into 13: the move from 10 is refused whatever its
        // operator, the one from 12 kept; into 11, operator 1 from 10 is.
        let (mut ops, mut from) = (vec![3, 7, 1], vec![10, 10, 12]);
        blocked.prune_backward(&[13], &mut ops, &mut from);
        assert_eq!((ops, from), (vec![1], vec![12]));
        let (mut ops, mut from) = (vec![1, 2], vec![10, 9]);
        blocked.prune_backward(&[11], &mut ops, &mut from);
        assert_eq!((ops, from), (vec![2], vec![9]));
    }
}
