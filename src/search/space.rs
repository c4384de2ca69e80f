//! The search space of a [`StripsTask`]: masks laid out flat for fast
//! application, and the decision-tree successor generator.

use super::successors::{Literal, SuccessorGenerator};
use super::SearchSpace;
use crate::symbolic::{words_for, StripsTask};

/// A [`StripsTask`] compiled for search. Operator ids are action indices.
pub struct BitSpace {
    words: usize,
    init: Vec<u64>,
    goal_pos: Vec<u64>,
    goal_neg: Vec<u64>,
    /// `!del` of each operator, `words` words each.
    keep: Vec<u64>,
    /// `add` of each operator, `words` words each.
    add: Vec<u64>,
    costs: Vec<u32>,
    generator: SuccessorGenerator,
}

impl BitSpace {
    /// Compiles `task`.
    pub fn new(task: &StripsTask) -> Self {
        let words = words_for(task.model.width());
        let actions = task.model.actions();
        let preconditions: Vec<Vec<Literal>> = actions
            .iter()
            .map(|a| {
                let pos = a.pre_pos.ones().map(|b| (b as u32, true));
                pos.chain(a.pre_neg.ones().map(|b| (b as u32, false)))
                    .collect()
            })
            .collect();
        Self {
            words,
            init: task.init.words().to_vec(),
            goal_pos: task.goal_pos.words().to_vec(),
            goal_neg: task.goal_neg.words().to_vec(),
            keep: actions
                .iter()
                .flat_map(|a| a.del.words().iter().map(|w| !w))
                .collect(),
            add: actions
                .iter()
                .flat_map(|a| a.add.words().iter().copied())
                .collect(),
            costs: actions.iter().map(|a| a.cost).collect(),
            generator: SuccessorGenerator::new(&preconditions, task.model.width()),
        }
    }
}

impl SearchSpace for BitSpace {
    fn words(&self) -> usize {
        self.words
    }

    fn initial(&self) -> &[u64] {
        &self.init
    }

    #[inline]
    fn is_goal(&self, state: &[u64]) -> bool {
        (0..self.words).all(|w| {
            state[w] & self.goal_pos[w] == self.goal_pos[w] && state[w] & self.goal_neg[w] == 0
        })
    }

    #[inline]
    fn applicable(&self, state: &[u64], out: &mut Vec<u32>) {
        self.generator.applicable(state, out);
    }

    #[inline]
    fn apply(&self, op: u32, state: &[u64], out: &mut [u64]) {
        let base = op as usize * self.words;
        let keep = &self.keep[base..base + self.words];
        let add = &self.add[base..base + self.words];
        for w in 0..self.words {
            out[w] = (state[w] & keep[w]) | add[w];
        }
    }

    fn cost(&self, op: u32) -> u32 {
        self.costs[op as usize]
    }
}
