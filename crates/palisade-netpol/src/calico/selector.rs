//! Calico's selector language (`projectcalico.org/v3`), parsed and evaluated as Calico's
//! `libcalico-go/lib/selector` does (its `tokenizer.AppendTokens`, `parser.parseOrExpression`,
//! `parseAndExpression`, `parseOperation` and the `ast.go` node `Evaluate` methods):
//!
//! - `k == 'v'` and `k in {'a', 'b'}`, `k contains 's'`, `k starts with 's'`,
//!   `k ends with 's'` need label `k` present; `k != 'v'` and `k not in {..}` also match
//!   when `k` is absent; `has(k)`; `all()` and `global()` match everything (the callers give
//!   `all()`/`global()` their namespace meaning, see [`NamespaceMeaning`]).
//! - `!` binds tightest (a run of `!` collapses to one negation of the next operation or
//!   parenthesised group), then `&&`, then `||`.
//! - Strings are quoted with `'` or `"` (no escapes); labels are `[a-zA-Z0-9_./-]+`;
//!   whitespace is spaces and tabs only. The empty selector (or only whitespace) is `all()`.
//!
//! Parsing never panics and nesting is bounded ([`MAX_DEPTH`]), so any input is safe.

use std::fmt;

/// Deepest nesting of parentheses and negations accepted; deeper input is an error rather
/// than a risk to the stack.
pub const MAX_DEPTH: usize = 64;

/// A parsed selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    root: Expr,
}

/// One node of a selector's syntax tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// `all()`, or the empty selector.
    All,
    /// `global()`.
    Global,
    /// `has(k)`.
    Has(String),
    /// `k == 'v'`.
    Eq(String, String),
    /// `k != 'v'`.
    Ne(String, String),
    /// `k in {..}`.
    In(String, Vec<String>),
    /// `k not in {..}`.
    NotIn(String, Vec<String>),
    /// `k contains 's'`.
    Contains(String, String),
    /// `k starts with 's'`.
    StartsWith(String, String),
    /// `k ends with 's'`.
    EndsWith(String, String),
    /// `!e`.
    Not(Box<Expr>),
    /// `a && b && ..`.
    And(Vec<Expr>),
    /// `a || b || ..`.
    Or(Vec<Expr>),
}

/// What `all()` and `global()` mean where a selector picks namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceMeaning {
    /// Plain label evaluation (`all()` and `global()` are both true).
    Labels,
    /// As a rule's or a GlobalNetworkPolicy's `namespaceSelector`: Calico's
    /// `getEndpointSelector` rewrites `all()` to "any namespaced endpoint" (true for every
    /// pod) and `global()` to "no namespaced endpoint" (false for every pod).
    Namespaces,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Label(String),
    Str(String),
    LBrace,
    RBrace,
    Comma,
    Eq,
    Ne,
    In,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
    All,
    Global,
    Has(String),
    Not,
    LParen,
    RParen,
    And,
    Or,
    Eof,
}

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-')
}

fn label_len(s: &str) -> usize {
    s.bytes().take_while(|&b| is_label_byte(b)).count()
}

fn trim_ws(s: &str) -> &str {
    s.trim_start_matches([' ', '\t'])
}

