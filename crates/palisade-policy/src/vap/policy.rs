//! Reading `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicy and
//! ValidatingAdmissionPolicyBinding objects, compiling their expressions.
//!
//! Structural problems the API server's validation (`pkg/apis/admissionregistration/validation`
//! `ValidateValidatingAdmissionPolicy`, `...Binding`) would reject make the object a
//! diagnostic and it is skipped. An expression that does not compile is a diagnostic at its
//! line, but the policy stays: as in `cel.CompileResult`, the expression then evaluates to an
//! error, which the policy's `failurePolicy` handles.

use palisade_core::selector::LabelSelector;
use palisade_core::yaml::Node;
use palisade_core::{Location, Object};

use super::cel::{self, Expression};
use super::matcher::MatchResources;
use crate::diag::Diagnostic;

/// The API group and version both kinds are read from.
pub const API_VERSION: &str = "admissionregistration.k8s.io/v1";

/// `spec.failurePolicy` (default `Fail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailurePolicy {
    /// An error denies (under the binding's actions).
    Fail,
    /// An error is ignored.
    Ignore,
}

/// One of a binding's `validationActions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum ValidationAction {
    /// Recorded in the audit event only.
    Audit,
    /// Returned to the client as a warning.
    Warn,
    /// The request is refused.
    Deny,
}

impl ValidationAction {
    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            ValidationAction::Deny => "Deny",
            ValidationAction::Warn => "Warn",
            ValidationAction::Audit => "Audit",
        }
    }
}

/// An expression with where it was written; a compile error is kept to be reported at
/// evaluation.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The program, or the compile error.
    pub program: Result<Expression, String>,
    /// The source text.
    pub source: String,
    /// Where it is written.
    pub location: Location,
}

/// One `validations[]` entry.
#[derive(Debug, Clone)]
pub struct Validation {
    /// `expression`.
    pub expression: Compiled,
    /// `message`.
    pub message: Option<String>,
    /// `messageExpression`.
    pub message_expression: Option<Compiled>,
    /// `reason` (default `Invalid`).
    pub reason: String,
}

/// A loaded policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// `metadata.name`.
    pub name: String,
    /// Where the object is.
    pub location: Location,
    /// `spec.matchConstraints`.
    pub match_constraints: MatchResources,
    /// `spec.paramKind` as `(apiVersion, kind)`.
    pub param_kind: Option<(String, String)>,
    /// `spec.matchConditions` as `(name, expression)`.
    pub match_conditions: Vec<(String, Compiled)>,
    /// `spec.variables` as `(name, expression)`, in order.
    pub variables: Vec<(String, Compiled)>,
    /// `spec.validations`.
    pub validations: Vec<Validation>,
    /// `spec.auditAnnotations` as `(key, valueExpression)`.
    pub audit_annotations: Vec<(String, Compiled)>,
    /// `spec.failurePolicy`.
    pub failure_policy: FailurePolicy,
}

/// A binding's `paramRef`.
#[derive(Debug, Clone)]
pub struct ParamRef {
    /// `name`.
    pub name: Option<String>,
    /// `namespace`.
    pub namespace: Option<String>,
    /// `selector`.
    pub selector: Option<LabelSelector>,
    /// `parameterNotFoundAction: Deny` (required: `Allow` or `Deny`).
    pub deny_if_missing: bool,
}

/// A loaded binding.
#[derive(Debug, Clone)]
pub struct Binding {
    /// `metadata.name`.
    pub name: String,
    /// Where the object is.
    pub location: Location,
    /// `spec.policyName`.
    pub policy_name: String,
    /// `spec.paramRef`.
    pub param_ref: Option<ParamRef>,
    /// `spec.matchResources` (absent: no narrowing).
    pub match_resources: Option<MatchResources>,
    /// `spec.validationActions`, strongest first.
    pub actions: Vec<ValidationAction>,
}

/// Is the object a policy?
pub fn is_policy(o: &Object) -> bool {
    o.id.api_version == API_VERSION && o.id.kind == "ValidatingAdmissionPolicy"
}

