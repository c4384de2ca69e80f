//! The second half of grounding: numbering the reachable fluent atoms as bits
//! and turning each reachable action instance into a STRIPS action.
//! Goal literals on atoms that are not bits (static or unreachable) get a bit
//! of their own that keeps its initial value, so the goal keeps its meaning.

use std::collections::HashMap;

use super::{instantiate, Compiled, GroundError, Grounder, T};
use crate::pddl::ast::{Literal, Problem};
use crate::symbolic::{BitState, StripsAction, StripsModel, StripsTask};

type Key = (usize, Vec<u32>);

impl Grounder<'_> {
    fn atom_name(&self, pred: usize, args: &[u32]) -> String {
        let mut name = self.domain.predicates[pred].name.clone();
        for &o in args {
            name.push(' ');
            name.push_str(self.objects.get(o as usize).map_or("?", String::as_str));
        }
        name
    }

    /// The bits, ordered by predicate and arguments: reachable fluent atoms,
    /// then goal atoms that are not among them.
    fn bit_keys(&self, problem: &Problem) -> Vec<Key> {
        let mut keys: Vec<Key> = Vec::new();
        for (pred, facts) in self
            .facts
            .iter()
            .enumerate()
            .filter(|(p, _)| self.fluent[*p])
        {
            keys.extend(facts.list.iter().map(|args| (pred, args.clone())));
        }
        for lit in &problem.goal {
            if let Literal::Atom { atom, .. } = lit {
                keys.push((atom.pred, self.ground_consts(atom)));
            }
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    pub(super) fn build_task(
        &self,
        compiled: &[Compiled],
        instances: &[(usize, Vec<u32>)],
        problem: &Problem,
    ) -> Result<StripsTask, GroundError> {
        let keys = self.bit_keys(problem);
        let mut names: Vec<String> = keys
            .iter()
            .map(|(p, args)| self.atom_name(*p, args))
            .collect();
        let init: Vec<usize> = (0..keys.len())
            .filter(|&b| self.init[keys[b].0].contains(&keys[b].1))
            .collect();
        let bits: HashMap<Key, usize> = keys.into_iter().enumerate().map(|(b, k)| (k, b)).collect();
        let (mut goal_pos, mut goal_neg) = (Vec::new(), Vec::new());
        for lit in &problem.goal {
            let (bit, positive) = match lit {
                Literal::Atom { atom, positive } => (
                    bits.get(&(atom.pred, self.ground_consts(atom))).copied(),
                    *positive,
                ),
                Literal::Equal {
                    left,
                    right,
                    positive,
                } => {
                    let (l, r) = (self.term(left), self.term(right));
                    if (matches!((l, r), (T::Obj(a), T::Obj(b)) if a == b)) == *positive {
                        continue;
                    }
                    names.push(format!("false-goal {}", names.len()));
                    (Some(names.len() - 1), true)
                }
            };
            match (bit, positive) {
                (Some(b), true) => goal_pos.push(b),
                (Some(b), false) => goal_neg.push(b),
                (None, _) => {}
            }
        }
        let width = names.len();
        let actions = instances
            .iter()
            .filter_map(|(si, b)| self.action(&compiled[*si], b, &bits, width))
            .collect();
        let model = StripsModel::new(names, actions)?;
        let task = StripsTask::new(
            model,
            BitState::from_ones(width, init),
            BitState::from_ones(width, goal_pos),
            BitState::from_ones(width, goal_neg),
        )?;
        Ok(task)
    }

    /// The STRIPS action of one instance; `None` if its preconditions contradict.
    fn action(
        &self,
        c: &Compiled,
        binding: &[u32],
        bits: &HashMap<Key, usize>,
        width: usize,
    ) -> Option<StripsAction> {
        let lookup = |pred: usize, args: &[crate::pddl::ast::Term]| {
            let resolved: Vec<T> = args.iter().map(|t| self.term(t)).collect();
            bits.get(&(pred, instantiate(&resolved, binding))).copied()
        };
        let (mut pos, mut neg) = (BitState::zeros(width), BitState::zeros(width));
        for lit in &c.schema.pre {
            if let Literal::Atom { atom, positive } = lit {
                match (self.fluent[atom.pred], lookup(atom.pred, &atom.args)) {
                    (true, Some(b)) => {
                        if *positive {
                            pos.set(b, true)
                        } else {
                            neg.set(b, true)
                        }
                    }
                    (true, None) if *positive => return None,
                    _ => {}
                }
            }
        }
        if pos.intersects(&neg) {
            return None;
        }
        let (mut add, mut del) = (BitState::zeros(width), BitState::zeros(width));
        c.schema
            .add
            .iter()
            .filter_map(|a| lookup(a.pred, &a.args))
            .for_each(|b| add.set(b, true));
        c.schema
            .del
            .iter()
            .filter_map(|a| lookup(a.pred, &a.args))
            .for_each(|b| del.set(b, true));
        let mut name = c.schema.name.clone();
        for &o in binding {
            name.push(' ');
            name.push_str(&self.objects[o as usize]);
        }
        Some(StripsAction {
            name,
            pre_pos: pos,
            pre_neg: neg,
            add,
            del,
            cost: 1,
        })
    }
}
