//! Grounding by relaxed reachability: starting from the initial atoms, apply
//! every action instance whose positive preconditions are reachable (negative
//! preconditions on static predicates and equalities are checked exactly) and
//! add its add effects, until nothing new appears. The last round's instances
//! are the ground actions, and the reachable atoms of predicates some action
//! changes are the bits. Static atoms are compiled away, as Fast Downward does.

use std::collections::{HashMap, HashSet};

use super::ast::{Atom, Domain, Literal, Problem, Schema, Term};
use crate::symbolic::{ModelError, StripsTask};

const UNBOUND: u32 = u32::MAX;

/// A task that cannot be grounded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GroundError {
    /// Two objects or constants share a name.
    #[error("the object `{0}` is declared twice")]
    DuplicateObject(String),
    /// The grounded model is inconsistent (for example a self-contradictory goal).
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// A term with objects resolved to indices.
#[derive(Clone, Copy, Debug)]
enum T {
    Var(usize),
    Obj(u32),
}

/// An atom with resolved terms.
#[derive(Clone, Debug)]
struct A {
    pred: usize,
    args: Vec<T>,
}

/// A schema prepared for matching: positive atoms in join order.
struct Compiled<'a> {
    schema: &'a Schema,
    pos: Vec<A>,
    neg_static: Vec<A>,
    equal: Vec<(T, T, bool)>,
    param_types: Vec<usize>,
}

/// Reachable atoms of one predicate, as a list (for joins) and a set.
#[derive(Default)]
struct Facts {
    list: Vec<Vec<u32>>,
    set: HashSet<Vec<u32>>,
}

impl Facts {
    fn insert(&mut self, args: Vec<u32>) -> bool {
        if self.set.contains(&args) {
            return false;
        }
        self.set.insert(args.clone());
        self.list.push(args);
        true
    }
}

struct Grounder<'a> {
    domain: &'a Domain,
    objects: Vec<String>,
    index: HashMap<String, u32>,
    /// Type index -> membership per object.
    members: Vec<Vec<bool>>,
    /// Type index -> objects of that type (or a subtype).
    of_type: Vec<Vec<u32>>,
    type_index: HashMap<String, usize>,
    fluent: Vec<bool>,
    facts: Vec<Facts>,
    init: Vec<HashSet<Vec<u32>>>,
}

/// Grounds `problem` of `domain` into a STRIPS task over the reachable fluent atoms.
pub fn ground(domain: &Domain, problem: &Problem) -> Result<StripsTask, GroundError> {
    let g = Grounder::new(domain, problem)?;
    let compiled: Vec<Compiled> = domain.schemas.iter().map(|s| g.compile(s)).collect();
    let mut g = g;
    let instances = g.fixpoint(&compiled);
    g.build_task(&compiled, &instances, problem)
}

impl<'a> Grounder<'a> {
    fn new(domain: &'a Domain, problem: &Problem) -> Result<Self, GroundError> {
        let mut objects = Vec::new();
        let mut index = HashMap::new();
        let mut object_types = Vec::new();
        for (name, ty) in domain.constants.iter().chain(&problem.objects) {
            if index.insert(name.clone(), objects.len() as u32).is_some() {
                return Err(GroundError::DuplicateObject(name.clone()));
            }
            objects.push(name.clone());
            object_types.push(ty.clone());
        }
        let (type_index, members) = type_members(domain, &object_types);
        let of_type = members
            .iter()
            .map(|m| {
                (0..objects.len() as u32)
                    .filter(|&o| m[o as usize])
                    .collect()
            })
            .collect();
        let mut fluent = vec![false; domain.predicates.len()];
        for s in &domain.schemas {
            s.add
                .iter()
                .chain(&s.del)
                .for_each(|a| fluent[a.pred] = true);
        }
        let predicates = domain.predicates.len();
        let mut g = Self {
            domain,
            objects,
            index,
            members,
            of_type,
            type_index,
            fluent,
            facts: (0..predicates).map(|_| Facts::default()).collect(),
            init: vec![HashSet::new(); predicates],
        };
        for atom in &problem.init {
            let args = g.ground_consts(atom);
            g.init[atom.pred].insert(args.clone());
            g.facts[atom.pred].insert(args);
        }
        Ok(g)
    }

    fn term(&self, t: &Term) -> T {
        match t {
            Term::Var(v) => T::Var(*v),
            Term::Const(c) => T::Obj(self.index.get(c).copied().unwrap_or(UNBOUND)),
        }
    }

    fn ground_consts(&self, atom: &Atom) -> Vec<u32> {
        atom.args
            .iter()
            .map(|t| match self.term(t) {
                T::Obj(o) => o,
                T::Var(_) => UNBOUND,
            })
            .collect()
    }

