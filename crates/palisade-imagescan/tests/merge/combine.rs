use palisade_imagescan::merge::{
    merge, to_json, to_table, Disagreement, Merged, MergedRow, ReportKind, ReportedPackage,
    ReportedVuln, ScannerReport, Severity, VexState,
};

use crate::report;

fn row<'a>(m: &'a Merged, id: &str, pkg: &str) -> &'a MergedRow {
    m.rows
        .iter()
        .find(|r| r.id == id && r.package.name == pkg)
        .unwrap_or_else(|| panic!("no row {id} {pkg}: {:#?}", ids(m)))
}

fn ids(m: &Merged) -> Vec<(String, String)> {
    m.rows
        .iter()
        .map(|r| (r.id.clone(), r.package.name.clone()))
        .collect()
}

fn three() -> Merged {
    merge(&[
        report("trivy-api.json"),
        report("grype-api.json"),
        report("cdx-vex-1.5.json"),
    ])
}

#[test]
fn same_vulnerability_under_ghsa_and_cve_is_one_row() {
    let m = three();
    let flask = row(&m, "CVE-2023-30861", "flask");
    assert!(flask.aliases.contains(&"GHSA-m2qf-hxjv-5gpq".to_string()));
    assert!(flask.scanners.iter().all(|c| c.found), "both found it");
    assert_eq!(flask.scanners[1].ids, ["GHSA-m2qf-hxjv-5gpq"]);
    assert!(
        flask.disagreements.is_empty(),
        "same fixed versions in another order, same severity: {:?}",
        flask.disagreements
    );
    let werkzeug = row(&m, "CVE-2024-34069", "werkzeug");
    assert!(werkzeug.scanners.iter().all(|c| c.found));
    assert_eq!(
        m.rows.iter().filter(|r| r.package.name == "flask").count(),
        1
    );
}

#[test]
fn rows_and_counts() {
    let m = three();
    // libssl3 x3, flask, werkzeug, setuptools, requests, stdlib
    assert_eq!(m.rows.len(), 8, "{:#?}", ids(&m));
    let trivy = &m.scanners[0];
    let grype = &m.scanners[1];
    assert_eq!(
        (trivy.found, trivy.unique),
        (7, 2),
        "setuptools and CVE-2024-2511"
    );
    assert_eq!((grype.found, grype.unique), (6, 1), "requests");
    assert_eq!(m.scanners[2].kind, ReportKind::Vex);
    assert_eq!(m.scanners[2].vex_applied, 2);
    assert_eq!(m.rows[0].scanners.len(), 2, "the VEX report gets no column");
    assert!(m.notes.is_empty(), "same image digest: {:?}", m.notes);
}

#[test]
fn advisory_shared_by_two_cves_does_not_merge_them() {
    let m = three();
    let a = row(&m, "CVE-2023-5678", "libssl3");
    let b = row(&m, "CVE-2023-5363", "libssl3");
    assert!(a.aliases.contains(&"DSA-5532-1".to_string()));
    assert!(b.aliases.contains(&"DSA-5532-1".to_string()));
    assert_eq!(a.package.source_name.as_deref(), Some("openssl"));
}

#[test]
fn disagreements_are_reported() {
    let m = three();
    let sev = row(&m, "CVE-2023-5678", "libssl3");
    assert_eq!(sev.severity, Severity::High, "the highest rating");
    assert!(sev.disagreements.contains(&Disagreement::Severity {
        by_scanner: vec![
            ("trivy".into(), Severity::High),
            ("grype".into(), Severity::Medium)
        ]
    }));
    let fix = row(&m, "CVE-2023-5363", "libssl3");
    assert!(
        matches!(
            &fix.disagreements[..],
            [Disagreement::FixedVersions { by_scanner }]
                if by_scanner[1].1 == ["3.0.13-1~deb12u1"]
        ),
        "{:?}",
        fix.disagreements
    );
    let only = row(&m, "CVE-2022-40897", "setuptools");
    assert_eq!(
        only.disagreements,
        [Disagreement::Presence {
            found_by: vec!["trivy".into()],
            missed_by: vec!["grype".into()]
        }]
    );
}

#[test]
fn go_toolchain_versions_spelled_differently_are_one_row() {
    let m = three();
    let go = row(&m, "CVE-2023-45288", "stdlib");
    assert!(go.scanners.iter().all(|c| c.found));
    assert!(go.disagreements.is_empty(), "{:?}", go.disagreements);
}

#[test]
fn cyclonedx_vex_marks_matching_rows() {
    let m = three();
    let na = row(&m, "CVE-2024-2511", "libssl3");
    assert_eq!(na.vex.len(), 1);
    assert_eq!(na.vex[0].analysis.state, VexState::NotAffected);
    assert_eq!(na.vex[0].from, "cyclonedx");
    assert!(na.cleared_by_vex());
    let fp = row(&m, "CVE-2023-32681", "requests");
    assert_eq!(fp.vex[0].analysis.state, VexState::FalsePositive);
    let untouched = row(&m, "CVE-2023-5678", "libssl3");
    assert!(untouched.vex.is_empty());
    assert_eq!(m.unmatched_vex.len(), 1);
    assert_eq!(m.unmatched_vex[0].id, "CVE-2099-0001");
}

