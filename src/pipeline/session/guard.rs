//! The built-in planner's checks through the network at each expansion:
//! the round trip, the picture rules and the seen states, as a [`Guard`] on
//! the search.

use std::collections::HashMap;

use anyhow::bail;

use super::{Filter, FilterStats, Refusal, RefusedStep, Session};
use crate::domain::Image;
use crate::pipeline::actions::{SeenStates, STATES};
use crate::pipeline::pictures::{PictureRules, PICTURES};
use crate::search::{retain_moves, Guard};
use crate::symbolic::BitState;

/// The built-in planner's checks through the network ([`Filter`]), made
/// where they are cheapest: at each expansion, on the distinct successors of
/// the applicable actions, in one decoding and one encoding batch. A
/// successor that fails the round trip is dropped before A* evaluates its
/// heuristic (the dearest part of a search on a learned model with a
/// thousand actions, and most successors fail: 90 % of the states tested on
/// a Sokoban run of session 14). A* expands the same states in the same
/// order as if each state were tested when selected: a refused state never
/// leads anywhere either way.
pub(super) struct NetworkGuard<'a> {
    session: &'a Session,
    /// The picture rules and each operator's label (`None`: the round trip
    /// alone).
    pictures: Option<(&'a PictureRules, Vec<usize>)>,
    /// [`Filter::Seen`]: the states training pictures encode to; any other
    /// state is refused without being decoded.
    seen: Option<&'a SeenStates>,
    /// The goal's and the start's bits: neither is ever tested.
    goal: Vec<u8>,
    init: Vec<u8>,
    /// Decoded pictures by state: the state expanded last and its distinct
    /// successors (the next state A* expands is often one of them).
    decoded: HashMap<Vec<u64>, Image>,
    /// The round trip's verdict on every state tested so far.
    verdicts: HashMap<Vec<u64>, bool>,
    /// [`Filter::Canonical`]: on, with the own code encode(decode(z)) of
    /// every state met so far.
    own_codes: Option<HashMap<Vec<u64>, BitState>>,
    pub(super) stats: FilterStats,
    pub(super) failure: Option<anyhow::Error>,
}

