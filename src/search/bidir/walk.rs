//! Choosing a bidirectional search's plan among the optimal paths its two
//! tables hold: the first that a checker allows (the lazy filter's rounds,
//! [`bidirectional_checked`]).

use std::collections::{HashMap, HashSet};

use super::{BackwardSpace, Bidirectional, Node, BACKWARD, FORWARD, NONE};
use crate::search::engine::{Limits, Outcome, Plan, SearchResult};
use crate::search::filter::Guard;

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

/// [`super::bidirectional`], whose plan is then chosen among the optimal paths
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
    refused_seen: HashSet<Move>,
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
        // Dead until a walk from it passes (with operators of cost 0 a walk
        // could come back to it).
        self.next[side].insert(id, None);
        let state = self.search.sides[side].table.get(id).to_vec();
        if !self.search.is_root(&state) && !self.checker.admits(&state) {
            self.choice.refused_states.push(state);
            return Some(false);
        }
        self.choice.visited += 1;
        let moves = self.allowed(side, &state, node);
        let mut tried = HashSet::new();
        for (op, other) in moves {
            if tried.insert(other) && self.walk(side, other)? {
                self.next[side].insert(id, Some((op, other)));
                return Some(true);
            }
        }
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
