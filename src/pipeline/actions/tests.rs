use super::{
    pre_states_by_label, same_effect_groups, ActionModel, PreconditionSource, SavedAction,
};

fn action(name: &str, pre_pos: &str, pre_neg: &str, add: &str, del: &str) -> SavedAction {
    SavedAction {
        name: name.into(),
        label: 0,
        observed: 1,
        pre_pos: pre_pos.into(),
        pre_neg: pre_neg.into(),
        add: add.into(),
        del: del.into(),
    }
}

#[test]
fn coverage_counts_the_moves_the_model_has_and_its_successors() {
    // Two bits. a: 00 -> 10 (needs bit 0 false); b: x1 -> x0 (needs bit 1 true).
    let model = ActionModel {
        bits: 2,
        labels: 2,
        labels_used: 2,
        preconditions: PreconditionSource::Data,
        transitions: 0,
        unreproduced: 0,
        relaxed_literals: 0,
        relaxed_moves: 0,
        observed_actions: 0,
        relax_support: 0,
        observed_support: 0,
        change_support: 0,
        changes: 0,
        actions: vec![
            action("a0", "00", "10", "10", "00"),
            action("a1", "01", "00", "00", "01"),
        ],
        pictures: None,
        seen: None,
    };
    let z0 = [vec![0, 0], vec![0, 1], vec![1, 1], vec![1, 0], vec![1, 0]];
    let z1 = [vec![1, 0], vec![0, 0], vec![0, 1], vec![0, 0], vec![1, 0]];
    let c = model.coverage(&z0, &z1).unwrap();
    // The last pair does not move; 00->10 and 01->00 are there; 11->01 and
    // 10->00 are not (a needs bit 0 false; b only clears bit 1).
    assert_eq!(c.pairs, 4);
    assert_eq!(c.covered, 2);
    assert_eq!(c.missing, vec![2, 3]);
    // Successors: 00 has {10}; 01 has {11, 00}; 11 has {10}; 10 has none.
    assert!((c.mean_successors - 4.0 / 4.0).abs() < 1e-12, "{c:?}");
}

#[test]
fn transitions_the_effect_gets_wrong_give_no_pre_state() {
    // From 00, 10, 01, 11:
    let z1 = [vec![1, 0], vec![1, 0], vec![1, 1], vec![0, 1]];
    let labels = [3, 3, 3, 5];
    // Label 3 sets bit 0: right for the first two, wrong for the third
    // (bit 1 changed too); label 5's only transition is wrong as well.
    let predicted = [vec![1, 0], vec![1, 0], vec![1, 0], vec![1, 1]];
    let (by_label, left_out) = pre_states_by_label(&z1, &labels, &predicted);
    assert_eq!(left_out, 2);
    assert_eq!(by_label[&3], vec![0, 1]);
    assert!(
        by_label[&5].is_empty(),
        "label 5 is used but has no pre-state"
    );
}

#[test]
fn labels_with_the_same_effect_are_grouped() {
    let zero = [vec![0, 1], vec![1, 0], vec![0, 1], vec![0, 1]];
    let one = [vec![1, 1], vec![1, 0], vec![1, 1], vec![0, 1]];
    // Labels 0 and 2 add bit 1 and keep bit 0; label 3 deletes bit 0; label 1 differs.
    assert_eq!(
        same_effect_groups(&zero, &one),
        vec![vec![0, 2], vec![1], vec![3]]
    );
}
