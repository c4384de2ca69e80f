//! Planning from pictures with a trained run: encode the start and goal
//! pictures, search the extracted STRIPS model, decode every latent state.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{bail, Context};

use super::actions::ActionModel;
use super::external::Planner;
use super::pictures::{PictureRules, PICTURES};
use crate::domain::{Code, Domain, DomainConfig, Image};
use crate::model::Model;
use crate::search::{
    retain_moves, search_task, search_task_guarded, Guard, Outcome, SearchConfig, SearchResult,
    SearchStats,
};
use crate::symbolic::{BitState, StripsModel, StripsTask};

/// A trained run opened for planning.
pub struct Session {
    /// The network.
    pub model: Model,
    /// The extracted action model.
    pub actions: ActionModel,
    /// The same as STRIPS.
    pub strips: StripsModel,
    /// The ground-truth domain the run was trained on (to judge plans).
    pub domain: Box<dyn Domain>,
    /// Its preset name.
    pub preset: String,
}

/// What one planning call produced.
pub struct Solved {
    /// Bits of the start picture.
    pub init: Vec<u8>,
    /// Bits of the goal picture.
    pub goal: Vec<u8>,
    /// How the search ended.
    pub outcome: Outcome,
    /// Search statistics.
    pub stats: SearchStats,
    /// Names of the plan's actions (empty without a plan).
    pub steps: Vec<String>,
    /// Latent states from start to end of the plan (empty without a plan).
    pub states: Vec<Vec<u8>>,
    /// The decoded pictures of `states`.
    pub pictures: Vec<Image>,
    /// The successor filter and what it did (`None` when it was off).
    pub filter: Option<(Filter, FilterStats)>,
    /// An external planner's output.
    pub planner_log: Option<String>,
}

impl Session {
    /// Opens run directory `run` on `device`.
    pub fn open(run: &Path, device: &candle_core::Device) -> anyhow::Result<Session> {
        let model = Model::load(run, device)?;
        let actions = ActionModel::load(run)?;
        if actions.bits != model.bits() {
            bail!(
                "{}: the action model has {} bits, the network {}",
                run.display(),
                actions.bits,
                model.bits()
            );
        }
        let strips = actions.strips()?;
        let config: DomainConfig = serde_json::from_value(model.config.data.domain.clone())
            .with_context(|| {
                format!(
                    "{}: the training domain in config.json is not readable",
                    run.display()
                )
            })?;
        let domain = config
            .build()
            .with_context(|| format!("cannot rebuild the training domain of {}", run.display()))?;
        let preset = model.config.data.preset.clone();
        Ok(Session {
            model,
            actions,
            strips,
            domain,
            preset,
        })
    }

    /// Reads a start or goal picture, which must have the model's size.
    pub fn read_picture(&self, path: &Path) -> anyhow::Result<Image> {
        Image::load_exact(path, self.model.config.model.shape)
            .with_context(|| format!("this model was trained on {} pictures", self.preset))
    }

    /// The STRIPS task from `init` to `goal` (complete goal state, as Latplan).
    pub fn task(&self, init: &[u8], goal: &[u8]) -> anyhow::Result<StripsTask> {
        let b = |z: &[u8]| BitState::from_bools(&super::actions::to_bools(z));
        Ok(StripsTask::with_full_goal(
            self.strips.clone(),
            b(init),
            b(goal),
        )?)
    }

    /// The built-in planner's filter when `--filter` is not given: the
    /// picture rules where the run has them, else the round trip.
    pub fn default_filter(&self) -> Filter {
        if self.actions.pictures.is_some() {
            Filter::Pictures
        } else {
            Filter::RoundTrip
        }
    }

