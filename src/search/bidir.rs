//! Bidirectional uniform-cost search: Dijkstra from the start and from the
//! one goal state at once, expanding the side whose open list is smaller,
//! until the cheapest meeting found cannot be beaten (Goldberg's stopping
//! rule with the smallest operator cost ε: `g_min(forward) + g_min(backward) +
//! ε ≥ μ`). Optimal for non-negative costs, and blind: where a heuristic
//! tells little (LightsOut, whose presses commute), two searches of half the
//! depth expand far fewer states than one of the whole depth.
//!
//! The backward side needs the predecessors of a complete state
//! ([`BackwardSpace`]); on a STRIPS task they are the regression of the state
//! through each operator whose effects it shows ([`super::BitSpace`]).

use std::time::Instant;

use super::engine::{LimitKind, Limits, Outcome, Plan, SearchResult, SearchStats};
use super::open::BucketQueue;
use super::table::StateTable;
use super::SearchSpace;

mod walk;
pub use walk::{bidirectional_checked, Choice, Move};

const NONE: u32 = u32::MAX;

/// Bits an operator may change without its precondition saying their value
/// before: through such an operator a state has 2^k predecessors (each value
/// those bits may have had). Past this many, [`BackwardSpace::predecessors`]
/// gives up and the search stops with [`LimitKind::Predecessors`] (65 536
/// predecessors through one operator; Latplan's AMA3+ preconditions on
/// Sokoban leave up to 25 bits open).
pub const MAX_OPEN_EFFECT_BITS: usize = 16;

/// A [`SearchSpace`] that can also be walked backward from its one goal state.
pub trait BackwardSpace: SearchSpace {
    /// The goal as one complete state, or `None` if the goal leaves bits open.
    fn goal_state(&self) -> Option<&[u64]>;

    /// Appends every move into `state` other than a self-loop: the operator
    /// to `ops` and the state it starts from to `from` (`words()` words each,
    /// back to back), so that `apply(op, from)` is `state` and `op` is
    /// applicable in `from`. Returns false, having appended only some of
    /// them, when an operator into `state` leaves more than
    /// [`MAX_OPEN_EFFECT_BITS`] of its effect bits open.
    fn predecessors(&self, state: &[u64], ops: &mut Vec<u32>, from: &mut Vec<u64>) -> bool;

    /// The smallest operator cost (0 without operators).
    fn min_cost(&self) -> u32;
}

/// Bidirectional uniform-cost search on `space`, within `limits` (expansions
/// of both sides together). Every state except the start and the goal must
/// pass [`SearchSpace::admits`] before it is kept, asked once per side when
/// it is first generated there (so the two searches see the same states); a
/// refused state counts in `stats.refused`. With a goal that is not one
/// complete state there is no backward side to start, and the search is
/// forward uniform-cost search alone.
pub fn bidirectional<S: BackwardSpace>(space: &S, limits: Limits) -> SearchResult {
    let mut search = Bidirectional::new(space, limits);
    let outcome = search.run();
    search.result(outcome)
}

/// One side's record of a state. `parent` is the neighbour it was reached
/// from (toward the start forward, toward the goal backward) and `op` the
/// operator between them.
#[derive(Clone, Copy)]
struct Node {
    g: u32,
    parent: u32,
    op: u32,
    closed: bool,
    /// Refused by the space: never expanded, never met.
    refused: bool,
}

/// One direction of the search.
struct Side {
    table: StateTable,
    nodes: Vec<Node>,
    open: BucketQueue,
}

impl Side {
    fn new(words: usize) -> Self {
        Self {
            table: StateTable::new(words),
            nodes: Vec::new(),
            open: BucketQueue::default(),
        }
    }

    /// The smallest g on the open list, dropping stale entries.
    fn top(&mut self) -> Option<u32> {
        while let Some((g, id)) = self.open.peek() {
            let node = self.nodes[id as usize];
            if !node.closed && !node.refused && g == node.g {
                return Some(g);
            }
            self.open.pop();
        }
        None
    }

    /// The live g of `state` on this side, if it was reached here.
    fn g_of(&self, state: &[u64]) -> Option<(u32, u32)> {
        let id = self.table.find(state)?;
        let node = self.nodes[id as usize];
        (!node.refused).then_some((id, node.g))
    }

