//! Actions kept to the bit changes training moves make.
//!
//! A learned effect sets and clears a fixed set of bits, so applied where
//! some of them already hold it makes a smaller change than the moves it was
//! learned from. Such changes can be moves the world does not have: on the
//! `blocks4-flat` model of session 23, every one of the 10 invalid plans the
//! seen filter let through took a step whose bit change no training move
//! made (two blocks moved at once), while every step of the 30 valid plans
//! made a change 11 or more training moves made.
//!
//! [`keep_to_changes`] splits each action into one action per training
//! change its effect can make, with preconditions that pin each bit of its
//! effect to what that change needs (a bit the change sets must be false
//! before, one the effect sets but the change leaves must be true already).
//! That is still STRIPS, so Fast Downward and the PDDL file keep to the
//! changes too, and the heuristics see only moves of those changes.

use std::collections::{BTreeMap, HashSet};

use crate::pipeline::extract::CompiledAction;
use crate::symbolic::BitState;

/// How many training moves must share a bit change before actions may make
/// it (1: any change some training move made).
pub const CHANGE_SUPPORT: usize = 1;

/// One bit change: the bits set and the bits cleared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Change {
    /// Bits that go from 0 to 1.
    pub add: Vec<bool>,
    /// Bits that go from 1 to 0.
    pub del: Vec<bool>,
}

impl Change {
    /// The change from `a` to `b` (one 0/1 byte per bit).
    pub fn between(a: &[u8], b: &[u8]) -> Self {
        Change {
            add: a.iter().zip(b).map(|(&x, &y)| x == 0 && y == 1).collect(),
            del: a.iter().zip(b).map(|(&x, &y)| x == 1 && y == 0).collect(),
        }
    }
}

/// The moves `z0[i] -> z1[i]` (other than none) for which `keep(i)` holds,
/// grouped by their change: each change with its moves ascending, the
/// changes ordered by their first move.
pub(super) fn moves_by_change(
    z0: &[Vec<u8>],
    z1: &[Vec<u8>],
    mut keep: impl FnMut(usize) -> bool,
) -> Vec<(Change, Vec<usize>)> {
    let mut by_change: BTreeMap<Change, Vec<usize>> = BTreeMap::new();
    for (i, (a, b)) in z0.iter().zip(z1).enumerate() {
        if a != b && keep(i) {
            by_change.entry(Change::between(a, b)).or_default().push(i);
        }
    }
    let mut changes: Vec<_> = by_change.into_iter().collect();
    changes.sort_by_key(|(_, moves)| moves[0]);
    changes
}

/// The changes of the moves `z0[i] -> z1[i]` (other than none) that at least
/// `min_moves` of them share, ordered by their first move.
pub fn observed_changes(z0: &[Vec<u8>], z1: &[Vec<u8>], min_moves: usize) -> Vec<Change> {
    moves_by_change(z0, z1, |_| true)
        .into_iter()
        .filter(|(_, moves)| moves.len() >= min_moves.max(1))
        .map(|(c, _)| c)
        .collect()
}

/// Each action of `actions` split into one per change of `changes` its
/// effect can make: the action `<name>~<k>` for change `k`, whose effect is
/// the change and whose preconditions add, on every bit of the effect, the
/// value that change needs there. An action none of whose changes its
/// preconditions allow is dropped; of identical actions the first is kept.
pub fn keep_to_changes(actions: &[CompiledAction], changes: &[Change]) -> Vec<CompiledAction> {
    let packed: Vec<(BitState, BitState)> = changes
        .iter()
        .map(|c| (BitState::from_bools(&c.add), BitState::from_bools(&c.del)))
        .collect();
    let mut out = Vec::new();
    let mut made = HashSet::new();
    for a in actions {
        let (add, del) = (BitState::from_bools(&a.add), BitState::from_bools(&a.del));
        for (k, (c, (c_add, c_del))) in changes.iter().zip(&packed).enumerate() {
            if !c_add.is_subset_of(&add) || !c_del.is_subset_of(&del) {
                continue;
            }
            let Some(split) = split_for(a, c, k) else {
                continue;
            };
            let key = (
                split.pre_pos.clone(),
                split.pre_neg.clone(),
                split.add.clone(),
                split.del.clone(),
            );
            if made.insert(key) {
                out.push(split);
            }
        }
    }
    out
}

