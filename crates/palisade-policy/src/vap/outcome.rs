//! What ValidatingAdmissionPolicies said about one request, and how an admission response
//! presents it (mirroring `validating/dispatcher.go`: denied decisions become the status
//! message, Warn decisions become warnings, Audit decisions become the
//! `validation.policy.admission.k8s.io/validation_failure` audit annotation).

use serde::Serialize;
use serde_json::json;

use super::policy::ValidationAction;

/// The audit annotation key Audit decisions are published under.
pub const VALIDATION_FAILURE_KEY: &str = "validation.policy.admission.k8s.io/validation_failure";

/// Why a decision was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Cause {
    /// A validation evaluated to something other than `true`.
    Failed,
    /// An expression failed and the failurePolicy is `Fail`.
    Error,
    /// The binding could not be matched (its namespace unknown, ...) and the failurePolicy is
    /// `Fail`: denied whatever the binding's actions (the generic dispatcher's `PolicyError`).
    Config,
    /// The binding's params could not be collected (none under `parameterNotFoundAction:
    /// Deny`, a misconfigured paramRef) and the failurePolicy is `Fail`: denied whatever the
    /// binding's actions, worded as a failed validation with reason `Invalid` (the validating
    /// dispatcher's `addConfigError`, as a v1.34 API server answers).
    Params,
}

/// One decision against the request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VapViolation {
    /// `VAP-<policy name>`.
    pub rule_id: String,
    /// The policy.
    pub policy: String,
    /// The binding.
    pub binding: String,
    /// The param object the validation ran with (`namespace/name`), when there is one.
    pub params: Option<String>,
    /// What to do, strongest first (never empty).
    pub actions: Vec<ValidationAction>,
    /// The message (message, messageExpression's result, or `failed expression: …`).
    pub message: String,
    /// The validation's `reason` (`Invalid` by default).
    pub reason: String,
    /// The index of the validation, when the decision comes from one.
    pub expression_index: Option<usize>,
    /// Why.
    pub cause: Cause,
}

/// The rule id of a policy's findings and violations.
pub fn rule_id(policy: &str) -> String {
    format!("VAP-{policy}")
}

/// Everything the policies decided about one request.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VapOutcome {
    /// Decisions, in policy, binding, param, validation order.
    pub violations: Vec<VapViolation>,
    /// `auditAnnotations` results, as `(<policy>/<key>, value)`.
    pub audit_annotations: Vec<(String, String)>,
    /// Errors that the failurePolicy `Ignore` swallowed (for the log).
    pub ignored_errors: Vec<String>,
}

impl VapOutcome {
    /// Does a decision deny the request?
    pub fn denied(&self) -> bool {
        self.violations
            .iter()
            .any(|v| v.actions.contains(&ValidationAction::Deny))
    }

    /// The status message of a denial: the first denying decision, worded as the API
    /// server words it.
    pub fn deny_message(&self) -> Option<String> {
        self.violations
            .iter()
            .find(|v| v.actions.contains(&ValidationAction::Deny))
            .map(|v| match v.cause {
                // `generic.PolicyError.Error`, for configuration errors.
                Cause::Config => format!(
                    "policy '{}' with binding '{}' denied request: {}",
                    v.policy, v.binding, v.message
                ),
                _ => format!(
                    "ValidatingAdmissionPolicy '{}' with binding '{}' denied request: {}",
                    v.policy, v.binding, v.message
                ),
            })
    }

    /// The warnings of Warn decisions.
    pub fn warnings(&self) -> Vec<String> {
        self.violations
            .iter()
            .filter(|v| v.actions.contains(&ValidationAction::Warn))
            .map(|v| {
                format!(
                    "Validation failed for ValidatingAdmissionPolicy '{}' with binding '{}': {}",
                    v.policy, v.binding, v.message
                )
            })
            .collect()
    }

    /// All audit annotations: the policies' own, and the Audit decisions as one JSON list.
    pub fn all_audit_annotations(&self) -> Vec<(String, String)> {
        let mut out = self.audit_annotations.clone();
        let audited: Vec<_> = self
            .violations
            .iter()
            .filter(|v| v.actions.contains(&ValidationAction::Audit))
            .map(|v| {
                json!({
                    "message": v.message,
                    "policy": v.policy,
                    "binding": v.binding,
                    "expressionIndex": v.expression_index,
                    "validationActions": v.actions.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                })
            })
            .collect();
        if !audited.is_empty() {
            out.push((
                VALIDATION_FAILURE_KEY.to_string(),
                serde_json::Value::Array(audited).to_string(),
            ));
        }
        out
    }
}
