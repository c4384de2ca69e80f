//! A search space with a test on the states it expands: a state that fails
//! is closed as a dead end instead of expanded, and an expanded state may
//! also be denied some of its applicable operators, which is also where a
//! guard can refuse successors before A* evaluates them (what the
//! planner's round trip through the network does,
//! `crate::pipeline::session`: one batch per expansion, and the heuristic is
//! never computed for a state it refuses).

use std::cell::RefCell;

use super::bidir::BackwardSpace;
use super::SearchSpace;

/// What a [`Guarded`] space asks about the states it expands.
pub trait Guard {
    /// False if `state`, about to be expanded, must be closed as a dead end
    /// instead (never asked of the initial state or a goal).
    fn admits(&mut self, state: &[u64]) -> bool;

    /// Removes from `ops`, the operators applicable in `state`, those its
    /// expansion must not use (asked of every expanded state, the initial
    /// one included); `successor(op, out)` writes the state `op` leads to,
    /// so a guard may also drop the operators into states it refuses.
    /// Every operator is kept unless a guard says otherwise.
    fn prune(&mut self, state: &[u64], ops: &mut Vec<u32>, successor: &dyn Fn(u32, &mut [u64])) {
        let _ = (state, ops, successor);
    }

    /// The backward counterpart of [`Guard::prune`], asked of every state
    /// the backward side of a bidirectional search expands (the goal
    /// included): `ops[i]` leads from `from[i]` (`state.len()` words each,
    /// back to back) into `state`; a guard removes the moves the search must
    /// not take from both lists alike. Every move is kept unless a guard says
    /// otherwise.
    fn prune_backward(&mut self, state: &[u64], ops: &mut Vec<u32>, from: &mut Vec<u64>) {
        let _ = (state, ops, from);
    }
}

/// Keeps the moves `i` of `ops` and `states` (`words` words each) for which
/// `keep(i)` is true, in order.
pub fn retain_moves(
    ops: &mut Vec<u32>,
    states: &mut Vec<u64>,
    words: usize,
    mut keep: impl FnMut(usize) -> bool,
) {
    let mut kept = 0;
    for i in 0..ops.len() {
        if keep(i) {
            ops[kept] = ops[i];
            states.copy_within(i * words..(i + 1) * words, kept * words);
            kept += 1;
        }
    }
    ops.truncate(kept);
    states.truncate(kept * words);
}

impl<F: FnMut(&[u64]) -> bool> Guard for F {
    fn admits(&mut self, state: &[u64]) -> bool {
        self(state)
    }
}

/// `inner` whose states must pass `guard` to be expanded (the initial state
/// and goals are not asked; see [`SearchSpace::admits`]), with the
/// operators the guard allows.
pub struct Guarded<'a, S, G> {
    inner: &'a S,
    guard: RefCell<G>,
}

impl<'a, S: SearchSpace, G: Guard> Guarded<'a, S, G> {
    /// Wraps `inner`.
    pub fn new(inner: &'a S, guard: G) -> Self {
        Self {
            inner,
            guard: RefCell::new(guard),
        }
    }

    /// The guard back, with whatever it recorded.
    pub fn into_guard(self) -> G {
        self.guard.into_inner()
    }
}

impl<S: SearchSpace, G: Guard> SearchSpace for Guarded<'_, S, G> {
    fn words(&self) -> usize {
        self.inner.words()
    }

    fn initial(&self) -> &[u64] {
        self.inner.initial()
    }

    #[inline]
    fn is_goal(&self, state: &[u64]) -> bool {
        self.inner.is_goal(state)
    }

    fn applicable(&self, state: &[u64], out: &mut Vec<u32>) {
        let start = out.len();
        self.inner.applicable(state, out);
        let mut ops = out.split_off(start);
        let successor = |op: u32, next: &mut [u64]| self.inner.apply(op, state, next);
        self.guard.borrow_mut().prune(state, &mut ops, &successor);
        out.extend(ops);
    }

    #[inline]
    fn apply(&self, op: u32, state: &[u64], out: &mut [u64]) {
        self.inner.apply(op, state, out);
    }

    fn cost(&self, op: u32) -> u32 {
        self.inner.cost(op)
    }

    fn admits(&self, state: &[u64]) -> bool {
        self.guard.borrow_mut().admits(state)
    }
}

