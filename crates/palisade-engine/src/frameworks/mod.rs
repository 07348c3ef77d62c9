//! Outside frameworks and how the catalog judges them.
//!
//! Each framework is a list of controls (id and a short title, written for Palisade from the
//! public documents) and a way to tell which rules judge each control:
//!
//! - CIS, NSA/CISA and MITRE ATT&CK read the rules' own mappings ([`Rule::controls`]), so a
//!   new rule that names `5.2.2` counts for CIS 5.2.2 without touching this module;
//! - the Pod Security Standards list, per control, the rules that implement it: a rule only
//!   carries its PSS *level*, and a control (say `capabilities`) is implemented by exactly
//!   one or two rules, so naming them here is more precise than a mapping string on every
//!   rule. A test keeps the two in step: every rule with a PSS level is listed under exactly
//!   one control of that level, and every listed rule has that level.
//!
//! A control the inputs cannot show (node settings, API server flags, the CNI) is declared
//! [`JudgedBy::Outside`] with the reason, and is reported as not covered whatever the rules
//! say. [`summarize`] judges a scan's findings against the frameworks asked for;
//! [`Engine::scan`](crate::Engine::scan) calls it with [`ScanOptions::frameworks`](crate::ScanOptions::frameworks).
//!
//! ```
//! use palisade_core::{inventory, Config, ControlStatus, Date, Inventory};
//! use palisade_engine::{Engine, FrameworkId, ScanOptions};
//!
//! let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  hostPID: true\n  containers: [{name: c, image: nginx}]\n";
//! let mut inv = Inventory::default();
//! inv.add(inventory::load_str("pod.yaml", text, &Default::default()));
//! let options = ScanOptions::on(Date::from_unix_days(20_000))
//!     .with_frameworks(vec![FrameworkId::Cis]);
//! let report = Engine::builtin().scan(&inv, &Config::default(), &options);
//! let cis = &report.frameworks[0];
//! let host_pid = cis.controls.iter().find(|c| c.id == "5.2.3").unwrap();
//! assert_eq!(host_pid.status, ControlStatus::Fail);
//! assert_eq!(host_pid.failing[0].to_string(), "Pod/app/p");
//! let provenance = cis.controls.iter().find(|c| c.id == "5.5.1").unwrap();
//! assert_eq!(provenance.status, ControlStatus::NotCovered);
//! ```

mod cis;
mod mitre;
mod nsa;
mod pss;
mod summary;

use std::fmt;

use palisade_core::Rule;

pub use summary::summarize;

/// The frameworks Palisade can summarise a scan against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FrameworkId {
    /// Pod Security Standards, baseline profile.
    PssBaseline,
    /// Pod Security Standards, restricted profile (includes the baseline controls).
    PssRestricted,
    /// CIS Kubernetes Benchmark, section 5 (Policies).
    Cis,
    /// NSA/CISA Kubernetes Hardening Guide.
    Nsa,
    /// MITRE ATT&CK for Containers, the techniques that concern Kubernetes.
    Mitre,
}

impl FrameworkId {
    /// Every framework, in the order the docs list them.
    pub const ALL: [FrameworkId; 5] = [
        FrameworkId::PssBaseline,
        FrameworkId::PssRestricted,
        FrameworkId::Cis,
        FrameworkId::Nsa,
        FrameworkId::Mitre,
    ];

    /// The id users type (`pss-baseline`, `cis`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FrameworkId::PssBaseline => "pss-baseline",
            FrameworkId::PssRestricted => "pss-restricted",
            FrameworkId::Cis => "cis",
            FrameworkId::Nsa => "nsa",
            FrameworkId::Mitre => "mitre",
        }
    }

    /// Parses an id as [`as_str`](Self::as_str) writes it, ignoring ASCII case.
    pub fn parse(text: &str) -> Option<FrameworkId> {
        FrameworkId::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The framework's definition.
    pub fn framework(self) -> Framework {
        match self {
            FrameworkId::PssBaseline => pss::baseline(),
            FrameworkId::PssRestricted => pss::restricted(),
            FrameworkId::Cis => cis::framework(),
            FrameworkId::Nsa => nsa::framework(),
            FrameworkId::Mitre => mitre::framework(),
        }
    }
}

