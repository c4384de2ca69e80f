//! Planning from pictures with a trained run: encode the start and goal
//! pictures, search the extracted STRIPS model, decode every latent state.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};

use super::actions::ActionModel;
use super::external::Planner;
use crate::domain::{Code, Domain, DomainConfig, Image};
use crate::model::Model;
use crate::search::{
    search_task, search_task_filtered, FilterStats, Outcome, SearchConfig, SearchResult,
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

    /// Encodes `init` and `goal`, searches with `planner`, and decodes the
    /// plan's states. The built-in planner's [`Filter`] drops transitions the
    /// network does not confirm as they are generated.
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
            Planner::Builtin(filter_kind) => {
                let mut check = Checker {
                    session: self,
                    kind: *filter_kind,
                    states: HashMap::new(),
                    failure: None,
                };
                let (result, stats) = search_task_filtered(
                    &task,
                    search,
                    |s: &[u64], _: &[u32], succs: &[&[u64]]| check.keep(s, succs),
                );
                if let Some(e) = check.failure {
                    return Err(e.context("the successor filter could not run the network"));
                }
                filter = Some((*filter_kind, stats));
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
            let ops: Vec<usize> = plan.ops.iter().map(|&o| o as usize).collect();
            let visited = task
                .replay(&ops)
                .map_err(|k| anyhow::anyhow!("internal error: plan step {k} does not replay"))?;
            steps = ops
                .iter()
                .map(|&o| self.strips.actions()[o].name.clone())
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

    /// The true state a picture shows, if the domain's parser reads one.
    pub fn true_state(&self, picture: &Image) -> Option<Code> {
        self.domain.parse(picture).ok().map(|p| p.state)
    }
}

/// Which transitions the built-in planner takes: checks of the network on
/// each latent state or move the extracted actions generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Every transition of the STRIPS model (what the exported PDDL allows).
    None,
    /// Only into states z with encode(decode(z)) = z: states some picture shows.
    RoundTrip,
    /// Only moves z -> z' that the network's action encoder explains: the
    /// label it gives the pair has the effect APPLY(z, label) = z'.
    Action,
    /// Both checks.
    Both,
}

impl Filter {
    /// The name `--filter` takes.
    pub fn name(self) -> &'static str {
        match self {
            Filter::None => "none",
            Filter::RoundTrip => "round-trip",
            Filter::Action => "action",
            Filter::Both => "both",
        }
    }
}

/// The network's checks for [`Filter`], with the round trip's verdicts
/// remembered per state; the first network error stops it (all rejected).
struct Checker<'a> {
    session: &'a Session,
    kind: Filter,
    states: HashMap<Vec<u64>, bool>,
    failure: Option<anyhow::Error>,
}

impl Checker<'_> {
    fn keep(&mut self, state: &[u64], succs: &[&[u64]]) -> Vec<bool> {
        if self.failure.is_some() {
            return vec![false; succs.len()];
        }
        self.try_keep(state, succs).unwrap_or_else(|e| {
            self.failure = Some(e);
            vec![false; succs.len()]
        })
    }

    fn try_keep(&mut self, state: &[u64], succs: &[&[u64]]) -> anyhow::Result<Vec<bool>> {
        let model = &self.session.model;
        let n = model.bits();
        let bits =
            |w: &[u64]| -> Vec<u8> { (0..n).map(|i| (w[i / 64] >> (i % 64) & 1) as u8).collect() };
        let mut keep = vec![true; succs.len()];
        if matches!(self.kind, Filter::RoundTrip | Filter::Both) {
            let fresh: Vec<&[u64]> = succs
                .iter()
                .copied()
                .filter(|s| !self.states.contains_key(*s))
                .collect();
            if !fresh.is_empty() {
                let z: Vec<Vec<u8>> = fresh.iter().map(|s| bits(s)).collect();
                let back = model.encode(&model.decode(&z)?)?;
                for (s, (a, b)) in fresh.iter().zip(z.iter().zip(&back)) {
                    self.states.insert(s.to_vec(), a == b);
                }
            }
            for (k, s) in keep.iter_mut().zip(succs) {
                *k = self.states[*s];
            }
        }
        if matches!(self.kind, Filter::Action | Filter::Both) {
            let z0 = vec![bits(state); succs.len()];
            let z1: Vec<Vec<u8>> = succs.iter().map(|s| bits(s)).collect();
            let labels = model.action_of(&z0, &z1)?;
            let predicted = model.apply(&z0, &labels)?;
            for (k, (p, z)) in keep.iter_mut().zip(predicted.iter().zip(&z1)) {
                *k &= p == z;
            }
        }
        Ok(keep)
    }
}
