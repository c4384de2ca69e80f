//! From a learned network to STRIPS actions (Latplan §3.1–3.2).
//!
//! With batch norm frozen and the Binary Concrete rounded, the back-to-logit
//! effect `z' = step(BN(z) + BN(W a))` acts on each bit alone: for action `a`
//! and bit `j`, `z'_j` is one of four functions of `z_j`: keep, set (add),
//! clear (delete) or flip. `APPLY(0⃗, a)` and `APPLY(1⃗, a)` tell which:
//! `add = APPLY(0⃗, a)`, `del = 1 − APPLY(1⃗, a)`. A flip (add and delete both)
//! is no STRIPS effect; where the preconditions do not already fix the bit, the
//! action is split in two, one for each value of the bit (Latplan's "XOR"
//! compilation): `a5+j` (needs `¬z_j`, adds it) and `a5-j` (needs `z_j`,
//! deletes it). Splitting is recursive, so k such bits give 2^k actions.

use thiserror::Error;

/// What the network says about one used action label.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnedAction {
    /// The action label (index among the network's A labels).
    pub label: usize,
    /// `APPLY(0⃗, a)`: the successor of the all-false state.
    pub apply_zero: Vec<bool>,
    /// `APPLY(1⃗, a)`: the successor of the all-true state.
    pub apply_one: Vec<bool>,
    /// Bits that must be true before the action.
    pub pre_pos: Vec<bool>,
    /// Bits that must be false before the action.
    pub pre_neg: Vec<bool>,
}

/// A parameterless STRIPS action as four boolean masks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledAction {
    /// `a<label>`, with `+j` / `-j` appended for each split flip bit.
    pub name: String,
    /// Bits that must be true.
    pub pre_pos: Vec<bool>,
    /// Bits that must be false.
    pub pre_neg: Vec<bool>,
    /// Bits made true.
    pub add: Vec<bool>,
    /// Bits made false.
    pub del: Vec<bool>,
}

/// Why an action model cannot be compiled.
#[derive(Debug, Error, PartialEq)]
pub enum ExtractError {
    /// An action flips too many unconstrained bits to split.
    #[error("action a{label} flips {flips} bits that no precondition fixes: splitting it would make 2^{flips} actions (limit 2^{MAX_FLIPS})")]
    TooManyFlips {
        /// The label.
        label: usize,
        /// Flip bits.
        flips: usize,
    },
}

/// Most flip bits one action may have before splitting is refused.
pub const MAX_FLIPS: usize = 12;

/// Preconditions from data (AMA3+): over all pre-states observed with an
/// action, the bits that were always true (`pos`) and always false (`neg`).
/// `states` must be non-empty and of equal width.
pub fn preconditions_from_data(states: &[Vec<bool>]) -> (Vec<bool>, Vec<bool>) {
    let width = states.first().map_or(0, Vec::len);
    let mut pos = vec![true; width];
    let mut neg = vec![true; width];
    for s in states {
        for (j, &v) in s.iter().enumerate() {
            pos[j] &= v;
            neg[j] &= !v;
        }
    }
    (pos, neg)
}

/// The chance agreement [`significant_preconditions`] accepts by default.
///
/// An action observed in few moves agrees on many bits by chance (most bits
/// are 0 in most states under the 0.1 prior), and those bits become
/// preconditions that deny it in states it was never seen in: the seed-1
/// 8-puzzle model of session 11 lacked 1.1 % of the moves of a fresh dataset,
/// and 5 of 40 plans took detours. Dropping the chance literals leaves 0.4 %
/// lacking (the moves no label's effect makes) and 38 of the 40 plans optimal
/// (session 12, with the picture rules filtering what the looser
/// preconditions let through).
pub const PRECONDITION_SIGNIFICANCE: f64 = 1e-3;

/// Drops from data preconditions `(pos, neg)`, learned from `n` observed
/// pre-states, the literals that chance explains: a bit the effect leaves
/// alone (`touched[j]` false) that was `v` in all `n` states is kept only when
/// `rate(v)^n <= alpha`, where `rate(v)` is the share of all pre-states with
/// that bit at `v`: the chance that `n` states drawn at random agree on it.
/// Literals on bits the effect sets or clears are always kept.
pub fn significant_preconditions(
    (mut pos, mut neg): (Vec<bool>, Vec<bool>),
    touched: &[bool],
    ones_rate: &[f64],
    alpha: f64,
    n: usize,
) -> (Vec<bool>, Vec<bool>) {
    for j in 0..pos.len() {
        if touched[j] {
            continue;
        }
        if pos[j] && explained_by_chance(ones_rate[j], n, alpha) {
            pos[j] = false;
        }
        if neg[j] && explained_by_chance(1.0 - ones_rate[j], n, alpha) {
            neg[j] = false;
        }
    }
    (pos, neg)
}

/// True when `n` independent draws that each agree with probability `share`
/// all agree with probability above `alpha`: their agreement says nothing.
/// The test of both [`significant_preconditions`] and the picture rules.
pub fn explained_by_chance(share: f64, n: usize, alpha: f64) -> bool {
    share.powi(n.min(i32::MAX as usize) as i32) > alpha
}

