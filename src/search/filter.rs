//! A search space whose transitions must pass a test, asked in batches: all
//! the successors one expansion generates go to it together. The planner
//! uses it to drop latent states or moves the network itself does not
//! confirm (see `crate::pipeline::session`), tests no STRIPS model can express.

use std::cell::{Cell, RefCell};

use super::SearchSpace;

/// A test of one expansion's transitions: `keep(state, ops, succs)[i]` says
/// whether applying `ops[i]` to `state`, giving `succs[i]`, may be taken.
pub trait SuccessorFilter {
    /// One verdict per successor.
    fn keep(&mut self, state: &[u64], ops: &[u32], succs: &[&[u64]]) -> Vec<bool>;
}

impl<F: FnMut(&[u64], &[u32], &[&[u64]]) -> Vec<bool>> SuccessorFilter for F {
    fn keep(&mut self, state: &[u64], ops: &[u32], succs: &[&[u64]]) -> Vec<bool> {
        self(state, ops, succs)
    }
}

/// How much work the filter did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterStats {
    /// Transitions tested.
    pub tested: u64,
    /// Of those, the transitions the test rejected.
    pub rejected: u64,
    /// Calls to the test (expansions with something to test).
    pub batches: u64,
}

/// `inner` with the transitions that fail `filter` removed. Transitions into
/// the goal are never tested: the goal is what the user asked for.
pub struct FilteredSpace<'a, S, F> {
    inner: &'a S,
    filter: RefCell<F>,
    scratch: RefCell<(Vec<u32>, Vec<u64>)>,
    stats: Cell<FilterStats>,
}

impl<'a, S: SearchSpace, F: SuccessorFilter> FilteredSpace<'a, S, F> {
    /// Wraps `inner`.
    pub fn new(inner: &'a S, filter: F) -> Self {
        Self {
            inner,
            filter: RefCell::new(filter),
            scratch: RefCell::new((Vec::new(), Vec::new())),
            stats: Cell::new(FilterStats::default()),
        }
    }

    /// The filter's counters so far.
    pub fn stats(&self) -> FilterStats {
        self.stats.get()
    }
}

impl<S: SearchSpace, F: SuccessorFilter> SearchSpace for FilteredSpace<'_, S, F> {
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
        let (mut test_ops, mut test_succs) = (Vec::new(), Vec::new());
        for (&op, s) in ops.iter().zip(succs.chunks_exact(words)) {
            if self.inner.is_goal(s) {
                out.push(op);
            } else {
                test_ops.push(op);
                test_succs.push(s);
            }
        }
        if test_ops.is_empty() {
            return;
        }
        let keep = self.filter.borrow_mut().keep(state, &test_ops, &test_succs);
        assert_eq!(
            keep.len(),
            test_ops.len(),
            "a successor filter must judge every successor"
        );
        let mut stats = self.stats.get();
        stats.batches += 1;
        stats.tested += test_ops.len() as u64;
        stats.rejected += keep.iter().filter(|&&k| !k).count() as u64;
        self.stats.set(stats);
        out.extend(
            test_ops
                .iter()
                .zip(keep)
                .filter(|(_, k)| *k)
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

    /// `Line` without the jump.
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

    fn blind(s: &[u64]) -> Option<u32> {
        Some(u32::from(s[0] != 5))
    }

    #[test]
    fn moves_into_the_goal_are_never_tested() {
        let line = Line {
            n: 6,
            init: vec![0],
        };
        let jump = Outcome::Plan(crate::search::Plan {
            ops: vec![2],
            cost: 1,
        });
        assert_eq!(astar(&line, &mut blind, Default::default()).outcome, jump);
        // Rejecting every transition it is asked about leaves the jump.
        let space = FilteredSpace::new(&line, |_: &[u64], ops: &[u32], _: &[&[u64]]| {
            assert!(!ops.contains(&2), "the move into the goal was tested");
            vec![false; ops.len()]
        });
        assert_eq!(astar(&space, &mut blind, Default::default()).outcome, jump);
        assert_eq!(space.stats().rejected, 1);
    }

    #[test]
    fn rejected_moves_are_never_taken_and_each_expansion_is_one_batch() {
        let line = NoJump(Line {
            n: 6,
            init: vec![0],
        });
        let mut asked = Vec::new();
        let space = FilteredSpace::new(&line, |s: &[u64], ops: &[u32], succs: &[&[u64]]| {
            for (&op, t) in ops.iter().zip(succs) {
                assert_eq!(t[0], if op == 0 { s[0] + 1 } else { s[0] - 1 });
                asked.push((s[0], t[0]));
            }
            succs.iter().map(|t| t[0] != 3).collect()
        });
        let result = astar(&space, &mut blind, Default::default());
        assert_eq!(result.outcome, Outcome::Unsolvable);
        let stats = space.stats();
        assert_eq!((stats.tested, stats.rejected, stats.batches), (5, 1, 3));
        drop(space);
        assert_eq!(asked, vec![(0, 1), (1, 2), (1, 0), (2, 3), (2, 1)]);
        // Rejecting only the moves back changes nothing on a line.
        let space = FilteredSpace::new(&line, |_: &[u64], ops: &[u32], _: &[&[u64]]| {
            ops.iter().map(|&op| op == 0).collect()
        });
        let plan = astar(&space, &mut blind, Default::default()).outcome;
        assert!(matches!(plan, Outcome::Plan(p) if p.ops == vec![0; 5]));
    }
}
