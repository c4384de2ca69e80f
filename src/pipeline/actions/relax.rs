//! Precondition literals the data contradicts: an observed move that some
//! action's effect makes exactly, but that no action may take because its
//! preconditions forbid the move's pre-state, is evidence that those
//! preconditions are too strict.
//!
//! The regression network of AMA4+ (`pos = REGRESS(0⃗, a)`, `neg = 1 −
//! REGRESS(1⃗, a)`) gives each label its preconditions with no look at the
//! data, and it errs on the strict side: on the session-20 Sokoban models
//! 11–19 % of the held-out moves were missing from the extracted actions; on
//! seed 2, for two thirds of them an action's effect makes the move but its
//! precondition literals (in 85 % of these cases exactly one) refuse the state.
//! Each such move is given to the action whose effect makes it with the
//! fewest violated literals (the first of those in the model's order), and a
//! literal is dropped once [`RELAX_SUPPORT`] or more moves contradict it.

use crate::pipeline::extract::LearnedAction;
use crate::symbolic::BitState;

/// How many observed moves must contradict a precondition literal before it is
/// dropped (the default of `latplan export --relax-support`; 0 turns the
/// relaxation off).
pub const RELAX_SUPPORT: usize = 2;

/// What [`relax_preconditions`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relaxed {
    /// Precondition literals dropped.
    pub literals: usize,
    /// The observed moves that the relaxed actions now make and no action
    /// made before, as (index into the actions, index of the transition).
    pub moves: Vec<(usize, usize)>,
}

/// One learned action as words, for the scan over every transition.
pub(super) struct Packed {
    pos: BitState,
    neg: BitState,
    zero: BitState,
    one: BitState,
}

impl Packed {
    pub(super) fn new(a: &LearnedAction) -> Self {
        Packed {
            pos: BitState::from_bools(&a.pre_pos),
            neg: BitState::from_bools(&a.pre_neg),
            zero: BitState::from_bools(&a.apply_zero),
            one: BitState::from_bools(&a.apply_one),
        }
    }

    /// True if the effect takes `from` to `to`, preconditions aside: each bit
    /// becomes `APPLY(1⃗, a)` where it was 1 and `APPLY(0⃗, a)` where it was 0.
    pub(super) fn makes(&self, from: &BitState, to: &BitState) -> bool {
        let words = self.zero.words().iter().zip(self.one.words());
        from.words()
            .iter()
            .zip(to.words())
            .zip(words)
            .all(|((&s, &t), (&z, &o))| (s & o) | (!s & z) == t)
    }

    /// The number of precondition literals `state` violates.
    fn violations(&self, state: &BitState) -> u32 {
        let words = self.pos.words().iter().zip(self.neg.words());
        state
            .words()
            .iter()
            .zip(words)
            .map(|(&s, (&p, &n))| (p & !s).count_ones() + (n & s).count_ones())
            .sum()
    }
}

