//! The latent states the training pictures encode to, saved beside the
//! action model as [`STATES`]: what `--filter seen` lets the planner pass
//! through.
//!
//! A learned action model reaches states no picture shows: on the
//! `blocks4-flat` model of session 23 (99.6 % exact successors), 21 of the 29
//! plans found passed through a state whose decoded picture has a block twice,
//! a block missing or a blend of two colours, and all of those kept the round
//! trip and the picture rules. Where the training data shows every state of
//! the world (Blocksworld's 1,680, Hanoi's), the states its pictures encode
//! to are a closed world the planner can keep to.

use std::collections::HashSet;
use std::path::Path;

use anyhow::bail;
use serde::{Deserialize, Serialize};

use super::{mask_bools, to_bools};
use crate::symbolic::BitState;

/// File name of the seen states inside a run directory.
pub const STATES: &str = "states.json";

/// The distinct codes of the pictures extraction encoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SeenStates {
    bits: usize,
    /// Each code as the planner's words ([`BitState::words`]).
    codes: HashSet<Vec<u64>>,
}

/// The file's form: codes as strings of `0`/`1` (bit 0 first), sorted.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedStates {
    bits: usize,
    codes: Vec<String>,
}

impl SeenStates {
    /// The distinct codes among `codes` (one 0/1 byte per bit, `bits` each).
    pub fn from_codes<'a>(bits: usize, codes: impl IntoIterator<Item = &'a Vec<u8>>) -> Self {
        let codes = codes
            .into_iter()
            .map(|z| BitState::from_bools(&to_bools(z)).words().to_vec())
            .collect();
        SeenStates { bits, codes }
    }

    /// Distinct states seen.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True when no state was seen.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Bits per code.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Whether some training picture encodes to `state` (the planner's words).
    pub fn contains(&self, state: &[u64]) -> bool {
        self.codes.contains(state)
    }

    /// Writes the codes to `path` atomically, sorted so that the same codes
    /// give the same file.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let mut codes: Vec<String> = self
            .codes
            .iter()
            .map(|words| BitState::from_words(self.bits, words).to_string())
            .collect();
        codes.sort_unstable();
        crate::util::write_json(
            path,
            &SavedStates {
                bits: self.bits,
                codes,
            },
        )
    }

    /// Reads `path`, checking every code's width.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let saved: SavedStates = crate::util::read_json(path)?;
        if saved.bits == 0 {
            bail!(
                "{}: bits = 0, expected the model's latent size",
                path.display()
            );
        }
        let mut codes = HashSet::with_capacity(saved.codes.len());
        for (k, code) in saved.codes.iter().enumerate() {
            let what = format!("{}: code {k}", path.display());
            let bools = mask_bools(code, saved.bits, &what)?;
            codes.insert(BitState::from_bools(&bools).words().to_vec());
        }
        Ok(SeenStates {
            bits: saved.bits,
            codes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_states_round_trip_through_their_file() {
        let codes = vec![vec![0u8, 1, 1], vec![1, 0, 0], vec![0, 1, 1]];
        let seen = SeenStates::from_codes(3, &codes);
        assert_eq!(seen.len(), 2);
        let words = |z: &[u8]| BitState::from_bools(&to_bools(z)).words().to_vec();
        assert!(seen.contains(&words(&[0, 1, 1])));
        assert!(seen.contains(&words(&[1, 0, 0])));
        assert!(!seen.contains(&words(&[1, 1, 1])));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATES);
        seen.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"011\"") && text.contains("\"100\""),
            "{text}"
        );
        assert_eq!(SeenStates::load(&path).unwrap(), seen);
        std::fs::write(&path, r#"{"bits": 3, "codes": ["01"]}"#).unwrap();
        let err = format!("{:#}", SeenStates::load(&path).unwrap_err());
        assert!(err.contains("code 0 must be 3 characters of 0/1"), "{err}");
    }
}
