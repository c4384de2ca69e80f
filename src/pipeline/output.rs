//! The files of one planning run: `plan.txt` (Fast Downward's format),
//! `plan.png` (start | decoded states | goal), `plan.gif`, `domain.pddl`,
//! `problem.pddl`, `summary.json`, and an external planner's `planner.log`.

use std::path::Path;

use serde::Serialize;

use super::judge::{judge, Verdict};
use super::session::{PlanCheck, Session, Solved};
use super::visualize::{strip, write_gif};
use crate::domain::search::Reach;
use crate::domain::Image;
use crate::search::Outcome;
use crate::symbolic::{write_domain, write_problem};
use crate::util::{create_dir, write_atomic, write_json};

/// Name of the PDDL domain a learned model is written as.
pub const PDDL_DOMAIN: &str = "latent";
/// States a breadth-first search may visit to find the true optimum.
pub const OPTIMUM_SEARCH_LIMIT: usize = 2_000_000;

/// `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// "plan", "unsolvable" or "limit: …".
    pub outcome: String,
    /// Actions in the plan.
    pub length: Option<usize>,
    /// The plan's actions.
    pub plan: Vec<String>,
    /// Start bits (0/1 string).
    pub init_bits: String,
    /// Goal bits.
    pub goal_bits: String,
    /// Search statistics.
    pub expanded: u64,
    /// Successors generated.
    pub generated: u64,
    /// Heuristic evaluations.
    pub evaluated: u64,
    /// Search time in seconds (the round-trip filter's network calls included).
    pub search_seconds: f64,
    /// The built-in planner's filter: the states it tested and refused
    /// (`None` when it was off).
    pub filter: Option<FilterSummary>,
    /// The plan put to a filter after the search, whichever planner found
    /// it (the search's filter, else the run's default): the steps the
    /// built-in planner would have refused.
    pub plan_check: Option<PlanCheckSummary>,
    /// What the start picture shows, by the domain's parser.
    pub true_init: Option<String>,
    /// What the goal picture shows.
    pub true_goal: Option<String>,
    /// Shortest true plan length: the problem set's, else searched in the
    /// real domain (breadth-first, or LightsOut's algebra).
    pub optimal_length: Option<usize>,
    /// Whether the real domain has a path from the true start to the true
    /// goal: "yes", "no" (proved), or "unknown" (the search stopped at its
    /// limit); `None` when a picture shows no state.
    pub real_path: Option<String>,
    /// The judge's verdict on the decoded plan.
    pub verdict: Option<Verdict>,
}

/// What the successor filter did in one search.
#[derive(Debug, Clone, Serialize)]
pub struct FilterSummary {
    /// Which checks (`--filter`).
    pub kind: String,
    /// Latent states tested before expansion (the start and goal are not).
    pub tested: u64,
    /// Of those, the states refused (closed as dead ends).
    pub rejected: u64,
    /// Applicable actions the picture preconditions denied (`--filter pictures`).
    pub denied: u64,
    /// Pictures the network decoded for the filter (each expanded state and
    /// each distinct successor of its moves once).
    #[serde(default)]
    pub decoded: u64,
    /// Searches run: 1, or with `--lazy` one per plan checked.
    #[serde(default)]
    pub searches: u64,
    /// With `--lazy --search bidir`: the states put to the filter while
    /// choosing each search's plan among its optimal paths.
    #[serde(default)]
    pub walked: u64,
}

/// A plan checked by a filter ([`crate::pipeline::session::PlanCheck`]).
#[derive(Debug, Clone, Serialize)]
pub struct PlanCheckSummary {
    /// The filter (`--filter`'s name).
    pub filter: String,
    /// The steps it refuses, in order.
    pub refused: Vec<RefusedSummary>,
}

/// One refused step.
#[derive(Debug, Clone, Serialize)]
pub struct RefusedSummary {
    /// The step, counted from 1.
    pub step: usize,
    /// "round trip" (the state reached), "picture rules" (the move) or "no
    /// learned move between the pictures" (the canonical filter).
    pub why: String,
}

impl From<&PlanCheck> for PlanCheckSummary {
    fn from(c: &PlanCheck) -> Self {
        PlanCheckSummary {
            filter: c.filter.name().to_string(),
            refused: c
                .refused
                .iter()
                .map(|r| RefusedSummary {
                    step: r.step,
                    why: r.why.name().to_string(),
                })
                .collect(),
        }
    }
}

/// A 0/1 string of bits.
pub fn bit_string(z: &[u8]) -> String {
    z.iter().map(|&b| if b == 1 { '1' } else { '0' }).collect()
}