    /// Encodes `init` and `goal`, searches with `planner`, and decodes the
    /// plan's states. The built-in planner's [`Filter`] refuses to expand
    /// latent states the network does not map back to themselves and, with
    /// the picture rules, the moves whose pictures break them.
    pub fn solve(
        &self,
        init: &Image,
        goal: &Image,
        search: &SearchConfig,
        planner: &Planner,
    ) -> anyhow::Result<Solved> {
        let bits = self.model.encode(&[init.clone(), goal.clone()])?;
        let (zi, zg) = (bits[0].clone(), bits[1].clone());
        let task = self.task(&zi, &zg)?;
        let (mut filter, mut log) = (None, None);
        let result = match planner {
            Planner::Builtin(Filter::None) => search_task(&task, search),
            Planner::BuiltinLazy(kind) => {
                let (result, stats) = self.solve_lazily(&task, search, *kind, &zi, &zg)?;
                filter = Some((*kind, stats));
                result
            }
            Planner::Builtin(kind) => {
                let guard = NetworkGuard::new(self, *kind, &zi, &zg)?;
                let (result, guard) = search_task_guarded(&task, search, guard);
                if let Some(e) = guard.failure {
                    return Err(e.context(format!(
                        "the {} filter could not run the network",
                        kind.name()
                    )));
                }
                filter = Some((*kind, guard.stats));
                result
            }
            external => {
                let ran = super::external::run(external, &task, search)?;
                log = Some(ran.log);
                SearchResult {
                    outcome: ran.outcome,
                    stats: ran.stats,
                }
            }
        };
        let (mut steps, mut states, mut pictures) = (Vec::new(), Vec::new(), Vec::new());
        if let Outcome::Plan(plan) = &result.outcome {
            let visited = plan_states(&task, &plan.ops)?;
            steps = plan
                .ops
                .iter()
                .map(|&o| self.strips.actions()[o as usize].name.clone())
                .collect();
            states = visited
                .iter()
                .map(|s| s.to_bools().into_iter().map(u8::from).collect())
                .collect();
            pictures = self.model.decode(&states)?;
        }
        Ok(Solved {
            init: zi,
            goal: zg,
            outcome: result.outcome,
            stats: result.stats,
            steps,
            states,
            pictures,
            filter,
            planner_log: log,
        })
    }

    /// The lazy filter ([`Planner::BuiltinLazy`]): searches `task` without
    /// the network, and while the plan found has states or moves the filter
    /// `kind` refuses, searches again with those refused, within `search`'s
    /// limits for all rounds together. Each round refuses at least one state
    /// or move the last did not, and the unchecked graph contains the
    /// checked one, so the first plan that passes is as short as the
    /// shortest the filter allows (with an optimal search).
    fn solve_lazily(
        &self,
        task: &StripsTask,
        search: &SearchConfig,
        kind: Filter,
        init: &[u8],
        goal: &[u8],
    ) -> anyhow::Result<(SearchResult, FilterStats)> {
        let mut checker = NetworkGuard::new(self, kind, init, goal)?;
        checker.stats.searches = 0;
        let mut blocked = Blocked::default();
        let mut total = SearchStats::default();
        let start = std::time::Instant::now();
        loop {
            let mut round = *search;
            if let Some(t) = search.limits.max_time {
                round.limits.max_time = Some(t.saturating_sub(start.elapsed()));
            }
            if let Some(m) = search.limits.max_expansions {
                round.limits.max_expansions = Some(m.saturating_sub(total.expanded));
            }
            let (result, back) = search_task_guarded(task, &round, blocked);
            blocked = back;
            checker.stats.searches += 1;
            total = add_stats(total, &result.stats);
            total.search_time = start.elapsed();
            let Outcome::Plan(plan) = &result.outcome else {
                return Ok((
                    SearchResult {
                        outcome: result.outcome,
                        stats: total,
                    },
                    checker.stats,
                ));
            };
            let path: Vec<Vec<u64>> = plan_states(task, &plan.ops)?
                .iter()
                .map(|s| s.words().to_vec())
                .collect();
            let (states, moves) = checker.refusals(&path, &plan.ops)?;
            if states.is_empty() && moves.is_empty() {
                total.search_time = start.elapsed();
                return Ok((
                    SearchResult {
                        outcome: result.outcome,
                        stats: total,
                    },
                    checker.stats,
                ));
            }
            blocked.states.extend(states);
            blocked.moves.extend(moves);
        }
    }

    /// The bits (0/1) of a search state (64 per word).
    fn bits_of(&self, state: &[u64]) -> Vec<u8> {
        (0..self.model.bits())
            .map(|i| (state[i / 64] >> (i % 64) & 1) as u8)
            .collect()
    }

    /// The true state a picture shows, if the domain's parser reads one.
    pub fn true_state(&self, picture: &Image) -> Option<Code> {
        self.domain.parse(picture).ok().map(|p| p.state)
    }
}

/// Which latent states and moves the built-in planner expands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Every state the STRIPS model reaches (what the exported PDDL allows).
    None,
    /// Only states z with encode(decode(z)) = z, states some picture shows;
    /// the others are refused when generated, as dead ends.
    RoundTrip,
    /// The round trip, and from each expanded state only the moves whose
    /// decoded pictures keep their action's picture rules
    /// ([`super::pictures`]: precondition, postcondition, frame).
    Pictures,
}

