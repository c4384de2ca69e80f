//! The delete relaxation of a [`StripsTask`]: facts, relaxed operators and
//! their cross-references, with the preconditions in the order h^max breaks
//! ties by (h^max itself is in `hmax.rs`).

use crate::search::lists::Lists;
use crate::symbolic::StripsTask;

/// Marks "no value": unreachable cost, no supporter.
pub const INF: u32 = u32::MAX;

/// A relaxed operator over fact ids, as the task is built.
#[derive(Clone, Debug)]
struct RelaxedOp {
    /// Precondition facts (never empty: the artificial precondition stands in).
    pre: Vec<u32>,
    /// Effect facts.
    eff: Vec<u32>,
    /// Original cost.
    cost: u32,
}

/// The relaxed task: facts "bit j = v" mentioned by a precondition or the goal,
/// plus an always-true artificial precondition and an artificial goal fact
/// reached by one zero-cost goal operator (the last operator).
#[derive(Clone, Debug)]
pub struct RelaxedTask {
    /// Number of facts, the two artificial ones included.
    pub facts: usize,
    /// Precondition facts of each operator (never empty: the artificial
    /// precondition stands in), by falling (rank, id); the last operator is
    /// the goal operator.
    pub pre: Lists<u32>,
    /// Effect facts of each operator, ascending.
    pub eff: Lists<u32>,
    /// Words of a bit set over the facts.
    pub fact_words: usize,
    /// The effects of each operator as a bit set over the facts:
    /// `fact_words` words per operator.
    eff_sets: Vec<u64>,
    /// Original cost of each operator.
    pub cost: Vec<u32>,
    /// For each fact, the operators it is a precondition of.
    pub precondition_of: Lists<u32>,
    /// For each fact, the operators achieving it.
    pub achievers: Lists<u32>,
    /// For each fact, its number of achievers: among the preconditions of
    /// highest h^max, the h^max supporter is one with the fewest (see
    /// [`RelaxedTask::hmax`]).
    pub rank: Vec<u32>,
    /// (fact, bit, value) of every non-artificial fact.
    pub state_facts: Vec<(u32, u32, bool)>,
    /// The always-true fact.
    pub art_pre: u32,
    /// The fact that means "goal reached".
    pub art_goal: u32,
}

impl RelaxedTask {
    /// The relaxation of `task`.
    pub fn new(task: &StripsTask) -> Self {
        let mut facts = FactIndex::new(task.model.width());
        let pres: Vec<Vec<u32>> = task
            .model
            .actions()
            .iter()
            .map(|a| facts.literals(&a.pre_pos, &a.pre_neg))
            .collect();
        let goal = facts.literals(&task.goal_pos, &task.goal_neg);
        let (art_pre, art_goal) = (facts.len() as u32, facts.len() as u32 + 1);
        let mut ops = Vec::new();
        for (a, pre) in task.model.actions().iter().zip(pres) {
            let mut eff: Vec<u32> = a.add.ones().map(|b| facts.get(b, true)).collect();
            eff.extend(
                a.del
                    .ones()
                    .filter(|&b| !a.add.get(b))
                    .map(|b| facts.get(b, false)),
            );
            eff.retain(|&f| f != INF);
            if !eff.is_empty() {
                let pre = or_artificial(pre, art_pre);
                ops.push(RelaxedOp {
                    pre,
                    eff: dedup(eff),
                    cost: a.cost,
                });
            }
        }
        let pre = or_artificial(goal, art_pre);
        ops.push(RelaxedOp {
            pre,
            eff: vec![art_goal],
            cost: 0,
        });
        Self::link(facts.len() + 2, ops, facts.state_facts, art_pre, art_goal)
    }

