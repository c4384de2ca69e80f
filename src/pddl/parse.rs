//! Reading domain and problem files into the lifted task ([`Domain`], [`Problem`]).
//! Supported: STRIPS with `:typing`, `:negative-preconditions`, `:equality`,
//! constants and objects. Anything else is an error at its line and column.

use std::collections::{HashMap, HashSet};

use super::ast::{section_pos, typed_list, Domain, Predicate, Problem, Schema, Scope};
use super::sexpr::{err, parse_one, Located, Sexp};

/// Checks `(define (KIND name) ...)` and returns the name and the sections.
fn definition<'a>(top: &'a Sexp, kind: &str) -> Result<(String, &'a [Sexp]), Located> {
    let items = top.as_list("`(define ...)`")?;
    if items.first().and_then(Sexp::as_atom) != Some("define") {
        return err(top.pos(), "expected `(define ...)`");
    }
    let Some(header) = items.get(1) else {
        return err(
            top.pos(),
            format!("expected `({kind} NAME)` after `define`"),
        );
    };
    match header.as_list(&format!("`({kind} NAME)`"))? {
        [k, name] if k.as_atom() == Some(kind) => {
            Ok((name.atom("a name")?.to_string(), &items[2..]))
        }
        _ => err(header.pos(), format!("expected `({kind} NAME)`")),
    }
}

/// Parses a domain file's text.
pub fn read_domain(text: &str) -> Result<Domain, Located> {
    let top = parse_one(text)?;
    let (name, sections) = definition(&top, "domain")?;
    let mut domain = Domain {
        name,
        types: Vec::new(),
        constants: Vec::new(),
        predicates: Vec::new(),
        schemas: Vec::new(),
    };
    let mut actions = Vec::new();
    let (mut predicate_pos, mut constants_pos) = (Vec::new(), top.pos());
    for section in sections {
        let items = section.as_list("a section such as `(:predicates ...)`")?;
        let rest = &items[1.min(items.len())..];
        match section.head() {
            Some(":requirements") => {}
            Some(":types") => domain.types = typed_list(rest, "type name")?,
            Some(":constants") => {
                domain.constants = typed_list(rest, "constant")?;
                constants_pos = section.pos();
            }
            Some(":predicates") => {
                domain.predicates = rest.iter().map(predicate).collect::<Result<_, _>>()?;
                predicate_pos = rest.iter().map(Sexp::pos).collect();
            }
            Some(":action") => actions.push(section),
            Some(other) => {
                return err(
                    section.pos(),
                    format!("the section `{other}` is not supported (STRIPS only)"),
                )
            }
            None => {
                return err(
                    section.pos(),
                    "expected a section such as `(:predicates ...)`",
                )
            }
        }
    }
    let known = known_types(&domain);
    for (_, ty) in &domain.constants {
        check_type(&known, "constant", ty, constants_pos)?;
    }
    for (p, &pos) in domain.predicates.iter().zip(&predicate_pos) {
        for t in &p.types {
            check_type(&known, "predicate argument", t, pos)?;
        }
    }
    add_schemas(&mut domain, &actions, &known)?;
    Ok(domain)
}

/// Reads the `(:action ...)` sections into `domain.schemas`.
fn add_schemas(
    domain: &mut Domain,
    actions: &[&Sexp],
    known: &HashSet<String>,
) -> Result<(), Located> {
    let constants: HashMap<String, String> = domain.constants.iter().cloned().collect();
    for a in actions {
        let schema = schema(a, &domain.predicates, &constants)?;
        for (_, t) in &schema.params {
            check_type(known, "parameter", t, a.pos())?;
        }
        if domain.schemas.iter().any(|s| s.name == schema.name) {
            return err(
                a.pos(),
                format!("the action `{}` is defined twice", schema.name),
            );
        }
        domain.schemas.push(schema);
    }
    Ok(())
}

fn known_types(domain: &Domain) -> HashSet<String> {
    let mut known: HashSet<String> = domain
        .types
        .iter()
        .flat_map(|(t, p)| [t.clone(), p.clone()])
        .collect();
    known.insert("object".into());
    known
}

fn check_type(
    known: &HashSet<String>,
    what: &str,
    ty: &str,
    pos: super::sexpr::Pos,
) -> Result<(), Located> {
    if known.contains(ty) {
        Ok(())
    } else {
        err(
            pos,
            format!("unknown type `{ty}` of a {what}: declare it in `(:types ...)`"),
        )
    }
}

fn predicate(e: &Sexp) -> Result<Predicate, Located> {
    let items = e.as_list("a predicate declaration `(name ?x ...)`")?;
    let Some(head) = items.first() else {
        return err(e.pos(), "empty predicate declaration");
    };
    let params = typed_list(&items[1..], "variable")?;
    Ok(Predicate {
        name: head.atom("a predicate name")?.to_string(),
        types: params.into_iter().map(|(_, t)| t).collect(),
    })
}

