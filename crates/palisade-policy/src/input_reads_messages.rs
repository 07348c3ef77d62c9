//! Reads that only go into a violation's message (see [`super::ReadSet::message_only`]).
//!
//! Gatekeeper templates name the object in their messages:
//! `msg := sprintf("... %v", [input.review.object.metadata.name])`. The name changes with
//! every replica of a pod, so keying answers by it would make the cache useless, yet it
//! cannot decide whether there is a violation: with `:=` the statement declares `msg`
//! afresh, `sprintf` with only `%v` verbs cannot fail on defined arguments, and a `msg`
//! used nowhere else in the body cannot feed a condition. Only the argument's definedness
//! matters, so an empty answer holds for every value of it.

use regorus::unstable::{AssignOp, Expr, Literal, LiteralStmt, Ref, Rule, RuleHead};
use regorus::Value;

use super::{dotted_name, literal_prefix, reference, Rel, Step, Walker, INPUT};

/// A rule `violation[...]` / `violation contains ...` (the template's answer).
pub(super) fn is_violation(rule: &Rule) -> bool {
    match rule {
        Rule::Spec {
            head: RuleHead::Set { refr, .. } | RuleHead::Compr { refr, .. },
            ..
        } => dotted_name(refr).is_some_and(|n| n == "violation"),
        _ => false,
    }
}

impl Walker<'_> {
    /// Walks a `violation` rule of the entry package: message-only reads into `messages`,
    /// the rest into `out`.
    pub(super) fn violation_rule(&mut self, rule: &Rule, out: &mut Rel, messages: &mut Rel) {
        let Rule::Spec { head, bodies, .. } = rule else {
            self.rule(rule, INPUT, out, false);
            return;
        };
        match head {
            RuleHead::Set { refr, key, .. } => {
                self.expr(refr, INPUT, out);
                if let Some(k) = key {
                    self.expr(k, INPUT, out);
                }
            }
            RuleHead::Compr { refr, assign, .. } => {
                self.expr(refr, INPUT, out);
                if let Some(a) = assign {
                    self.expr(&a.value, INPUT, out);
                }
            }
            RuleHead::Func { .. } => {
                self.rule(rule, INPUT, out, false);
                return;
            }
        }
        for body in bodies {
            if let Some(a) = &body.assign {
                self.expr(&a.value, INPUT, out);
            }
            let stmts = &body.query.stmts;
            for (i, stmt) in stmts.iter().enumerate() {
                match message_items(stmt) {
                    Some((var, items)) if !self.used_elsewhere(var, stmts, i) => {
                        for item in items {
                            match exact_input_path(item) {
                                Some(path) => {
                                    self.count(INPUT);
                                    messages.add(path);
                                }
                                None => self.expr(item, INPUT, out),
                            }
                        }
                    }
                    _ => self.stmt(stmt, INPUT, out),
                }
            }
        }
    }

    /// Does `var` occur in a statement of the body other than `skip`?
    fn used_elsewhere(&mut self, var: &str, stmts: &[LiteralStmt], skip: usize) -> bool {
        let mut uses = Rel::Nothing;
        for (i, stmt) in stmts.iter().enumerate() {
            if i != skip {
                self.stmt(stmt, var, &mut uses);
            }
        }
        !matches!(uses, Rel::Nothing)
    }
}

/// `var := sprintf("<only %v verbs>", [items...])` with no `with`: the variable and items.
fn message_items(stmt: &LiteralStmt) -> Option<(&str, &[Ref<Expr>])> {
    if !stmt.with_mods.is_empty() {
        return None;
    }
    let Literal::Expr { expr, .. } = &stmt.literal else {
        return None;
    };
    let Expr::AssignExpr {
        op: AssignOp::ColEq,
        lhs,
        rhs,
        ..
    } = expr.as_ref()
    else {
        return None;
    };
    let Expr::Var { span, .. } = lhs.as_ref() else {
        return None;
    };
    let var = span.text();
    if var == "_" {
        return None;
    }
    let Expr::Call { fcn, params, .. } = rhs.as_ref() else {
        return None;
    };
    if dotted_name(fcn).as_deref() != Some("sprintf") || params.len() != 2 {
        return None;
    }
    let format = match params[0].as_ref() {
        Expr::String { value, .. } | Expr::RawString { value, .. } => match value {
            Value::String(s) => s.clone(),
            _ => return None,
        },
        _ => return None,
    };
    if !only_v_verbs(&format) {
        return None;
    }
    let Expr::Array { items, .. } = params[1].as_ref() else {
        return None;
    };
    Some((var, items))
}

/// Every `%` of the format starts `%v` or `%%`.
fn only_v_verbs(format: &str) -> bool {
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c == '%' && !matches!(chars.next(), Some('v' | '%')) {
            return false;
        }
    }
    true
}

/// `input.a.b` exactly (literal fields only, at least one).
fn exact_input_path(item: &Ref<Expr>) -> Option<Vec<String>> {
    let (base, steps) = reference(item)?;
    if base != INPUT || steps.is_empty() || steps.iter().any(|s| matches!(s, Step::Computed(_))) {
        return None;
    }
    Some(literal_prefix(&steps))
}