    /// The operators from `id` back to this side's root, nearest first.
    fn path(&self, mut id: u32) -> Vec<u32> {
        let mut ops = Vec::new();
        while self.nodes[id as usize].parent != NONE {
            ops.push(self.nodes[id as usize].op);
            id = self.nodes[id as usize].parent;
        }
        ops
    }

    fn bytes(&self) -> usize {
        self.table.bytes()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.open.len() * 4
    }
}

const FORWARD: usize = 0;
const BACKWARD: usize = 1;

struct Bidirectional<'a, S> {
    space: &'a S,
    limits: Limits,
    start: Instant,
    /// Forward, backward.
    sides: [Side; 2],
    /// The cheapest meeting so far: its cost and the state's id on each side.
    best: Option<(u64, u32, u32)>,
    /// The smallest operator cost (ε of the stopping rule).
    epsilon: u32,
    stats: SearchStats,
}

impl<'a, S: BackwardSpace> Bidirectional<'a, S> {
    fn new(space: &'a S, limits: Limits) -> Self {
        let words = space.words();
        Self {
            space,
            limits,
            start: Instant::now(),
            sides: [Side::new(words), Side::new(words)],
            best: None,
            epsilon: space.min_cost(),
            stats: SearchStats::default(),
        }
    }

    fn run(&mut self) -> Outcome {
        let root = self.space.initial().to_vec();
        self.add_root(FORWARD, &root);
        let goal = match self.space.goal_state() {
            Some(goal) => goal.to_vec(),
            None => return self.forward_only(),
        };
        if self.space.is_goal(&root) {
            return Outcome::Plan(Plan {
                ops: Vec::new(),
                cost: 0,
            });
        }
        self.add_root(BACKWARD, &goal);
        let (mut ops, mut states) = (Vec::new(), Vec::new());
        loop {
            let (Some(f), Some(b)) = (self.sides[FORWARD].top(), self.sides[BACKWARD].top()) else {
                // One side has seen everything it reaches: every meeting was found.
                return self.finish();
            };
            if self
                .best
                .is_some_and(|(mu, ..)| u64::from(f) + u64::from(b) + u64::from(self.epsilon) >= mu)
            {
                return self.finish();
            }
            if let Some(limit) = self.limit_reached() {
                return Outcome::LimitReached(limit);
            }
            let side = if self.sides[FORWARD].open.len() <= self.sides[BACKWARD].open.len() {
                FORWARD
            } else {
                BACKWARD
            };
            let (_, id) = self.sides[side].open.pop().expect("top found an entry");
            self.sides[side].nodes[id as usize].closed = true;
            self.stats.expanded += 1;
            let state = self.sides[side].table.get(id).to_vec();
            ops.clear();
            states.clear();
            if side == FORWARD {
                self.space.applicable(&state, &mut ops);
                let words = self.space.words();
                states.resize(ops.len() * words, 0);
                for (k, &op) in ops.iter().enumerate() {
                    self.space
                        .apply(op, &state, &mut states[k * words..(k + 1) * words]);
                }
            } else {
                if !self.space.predecessors(&state, &mut ops, &mut states) {
                    return Outcome::LimitReached(LimitKind::Predecessors);
                }
            }
            self.generate(side, id, &ops, &states);
        }
    }

    /// Registers the moves of expanded state `id` of `side`, and the
    /// meetings they make with the other side.
    fn generate(&mut self, side: usize, id: u32, ops: &[u32], states: &[u64]) {
        let words = self.space.words();
        let g_parent = self.sides[side].nodes[id as usize].g;
        for (k, &op) in ops.iter().enumerate() {
            let next = &states[k * words..(k + 1) * words];
            self.stats.generated += 1;
            let g = g_parent.saturating_add(self.space.cost(op));
            let (child, is_new) = self.sides[side].table.insert(next);
            if is_new {
                let refused = !self.is_root(next) && !self.space.admits(next);
                self.stats.refused += u64::from(refused);
                self.sides[side].nodes.push(Node {
                    g,
                    parent: id,
                    op,
                    closed: false,
                    refused,
                });
                if refused {
                    continue;
                }
            } else {
                let node = &mut self.sides[side].nodes[child as usize];
                if node.refused || node.closed || g >= node.g {
                    continue;
                }
                (node.g, node.parent, node.op) = (g, id, op);
            }
            self.sides[side].open.push(g, 0, child);
            if let Some((other, g_other)) = self.sides[1 - side].g_of(next) {
                let mu = u64::from(g) + u64::from(g_other);
                if self.best.is_none_or(|(best, ..)| mu < best) {
                    let (f, b) = if side == FORWARD {
                        (child, other)
                    } else {
                        (other, child)
                    };
                    self.best = Some((mu, f, b));
                }
            }
        }
    }