fn schema(
    e: &Sexp,
    predicates: &[Predicate],
    constants: &HashMap<String, String>,
) -> Result<Schema, Located> {
    let items = e.as_list("an action")?;
    let Some(name) = items.get(1) else {
        return err(e.pos(), "expected the action's name after `:action`");
    };
    let mut schema = Schema {
        name: name.atom("an action name")?.to_string(),
        params: Vec::new(),
        pre: Vec::new(),
        add: Vec::new(),
        del: Vec::new(),
    };
    let mut fields = HashMap::new();
    let mut i = 2;
    while i < items.len() {
        let key = items[i].atom("`:parameters`, `:precondition` or `:effect`")?;
        let Some(value) = items.get(i + 1) else {
            return err(items[i].pos(), format!("`{key}` has no value"));
        };
        if !matches!(key, ":parameters" | ":precondition" | ":effect") {
            return err(items[i].pos(), format!("unexpected `{key}` in an action"));
        }
        fields.insert(key, value);
        i += 2;
    }
    if let Some(p) = fields.get(":parameters") {
        schema.params = typed_list(p.as_list("a parameter list")?, "variable")?;
        if let Some((v, _)) = schema.params.iter().find(|(v, _)| !v.starts_with('?')) {
            return err(p.pos(), format!("parameter `{v}` must start with `?`"));
        }
    }
    let scope = Scope {
        predicates,
        vars: schema
            .params
            .iter()
            .enumerate()
            .map(|(i, (v, _))| (v.clone(), i))
            .collect(),
        constants,
    };
    if let Some(pre) = fields.get(":precondition") {
        scope.condition(pre, &mut schema.pre)?;
    }
    if let Some(eff) = fields.get(":effect") {
        scope.effect(eff, &mut schema.add, &mut schema.del)?;
    }
    Ok(schema)
}

/// Parses a problem file's text for `domain`.
pub fn read_problem(text: &str, domain: &Domain) -> Result<Problem, Located> {
    let top = parse_one(text)?;
    let (name, sections) = definition(&top, "problem")?;
    let mut problem = Problem {
        name,
        objects: Vec::new(),
        init: Vec::new(),
        goal: Vec::new(),
    };
    let mut init = None;
    let mut goal = None;
    for section in sections {
        let items = section.as_list("a section such as `(:init ...)`")?;
        let rest = &items[1.min(items.len())..];
        match section.head() {
            Some(":domain") => check_domain_name(rest, domain, section)?,
            Some(":requirements") => {}
            Some(":objects") => problem.objects = typed_list(rest, "object")?,
            Some(":init") => init = Some(rest),
            Some(":goal") => goal = Some(section),
            Some(other) => {
                return err(
                    section.pos(),
                    format!("the section `{other}` is not supported (STRIPS only)"),
                )
            }
            None => return err(section.pos(), "expected a section such as `(:init ...)`"),
        }
    }
    let known = known_types(domain);
    let mut constants: HashMap<String, String> = domain.constants.iter().cloned().collect();
    for (o, t) in &problem.objects {
        check_type(&known, "object", t, top.pos())?;
        constants.insert(o.clone(), t.clone());
    }
    let scope = Scope {
        predicates: &domain.predicates,
        vars: HashMap::new(),
        constants: &constants,
    };
    let Some(goal) = goal else {
        return err(top.pos(), "the problem has no `(:goal ...)`");
    };
    read_init_and_goal(&scope, init.unwrap_or_default(), goal, &mut problem)?;
    Ok(problem)
}

fn read_init_and_goal(
    scope: &Scope,
    init: &[Sexp],
    goal: &Sexp,
    problem: &mut Problem,
) -> Result<(), Located> {
    for e in init {
        if e.head() == Some("=") {
            return err(
                e.pos(),
                "numeric fluents in `:init` are not supported (STRIPS only)",
            );
        }
        problem.init.push(scope.atom(e)?);
    }
    match goal.as_list("a goal")? {
        [_, g] => scope.condition(g, &mut problem.goal),
        items => err(
            section_pos(items, goal.pos()),
            "`:goal` takes exactly one condition",
        ),
    }
}

fn check_domain_name(rest: &[Sexp], domain: &Domain, section: &Sexp) -> Result<(), Located> {
    match rest {
        [n] if n.as_atom() == Some(domain.name.as_str()) => Ok(()),
        [n] => err(
            n.pos(),
            format!(
                "this problem is for domain `{}`, but the domain file defines `{}`",
                n.atom("a name")?,
                domain.name
            ),
        ),
        _ => err(section.pos(), "expected `(:domain NAME)`"),
    }
}