    fn link(
        facts: usize,
        ops: Vec<RelaxedOp>,
        state_facts: Vec<(u32, u32, bool)>,
        art_pre: u32,
        art_goal: u32,
    ) -> Self {
        let mut precondition_of = vec![Vec::new(); facts];
        let mut achievers = vec![Vec::new(); facts];
        for (i, op) in ops.iter().enumerate() {
            op.pre
                .iter()
                .for_each(|&f| precondition_of[f as usize].push(i as u32));
            op.eff
                .iter()
                .for_each(|&f| achievers[f as usize].push(i as u32));
        }
        let rank: Vec<u32> = achievers.iter().map(|a| a.len() as u32).collect();
        // Each operator's preconditions in the order the first h^max settles
        // tied facts (most achievers first, then falling id), so the
        // supporter is the last of the highest cost in both computations.
        let pre = Lists::from_lists(ops.iter().map(|o| {
            let mut pre = o.pre.clone();
            pre.sort_unstable_by_key(|&f| std::cmp::Reverse((rank[f as usize], f)));
            pre
        }));
        let fact_words = facts.div_ceil(64);
        let mut eff_sets = vec![0u64; fact_words * ops.len()];
        for (i, op) in ops.iter().enumerate() {
            for &f in &op.eff {
                set(&mut eff_sets[i * fact_words..(i + 1) * fact_words], f);
            }
        }
        Self {
            facts,
            rank,
            pre,
            fact_words,
            eff_sets,
            eff: Lists::from_lists(ops.iter().map(|o| o.eff.iter().copied())),
            cost: ops.iter().map(|o| o.cost).collect(),
            precondition_of: Lists::from_lists(precondition_of),
            achievers: Lists::from_lists(achievers),
            state_facts,
            art_pre,
            art_goal,
        }
    }

    /// The effects of operator `op` as a bit set over the facts.
    #[inline]
    pub fn eff_bits(&self, op: u32) -> &[u64] {
        let w = self.fact_words;
        &self.eff_sets[op as usize * w..(op as usize + 1) * w]
    }

    /// The facts that hold in `state`, then the artificial precondition.
    pub fn holding<'a>(&'a self, state: &'a [u64]) -> impl Iterator<Item = u32> + 'a {
        let holds = |&&(_, bit, value): &&(u32, u32, bool)| {
            (state[bit as usize / 64] >> (bit % 64) & 1 == 1) == value
        };
        let facts = self.state_facts.iter().filter(holds).map(|&(f, _, _)| f);
        facts.chain([self.art_pre])
    }

    /// The original operator costs.
    pub fn costs(&self) -> Vec<u32> {
        self.cost.clone()
    }
}

/// Numbers the facts "bit j = v" in order of first mention.
struct FactIndex {
    index: Vec<u32>,
    state_facts: Vec<(u32, u32, bool)>,
}

impl FactIndex {
    fn new(width: usize) -> Self {
        Self {
            index: vec![INF; 2 * width],
            state_facts: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.state_facts.len()
    }

    /// The fact "bit = value", or `INF` if never mentioned.
    fn get(&self, bit: usize, value: bool) -> u32 {
        self.index[2 * bit + usize::from(value)]
    }

    /// The facts of the literals `pos` (true bits) and `neg` (false bits), numbering new ones.
    fn literals(
        &mut self,
        pos: &crate::symbolic::BitState,
        neg: &crate::symbolic::BitState,
    ) -> Vec<u32> {
        let lits: Vec<(usize, bool)> = pos
            .ones()
            .map(|b| (b, true))
            .chain(neg.ones().map(|b| (b, false)))
            .collect();
        lits.into_iter()
            .map(|(bit, value)| {
                let slot = &mut self.index[2 * bit + usize::from(value)];
                if *slot == INF {
                    *slot = self.state_facts.len() as u32;
                    self.state_facts.push((*slot, bit as u32, value));
                }
                *slot
            })
            .collect()
    }
}

fn or_artificial(mut facts: Vec<u32>, art_pre: u32) -> Vec<u32> {
    if facts.is_empty() {
        facts.push(art_pre);
    }
    dedup(facts)
}

/// Adds fact `f` to the bit set `bits`.
pub(super) fn set(bits: &mut [u64], f: u32) {
    bits[f as usize / 64] |= 1 << (f % 64);
}

/// True if fact `f` is in the bit set `bits`.
pub(super) fn has(bits: &[u64], f: u32) -> bool {
    bits[f as usize / 64] >> (f % 64) & 1 == 1
}

fn dedup(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v.dedup();
    v
}
