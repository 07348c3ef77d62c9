//! What of `input` a Rego policy can read: the basis of the decision cache
//! ([`crate::decision_cache`]).
//!
//! Found by walking the syntax tree of every module the engine compiled. Each reference to
//! `input` gives a path: its literal fields (`.name`, `["name"]`) up to the first computed
//! index, and the policy may read anything below it (`input.review.object.spec.
//! containers[_].image` reads the whole `containers` array). Two calls narrow a reference
//! passed as an argument: `object.get(input, "parameters", d)` reads `parameters`, and a
//! user function reads of its argument what its bodies read of the parameter
//! (`is_update(input.review)` reads `review.operation`).
//!
//! The answer is [`InputReads::Anything`] when no bound can be given: `input` used as a
//! whole, `with input...`, a call of a built-in whose answer is not a function of its
//! arguments (time, randomness, the network), or a count of `input` tokens in the text
//! that differs from the references the walk found (a construct the walk does not know).
//! Over-approximating is always safe: a wider read set only makes the cache miss.

use std::collections::HashMap;

use regorus::unstable::{Expr, Literal, LiteralStmt, Module, Query, Ref, Rule, RuleHead, BUILTINS};
use regorus::unstable::{Lexer, TokenKind};
use regorus::Value;

/// The parts of `input` a policy may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputReads {
    /// Only these subtrees.
    Paths(ReadSet),
    /// Anything, or the answer depends on more than `input` and `data`: not cacheable.
    Anything(String),
}

/// Paths below `input` (each a list of fields).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadSet {
    /// Subtrees the policy may read anywhere (sorted; none is below another).
    pub paths: Vec<Vec<String>>,
    /// Values the policy reads only into the message of a violation of its entry package
    /// (`msg := sprintf("...%v...", [input.review.object.metadata.name])`, `msg` used
    /// nowhere else in the body): whether there is a violation depends only on whether they
    /// are defined, not on what they are. Disjoint from `paths` and not below any of them.
    pub message_only: Vec<Vec<String>>,
}

/// Built-ins whose result is not a function of their arguments. Most are not compiled into
/// Palisade's regorus; listed so that a future feature cannot make a cached answer wrong.
const IMPURE: [&str; 8] = [
    "time.now_ns",
    "rand.intn",
    "uuid.rfc4122",
    "http.send",
    "net.lookup_ip_addr",
    "opa.runtime",
    // ECDSA signatures take a random nonce.
    "io.jwt.encode_sign",
    "io.jwt.encode_sign_raw",
];

/// Reads relative to one variable (`input`, or a function parameter).
#[derive(Debug, Clone, Default)]
pub(super) enum Rel {
    #[default]
    Nothing,
    Paths(Vec<Vec<String>>),
    Whole,
}

impl Rel {
    pub(super) fn add(&mut self, path: Vec<String>) {
        if path.is_empty() {
            *self = Rel::Whole;
            return;
        }
        match self {
            Rel::Whole => {}
            Rel::Paths(p) => p.push(path),
            Rel::Nothing => *self = Rel::Paths(vec![path]),
        }
    }

    /// Adds `inner` as read below `prefix`.
    fn add_below(&mut self, prefix: &[String], inner: &Rel) {
        match inner {
            Rel::Nothing => {}
            Rel::Whole => self.add(prefix.to_vec()),
            Rel::Paths(paths) => {
                for p in paths {
                    self.add([prefix, p].concat());
                }
            }
        }
    }
}

/// The reads of the policy made of `modules` (an engine's, see `Engine::get_modules`) whose
/// answer is the rule `violation` of package `entry` (`data.k8spspprivileged`).
pub fn input_reads(modules: &[Ref<Module>], entry: &str) -> InputReads {
    let mut tokens = 0;
    for m in modules {
        match count_input_tokens(m) {
            Ok(n) => tokens += n,
            Err(e) => return InputReads::Anything(format!("a module cannot be read: {e}")),
        }
    }
    let mut walker = Walker::new(modules);
    let mut reads = Rel::Nothing;
    let mut messages = Rel::Nothing;
    for m in modules {
        for import in &m.imports {
            walker.expr(&import.refr, INPUT, &mut reads);
        }
        let is_entry = dotted_name(&m.package.refr)
            .is_some_and(|p| entry.strip_prefix("data.") == Some(p.as_str()));
        for rule in &m.policy {
            if is_entry && messages::is_violation(rule) {
                walker.violation_rule(rule, &mut reads, &mut messages);
            } else {
                walker.rule(rule, INPUT, &mut reads, false);
            }
        }
    }
    if let Some(call) = walker.impure {
        return InputReads::Anything(format!("calls {call}"));
    }
    if walker.with_input {
        return InputReads::Anything("replaces input with `with`".into());
    }
    if walker.input_refs != tokens {
        return InputReads::Anything(format!(
            "{tokens} `input` tokens but {} references understood",
            walker.input_refs
        ));
    }
    let paths = match reads {
        Rel::Whole => return InputReads::Anything("uses `input` as a whole".into()),
        Rel::Nothing => Vec::new(),
        Rel::Paths(p) => minimal(p),
    };
    let mut read = ReadSet {
        paths,
        message_only: Vec::new(),
    };
    if let Rel::Paths(p) = messages {
        for m in minimal(p) {
            // A value also read elsewhere (or next to a path read elsewhere) is a path.
            if read
                .paths
                .iter()
                .any(|q| m.starts_with(q) || q.starts_with(&m))
            {
                read.paths.push(m);
            } else {
                read.message_only.push(m);
            }
        }
        read.paths = minimal(std::mem::take(&mut read.paths));
    }
    InputReads::Paths(read)
}

