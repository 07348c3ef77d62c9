//! Running one policy through one binding with one param object on one request: the
//! `validating` plugin's `validator.Validate` (matchConditions, then validations with their
//! messages, then auditAnnotations) over lazily evaluated `variables`
//! (`cel.CompositedCompiler`'s lazy variable activation: a variable is evaluated the first
//! time an expression reads it, once, and its error is the error of whatever reads it).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use cel::objects::{Key, Map};
use cel::{Context, Value};

use super::cel::{run, scope};
use super::outcome::{rule_id, Cause, VapOutcome, VapViolation};
use super::policy::{Binding, Compiled, FailurePolicy, Policy};

/// `celconfig.MaxEvaluatedMessageExpressionSizeBytes`.
const MAX_MESSAGE_BYTES: usize = 5 * 1024;

/// The CEL values of one request.
#[derive(Clone)]
pub struct Input {
    /// `object` (null on DELETE).
    pub object: Value,
    /// `oldObject` (null on CREATE).
    pub old_object: Value,
    /// `request` (the AdmissionRequest's fields).
    pub request: Value,
    /// `namespaceObject` (null for cluster-scoped requests).
    pub namespace_object: Value,
}

impl Input {
    /// The root scope every expression on this request runs in.
    pub fn scope(&self) -> Context<'static, 'static> {
        scope(&[
            ("object", self.object.clone()),
            ("oldObject", self.old_object.clone()),
            ("request", self.request.clone()),
            ("namespaceObject", self.namespace_object.clone()),
        ])
    }
}

struct Run<'a> {
    policy: &'a Policy,
    /// The request's scope with `params` added.
    scope: Context<'a, 'static>,
    bound: Duration,
    /// Memoized variables by index.
    variables: RefCell<HashMap<usize, Result<Value, String>>>,
}

impl Run<'_> {
    /// Evaluates a compiled expression with the variables it reads (only those defined
    /// before `limit`, as a variable may only read earlier ones).
    fn eval(&self, c: &Compiled, limit: usize) -> Result<Value, String> {
        let expr = c.program.as_ref().map_err(|e| {
            format!(
                "compilation failed for expression '{}': {e}",
                c.source.trim()
            )
        })?;
        let mut vars = HashMap::new();
        for name in &expr.variables {
            let Some(i) = self.policy.variables[..limit.min(self.policy.variables.len())]
                .iter()
                .position(|(n, _)| n == name)
            else {
                continue;
            };
            vars.insert(Key::String(Arc::new(name.clone())), self.variable(i)?);
        }
        let mut ctx = self.scope.new_inner_scope();
        ctx.add_variable_from_value(
            "variables",
            Value::Map(Map {
                map: Arc::new(vars),
            }),
        );
        run(expr, &ctx, self.bound)
    }

    fn variable(&self, i: usize) -> Result<Value, String> {
        if let Some(v) = self.variables.borrow().get(&i) {
            return v.clone();
        }
        let result = self.eval(&self.policy.variables[i].1, i);
        self.variables.borrow_mut().insert(i, result.clone());
        result
    }
}

/// Runs `policy` through `binding` with `params` (`label` names the param object) and adds
/// the decisions to `out`.
pub fn validate(
    policy: &Policy,
    binding: &Binding,
    params: Option<(&str, Value)>,
    request: &Context<'_, 'static>,
    bound: Duration,
    out: &mut VapOutcome,
) {
    let (label, params) = match params {
        Some((l, v)) => (Some(l.to_string()), v),
        None => (None, Value::Null),
    };
    let mut scope = request.new_inner_scope();
    scope.add_variable_from_value("params", params);
    let run = Run {
        policy,
        scope,
        bound,
        variables: RefCell::new(HashMap::new()),
    };
    let all = usize::MAX;
    let decision = |message: String, cause, index, reason: &str| VapViolation {
        rule_id: rule_id(&policy.name),
        policy: policy.name.clone(),
        binding: binding.name.clone(),
        params: label.clone(),
        actions: binding.actions.clone(),
        message,
        reason: reason.to_string(),
        expression_index: index,
        cause,
    };
    let error = |out: &mut VapOutcome, message: String, index| match policy.failure_policy {
        FailurePolicy::Ignore => out.ignored_errors.push(format!(
            "ValidatingAdmissionPolicy '{}' with binding '{}': {message}",
            policy.name, binding.name
        )),
        FailurePolicy::Fail => {
            out.violations
                .push(decision(message, Cause::Error, index, "Invalid"))
        }
    };
    // matchConditions (`matchconditions.Matcher.Match`): any false skips the policy, even
    // when another errored; otherwise an error goes to the failurePolicy.
    let mut condition_error = None;
    for (name, c) in &policy.match_conditions {
        match run.eval(c, all) {
            Ok(Value::Bool(true)) => {}
            Ok(Value::Bool(false)) => return,
            Ok(other) => {
                condition_error.get_or_insert(format!(
                    "matchCondition '{name}' did not evaluate to a bool: {}",
                    other.type_of()
                ));
            }
            Err(e) => {
                condition_error.get_or_insert(format!("matchCondition '{name}': {e}"));
            }
        }
    }
    if let Some(e) = condition_error {
        error(out, e, None);
        return;
    }
    for (index, v) in policy.validations.iter().enumerate() {
        match run.eval(&v.expression, all) {
            Ok(Value::Bool(true)) => {}
            Err(e) => error(out, e, Some(index)),
            // `Validate`: anything but true fails the validation.
            Ok(_) => {
                let from_expression = v
                    .message_expression
                    .as_ref()
                    .and_then(|m| run.eval(m, all).ok())
                    .and_then(|r| match r {
                        Value::String(s) => Some(s.trim().to_string()),
                        _ => None,
                    })
                    .filter(|m| !m.is_empty() && m.len() <= MAX_MESSAGE_BYTES && !m.contains('\n'));
                let message = from_expression
                    .or_else(|| {
                        v.message
                            .as_deref()
                            .map(str::trim)
                            .filter(|m| !m.is_empty())
                            .map(str::to_string)
                    })
                    .unwrap_or_else(|| {
                        format!("failed expression: {}", v.expression.source.trim())
                    });
                out.violations
                    .push(decision(message, Cause::Failed, Some(index), &v.reason));
            }
        }
    }
    for (key, c) in &policy.audit_annotations {
        match run.eval(c, all) {
            Ok(Value::String(s)) if !s.trim().is_empty() => out
                .audit_annotations
                .push((format!("{}/{key}", policy.name), s.trim().to_string())),
            Ok(Value::String(_)) | Ok(Value::Null) => {}
            Ok(other) => error(
                out,
                format!(
                    "valueExpression '{}' resulted in unsupported return type: {}. Return type must be either string or null.",
                    c.source.trim(),
                    other.type_of()
                ),
                None,
            ),
            Err(e) => error(out, e, None),
        }
    }
}
