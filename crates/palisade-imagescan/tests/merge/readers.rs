use palisade_imagescan::merge::{
    read_report, ReportKind, ReportedVuln, ScannerReport, Severity, VexState,
};

use crate::report;

fn find<'a>(r: &'a ScannerReport, id: &str, pkg: &str) -> &'a ReportedVuln {
    r.findings
        .iter()
        .find(|f| f.id == id && f.package.name == pkg)
        .unwrap_or_else(|| panic!("{id} in {pkg} not read from {}", r.source))
}

#[test]
fn trivy_fields_are_mapped() {
    let r = report("trivy-api.json");
    assert_eq!(r.scanner, "trivy");
    assert_eq!(r.kind, ReportKind::Scan);
    assert_eq!(r.target.as_deref(), Some("registry.example/shop/api:1.4"));
    assert_eq!(
        r.target_digest.as_deref(),
        Some("sha256:9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877665544")
    );
    assert_eq!(r.findings.len(), 7, "secrets result has no vulnerabilities");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);

    let f = find(&r, "CVE-2023-5678", "libssl3");
    assert_eq!(f.aliases, ["DSA-5532-1"]);
    assert_eq!(f.package.version, "3.0.11-1~deb12u1");
    assert_eq!(f.package.ecosystem, "deb");
    assert_eq!(
        f.package.source_name.as_deref(),
        Some("openssl"),
        "from Packages[].SrcName"
    );
    assert_eq!(f.fixed_versions, ["3.0.11-1~deb12u2"]);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.fix_state.as_deref(), Some("fixed"));
    assert!(f
        .layer_digest
        .as_deref()
        .unwrap()
        .starts_with("sha256:7e1d"));
    assert!(f
        .layer_diff_id
        .as_deref()
        .unwrap()
        .starts_with("sha256:1f9c"));

    let flask = find(&r, "CVE-2023-30861", "Flask");
    assert_eq!(
        flask.fixed_versions,
        ["2.3.2", "2.2.5"],
        "comma-separated list split"
    );
    assert_eq!(flask.package.ecosystem, "pypi");
    assert_eq!(flask.package.purl.as_deref(), Some("pkg:pypi/flask@2.2.2"));
    assert!(flask.path.as_deref().unwrap().ends_with("METADATA"));

    let unfixed = find(&r, "CVE-2024-2511", "libssl3");
    assert!(unfixed.fixed_versions.is_empty());
    assert_eq!(unfixed.layer_digest, None, "only DiffID given");
    assert_eq!(unfixed.severity, Severity::Low);
}

#[test]
fn trivy_without_purl_takes_the_ecosystem_from_the_result_type() {
    let doc = br#"{"SchemaVersion":2,"Results":[{"Type":"alpine","Vulnerabilities":[
        {"VulnerabilityID":"CVE-2024-9","PkgName":"busybox","InstalledVersion":"1.36.1-r2"}]}]}"#;
    let r = read_report("t.json", doc).unwrap();
    let f = &r.findings[0];
    assert_eq!(f.package.ecosystem, "apk");
    assert_eq!(f.severity, Severity::Unknown, "no Severity given");
    assert_eq!(f.fix_state, None);
    assert_eq!(r.target, None);
}

#[test]
fn grype_fields_are_mapped() {
    let r = report("grype-api.json");
    assert_eq!(r.scanner, "grype");
    assert_eq!(r.version.as_deref(), Some("0.79.0"));
    assert_eq!(r.target.as_deref(), Some("registry.example/shop/api:1.4"));
    assert!(r
        .target_digest
        .as_deref()
        .unwrap()
        .starts_with("sha256:9d8c"));
    assert_eq!(r.findings.len(), 6);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);

    let f = find(&r, "GHSA-m2qf-hxjv-5gpq", "flask");
    assert_eq!(f.aliases, ["CVE-2023-30861"], "relatedVulnerabilities");
    assert_eq!(f.fixed_versions, ["2.2.5", "2.3.2"]);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.fix_state.as_deref(), Some("fixed"));
    assert_eq!(f.package.ecosystem, "pypi");
    assert!(f
        .layer_diff_id
        .as_deref()
        .unwrap()
        .starts_with("sha256:2a8b"));

    let ssl = find(&r, "CVE-2023-5678", "libssl3");
    assert!(
        ssl.aliases.is_empty(),
        "a related entry with the same id is not an alias"
    );
    assert_eq!(
        ssl.package.source_name.as_deref(),
        Some("openssl"),
        "upstreams[0]"
    );
    assert_eq!(
        ssl.path.as_deref(),
        Some("/usr/share/doc/libssl3/copyright"),
        "first location"
    );

    let go = find(&r, "CVE-2023-45288", "stdlib");
    assert_eq!(go.package.ecosystem, "golang");
    assert_eq!(go.package.version, "go1.21.0");
}

