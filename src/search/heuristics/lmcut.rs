//! The LM-cut heuristic (Helmert & Domshlak, ICAPS 2009), following Fast
//! Downward's `lm_cut_landmarks.cc`: compute h^max, find the goal zone (facts
//! reaching the goal through zero-cost supporters), cut the operators that
//! enter it from the facts reachable before it, add the cheapest cut cost to h,
//! subtract it from every cut operator and update h^max incrementally (only
//! what the cheaper operators lower), until the goal costs nothing.

use super::super::Heuristic;
use super::hmax::HmaxWork;
use super::relaxed::{has, set, RelaxedTask, INF};
use crate::symbolic::StripsTask;

/// The LM-cut heuristic.
#[derive(Clone, Debug)]
pub struct LmCut {
    task: RelaxedTask,
    costs: Vec<u32>,
    work: HmaxWork,
    /// The goal zone and the facts reached before it, as bit sets over facts.
    goal_zone: Vec<u64>,
    reached: Vec<u64>,
    queue: Vec<u32>,
    cut: Vec<u32>,
    /// The operators of no original cost.
    free: Vec<u32>,
    /// For each fact, its achievers whose cost is 0 now (the free ones and
    /// those cut to 0): only they carry the goal zone back.
    zero_achievers: Vec<Vec<u32>>,
}

impl LmCut {
    /// LM-cut for `task`.
    pub fn new(task: &StripsTask) -> Self {
        let task = RelaxedTask::new(task);
        Self {
            costs: Vec::new(),
            work: HmaxWork::default(),
            goal_zone: Vec::new(),
            reached: Vec::new(),
            queue: Vec::new(),
            cut: Vec::new(),
            free: (0..task.cost.len() as u32)
                .filter(|&op| task.cost[op as usize] == 0)
                .collect(),
            zero_achievers: vec![Vec::new(); task.facts],
            task,
        }
    }

    /// Files operator `op`, whose cost is now 0, under the facts it achieves.
    fn now_free(&mut self, op: u32) {
        for &e in self.task.eff.get(op as usize) {
            self.zero_achievers[e as usize].push(op);
        }
    }

    /// Marks the facts that reach the artificial goal through zero-cost
    /// operators along h^max supporters.
    fn mark_goal_zone(&mut self) {
        self.goal_zone.clear();
        self.goal_zone.resize(self.task.fact_words, 0);
        self.queue.clear();
        self.queue.push(self.task.art_goal);
        set(&mut self.goal_zone, self.task.art_goal);
        while let Some(f) = self.queue.pop() {
            for &op in &self.zero_achievers[f as usize] {
                let s = self.work.supporter[op as usize];
                if s != INF && !has(&self.goal_zone, s) {
                    set(&mut self.goal_zone, s);
                    self.queue.push(s);
                }
            }
        }
    }

    /// Collects into `cut` the operators, triggered by their supporter from a
    /// fact reachable without entering the goal zone, that have an effect in it.
    /// The effects are tested and spread as bit sets (a learned action has
    /// about 20 effects; a fact set is 2 or 3 words), in rising fact order
    /// as the effect lists are.
    fn find_cut(&mut self, state: &[u64]) {
        self.reached.clear();
        self.reached.resize(self.task.fact_words, 0);
        self.queue.clear();
        self.cut.clear();
        for f in self.task.holding(state) {
            set(&mut self.reached, f);
            self.queue.push(f);
        }
        while let Some(f) = self.queue.pop() {
            for &op in self.work.supported_by(f) {
                let effects = self.task.eff_bits(op);
                if effects.iter().zip(&self.goal_zone).any(|(e, z)| e & z != 0) {
                    self.cut.push(op);
                    continue;
                }
                for (k, (e, r)) in effects.iter().zip(&mut self.reached).enumerate() {
                    let mut new = e & !*r;
                    *r |= new;
                    while new != 0 {
                        self.queue.push(64 * k as u32 + new.trailing_zeros());
                        new &= new - 1;
                    }
                }
            }
        }
    }
}