/// How a search ended, in words.
pub fn outcome_name(o: &Outcome) -> String {
    match o {
        Outcome::Plan(_) => "plan".into(),
        Outcome::Unsolvable => "unsolvable".into(),
        Outcome::LimitReached(kind) => format!("limit: {kind:?}").to_lowercase(),
    }
}

/// What the ground truth says about one planning run (fields of [`Summary`]).
struct Judged {
    true_init: Option<String>,
    true_goal: Option<String>,
    optimal_length: Option<usize>,
    real_path: Option<String>,
    verdict: Option<Verdict>,
}

/// Judges `solved` against the ground truth: the true start and goal are what
/// the parser reads from the input pictures; the optimum is `optimal` if known,
/// else the domain's distance (bounded breadth-first search, or exact).
fn verdict(
    session: &Session,
    init: &Image,
    goal: &Image,
    solved: &Solved,
    optimal: Option<usize>,
) -> Judged {
    let d = session.domain.as_ref();
    let (ti, tg) = (session.true_state(init), session.true_state(goal));
    let fmt = |s: &Option<Vec<u8>>| s.as_ref().map(|s| d.format(s));
    let (true_init, true_goal) = (fmt(&ti), fmt(&tg));
    let (Some(i), Some(g)) = (&ti, &tg) else {
        return Judged {
            true_init,
            true_goal,
            optimal_length: optimal,
            real_path: None,
            verdict: None,
        };
    };
    let reach = match optimal {
        Some(n) => Reach::Moves(n),
        None => d.distance(i, g, OPTIMUM_SEARCH_LIMIT),
    };
    let real_path = match reach {
        Reach::Moves(_) => "yes",
        Reach::Unreachable => "no",
        Reach::Unknown => "unknown",
    };
    let optimal = reach.moves();
    let verdict = (!solved.pictures.is_empty())
        .then(|| judge(d, &solved.pictures, i, g, optimal.unwrap_or(usize::MAX)));
    Judged {
        true_init,
        true_goal,
        optimal_length: optimal,
        real_path: Some(real_path.to_string()),
        verdict,
    }
}

/// Writes every file of a planning run into `out` and returns the summary.
pub fn write_run(
    out: &Path,
    session: &Session,
    init: &Image,
    goal: &Image,
    solved: &Solved,
    optimal: Option<usize>,
) -> anyhow::Result<Summary> {
    create_dir(out)?;
    let task = session.task(&solved.init, &solved.goal)?;
    write_atomic(
        &out.join("domain.pddl"),
        write_domain(&session.strips, PDDL_DOMAIN).as_bytes(),
    )?;
    write_atomic(
        &out.join("problem.pddl"),
        write_problem(&task, PDDL_DOMAIN, "problem").as_bytes(),
    )?;
    if !solved.steps.is_empty() || matches!(solved.outcome, Outcome::Plan(_)) {
        let mut text: String = solved.steps.iter().map(|s| format!("({s})\n")).collect();
        text.push_str(&format!("; cost = {} (unit cost)\n", solved.steps.len()));
        write_atomic(&out.join("plan.txt"), text.as_bytes())?;
        strip(init, &solved.pictures, goal, 4)?.save_png(&out.join("plan.png"))?;
        write_gif(&out.join("plan.gif"), &solved.pictures, 4, 500)?;
    }
    if let Some(log) = &solved.planner_log {
        write_atomic(&out.join("planner.log"), log.as_bytes())?;
    }
    let Judged {
        true_init,
        true_goal,
        optimal_length,
        real_path,
        verdict,
    } = verdict(session, init, goal, solved, optimal);
    let summary = Summary {
        outcome: outcome_name(&solved.outcome),
        length: matches!(solved.outcome, Outcome::Plan(_)).then_some(solved.steps.len()),
        plan: solved.steps.clone(),
        init_bits: bit_string(&solved.init),
        goal_bits: bit_string(&solved.goal),
        expanded: solved.stats.expanded,
        generated: solved.stats.generated,
        evaluated: solved.stats.evaluated,
        search_seconds: solved.stats.search_time.as_secs_f64(),
        filter: solved.filter.map(|(kind, f)| FilterSummary {
            kind: kind.name().to_string(),
            tested: f.tested,
            rejected: f.rejected,
            denied: f.denied,
            decoded: f.decoded,
            searches: f.searches,
            walked: f.walked,
        }),
        plan_check: solved.check.as_ref().map(PlanCheckSummary::from),
        true_init,
        true_goal,
        optimal_length,
        real_path,
        verdict,
    };
    write_json(&out.join("summary.json"), &summary)?;
    Ok(summary)
}