/// The most paths a function's parameter may be read at before the whole argument counts.
const MAX_ARGUMENT_PATHS: usize = 64;

pub(super) const INPUT: &str = "input";

fn count_input_tokens(module: &Module) -> anyhow::Result<usize> {
    let source = &module.package.span.source;
    let mut lexer = Lexer::new(source);
    let mut n = 0;
    loop {
        let token = lexer.next_token()?;
        match token.0 {
            TokenKind::Eof => return Ok(n),
            TokenKind::Ident if token.1.text() == INPUT => n += 1,
            _ => {}
        }
    }
}

/// A user function's definitions, by last name and arity.
type Functions<'a> = HashMap<(String, usize), Vec<&'a Rule>>;

pub(super) struct Walker<'a> {
    functions: Functions<'a>,
    /// Reads of parameter `i` of function `(name, arity)`.
    memo: HashMap<(String, usize, usize), Rel>,
    input_refs: usize,
    with_input: bool,
    impure: Option<String>,
}

/// One step of a reference.
pub(super) enum Step<'e> {
    Field(String),
    Computed(&'e Ref<Expr>),
}

impl<'a> Walker<'a> {
    fn new(modules: &'a [Ref<Module>]) -> Walker<'a> {
        let mut functions: Functions<'a> = HashMap::new();
        for m in modules {
            for rule in &m.policy {
                if let Rule::Spec {
                    head: RuleHead::Func { refr, args, .. },
                    ..
                } = rule.as_ref()
                {
                    if let Some(name) = dotted_name(refr) {
                        let last = name.rsplit('.').next().unwrap_or(&name).to_string();
                        functions.entry((last, args.len())).or_default().push(rule);
                    }
                }
            }
        }
        Walker {
            functions,
            memo: HashMap::new(),
            input_refs: 0,
            with_input: false,
            impure: None,
        }
    }

    pub(super) fn rule(&mut self, rule: &Rule, target: &str, out: &mut Rel, skip_args: bool) {
        match rule {
            Rule::Spec { head, bodies, .. } => {
                match head {
                    RuleHead::Compr { refr, assign, .. } => {
                        self.expr(refr, target, out);
                        if let Some(a) = assign {
                            self.expr(&a.value, target, out);
                        }
                    }
                    RuleHead::Set { refr, key, .. } => {
                        self.expr(refr, target, out);
                        if let Some(k) = key {
                            self.expr(k, target, out);
                        }
                    }
                    RuleHead::Func {
                        refr, args, assign, ..
                    } => {
                        self.expr(refr, target, out);
                        if !skip_args {
                            for a in args {
                                self.expr(a, target, out);
                            }
                        }
                        if let Some(a) = assign {
                            self.expr(&a.value, target, out);
                        }
                    }
                }
                for body in bodies {
                    if let Some(a) = &body.assign {
                        self.expr(&a.value, target, out);
                    }
                    self.query(&body.query, target, out);
                }
            }
            Rule::Default {
                refr, args, value, ..
            } => {
                self.expr(refr, target, out);
                if !skip_args {
                    for a in args {
                        self.expr(a, target, out);
                    }
                }
                self.expr(value, target, out);
            }
        }
    }

    fn query(&mut self, query: &Query, target: &str, out: &mut Rel) {
        for stmt in &query.stmts {
            self.stmt(stmt, target, out);
        }
    }

    pub(super) fn stmt(&mut self, stmt: &LiteralStmt, target: &str, out: &mut Rel) {
        match &stmt.literal {
            Literal::SomeVars { .. } => {}
            Literal::SomeIn {
                key,
                value,
                collection,
                ..
            } => self.membership(key.as_ref(), value, collection, target, out),
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => {
                self.expr(expr, target, out)
            }
            Literal::Every { domain, query, .. } => {
                self.expr(domain, target, out);
                self.query(query, target, out);
            }
        }
        for w in &stmt.with_mods {
            if target == INPUT && reference(&w.refr).is_some_and(|(base, _)| base == INPUT) {
                self.input_refs += 1;
                self.with_input = true;
            } else {
                self.expr(&w.refr, target, out);
            }
            self.expr(&w.r#as, target, out);
        }
    }

    pub(super) fn expr(&mut self, expr: &Ref<Expr>, target: &str, out: &mut Rel) {
        match expr.as_ref() {
            Expr::String { .. }
            | Expr::RawString { .. }
            | Expr::Number { .. }
            | Expr::Bool { .. }
            | Expr::Null { .. } => {}
            Expr::Var { span, .. } => {
                if span.text() == target {
                    self.count(target);
                    out.add(Vec::new());
                }
            }
            Expr::Array { items, .. } | Expr::Set { items, .. } => {
                for i in items {
                    self.expr(i, target, out);
                }
            }
            Expr::Object { fields, .. } => {
                for (_, k, v) in fields {
                    self.expr(k, target, out);
                    self.expr(v, target, out);
                }
            }
            Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                self.expr(term, target, out);
                self.query(query, target, out);
            }
            Expr::ObjectCompr {
                key, value, query, ..
            } => {
                self.expr(key, target, out);
                self.expr(value, target, out);
                self.query(query, target, out);
            }
            Expr::Call { fcn, params, .. } => self.call(fcn, params, target, out),
            Expr::UnaryExpr { expr, .. } => self.expr(expr, target, out),
            Expr::RefDot { refr, .. } => self.reference(expr, refr, None, target, out),
            Expr::RefBrack { refr, index, .. } => {
                self.reference(expr, refr, Some(index), target, out)
            }
            Expr::BinExpr { lhs, rhs, .. }
            | Expr::BoolExpr { lhs, rhs, .. }
            | Expr::ArithExpr { lhs, rhs, .. }
            | Expr::AssignExpr { lhs, rhs, .. } => {
                self.expr(lhs, target, out);
                self.expr(rhs, target, out);
            }
            Expr::Membership {
                key,
                value,
                collection,
                ..
            } => self.membership(key.as_ref(), value, collection, target, out),
        }
    }

    /// `[key,] value in collection`, as an expression or after `some`.
    fn membership(
        &mut self,
        key: Option<&Ref<Expr>>,
        value: &Ref<Expr>,
        collection: &Ref<Expr>,
        target: &str,
        out: &mut Rel,
    ) {
        if let Some(k) = key {
            self.expr(k, target, out);
        }
        self.expr(value, target, out);
        self.expr(collection, target, out);
    }

    pub(super) fn count(&mut self, target: &str) {
        if target == INPUT {
            self.input_refs += 1;
        }
    }

    /// A reference (`expr` is the whole of it): the target's literal path, then any
    /// computed index walked as an expression of its own.
    fn reference(
        &mut self,
        expr: &Ref<Expr>,
        refr: &Ref<Expr>,
        index: Option<&Ref<Expr>>,
        target: &str,
        out: &mut Rel,
    ) {
        let Some((base, steps)) = reference(expr) else {
            // Not rooted at a variable (a call's result, a literal): walk the parts.
            self.expr(refr, target, out);
            if let Some(i) = index {
                self.expr(i, target, out);
            }
            return;
        };
        if base == target {
            self.count(target);
            out.add(literal_prefix(&steps));
        }
        for step in &steps {
            if let Step::Computed(i) = step {
                self.expr(i, target, out);
            }
        }
    }

    fn call(&mut self, fcn: &Ref<Expr>, params: &[Ref<Expr>], target: &str, out: &mut Rel) {
        let name = dotted_name(fcn);
        match &name {
            Some(n) => {
                if IMPURE.contains(&n.as_str()) {
                    self.impure = Some(n.clone());
                }
            }
            None => self.expr(fcn, target, out),
        }
        for (i, p) in params.iter().enumerate() {
            let exact = reference(p)
                .filter(|(base, steps)| {
                    *base == target && steps.iter().all(|s| matches!(s, Step::Field(_)))
                })
                .map(|(_, steps)| literal_prefix(&steps));
            match (exact, &name) {
                (Some(path), Some(n)) => {
                    self.count(target);
                    let inner = self.argument_reads(n, params, i);
                    out.add_below(&path, &inner);
                }
                _ => self.expr(p, target, out),
            }
        }
    }

    /// What a call reads of its argument `i`.
    fn argument_reads(&mut self, name: &str, params: &[Ref<Expr>], i: usize) -> Rel {
        if name == "object.get" && i == 0 && params.len() == 3 {
            return match literal_path(&params[1]) {
                Some(path) => Rel::Paths(vec![path]),
                None => Rel::Whole,
            };
        }
        if BUILTINS.contains_key(name) {
            return Rel::Whole;
        }
        let last = name.rsplit('.').next().unwrap_or(name).to_string();
        let key = (last, params.len());
        let Some(defs) = self.functions.get(&key).cloned() else {
            return Rel::Whole;
        };
        let memo_key = (key.0.clone(), key.1, i);
        if let Some(known) = self.memo.get(&memo_key) {
            return known.clone();
        }
        // A cycle (Rego forbids recursion) reads the whole argument.
        self.memo.insert(memo_key.clone(), Rel::Whole);
        let mut reads = Rel::Nothing;
        for def in defs {
            let Rule::Spec {
                head: RuleHead::Func { args, .. },
                ..
            } = def
            else {
                continue;
            };
            let param = match args.get(i).map(|a| a.as_ref()) {
                Some(Expr::Var { span, .. }) => span.text().to_string(),
                _ => {
                    reads = Rel::Whole;
                    break;
                }
            };
            if param == "_" {
                continue;
            }
            self.rule(def, &param, &mut reads, true);
        }
        // Functions calling functions with distinct fields can multiply paths (2^depth);
        // past a bound the whole argument is read.
        if let Rel::Paths(paths) = reads {
            let paths = minimal(paths);
            reads = if paths.len() > MAX_ARGUMENT_PATHS {
                Rel::Whole
            } else {
                Rel::Paths(paths)
            };
        }
        self.memo.insert(memo_key, reads.clone());
        reads
    }
}

/// The base variable and steps of a reference (`None` when not rooted at a variable).
pub(super) fn reference(expr: &Ref<Expr>) -> Option<(&str, Vec<Step<'_>>)> {
    let mut steps = Vec::new();
    let mut cur = expr;
    loop {
        match cur.as_ref() {
            Expr::RefDot { refr, field, .. } => {
                steps.push(Step::Field(value_string(&field.1)?));
                cur = refr;
            }
            Expr::RefBrack { refr, index, .. } => {
                let step = match index.as_ref() {
                    Expr::String { value, .. } | Expr::RawString { value, .. } => {
                        Step::Field(value_string(value)?)
                    }
                    _ => Step::Computed(index),
                };
                steps.push(step);
                cur = refr;
            }
            Expr::Var { span, .. } => {
                steps.reverse();
                return Some((span.text(), steps));
            }
            _ => return None,
        }
    }
}

fn value_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.to_string()),
        _ => None,
    }
}