impl Filter {
    /// The name `--filter` takes.
    pub fn name(self) -> &'static str {
        match self {
            Filter::None => "none",
            Filter::RoundTrip => "round-trip",
            Filter::Pictures => "pictures",
        }
    }
}

/// What the filter did in one search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterStats {
    /// Latent states put to the round trip: each distinct successor of an
    /// expanded state once (the start and the goal never are).
    pub tested: u64,
    /// Of those, the states refused (never evaluated, never expanded).
    pub rejected: u64,
    /// Applicable actions the picture rules denied, over all expanded states.
    pub denied: u64,
    /// Pictures the network decoded: each expanded state and each distinct
    /// successor of its moves, once per expansion at most.
    pub decoded: u64,
    /// Searches run: 1, or with the lazy filter one per plan checked.
    pub searches: u64,
}

/// The states a plan found on `task` visits, the start first.
fn plan_states(task: &StripsTask, ops: &[u32]) -> anyhow::Result<Vec<BitState>> {
    let ops: Vec<usize> = ops.iter().map(|&o| o as usize).collect();
    task.replay(&ops)
        .map_err(|k| anyhow::anyhow!("internal error: plan step {k} does not replay"))
}

/// Adds the counters of `round` to `total` (the peak memory is the larger).
fn add_stats(mut total: SearchStats, round: &SearchStats) -> SearchStats {
    total.expanded += round.expanded;
    total.reopened += round.reopened;
    total.evaluated += round.evaluated;
    total.generated += round.generated;
    total.dead_ends += round.dead_ends;
    total.refused += round.refused;
    total.expanded_until_last_jump = round.expanded_until_last_jump;
    total.states += round.states;
    total.memory_bytes = total.memory_bytes.max(round.memory_bytes);
    total
}

/// The states and moves the lazy filter has refused so far: the next
/// search neither expands those states nor takes those moves (in either
/// direction).
#[derive(Default)]
struct Blocked {
    states: HashSet<Vec<u64>>,
    /// (the state a move leaves, its operator).
    moves: HashSet<(Vec<u64>, u32)>,
}

impl Guard for Blocked {
    fn admits(&mut self, state: &[u64]) -> bool {
        !self.states.contains(state)
    }

    fn prune(&mut self, state: &[u64], ops: &mut Vec<u32>, _: &dyn Fn(u32, &mut [u64])) {
        if !self.moves.is_empty() {
            let from = state.to_vec();
            ops.retain(|&op| !self.moves.contains(&(from.clone(), op)));
        }
    }

    fn prune_backward(&mut self, state: &[u64], ops: &mut Vec<u32>, from: &mut Vec<u64>) {
        if !self.moves.is_empty() {
            let words = state.len();
            let refused: Vec<bool> = ops
                .iter()
                .enumerate()
                .map(|(i, &op)| {
                    let key = (from[i * words..(i + 1) * words].to_vec(), op);
                    self.moves.contains(&key)
                })
                .collect();
            retain_moves(ops, from, words, |i| !refused[i]);
        }
    }
}

/// The built-in planner's checks through the network ([`Filter`]), made
/// where they are cheapest: at each expansion, on the distinct successors of
/// the applicable actions, in one decoding and one encoding batch. A
/// successor that fails the round trip is dropped before A* evaluates its
/// heuristic (the dearest part of a search on a learned model with a
/// thousand actions, and most successors fail: 90 % of the states tested on
/// a Sokoban run of session 14). A* expands the same states in the same
/// order as if each state were tested when selected: a refused state never
/// leads anywhere either way.
struct NetworkGuard<'a> {
    session: &'a Session,
    /// The picture rules and each operator's label (`None`: the round trip
    /// alone).
    pictures: Option<(&'a PictureRules, Vec<usize>)>,
    /// The goal's and the start's bits: neither is ever tested.
    goal: Vec<u8>,
    init: Vec<u8>,
    /// Decoded pictures by state: the state expanded last and its distinct
    /// successors (the next state A* expands is often one of them).
    decoded: HashMap<Vec<u64>, Image>,
    /// The round trip's verdict on every state tested so far.
    verdicts: HashMap<Vec<u64>, bool>,
    stats: FilterStats,
    failure: Option<anyhow::Error>,
}