#[test]
fn vex_for_another_version_does_not_mark() {
    let mut vex = report("cdx-vex-1.5.json");
    vex.findings[0].package.version = "3.0.13-1~deb12u1".into();
    vex.findings[0].package.purl = None;
    let m = merge(&[report("trivy-api.json"), vex]);
    assert!(row(&m, "CVE-2024-2511", "libssl3").vex.is_empty());
    assert_eq!(
        m.unmatched_vex.len(),
        3,
        "also requests (no grype report) and the product one"
    );
}

#[test]
fn product_level_vex_marks_every_package_of_the_vulnerability() {
    let finding = |name: &str, analysis| ReportedVuln {
        id: "CVE-2024-7".into(),
        aliases: vec![],
        package: ReportedPackage {
            name: name.into(),
            version: if name.is_empty() { "" } else { "1.0" }.into(),
            ecosystem: "npm".into(),
            purl: None,
            source_name: None,
        },
        fixed_versions: vec![],
        severity: Severity::Low,
        fix_state: None,
        layer_digest: None,
        layer_diff_id: None,
        path: None,
        vex: analysis,
    };
    let scan = ScannerReport {
        scanner: "palisade".into(),
        version: None,
        target: None,
        target_digest: None,
        source: "p.json".into(),
        kind: ReportKind::Scan,
        findings: vec![finding("a", None), finding("b", None)],
        warnings: vec![],
    };
    let mut vex = scan.clone();
    vex.scanner = "cyclonedx".into();
    vex.kind = ReportKind::Vex;
    vex.findings = vec![finding(
        "",
        Some(palisade_imagescan::merge::VexAnalysis {
            state: VexState::Resolved,
            justification: None,
            responses: vec![],
            detail: None,
        }),
    )];
    let m = merge(&[scan, vex]);
    assert_eq!(m.rows.len(), 2);
    assert!(m.rows.iter().all(|r| r.cleared_by_vex()));
}

#[test]
fn two_reports_of_one_scanner_get_distinct_labels_and_different_digests_are_noted() {
    let a = report("trivy-api.json");
    let mut b = a.clone();
    b.target_digest = Some("sha256:0000".into());
    let m = merge(&[a, b]);
    assert_eq!(m.scanners[1].label, "trivy-2");
    assert!(m.rows.iter().all(|r| r.disagreements.is_empty()));
    assert_eq!(m.notes.len(), 1, "{:?}", m.notes);
}

#[test]
fn table_is_sorted_by_severity_then_id() {
    let m = three();
    let sev: Vec<Severity> = m.rows.iter().map(|r| r.severity).collect();
    let mut sorted = sev.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(sev, sorted);
    let table = to_table(&m);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("SEVERITY")
            && lines[0].contains("TRIVY")
            && lines[0].contains("GRYPE")
    );
    assert!(lines[1].starts_with("HIGH"));
    let high_ids: Vec<&str> = lines[1..]
        .iter()
        .take_while(|l| l.starts_with("HIGH"))
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    let key =
        |id: &str| -> Vec<u64> { id.split('-').skip(1).map(|n| n.parse().unwrap()).collect() };
    let mut sorted_ids = high_ids.clone();
    sorted_ids.sort_by_key(|id| key(id));
    assert_eq!(high_ids, sorted_ids, "numbers compare as numbers");
    assert_eq!(high_ids[0], "CVE-2023-5678");
    let setuptools = lines.iter().find(|l| l.contains("setuptools")).unwrap();
    assert!(setuptools.contains("fix 65.5.1") && setuptools.contains("only:trivy"));
    let na = lines.iter().find(|l| l.contains("CVE-2024-2511")).unwrap();
    assert!(
        na.contains("no fix") && na.contains("vex:not_affected"),
        "{na}"
    );
    assert!(table.contains("trivy: 7 findings read, 7 rows found, 2 only by it"));
}

#[test]
fn json_has_the_documented_shape() {
    let m = three();
    let v: serde_json::Value = serde_json::from_str(&to_json(&m)).unwrap();
    assert_eq!(v["schema"], "palisade.merge/v1");
    assert_eq!(v["scanners"].as_array().unwrap().len(), 3);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), m.rows.len());
    let r = rows.iter().find(|r| r["id"] == "CVE-2023-5678").unwrap();
    assert_eq!(r["severity"], "high");
    assert_eq!(r["package"]["ecosystem"], "deb");
    assert_eq!(r["scanners"][1]["label"], "grype");
    assert!(r["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["kind"] == "severity"));
    assert_eq!(v["unmatched_vex"][0]["analysis"]["state"], "resolved");
}
