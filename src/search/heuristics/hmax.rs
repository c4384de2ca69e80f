//! h^max on the relaxed task ([`RelaxedTask`]), computed with a bucket (Dial)
//! queue, in full from a state or incrementally after some operators became
//! cheaper; LM-cut reuses both with its reduced costs and reads the h^max
//! supporters they record, filed by supporter in [`HmaxWork`].

use super::super::Heuristic;
use super::relaxed::{RelaxedTask, INF};
use crate::symbolic::StripsTask;

impl RelaxedTask {
    /// Computes h^max of every fact from `state` under operator costs `costs`
    /// into `work`, and returns the cost of the artificial goal (`INF` if
    /// unreachable). With `stop_at_goal` it stops once the goal is settled;
    /// without, it also files the operators by supporter for
    /// [`RelaxedTask::hmax_lowered`] and LM-cut's cut search.
    ///
    /// An operator's h^max supporter is its precondition of highest h^max;
    /// among tied ones (on a learned model with unit costs, most are tied)
    /// the one with the fewest achievers: the facts of each cost are settled
    /// in order of falling [`RelaxedTask::rank`], and the supporter is the
    /// precondition settled last. Every choice gives an admissible LM-cut,
    /// but a fact with few achievers makes a small cut, which leaves more
    /// operators their cost for the cuts after it: on the learned
    /// LightsOut 5×5 model of session 22 this halved A*'s expansions
    /// against the precondition settled last in order of first mention.
    pub fn hmax(
        &self,
        state: &[u64],
        costs: &[u32],
        work: &mut HmaxWork,
        stop_at_goal: bool,
    ) -> u32 {
        work.reset(self);
        for f in self.holding(state) {
            work.reach(f, 0);
        }
        let mut c = 0;
        while c < work.buckets.len() {
            // Popped from the back: the fewest achievers last.
            work.buckets[c].sort_unstable_by_key(|&f| (self.rank[f as usize], f));
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
        if !stop_at_goal {
            work.file_by_supporter(self.facts);
        }
        work.fact_cost[self.art_goal as usize]
    }

    /// Updates the h^max values in `work` (from a full [`RelaxedTask::hmax`]
    /// or an earlier update, under costs no lower than `costs`) after the
    /// operators `lowered` became cheaper, and returns the new cost of the
    /// artificial goal. As Fast Downward's `first_exploration_incremental`:
    /// h^max only falls, and only along supporters, so the lowered operators'
    /// effects are queued and a fact that falls re-picks the supporter of the
    /// operators it supported (the highest precondition, of those the one
    /// with the fewest achievers). LM-cut calls this after every cut instead
    /// of a full h^max. A fact visits only the operators it supports (filed
    /// when the last computation ended, and those that picked it since), not
    /// every operator it is a precondition of: on the learned Sokoban model
    /// of session 22, 1884 operators with 18.5 preconditions each, a fact is
    /// the precondition of about 270.
    pub fn hmax_lowered(&self, lowered: &[u32], costs: &[u32], work: &mut HmaxWork) -> u32 {
        work.buckets.iter_mut().for_each(Vec::clear);
        for &op in lowered {
            let reached = work.supporter_cost[op as usize].saturating_add(costs[op as usize]);
            for &e in self.eff.get(op as usize) {
                work.reach(e, reached);
            }
        }
        let mut c = 0;
        while c < work.buckets.len() {
            while let Some(f) = work.buckets[c].pop() {
                if work.fact_cost[f as usize] != c as u32 {
                    continue;
                }
                let (from, to) = work.supported_range(f);
                for i in from..to {
                    let op = work.supported[i];
                    self.repick(op, f, c as u32, costs, work);
                }
                let moved = std::mem::take(&mut work.moved[f as usize]);
                for &op in &moved {
                    self.repick(op, f, c as u32, costs, work);
                }
                work.moved[f as usize] = moved;
            }
            c += 1;
        }
        work.file_by_supporter(self.facts);
        work.fact_cost[self.art_goal as usize]
    }

    /// Operator `op`, if fact `f` (now at cost `c`) still supports it at a
    /// higher cost, re-picks its supporter and, if that lowers it, queues its
    /// effects at the new cost.
    fn repick(&self, op: u32, f: u32, c: u32, costs: &[u32], work: &mut HmaxWork) {
        let o = op as usize;
        if work.supporter[o] != f || work.supporter_cost[o] <= c {
            return;
        }
        let old = work.supporter_cost[o];
        // The preconditions are in rising tie order (most achievers first),
        // so the last of the highest cost is the supporter: the highest
        // (cost, position) as one integer, a loop without a branch.
        let pre = self.pre.get(o);
        let best = pre
            .iter()
            .enumerate()
            .map(|(i, &p)| u64::from(work.fact_cost[p as usize]) << 32 | i as u64)
            .max()
            .unwrap_or(0);
        let (s, sc) = (pre[best as u32 as usize], (best >> 32) as u32);
        work.supporter[o] = s;
        work.supporter_cost[o] = sc;
        if s != f {
            work.moved[s as usize].push(op);
        }
        if sc != old {
            let reached = sc.saturating_add(costs[o]);
            for &e in self.eff.get(o) {
                work.reach(e, reached);
            }
        }
    }

    /// Fact `f` settled at cost `c`: count it for the operators it enables.
    fn trigger(&self, f: u32, c: u32, costs: &[u32], work: &mut HmaxWork) {
        for &op in self.precondition_of.get(f as usize) {
            let unsat = &mut work.unsat[op as usize];
            *unsat -= 1;
            if *unsat == 0 {
                work.supporter[op as usize] = f;
                work.supporter_cost[op as usize] = c;
                let reached = c.saturating_add(costs[op as usize]);
                for &e in self.eff.get(op as usize) {
                    work.reach(e, reached);
                }
            }
        }
    }
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
    /// The supporter's h^max when it was chosen (what the operator's effects
    /// were reached at, less the operator's cost).
    pub supporter_cost: Vec<u32>,
    buckets: Vec<Vec<u32>>,
    /// The operators by supporter when the last computation ended, ascending
    /// within a fact: fact `f`'s are `supported[supported_start[f]..supported_start[f + 1]]`.
    supported_start: Vec<u32>,
    supported: Vec<u32>,
    /// Where the next operator of each fact goes while filing.
    fill: Vec<u32>,
    /// Operators that picked each fact as supporter during an update
    /// ([`RelaxedTask::hmax_lowered`]), since the filing.
    moved: Vec<Vec<u32>>,
}

impl HmaxWork {
    fn reset(&mut self, task: &RelaxedTask) {
        self.fact_cost.clear();
        self.fact_cost.resize(task.facts, INF);
        self.unsat.clear();
        self.unsat
            .extend((0..task.pre.len()).map(|o| task.pre.get(o).len() as u32));
        self.supporter.clear();
        self.supporter.resize(task.pre.len(), INF);
        self.supporter_cost.clear();
        self.supporter_cost.resize(task.pre.len(), INF);
        self.buckets.iter_mut().for_each(Vec::clear);
    }

