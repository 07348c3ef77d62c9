//! The one result type every analyzer produces: [`Finding`].

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use serde::Serialize;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, no risk on its own.
    Info,
    /// Defence in depth.
    Low,
    /// A weakness an attacker can use with other steps.
    Medium,
    /// A direct path to compromise of the workload or node.
    High,
    /// A direct path to compromise of the cluster.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// Lowercase name (`high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a lowercase or capitalised name.
    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which Kubernetes object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// `apps/v1`, `v1`, ...
    pub api_version: String,
    /// `Deployment`, ...
    pub kind: String,
    /// The namespace as written; `None` for cluster-scoped objects and for namespaced
    /// objects that leave it to the namespace kubectl applies them to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `metadata.name` (or `generateName` when there is no name).
    pub name: String,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// A place in an input: the reported path (a Helm template path when the stream said so),
/// and a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// Path as reported to the user.
    pub path: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path, self.line, self.col)
    }
}

/// One problem found: which rule, how bad, on which object, where, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The rule id (`PAL-POD-002`); its metadata is in the rule catalog.
    pub rule_id: RuleId,
    /// Severity (the rule's, or the configured override).
    pub severity: Severity,
    /// The object (shared with every other finding on it).
    pub object: Arc<ObjectRef>,
    /// The offending field's place when it exists, else the object's.
    pub location: Location,
    /// Path of the offending field inside the object (`spec.containers[0].image`), when the
    /// finding is about one field.
    /// Shared: a scan's findings name only a few dozen distinct fields
    /// ([`crate::shared_text`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Arc<str>>,
    /// What is wrong, specific to this object. Boxed: 16 bytes, not a `String`'s 24.
    pub message: Box<str>,
    /// The offending value, when it is short and not secret. Boxed (16 bytes, not a
    /// `String`'s 24): set on few findings, held by every one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Box<str>>,
}

impl Finding {
    /// Sort key: by path, line, column, then rule.
    pub fn sort_key(&self) -> (&str, u32, u32, &str) {
        (
            &self.location.path,
            self.location.line,
            self.location.col,
            &self.rule_id,
        )
    }
}

/// A finding's rule id: a built-in rule's static id, or one a user policy names (shared by
/// that rule's findings). Sixteen bytes where a `Cow<str>` takes 24: a large scan holds
/// hundreds of thousands of findings, and holds them twice while it merges them. Compares,
/// hashes and prints as the id's text.
#[derive(Clone)]
pub enum RuleId {
    /// A built-in rule's id.
    Borrowed(&'static str),
    /// An id read from a policy.
    Owned(Arc<String>),
}

impl RuleId {
    /// An id made at run time (a policy's).
    pub fn owned(id: impl Into<String>) -> RuleId {
        RuleId::Owned(Arc::new(id.into()))
    }

    /// The id as a `String` of its own.
    pub fn into_owned(self) -> String {
        match self {
            RuleId::Borrowed(id) => id.to_string(),
            RuleId::Owned(id) => Arc::try_unwrap(id).unwrap_or_else(|shared| (*shared).clone()),
        }
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        match self {
            RuleId::Borrowed(id) => id,
            RuleId::Owned(id) => id,
        }
    }
}

impl Deref for RuleId {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for RuleId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for RuleId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for RuleId {
    fn from(id: &'static str) -> RuleId {
        RuleId::Borrowed(id)
    }
}

impl From<String> for RuleId {
    fn from(id: String) -> RuleId {
        RuleId::owned(id)
    }
}

impl PartialEq for RuleId {
    fn eq(&self, other: &RuleId) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RuleId {}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for RuleId {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<RuleId> for str {
    fn eq(&self, other: &RuleId) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<RuleId> for String {
    fn eq(&self, other: &RuleId) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<RuleId> for &str {
    fn eq(&self, other: &RuleId) -> bool {
        *self == other.as_str()
    }
}

impl PartialOrd for RuleId {
    fn partial_cmp(&self, other: &RuleId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RuleId {
    fn cmp(&self, other: &RuleId) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for RuleId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod rule_id_tests {
    use super::*;

    #[test]
    fn ids_and_findings_stay_small() {
        assert_eq!(std::mem::size_of::<RuleId>(), 16);
        assert!(std::mem::size_of::<Finding>() <= 104);
    }

    #[test]
    fn an_id_compares_as_its_text() {
        let built_in = RuleId::Borrowed("PAL-POD-001");
        let read = RuleId::owned("PAL-POD-001");
        assert_eq!(built_in, read);
        assert_eq!(built_in, "PAL-POD-001");
        assert!(RuleId::Borrowed("A") < RuleId::owned("B"));
        assert_eq!(read.to_string(), "PAL-POD-001");
        assert_eq!(
            serde_json::to_string(&read).ok().as_deref(),
            Some("\"PAL-POD-001\"")
        );
    }
}