pub(super) fn literal_prefix(steps: &[Step<'_>]) -> Vec<String> {
    steps
        .iter()
        .map_while(|s| match s {
            Step::Field(f) => Some(f.clone()),
            Step::Computed(_) => None,
        })
        .collect()
}

/// `"a"` or `["a", "b"]` (object.get's key) as a path.
fn literal_path(expr: &Ref<Expr>) -> Option<Vec<String>> {
    match expr.as_ref() {
        Expr::String { value, .. } | Expr::RawString { value, .. } => {
            Some(vec![value_string(value)?])
        }
        Expr::Array { items, .. } if !items.is_empty() => items
            .iter()
            .map(|i| match i.as_ref() {
                Expr::String { value, .. } | Expr::RawString { value, .. } => value_string(value),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// `a.b.c` for a call's function or a rule head made of plain names.
pub(super) fn dotted_name(expr: &Ref<Expr>) -> Option<String> {
    let (base, steps) = reference(expr)?;
    let mut name = base.to_string();
    for s in steps {
        match s {
            Step::Field(f) => {
                name.push('.');
                name.push_str(&f);
            }
            Step::Computed(_) => return None,
        }
    }
    Some(name)
}

/// Sorted, deduplicated, with paths below another one dropped.
pub(crate) fn minimal(mut paths: Vec<Vec<String>>) -> Vec<Vec<String>> {
    paths.sort();
    paths.dedup();
    let mut out: Vec<Vec<String>> = Vec::new();
    for p in paths {
        // Sorted order puts a prefix right before the paths below it.
        if out.last().is_some_and(|q| p.starts_with(q)) {
            continue;
        }
        out.push(p);
    }
    out
}

#[path = "input_reads_messages.rs"]
mod messages;

#[cfg(test)]
#[path = "input_reads_tests.rs"]
mod tests;
