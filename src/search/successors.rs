//! Finding the applicable actions without scanning every action: each action
//! is filed under one "key" precondition literal, preferably a positive one
//! (`bit j is true`). A lookup visits only the groups of the state's true bits
//! (and, for actions without positive preconditions, of the false bits that
//! key any), and checks each candidate's full masks word by word.
//!
//! Compared with a decision tree over binary bits this visits a handful of
//! small groups per state instead of a chain of one node per tested bit.

/// A precondition literal: (bit, required value).
pub type Literal = (u32, bool);

/// Compressed lists: `start[k]..start[k + 1]` indexes `items`.
#[derive(Clone, Debug, Default)]
struct Groups {
    start: Vec<u32>,
    items: Vec<u32>,
}

impl Groups {
    fn new(lists: Vec<Vec<u32>>) -> Self {
        let mut g = Groups {
            start: vec![0],
            items: Vec::new(),
        };
        for list in lists {
            g.items.extend(list);
            g.start.push(g.items.len() as u32);
        }
        g
    }

    #[inline]
    fn get(&self, k: usize) -> &[u32] {
        &self.items[self.start[k] as usize..self.start[k + 1] as usize]
    }
}

/// The index of the actions by key literal; built once per model.
#[derive(Clone, Debug)]
pub struct SuccessorGenerator {
    words: usize,
    /// Positive / negative precondition masks, `words` words per action.
    pos: Vec<u64>,
    neg: Vec<u64>,
    /// Actions keyed on "bit j true", per bit.
    by_true: Groups,
    /// Actions keyed on "bit j false", per entry of `false_bits`.
    by_false: Groups,
    false_bits: Vec<u32>,
    /// Actions without preconditions.
    always: Vec<u32>,
}

impl SuccessorGenerator {
    /// The index for actions whose preconditions are `preconditions[op]`,
    /// over states of `bits` bits.
    pub fn new(preconditions: &[Vec<Literal>], bits: usize) -> Self {
        let words = bits.div_ceil(64);
        let (mut pos, mut neg) = (
            vec![0u64; preconditions.len() * words],
            vec![0u64; preconditions.len() * words],
        );
        let mut uses = vec![0usize; bits];
        for (op, lits) in preconditions.iter().enumerate() {
            for &(b, v) in lits {
                let mask = if v { &mut pos } else { &mut neg };
                mask[op * words + b as usize / 64] |= 1 << (b % 64);
                if v {
                    uses[b as usize] += 1;
                }
            }
        }
        let (mut by_true, mut by_false) = (vec![Vec::new(); bits], vec![Vec::new(); bits]);
        let mut always = Vec::new();
        for (op, lits) in preconditions.iter().enumerate() {
            let positive = lits
                .iter()
                .filter(|l| l.1)
                .min_by_key(|l| uses[l.0 as usize]);
            match positive.or(lits.first()) {
                Some(&(b, true)) => by_true[b as usize].push(op as u32),
                Some(&(b, false)) => by_false[b as usize].push(op as u32),
                None => always.push(op as u32),
            }
        }
        let false_bits: Vec<u32> = (0..bits as u32)
            .filter(|&b| !by_false[b as usize].is_empty())
            .collect();
        let by_false = Groups::new(
            false_bits
                .iter()
                .map(|&b| std::mem::take(&mut by_false[b as usize]))
                .collect(),
        );
        Self {
            words,
            pos,
            neg,
            by_true: Groups::new(by_true),
            by_false,
            false_bits,
            always,
        }
    }

    #[inline]
    fn holds(&self, op: u32, state: &[u64]) -> bool {
        let base = op as usize * self.words;
        let (pos, neg) = (
            &self.pos[base..base + self.words],
            &self.neg[base..base + self.words],
        );
        (0..self.words).all(|w| state[w] & pos[w] == pos[w] && state[w] & neg[w] == 0)
    }

    /// Appends the applicable actions of `state` to `out`, each once.
    pub fn applicable(&self, state: &[u64], out: &mut Vec<u32>) {
        out.extend_from_slice(&self.always);
        for (w, &word) in state.iter().enumerate() {
            let mut rest = word;
            while rest != 0 {
                let bit = w * 64 + rest.trailing_zeros() as usize;
                rest &= rest - 1;
                out.extend(
                    self.by_true
                        .get(bit)
                        .iter()
                        .copied()
                        .filter(|&op| self.holds(op, state)),
                );
            }
        }
        for (k, &b) in self.false_bits.iter().enumerate() {
            if state[b as usize / 64] >> (b % 64) & 1 == 0 {
                out.extend(
                    self.by_false
                        .get(k)
                        .iter()
                        .copied()
                        .filter(|&op| self.holds(op, state)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn matches_a_linear_scan_on_random_models() {
        let mut rng = crate::util::rng(11, 0);
        for bits in [3usize, 70, 200] {
            let pres: Vec<Vec<Literal>> = (0..300)
                .map(|_| {
                    let n = rng.random_range(0..6);
                    (0..n)
                        .map(|_| (rng.random_range(0..bits as u32), rng.random_bool(0.5)))
                        .collect()
                })
                .collect();
            let gen = SuccessorGenerator::new(&pres, bits);
            for _ in 0..200 {
                let random: Vec<bool> = (0..bits).map(|_| rng.random_bool(0.5)).collect();
                let state = crate::symbolic::BitState::from_bools(&random)
                    .words()
                    .to_vec();
                let holds = |&(b, v): &Literal| (state[b as usize / 64] >> (b % 64) & 1 == 1) == v;
                let expect: Vec<u32> = (0..pres.len() as u32)
                    .filter(|&op| pres[op as usize].iter().all(holds))
                    .collect();
                let mut got = Vec::new();
                gen.applicable(&state, &mut got);
                got.sort_unstable();
                assert_eq!(got, expect);
            }
        }
    }
}