impl<'a> NetworkGuard<'a> {
    pub(super) fn new(
        session: &'a Session,
        kind: Filter,
        init: &[u8],
        goal: &[u8],
    ) -> anyhow::Result<Self> {
        let pictures = match (kind, &session.actions.pictures) {
            (Filter::Pictures | Filter::Seen, Some(p)) => {
                Some((p, session.actions.actions.iter().map(|a| a.label).collect()))
            }
            (Filter::Pictures, None) => bail!(
                "--filter pictures: this run has no picture rules ({PICTURES}); \
                 extract them with `latplan export --model RUN --data DATASET --out DIR`"
            ),
            _ => None,
        };
        let seen = match (kind, &session.actions.seen) {
            (Filter::Seen, Some(s)) => Some(s),
            (Filter::Seen, None) => bail!(
                "--filter seen: this run has no seen states ({STATES}); \
                 extract them with `latplan export --model RUN --data DATASET --out DIR`"
            ),
            _ => None,
        };
        Ok(NetworkGuard {
            session,
            pictures,
            seen,
            goal: goal.to_vec(),
            init: init.to_vec(),
            decoded: HashMap::new(),
            verdicts: HashMap::new(),
            own_codes: (kind == Filter::Canonical).then(HashMap::new),
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

    /// The pictures of `states`, decoded in one batch (counted in the stats).
    fn decode_batch(&mut self, states: &[Vec<u64>]) -> anyhow::Result<Vec<Image>> {
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
        Ok(pictures)
    }

    /// Decodes `states` in one batch into the picture cache.
    fn decode(&mut self, states: &[Vec<u64>]) -> anyhow::Result<()> {
        if states.is_empty() {
            return Ok(());
        }
        let pictures = self.decode_batch(states)?;
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
    ///
    /// With [`Filter::Canonical`] a move is allowed when some learned action
    /// leads from the own code of the picture before to the own code of the
    /// picture after ([`Self::screen_joined`]).
    pub(super) fn screen(
        &mut self,
        state: &[u64],
        backward: bool,
        ops: &[u32],
        others: &[Vec<u64>],
    ) -> anyhow::Result<Vec<bool>> {
        if let Some(mut codes) = self.own_codes.take() {
            let allowed = self.screen_joined(&mut codes, state, backward, others);
            self.own_codes = Some(codes);
            return allowed;
        }
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
        // The start and the goal always pass; a state tested before keeps its
        // verdict; an unseen one is refused undecoded.
        for s in &unique {
            self.refuse_if_unseen(s);
        }
        let needs_test: Vec<bool> = unique
            .iter()
            .map(|s| !self.verdicts.contains_key(s.as_slice()) && !self.is_end(s))
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
            let s = unique[i].as_slice();
            !self.decoded.contains_key(s)
                && self.verdicts.get(s) != Some(&false)
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

    /// [`Filter::Canonical`]'s screen with the own codes found so far,
    /// `codes`: the move into or out of each of `others` is allowed when a
    /// learned action joins the own codes of its two pictures. The states
    /// not met before are decoded and encoded again, in one batch each.
    fn screen_joined(
        &mut self,
        codes: &mut HashMap<Vec<u64>, BitState>,
        state: &[u64],
        backward: bool,
        others: &[Vec<u64>],
    ) -> anyhow::Result<Vec<bool>> {
        let mut new: Vec<Vec<u64>> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for s in std::iter::once(state).chain(others.iter().map(Vec::as_slice)) {
            if !codes.contains_key(s) && seen.insert(s) {
                new.push(s.to_vec());
            }
        }
        if !new.is_empty() {
            let pictures = self.decode_batch(&new)?;
            let back = self.session.model.encode(&pictures)?;
            if back.len() != new.len() {
                bail!(
                    "the network encoded {} of {} pictures",
                    back.len(),
                    new.len()
                );
            }
            self.stats.tested += new.len() as u64;
            for (s, z) in new.into_iter().zip(back) {
                let bools: Vec<bool> = z.iter().map(|&b| b == 1).collect();
                codes.insert(s, BitState::from_bools(&bools));
            }
        }
        let here = &codes[state];
        let actions = self.session.strips.actions();
        let allowed: Vec<bool> = others
            .iter()
            .map(|other| {
                let there = &codes[other.as_slice()];
                let (from, to) = if backward {
                    (there, here)
                } else {
                    (here, there)
                };
                actions.iter().any(|a| a.leads(from, to))
            })
            .collect();
        self.stats.denied += allowed.iter().filter(|&&a| !a).count() as u64;
        Ok(allowed)
    }

    /// True when `state` was put to the round trip and failed it.
    fn refused(&self, state: &[u64]) -> bool {
        self.verdicts.get(state) == Some(&false)
    }

    /// The start or the goal, which every filter passes.
    fn is_end(&self, state: &[u64]) -> bool {
        let bits = self.session.bits_of(state);
        bits == self.goal || bits == self.init
    }

    /// True when [`Filter::Seen`] refuses `state`: no training picture
    /// encodes to it, and it is neither the start nor the goal.
    fn unseen(&self, state: &[u64]) -> bool {
        self.seen.is_some_and(|seen| !seen.contains(state)) && !self.is_end(state)
    }

    /// Refuses `state` undecoded when it has no verdict yet and
    /// [`Self::unseen`] holds (counted as tested and refused); true if it did.
    fn refuse_if_unseen(&mut self, state: &[u64]) -> bool {
        if self.verdicts.contains_key(state) || !self.unseen(state) {
            return false;
        }
        self.stats.tested += 1;
        self.stats.rejected += 1;
        self.verdicts.insert(state.to_vec(), false);
        true
    }

    /// The steps of a plan this filter refuses, each screened as the search
    /// screens a forward move: `path` holds the plan's states from the start
    /// to the end, `ops[k]` leads from `path[k]` to `path[k + 1]`.
    pub(super) fn check_path(
        &mut self,
        path: &[Vec<u64>],
        ops: &[u32],
    ) -> anyhow::Result<Vec<RefusedStep>> {
        if path.len() != ops.len() + 1 {
            bail!(
                "internal error: a plan of {} steps visits {} states",
                ops.len(),
                path.len()
            );
        }
        let mut refused = Vec::new();
        for (k, &op) in ops.iter().enumerate() {
            let next = &path[k + 1];
            if self.screen(&path[k], false, &[op], std::slice::from_ref(next))?[0] {
                continue;
            }
            let why = if self.own_codes.is_some() {
                Refusal::Unjoined
            } else if self.unseen(next) {
                Refusal::Unseen
            } else if self.refused(next) {
                Refusal::RoundTrip
            } else {
                Refusal::PictureRules
            };
            refused.push(RefusedStep { step: k + 1, why });
        }
        Ok(refused)
    }

    /// The round trip of `state`, tested now if it never was (a state A*
    /// expands was tested when generated; only a failure leaves one untested).
    fn verdict(&mut self, state: &[u64]) -> anyhow::Result<bool> {
        if !self.refuse_if_unseen(state) && !self.verdicts.contains_key(state) {
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
        if self.own_codes.is_some() {
            return true;
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