/// `a` kept to the change `c` (its effect makes it: `c` within `a`'s add and
/// delete bits), `None` when `a`'s own preconditions rule the change out.
fn split_for(a: &CompiledAction, c: &Change, k: usize) -> Option<CompiledAction> {
    let mut pre_pos = a.pre_pos.clone();
    let mut pre_neg = a.pre_neg.clone();
    for j in 0..a.add.len() {
        // The value bit j must have before: 0 where the change sets it, 1
        // where the effect would set it but the change does not; the other
        // way round for the bits the effect clears.
        let before = if a.add[j] {
            Some(!c.add[j])
        } else if a.del[j] {
            Some(c.del[j])
        } else {
            None
        };
        match before {
            Some(true) => pre_pos[j] = true,
            Some(false) => pre_neg[j] = true,
            None => {}
        }
    }
    if pre_pos.iter().zip(&pre_neg).any(|(&p, &n)| p && n) {
        return None;
    }
    Some(CompiledAction {
        name: format!("{}~{k}", a.name),
        pre_pos,
        pre_neg,
        add: c.add.clone(),
        del: c.del.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::extract::apply;

    fn bools(s: &str) -> Vec<bool> {
        s.chars().map(|c| c == '1').collect()
    }

    fn action(name: &str, pre_pos: &str, pre_neg: &str, add: &str, del: &str) -> CompiledAction {
        CompiledAction {
            name: name.into(),
            pre_pos: bools(pre_pos),
            pre_neg: bools(pre_neg),
            add: bools(add),
            del: bools(del),
        }
    }

    fn code(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    #[test]
    fn changes_are_counted_and_kept_in_the_order_of_their_first_move() {
        let z0 = [
            code("000"),
            code("100"),
            code("010"),
            code("001"),
            code("110"),
        ];
        let z1 = [
            code("110"),
            code("100"),
            code("000"),
            code("111"),
            code("000"),
        ];
        // 000->110 and 001->111 are one change (set bits 0 and 1); 100->100
        // is none; 010->000 clears bit 1; 110->000 clears bits 0 and 1.
        let all = observed_changes(&z0, &z1, 1);
        assert_eq!(
            all,
            vec![
                Change::between(&code("000"), &code("110")),
                Change::between(&code("010"), &code("000")),
                Change::between(&code("110"), &code("000")),
            ]
        );
        let shared = observed_changes(&z0, &z1, 2);
        assert_eq!(shared, vec![Change::between(&code("000"), &code("110"))]);
        assert_eq!(observed_changes(&z0, &z1, 0), all, "0 counts as 1");
    }

    #[test]
    fn an_action_makes_only_the_changes_training_moves_made() {
        // The effect sets bits 0 and 1 and clears bit 2, with no precondition.
        let a = action("a3", "000", "000", "110", "001");
        // Training moves made it whole (001 -> 110) and set bit 0 alone (010 -> 110).
        let changes = vec![
            Change::between(&code("001"), &code("110")),
            Change::between(&code("010"), &code("110")),
            Change::between(&code("000"), &code("001")), // sets bit 2: not a's
        ];
        let kept = keep_to_changes(std::slice::from_ref(&a), &changes);
        let names: Vec<&str> = kept.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names, ["a3~0", "a3~1"]);
        // Every state a applies to, and what each action does there.
        for s in 0..8u8 {
            let state: Vec<bool> = (0..3).map(|j| s >> (2 - j) & 1 == 1).collect();
            let whole = apply(&a, &state).unwrap();
            let made: Vec<Vec<bool>> = kept.iter().filter_map(|k| apply(k, &state)).collect();
            let change = Change::between(
                &state.iter().map(|&b| u8::from(b)).collect::<Vec<_>>(),
                &whole.iter().map(|&b| u8::from(b)).collect::<Vec<_>>(),
            );
            if changes[..2].contains(&change) {
                assert_eq!(made, vec![whole], "state {state:?}");
            } else {
                assert!(made.is_empty(), "state {state:?}: {made:?}");
            }
        }
    }

    #[test]
    fn preconditions_that_rule_a_change_out_drop_it_and_duplicates_go() {
        // b needs bit 0 true, so it can never set bit 0: only the change
        // that leaves it (set bit 1) stays.
        let b = action("b", "100", "000", "110", "000");
        // c makes the same move from the same states: a duplicate.
        let c = action("c", "100", "010", "010", "000");
        let changes = vec![
            Change::between(&code("000"), &code("110")),
            Change::between(&code("100"), &code("110")),
        ];
        let kept = keep_to_changes(&[b, c], &changes);
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0].name, "b~1");
        assert_eq!(kept[0].pre_pos, bools("100"));
        assert_eq!(kept[0].pre_neg, bools("010"));
        assert_eq!(kept[0].add, bools("010"));
        assert_eq!(kept[0].del, bools("000"));
    }
}
