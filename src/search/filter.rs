//! A search space with a test on the states it expands: a state that fails
//! is closed as a dead end instead of expanded. The test runs once per
//! expanded state, not per generated one, so an expensive test (the
//! planner's round trip through the network, `crate::pipeline::session`)
//! costs as many calls as A* makes expansions, a small share of what it
//! generates.

use std::cell::RefCell;

use super::SearchSpace;

/// `inner` whose states must pass `test` to be expanded (the initial state
/// and goals are not asked; see [`SearchSpace::admits`]).
pub struct Guarded<'a, S, F> {
    inner: &'a S,
    test: RefCell<F>,
}

impl<'a, S: SearchSpace, F: FnMut(&[u64]) -> bool> Guarded<'a, S, F> {
    /// Wraps `inner`.
    pub fn new(inner: &'a S, test: F) -> Self {
        Self {
            inner,
            test: RefCell::new(test),
        }
    }
}

impl<S: SearchSpace, F: FnMut(&[u64]) -> bool> SearchSpace for Guarded<'_, S, F> {
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

    #[inline]
    fn applicable(&self, state: &[u64], out: &mut Vec<u32>) {
        self.inner.applicable(state, out);
    }

    #[inline]
    fn apply(&self, op: u32, state: &[u64], out: &mut [u64]) {
        self.inner.apply(op, state, out);
    }

    fn cost(&self, op: u32) -> u32 {
        self.inner.cost(op)
    }

    fn admits(&self, state: &[u64]) -> bool {
        (self.test.borrow_mut())(state)
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
