//! A search space whose successors must pass a state test, asked once per
//! distinct state and in batches: the states one expansion generates that the
//! test has not seen go to it together. The planner uses it to drop latent
//! states the network does not map back to themselves (see
//! `crate::pipeline::session`), a test no STRIPS model can express.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use super::SearchSpace;

/// A test of many states at once: `keep(states)[i]` says whether `states[i]`
/// may be entered.
pub trait StateFilter {
    /// One verdict per state.
    fn keep(&mut self, states: &[&[u64]]) -> Vec<bool>;
}

impl<F: FnMut(&[&[u64]]) -> Vec<bool>> StateFilter for F {
    fn keep(&mut self, states: &[&[u64]]) -> Vec<bool> {
        self(states)
    }
}

/// How much work the filter did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterStats {
    /// Distinct states tested.
    pub tested: u64,
    /// Of those, the states the test rejected.
    pub rejected: u64,
    /// Calls to the test (batches).
    pub batches: u64,
}

/// `inner` with the successors that fail `filter` removed. The initial and
/// goal states are never tested: they are what the user asked for.
pub struct FilteredSpace<'a, S, F> {
    inner: &'a S,
    filter: RefCell<F>,
    verdicts: RefCell<HashMap<Box<[u64]>, bool>>,
    scratch: RefCell<(Vec<u32>, Vec<u64>)>,
    stats: Cell<FilterStats>,
}

impl<'a, S: SearchSpace, F: StateFilter> FilteredSpace<'a, S, F> {
    /// Wraps `inner`.
    pub fn new(inner: &'a S, filter: F) -> Self {
        Self {
            inner,
            filter: RefCell::new(filter),
            verdicts: RefCell::new(HashMap::new()),
            scratch: RefCell::new((Vec::new(), Vec::new())),
            stats: Cell::new(FilterStats::default()),
        }
    }

    /// The filter's counters so far.
    pub fn stats(&self) -> FilterStats {
        self.stats.get()
    }

    /// Tests the successors in `succs` (`words` each) that have no verdict yet.
    fn judge(&self, succs: &[u64]) {
        let words = self.inner.words();
        let mut verdicts = self.verdicts.borrow_mut();
        let mut fresh: Vec<&[u64]> = Vec::new();
        for s in succs.chunks_exact(words) {
            if !verdicts.contains_key(s) && !fresh.contains(&s) {
                if self.inner.is_goal(s) || s == self.inner.initial() {
                    verdicts.insert(s.into(), true);
                } else {
                    fresh.push(s);
                }
            }
        }
        if fresh.is_empty() {
            return;
        }
        let keep = self.filter.borrow_mut().keep(&fresh);
        assert_eq!(
            keep.len(),
            fresh.len(),
            "a state filter must judge every state"
        );
        let mut stats = self.stats.get();
        stats.batches += 1;
        stats.tested += fresh.len() as u64;
        stats.rejected += keep.iter().filter(|&&k| !k).count() as u64;
        self.stats.set(stats);
        for (s, k) in fresh.into_iter().zip(keep) {
            verdicts.insert(s.into(), k);
        }
    }
}

impl<S: SearchSpace, F: StateFilter> SearchSpace for FilteredSpace<'_, S, F> {
    fn words(&self) -> usize {
        self.inner.words()
    }

    fn initial(&self) -> &[u64] {
        self.inner.initial()
    }

    fn is_goal(&self, state: &[u64]) -> bool {
        self.inner.is_goal(state)
    }

    fn applicable(&self, state: &[u64], out: &mut Vec<u32>) {
        let words = self.inner.words();
        let mut scratch = self.scratch.borrow_mut();
        let (ops, succs) = &mut *scratch;
        ops.clear();
        self.inner.applicable(state, ops);
        succs.clear();
        succs.resize(ops.len() * words, 0);
        for (&op, s) in ops.iter().zip(succs.chunks_exact_mut(words)) {
            self.inner.apply(op, state, s);
        }
        self.judge(succs);
        let verdicts = self.verdicts.borrow();
        out.extend(
            ops.iter()
                .zip(succs.chunks_exact(words))
                .filter(|(_, s)| verdicts[*s])
                .map(|(&op, _)| op),
        );
    }

    fn apply(&self, op: u32, state: &[u64], out: &mut [u64]) {
        self.inner.apply(op, state, out);
    }

    fn cost(&self, op: u32) -> u32 {
        self.inner.cost(op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{astar, Outcome};

    /// A line of states 0..n, one word each, moves ±1 and a jump 0 -> n-1.
    struct Line {
        n: u64,
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
            if s[0] == 0 {
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

    #[test]
    fn rejected_states_are_never_entered_and_each_state_is_tested_once() {
        let line = Line {
            n: 6,
            init: vec![0],
        };
        let blind = |s: &[u64]| Some(u32::from(s[0] != 5));
        let unfiltered = astar(&line, &mut { blind }, Default::default());
        assert_eq!(
            unfiltered.outcome,
            Outcome::Plan(crate::search::Plan {
                ops: vec![2],
                cost: 1
            })
        );

        // Rejecting state 3 cuts the line; the jump goes to the goal, which is
        // never tested, so the plan stays.
        let mut seen = Vec::new();
        let filter = |states: &[&[u64]]| {
            seen.extend(states.iter().map(|s| s[0]));
            states.iter().map(|s| s[0] != 3).collect()
        };
        let space = FilteredSpace::new(&line, filter);
        let result = astar(&space, &mut { blind }, Default::default());
        assert_eq!(
            result.outcome,
            Outcome::Plan(crate::search::Plan {
                ops: vec![2],
                cost: 1
            })
        );
        drop(space);
        assert!(!seen.contains(&5) && !seen.contains(&0), "{seen:?}");

        // Without the jump's goal exemption the filter decides: with the
        // jump gone, rejecting 3 makes the goal unreachable.
        struct NoJump(Line);
        impl SearchSpace for NoJump {
            fn words(&self) -> usize {
                1
            }
            fn initial(&self) -> &[u64] {
                self.0.initial()
            }
            fn is_goal(&self, s: &[u64]) -> bool {
                self.0.is_goal(s)
            }
            fn applicable(&self, s: &[u64], out: &mut Vec<u32>) {
                self.0.applicable(s, out);
                out.retain(|&op| op != 2);
            }
            fn apply(&self, op: u32, s: &[u64], out: &mut [u64]) {
                self.0.apply(op, s, out);
            }
            fn cost(&self, op: u32) -> u32 {
                self.0.cost(op)
            }
        }
        let line = NoJump(Line {
            n: 6,
            init: vec![0],
        });
        let mut tested = Vec::new();
        let filter = |states: &[&[u64]]| {
            tested.extend(states.iter().map(|s| s[0]));
            states.iter().map(|s| s[0] != 3).collect()
        };
        let space = FilteredSpace::new(&line, filter);
        let result = astar(&space, &mut { blind }, Default::default());
        assert_eq!(result.outcome, Outcome::Unsolvable);
        let stats = space.stats();
        assert_eq!((stats.tested, stats.rejected), (3, 1));
        drop(space);
        let mut sorted = tested.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(
            sorted.len(),
            tested.len(),
            "a state was tested twice: {tested:?}"
        );
        assert_eq!(sorted, vec![1, 2, 3]);
    }
}