    fn is_root(&self, state: &[u64]) -> bool {
        state == self.space.initial() || self.space.goal_state() == Some(state)
    }

    fn add_root(&mut self, side: usize, state: &[u64]) {
        let (id, _) = self.sides[side].table.insert(state);
        self.sides[side].nodes.push(Node {
            g: 0,
            parent: NONE,
            op: NONE,
            closed: false,
            refused: false,
        });
        self.sides[side].open.push(0, 0, id);
    }

    /// The cheapest meeting, or none.
    fn finish(&self) -> Outcome {
        let Some((_, f, b)) = self.best else {
            return Outcome::Unsolvable;
        };
        let mut ops = self.sides[FORWARD].path(f);
        ops.reverse();
        ops.extend(self.sides[BACKWARD].path(b));
        let cost = ops.iter().map(|&op| u64::from(self.space.cost(op))).sum();
        Outcome::Plan(Plan { ops, cost })
    }

    /// Forward uniform-cost search alone (a goal that is not one state).
    fn forward_only(&mut self) -> Outcome {
        let mut ops = Vec::new();
        let mut states = Vec::new();
        let words = self.space.words();
        while let Some(_g) = self.sides[FORWARD].top() {
            let (_, id) = self.sides[FORWARD].open.pop().expect("top found an entry");
            let state = self.sides[FORWARD].table.get(id).to_vec();
            if self.space.is_goal(&state) {
                let mut ops = self.sides[FORWARD].path(id);
                ops.reverse();
                let cost = ops.iter().map(|&op| u64::from(self.space.cost(op))).sum();
                return Outcome::Plan(Plan { ops, cost });
            }
            if let Some(limit) = self.limit_reached() {
                return Outcome::LimitReached(limit);
            }
            self.sides[FORWARD].nodes[id as usize].closed = true;
            self.stats.expanded += 1;
            ops.clear();
            self.space.applicable(&state, &mut ops);
            states.clear();
            states.resize(ops.len() * words, 0);
            for (k, &op) in ops.iter().enumerate() {
                self.space
                    .apply(op, &state, &mut states[k * words..(k + 1) * words]);
            }
            self.generate(FORWARD, id, &ops, &states);
        }
        Outcome::Unsolvable
    }

    fn limit_reached(&mut self) -> Option<LimitKind> {
        if self
            .limits
            .max_expansions
            .is_some_and(|m| self.stats.expanded >= m)
        {
            return Some(LimitKind::Expansions);
        }
        // Read at every expansion: one expansion on a learned model can
        // take long (the filter decodes every predecessor).
        if self
            .limits
            .max_time
            .is_some_and(|t| self.start.elapsed() >= t)
        {
            return Some(LimitKind::Time);
        }
        if self.stats.expanded % 512 != 0 {
            return None;
        }
        let bytes = self.bytes();
        self.stats.memory_bytes = self.stats.memory_bytes.max(bytes);
        self.limits
            .max_memory_bytes
            .is_some_and(|m| bytes > m)
            .then_some(LimitKind::Memory)
    }

    fn bytes(&self) -> usize {
        self.sides[0].bytes() + self.sides[1].bytes()
    }

    /// The search's result with `outcome`.
    fn result(&self, outcome: Outcome) -> SearchResult {
        let mut stats = self.stats.clone();
        stats.search_time = self.start.elapsed();
        stats.states = (self.sides[0].table.len() + self.sides[1].table.len()) as u64;
        stats.memory_bytes = stats.memory_bytes.max(self.bytes());
        SearchResult { outcome, stats }
    }

    fn out_of_time(&self) -> bool {
        self.limits
            .max_time
            .is_some_and(|t| self.start.elapsed() >= t)
    }
}
