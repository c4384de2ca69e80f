//! Judging a decoded plan with the ground-truth domain (Latplan's protocol §4):
//! every decoded state must parse, the first must be the problem's start, each
//! step must be a legal move and the last must be the goal. A valid plan is
//! optimal when its length equals the proved optimum.

use serde::{Deserialize, Serialize};

use crate::domain::{Code, Domain, Image};

/// The verdict on one decoded plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Every state parses, steps are legal moves, start and goal are right.
    pub valid: bool,
    /// Valid and as short as the optimum.
    pub optimal: bool,
    /// Number of actions in the plan.
    pub length: usize,
    /// Why the plan is invalid (which step, which cell), if it is.
    pub failure: Option<String>,
    /// The state the parser read at each step (`None` where it read none).
    pub states: Vec<Option<String>>,
}

/// Judges the pictures `decoded` (the plan's states from start to end) of a
/// problem from `init` to `goal` whose shortest plan has `optimal` actions.
pub fn judge(
    domain: &dyn Domain,
    decoded: &[Image],
    init: &[u8],
    goal: &[u8],
    optimal: usize,
) -> Verdict {
    let length = decoded.len().saturating_sub(1);
    let parsed: Vec<Result<Code, String>> = decoded
        .iter()
        .map(|img| {
            domain
                .parse(img)
                .map(|p| p.state)
                .map_err(|e| e.to_string())
        })
        .collect();
    let states = parsed
        .iter()
        .map(|p| p.as_ref().ok().map(|s| domain.format(s)))
        .collect();
    let failure = first_failure(domain, &parsed, init, goal);
    let valid = failure.is_none();
    Verdict {
        valid,
        optimal: valid && length == optimal,
        length,
        failure,
        states,
    }
}

/// The first reason the parsed plan is not a valid plan, if any.
fn first_failure(
    domain: &dyn Domain,
    parsed: &[Result<Code, String>],
    init: &[u8],
    goal: &[u8],
) -> Option<String> {
    if parsed.is_empty() {
        return Some("the plan has no states".into());
    }
    for (k, p) in parsed.iter().enumerate() {
        if let Err(why) = p {
            return Some(format!("state {k} is not a valid picture: {why}"));
        }
    }
    let states: Vec<&Code> = parsed.iter().filter_map(|p| p.as_ref().ok()).collect();
    if states[0].as_slice() != init {
        return Some(format!(
            "state 0 reads as {}, but the start is {}",
            domain.format(states[0]),
            domain.format(init)
        ));
    }
    for (k, pair) in states.windows(2).enumerate() {
        if !domain.is_move(pair[0], pair[1]) {
            return Some(format!(
                "step {} is no legal move: {} → {}",
                k + 1,
                domain.format(pair[0]),
                domain.format(pair[1])
            ));
        }
    }
    let last = states[states.len() - 1];
    if last.as_slice() != goal {
        return Some(format!(
            "the last state {} is not the goal {}",
            domain.format(last),
            domain.format(goal)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Preset;
    use crate::util::rng;

    fn lightsout3() -> Box<dyn Domain> {
        Preset::load("lightsout3").unwrap().domain.build().unwrap()
    }

    fn pictures(d: &dyn Domain, texts: &[&str]) -> Vec<Image> {
        texts
            .iter()
            .map(|t| d.render(&d.read(t).unwrap(), &mut rng(0, 0)))
            .collect()
    }

    #[test]
    fn an_optimal_plan_is_valid_and_optimal() {
        let d = lightsout3();
        let plan = pictures(d.as_ref(), &["##./#../...", ".../.../..."]);
        let v = judge(
            d.as_ref(),
            &plan,
            &d.read("##./#../...").unwrap(),
            &d.goal(),
            1,
        );
        assert!(v.valid && v.optimal, "{v:?}");
        let longer = judge(
            d.as_ref(),
            &plan,
            &d.read("##./#../...").unwrap(),
            &d.goal(),
            0,
        );
        assert!(longer.valid && !longer.optimal);
    }

    #[test]
    fn failures_name_the_step() {
        let d = lightsout3();
        let start = d.read("##./#../...").unwrap();
        let jump = pictures(d.as_ref(), &["##./#../...", "#../.../..."]);
        let v = judge(d.as_ref(), &jump, &start, &d.goal(), 1);
        assert!(!v.valid);
        assert!(v.failure.unwrap().starts_with("step 1 is no legal move"));
        let mut broken = pictures(d.as_ref(), &["##./#../...", ".../.../..."]);
        broken[1] = Image::filled(d.shape(), 0.5);
        let v = judge(d.as_ref(), &broken, &start, &d.goal(), 1);
        assert!(v
            .failure
            .unwrap()
            .starts_with("state 1 is not a valid picture"));
        assert_eq!(v.states[1], None);
    }
}
