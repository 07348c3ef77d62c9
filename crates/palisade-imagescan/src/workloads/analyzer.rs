//! The workloads' image findings as an analyzer of `palisade-engine`, so exceptions,
//! ordering and frameworks treat them like every other finding. The analyzer lives here,
//! beside the code that reads and pulls images, so the engine crate needs no registry
//! client; this crate depends only on the engine's `Analyzer` trait.

use palisade_core::{Config, Finding, Inventory, Rule};
use palisade_engine::Analyzer;

/// Every rule an image may add to a scan: the image rules ([`crate::catalog`]) and
/// PAL-VULN-001 ([`crate::vulns::catalog`]).
pub fn catalog() -> Vec<&'static Rule> {
    let mut rules = crate::catalog();
    rules.extend(crate::vulns::catalog());
    rules
}

/// Findings [`super::judge`] made, handed to the engine. The images were read before the
/// engine runs (analyzers do no I/O).
#[derive(Debug, Default)]
pub struct WorkloadImages {
    /// The findings [`super::judge`] made (`Judged::findings`).
    pub findings: Vec<Finding>,
}

impl Analyzer for WorkloadImages {
    fn name(&self) -> &'static str {
        "images"
    }

    fn rules(&self) -> Vec<&'static Rule> {
        catalog()
    }

    fn check_inventory(&self, _: &Inventory, _: &Config) -> Vec<Finding> {
        self.findings.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use palisade_core::{Location, ObjectRef, Severity};

    use super::*;

    #[test]
    fn the_catalog_is_the_image_rules_and_the_vulnerability_rule() {
        let ids: Vec<&str> = catalog().iter().map(|r| r.id).collect();
        assert!(ids.contains(&"PAL-IMAGE-001"), "{ids:?}");
        assert_eq!(ids.last(), Some(&"PAL-VULN-001"));
        assert_eq!(ids.len(), crate::catalog().len() + 1);
    }

    #[test]
    fn the_analyzer_hands_the_judged_findings_to_the_engine() {
        let finding = Finding {
            rule_id: "PAL-VULN-001".into(),
            severity: Severity::High,
            object: Arc::new(ObjectRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: "web".into(),
            }),
            location: Location {
                path: "m.yaml".into(),
                line: 12,
                col: 16,
            },
            field: Some("spec.template.spec.containers[0].image".into()),
            message: "container `app` runs image `example.test/shop:2`: …".into(),
            evidence: Some("CVE-2024-0001".into()),
        };
        let analyzer = WorkloadImages {
            findings: vec![finding],
        };
        assert_eq!(analyzer.name(), "images");
        assert_eq!(analyzer.rules().len(), catalog().len());
        let config = Config::default();
        let inventory = Inventory::default();
        assert!(analyzer.check_objects(&[], &config).is_empty());
        let out = analyzer.analyze_inventory(&inventory, &config);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].location.line, 12);
        assert_eq!(out.findings[0].object.name, "web");
    }
}
