//! The PDDL reader: STRIPS domains and problems with `:typing`,
//! `:negative-preconditions`, `:equality`, constants and objects, grounded by
//! relaxed reachability into a [`StripsTask`]; plan files in Fast Downward's
//! format; and a plan validator that replays a plan on the lifted task.

mod ast;
mod ground;
mod parse;
mod plan;
mod sexpr;

use std::path::Path;

pub use ast::{Atom, Domain, Literal, Predicate, Problem, Schema, Term};
pub use ground::{ground, GroundError};
pub use parse::{read_domain, read_problem};
pub use plan::{format_plan, read_plan, validate_plan, PlanStep, Validation};
pub use sexpr::{Located, Pos};

use crate::symbolic::StripsTask;

/// A PDDL file that cannot be read, with the place of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct PddlError {
    /// The file, as given.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl PddlError {
    /// Attaches `file` to a positioned error.
    pub fn at(file: &Path, e: Located) -> Self {
        Self {
            file: file.display().to_string(),
            line: e.pos.line,
            column: e.pos.column,
            message: e.message,
        }
    }
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    use anyhow::Context as _;
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Reads a domain and a problem file.
pub fn load(domain_path: &Path, problem_path: &Path) -> anyhow::Result<(Domain, Problem)> {
    let domain =
        read_domain(&read_text(domain_path)?).map_err(|e| PddlError::at(domain_path, e))?;
    let problem = read_problem(&read_text(problem_path)?, &domain)
        .map_err(|e| PddlError::at(problem_path, e))?;
    Ok((domain, problem))
}

/// Reads and grounds a domain and a problem file.
pub fn load_task(domain_path: &Path, problem_path: &Path) -> anyhow::Result<StripsTask> {
    let (domain, problem) = load(domain_path, problem_path)?;
    let task = ground(&domain, &problem)
        .map_err(|e| anyhow::anyhow!("{}: {e}", problem_path.display()))?;
    Ok(task)
}

#[cfg(test)]
mod tests;
