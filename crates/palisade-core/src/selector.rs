//! Kubernetes label selectors (`matchLabels` + `matchExpressions`), with the API server's
//! semantics: an empty selector matches everything; `In` needs the key with a listed value;
//! `NotIn` matches when the key is absent or its value is not listed; `Exists` and
//! `DoesNotExist` test the key only. All requirements must hold.

use crate::yaml::Node;

/// One `matchExpressions` operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `In`
    In,
    /// `NotIn`
    NotIn,
    /// `Exists`
    Exists,
    /// `DoesNotExist`
    DoesNotExist,
}

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Label key.
    pub key: String,
    /// Operator.
    pub operator: Operator,
    /// Values (`In`, `NotIn`).
    pub values: Vec<String>,
}

/// A parsed label selector.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    /// Every requirement (`matchLabels` entries become `In` with one value).
    pub requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses a selector node. An invalid selector (unknown operator, values where none are
    /// allowed, a value that is not a string) is an error, as the API server would reject it.
    pub fn parse(node: &Node) -> Result<LabelSelector, String> {
        let mut requirements = Vec::new();
        if node.is_null() {
            return Ok(LabelSelector { requirements });
        }
        if node.as_map().is_none() {
            return Err("a label selector must be a mapping".into());
        }
        for e in node
            .get("matchLabels")
            .map(Node::entries)
            .unwrap_or_default()
        {
            let (Some(key), Some(value)) = (e.key.scalar_text(), e.value.scalar_text()) else {
                return Err("matchLabels entries must be strings".into());
            };
            requirements.push(Requirement {
                key: key.to_string(),
                operator: Operator::In,
                values: vec![value.to_string()],
            });
        }
        for expr in node
            .get("matchExpressions")
            .map(Node::items)
            .unwrap_or_default()
        {
            let key = expr
                .get("key")
                .and_then(Node::as_str)
                .ok_or("a matchExpressions entry needs a key")?;
            let operator = match expr.get("operator").and_then(Node::as_str) {
                Some("In") => Operator::In,
                Some("NotIn") => Operator::NotIn,
                Some("Exists") => Operator::Exists,
                Some("DoesNotExist") => Operator::DoesNotExist,
                other => return Err(format!("unknown selector operator {other:?}")),
            };
            let values: Vec<String> = expr
                .get("values")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.scalar_text().map(str::to_string))
                .collect();
            let needs_values = matches!(operator, Operator::In | Operator::NotIn);
            if needs_values == values.is_empty() {
                return Err(format!(
                    "operator {operator:?} {} values",
                    if needs_values { "needs" } else { "takes no" }
                ));
            }
            requirements.push(Requirement {
                key: key.to_string(),
                operator,
                values,
            });
        }
        Ok(LabelSelector { requirements })
    }

    /// True when the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Does a set of labels satisfy every requirement? `label(key)` gives a label's value.
    pub fn matches<'a>(&self, label: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| {
            let value = label(&r.key);
            match r.operator {
                Operator::In => value.is_some_and(|v| r.values.iter().any(|x| x == v)),
                Operator::NotIn => value.is_none_or(|v| r.values.iter().all(|x| x != v)),
                Operator::Exists => value.is_some(),
                Operator::DoesNotExist => value.is_none(),
            }
        })
    }

    /// Matches against a `labels` mapping node (absent or null: no labels).
    pub fn matches_node(&self, labels: Option<&Node>) -> bool {
        self.matches(|k| labels.and_then(|l| l.get(k)).and_then(Node::scalar_text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    fn node(text: &str) -> Node {
        parse_stream(text, &Limits::default())
            .documents
            .remove(0)
            .root
    }

    #[test]
    fn operators_follow_the_api_semantics() {
        let sel = LabelSelector::parse(&node(
            "matchLabels: {app: web}\nmatchExpressions:\n- {key: tier, operator: In, values: [a, b]}\n- {key: env, operator: NotIn, values: [dev]}\n- {key: team, operator: Exists}\n- {key: legacy, operator: DoesNotExist}\n",
        ))
        .unwrap();
        let labels = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(x, _)| *x == k).map(|(_, v)| *v)
        };
        assert!(sel.matches(labels(&[("app", "web"), ("tier", "a"), ("team", "t")])));
        // NotIn matches an absent key; here env=dev is listed, so it fails.
        assert!(!sel.matches(labels(&[
            ("app", "web"),
            ("tier", "a"),
            ("team", "t"),
            ("env", "dev")
        ])));
        assert!(!sel.matches(labels(&[("app", "web"), ("tier", "c"), ("team", "t")])));
        assert!(!sel.matches(labels(&[("app", "web"), ("tier", "a")])));
        assert!(!sel.matches(labels(&[
            ("app", "web"),
            ("tier", "a"),
            ("team", "t"),
            ("legacy", "1")
        ])));
    }

    #[test]
    fn empty_selector_matches_everything() {
        let sel = LabelSelector::parse(&node("{}")).unwrap();
        assert!(sel.is_empty() && sel.matches(|_| None));
    }

    #[test]
    fn invalid_selectors_are_errors() {
        assert!(LabelSelector::parse(&node(
            "matchExpressions: [{key: a, operator: Matches, values: [x]}]"
        ))
        .is_err());
        assert!(LabelSelector::parse(&node("matchExpressions: [{key: a, operator: In}]")).is_err());
        assert!(LabelSelector::parse(&node(
            "matchExpressions: [{key: a, operator: Exists, values: [x]}]"
        ))
        .is_err());
        assert!(LabelSelector::parse(&node("[1]")).is_err());
    }
}