/// Compiles learned actions into STRIPS actions, splitting flips.
pub fn compile(actions: &[LearnedAction]) -> Result<Vec<CompiledAction>, ExtractError> {
    let mut out = Vec::new();
    for a in actions {
        let add: Vec<bool> = a.apply_zero.clone();
        let del: Vec<bool> = a.apply_one.iter().map(|v| !v).collect();
        let base = CompiledAction {
            name: format!("a{}", a.label),
            pre_pos: a.pre_pos.clone(),
            pre_neg: a.pre_neg.clone(),
            add,
            del,
        };
        let flips = (0..base.add.len())
            .filter(|&j| base.add[j] && base.del[j] && !base.pre_pos[j] && !base.pre_neg[j])
            .count();
        if flips > MAX_FLIPS {
            return Err(ExtractError::TooManyFlips {
                label: a.label,
                flips,
            });
        }
        split(base, &mut out);
    }
    Ok(out)
}

/// Resolves every flip bit of `a`, pushing the resulting actions to `out`.
fn split(mut a: CompiledAction, out: &mut Vec<CompiledAction>) {
    for j in 0..a.add.len() {
        if !(a.add[j] && a.del[j]) {
            continue;
        }
        if a.pre_pos[j] {
            a.add[j] = false; // the bit is 1 before, so the flip clears it
        } else if a.pre_neg[j] {
            a.del[j] = false; // the bit is 0 before, so the flip sets it
        } else {
            let mut up = a.clone();
            up.name.push_str(&format!("+{j}"));
            up.pre_neg[j] = true;
            up.del[j] = false;
            let mut down = a;
            down.name.push_str(&format!("-{j}"));
            down.pre_pos[j] = true;
            down.add[j] = false;
            split(up, out);
            split(down, out);
            return;
        }
    }
    // A contradictory precondition (always 1 and always 0) means the action
    // was never observed; such an action can never apply and is dropped.
    if !a.pre_pos.iter().zip(&a.pre_neg).any(|(p, n)| *p && *n) {
        out.push(a);
    }
}

/// Applies a compiled action the STRIPS way (delete, then add), for tests and
/// cross-checks: `None` if its preconditions fail.
pub fn apply(a: &CompiledAction, state: &[bool]) -> Option<Vec<bool>> {
    let ok = state
        .iter()
        .enumerate()
        .all(|(j, &v)| if v { !a.pre_neg[j] } else { !a.pre_pos[j] });
    ok.then(|| {
        state
            .iter()
            .enumerate()
            .map(|(j, &v)| a.add[j] || (v && !a.del[j]))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(s: &str) -> Vec<bool> {
        s.chars().map(|c| c == '1').collect()
    }

    /// The network's per-bit effect, from APPLY(0) and APPLY(1).
    fn network(a: &LearnedAction, z: &[bool]) -> Vec<bool> {
        z.iter()
            .enumerate()
            .map(|(j, &v)| if v { a.apply_one[j] } else { a.apply_zero[j] })
            .collect()
    }

    #[test]
    fn compiled_actions_reproduce_the_network_on_every_allowed_state() {
        // bit 0 keep, bit 1 add, bit 2 delete, bit 3 flip, bit 4 flip (fixed by pre_pos)
        let a = LearnedAction {
            label: 7,
            apply_zero: bits("01011"),
            apply_one: bits("11000"),
            pre_pos: bits("00001"),
            pre_neg: bits("00000"),
        };
        let compiled = compile(std::slice::from_ref(&a)).unwrap();
        let names: Vec<&str> = compiled.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a7+3", "a7-3"]);
        for s in 0..32u32 {
            let z: Vec<bool> = (0..5).map(|j| s >> j & 1 == 1).collect();
            let results: Vec<Vec<bool>> = compiled.iter().filter_map(|c| apply(c, &z)).collect();
            if z[4] {
                assert_eq!(
                    results,
                    vec![network(&a, &z)],
                    "state {z:?}: exactly one split applies"
                );
            } else {
                assert!(results.is_empty(), "precondition z4 must hold");
            }
        }
    }

    #[test]
    fn preconditions_are_the_constant_bits() {
        let (pos, neg) = preconditions_from_data(&[bits("110"), bits("100")]);
        assert_eq!(pos, bits("100"));
        assert_eq!(neg, bits("001"));
    }

    #[test]
    fn chance_agreements_are_dropped_and_touched_bits_kept() {
        // Bit 0 is set in 90 % of all states, bit 1 in 50 %, bit 2 in 10 %;
        // bit 3 in 10 % but the effect sets it.
        let rates = [0.9, 0.5, 0.1, 0.1];
        let touched = bits("0001");
        let constant = (bits("1100"), bits("0011"));
        // Five states: 0.9^5 = 0.59 and 0.5^5 = 0.031 are chance; 0.9^5 for
        // bit 2 being 0 too; bit 3 stays because the effect touches it.
        let (pos, neg) = significant_preconditions(constant.clone(), &touched, &rates, 1e-3, 5);
        assert_eq!((pos, neg), (bits("0000"), bits("0001")));
        // Twenty states: 0.5^20 = 1e-6 is significant, 0.9^20 = 0.12 is not.
        let (pos, neg) = significant_preconditions(constant.clone(), &touched, &rates, 1e-3, 20);
        assert_eq!((pos, neg), (bits("0100"), bits("0001")));
        // Sixty-six states make even 0.9^n significant.
        let (pos, neg) = significant_preconditions(constant, &touched, &rates, 1e-3, 66);
        assert_eq!((pos, neg), (bits("1100"), bits("0011")));
    }

    #[test]
    fn too_many_flips_is_refused() {
        let n = MAX_FLIPS + 1;
        let a = LearnedAction {
            label: 1,
            apply_zero: vec![true; n],
            apply_one: vec![false; n],
            pre_pos: vec![false; n],
            pre_neg: vec![false; n],
        };
        assert_eq!(
            compile(&[a]),
            Err(ExtractError::TooManyFlips { label: 1, flips: n })
        );
    }
}
