//! STRIPS action models over named bits, and planning tasks over them.
//!
//! An action is four masks over the bits: positive and negative preconditions,
//! add and delete effects. Applying it to state `s` gives `(s & !del) | add`:
//! as in PDDL, a bit both added and deleted ends up true.

use std::collections::HashSet;

use super::bits::BitState;

/// Why a model or task is inconsistent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A mask has a different width from the model.
    #[error("action {action:?}: its {mask} mask has {got} bits, the model has {expected}")]
    MaskWidth {
        /// The action's name.
        action: String,
        /// Which mask.
        mask: &'static str,
        /// Its width.
        got: usize,
        /// The model's width.
        expected: usize,
    },
    /// Two bits or two actions share a name.
    #[error("the {what} name {name:?} is used twice")]
    DuplicateName {
        /// "bit" or "action".
        what: &'static str,
        /// The name.
        name: String,
    },
    /// The initial state or goal has a different width from the model.
    #[error("the {what} has {got} bits, the model has {expected}")]
    StateWidth {
        /// "initial state", "goal" ...
        what: &'static str,
        /// Its width.
        got: usize,
        /// The model's width.
        expected: usize,
    },
    /// A goal that asks a bit to be both true and false.
    #[error("the goal asks bit {0:?} to be both true and false")]
    ContradictoryGoal(String),
}

/// A parameterless STRIPS action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripsAction {
    /// Its name, as a plan prints it (without parentheses).
    pub name: String,
    /// Bits that must be true.
    pub pre_pos: BitState,
    /// Bits that must be false.
    pub pre_neg: BitState,
    /// Bits made true.
    pub add: BitState,
    /// Bits made false (unless also added).
    pub del: BitState,
    /// Its cost (1 for every model this project writes).
    pub cost: u32,
}

impl StripsAction {
    /// A unit-cost action from four boolean masks of equal length.
    pub fn from_bools(
        name: impl Into<String>,
        pre_pos: &[bool],
        pre_neg: &[bool],
        add: &[bool],
        del: &[bool],
    ) -> Self {
        Self {
            name: name.into(),
            pre_pos: BitState::from_bools(pre_pos),
            pre_neg: BitState::from_bools(pre_neg),
            add: BitState::from_bools(add),
            del: BitState::from_bools(del),
            cost: 1,
        }
    }

    /// True if the action's preconditions hold in `state`.
    pub fn is_applicable(&self, state: &BitState) -> bool {
        self.pre_pos.is_subset_of(state) && !self.pre_neg.intersects(state)
    }

    /// The successor of `state` (contract: the action is applicable there).
    pub fn apply(&self, state: &BitState) -> BitState {
        let words: Vec<u64> = state
            .words()
            .iter()
            .zip(self.add.words().iter().zip(self.del.words()))
            .map(|(s, (a, d))| (s & !d) | a)
            .collect();
        BitState::from_words(state.len(), &words)
    }

    /// True if the action is applicable in `from` and leads to `to`
    /// (`apply` without building the successor).
    pub fn leads(&self, from: &BitState, to: &BitState) -> bool {
        self.is_applicable(from)
            && from
                .words()
                .iter()
                .zip(to.words())
                .zip(self.add.words().iter().zip(self.del.words()))
                .all(|((s, t), (a, d))| (s & !d) | a == *t)
    }

    fn check_width(&self, width: usize) -> Result<(), ModelError> {
        let masks = [
            ("pre_pos", &self.pre_pos),
            ("pre_neg", &self.pre_neg),
            ("add", &self.add),
            ("del", &self.del),
        ];
        for (mask, m) in masks {
            if m.len() != width {
                return Err(ModelError::MaskWidth {
                    action: self.name.clone(),
                    mask,
                    got: m.len(),
                    expected: width,
                });
            }
        }
        Ok(())
    }
}

/// Named bits and the actions over them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripsModel {
    bit_names: Vec<String>,
    actions: Vec<StripsAction>,
}

