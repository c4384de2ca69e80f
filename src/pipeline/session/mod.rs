//! Planning from pictures with a trained run: encode the start and goal
//! pictures, search the extracted STRIPS model, decode every latent state.
//! The network's checks on the search are [`guard`]'s, and the lazy
//! variant, checking only the plans found, is [`lazy`]'s.

mod guard;
mod lazy;

use guard::NetworkGuard;
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
    /// The plan put to a filter after the search, whatever planner found
    /// it: the search's own filter, else the run's default (`None` without
    /// a plan).
    pub check: Option<PlanCheck>,
}

/// A found plan checked step by step by a filter, as the built-in planner
/// would have screened its moves: which steps it refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanCheck {
    /// The filter that checked it: the search's, else [`Session::default_filter`].
    pub filter: Filter,
    /// The steps refused, in order.
    pub refused: Vec<RefusedStep>,
}

/// One step of a plan a filter refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefusedStep {
    /// The step, counted from 1 (the move from the plan's state `step - 1`).
    pub step: usize,
    /// Why.
    pub why: Refusal,
}

/// Why a filter refuses a move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The state it reaches fails the round trip: encode(decode(z)) ≠ z.
    RoundTrip,
    /// Its pictures break its action's picture rules.
    PictureRules,
    /// No learned action joins its pictures' own codes ([`Filter::Canonical`]).
    Unjoined,
    /// No training picture encodes to the state it reaches ([`Filter::Seen`]).
    Unseen,
}

impl Refusal {
    /// In words, for `summary.json` and the console.
    pub fn name(self) -> &'static str {
        match self {
            Refusal::RoundTrip => "round trip",
            Refusal::PictureRules => "picture rules",
            Refusal::Unjoined => "no learned move between the pictures",
            Refusal::Unseen => "a state no training picture shows",
        }
    }
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

    /// The filter a plan found by `planner` is checked with after the
    /// search ([`Solved::check`]): the built-in planner's own, else the
    /// default.
    pub fn check_filter(&self, planner: &Planner) -> Filter {
        match planner {
            Planner::Builtin(f) | Planner::BuiltinLazy(f) if *f != Filter::None => *f,
            _ => self.default_filter(),
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
        let mut check = None;
        if let Outcome::Plan(plan) = &result.outcome {
            let visited = plan_states(&task, &plan.ops)?;
            let words = state_words(&visited);
            let filter = self.check_filter(planner);
            let refused =
                NetworkGuard::new(self, filter, &zi, &zg)?.check_path(&words, &plan.ops)?;
            check = Some(PlanCheck { filter, refused });
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
            check,
        })
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
    /// Only the moves z → z' whose pictures, encoded again, are joined by a
    /// learned action: some action applicable in c = encode(decode(z))
    /// leads to c' = encode(decode(z')). No state is refused: a code that
    /// is not the network's own code of its picture passes when its moves
    /// are real moves between the pictures' own codes.
    Canonical,
    /// [`Filter::Pictures`] (the round trip where the run has no picture
    /// rules), and only states some training picture encodes to (the run's
    /// [`crate::pipeline::actions::STATES`]): a closed world for domains
    /// whose training data shows every state.
    Seen,
}

impl Filter {
    /// The name `--filter` takes.
    pub fn name(self) -> &'static str {
        match self {
            Filter::None => "none",
            Filter::RoundTrip => "round-trip",
            Filter::Pictures => "pictures",
            Filter::Canonical => "canonical",
            Filter::Seen => "seen",
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
    /// With the lazy filter and the bidirectional search: the states put to
    /// the filter while choosing each search's plan among its optimal paths
    /// ([`crate::search::bidirectional_checked`]).
    pub walked: u64,
}

/// The words of each of `states` (what the search's guards take).
fn state_words(states: &[BitState]) -> Vec<Vec<u64>> {
    states.iter().map(|s| s.words().to_vec()).collect()
}

/// The states a plan found on `task` visits, the start first.
fn plan_states(task: &StripsTask, ops: &[u32]) -> anyhow::Result<Vec<BitState>> {
    let ops: Vec<usize> = ops.iter().map(|&o| o as usize).collect();
    task.replay(&ops)
        .map_err(|k| anyhow::anyhow!("internal error: plan step {k} does not replay"))
}
