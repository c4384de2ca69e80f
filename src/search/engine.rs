//! The best-first search engine: eager A* (f = g + h, ties toward larger g,
//! reopening when a cheaper path is found) and greedy best-first search (h
//! only, no reopening). Duplicates are detected on generation; the goal test
//! is made on expansion, so A* with an admissible heuristic returns optimal plans.

use std::time::{Duration, Instant};

use super::open::BucketQueue;
use super::table::StateTable;
use super::{Heuristic, SearchSpace};

const NONE: u32 = u32::MAX;
const DEAD: u32 = u32::MAX;

/// Which best-first search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// A*: expand by smallest g + h, ties toward larger g.
    AStar,
    /// Greedy best-first: expand by smallest h.
    Greedy,
    /// Bidirectional uniform-cost search from the start and the goal state
    /// ([`super::bidirectional`]): optimal, blind (no heuristic).
    Bidirectional,
}

/// Resource limits; `None` means unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Stop after this many expansions.
    pub max_expansions: Option<u64>,
    /// Stop after this much search time.
    pub max_time: Option<Duration>,
    /// Stop when the search's own data (states, table, open list) exceeds this many bytes.
    pub max_memory_bytes: Option<usize>,
}

/// Which limit stopped a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    /// `max_expansions`.
    Expansions,
    /// `max_time`.
    Time,
    /// `max_memory_bytes`.
    Memory,
    /// Bidirectional search met a state with more predecessors through one
    /// operator than it lists (see [`super::bidir::MAX_OPEN_EFFECT_BITS`]).
    Predecessors,
}

/// Counters as Fast Downward reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchStats {
    /// States expanded.
    pub expanded: u64,
    /// Closed states reopened through a cheaper path.
    pub reopened: u64,
    /// Heuristic evaluations.
    pub evaluated: u64,
    /// Successors generated (duplicates included).
    pub generated: u64,
    /// States the heuristic proved dead ends.
    pub dead_ends: u64,
    /// States the space refused to expand ([`super::SearchSpace::admits`]).
    pub refused: u64,
    /// Expansions before the last increase of the expanded f value (A*).
    pub expanded_until_last_jump: u64,
    /// Distinct states registered.
    pub states: u64,
    /// Wall-clock time of the search.
    pub search_time: Duration,
    /// Peak bytes of the search's own data structures.
    pub memory_bytes: usize,
}

/// A plan: operator ids in order and their total cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Operator ids, first to last.
    pub ops: Vec<u32>,
    /// Sum of the operators' costs.
    pub cost: u64,
}

/// How a search ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A plan was found (optimal for A* with an admissible heuristic).
    Plan(Plan),
    /// Every reachable state was explored (or the initial state is a dead end).
    Unsolvable,
    /// A limit stopped the search first.
    LimitReached(LimitKind),
}

/// The outcome and the statistics of a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchResult {
    /// How it ended.
    pub outcome: Outcome,
    /// What it did.
    pub stats: SearchStats,
}

/// A* search on `space` with `heuristic`, within `limits`.
pub fn astar<S: SearchSpace, H: Heuristic>(
    space: &S,
    heuristic: &mut H,
    limits: Limits,
) -> SearchResult {
    best_first(space, heuristic, Strategy::AStar, limits)
}

/// Best-first search on `space` with `heuristic`, within `limits`.
/// [`Strategy::Bidirectional`] needs a backward side, which a
/// [`SearchSpace`] does not have: here it is A* ([`super::bidirectional`]
/// is the bidirectional search).
pub fn best_first<S: SearchSpace, H: Heuristic>(
    space: &S,
    heuristic: &mut H,
    strategy: Strategy,
    limits: Limits,
) -> SearchResult {
    let mut search = Search::new(space, strategy, limits);
    let outcome = search.run(heuristic);
    search.stats.search_time = search.start.elapsed();
    search.stats.states = search.table.len() as u64;
    search.stats.memory_bytes = search.stats.memory_bytes.max(search.bytes());
    SearchResult {
        outcome,
        stats: search.stats,
    }
}

/// What the search knows about one registered state, kept together so that
/// one cache access finds it. `h == DEAD` marks a dead end.
#[derive(Clone, Copy)]
struct Node {
    g: u32,
    h: u32,
    parent: u32,
    op: u32,
    closed: bool,
}

/// The state of one search: registered states with their nodes, the open
/// list and the counters.
struct Search<'a, S> {
    space: &'a S,
    strategy: Strategy,
    limits: Limits,
    start: Instant,
    table: StateTable,
    nodes: Vec<Node>,
    open: BucketQueue,
    stats: SearchStats,
}

impl<'a, S: SearchSpace> Search<'a, S> {
    fn new(space: &'a S, strategy: Strategy, limits: Limits) -> Self {
        Self {
            space,
            strategy,
            limits,
            start: Instant::now(),
            table: StateTable::new(space.words()),
            nodes: Vec::new(),
            open: BucketQueue::default(),
            stats: SearchStats::default(),
        }
    }