impl StripsModel {
    /// A model; every mask must have one bit per name, and names must be distinct.
    pub fn new(bit_names: Vec<String>, actions: Vec<StripsAction>) -> Result<Self, ModelError> {
        check_distinct("bit", bit_names.iter())?;
        check_distinct("action", actions.iter().map(|a| &a.name))?;
        for a in &actions {
            a.check_width(bit_names.len())?;
        }
        Ok(Self { bit_names, actions })
    }

    /// A model with bits named `z0 … z{F-1}` (Latplan's export), from one row of
    /// masks per action, actions named by `action_names`.
    pub fn from_masks(
        action_names: &[String],
        pre_pos: &[Vec<bool>],
        pre_neg: &[Vec<bool>],
        add: &[Vec<bool>],
        del: &[Vec<bool>],
        bits: usize,
    ) -> Result<Self, ModelError> {
        let bit_names = (0..bits).map(|i| format!("z{i}")).collect();
        let actions = (0..action_names.len())
            .map(|i| {
                StripsAction::from_bools(
                    action_names[i].clone(),
                    &pre_pos[i],
                    &pre_neg[i],
                    &add[i],
                    &del[i],
                )
            })
            .collect();
        Self::new(bit_names, actions)
    }

    /// Number of bits of every state.
    pub fn width(&self) -> usize {
        self.bit_names.len()
    }

    /// The bits' names, in order.
    pub fn bit_names(&self) -> &[String] {
        &self.bit_names
    }

    /// The actions, in order (an action's index is its id in plans).
    pub fn actions(&self) -> &[StripsAction] {
        &self.actions
    }

    /// The index of the action called `name`.
    pub fn action_index(&self, name: &str) -> Option<usize> {
        self.actions.iter().position(|a| a.name == name)
    }
}

fn check_distinct<'a>(
    what: &'static str,
    names: impl Iterator<Item = &'a String>,
) -> Result<(), ModelError> {
    let mut seen = HashSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(ModelError::DuplicateName {
                what,
                name: n.clone(),
            });
        }
    }
    Ok(())
}

/// A planning task: a model, an initial state and a partial goal (bits that
/// must be true, bits that must be false, the rest free).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripsTask {
    /// The action model.
    pub model: StripsModel,
    /// The initial state.
    pub init: BitState,
    /// Bits the goal requires true.
    pub goal_pos: BitState,
    /// Bits the goal requires false.
    pub goal_neg: BitState,
}

impl StripsTask {
    /// A task; the states must match the model's width and the goal must not
    /// contradict itself.
    pub fn new(
        model: StripsModel,
        init: BitState,
        goal_pos: BitState,
        goal_neg: BitState,
    ) -> Result<Self, ModelError> {
        let width = model.width();
        for (what, s) in [
            ("initial state", &init),
            ("goal (true bits)", &goal_pos),
            ("goal (false bits)", &goal_neg),
        ] {
            if s.len() != width {
                return Err(ModelError::StateWidth {
                    what,
                    got: s.len(),
                    expected: width,
                });
            }
        }
        if let Some(bit) = goal_pos.ones().find(|&i| goal_neg.get(i)) {
            return Err(ModelError::ContradictoryGoal(
                model.bit_names()[bit].clone(),
            ));
        }
        Ok(Self {
            model,
            init,
            goal_pos,
            goal_neg,
        })
    }

    /// A task whose goal is the complete state `goal` (Latplan's problems).
    pub fn with_full_goal(
        model: StripsModel,
        init: BitState,
        goal: BitState,
    ) -> Result<Self, ModelError> {
        let neg_words: Vec<u64> = goal.words().iter().map(|w| !w).collect();
        let goal_neg = BitState::from_words(goal.len(), &neg_words);
        Self::new(model, init, goal, goal_neg)
    }

    /// True if `state` satisfies the goal.
    pub fn is_goal(&self, state: &BitState) -> bool {
        self.goal_pos.is_subset_of(state) && !self.goal_neg.intersects(state)
    }

