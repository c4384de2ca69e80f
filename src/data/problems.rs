//! Problem sets: folders of (start image, goal image) pairs with known optimal
//! plan lengths, made by Latplan's protocol (§1.4).
//!
//! Layout: `DIR/manifest.json` ([`ProblemSet`]) and one folder per problem,
//! `DIR/007-000/` with `init.png`, `goal.png` and `problem.json` ([`Problem`]).
//! With noise, `init.png`/`goal.png` are the noisy pictures and the clean ones
//! are kept as `init-clean.png`/`goal-clean.png`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::domain::{Code, DomainConfig};

/// File name of a problem set's manifest.
pub const MANIFEST: &str = "manifest.json";
/// File name of one problem's description.
pub const PROBLEM: &str = "problem.json";

/// What a problem set is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemSet {
    /// The preset's name.
    pub preset: String,
    /// The resolved domain.
    pub domain: DomainConfig,
    /// The seed that drew the problems.
    pub seed: u64,
    /// Optimal lengths asked for.
    pub steps: Vec<usize>,
    /// Problems per length.
    pub count: usize,
    /// Standard deviation of the Gaussian pixel noise on the pictures (0 = clean).
    pub noise: f32,
    /// Problem folder names, relative to the set's folder.
    pub problems: Vec<String>,
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Folder name, e.g. `007-000`.
    pub name: String,
    /// Start state, text form.
    pub init: String,
    /// Goal state, text form.
    pub goal: String,
    /// Start state code.
    pub init_code: Code,
    /// Goal state code.
    pub goal_code: Code,
    /// Length of a shortest plan, proved by breadth-first search.
    pub optimal_length: usize,
}

impl ProblemSet {
    /// Reads a problem set's manifest from `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<ProblemSet> {
        let path = dir.join(MANIFEST);
        if !path.is_file() {
            bail!(
                "{} is not a problem set: {MANIFEST} is missing (make one with `latplan problems`)",
                dir.display()
            );
        }
        crate::util::read_json(&path)
    }

    /// Reads every problem of the set in `dir`, with its folder.
    pub fn load_problems(&self, dir: &Path) -> anyhow::Result<Vec<(PathBuf, Problem)>> {
        self.problems
            .iter()
            .map(|name| {
                let folder = dir.join(name);
                let p: Problem =
                    crate::util::read_json(&folder.join(PROBLEM)).with_context(|| {
                        format!("problem {name} of {} is unreadable", dir.display())
                    })?;
                Ok((folder, p))
            })
            .collect()
    }
}