impl fmt::Display for FrameworkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a control is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgedBy {
    /// By every rule whose mapping for this framework names the control.
    Mappings,
    /// By exactly these rules.
    Rules(&'static [&'static str]),
    /// Not from manifests: the reason (what would be needed).
    Outside(&'static str),
}

/// One control of a framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    /// Id within the framework.
    pub id: &'static str,
    /// Short title (Palisade's wording).
    pub title: &'static str,
    /// Which rules judge it.
    pub judged_by: JudgedBy,
}

impl Control {
    /// A control judged by the rules' mappings.
    pub const fn mapped(id: &'static str, title: &'static str) -> Control {
        Control {
            id,
            title,
            judged_by: JudgedBy::Mappings,
        }
    }

    /// A control judged by exactly `rules`.
    pub const fn rules(
        id: &'static str,
        title: &'static str,
        rules: &'static [&'static str],
    ) -> Control {
        Control {
            id,
            title,
            judged_by: JudgedBy::Rules(rules),
        }
    }

    /// A control manifests cannot show, with the reason.
    pub const fn outside(id: &'static str, title: &'static str, reason: &'static str) -> Control {
        Control {
            id,
            title,
            judged_by: JudgedBy::Outside(reason),
        }
    }
}

/// A framework: its controls and how a rule's mappings name them.
#[derive(Debug, Clone)]
pub struct Framework {
    /// Which framework.
    pub id: FrameworkId,
    /// Human name with the version followed.
    pub title: &'static str,
    /// Where it is published.
    pub uri: &'static str,
    /// Controls, in the framework's order.
    pub controls: Vec<Control>,
    /// Whether `rule`'s mappings name the control `id` (for [`JudgedBy::Mappings`]).
    names: fn(rule: &Rule, control: &str) -> bool,
}

impl Framework {
    /// The rules of `catalog` that judge `control`, in catalog order; empty for a control
    /// outside what manifests show.
    pub fn rules_for<'c>(&self, control: &Control, catalog: &[&'c Rule]) -> Vec<&'c Rule> {
        match control.judged_by {
            JudgedBy::Mappings => catalog
                .iter()
                .copied()
                .filter(|r| (self.names)(r, control.id))
                .collect(),
            JudgedBy::Rules(ids) => catalog
                .iter()
                .copied()
                .filter(|r| ids.contains(&r.id))
                .collect(),
            JudgedBy::Outside(_) => Vec::new(),
        }
    }
}

/// Lowercase, with runs of whitespace as one space: how free-text mappings compare.
pub(crate) fn normalise(text: &str) -> String {
    text.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_parse_loosely() {
        for f in FrameworkId::ALL {
            assert_eq!(FrameworkId::parse(f.as_str()), Some(f));
            assert_eq!(f.framework().id, f);
        }
        assert_eq!(FrameworkId::parse(" CIS "), Some(FrameworkId::Cis));
        assert_eq!(FrameworkId::parse("pss"), None);
        assert_eq!(FrameworkId::parse("nist"), None);
    }

    #[test]
    fn control_ids_are_unique_within_a_framework() {
        for f in FrameworkId::ALL {
            let fw = f.framework();
            let mut ids: Vec<&str> = fw.controls.iter().map(|c| c.id).collect();
            ids.sort_unstable();
            let before = ids.len();
            ids.dedup();
            assert_eq!(ids.len(), before, "duplicate control id in {f}");
            assert!(fw.controls.iter().all(|c| !c.title.is_empty()));
        }
    }

    #[test]
    fn normalise_ignores_case_and_spacing() {
        assert_eq!(
            normalise("  Pod security:  Pod Security enforcement "),
            "pod security: pod security enforcement"
        );
    }
}