impl<'a> NetworkGuard<'a> {
    fn new(session: &'a Session, kind: Filter, init: &[u8], goal: &[u8]) -> anyhow::Result<Self> {
        let pictures = match (kind, &session.actions.pictures) {
            (Filter::Pictures, Some(p)) => {
                Some((p, session.actions.actions.iter().map(|a| a.label).collect()))
            }
            (Filter::Pictures, None) => bail!(
                "--filter pictures: this run has no picture rules ({PICTURES}); \
                 extract them with `latplan export --model RUN --data DATASET --out DIR`"
            ),
            _ => None,
        };
        Ok(NetworkGuard {
            session,
            pictures,
            goal: goal.to_vec(),
            init: init.to_vec(),
            decoded: HashMap::new(),
            verdicts: HashMap::new(),
            stats: FilterStats {
                searches: 1,
                ..FilterStats::default()
            },
            failure: None,
        })
    }

    /// The decoded picture of `state`, kept for the next question.
    fn picture(&mut self, state: &[u64]) -> anyhow::Result<&Image> {
        if !self.decoded.contains_key(state) {
            self.decode(&[state.to_vec()])?;
        }
        Ok(&self.decoded[state])
    }

    /// Decodes `states` in one batch into the picture cache.
    fn decode(&mut self, states: &[Vec<u64>]) -> anyhow::Result<()> {
        if states.is_empty() {
            return Ok(());
        }
        let bits: Vec<Vec<u8>> = states.iter().map(|s| self.session.bits_of(s)).collect();
        let pictures = self.session.model.decode(&bits)?;
        if pictures.len() != states.len() {
            bail!(
                "the network decoded {} of {} states",
                pictures.len(),
                states.len()
            );
        }
        self.stats.decoded += states.len() as u64;
        for (s, picture) in states.iter().zip(pictures) {
            self.decoded.insert(s.clone(), picture);
        }
        Ok(())
    }

    /// Puts `states` (decoded already) to the round trip in one encoding
    /// batch: encode(decode(z)) = z.
    fn test(&mut self, states: &[Vec<u64>]) -> anyhow::Result<()> {
        if states.is_empty() {
            return Ok(());
        }
        let pictures: Vec<Image> = states.iter().map(|s| self.decoded[s].clone()).collect();
        let back = self.session.model.encode(&pictures)?;
        for (s, z) in states.iter().zip(back) {
            let passes = z == self.session.bits_of(s);
            self.stats.tested += 1;
            self.stats.rejected += u64::from(!passes);
            self.verdicts.insert(s.clone(), passes);
        }
        Ok(())
    }

    /// Which of the moves of one expansion the filter allows: `ops[i]` leads
    /// from `state` to `others[i]` (forward) or from `others[i]` into
    /// `state` (backward, the bidirectional search's other side). A move is
    /// allowed if the state it reaches passes the round trip (tested once
    /// per distinct state; the start and the goal always pass) and, with the
    /// picture rules, if its action's precondition holds on the picture
    /// before and its postcondition and frame on the pictures before and
    /// after; forward, the precondition is asked first, so the successors of
    /// denied moves are not decoded. Many labels of a learned model make the
    /// same move, so each distinct state is decoded once; the pictures of
    /// `state` and its neighbours are kept for the next expansion, older
    /// ones dropped.
    fn screen(
        &mut self,
        state: &[u64],
        backward: bool,
        ops: &[u32],
        others: &[Vec<u64>],
    ) -> anyhow::Result<Vec<bool>> {
        let here = match self.pictures {
            Some(_) => Some(self.picture(state)?.data().to_vec()),
            None => None,
        };
        let mut allowed = vec![true; ops.len()];
        if let (Some((rules, labels)), Some(before), false) = (&self.pictures, &here, backward) {
            for (allow, &op) in allowed.iter_mut().zip(ops) {
                *allow = rules.admits(labels[op as usize], before);
            }
            self.stats.denied += allowed.iter().filter(|&&a| !a).count() as u64;
        }
        let mut distinct: HashMap<&[u64], usize> = HashMap::new();
        let mut unique: Vec<Vec<u64>> = Vec::new();
        let slots: Vec<usize> = others
            .iter()
            .zip(&allowed)
            .map(|(next, &allow)| {
                if !allow {
                    return usize::MAX;
                }
                *distinct.entry(next.as_slice()).or_insert_with(|| {
                    unique.push(next.clone());
                    unique.len() - 1
                })
            })
            .collect();
        // The start and the goal always pass; a state tested before keeps its verdict.
        let needs_test: Vec<bool> = unique
            .iter()
            .map(|s| {
                let bits = self.session.bits_of(s);
                !self.verdicts.contains_key(s.as_slice()) && bits != self.goal && bits != self.init
            })
            .collect();
        self.decoded
            .retain(|s, _| s.as_slice() == state || distinct.contains_key(s.as_slice()));
        let pick = |keep: &dyn Fn(usize) -> bool| -> Vec<Vec<u64>> {
            (0..unique.len())
                .filter(|&i| keep(i))
                .map(|i| unique[i].clone())
                .collect()
        };
        let untested = pick(&|i| needs_test[i]);
        let undecoded = pick(&|i| {
            !self.decoded.contains_key(unique[i].as_slice())
                && (self.pictures.is_some() || needs_test[i])
        });
        self.decode(&undecoded)?;
        self.test(&untested)?;
        let passes: Vec<bool> = unique
            .iter()
            .map(|s| self.verdicts.get(s.as_slice()).copied().unwrap_or(true))
            .collect();
        let mut denied = 0;
        for ((allow, &op), &slot) in allowed.iter_mut().zip(ops).zip(&slots) {
            if !*allow {
                continue;
            }
            if !passes[slot] {
                *allow = false;
                continue;
            }
            let (Some((rules, labels)), Some(here)) = (&self.pictures, &here) else {
                continue;
            };
            let there = self.decoded[unique[slot].as_slice()].data();
            let label = labels[op as usize];
            let (before, after) = if backward {
                (there, here.as_slice())
            } else {
                (here.as_slice(), there)
            };
            let keeps =
                (!backward || rules.admits(label, before)) && rules.keeps(label, before, after);
            denied += u64::from(!keeps);
            *allow = keeps;
        }
        self.stats.denied += denied;
        Ok(allowed)
    }

