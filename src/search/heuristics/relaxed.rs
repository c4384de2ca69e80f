//! The delete relaxation of a [`StripsTask`] and h^max on it, computed with a
//! bucket (Dial) queue. LM-cut reuses the same computation with its reduced
//! action costs and reads the h^max supporters it records.

use super::super::Heuristic;
use crate::symbolic::StripsTask;

/// Marks "no value": unreachable cost, no supporter.
pub const INF: u32 = u32::MAX;

/// A relaxed operator over fact ids.
#[derive(Clone, Debug)]
pub struct RelaxedOp {
    /// Precondition facts (never empty: the artificial precondition stands in).
    pub pre: Vec<u32>,
    /// Effect facts.
    pub eff: Vec<u32>,
    /// Original cost.
    pub cost: u32,
}

/// The relaxed task: facts "bit j = v" mentioned by a precondition or the goal,
/// plus an always-true artificial precondition and an artificial goal fact
/// reached by one zero-cost goal operator (the last operator).
#[derive(Clone, Debug)]
pub struct RelaxedTask {
    /// Number of facts, the two artificial ones included.
    pub facts: usize,
    /// The operators; the last one is the goal operator.
    pub ops: Vec<RelaxedOp>,
    /// For each fact, the operators it is a precondition of.
    pub precondition_of: Vec<Vec<u32>>,
    /// For each fact, the operators achieving it.
    pub achievers: Vec<Vec<u32>>,
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
        Self {
            facts,
            ops,
            precondition_of,
            achievers,
            state_facts,
            art_pre,
            art_goal,
        }
    }

    /// The original operator costs.
    pub fn costs(&self) -> Vec<u32> {
        self.ops.iter().map(|o| o.cost).collect()
    }

    /// Computes h^max of every fact from `state` under operator costs `costs`
    /// into `work`, and returns the cost of the artificial goal (`INF` if
    /// unreachable). With `stop_at_goal` it stops once the goal is settled.
    pub fn hmax(
        &self,
        state: &[u64],
        costs: &[u32],
        work: &mut HmaxWork,
        stop_at_goal: bool,
    ) -> u32 {
        work.reset(self);
        for &(f, bit, value) in &self.state_facts {
            if (state[bit as usize / 64] >> (bit % 64) & 1 == 1) == value {
                work.reach(f, 0);
            }
        }
        work.reach(self.art_pre, 0);
        let mut c = 0;
        while c < work.buckets.len() {
            while let Some(f) = work.buckets[c].pop() {
                if work.fact_cost[f as usize] != c as u32 {
                    continue;
                }
                if stop_at_goal && f == self.art_goal {
                    return c as u32;
                }
                self.trigger(f, c as u32, costs, work);
            }
            c += 1;
        }
        work.fact_cost[self.art_goal as usize]
    }

    /// Fact `f` settled at cost `c`: count it for the operators it enables.
    fn trigger(&self, f: u32, c: u32, costs: &[u32], work: &mut HmaxWork) {
        for &op in &self.precondition_of[f as usize] {
            let unsat = &mut work.unsat[op as usize];
            *unsat -= 1;
            if *unsat == 0 {
                work.supporter[op as usize] = f;
                let reached = c.saturating_add(costs[op as usize]);
                for &e in &self.ops[op as usize].eff {
                    work.reach(e, reached);
                }
            }
        }
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

fn dedup(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v.dedup();
    v
}

/// Buffers of one h^max computation, reused across states.
#[derive(Clone, Debug, Default)]
pub struct HmaxWork {
    /// h^max of each fact (`INF`: unreachable).
    pub fact_cost: Vec<u32>,
    /// Unsatisfied preconditions left per operator.
    pub unsat: Vec<u32>,
    /// The precondition that settled last (the h^max supporter), or `INF`.
    pub supporter: Vec<u32>,
    buckets: Vec<Vec<u32>>,
}

impl HmaxWork {
    fn reset(&mut self, task: &RelaxedTask) {
        self.fact_cost.clear();
        self.fact_cost.resize(task.facts, INF);
        self.unsat.clear();
        self.unsat
            .extend(task.ops.iter().map(|o| o.pre.len() as u32));
        self.supporter.clear();
        self.supporter.resize(task.ops.len(), INF);
        self.buckets.iter_mut().for_each(Vec::clear);
    }

    fn reach(&mut self, f: u32, cost: u32) {
        if cost < self.fact_cost[f as usize] {
            self.fact_cost[f as usize] = cost;
            let c = cost as usize;
            if self.buckets.len() <= c {
                self.buckets.resize_with(c + 1, Vec::new);
            }
            self.buckets[c].push(f);
        }
    }
}

/// The h^max heuristic.
#[derive(Clone, Debug)]
pub struct HMax {
    task: RelaxedTask,
    costs: Vec<u32>,
    work: HmaxWork,
}

impl HMax {
    /// h^max for `task`.
    pub fn new(task: &StripsTask) -> Self {
        let task = RelaxedTask::new(task);
        Self {
            costs: task.costs(),
            task,
            work: HmaxWork::default(),
        }
    }
}

impl Heuristic for HMax {
    fn estimate(&mut self, state: &[u64]) -> Option<u32> {
        let h = self.task.hmax(state, &self.costs, &mut self.work, true);
        (h != INF).then_some(h)
    }
}