/// Splits the input into tokens the way Calico's tokenizer does: after a label, only an
/// operator word may follow (so `a has(b)` is an error, not two labels).
fn tokenize(input: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut rest = input;
    loop {
        rest = trim_ws(rest);
        let Some(&first) = rest.as_bytes().first() else {
            out.push(Tok::Eof);
            return Ok(out);
        };
        let after_label = matches!(out.last(), Some(Tok::Label(_)));
        let simple = match first {
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b'{' => Some(Tok::LBrace),
            b'}' => Some(Tok::RBrace),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(t) = simple {
            out.push(t);
            rest = &rest[1..];
            continue;
        }
        match first {
            b'"' | b'\'' => {
                let quote = first as char;
                let body = &rest[1..];
                let end = body.find(quote).ok_or("unterminated string")?;
                out.push(Tok::Str(body[..end].to_string()));
                rest = &body[end + 1..];
            }
            b'=' | b'&' | b'|' => {
                let two = rest.as_bytes().get(1) == Some(&first);
                let (tok, what) = match first {
                    b'=' => (Tok::Eq, "=="),
                    b'&' => (Tok::And, "&&"),
                    _ => (Tok::Or, "||"),
                };
                if !two {
                    return Err(format!("expected `{what}`"));
                }
                out.push(tok);
                rest = &rest[2..];
            }
            b'!' => {
                if rest.as_bytes().get(1) == Some(&b'=') {
                    out.push(Tok::Ne);
                    rest = &rest[2..];
                } else {
                    out.push(Tok::Not);
                    rest = &rest[1..];
                }
            }
            _ if after_label => {
                let words: [(&str, Option<&str>, Tok); 5] = [
                    ("contains", None, Tok::Contains),
                    ("starts", Some("with"), Tok::StartsWith),
                    ("ends", Some("with"), Tok::EndsWith),
                    ("not", Some("in"), Tok::NotIn),
                    ("in", None, Tok::In),
                ];
                let found = words.into_iter().find(|(w, _, _)| rest.starts_with(w));
                let Some((word, second, tok)) = found else {
                    return Err("expected an operator after a label".into());
                };
                rest = &rest[word.len()..];
                if let Some(second) = second {
                    rest = trim_ws(rest);
                    if !rest.starts_with(second) {
                        return Err(format!("expected `{word} {second}`"));
                    }
                    rest = &rest[second.len()..];
                }
                out.push(tok);
            }
            _ => {
                if let Some(inner) = rest.strip_prefix("has(") {
                    let inner = trim_ws(inner);
                    let n = label_len(inner);
                    if n == 0 {
                        return Err("no label name in `has(`".into());
                    }
                    let after = trim_ws(&inner[n..]);
                    let Some(after) = after.strip_prefix(')') else {
                        return Err("no closing `)` after `has(`".into());
                    };
                    out.push(Tok::Has(inner[..n].to_string()));
                    rest = after;
                } else if let Some((inner, tok)) = rest
                    .strip_prefix("all(")
                    .map(|r| (r, Tok::All))
                    .or_else(|| rest.strip_prefix("global(").map(|r| (r, Tok::Global)))
                {
                    let Some(after) = trim_ws(inner).strip_prefix(')') else {
                        return Err("no closing `)` after `all(` or `global(`".into());
                    };
                    out.push(tok);
                    rest = after;
                } else {
                    let n = label_len(rest);
                    if n == 0 {
                        let c = rest.chars().next().unwrap_or(' ');
                        return Err(format!("unexpected character `{c}`"));
                    }
                    out.push(Tok::Label(rest[..n].to_string()));
                    rest = &rest[n..];
                }
            }
        }
    }
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.at).unwrap_or(&Tok::Eof)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        self.at += 1;
        t
    }

    fn or(&mut self, depth: usize) -> Result<Expr, String> {
        let mut terms = vec![self.and(depth)?];
        while *self.peek() == Tok::Or {
            self.bump();
            terms.push(self.and(depth)?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Expr, String> {
        let mut terms = vec![self.operation(depth)?];
        while *self.peek() == Tok::And {
            self.bump();
            terms.push(self.operation(depth)?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    fn string(&mut self) -> Result<String, String> {
        match self.bump() {
            Tok::Str(s) => Ok(s),
            _ => Err("expected a quoted string".into()),
        }
    }

    fn operation(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_DEPTH {
            return Err(format!("nested more than {MAX_DEPTH} deep"));
        }
        let mut negated = false;
        while *self.peek() == Tok::Not {
            self.bump();
            negated = !negated;
        }
        let expr = match self.bump() {
            Tok::Has(k) => Expr::Has(k),
            Tok::All => Expr::All,
            Tok::Global => Expr::Global,
            Tok::LParen => {
                let inner = self.or(depth + 1)?;
                if self.bump() != Tok::RParen {
                    return Err("expected `)`".into());
                }
                inner
            }
            Tok::Label(k) => match self.bump() {
                Tok::Eq => Expr::Eq(k, self.string()?),
                Tok::Ne => Expr::Ne(k, self.string()?),
                Tok::Contains => Expr::Contains(k, self.string()?),
                Tok::StartsWith => Expr::StartsWith(k, self.string()?),
                Tok::EndsWith => Expr::EndsWith(k, self.string()?),
                op @ (Tok::In | Tok::NotIn) => {
                    if self.bump() != Tok::LBrace {
                        return Err("expected a set literal `{...}`".into());
                    }
                    let mut values = Vec::new();
                    while let Tok::Str(s) = self.peek().clone() {
                        self.bump();
                        values.push(s);
                        if *self.peek() != Tok::Comma {
                            break;
                        }
                        self.bump();
                    }
                    if self.bump() != Tok::RBrace {
                        return Err("expected `}`".into());
                    }
                    values.sort();
                    values.dedup();
                    if op == Tok::In {
                        Expr::In(k, values)
                    } else {
                        Expr::NotIn(k, values)
                    }
                }
                Tok::Eof => return Err("unexpected end of selector after a label".into()),
                _ => return Err(format!("expected an operator after label `{k}`")),
            },
            Tok::Eof => return Err("unexpected end of selector".into()),
            other => return Err(format!("unexpected {}", describe(&other))),
        };
        Ok(if negated {
            Expr::Not(Box::new(expr))
        } else {
            expr
        })
    }
}

fn describe(t: &Tok) -> &'static str {
    match t {
        Tok::RParen => "`)`",
        Tok::LBrace => "`{`",
        Tok::RBrace => "`}`",
        Tok::Comma => "`,`",
        Tok::And => "`&&`",
        Tok::Or => "`||`",
        Tok::Str(_) => "string",
        _ => "token",
    }
}

impl Selector {
    /// Parses a selector; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let toks = tokenize(text)?;
        if toks.first() == Some(&Tok::Eof) {
            return Ok(Selector { root: Expr::All });
        }
        let mut p = Parser { toks, at: 0 };
        let root = p.or(0)?;
        if *p.peek() != Tok::Eof {
            return Err(format!(
                "unexpected {} at end of selector",
                describe(p.peek())
            ));
        }
        Ok(Selector { root })
    }

    /// `all()`.
    pub fn all() -> Selector {
        Selector { root: Expr::All }
    }

    /// The syntax tree.
    pub fn expr(&self) -> &Expr {
        &self.root
    }

    /// Evaluates against labels given by a lookup (`None`: absent).
    pub fn matches<'a>(&self, labels: impl Fn(&str) -> Option<&'a str>) -> bool {
        eval(&self.root, &labels, NamespaceMeaning::Labels)
    }

    /// Evaluates a namespace selector against a pod's namespace labels, with `all()` and
    /// `global()` read as `meaning` says.
    pub fn matches_namespace<'a>(
        &self,
        labels: impl Fn(&str) -> Option<&'a str>,
        meaning: NamespaceMeaning,
    ) -> bool {
        eval(&self.root, &labels, meaning)
    }

    /// Is this exactly `all()` (or empty)?
    pub fn is_all(&self) -> bool {
        self.root == Expr::All
    }
}

fn eval<'a>(e: &Expr, l: &dyn Fn(&str) -> Option<&'a str>, m: NamespaceMeaning) -> bool {
    match e {
        Expr::All => true,
        Expr::Global => m == NamespaceMeaning::Labels,
        Expr::Has(k) => l(k).is_some(),
        Expr::Eq(k, v) => l(k) == Some(v.as_str()),
        Expr::Ne(k, v) => l(k) != Some(v.as_str()),
        Expr::In(k, vs) => l(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        Expr::NotIn(k, vs) => l(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
        Expr::Contains(k, s) => l(k).is_some_and(|x| x.contains(s.as_str())),
        Expr::StartsWith(k, s) => l(k).is_some_and(|x| x.starts_with(s.as_str())),
        Expr::EndsWith(k, s) => l(k).is_some_and(|x| x.ends_with(s.as_str())),
        Expr::Not(inner) => !eval(inner, l, m),
        Expr::And(es) => es.iter().all(|x| eval(x, l, m)),
        Expr::Or(es) => es.iter().any(|x| eval(x, l, m)),
    }
}

/// Calico's canonical spelling (its `collectFragments`): groups in parentheses, strings in
/// double quotes.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, &self.root)
    }
}