/// Drops from `actions` the precondition literals that at least
/// `min_support` of the moves `z0[i] -> z1[i]` contradict (see the module
/// doc); `min_support == 0` changes nothing. Deterministic: the same actions
/// and transitions give the same result.
pub fn relax_preconditions(
    actions: &mut [LearnedAction],
    z0: &[Vec<u8>],
    z1: &[Vec<u8>],
    min_support: usize,
) -> Relaxed {
    if min_support == 0 || actions.is_empty() {
        return Relaxed::default();
    }
    let width = actions[0].pre_pos.len();
    let packed: Vec<Packed> = actions.iter().map(Packed::new).collect();
    let state = |z: &[u8]| BitState::from_bools(&super::to_bools(z));
    // (action, transition) of every move an effect makes but no action takes,
    // and per action and literal (bit, value) how many such moves contradict
    // it: a state with bit j at 0 contradicts pre_pos[j], at 1 pre_neg[j].
    let mut blocked = Vec::new();
    let mut support = vec![0usize; actions.len() * width * 2];
    let at = |k: usize, j: usize, value: bool| (k * width + j) * 2 + usize::from(value);
    for (i, (a, b)) in z0.iter().zip(z1).enumerate() {
        if a == b {
            continue;
        }
        let (from, to) = (state(a), state(b));
        let mut best: Option<(u32, usize)> = None;
        for (k, p) in packed.iter().enumerate() {
            if !p.makes(&from, &to) {
                continue;
            }
            let v = p.violations(&from);
            if v == 0 {
                best = None;
                break; // some action takes the move already
            }
            if best.is_none_or(|(w, _)| v < w) {
                best = Some((v, k));
            }
        }
        let Some((_, k)) = best else { continue };
        let act = &packed[k];
        for j in 0..width {
            let (s, p, n) = (from.get(j), act.pos.get(j), act.neg.get(j));
            if (p && !s) || (n && s) {
                support[at(k, j, s)] += 1;
            }
        }
        blocked.push((k, i, from));
    }
    let mut literals = 0;
    for (k, a) in actions.iter_mut().enumerate() {
        for j in 0..width {
            if a.pre_pos[j] && support[at(k, j, false)] >= min_support {
                a.pre_pos[j] = false;
                literals += 1;
            }
            if a.pre_neg[j] && support[at(k, j, true)] >= min_support {
                a.pre_neg[j] = false;
                literals += 1;
            }
        }
    }
    let now: Vec<Packed> = actions.iter().map(Packed::new).collect();
    let moves = blocked
        .into_iter()
        .filter(|(k, _, from)| now[*k].violations(from) == 0)
        .map(|(k, i, _)| (k, i))
        .collect();
    Relaxed { literals, moves }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::pipeline::actions) fn bools(s: &str) -> Vec<bool> {
        s.chars().map(|c| c == '1').collect()
    }

    fn bytes(s: &str) -> Vec<u8> {
        s.chars().map(|c| u8::from(c == '1')).collect()
    }

    /// An action of `label` with preconditions `pos`/`neg` whose effect sets
    /// the bits of `add` and clears those of `del` (bit 0 first).
    fn action(label: usize, pos: &str, neg: &str, add: &str, del: &str) -> LearnedAction {
        let (add, del) = (bools(add), bools(del));
        LearnedAction {
            label,
            apply_zero: add.clone(),
            apply_one: add.iter().zip(&del).map(|(&a, &d)| a || !d).collect(),
            pre_pos: bools(pos),
            pre_neg: bools(neg),
        }
    }

    /// The pre- and successor codes of `pairs` of 0/1 strings.
    pub(in crate::pipeline::actions) fn moves(
        pairs: &[(&str, &str)],
    ) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        pairs.iter().map(|(a, b)| (bytes(a), bytes(b))).unzip()
    }

    /// Relaxing `actions` at `support` reports nothing and changes nothing.
    fn assert_unchanged(actions: &[LearnedAction], z0: &[Vec<u8>], z1: &[Vec<u8>], support: usize) {
        let mut relaxed = actions.to_vec();
        assert_eq!(
            relax_preconditions(&mut relaxed, z0, z1, support),
            Relaxed::default()
        );
        assert_eq!(relaxed, actions);
    }

    #[test]
    fn a_literal_enough_moves_contradict_is_dropped_and_they_are_made() {
        // Sets bit 0; needs bit 0 false (right) and bit 2 true (too strict).
        let base = action(0, "001", "100", "100", "000");
        let (z0, z1) = moves(&[("000", "100"), ("010", "110"), ("001", "101")]);
        let mut acts = vec![base.clone()];
        let r = relax_preconditions(&mut acts, &z0, &z1, 2);
        assert_eq!(r.literals, 1);
        assert_eq!(acts[0].pre_pos, bools("000"), "bit 2 no longer needed");
        assert_eq!(acts[0].pre_neg, base.pre_neg, "bit 0 false still needed");
        // The third move was made before; the first two are made now.
        assert_eq!(r.moves, vec![(0, 0), (0, 1)]);
        // With a support of 3 the two moves are not enough; 0 turns it off.
        for support in [3, 0] {
            assert_unchanged(std::slice::from_ref(&base), &z0, &z1, support);
        }
    }

    #[test]
    fn a_move_that_is_made_already_or_that_no_effect_makes_is_no_evidence() {
        // Both set bit 0; the second needs nothing, so it makes every such move.
        let strict = action(0, "011", "100", "100", "000");
        let free = action(1, "000", "000", "100", "000");
        let (z0, z1) = moves(&[("000", "100"), ("000", "100")]);
        assert_unchanged(&[strict.clone(), free], &z0, &z1, 1);
        // No action's effect also clears bit 1: the moves say nothing.
        let (z0, z1) = moves(&[("010", "100"), ("010", "100"), ("110", "110")]);
        assert_unchanged(&[strict], &z0, &z1, 1);
    }

    #[test]
    fn the_move_goes_to_the_action_it_contradicts_least() {
        // Same effect (clear bit 1); a needs bits 0 and 2, b only bit 2.
        let a = action(0, "111", "000", "000", "010");
        let b = action(1, "011", "000", "000", "010");
        let (z0, z1) = moves(&[("010", "000")]);
        let mut acts = vec![a.clone(), b];
        let r = relax_preconditions(&mut acts, &z0, &z1, 1);
        assert_eq!(r.literals, 1);
        assert_eq!(acts[0], a, "a would have needed two literals dropped");
        assert_eq!(acts[1].pre_pos, bools("010"));
        assert_eq!(r.moves, vec![(1, 0)]);
        // A flip (bit 1 set where it was 0, cleared where it was 1) is an
        // effect too: `makes` reads it from APPLY(0⃗) and APPLY(1⃗).
        let flip = LearnedAction {
            label: 2,
            apply_zero: bools("010"),
            apply_one: bools("101"),
            pre_pos: bools("001"),
            pre_neg: bools("000"),
        };
        let (z0, z1) = moves(&[("000", "010"), ("110", "100")]);
        let mut acts = vec![flip];
        let r = relax_preconditions(&mut acts, &z0, &z1, 2);
        assert_eq!((r.literals, r.moves.len()), (1, 2));
        assert_eq!(acts[0].pre_pos, bools("000"));
    }
}