    fn compile(&self, schema: &'a Schema) -> Compiled<'a> {
        let mut pos = Vec::new();
        let mut neg_static = Vec::new();
        let mut equal = Vec::new();
        for lit in &schema.pre {
            match lit {
                Literal::Atom { atom, positive } => {
                    let a = A {
                        pred: atom.pred,
                        args: atom.args.iter().map(|t| self.term(t)).collect(),
                    };
                    if *positive {
                        pos.push(a);
                    } else if !self.fluent[atom.pred] {
                        neg_static.push(a);
                    }
                }
                Literal::Equal {
                    left,
                    right,
                    positive,
                } => equal.push((self.term(left), self.term(right), *positive)),
            }
        }
        let param_types = schema
            .params
            .iter()
            .map(|(_, t)| self.type_index.get(t).copied().unwrap_or(0))
            .collect();
        Compiled {
            schema,
            pos: join_order(pos),
            neg_static,
            equal,
            param_types,
        }
    }

    /// Iterates to the reachability fixpoint; returns the final round's
    /// instances as (schema index, binding).
    fn fixpoint(&mut self, compiled: &[Compiled]) -> Vec<(usize, Vec<u32>)> {
        loop {
            let mut instances = Vec::new();
            for (si, c) in compiled.iter().enumerate() {
                let mut binding = vec![UNBOUND; c.param_types.len()];
                self.join(c, 0, &mut binding, &mut |b| {
                    instances.push((si, b.to_vec()))
                });
            }
            let mut changed = false;
            for (si, b) in &instances {
                for atom in &compiled[*si].schema.add {
                    let args = instantiate(
                        &atom.args.iter().map(|t| self.term(t)).collect::<Vec<_>>(),
                        b,
                    );
                    changed |= self.facts[atom.pred].insert(args);
                }
            }
            if !changed {
                return instances;
            }
        }
    }

    /// Extends `binding` to match positive atoms `k..`, then free parameters.
    fn join(&self, c: &Compiled, k: usize, binding: &mut Vec<u32>, found: &mut dyn FnMut(&[u32])) {
        let Some(atom) = c.pos.get(k) else {
            return self.fill(c, binding, found);
        };
        if atom
            .args
            .iter()
            .all(|t| matches!(t, T::Obj(_)) || matches!(t, T::Var(v) if binding[*v] != UNBOUND))
        {
            if self.facts[atom.pred]
                .set
                .contains(&instantiate(&atom.args, binding))
            {
                self.join(c, k + 1, binding, found);
            }
            return;
        }
        for fact in &self.facts[atom.pred].list {
            let mut newly = Vec::new();
            let ok = atom.args.iter().zip(fact).all(|(t, &o)| match *t {
                T::Obj(x) => x == o,
                T::Var(v)
                    if binding[v] == UNBOUND && self.members[c.param_types[v]][o as usize] =>
                {
                    binding[v] = o;
                    newly.push(v);
                    true
                }
                T::Var(v) => binding[v] == o,
            });
            if ok {
                self.join(c, k + 1, binding, found);
            }
            newly.iter().for_each(|&v| binding[v] = UNBOUND);
        }
    }

    /// Enumerates the parameters no positive atom binds, then checks the rest.
    fn fill(&self, c: &Compiled, binding: &mut Vec<u32>, found: &mut dyn FnMut(&[u32])) {
        let Some(v) = binding.iter().position(|&o| o == UNBOUND) else {
            if self.checks_hold(c, binding) {
                found(binding);
            }
            return;
        };
        for &o in &self.of_type[c.param_types[v]] {
            binding[v] = o;
            self.fill(c, binding, found);
        }
        binding[v] = UNBOUND;
    }

    fn checks_hold(&self, c: &Compiled, b: &[u32]) -> bool {
        let value = |t: T| match t {
            T::Var(v) => b[v],
            T::Obj(o) => o,
        };
        c.equal
            .iter()
            .all(|&(l, r, positive)| (value(l) == value(r)) == positive)
            && c.neg_static
                .iter()
                .all(|a| !self.init[a.pred].contains(&instantiate(&a.args, b)))
    }
}

/// Numbers the types (`object` is 0) and tells, per type, which objects
/// belong to it (their declared type or any subtype).
fn type_members(
    domain: &Domain,
    object_types: &[String],
) -> (HashMap<String, usize>, Vec<Vec<bool>>) {
    let parent: HashMap<&str, &str> = domain
        .types
        .iter()
        .map(|(t, p)| (t.as_str(), p.as_str()))
        .collect();
    let mut type_index: HashMap<String, usize> = HashMap::from([("object".to_string(), 0)]);
    for (t, p) in &domain.types {
        for name in [t, p] {
            let n = type_index.len();
            type_index.entry(name.clone()).or_insert(n);
        }
    }
    let mut members = vec![vec![false; object_types.len()]; type_index.len()];
    for (o, ty) in object_types.iter().enumerate() {
        let mut t = ty.as_str();
        members[0][o] = true;
        // Walk up the hierarchy; the bound stops a cyclic declaration.
        for _ in 0..=type_index.len() {
            if let Some(&ti) = type_index.get(t) {
                members[ti][o] = true;
            }
            match parent.get(t) {
                Some(&p) => t = p,
                None => break,
            }
        }
    }
    (type_index, members)
}

/// Orders positive atoms so that each shares as many variables as possible
/// with those before it (cheaper joins).
fn join_order(mut atoms: Vec<A>) -> Vec<A> {
    let mut bound = HashSet::new();
    let mut out = Vec::new();
    while !atoms.is_empty() {
        let score = |a: &A| {
            let vars: Vec<usize> = a
                .args
                .iter()
                .filter_map(|t| if let T::Var(v) = t { Some(*v) } else { None })
                .collect();
            let free = vars.iter().filter(|v| !bound.contains(*v)).count();
            (vars.len() - free, usize::MAX - free)
        };
        let best = (0..atoms.len())
            .max_by_key(|&i| score(&atoms[i]))
            .unwrap_or(0);
        let a = atoms.remove(best);
        a.args.iter().for_each(|t| {
            if let T::Var(v) = t {
                bound.insert(*v);
            }
        });
        out.push(a);
    }
    out
}

fn instantiate(args: &[T], binding: &[u32]) -> Vec<u32> {
    args.iter()
        .map(|t| match *t {
            T::Var(v) => binding[v],
            T::Obj(o) => o,
        })
        .collect()
}

mod task;