    /// What the filter refuses on the path `path` (the states from the start
    /// to the goal) taken by `ops`: the states that fail the round trip and
    /// the moves whose pictures break their action's rules.
    #[allow(clippy::type_complexity)]
    fn refusals(
        &mut self,
        path: &[Vec<u64>],
        ops: &[u32],
    ) -> anyhow::Result<(Vec<Vec<u64>>, Vec<(Vec<u64>, u32)>)> {
        let (mut states, mut moves) = (Vec::new(), Vec::new());
        for (k, &op) in ops.iter().enumerate() {
            let next = &path[k + 1];
            if self.screen(&path[k], false, &[op], std::slice::from_ref(next))?[0] {
                continue;
            }
            if self.verdicts.get(next.as_slice()) == Some(&false) {
                states.push(next.clone());
            } else {
                moves.push((path[k].clone(), op));
            }
        }
        Ok((states, moves))
    }

    /// The round trip of `state`, tested now if it never was (a state A*
    /// expands was tested when generated; only a failure leaves one untested).
    fn verdict(&mut self, state: &[u64]) -> anyhow::Result<bool> {
        if !self.verdicts.contains_key(state) {
            self.picture(state)?;
            self.test(&[state.to_vec()])?;
        }
        Ok(self.verdicts[state])
    }
}

impl NetworkGuard<'_> {
    /// [`Self::screen`], or no move at all once the network has failed (the
    /// search winds down; the error is reported after it).
    fn allowed(
        &mut self,
        state: &[u64],
        backward: bool,
        ops: &[u32],
        others: &[Vec<u64>],
    ) -> Vec<bool> {
        if self.failure.is_none() {
            match self.screen(state, backward, ops, others) {
                Ok(allowed) => return allowed,
                Err(e) => self.failure = Some(e),
            }
        }
        vec![false; ops.len()]
    }
}

impl Guard for NetworkGuard<'_> {
    fn admits(&mut self, state: &[u64]) -> bool {
        if self.failure.is_some() {
            return false;
        }
        self.verdict(state).unwrap_or_else(|e| {
            self.failure = Some(e);
            false
        })
    }

    fn prune(&mut self, state: &[u64], ops: &mut Vec<u32>, successor: &dyn Fn(u32, &mut [u64])) {
        let others: Vec<Vec<u64>> = ops
            .iter()
            .map(|&op| {
                let mut next = vec![0u64; state.len()];
                successor(op, &mut next);
                next
            })
            .collect();
        let allowed = self.allowed(state, false, ops, &others);
        let mut k = 0;
        ops.retain(|_| {
            k += 1;
            allowed[k - 1]
        });
    }

    fn prune_backward(&mut self, state: &[u64], ops: &mut Vec<u32>, from: &mut Vec<u64>) {
        let words = state.len();
        let others: Vec<Vec<u64>> = from.chunks(words).map(<[u64]>::to_vec).collect();
        let allowed = self.allowed(state, true, ops, &others);
        retain_moves(ops, from, words, |i| allowed[i]);
    }
}
