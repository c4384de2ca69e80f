//! Actions for the moves no learned effect makes. The network has a fixed
//! number of labels, and the action refinement hands the unused ones to the
//! worst-explained moves; when every label is taken, some bit changes that
//! recur in the data are left with no label whose effect makes them. On the
//! session-20 Sokoban models (1586–1596 of 1600 labels used) 846–3548 of the
//! 36 000 training moves had no such effect, and the largest of these bit
//! changes recurred 43–60 times.
//!
//! Each bit change that [`OBSERVED_SUPPORT`] or more such moves share becomes
//! an action of its own: its effect is the change, its preconditions the bits
//! all its pre-states share (no chance pruning: with few moves that is the
//! cautious side), and it gets a label of its own past the network's, so
//! that its picture rules come from its own moves.

use super::changes::{moves_by_change, Change};
use super::relax::Packed;
use crate::pipeline::extract::{preconditions_from_data, LearnedAction};
use crate::symbolic::BitState;

/// How many observed moves must share a bit change that no effect makes
/// before it becomes an action.
pub const OBSERVED_SUPPORT: usize = 2;

/// The actions [`observed_effects`] adds, with the moves each makes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedEffects {
    /// The new actions, labels `first_label`, `first_label + 1`, ….
    pub actions: Vec<LearnedAction>,
    /// For each new action, the indices of its moves.
    pub moves: Vec<Vec<usize>>,
}

/// One action per bit change that at least `min_moves` of the moves
/// `z0[i] -> z1[i]` share and no effect of `actions` makes (preconditions
/// aside), in the order of the changes' first moves; `min_moves == 0` adds none.
pub fn observed_effects(
    actions: &[LearnedAction],
    z0: &[Vec<u8>],
    z1: &[Vec<u8>],
    min_moves: usize,
    first_label: usize,
) -> ObservedEffects {
    if min_moves == 0 {
        return ObservedEffects::default();
    }
    let packed: Vec<Packed> = actions.iter().map(Packed::new).collect();
    let state = |z: &[u8]| BitState::from_bools(&super::to_bools(z));
    let changes = moves_by_change(z0, z1, |i| {
        let (from, to) = (state(&z0[i]), state(&z1[i]));
        !packed.iter().any(|p| p.makes(&from, &to))
    });
    let mut out = ObservedEffects::default();
    for (Change { add, del }, moves) in changes {
        if moves.len() < min_moves {
            continue;
        }
        let states: Vec<Vec<bool>> = moves.iter().map(|&i| super::to_bools(&z0[i])).collect();
        let (pre_pos, pre_neg) = preconditions_from_data(&states);
        out.actions.push(LearnedAction {
            label: first_label + out.actions.len(),
            apply_one: del.iter().map(|d| !d).collect(),
            apply_zero: add,
            pre_pos,
            pre_neg,
        });
        out.moves.push(moves);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::relax::tests::{bools, moves};
    use super::*;

    #[test]
    fn a_change_no_effect_makes_becomes_an_action_once_it_recurs() {
        // The learned action sets bit 0 (needing nothing).
        let learned = LearnedAction {
            label: 0,
            apply_zero: bools("100"),
            apply_one: bools("111"),
            pre_pos: bools("000"),
            pre_neg: bools("000"),
        };
        let pairs = [
            ("000", "100"), // made by the learned effect
            ("010", "001"), // clears 1, sets 2: twice, from different states
            ("110", "101"),
            ("001", "000"), // clears 2: once only
            ("011", "011"), // no move
        ];
        let (z0, z1) = moves(&pairs);
        let got = observed_effects(std::slice::from_ref(&learned), &z0, &z1, 2, 1600);
        assert_eq!(got.moves, vec![vec![1, 2]]);
        let a = &got.actions[0];
        assert_eq!(a.label, 1600);
        assert_eq!(
            (a.apply_zero.clone(), a.apply_one.clone()),
            (bools("001"), bools("101"))
        );
        // Both pre-states have bit 1 set and bit 2 clear; bit 0 differs.
        assert_eq!(
            (a.pre_pos.clone(), a.pre_neg.clone()),
            (bools("010"), bools("001"))
        );
        // With one move enough, the single change is an action too, after.
        let got = observed_effects(std::slice::from_ref(&learned), &z0, &z1, 1, 7);
        assert_eq!(got.moves, vec![vec![1, 2], vec![3]]);
        assert_eq!(got.actions[1].label, 8);
        assert_eq!(
            observed_effects(&[learned], &z0, &z1, 0, 7),
            ObservedEffects::default()
        );
    }
}