impl<S: BackwardSpace, G: Guard> BackwardSpace for Guarded<'_, S, G> {
    fn goal_state(&self) -> Option<&[u64]> {
        self.inner.goal_state()
    }

    fn predecessors(&self, state: &[u64], ops: &mut Vec<u32>, from: &mut Vec<u64>) -> bool {
        let (op_start, state_start) = (ops.len(), from.len());
        if !self.inner.predecessors(state, ops, from) {
            return false;
        }
        let (mut new_ops, mut new_from) = (ops.split_off(op_start), from.split_off(state_start));
        self.guard
            .borrow_mut()
            .prune_backward(state, &mut new_ops, &mut new_from);
        ops.extend(new_ops);
        from.extend(new_from);
        true
    }

    fn min_cost(&self) -> u32 {
        self.inner.min_cost()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{astar, Outcome, Plan};

    /// States 0..n on a line (one word each), moves +1 (op 0) and -1 (op 1),
    /// and, with `jump`, 0 -> n-1 (op 2); the goal is n-1.
    struct Line {
        n: u64,
        jump: bool,
        init: Vec<u64>,
    }

    impl SearchSpace for Line {
        fn words(&self) -> usize {
            1
        }
        fn initial(&self) -> &[u64] {
            &self.init
        }
        fn is_goal(&self, s: &[u64]) -> bool {
            s[0] == self.n - 1
        }
        fn applicable(&self, s: &[u64], out: &mut Vec<u32>) {
            if s[0] + 1 < self.n {
                out.push(0);
            }
            if s[0] > 0 {
                out.push(1);
            }
            if s[0] == 0 && self.jump {
                out.push(2);
            }
        }
        fn apply(&self, op: u32, s: &[u64], out: &mut [u64]) {
            out[0] = match op {
                0 => s[0] + 1,
                1 => s[0] - 1,
                _ => self.n - 1,
            };
        }
        fn cost(&self, _: u32) -> u32 {
            1
        }
    }

    fn blind(s: &[u64]) -> Option<u32> {
        Some(u32::from(s[0] != 5))
    }

    fn line(jump: bool) -> Line {
        Line {
            n: 6,
            jump,
            init: vec![0],
        }
    }

    #[test]
    fn refused_states_are_not_expanded_and_each_is_asked_once() {
        let plain = line(false);
        let mut asked = Vec::new();
        let result = astar(
            &Guarded::new(&plain, |s: &[u64]| {
                asked.push(s[0]);
                s[0] != 3
            }),
            &mut blind,
            Default::default(),
        );
        assert_eq!(result.outcome, Outcome::Unsolvable);
        assert_eq!(result.stats.refused, 1);
        // 0 is the initial state; 4 and 5 are behind 3.
        assert_eq!(asked, vec![1, 2, 3]);
    }

    /// Refuses nothing but forbids `op` in the states below `below`, and
    /// every move into state `avoid`.
    struct NoStepFrom {
        op: u32,
        below: u64,
        avoid: u64,
        asked: Vec<(u64, u32)>,
    }

    fn no_step_from(op: u32, below: u64, avoid: u64) -> NoStepFrom {
        NoStepFrom {
            op,
            below,
            avoid,
            asked: Vec::new(),
        }
    }

    impl Guard for NoStepFrom {
        fn admits(&mut self, _: &[u64]) -> bool {
            true
        }
        fn prune(
            &mut self,
            state: &[u64],
            ops: &mut Vec<u32>,
            successor: &dyn Fn(u32, &mut [u64]),
        ) {
            self.asked.extend(ops.iter().map(|&op| (state[0], op)));
            ops.retain(|&op| {
                let mut next = [0];
                successor(op, &mut next);
                !(op == self.op && state[0] < self.below) && next[0] != self.avoid
            });
        }
    }

    #[test]
    fn operators_the_guard_forbids_are_not_applied() {
        // Without the jump from 0, the plan walks; the initial state is asked too.
        let jumping = line(true);
        let guard = no_step_from(2, 1, 99);
        let space = Guarded::new(&jumping, guard);
        let result = astar(&space, &mut blind, Default::default());
        assert!(matches!(result.outcome, Outcome::Plan(ref p) if p.ops == vec![0; 5]));
        assert_eq!(&space.into_guard().asked[..2], &[(0, 0), (0, 2)]);
        assert_eq!(result.stats.refused, 0);
        // Forbidding every step up from below 3 leaves no plan.
        let walking = line(false);
        let guard = no_step_from(0, 3, 99);
        let result = astar(
            &Guarded::new(&walking, guard),
            &mut blind,
            Default::default(),
        );
        assert_eq!(result.outcome, Outcome::Unsolvable);
        // So does forbidding every move into state 4, judged by the successor.
        let guard = no_step_from(9, 0, 4);
        let result = astar(
            &Guarded::new(&walking, guard),
            &mut blind,
            Default::default(),
        );
        assert_eq!(result.outcome, Outcome::Unsolvable);
    }

    #[test]
    fn the_initial_state_and_goals_are_never_asked() {
        let jumping = line(true);
        let space = Guarded::new(&jumping, |s: &[u64]| {
            assert!(s[0] != 0 && s[0] != 5, "asked about {}", s[0]);
            false
        });
        let result = astar(&space, &mut blind, Default::default());
        let jump = Outcome::Plan(Plan {
            ops: vec![2],
            cost: 1,
        });
        assert_eq!(result.outcome, jump);
        // Refusing only the states off the path changes nothing.
        let plain = line(false);
        let space = Guarded::new(&plain, |_: &[u64]| true);
        let result = astar(&space, &mut blind, Default::default());
        assert!(matches!(result.outcome, Outcome::Plan(p) if p.ops == vec![0; 5]));
        assert_eq!(result.stats.refused, 0);
    }
}