    /// The operators fact `f` supported at the last filing, as a range of `supported`.
    fn supported_range(&self, f: u32) -> (usize, usize) {
        (
            self.supported_start[f as usize] as usize,
            self.supported_start[f as usize + 1] as usize,
        )
    }

    /// The operators `fact`'s supports when the computation ends, ascending.
    pub fn supported_by(&self, fact: u32) -> &[u32] {
        let (from, to) = self.supported_range(fact);
        &self.supported[from..to]
    }

    /// Files every operator with a supporter under it (a counting sort), so
    /// that a fact visits only the operators it supports: the cut search once
    /// per operator instead of once per (precondition, operator) pair.
    fn file_by_supporter(&mut self, facts: usize) {
        self.supported_start.clear();
        self.supported_start.resize(facts + 1, 0);
        for &s in self.supporter.iter().filter(|&&s| s != INF) {
            self.supported_start[s as usize + 1] += 1;
        }
        for f in 0..facts {
            self.supported_start[f + 1] += self.supported_start[f];
        }
        self.supported.clear();
        self.supported
            .resize(self.supported_start[facts] as usize, 0);
        // Fill from the back of each fact's slot so the ids stay ascending.
        self.fill.clear();
        self.fill.extend_from_slice(&self.supported_start[1..]);
        for op in (0..self.supporter.len()).rev() {
            let s = self.supporter[op];
            if s != INF {
                self.fill[s as usize] -= 1;
                self.supported[self.fill[s as usize] as usize] = op as u32;
            }
        }
        self.moved.resize_with(facts, Vec::new);
        self.moved.iter_mut().for_each(Vec::clear);
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

#[cfg(test)]
mod tests {
    use rand::Rng as _;

    use super::*;
    use crate::search::tests::random_task;
    use crate::symbolic::BitState;
    use crate::util::rng;

    /// After lowering the costs of some operators, the incremental update
    /// gives every fact the h^max a full computation under the new costs gives.
    #[test]
    fn lowered_costs_update_hmax_as_a_full_computation_does() {
        let mut r = rng(21, 0);
        let mut compared = 0;
        for case in 0..80 {
            let task = random_task(&mut r, 6 + case % 10, 10 + case % 30);
            let relaxed = RelaxedTask::new(&task);
            let width = task.model.width();
            for _ in 0..5 {
                let bools: Vec<bool> = (0..width).map(|_| r.random_bool(0.5)).collect();
                let state = BitState::from_bools(&bools);
                let mut costs: Vec<u32> =
                    relaxed.cost.iter().map(|_| r.random_range(1..5)).collect();
                let last = costs.len() - 1;
                costs[last] = 0; // the goal operator
                let mut work = HmaxWork::default();
                relaxed.hmax(state.words(), &costs, &mut work, false);
                for _ in 0..3 {
                    let lowered: Vec<u32> = (0..costs.len() as u32)
                        .filter(|&o| costs[o as usize] > 0 && r.random_bool(0.3))
                        .collect();
                    for &o in &lowered {
                        costs[o as usize] -= r.random_range(1..=costs[o as usize]);
                    }
                    let goal = relaxed.hmax_lowered(&lowered, &costs, &mut work);
                    let mut full = HmaxWork::default();
                    let full_goal = relaxed.hmax(state.words(), &costs, &mut full, false);
                    assert_eq!(work.fact_cost, full.fact_cost, "case {case}");
                    assert_eq!(goal, full_goal);
                    // Every reached operator's supporter is a precondition of
                    // the highest h^max, as recorded.
                    for o in 0..relaxed.pre.len() {
                        let s = work.supporter[o];
                        if s == INF {
                            continue;
                        }
                        let pre = relaxed.pre.get(o);
                        let top = pre.iter().map(|&p| work.fact_cost[p as usize]).max();
                        assert_eq!(Some(work.fact_cost[s as usize]), top, "case {case} op {o}");
                        assert_eq!(work.supporter_cost[o], work.fact_cost[s as usize]);
                    }
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 80 * 5 * 3);
    }
}