    /// Replays `plan` (action indices) from the initial state. Returns every
    /// state visited, or the index of the first step whose action is not
    /// applicable (or not an action of the model).
    pub fn replay(&self, plan: &[usize]) -> Result<Vec<BitState>, usize> {
        let mut states = vec![self.init.clone()];
        for (step, &a) in plan.iter().enumerate() {
            let action = self.model.actions().get(a).ok_or(step)?;
            let Some(current) = states.last() else {
                return Err(step);
            };
            if !action.is_applicable(current) {
                return Err(step);
            }
            states.push(action.apply(current));
        }
        Ok(states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toggle_model() -> StripsModel {
        // bit 0 -> on, bit 1 -> done; "set" needs !z0, adds z0; "finish" needs z0, adds z1, deletes z0.
        let set = StripsAction::from_bools(
            "set",
            &[false, false],
            &[true, false],
            &[true, false],
            &[false, false],
        );
        let finish = StripsAction::from_bools(
            "finish",
            &[true, false],
            &[false, false],
            &[false, true],
            &[true, false],
        );
        StripsModel::new(vec!["z0".into(), "z1".into()], vec![set, finish]).unwrap()
    }

    #[test]
    fn apply_deletes_then_adds() {
        let a = StripsAction::from_bools(
            "a",
            &[false; 3],
            &[false; 3],
            &[true, false, false],
            &[true, true, false],
        );
        let s = BitState::from_bools(&[false, true, true]);
        assert_eq!(a.apply(&s), BitState::from_bools(&[true, false, true]));
    }

    #[test]
    fn leads_is_applicable_and_apply() {
        let model = toggle_model();
        let all: Vec<BitState> = (0..4u64).map(|w| BitState::from_words(2, &[w])).collect();
        for a in model.actions() {
            for from in &all {
                for to in &all {
                    let expected = a.is_applicable(from) && a.apply(from) == *to;
                    assert_eq!(a.leads(from, to), expected, "{} {from:?} {to:?}", a.name);
                }
            }
        }
    }

    #[test]
    fn replay_follows_preconditions() {
        let task = StripsTask::new(
            toggle_model(),
            BitState::zeros(2),
            BitState::from_bools(&[false, true]),
            BitState::zeros(2),
        )
        .unwrap();
        let states = task.replay(&[0, 1]).unwrap();
        assert!(task.is_goal(&states[2]));
        assert_eq!(states[2], BitState::from_bools(&[false, true]));
        assert_eq!(task.replay(&[1]), Err(0));
        assert_eq!(task.replay(&[0, 0]), Err(1));
        assert_eq!(task.replay(&[7]), Err(0));
    }

    #[test]
    fn inconsistent_models_are_rejected() {
        let bad = StripsAction::from_bools("a", &[false; 3], &[false; 2], &[false; 2], &[false; 2]);
        assert!(matches!(
            StripsModel::new(vec!["x".into(), "y".into()], vec![bad]),
            Err(ModelError::MaskWidth { .. })
        ));
        assert!(matches!(
            StripsModel::new(vec!["x".into(), "x".into()], vec![]),
            Err(ModelError::DuplicateName { .. })
        ));
        let goal = BitState::from_bools(&[true, false]);
        let err =
            StripsTask::new(toggle_model(), BitState::zeros(2), goal.clone(), goal).unwrap_err();
        assert_eq!(err, ModelError::ContradictoryGoal("z0".into()));
    }

    #[test]
    fn full_goal_fixes_every_bit() {
        let task = StripsTask::with_full_goal(
            toggle_model(),
            BitState::zeros(2),
            BitState::from_bools(&[false, true]),
        )
        .unwrap();
        assert!(task.is_goal(&BitState::from_bools(&[false, true])));
        assert!(!task.is_goal(&BitState::from_bools(&[true, true])));
    }
}
