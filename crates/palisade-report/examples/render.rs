//! Renders a small hand-built report in every format, or in the one named:
//!
//! ```text
//! cargo run -p palisade-report --example render -- table|json|sarif|junit [--color]
//! ```

use std::io::{self, Write};
use std::sync::Arc;

use palisade_core::exceptions::{Suppressed, Suppression};
use palisade_core::{
    Controls, Family, Finding, LoadError, Location, ObjectRef, PssLevel, Report, Rule, Severity,
    Stats,
};
use palisade_report::{render, Format, Options};

static PRIVILEGED: Rule = Rule {
    id: "PAL-POD-002",
    title: "Privileged container",
    severity: Severity::Critical,
    family: Family::PodSecurity,
    description: "A privileged container has every capability and all host devices.",
    remediation: "Remove `securityContext.privileged: true`.",
    references: &["https://kubernetes.io/docs/concepts/security/pod-security-standards/"],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.2.1"],
        nsa: &[],
        mitre: &["T1611"],
    },
};

fn finding(name: &str, line: u32, field: &str) -> Finding {
    Finding {
        rule_id: palisade_core::RuleId::Borrowed(PRIVILEGED.id),
        severity: Severity::Critical,
        object: std::sync::Arc::new(ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("prod".into()),
            name: name.into(),
        }),
        location: Location {
            path: Arc::from("deploy/web app.yaml"),
            line,
            col: 11,
        },
        field: Some(field.into()),
        message: "container \"app\" runs privileged".into(),
        evidence: Some("true".into()),
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let color = args.iter().any(|a| a == "--color");
    let formats: Vec<Format> = match args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(String::as_str)
    {
        Some("table") => vec![Format::Table],
        Some("json") => vec![Format::Json],
        Some("sarif") => vec![Format::Sarif],
        Some("junit") => vec![Format::Junit],
        Some(other) => {
            eprintln!("unknown format {other:?}: table, json, sarif or junit");
            std::process::exit(2);
        }
        None => vec![Format::Table, Format::Json, Format::Sarif, Format::Junit],
    };
    let report = Report {
        version: env!("CARGO_PKG_VERSION"),
        findings: vec![finding(
            "web",
            14,
            "spec.template.spec.containers[0].securityContext.privileged",
        )],
        suppressed: vec![Suppressed {
            finding: finding(
                "debug",
                40,
                "spec.template.spec.containers[1].securityContext.privileged",
            ),
            by: Suppression::Annotation {
                reason: "debug build, never deployed to prod".into(),
            },
        }],
        errors: vec![LoadError {
            path: Arc::from("broken.yaml"),
            line: Some(3),
            col: Some(7),
            message: "mapping values are not allowed here".into(),
        }],
        notes: vec![],
        rules: vec![&PRIVILEGED],
        stats: Stats {
            inputs: 2,
            objects: 2,
            dockerfiles: 0,
        },
        frameworks: vec![],
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for format in formats {
        render(&report, format, &Options { color }, &mut out)?;
    }
    out.flush()
}