impl Heuristic for LmCut {
    fn estimate(&mut self, state: &[u64]) -> Option<u32> {
        self.costs.clear();
        self.costs.extend_from_slice(&self.task.cost);
        self.zero_achievers.iter_mut().for_each(Vec::clear);
        for i in 0..self.free.len() {
            self.now_free(self.free[i]);
        }
        let mut total: u32 = 0;
        let mut goal = self.task.hmax(state, &self.costs, &mut self.work, false);
        if goal == INF {
            return None;
        }
        loop {
            if goal == 0 {
                return Some(total);
            }
            self.mark_goal_zone();
            self.find_cut(state);
            let Some(m) = self.cut.iter().map(|&op| self.costs[op as usize]).min() else {
                return Some(total);
            };
            total = total.saturating_add(m);
            for i in 0..self.cut.len() {
                let op = self.cut[i];
                self.costs[op as usize] -= m;
                if self.costs[op as usize] == 0 {
                    self.now_free(op);
                }
            }
            goal = self
                .task
                .hmax_lowered(&self.cut, &self.costs, &mut self.work);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;

    use rand::Rng as _;

    use super::*;
    use crate::search::tests::random_task;
    use crate::symbolic::BitState;
    use crate::util::rng;

    /// LM-cut as the textbook states it, on the same relaxed task: h^max from
    /// scratch after every cut (a fixpoint over all operators), each
    /// operator's supporter the precondition of highest (h^max, fewest
    /// achievers, lowest id), the goal zone through every zero-cost
    /// achiever, and the cut found by scanning every operator.
    fn textbook(task: &RelaxedTask, state: &[u64]) -> Option<u32> {
        let ops = task.cost.len();
        let mut costs = task.cost.clone();
        let mut total = 0;
        loop {
            let mut h = vec![INF; task.facts];
            task.holding(state).for_each(|f| h[f as usize] = 0);
            let mut changed = true;
            while changed {
                changed = false;
                for (op, &cost) in costs.iter().enumerate() {
                    let Some(m) = task.pre.get(op).iter().map(|&p| h[p as usize]).max() else {
                        continue;
                    };
                    if m == INF {
                        continue;
                    }
                    for &e in task.eff.get(op) {
                        if m + cost < h[e as usize] {
                            h[e as usize] = m + cost;
                            changed = true;
                        }
                    }
                }
            }
            let goal = h[task.art_goal as usize];
            if goal == INF {
                return None;
            }
            if goal == 0 {
                return Some(total);
            }
            let supporter: Vec<Option<u32>> = (0..ops)
                .map(|op| {
                    let pre = task.pre.get(op);
                    let s = *pre.iter().max_by_key(|&&p| {
                        (h[p as usize], Reverse(task.rank[p as usize]), Reverse(p))
                    })?;
                    (h[s as usize] != INF).then_some(s)
                })
                .collect();
            let mut zone = vec![false; task.facts];
            zone[task.art_goal as usize] = true;
            let mut changed = true;
            while changed {
                changed = false;
                for op in 0..ops {
                    let in_zone = task.eff.get(op).iter().any(|&e| zone[e as usize]);
                    if let (0, true, Some(s)) = (costs[op], in_zone, supporter[op]) {
                        changed |= !std::mem::replace(&mut zone[s as usize], true);
                    }
                }
            }
            let mut reached = vec![false; task.facts];
            task.holding(state).for_each(|f| reached[f as usize] = true);
            let enters =
                |op: usize, zone: &[bool]| task.eff.get(op).iter().any(|&e| zone[e as usize]);
            let mut changed = true;
            while changed {
                changed = false;
                for (op, s) in supporter.iter().enumerate() {
                    let triggered = s.is_some_and(|s| reached[s as usize]);
                    if triggered && !enters(op, &zone) {
                        for &e in task.eff.get(op) {
                            changed |= !std::mem::replace(&mut reached[e as usize], true);
                        }
                    }
                }
            }
            let cut: Vec<usize> = (0..ops)
                .filter(|&op| supporter[op].is_some_and(|s| reached[s as usize]))
                .filter(|&op| enters(op, &zone))
                .collect();
            let m = cut.iter().map(|&op| costs[op]).min()?;
            total += m;
            cut.iter().for_each(|&op| costs[op] -= m);
        }
    }

    /// The incremental h^max, the supporters filed once per cut, the goal
    /// zone through the zero-cost achievers only and the cut search over bit
    /// sets give the value of the textbook computation on every state.
    #[test]
    fn lmcut_equals_the_textbook_computation() {
        let mut r = rng(22, 0);
        let mut positive = 0;
        for case in 0..120 {
            let task = random_task(&mut r, 8 + case % 40, 20 + 3 * case);
            let mut lmcut = LmCut::new(&task);
            for _ in 0..6 {
                let bools: Vec<bool> = (0..task.model.width())
                    .map(|_| r.random_bool(0.5))
                    .collect();
                let state = BitState::from_bools(&bools);
                let want = textbook(&lmcut.task, state.words());
                assert_eq!(lmcut.estimate(state.words()), want, "case {case}");
                positive += usize::from(want.is_some_and(|h| h > 1));
            }
        }
        assert!(positive > 100, "only {positive} states with LM-cut above 1");
    }
}
