//! The LM-cut heuristic (Helmert & Domshlak, ICAPS 2009), following Fast
//! Downward's `lm_cut_landmarks.cc`: compute h^max, find the goal zone (facts
//! reaching the goal through zero-cost supporters), cut the operators that
//! enter it from the facts reachable before it, add the cheapest cut cost to h,
//! subtract it from every cut operator and update h^max incrementally (only
//! what the cheaper operators lower), until the goal costs nothing.

use super::super::Heuristic;
use super::relaxed::{HmaxWork, RelaxedTask, INF};
use crate::symbolic::StripsTask;

/// The LM-cut heuristic.
#[derive(Clone, Debug)]
pub struct LmCut {
    task: RelaxedTask,
    costs: Vec<u32>,
    work: HmaxWork,
    goal_zone: Vec<bool>,
    reached: Vec<bool>,
    queue: Vec<u32>,
    cut: Vec<u32>,
    /// The operators by h^max supporter, ascending within a fact: fact `f`'s
    /// are `supported[supported_start[f]..supported_start[f + 1]]`.
    supported_start: Vec<u32>,
    supported: Vec<u32>,
    /// Where the next operator of each fact goes while filing.
    fill: Vec<u32>,
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
            supported_start: Vec::new(),
            supported: Vec::new(),
            fill: Vec::new(),
            task,
        }
    }

    /// Marks the facts that reach the artificial goal through zero-cost
    /// operators along h^max supporters.
    fn mark_goal_zone(&mut self) {
        self.goal_zone.clear();
        self.goal_zone.resize(self.task.facts, false);
        self.queue.clear();
        self.queue.push(self.task.art_goal);
        self.goal_zone[self.task.art_goal as usize] = true;
        while let Some(f) = self.queue.pop() {
            for &op in self.task.achievers.get(f as usize) {
                let s = self.work.supporter[op as usize];
                if self.costs[op as usize] == 0 && s != INF && !self.goal_zone[s as usize] {
                    self.goal_zone[s as usize] = true;
                    self.queue.push(s);
                }
            }
        }
    }

    /// Files every operator with a supporter under it (a counting sort), so
    /// that [`Self::find_cut`] visits each operator once instead of every
    /// (precondition, operator) pair: on a learned model with 1534 actions
    /// and 18.5 preconditions each, 1534 visits instead of 28 000 per cut.
    fn file_by_supporter(&mut self) {
        let supporter = &self.work.supporter;
        self.supported_start.clear();
        self.supported_start.resize(self.task.facts + 1, 0);
        for &s in supporter.iter().filter(|&&s| s != INF) {
            self.supported_start[s as usize + 1] += 1;
        }
        for f in 0..self.task.facts {
            self.supported_start[f + 1] += self.supported_start[f];
        }
        let filed = self.supported_start[self.task.facts] as usize;
        self.supported.clear();
        self.supported.resize(filed, 0);
        // Fill from the back of each fact's slot so the ids stay ascending.
        self.fill.clear();
        self.fill.extend_from_slice(&self.supported_start[1..]);
        for op in (0..supporter.len()).rev() {
            let s = supporter[op];
            if s != INF {
                self.fill[s as usize] -= 1;
                self.supported[self.fill[s as usize] as usize] = op as u32;
            }
        }
    }

    /// Collects into `cut` the operators, triggered by their supporter from a
    /// fact reachable without entering the goal zone, that have an effect in it.
    fn find_cut(&mut self, state: &[u64]) {
        self.file_by_supporter();
        self.reached.clear();
        self.reached.resize(self.task.facts, false);
        self.queue.clear();
        self.cut.clear();
        for &(f, bit, value) in &self.task.state_facts {
            if (state[bit as usize / 64] >> (bit % 64) & 1 == 1) == value {
                self.reached[f as usize] = true;
                self.queue.push(f);
            }
        }
        self.reached[self.task.art_pre as usize] = true;
        self.queue.push(self.task.art_pre);
        while let Some(f) = self.queue.pop() {
            let (from, to) = (
                self.supported_start[f as usize] as usize,
                self.supported_start[f as usize + 1] as usize,
            );
            for &op in &self.supported[from..to] {
                let effects = self.task.eff.get(op as usize);
                if effects.iter().any(|&e| self.goal_zone[e as usize]) {
                    self.cut.push(op);
                    continue;
                }
                for &e in effects {
                    if !self.reached[e as usize] {
                        self.reached[e as usize] = true;
                        self.queue.push(e);
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
            for &op in &self.cut {
                self.costs[op as usize] -= m;
            }
            goal = self
                .task
                .hmax_lowered(&self.cut, &self.costs, &mut self.work);
        }
    }
}
