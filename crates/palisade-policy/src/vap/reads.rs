//! What of a request a ValidatingAdmissionPolicy's CEL can read, for the decision cache: the
//! paths below `object`, `oldObject`, `request` and `namespaceObject` that its expressions
//! (match conditions, variables, validations, messages, audit annotations) select. A
//! selection chain (`object.spec.containers`, `has(object.spec.hostNetwork)`) is a path, and
//! anything below it may be read (`.all(c, c.image ...)` iterates the whole list); an index
//! or a call ends the chain. `params` are fixed per param object and `variables` are
//! expressions of the policy, read through their own paths. A policy that names
//! `authorizer` (answers from outside the request) is not cached.

use cel::common::ast::Expr;

use super::cel::children;
use super::policy::{Compiled, Policy};
use crate::input_reads::minimal;

/// The request's roots, as the policy's expressions name them.
pub const ROOTS: [&str; 4] = ["object", "oldObject", "request", "namespaceObject"];

/// What a policy may read (paths root first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyReads {
    /// Read by match conditions, variables, validations or audit annotations.
    pub paths: Vec<Vec<String>>,
    /// Read only by `messageExpression`s, which run only for a failed validation: a run
    /// that decided nothing never read them. Disjoint from `paths`, none below one of them.
    pub message_only: Vec<Vec<String>>,
}

/// What the policy may read; `None` when it cannot be cached.
pub fn policy_reads(policy: &Policy) -> Option<PolicyReads> {
    let mut compiled: Vec<&Compiled> = Vec::new();
    compiled.extend(policy.match_conditions.iter().map(|(_, c)| c));
    compiled.extend(policy.variables.iter().map(|(_, c)| c));
    compiled.extend(policy.validations.iter().map(|v| &v.expression));
    compiled.extend(policy.audit_annotations.iter().map(|(_, c)| c));
    let messages: Vec<&Compiled> = policy
        .validations
        .iter()
        .filter_map(|v| v.message_expression.as_ref())
        .collect();
    let paths = minimal(all_reads(&compiled)?);
    let message_only = minimal(all_reads(&messages)?)
        .into_iter()
        .filter(|m| !paths.iter().any(|p| m.starts_with(p) || p.starts_with(m)))
        .collect();
    Some(PolicyReads {
        paths,
        message_only,
    })
}

fn all_reads(compiled: &[&Compiled]) -> Option<Vec<Vec<String>>> {
    let mut paths = Vec::new();
    for c in compiled {
        let expr = c.program.as_ref().ok()?;
        if !reads(expr.ast(), &mut paths) {
            return None;
        }
    }
    Some(paths)
}

/// Adds the paths `e` reads; false when it names `authorizer`.
fn reads(e: &cel::IdedExpr, out: &mut Vec<Vec<String>>) -> bool {
    match &e.expr {
        Expr::Ident(name) if name == "authorizer" => false,
        Expr::Ident(name) => {
            if ROOTS.contains(&name.as_str()) {
                out.push(vec![name.clone()]);
            }
            true
        }
        Expr::Select(_) => match chain(e) {
            Some((root, mut fields)) => {
                if root == "authorizer" {
                    return false;
                }
                if ROOTS.contains(&root) {
                    fields.insert(0, root.to_string());
                    out.push(fields);
                }
                true
            }
            None => children(&e.expr).into_iter().all(|c| reads(c, out)),
        },
        other => children(other).into_iter().all(|c| reads(c, out)),
    }
}

/// `root.a.b` (plain or `has()` selections down to an identifier): the root and fields.
fn chain(e: &cel::IdedExpr) -> Option<(&str, Vec<String>)> {
    let mut fields = Vec::new();
    let mut cur = e;
    loop {
        match &cur.expr {
            Expr::Select(s) => {
                fields.push(s.field.clone());
                cur = &s.operand;
            }
            Expr::Ident(name) => {
                fields.reverse();
                return Some((name, fields));
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(source: &str) -> Option<Vec<String>> {
        let expr = super::super::cel::compile(source).ok()?;
        let mut out = Vec::new();
        if !reads(expr.ast(), &mut out) {
            return None;
        }
        out.sort();
        out.dedup();
        Some(out.iter().map(|p| p.join(".")).collect())
    }

    #[test]
    fn selections_are_paths_and_calls_end_them() {
        assert_eq!(
            paths("object.spec.containers.all(c, c.image.contains('@') && has(c.name)) && has(object.spec.hostNetwork) && object.metadata.labels['app'] == params.x && variables.v && request.userInfo.username != ''"),
            Some(vec![
                "object.metadata.labels".to_string(),
                "object.spec.containers".into(),
                "object.spec.hostNetwork".into(),
                "request.userInfo.username".into(),
            ])
        );
        assert_eq!(
            paths("size(oldObject) > 0 || namespaceObject.metadata.name == 'x'"),
            Some(vec![
                "namespaceObject.metadata.name".to_string(),
                "oldObject".into()
            ])
        );
    }

    #[test]
    fn the_authorizer_is_not_cacheable() {
        assert_eq!(
            paths("authorizer.group('').resource('pods').check('get').allowed()"),
            None
        );
    }
}
