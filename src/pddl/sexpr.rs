//! S-expressions with source positions: the lexical layer of the PDDL reader.
//! Atoms are lower-cased (PDDL is case-insensitive); `;` starts a comment.

use std::fmt;

/// A 1-based line and column in a source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column (in characters), from 1.
    pub column: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A syntax error at a position (the file is added by the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// Where.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

/// Builds a [`Located`] error.
pub fn err<T>(pos: Pos, message: impl Into<String>) -> Result<T, Located> {
    Err(Located {
        pos,
        message: message.into(),
    })
}

/// An atom or a parenthesized list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sexp {
    /// A token, lower-cased.
    Atom(String, Pos),
    /// `( ... )`, with the position of its opening parenthesis.
    List(Vec<Sexp>, Pos),
}

impl Sexp {
    /// Where this expression starts.
    pub fn pos(&self) -> Pos {
        match self {
            Sexp::Atom(_, p) | Sexp::List(_, p) => *p,
        }
    }

    /// The atom's text, if an atom.
    pub fn as_atom(&self) -> Option<&str> {
        match self {
            Sexp::Atom(s, _) => Some(s),
            Sexp::List(..) => None,
        }
    }

    /// The list's items, or an error naming `what` was expected.
    pub fn as_list(&self, what: &str) -> Result<&[Sexp], Located> {
        match self {
            Sexp::List(items, _) => Ok(items),
            Sexp::Atom(a, p) => err(*p, format!("expected {what}, found `{a}`")),
        }
    }

    /// The atom's text, or an error naming `what` was expected.
    pub fn atom(&self, what: &str) -> Result<&str, Located> {
        match self {
            Sexp::Atom(s, _) => Ok(s),
            Sexp::List(_, p) => err(*p, format!("expected {what}, found a list")),
        }
    }

    /// The head atom of a list (`and` in `(and ...)`), if any.
    pub fn head(&self) -> Option<&str> {
        match self {
            Sexp::List(items, _) => items.first().and_then(Sexp::as_atom),
            Sexp::Atom(..) => None,
        }
    }
}

/// Parses the whole text, which must hold exactly one list.
pub fn parse_one(text: &str) -> Result<Sexp, Located> {
    let mut stack: Vec<(Vec<Sexp>, Pos)> = Vec::new();
    let mut top: Option<Sexp> = None;
    let mut chars = text.chars().peekable();
    let mut pos = Pos { line: 1, column: 1 };
    let mut token = String::new();
    let mut token_pos = pos;
    while let Some(c) = chars.next() {
        let here = pos;
        if c == '\n' {
            pos = Pos {
                line: pos.line + 1,
                column: 1,
            };
        } else {
            pos.column += 1;
        }
        let delimiter = c.is_whitespace() || c == '(' || c == ')' || c == ';';
        if delimiter && !token.is_empty() {
            add(
                &mut stack,
                &mut top,
                Sexp::Atom(std::mem::take(&mut token), token_pos),
            )?;
        }
        match c {
            '(' => stack.push((Vec::new(), here)),
            ')' => {
                let Some((items, open)) = stack.pop() else {
                    return err(here, "unmatched `)`");
                };
                add(&mut stack, &mut top, Sexp::List(items, open))?;
            }
            ';' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            c if c.is_whitespace() => {}
            c => {
                if token.is_empty() {
                    token_pos = here;
                }
                token.extend(c.to_lowercase());
            }
        }
    }
    if !token.is_empty() {
        add(&mut stack, &mut top, Sexp::Atom(token, token_pos))?;
    }
    if let Some((_, open)) = stack.last() {
        return err(*open, "this `(` is never closed");
    }
    top.ok_or(Located {
        pos,
        message: "the file is empty: expected `(define ...)`".into(),
    })
}

fn add(stack: &mut [(Vec<Sexp>, Pos)], top: &mut Option<Sexp>, e: Sexp) -> Result<(), Located> {
    match stack.last_mut() {
        Some((items, _)) => items.push(e),
        None if top.is_none() => *top = Some(e),
        None => {
            return err(
                e.pos(),
                "unexpected text after the closing `)` of the definition",
            )
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_lists_with_positions_and_comments() {
        let e = parse_one("; hello\n(define (Domain X) ; c\n  (:a ?b))").unwrap();
        let Sexp::List(items, p) = &e else {
            panic!("not a list")
        };
        assert_eq!(*p, Pos { line: 2, column: 1 });
        assert_eq!(
            items[1],
            Sexp::List(
                vec![
                    Sexp::Atom(
                        "domain".into(),
                        Pos {
                            line: 2,
                            column: 10
                        }
                    ),
                    Sexp::Atom(
                        "x".into(),
                        Pos {
                            line: 2,
                            column: 17
                        }
                    )
                ],
                Pos { line: 2, column: 9 }
            )
        );
        assert_eq!(items[2].head(), Some(":a"));
    }

    #[test]
    fn reports_unbalanced_parentheses_where_they_are() {
        assert_eq!(
            parse_one("(a\n (b)").unwrap_err().pos,
            Pos { line: 1, column: 1 }
        );
        assert_eq!(
            parse_one("(a))").unwrap_err().pos,
            Pos { line: 1, column: 4 }
        );
        assert_eq!(
            parse_one("(a) (b)").unwrap_err().pos,
            Pos { line: 1, column: 5 }
        );
        assert!(parse_one("  ; nothing\n").is_err());
    }
}