    fn key(&self, g: u32, h: u32) -> (u32, u32) {
        match self.strategy {
            Strategy::AStar | Strategy::Bidirectional => (g.saturating_add(h), h),
            Strategy::Greedy => (h, 0),
        }
    }

    fn run<H: Heuristic>(&mut self, heuristic: &mut H) -> Outcome {
        let (root, _) = self.table.insert(self.space.initial());
        self.register(root, 0, NONE, NONE, heuristic);
        let mut last_f = None;
        let mut ops = Vec::new();
        let mut succ = vec![0u64; self.space.words()];
        while let Some((key, id)) = self.open.pop() {
            let node = self.nodes[id as usize];
            if node.closed || (self.strategy != Strategy::Greedy && key != node.g + node.h) {
                continue;
            }
            if last_f.is_some_and(|f| key > f) {
                self.stats.expanded_until_last_jump = self.stats.expanded;
            }
            last_f = Some(key);
            if self.space.is_goal(self.table.get(id)) {
                return Outcome::Plan(self.extract_plan(id));
            }
            if let Some(limit) = self.limit_reached() {
                return Outcome::LimitReached(limit);
            }
            if node.parent != NONE && !self.space.admits(self.table.get(id)) {
                // Refused: a dead end from now on, never reopened.
                let node = &mut self.nodes[id as usize];
                (node.closed, node.h) = (true, DEAD);
                self.stats.refused += 1;
                continue;
            }
            self.nodes[id as usize].closed = true;
            self.stats.expanded += 1;
            self.expand(id, heuristic, &mut ops, &mut succ);
        }
        Outcome::Unsolvable
    }

    /// Generates every successor of `id`, registering new states and
    /// improving the g of known ones (A*).
    fn expand<H: Heuristic>(
        &mut self,
        id: u32,
        heuristic: &mut H,
        ops: &mut Vec<u32>,
        succ: &mut [u64],
    ) {
        ops.clear();
        self.space.applicable(self.table.get(id), ops);
        let Node {
            g: g_parent,
            parent: from,
            ..
        } = self.nodes[id as usize];
        for &op in ops.iter() {
            self.space.apply(op, self.table.get(id), succ);
            self.stats.generated += 1;
            // The state we came from: a path back to it is never cheaper (g only
            // falls, costs are non-negative), so the lookup can be skipped.
            if from != NONE && self.table.same(from, succ) {
                continue;
            }
            let g = g_parent.saturating_add(self.space.cost(op));
            let (child, is_new) = self.table.insert(succ);
            if is_new {
                self.register(child, g, id, op, heuristic);
            } else {
                self.improve(child, g, id, op);
            }
        }
    }

    fn register<H: Heuristic>(&mut self, id: u32, g: u32, parent: u32, op: u32, heuristic: &mut H) {
        self.stats.evaluated += 1;
        let h = heuristic.estimate(self.table.get(id));
        self.nodes.push(Node {
            g,
            h: h.unwrap_or(DEAD),
            parent,
            op,
            closed: false,
        });
        match h {
            Some(h) => {
                let (p, s) = self.key(g, h);
                self.open.push(p, s, id);
            }
            None => self.stats.dead_ends += 1,
        }
    }

    /// A* only: a cheaper path to a known, live state updates it and (re)opens it.
    fn improve(&mut self, id: u32, g: u32, parent: u32, op: u32) {
        let node = &mut self.nodes[id as usize];
        if self.strategy == Strategy::Greedy || node.h == DEAD || g >= node.g {
            return;
        }
        if node.closed {
            self.stats.reopened += 1;
        }
        let h = node.h;
        *node = Node {
            g,
            h,
            parent,
            op,
            closed: false,
        };
        let (p, s) = self.key(g, h);
        self.open.push(p, s, id);
    }

    fn limit_reached(&mut self) -> Option<LimitKind> {
        if self
            .limits
            .max_expansions
            .is_some_and(|m| self.stats.expanded >= m)
        {
            return Some(LimitKind::Expansions);
        }
        // The clock every 16 expansions: an expansion of a learned model with
        // LM-cut and the pictures filter can take 25 ms, and checking every
        // 512 let a 20 s limit run to 37 s; the memory every 512.
        if self.stats.expanded % 16 != 0 {
            return None;
        }
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

    /// Bytes of the search's own data structures.
    fn bytes(&self) -> usize {
        self.table.bytes()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.open.len() * 4
    }

    fn extract_plan(&self, goal: u32) -> Plan {
        let mut ops = Vec::new();
        let mut id = goal;
        while self.nodes[id as usize].parent != NONE {
            ops.push(self.nodes[id as usize].op);
            id = self.nodes[id as usize].parent;
        }
        ops.reverse();
        Plan {
            ops,
            cost: u64::from(self.nodes[goal as usize].g),
        }
    }
}