#[test]
fn grype_without_purl_maps_the_artifact_type() {
    let doc = br#"{"matches":[{"vulnerability":{"id":"GHSA-aaaa-bbbb-cccc","severity":"Negligible"},
        "artifact":{"name":"left-pad","version":"1.0.0","type":"npm"}}],"descriptor":{"name":"grype"}}"#;
    let r = read_report("g.json", doc).unwrap();
    let f = &r.findings[0];
    assert_eq!(f.package.ecosystem, "npm");
    assert_eq!(f.severity, Severity::Negligible);
    assert!(f.fixed_versions.is_empty(), "no fix object");
    assert_eq!(r.version, None);
}

#[test]
fn cyclonedx_scan_bom_resolves_refs_ratings_and_fixes() {
    let r = report("cdx-scan-1.4.json");
    assert_eq!(r.scanner, "cyclonedx");
    assert_eq!(r.kind, ReportKind::Scan);
    assert_eq!(
        r.version.as_deref(),
        Some("depscan 2.1.0"),
        "1.4 tools array"
    );
    assert_eq!(r.target.as_deref(), Some("registry.example/shop/api"));
    assert!(r
        .target_digest
        .as_deref()
        .unwrap()
        .starts_with("sha256:9d8c"));

    let ssl = find(&r, "CVE-2023-5678", "libssl3");
    assert_eq!(
        ssl.severity,
        Severity::Low,
        "the rating from the vulnerability's own source"
    );
    assert_eq!(ssl.aliases, ["DSA-5532-1"]);
    assert_eq!(
        ssl.fixed_versions,
        ["3.0.11-1~deb12u2"],
        "unaffected version"
    );
    assert_eq!(
        ssl.package.source_name.as_deref(),
        Some("openssl"),
        "trivy SrcName property"
    );
    assert!(ssl.layer_diff_id.is_some());

    let flask = find(&r, "GHSA-m2qf-hxjv-5gpq", "flask");
    assert_eq!(flask.aliases, ["CVE-2023-30861", "PYSEC-2023-62"]);
    assert_eq!(flask.severity, Severity::High, "from the CVSS score");
    assert_eq!(
        flask.fixed_versions,
        ["2.2.5", "2.3.2"],
        "lower bounds of vers ranges"
    );
    assert_eq!(flask.vex.as_ref().unwrap().state, VexState::Exploitable);
    assert!(
        flask.path.as_deref().unwrap().contains("Flask-2.2.2"),
        "nested component, syft path"
    );

    let text = find(&r, "CVE-2022-42889", "org.apache.commons:commons-text");
    assert_eq!(text.severity, Severity::Critical);
    assert_eq!(text.package.ecosystem, "unknown", "no purl");
    assert_eq!(
        r.warnings.len(),
        1,
        "the ref naming nothing is reported: {:?}",
        r.warnings
    );
    assert_eq!(
        r.warnings[0].json_path,
        "$.vulnerabilities[2].affects[1].ref"
    );
}

#[test]
fn cyclonedx_vex_only_bom_is_a_vex_report() {
    let r = report("cdx-vex-1.5.json");
    assert_eq!(r.kind, ReportKind::Vex);
    assert_eq!(r.findings.len(), 3);
    let na = find(&r, "CVE-2024-2511", "libssl3");
    let a = na.vex.as_ref().unwrap();
    assert_eq!(a.state, VexState::NotAffected);
    assert_eq!(a.justification.as_deref(), Some("code_not_reachable"));
    assert_eq!(a.responses, ["will_not_fix"]);
    assert_eq!(na.package.ecosystem, "deb", "package from the purl ref");
    let fp = find(&r, "GHSA-j8r2-6x86-q33q", "requests");
    assert_eq!(
        fp.package.version, "2.28.1",
        "BOM-Link fragment read as a purl"
    );
    let product = r.findings.iter().find(|f| f.id == "CVE-2099-0001").unwrap();
    assert!(
        product.package.name.is_empty(),
        "ref to metadata.component is the product"
    );
}

#[test]
fn palisade_model_round_trips_through_json() {
    let r = report("trivy-api.json");
    let mut as_palisade = r.clone();
    as_palisade.scanner = "palisade".into();
    let text = serde_json::to_string(&as_palisade).unwrap();
    let back = read_report("palisade.json", text.as_bytes()).unwrap();
    assert_eq!(back.scanner, "palisade");
    assert_eq!(back.findings, r.findings);
}

#[test]
fn cyclonedx_sbom_without_vulnerabilities_is_flagged() {
    let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
        {"type":"library","bom-ref":"a","name":"a","version":"1","purl":"pkg:npm/a@1"}]}"#;
    let r = read_report("sbom.json", doc).unwrap();
    assert!(r.findings.is_empty());
    assert_eq!(r.kind, ReportKind::Scan);
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(r.warnings[0].json_path, "$.vulnerabilities");
}
