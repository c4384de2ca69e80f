//! The PDDL writer (Latplan's export, reference/LATPLAN.md §3.2–3.3): a domain
//! with `(:requirements :strips :negative-preconditions)`, one 0-ary predicate
//! per bit and one parameterless action per STRIPS action; a problem with the
//! true bits of the initial state and the goal literals.
//!
//! Names that are not PDDL identifiers (a grounded atom such as `on a b`) are
//! turned into identifiers (`on_a_b`), kept distinct by a numeric suffix.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::model::{StripsModel, StripsTask};

/// PDDL identifiers for `names`, in order: lower case, characters other than
/// letters, digits, `-` and `_` replaced by `_`, a leading `x` where the name
/// does not start with a letter, and `_2`, `_3`, … appended to keep them distinct.
pub fn pddl_identifiers<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut used = HashSet::new();
    names
        .into_iter()
        .map(|name| {
            let base = identifier(name);
            let mut candidate = base.clone();
            let mut n = 2;
            while !used.insert(candidate.clone()) {
                candidate = format!("{base}_{n}");
                n += 1;
            }
            candidate
        })
        .collect()
}

fn identifier(name: &str) -> String {
    let mut id: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id.insert(0, 'x');
    }
    id
}

/// The domain file of `model`, named `domain_name`.
pub fn write_domain(model: &StripsModel, domain_name: &str) -> String {
    let bits = pddl_identifiers(model.bit_names());
    let actions = pddl_identifiers(model.actions().iter().map(|a| &a.name));
    let mut out = format!(
        "(define (domain {})\n  (:requirements :strips :negative-preconditions)\n",
        identifier(domain_name)
    );
    out.push_str("  (:predicates");
    for b in &bits {
        let _ = write!(out, " ({b})");
    }
    out.push_str(")\n");
    for (action, name) in model.actions().iter().zip(&actions) {
        let mut pre: Vec<String> = action
            .pre_pos
            .ones()
            .map(|i| format!("({})", bits[i]))
            .collect();
        pre.extend(
            action
                .pre_neg
                .ones()
                .map(|i| format!("(not ({}))", bits[i])),
        );
        let mut eff: Vec<String> = action
            .add
            .ones()
            .map(|i| format!("({})", bits[i]))
            .collect();
        eff.extend(
            action
                .del
                .ones()
                .filter(|&i| !action.add.get(i))
                .map(|i| format!("(not ({}))", bits[i])),
        );
        let _ = write!(
            out,
            "  (:action {name}\n   :parameters ()\n   :precondition (and {})\n   :effect (and {}))\n",
            pre.join(" "),
            eff.join(" ")
        );
    }
    out.push_str(")\n");
    out
}

/// The problem file of `task`, named `problem_name`, for the domain `domain_name`.
pub fn write_problem(task: &StripsTask, domain_name: &str, problem_name: &str) -> String {
    let bits = pddl_identifiers(task.model.bit_names());
    let init: Vec<String> = task.init.ones().map(|i| format!("({})", bits[i])).collect();
    let mut goal: Vec<String> = task
        .goal_pos
        .ones()
        .map(|i| format!("({})", bits[i]))
        .collect();
    goal.extend(task.goal_neg.ones().map(|i| format!("(not ({}))", bits[i])));
    format!(
        "(define (problem {})\n  (:domain {})\n  (:init {})\n  (:goal (and {})))\n",
        identifier(problem_name),
        identifier(domain_name),
        init.join(" "),
        goal.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbolic::{BitState, StripsAction};

    #[test]
    fn identifiers_are_valid_and_distinct() {
        let names: Vec<String> = ["on a b", "on_a_b", "9lives", "Z0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            pddl_identifiers(&names),
            vec!["on_a_b", "on_a_b_2", "x9lives", "z0"]
        );
    }

    #[test]
    fn writes_latplan_style_domain_and_problem() {
        let a = StripsAction::from_bools(
            "a0",
            &[true, false],
            &[false, true],
            &[false, true],
            &[true, true],
        );
        let model = StripsModel::new(vec!["z0".into(), "z1".into()], vec![a]).unwrap();
        let domain = write_domain(&model, "latent");
        let expect =
            "(define (domain latent)\n  (:requirements :strips :negative-preconditions)\n  \
                      (:predicates (z0) (z1))\n  (:action a0\n   :parameters ()\n   \
                      :precondition (and (z0) (not (z1)))\n   :effect (and (z1) (not (z0))))\n)\n";
        assert_eq!(domain, expect);
        let task = StripsTask::with_full_goal(
            model,
            BitState::from_bools(&[true, false]),
            BitState::from_bools(&[false, true]),
        )
        .unwrap();
        let problem = write_problem(&task, "latent", "p1");
        assert_eq!(problem, "(define (problem p1)\n  (:domain latent)\n  (:init (z0))\n  (:goal (and (z1) (not (z0)))))\n");
    }
}