/// Is the object a binding?
pub fn is_binding(o: &Object) -> bool {
    o.id.api_version == API_VERSION && o.id.kind == "ValidatingAdmissionPolicyBinding"
}

fn text<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.get(key)
        .and_then(Node::as_str)
        .filter(|s| !s.is_empty())
}

fn compile(o: &Object, node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Compiled {
    let location = o.origin.location(node.pos);
    let source = node.as_str().unwrap_or_default().to_string();
    let program = cel::compile(&source);
    if let Err(e) = &program {
        diags.push(Diagnostic::error(
            Some(location.clone()),
            format!(
                "ValidatingAdmissionPolicy {}: {what} does not compile: {e}; it evaluates to an error, handled by the failurePolicy",
                o.id.name
            ),
        ));
    }
    Compiled {
        program,
        source,
        location,
    }
}

/// Reads `name`/`expression` pairs (matchConditions, variables, auditAnnotations).
fn named(
    o: &Object,
    spec: &Node,
    list: &str,
    key: &str,
    expr_key: &str,
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<(String, Compiled)>, String> {
    let mut out = Vec::new();
    for item in spec.get(list).map(Node::items).unwrap_or_default() {
        let name = text(item, key).ok_or_else(|| format!("spec.{list}[] needs a {key}"))?;
        let expr = item
            .get(expr_key)
            .filter(|n| n.as_str().is_some())
            .ok_or_else(|| format!("spec.{list}[] {name} needs an {expr_key}"))?;
        let compiled = compile(o, expr, &format!("{list} {name}"), diags);
        out.push((name.to_string(), compiled));
    }
    Ok(out)
}

/// Reads a policy; `Err` when the API server would reject it.
pub fn parse_policy(o: &Object, diags: &mut Vec<Diagnostic>) -> Result<Policy, Diagnostic> {
    let fail = |m: String| {
        Diagnostic::error(
            Some(o.location()),
            format!(
                "ValidatingAdmissionPolicy {}: {m}; the policy is not evaluated",
                o.id.name
            ),
        )
    };
    let spec = o
        .root
        .get("spec")
        .ok_or_else(|| fail("has no spec".into()))?;
    let match_constraints = MatchResources::parse(spec.get("matchConstraints"))
        .map_err(|e| fail(format!("spec.matchConstraints: {e}")))?;
    let param_kind = match spec.get("paramKind").filter(|n| !n.is_null()) {
        None => None,
        Some(pk) => Some((
            text(pk, "apiVersion")
                .ok_or_else(|| fail("spec.paramKind needs an apiVersion".into()))?
                .to_string(),
            text(pk, "kind")
                .ok_or_else(|| fail("spec.paramKind needs a kind".into()))?
                .to_string(),
        )),
    };
    let failure_policy = match spec.get("failurePolicy").and_then(Node::as_str) {
        None | Some("Fail") => FailurePolicy::Fail,
        Some("Ignore") => FailurePolicy::Ignore,
        Some(other) => {
            return Err(fail(format!(
                "spec.failurePolicy {other:?} is neither Fail nor Ignore"
            )))
        }
    };
    let match_conditions =
        named(o, spec, "matchConditions", "name", "expression", diags).map_err(fail)?;
    let variables = named(o, spec, "variables", "name", "expression", diags).map_err(fail)?;
    let audit_annotations =
        named(o, spec, "auditAnnotations", "key", "valueExpression", diags).map_err(fail)?;
    let mut validations = Vec::new();
    for v in spec.get("validations").map(Node::items).unwrap_or_default() {
        let expr = v
            .get("expression")
            .filter(|n| n.as_str().is_some())
            .ok_or_else(|| fail("spec.validations[] needs an expression".into()))?;
        validations.push(Validation {
            expression: compile(o, expr, "validation expression", diags),
            message: text(v, "message").map(str::to_string),
            message_expression: v
                .get("messageExpression")
                .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
                .map(|n| compile(o, n, "messageExpression", diags)),
            reason: text(v, "reason").unwrap_or("Invalid").to_string(),
        });
    }
    if validations.is_empty() && audit_annotations.is_empty() {
        return Err(fail("needs validations or auditAnnotations".into()));
    }
    Ok(Policy {
        name: o.id.name.clone(),
        location: o.location(),
        match_constraints,
        param_kind,
        match_conditions,
        variables,
        validations,
        audit_annotations,
        failure_policy,
    })
}

/// Reads a binding; `Err` when the API server would reject it.
pub fn parse_binding(o: &Object, diags: &mut Vec<Diagnostic>) -> Result<Binding, Diagnostic> {
    let fail = |m: String| {
        Diagnostic::error(
            Some(o.location()),
            format!(
                "ValidatingAdmissionPolicyBinding {}: {m}; the binding is not evaluated",
                o.id.name
            ),
        )
    };
    let spec = o
        .root
        .get("spec")
        .ok_or_else(|| fail("has no spec".into()))?;
    let policy_name =
        text(spec, "policyName").ok_or_else(|| fail("spec.policyName is required".into()))?;
    let mut actions = Vec::new();
    for a in spec
        .get("validationActions")
        .map(Node::items)
        .unwrap_or_default()
    {
        let action = match a.as_str() {
            Some("Deny") => ValidationAction::Deny,
            Some("Warn") => ValidationAction::Warn,
            Some("Audit") => ValidationAction::Audit,
            other => {
                diags.push(Diagnostic::note(
                    Some(o.origin.location(a.pos)),
                    format!("ValidatingAdmissionPolicyBinding {}: unknown validationAction {other:?} is ignored", o.id.name),
                ));
                continue;
            }
        };
        if actions.contains(&action) {
            return Err(fail(format!(
                "validationActions lists {} twice",
                action.as_str()
            )));
        }
        actions.push(action);
    }
    if actions.is_empty() {
        return Err(fail(
            "spec.validationActions needs at least one of Deny, Warn, Audit".into(),
        ));
    }
    // `validateValidationActions`: Deny and Warn duplicate each other and are refused.
    if actions.contains(&ValidationAction::Deny) && actions.contains(&ValidationAction::Warn) {
        return Err(fail(
            "validationActions may not contain both Deny and Warn".into(),
        ));
    }
    actions.sort_by(|a, b| b.cmp(a));
    let param_ref = match spec.get("paramRef").filter(|n| !n.is_null()) {
        None => None,
        Some(p) => {
            let selector = match p.get("selector").filter(|n| !n.is_null()) {
                Some(s) => Some(
                    LabelSelector::parse(s)
                        .map_err(|e| fail(format!("spec.paramRef.selector: {e}")))?,
                ),
                None => None,
            };
            let name = text(p, "name").map(str::to_string);
            if name.is_some() == selector.is_some() {
                return Err(fail(
                    "spec.paramRef needs exactly one of name and selector".into(),
                ));
            }
            // `validateParamRef`: the action has no default and must be Allow or Deny.
            let deny_if_missing = match text(p, "parameterNotFoundAction") {
                Some("Deny") => true,
                Some("Allow") => false,
                other => {
                    return Err(fail(format!(
                        "spec.paramRef.parameterNotFoundAction must be Allow or Deny, not {other:?}"
                    )))
                }
            };
            Some(ParamRef {
                name,
                namespace: text(p, "namespace").map(str::to_string),
                selector,
                deny_if_missing,
            })
        }
    };
    let match_resources = match spec.get("matchResources").filter(|n| !n.is_null()) {
        None => None,
        Some(m) => Some(
            MatchResources::parse(Some(m))
                .map_err(|e| fail(format!("spec.matchResources: {e}")))?,
        ),
    };
    Ok(Binding {
        name: o.id.name.clone(),
        location: o.location(),
        policy_name: policy_name.to_string(),
        param_ref,
        match_resources,
        actions,
    })
}
