//! The lifted STRIPS task as read from PDDL, and the parsing of the pieces
//! domains and problems share: typed lists, atoms and conjunctive conditions.

use std::collections::HashMap;

use super::sexpr::{err, Located, Pos, Sexp};

/// A predicate declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Predicate {
    /// Its name.
    pub name: String,
    /// The type of each argument.
    pub types: Vec<String>,
}

/// An argument: a parameter (by index) or an object/constant (by name).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    /// The `i`-th parameter of the action.
    Var(usize),
    /// A constant or object.
    Const(String),
}

/// A predicate applied to terms.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Atom {
    /// Index into the domain's predicates.
    pub pred: usize,
    /// The arguments.
    pub args: Vec<Term>,
}

/// A literal of a conjunctive condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// `atom` or `(not atom)`.
    Atom {
        /// The atom.
        atom: Atom,
        /// False for `(not ...)`.
        positive: bool,
    },
    /// `(= a b)` or `(not (= a b))`.
    Equal {
        /// Left side.
        left: Term,
        /// Right side.
        right: Term,
        /// False for `(not (= ...))`.
        positive: bool,
    },
}

/// An action schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    /// Its name.
    pub name: String,
    /// (variable name, type) of each parameter.
    pub params: Vec<(String, String)>,
    /// The precondition, a conjunction.
    pub pre: Vec<Literal>,
    /// Add effects.
    pub add: Vec<Atom>,
    /// Delete effects.
    pub del: Vec<Atom>,
}

/// A PDDL domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain {
    /// Its name.
    pub name: String,
    /// (type, parent type) pairs; `object` is the root.
    pub types: Vec<(String, String)>,
    /// (name, type) of each constant.
    pub constants: Vec<(String, String)>,
    /// The predicates.
    pub predicates: Vec<Predicate>,
    /// The action schemas.
    pub schemas: Vec<Schema>,
}

impl Domain {
    /// The index of predicate `name`.
    pub fn predicate(&self, name: &str) -> Option<usize> {
        self.predicates.iter().position(|p| p.name == name)
    }
}

/// A PDDL problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Its name.
    pub name: String,
    /// (name, type) of each object.
    pub objects: Vec<(String, String)>,
    /// The true atoms of the initial state (arguments are constants).
    pub init: Vec<Atom>,
    /// The goal, a conjunction over constants.
    pub goal: Vec<Literal>,
}

/// Reads `a b - t c - u d` into (name, type) pairs (untyped names get `object`).
pub fn typed_list(items: &[Sexp], what: &str) -> Result<Vec<(String, String)>, Located> {
    let mut out = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let text = items[i].atom(what)?;
        if text == "-" {
            let Some(ty) = items.get(i + 1) else {
                return err(items[i].pos(), "expected a type after `-`");
            };
            if ty.head() == Some("either") {
                return err(ty.pos(), "`either` types are not supported");
            }
            let ty = ty.atom("a type name")?;
            if pending.is_empty() {
                return err(items[i].pos(), format!("`- {ty}` follows no {what}"));
            }
            out.extend(pending.drain(..).map(|n| (n, ty.to_string())));
            i += 2;
        } else {
            pending.push(text.to_string());
            i += 1;
        }
    }
    out.extend(pending.into_iter().map(|n| (n, "object".to_string())));
    Ok(out)
}

/// What names mean while parsing a condition or effect.
pub struct Scope<'a> {
    /// The domain's predicates.
    pub predicates: &'a [Predicate],
    /// Parameter name -> index.
    pub vars: HashMap<String, usize>,
    /// Known constants/objects.
    pub constants: &'a HashMap<String, String>,
}

