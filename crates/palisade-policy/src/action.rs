//! Enforcement actions of a Constraint (`spec.enforcementAction`, and the scoped form
//! `spec.scopedEnforcementActions`), and the severity a finding gets from them.
//!
//! Mirrors Gatekeeper's `pkg/util` `GetEnforcementAction` (empty means `deny`; anything but
//! `deny`, `dryrun`, `warn` and `scoped` is kept as "unrecognized", which never blocks) and
//! `GetScopedEnforcementAction` (each entry names an action and the enforcement points it
//! applies at; `*` is every point).

use palisade_core::yaml::Node;
use palisade_core::Severity;

/// Gatekeeper's admission webhook enforcement point.
pub const POINT_VALIDATION: &str = "validation.gatekeeper.sh";
/// Gatekeeper's audit enforcement point.
pub const POINT_AUDIT: &str = "audit.gatekeeper.sh";
/// The gator CLI enforcement point (what `palisade scan` and `policy test` act as).
pub const POINT_GATOR: &str = "gator.gatekeeper.sh";

/// What to do with a violation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// Recorded only (audit); never blocks, never warns.
    Dryrun,
    /// A spelling Gatekeeper does not know: recorded, never blocks.
    Unrecognized(String),
    /// The admission response carries a warning; the request is allowed.
    Warn,
    /// The request is refused.
    Deny,
}

impl Action {
    /// Parses one action name as Gatekeeper spells it (lowercase, exact).
    pub fn parse(text: &str) -> Action {
        match text {
            "deny" => Action::Deny,
            "warn" => Action::Warn,
            "dryrun" => Action::Dryrun,
            other => Action::Unrecognized(other.to_string()),
        }
    }

    /// The name as written in a Constraint.
    pub fn as_str(&self) -> &str {
        match self {
            Action::Deny => "deny",
            Action::Warn => "warn",
            Action::Dryrun => "dryrun",
            Action::Unrecognized(s) => s,
        }
    }

    /// The severity of a finding from a violation with this action: `deny` → high (the
    /// webhook would refuse the object), `warn` → medium (allowed with a warning), `dryrun`
    /// and unrecognized actions → low (recorded only).
    pub fn severity(&self) -> Severity {
        match self {
            Action::Deny => Severity::High,
            Action::Warn => Severity::Medium,
            Action::Dryrun | Action::Unrecognized(_) => Severity::Low,
        }
    }
}

/// A Constraint's enforcement: one action everywhere, or actions per enforcement point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enforcement {
    /// `enforcementAction: deny|warn|dryrun|...` (default `deny`).
    Plain(Action),
    /// `enforcementAction: scoped` with `scopedEnforcementActions`.
    Scoped(Vec<(Action, Vec<String>)>),
}

impl Enforcement {
    /// Reads `spec.enforcementAction` and `spec.scopedEnforcementActions`.
    pub fn parse(spec: &Node) -> Result<Enforcement, String> {
        let action = match spec.get("enforcementAction") {
            None => "deny",
            Some(n) if n.is_null() => "deny",
            Some(n) => n
                .as_str()
                .ok_or("spec.enforcementAction must be a string")?,
        };
        let action = if action.is_empty() { "deny" } else { action };
        if action != "scoped" {
            return Ok(Enforcement::Plain(Action::parse(action)));
        }
        let mut scoped = Vec::new();
        let entries = spec
            .get("scopedEnforcementActions")
            .and_then(Node::as_seq)
            .ok_or("enforcementAction `scoped` needs a scopedEnforcementActions list")?;
        for entry in entries {
            let action = entry
                .get("action")
                .and_then(Node::as_str)
                .ok_or("each scopedEnforcementActions entry needs an action")?;
            let points: Vec<String> = entry
                .get("enforcementPoints")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|p| p.get("name").and_then(Node::as_str).map(str::to_string))
                .collect();
            scoped.push((Action::parse(action), points));
        }
        Ok(Enforcement::Scoped(scoped))
    }

    /// The actions in force at an enforcement point (empty: the constraint does not apply
    /// there), strongest first.
    pub fn actions_at(&self, point: &str) -> Vec<Action> {
        let mut actions: Vec<Action> = match self {
            Enforcement::Plain(a) => vec![a.clone()],
            Enforcement::Scoped(list) => list
                .iter()
                .filter(|(_, points)| points.iter().any(|p| p == "*" || p == point))
                .map(|(a, _)| a.clone())
                .collect(),
        };
        actions.sort_by(|a, b| b.cmp(a));
        actions.dedup();
        actions
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::yaml::{parse_stream, Limits};

    fn spec(text: &str) -> Node {
        parse_stream(text, &Limits::default())
            .documents
            .remove(0)
            .root
    }

    #[test]
    fn default_is_deny_and_unknown_is_kept() {
        assert_eq!(
            Enforcement::parse(&spec("{}"))
                .unwrap()
                .actions_at(POINT_GATOR),
            vec![Action::Deny]
        );
        let e = Enforcement::parse(&spec("enforcementAction: Deny")).unwrap();
        assert_eq!(
            e.actions_at(POINT_GATOR),
            vec![Action::Unrecognized("Deny".into())]
        );
        assert_eq!(Action::parse("warn").severity(), Severity::Medium);
        assert_eq!(Action::parse("dryrun").severity(), Severity::Low);
    }

    #[test]
    fn scoped_actions_follow_their_points() {
        let e = Enforcement::parse(&spec(
            "enforcementAction: scoped\nscopedEnforcementActions:\n- action: warn\n  enforcementPoints: [{name: '*'}]\n- action: deny\n  enforcementPoints: [{name: validation.gatekeeper.sh}]\n",
        ))
        .unwrap();
        assert_eq!(
            e.actions_at(POINT_VALIDATION),
            vec![Action::Deny, Action::Warn]
        );
        assert_eq!(e.actions_at(POINT_AUDIT), vec![Action::Warn]);
        assert!(Enforcement::parse(&spec("enforcementAction: scoped")).is_err());
    }
}
