//! Planning from pictures with a trained run: encode the start and goal
//! pictures, search the extracted STRIPS model, decode every latent state.

use std::path::Path;

use anyhow::{bail, Context};

use super::actions::ActionModel;
use super::external::Planner;
use crate::domain::{Code, Domain, DomainConfig, Image};
use crate::model::Model;
use crate::search::{
    search_task, search_task_guarded, Outcome, SearchConfig, SearchResult, SearchStats,
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
    /// plan's states. The built-in planner's [`Filter`] refuses to expand
    /// latent states the network does not map back to themselves.
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
            Planner::Builtin(Filter::RoundTrip) => {
                let (mut tested, mut failure) = (0, None);
                let result = search_task_guarded(&task, search, |state: &[u64]| {
                    tested += 1;
                    failure.is_none()
                        && self.round_trips(state).unwrap_or_else(|e| {
                            failure = Some(e);
                            false
                        })
                });
                if let Some(e) = failure {
                    return Err(e.context("the round-trip filter could not run the network"));
                }
                let rejected = result.stats.refused;
                filter = Some((Filter::RoundTrip, FilterStats { tested, rejected }));
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

    /// True if decoding `state` (search words) and encoding the picture gives
    /// the same bits back.
    fn round_trips(&self, state: &[u64]) -> anyhow::Result<bool> {
        let n = self.model.bits();
        let z: Vec<u8> = (0..n)
            .map(|i| (state[i / 64] >> (i % 64) & 1) as u8)
            .collect();
        let back = self
            .model
            .encode(&self.model.decode(std::slice::from_ref(&z))?)?;
        Ok(back[0] == z)
    }

    /// The true state a picture shows, if the domain's parser reads one.
    pub fn true_state(&self, picture: &Image) -> Option<Code> {
        self.domain.parse(picture).ok().map(|p| p.state)
    }
}

/// Which latent states the built-in planner expands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Every state the STRIPS model reaches (what the exported PDDL allows).
    None,
    /// Only states z with encode(decode(z)) = z, states some picture shows;
    /// the others are closed as dead ends when A* selects them.
    RoundTrip,
}

impl Filter {
    /// The name `--filter` takes.
    pub fn name(self) -> &'static str {
        match self {
            Filter::None => "none",
            Filter::RoundTrip => "round-trip",
        }
    }
}

/// What the filter did in one search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterStats {
    /// States tested (about to be expanded; the start and goal are not).
    pub tested: u64,
    /// Of those, the states refused.
    pub rejected: u64,
}
