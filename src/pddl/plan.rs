//! Plan files in Fast Downward's format (`(action arg ...)` per line, `;`
//! comments, `; cost = N (unit cost)` at the end), and a validator that
//! replays a plan on the lifted task: it trusts no grounding, so it also
//! checks plans of other planners and our own grounder.

use std::collections::{HashMap, HashSet};

use super::ast::{Atom, Domain, Literal, Problem, Schema, Term};
use super::sexpr::{err, Located, Pos};
use crate::symbolic::StripsTask;

/// One step of a plan file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanStep {
    /// The action's name (lower case).
    pub name: String,
    /// Its arguments (lower case).
    pub args: Vec<String>,
    /// The line of the file it was on.
    pub line: usize,
}

/// Reads a plan file's text.
pub fn read_plan(text: &str) -> Result<Vec<PlanStep>, Located> {
    let mut steps = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(';').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let pos = Pos {
            line: i + 1,
            column: raw.len() - raw.trim_start().len() + 1,
        };
        let Some(inner) = line.strip_prefix('(').and_then(|l| l.strip_suffix(')')) else {
            return err(pos, format!("expected `(action arg ...)`, found `{line}`"));
        };
        let mut words = inner.split_whitespace().map(str::to_lowercase);
        let Some(name) = words.next() else {
            return err(pos, "empty step `()`");
        };
        steps.push(PlanStep {
            name,
            args: words.collect(),
            line: i + 1,
        });
    }
    Ok(steps)
}

/// The plan file of `ops` (action indices of `task`), as Fast Downward writes it.
pub fn format_plan(task: &StripsTask, ops: &[u32]) -> String {
    let actions = task.model.actions();
    let mut out = String::new();
    let mut cost = 0u64;
    for &op in ops {
        if let Some(a) = actions.get(op as usize) {
            out.push('(');
            out.push_str(&a.name);
            out.push_str(")\n");
            cost += u64::from(a.cost);
        }
    }
    out.push_str(&format!("; cost = {cost} (unit cost)\n"));
    out
}

/// A plan that replays and reaches the goal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validation {
    /// Number of steps (= its cost; all actions cost 1).
    pub steps: usize,
}

type Fact = (usize, Vec<String>);

/// Replays `steps` from the initial state of `problem` and checks the goal.
/// Errors point at the plan line of the failing step.
pub fn validate_plan(
    domain: &Domain,
    problem: &Problem,
    steps: &[PlanStep],
) -> Result<Validation, Located> {
    let objects = Objects::new(domain, problem);
    let mut state: HashSet<Fact> = problem.init.iter().map(|a| ground(a, &[])).collect();
    for step in steps {
        let schema = objects.schema_of(domain, step)?;
        if let Some(lit) = schema.pre.iter().find(|l| !holds(l, &step.args, &state)) {
            let why = format!(
                "step {} is not applicable: its precondition {} is false",
                show_step(step),
                show(domain, lit, &step.args)
            );
            return err(
                Pos {
                    line: step.line,
                    column: 1,
                },
                why,
            );
        }
        for a in &schema.del {
            state.remove(&ground(a, &step.args));
        }
        for a in &schema.add {
            state.insert(ground(a, &step.args));
        }
    }
    if let Some(lit) = problem.goal.iter().find(|l| !holds(l, &[], &state)) {
        let line = steps.last().map_or(1, |s| s.line);
        let why = format!(
            "the plan ends in a state where the goal {} is false",
            show(domain, lit, &[])
        );
        return err(Pos { line, column: 1 }, why);
    }
    Ok(Validation { steps: steps.len() })
}

/// The objects' types and the type hierarchy, for checking arguments.
struct Objects<'a> {
    types: HashMap<&'a str, &'a str>,
    parents: HashMap<&'a str, &'a str>,
}

impl<'a> Objects<'a> {
    fn new(domain: &'a Domain, problem: &'a Problem) -> Self {
        let all = domain.constants.iter().chain(&problem.objects);
        Self {
            types: all.map(|(o, t)| (o.as_str(), t.as_str())).collect(),
            parents: domain
                .types
                .iter()
                .map(|(t, p)| (t.as_str(), p.as_str()))
                .collect(),
        }
    }

    /// The schema `step` names, after checking its arguments' number and types.
    fn schema_of<'d>(&self, domain: &'d Domain, step: &PlanStep) -> Result<&'d Schema, Located> {
        let pos = Pos {
            line: step.line,
            column: 1,
        };
        let Some(schema) = domain.schemas.iter().find(|s| s.name == step.name) else {
            let why = format!(
                "`{}` is not an action of domain `{}`",
                step.name, domain.name
            );
            return err(pos, why);
        };
        if schema.params.len() != step.args.len() {
            let (want, got) = (schema.params.len(), step.args.len());
            return err(
                pos,
                format!(
                    "`{}` takes {want} argument(s), the plan gives {got}",
                    step.name
                ),
            );
        }
        for ((var, ty), arg) in schema.params.iter().zip(&step.args) {
            let Some(&obj_ty) = self.types.get(arg.as_str()) else {
                return err(pos, format!("unknown object `{arg}`"));
            };
            if !is_subtype(obj_ty, ty, &self.parents) {
                let why = format!(
                    "`{arg}` is a {obj_ty}, but {var} of `{}` must be a {ty}",
                    step.name
                );
                return err(pos, why);
            }
        }
        Ok(schema)
    }
}

fn is_subtype<'a>(mut t: &'a str, target: &str, parents: &HashMap<&'a str, &'a str>) -> bool {
    for _ in 0..=parents.len() {
        if t == target || target == "object" {
            return true;
        }
        match parents.get(t) {
            Some(p) => t = p,
            None => return false,
        }
    }
    false
}

fn value(t: &Term, args: &[String]) -> String {
    match t {
        Term::Var(i) => args.get(*i).cloned().unwrap_or_default(),
        Term::Const(c) => c.clone(),
    }
}

fn ground(a: &Atom, args: &[String]) -> Fact {
    (a.pred, a.args.iter().map(|t| value(t, args)).collect())
}

fn holds(lit: &Literal, args: &[String], state: &HashSet<Fact>) -> bool {
    match lit {
        Literal::Atom { atom, positive } => state.contains(&ground(atom, args)) == *positive,
        Literal::Equal {
            left,
            right,
            positive,
        } => (value(left, args) == value(right, args)) == *positive,
    }
}

fn show_step(step: &PlanStep) -> String {
    let mut s = format!("({}", step.name);
    step.args.iter().for_each(|a| s.push_str(&format!(" {a}")));
    s + ")"
}

fn show(domain: &Domain, lit: &Literal, args: &[String]) -> String {
    let (text, positive) = match lit {
        Literal::Atom { atom, positive } => {
            let (pred, objs) = ground(atom, args);
            let name = domain.predicates.get(pred).map_or("?", |p| p.name.as_str());
            (
                format!(
                    "({name}{})",
                    objs.iter().map(|o| format!(" {o}")).collect::<String>()
                ),
                *positive,
            )
        }
        Literal::Equal {
            left,
            right,
            positive,
        } => (
            format!("(= {} {})", value(left, args), value(right, args)),
            *positive,
        ),
    };
    if positive {
        text
    } else {
        format!("(not {text})")
    }
}
