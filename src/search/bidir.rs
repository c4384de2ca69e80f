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

use std::collections::HashMap;
use std::time::Instant;

use super::engine::{LimitKind, Limits, Outcome, Plan, SearchResult, SearchStats};
use super::filter::Guard;
use super::open::BucketQueue;
use super::table::StateTable;
use super::SearchSpace;

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

/// A move a checker refused: the state it leaves, its operator and the
/// state it reaches.
pub type Move = (Vec<u64>, u32, Vec<u64>);

/// How [`bidirectional_checked`] chose its plan.
#[derive(Debug, Default)]
pub struct Choice {
    /// Whether the plan passes the checker (false: none of the optimal
    /// paths tried did, or there was no time left to try; the plan is then
    /// the search's own, unchecked).
    pub checked: bool,
    /// The moves the checker refused on the paths tried (each once).
    pub refused: Vec<Move>,
    /// The states the checker refused on the paths tried.
    pub refused_states: Vec<Vec<u64>>,
    /// The states the walks went through that the checker admitted (the
    /// start and the goal included; a state both walks reach counts twice).
    pub visited: u64,
}

/// [`bidirectional`], whose plan is then chosen among the optimal paths
/// the two searches hold: the first that `checker` allows, state by state
/// ([`Guard::admits`], asked of every state but the start and the goal) and
/// move by move ([`Guard::prune`] on the moves out of each state after the
/// meeting, [`Guard::prune_backward`] on the moves into each state before
/// it). A cheapest path through the
/// searches' tables is any walk from the start through forward states
/// whose g grows by each operator's cost, to a state both sides hold with
/// g's that sum to the plan's cost, then through backward states whose g
/// falls by each cost to the goal; so the path found is as cheap as the
/// search's own plan, hence optimal in the checker's graph too. The
/// walks go depth first, the search's own path first, and remember the
/// states from which no allowed walk reaches the start (or the goal), so
/// each state is put to the checker at most once a side; they stop at the
/// search's time limit (without one, they may put every state of both
/// tables to the checker; the expansion and memory limits do not bound
/// them). A path is not looked for beyond the tables: when
/// none passes, the search's own plan comes back with `choice.checked`
/// false (a caller searches again without what was refused).
pub fn bidirectional_checked<S: BackwardSpace>(
    space: &S,
    limits: Limits,
    checker: &mut dyn Guard,
) -> (SearchResult, Choice) {
    let mut search = Bidirectional::new(space, limits);
    let mut outcome = search.run();
    let mut choice = Choice::default();
    if let Outcome::Plan(plan) = &outcome {
        // The empty plan (the start is the goal) has nothing to check.
        choice.checked = plan.ops.is_empty();
    }
    if let (Outcome::Plan(plan), Some(_)) = (&outcome, search.best) {
        let mut walks = Walks {
            search: &search,
            checker,
            choice: &mut choice,
            next: [HashMap::new(), HashMap::new()],
            refused_seen: Default::default(),
        };
        if let Some(ops) = walks.find() {
            let cost = plan.cost;
            outcome = Outcome::Plan(Plan { ops, cost });
            choice.checked = true;
        }
    }
    (search.result(outcome), choice)
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

/// [`bidirectional_checked`]'s walks through a finished search.
struct Walks<'s, 'a, S> {
    search: &'s Bidirectional<'a, S>,
    checker: &'s mut dyn Guard,
    choice: &'s mut Choice,
    /// Per side, for each state walked from: the first step (operator,
    /// state id) of an allowed walk to the side's root, or `None` if there
    /// is none.
    next: [HashMap<u32, Option<(u32, u32)>>; 2],
    /// The moves in `choice.refused`.
    refused_seen: std::collections::HashSet<Move>,
}

impl<S: BackwardSpace> Walks<'_, '_, S> {
    /// The operators of the first path the checker allows, or `None`.
    fn find(&mut self) -> Option<Vec<u32>> {
        let search = self.search;
        let (mu, f, b) = search.best?;
        let [forward, backward] = &search.sides;
        // Found as they are walked: most plans pass at the first few.
        let others = (0..backward.nodes.len() as u32).filter_map(|b| {
            let node = backward.nodes[b as usize];
            if node.refused {
                return None;
            }
            let (f, g) = forward.g_of(backward.table.get(b))?;
            (u64::from(g) + u64::from(node.g) == mu).then_some((f, b))
        });
        let meetings = std::iter::once((f, b)).chain(others.filter(|&m| m != (f, b)));
        for (f, b) in meetings {
            // The forward half only where the backward one passes.
            if self.walk(BACKWARD, b)? && self.walk(FORWARD, f)? {
                let mut ops = self.steps(FORWARD, f);
                ops.reverse();
                ops.extend(self.steps(BACKWARD, b));
                return Some(ops);
            }
        }
        None
    }

    /// The operators of the allowed walk from `id` to `side`'s root found
    /// by [`Self::walk`], nearest first.
    fn steps(&self, side: usize, mut id: u32) -> Vec<u32> {
        let mut ops = Vec::new();
        while let Some(Some((op, next))) = self.next[side].get(&id) {
            if *op == NONE {
                break;
            }
            ops.push(*op);
            id = *next;
        }
        ops
    }

    /// Whether an allowed walk leads from state `id` of `side` to its root
    /// (the start forward, the goal backward), each g on the way smaller
    /// by the cost of the move; `None` when the time is up.
    fn walk(&mut self, side: usize, id: u32) -> Option<bool> {
        if let Some(next) = self.next[side].get(&id) {
            return Some(next.is_some());
        }
        let node = self.search.sides[side].nodes[id as usize];
        if node.parent == NONE {
            self.next[side].insert(id, Some((NONE, NONE)));
            return Some(true);
        }
        if self.search.out_of_time() {
            return None;
        }
        let state = self.search.sides[side].table.get(id).to_vec();
        if !self.search.is_root(&state) && !self.checker.admits(&state) {
            self.next[side].insert(id, None);
            self.choice.refused_states.push(state);
            return Some(false);
        }
        self.choice.visited += 1;
        // Dead while it is walked from: with operators of cost 0 a walk
        // could come back to it.
        self.next[side].insert(id, None);
        let moves = self.allowed(side, &state, node);
        let mut tried = std::collections::HashSet::new();
        for (op, other) in moves {
            if tried.insert(other) && self.walk(side, other)? {
                self.next[side].insert(id, Some((op, other)));
                return Some(true);
            }
        }
        self.next[side].insert(id, None);
        Some(false)
    }

    /// The moves of `side` from `state` (state `node`) one step toward its
    /// root whose g there is `node.g` less the move's cost, the search's
    /// own first, that the checker allows: (operator, the other state's id).
    fn allowed(&mut self, side: usize, state: &[u64], node: Node) -> Vec<(u32, u32)> {
        let space = self.search.space;
        let words = space.words();
        let there = &self.search.sides[side];
        let (mut ops, mut others) = (Vec::new(), Vec::new());
        if side == BACKWARD {
            space.applicable(state, &mut ops);
            others.resize(ops.len() * words, 0);
            for (k, &op) in ops.iter().enumerate() {
                space.apply(op, state, &mut others[k * words..(k + 1) * words]);
            }
        } else if !space.predecessors(state, &mut ops, &mut others) {
            // Too many to list: the search's own step alone.
            ops = vec![node.op];
            others = there.table.get(node.parent).to_vec();
        }
        // The consistent moves, the search's own first.
        let mut moves: Vec<(u32, u32)> = Vec::new();
        let mut kept = Vec::new();
        for (k, &op) in ops.iter().enumerate() {
            let other = &others[k * words..(k + 1) * words];
            let Some((id, g)) = there.g_of(other) else {
                continue;
            };
            if u64::from(g) + u64::from(space.cost(op)) != u64::from(node.g) {
                continue;
            }
            if op == node.op && id == node.parent {
                moves.insert(0, (op, id));
                kept.splice(0..0, other.iter().copied());
            } else {
                moves.push((op, id));
                kept.extend_from_slice(other);
            }
        }
        self.screen(side, state, moves, kept)
    }

    /// The moves (operator, other state's id) of `side` at `state` that the
    /// checker allows, in order; `others` holds the other states, back to
    /// back. The refused ones are recorded.
    fn screen(
        &mut self,
        side: usize,
        state: &[u64],
        moves: Vec<(u32, u32)>,
        others: Vec<u64>,
    ) -> Vec<(u32, u32)> {
        let space = self.search.space;
        let words = space.words();
        let mut ops: Vec<u32> = moves.iter().map(|m| m.0).collect();
        let mut from = others.clone();
        if side == BACKWARD {
            self.checker
                .prune(state, &mut ops, &|op, out| space.apply(op, state, out));
        } else {
            self.checker.prune_backward(state, &mut ops, &mut from);
        }
        // What the checker kept is a subsequence of the moves.
        let mut allowed = Vec::with_capacity(ops.len());
        let mut j = 0;
        for (k, &(op, id)) in moves.iter().enumerate() {
            let other = &others[k * words..(k + 1) * words];
            let kept = j < ops.len()
                && ops[j] == op
                && (side == BACKWARD || from[j * words..(j + 1) * words] == *other);
            if kept {
                allowed.push((op, id));
                j += 1;
            } else {
                let refused = if side == BACKWARD {
                    (state.to_vec(), op, other.to_vec())
                } else {
                    (other.to_vec(), op, state.to_vec())
                };
                // Both walks can meet one move, from its two ends.
                if self.refused_seen.insert(refused.clone()) {
                    self.choice.refused.push(refused);
                }
            }
        }
        allowed
    }
}
