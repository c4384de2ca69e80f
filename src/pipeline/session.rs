//! Planning from pictures with a trained run: encode the start and goal
//! pictures, search the extracted STRIPS model, decode every latent state.

use std::cell::RefCell;
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
    /// What the round-trip filter did (`None` when it was off).
    pub filter: Option<FilterStats>,
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
    /// plan's states. The built-in planner's round-trip filter enters only
    /// latent states the network maps back to themselves (encode(decode(z)) =
    /// z): a state no picture shows is dropped as it is generated.
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
            Planner::Builtin { round_trip: false } => search_task(&task, search),
            Planner::Builtin { round_trip: true } => {
                let failure = RefCell::new(None);
                let (result, stats) =
                    search_task_filtered(&task, search, |states: &[&[u64]]| {
                        self.fixed_points(states).unwrap_or_else(|e| {
                            failure.borrow_mut().get_or_insert(e);
                            vec![false; states.len()]
                        })
                    });
                if let Some(e) = failure.into_inner() {
                    return Err(e.context("the round-trip filter could not run the network"));
                }
                filter = Some(stats);
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

    /// For each latent state (as search words), whether decoding it and
    /// encoding the picture gives the same bits back.
    fn fixed_points(&self, states: &[&[u64]]) -> anyhow::Result<Vec<bool>> {
        let n = self.model.bits();
        let bits: Vec<Vec<u8>> = states
            .iter()
            .map(|w| (0..n).map(|i| (w[i / 64] >> (i % 64) & 1) as u8).collect())
            .collect();
        let back = self.model.encode(&self.model.decode(&bits)?)?;
        Ok(bits.iter().zip(&back).map(|(z, b)| z == b).collect())
    }

    /// The true state a picture shows, if the domain's parser reads one.
    pub fn true_state(&self, picture: &Image) -> Option<Code> {
        self.domain.parse(picture).ok().map(|p| p.state)
    }
}