impl Scope<'_> {
    fn term(&self, e: &Sexp) -> Result<Term, Located> {
        let name = e.atom("a variable or constant")?;
        if name.starts_with('?') {
            return match self.vars.get(name) {
                Some(&i) => Ok(Term::Var(i)),
                None => err(
                    e.pos(),
                    format!("unknown variable `{name}`: not a parameter of this action"),
                ),
            };
        }
        if !self.constants.contains_key(name) {
            return err(e.pos(), format!("unknown constant or object `{name}`"));
        }
        Ok(Term::Const(name.to_string()))
    }

    /// Reads `(pred t1 ... tn)`, checking the predicate and its arity.
    pub fn atom(&self, e: &Sexp) -> Result<Atom, Located> {
        let items = e.as_list("an atom `(predicate ...)`")?;
        let Some(head) = items.first() else {
            return err(e.pos(), "expected an atom, found `()`");
        };
        let name = head.atom("a predicate name")?;
        let Some(pred) = self.predicates.iter().position(|p| p.name == name) else {
            return err(head.pos(), format!("unknown predicate `{name}`"));
        };
        let arity = self.predicates[pred].types.len();
        if items.len() - 1 != arity {
            return err(
                e.pos(),
                format!(
                    "`{name}` takes {arity} argument(s), found {}",
                    items.len() - 1
                ),
            );
        }
        let args = items[1..]
            .iter()
            .map(|t| self.term(t))
            .collect::<Result<_, _>>()?;
        Ok(Atom { pred, args })
    }

    /// Reads a conjunction of literals (`and`, `not`, atoms, `=`) into `out`.
    pub fn condition(&self, e: &Sexp, out: &mut Vec<Literal>) -> Result<(), Located> {
        let items = e.as_list("a condition")?;
        match e.head() {
            None if items.is_empty() => Ok(()),
            Some("and") => items[1..].iter().try_for_each(|c| self.condition(c, out)),
            Some("not") => {
                let [_, inner] = items else {
                    return err(e.pos(), "`not` takes exactly one atom");
                };
                out.push(self.literal(inner, false)?);
                Ok(())
            }
            Some(kw @ ("or" | "imply" | "exists" | "forall" | "when")) => err(
                e.pos(),
                format!("`{kw}` is not supported: only conjunctions of literals (STRIPS)"),
            ),
            _ => {
                out.push(self.literal(e, true)?);
                Ok(())
            }
        }
    }

    fn literal(&self, e: &Sexp, positive: bool) -> Result<Literal, Located> {
        if e.head() == Some("=") {
            let items = e.as_list("an equality")?;
            let [_, l, r] = items else {
                return err(e.pos(), "`=` takes exactly two arguments");
            };
            return Ok(Literal::Equal {
                left: self.term(l)?,
                right: self.term(r)?,
                positive,
            });
        }
        if let Some(kw @ ("and" | "not" | "or")) = e.head() {
            return err(
                e.pos(),
                format!("`{kw}` inside `not` is not supported (STRIPS literals only)"),
            );
        }
        Ok(Literal::Atom {
            atom: self.atom(e)?,
            positive,
        })
    }

    /// Reads an effect: a conjunction of atoms and negated atoms.
    pub fn effect(
        &self,
        e: &Sexp,
        add: &mut Vec<Atom>,
        del: &mut Vec<Atom>,
    ) -> Result<(), Located> {
        let items = e.as_list("an effect")?;
        match e.head() {
            None if items.is_empty() => Ok(()),
            Some("and") => items[1..].iter().try_for_each(|c| self.effect(c, add, del)),
            Some("not") => {
                let [_, inner] = items else {
                    return err(e.pos(), "`not` takes exactly one atom");
                };
                del.push(self.atom(inner)?);
                Ok(())
            }
            Some(kw @ ("forall" | "when" | "increase" | "decrease" | "assign")) => err(
                e.pos(),
                format!("`{kw}` effects are not supported: only adds and deletes (STRIPS)"),
            ),
            _ => {
                add.push(self.atom(e)?);
                Ok(())
            }
        }
    }
}

/// The position of a section's first item, for errors about the section.
pub fn section_pos(items: &[Sexp], fallback: Pos) -> Pos {
    items.first().map_or(fallback, Sexp::pos)
}