fn quoted(s: &str) -> String {
    if s.contains('"') {
        format!("'{s}'")
    } else {
        format!("\"{s}\"")
    }
}

fn write_expr(f: &mut fmt::Formatter<'_>, e: &Expr) -> fmt::Result {
    let set = |vs: &[String]| vs.iter().map(|v| quoted(v)).collect::<Vec<_>>().join(", ");
    match e {
        Expr::All => f.write_str("all()"),
        Expr::Global => f.write_str("global()"),
        Expr::Has(k) => write!(f, "has({k})"),
        Expr::Eq(k, v) => write!(f, "{k} == {}", quoted(v)),
        Expr::Ne(k, v) => write!(f, "{k} != {}", quoted(v)),
        Expr::In(k, vs) => write!(f, "{k} in {{{}}}", set(vs)),
        Expr::NotIn(k, vs) => write!(f, "{k} not in {{{}}}", set(vs)),
        Expr::Contains(k, v) => write!(f, "{k} contains {}", quoted(v)),
        Expr::StartsWith(k, v) => write!(f, "{k} starts with {}", quoted(v)),
        Expr::EndsWith(k, v) => write!(f, "{k} ends with {}", quoted(v)),
        Expr::Not(inner) => {
            f.write_str("!")?;
            write_expr(f, inner)
        }
        Expr::And(es) | Expr::Or(es) => {
            let op = if matches!(e, Expr::And(_)) {
                " && "
            } else {
                " || "
            };
            f.write_str("(")?;
            for (i, x) in es.iter().enumerate() {
                if i > 0 {
                    f.write_str(op)?;
                }
                write_expr(f, x)?;
            }
            f.write_str(")")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn check(sel: &str, labels: &[(&str, &str)]) -> bool {
        let map: BTreeMap<&str, &str> = labels.iter().copied().collect();
        Selector::parse(sel)
            .unwrap_or_else(|e| panic!("{sel}: {e}"))
            .matches(|k| map.get(k).copied())
    }

    #[test]
    fn operators_follow_calico() {
        let l = [("app", "web-frontend"), ("tier", "fe")];
        let table: &[(&str, bool)] = &[
            ("", true),
            ("all()", true),
            ("app == 'web-frontend'", true),
            ("app == \"web\"", false),
            ("app != 'web'", true),
            ("missing != 'x'", true),
            ("missing == 'x'", false),
            ("app in {'a', 'web-frontend'}", true),
            ("app in {}", false),
            ("missing not in {'a'}", true),
            ("app not in {'web-frontend'}", false),
            ("has(app)", true),
            ("!has(app)", false),
            ("! has(missing)", true),
            ("app contains 'front'", true),
            ("missing contains ''", false),
            ("app starts with 'web'", true),
            ("app ends with 'end'", true),
            ("app ends with 'web'", false),
            ("has(tier) && app == 'x' || tier == 'fe'", true),
            ("has(tier) && (app == 'x' || tier == 'be')", false),
            ("!app == 'x'", true),
            ("!!has(app)", true),
            ("!(has(app) && has(tier))", false),
            ("global()", true),
            ("tier=='fe'&&has( app )", true),
        ];
        for &(sel, want) in table {
            assert_eq!(check(sel, &l), want, "{sel}");
        }
    }

    #[test]
    fn bad_selectors_are_errors() {
        for bad in [
            "app = 'x'",
            "app == x",
            "app == 'x",
            "has(app",
            "has()",
            "app",
            "app has(x)",
            "(has(a)",
            "has(a))",
            "a in {'x'",
            "a in 'x'",
            "a starts 'x'",
            "&& has(a)",
            "has(a) &&",
            "a == 'x' b == 'y'",
            "a\n== 'x'",
            "all(x)",
        ] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}has(a){}", "(".repeat(200), ")".repeat(200));
        assert!(Selector::parse(&deep).is_err());
        let ok = format!("{}has(a){}", "(".repeat(20), ")".repeat(20));
        assert!(Selector::parse(&ok).is_ok());
    }

    #[test]
    fn namespace_meaning_of_all_and_global() {
        let s = Selector::parse("global()").unwrap();
        assert!(!s.matches_namespace(|_| None, NamespaceMeaning::Namespaces));
        let s = Selector::parse("all()").unwrap();
        assert!(s.matches_namespace(|_| None, NamespaceMeaning::Namespaces));
        assert_eq!(
            Selector::parse("a in {'y','x'} && !has(b) || c != 'z'")
                .unwrap()
                .to_string(),
            "((a in {\"x\", \"y\"} && !has(b)) || c != \"z\")"
        );
    }
}
