//! The search space of a [`StripsTask`]: masks laid out flat for fast
//! application, and the decision-tree successor generator.

use super::bidir::BackwardSpace;
use super::lists::Lists;
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
    /// The goal when it is one complete state.
    goal_state: Option<Vec<u64>>,
    /// The backward side ([`BackwardSpace`]).
    regression: Regression,
}

/// The predecessors of complete states. An operator leads into state `t`
/// iff `t` shows its effects (its adds true, the deletes it does not add
/// false) and, off its effects, its preconditions; those are the regression
/// preconditions indexed here. The predecessor agrees with `t` off the
/// effect bits; on them it holds what the preconditions require, and where
/// they say nothing either value (each combination is one predecessor).
struct Regression {
    generator: SuccessorGenerator,
    /// The effect bits (`add | del`) of each operator, `words` words each.
    effect: Vec<u64>,
    /// The effect bits its positive preconditions set, `words` words each.
    ones: Vec<u64>,
    /// The effect bits no precondition fixes.
    free: Lists<u32>,
}

impl Regression {
    fn new(actions: &[crate::symbolic::StripsAction], width: usize) -> Self {
        let mut effect = Vec::new();
        let mut ones = Vec::new();
        let mut free = Vec::new();
        let preconditions: Vec<Vec<Literal>> = actions
            .iter()
            .map(|a| {
                let in_effect = |b: usize| a.add.get(b) || a.del.get(b);
                let mut lits: Vec<Literal> = Vec::new();
                for b in 0..width {
                    let (pos, neg) = (a.pre_pos.get(b), a.pre_neg.get(b));
                    if pos && neg {
                        // Never applicable: a literal and its negation.
                        lits.extend([(b as u32, true), (b as u32, false)]);
                    } else if a.add.get(b) {
                        lits.push((b as u32, true));
                    } else if a.del.get(b) {
                        lits.push((b as u32, false));
                    } else if pos || neg {
                        lits.push((b as u32, pos));
                    }
                }
                let mut e = crate::symbolic::BitState::zeros(width);
                let mut o = crate::symbolic::BitState::zeros(width);
                let mut f = Vec::new();
                for b in (0..width).filter(|&b| in_effect(b)) {
                    e.set(b, true);
                    if a.pre_pos.get(b) {
                        o.set(b, true);
                    } else if !a.pre_neg.get(b) {
                        f.push(b as u32);
                    }
                }
                effect.extend_from_slice(e.words());
                ones.extend_from_slice(o.words());
                free.push(f);
                lits
            })
            .collect();
        Self {
            generator: SuccessorGenerator::new(&preconditions, width),
            effect,
            ones,
            free: Lists::from_lists(free),
        }
    }
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
        let full = (0..task.model.width()).all(|b| task.goal_pos.get(b) || task.goal_neg.get(b));
        Self {
            words,
            goal_state: full.then(|| task.goal_pos.words().to_vec()),
            regression: Regression::new(actions, task.model.width()),
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

impl BackwardSpace for BitSpace {
    fn goal_state(&self) -> Option<&[u64]> {
        self.goal_state.as_deref()
    }

    fn predecessors(&self, state: &[u64], ops: &mut Vec<u32>, from: &mut Vec<u64>) -> bool {
        let r = &self.regression;
        let mut into = Vec::new();
        r.generator.applicable(state, &mut into);
        let mut base = vec![0u64; self.words];
        for op in into {
            let at = op as usize * self.words;
            for w in 0..self.words {
                base[w] = (state[w] & !r.effect[at + w]) | r.ones[at + w];
            }
            let free = r.free.get(op as usize);
            if free.len() > super::bidir::MAX_OPEN_EFFECT_BITS {
                return false;
            }
            for choice in 0u64..1 << free.len() {
                let start = from.len();
                from.extend_from_slice(&base);
                for (k, &b) in free.iter().enumerate() {
                    if choice >> k & 1 == 1 {
                        from[start + b as usize / 64] |= 1 << (b % 64);
                    }
                }
                if from[start..] == *state {
                    from.truncate(start); // a self-loop
                } else {
                    ops.push(op);
                }
            }
        }
        true
    }

    fn min_cost(&self) -> u32 {
        self.costs.iter().copied().min().unwrap_or(0)
    }
}
