use palisade_imagescan::merge::{
    merge, read_report, to_json, to_table, ReadErrorKind, MAX_FINDINGS, MAX_LIST,
};

use crate::fixture_bytes;

#[test]
fn truncated_reports_are_errors_naming_the_file() {
    for name in [
        "trivy-api.json",
        "grype-api.json",
        "cdx-scan-1.4.json",
        "cdx-vex-1.5.json",
    ] {
        let bytes = fixture_bytes(name);
        for cut in [1, bytes.len() / 3, bytes.len() / 2, bytes.len() - 2] {
            let err = read_report(name, &bytes[..cut]).unwrap_err();
            assert!(
                matches!(
                    err.kind,
                    ReadErrorKind::InvalidJson {
                        truncated: true,
                        ..
                    }
                ),
                "{name} cut at {cut}: {err}"
            );
            let msg = err.to_string();
            assert!(msg.starts_with(name) && msg.contains("truncated"), "{msg}");
        }
    }
}

#[test]
fn not_json_and_unknown_json_are_errors() {
    let err = read_report("x.json", b"\xff\xfe not json").unwrap_err();
    assert!(matches!(
        err.kind,
        ReadErrorKind::InvalidJson {
            truncated: false,
            ..
        }
    ));
    let err = read_report("x.json", b"[1,2,3]").unwrap_err();
    assert!(matches!(err.kind, ReadErrorKind::UnknownFormat), "{err}");
    let err =
        read_report("x.json", br#"{"@context":"https://openvex.dev/ns/v0.2.0"}"#).unwrap_err();
    assert!(err.to_string().contains("OpenVEX"), "{err}");
}

#[test]
fn wrong_top_level_types_are_errors_with_the_json_path() {
    let cases: [(&[u8], &str); 4] = [
        (br#"{"SchemaVersion":2,"Results":"none"}"#, "$.Results"),
        (br#"{"matches":{"a":1},"descriptor":{}}"#, "$.matches"),
        (
            br#"{"bomFormat":"CycloneDX","vulnerabilities":7}"#,
            "$.vulnerabilities",
        ),
        (br#"{"bomFormat":"SPDX"}"#, "$.bomFormat"),
    ];
    for (doc, path) in cases {
        let err = read_report("bad.json", doc).unwrap_err();
        match &err.kind {
            ReadErrorKind::Shape { json_path, .. } => assert_eq!(json_path, path),
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string().starts_with(&format!("bad.json: {path}:")),
            "{err}"
        );
    }
}

#[test]
fn wrong_types_inside_findings_skip_only_that_finding() {
    let doc = br#"{"SchemaVersion":2,"Results":[
        {"Type":"debian","Vulnerabilities":[
            {"VulnerabilityID":"CVE-2024-1","PkgName":"a","InstalledVersion":"1"},
            {"VulnerabilityID":42,"PkgName":"b"},
            {"VulnerabilityID":"CVE-2024-3","PkgName":"c","FixedVersion":["1"]},
            "not an object",
            {"VulnerabilityID":"CVE-2024-5","PkgName":"e","VendorIDs":["DSA-1-1",7],"Layer":"x"},
            {"VulnerabilityID":"CVE-2024-6","PkgName":"f","Unknown":{"deep":[1,2]}}
        ]},
        {"Type":"alpine","Vulnerabilities":"oops"},
        17
    ]}"#;
    let r = read_report("t.json", doc).unwrap();
    let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2024-1", "CVE-2024-6"], "unknown fields ignored");
    let paths: Vec<&str> = r.warnings.iter().map(|w| w.json_path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "$.Results[0].Vulnerabilities[1].VulnerabilityID",
            "$.Results[0].Vulnerabilities[2].FixedVersion",
            "$.Results[0].Vulnerabilities[3]",
            "$.Results[0].Vulnerabilities[4].VendorIDs[1]",
            "$.Results[0].Vulnerabilities[4].Layer",
            "$.Results[1].Vulnerabilities",
            "$.Results[2]",
        ]
    );
    assert!(r.warnings[0]
        .to_string()
        .starts_with("t.json: $.Results[0]"));
}

#[test]
fn grype_and_cyclonedx_bad_entries_are_skipped_with_paths() {
    let grype = br#"{"matches":[{"vulnerability":{"id":"CVE-1-1"},"artifact":{"name":5}},
        {"vulnerability":{"id":"CVE-1-2","fix":{"versions":"1.0"}},"artifact":{"name":"x"}},
        {"vulnerability":{"id":"CVE-1-3"},"artifact":{"name":"y","locations":[3]}},
        {"vulnerability":{"id":"CVE-1-4"},"artifact":{"name":"z"}}],"descriptor":{}}"#;
    let r = read_report("g.json", grype).unwrap();
    assert_eq!(r.findings.len(), 1);
    let paths: Vec<&str> = r.warnings.iter().map(|w| w.json_path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "$.matches[0].artifact.name",
            "$.matches[1].vulnerability.fix.versions",
            "$.matches[2].artifact.locations[0]"
        ]
    );
    let cdx = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[
        {"id":"CVE-1-1","analysis":{"state":"maybe"}},
        {"id":"CVE-1-2","affects":[{"noref":1}]},
        {"id":"CVE-1-3","ratings":[{"severity":"HIGH"}]}]}"#;
    let r = read_report("c.json", cdx).unwrap();
    assert_eq!(r.findings.len(), 1);
    assert_eq!(
        r.warnings[0].json_path,
        "$.vulnerabilities[0].analysis.state"
    );
    assert_eq!(
        r.warnings[1].json_path,
        "$.vulnerabilities[1].affects[0].ref"
    );
}

#[test]
fn long_lists_are_capped_and_many_findings_are_read() {
    let aliases: Vec<String> = (0..MAX_LIST + 50)
        .map(|i| format!("\"GHSA-{i:04}-aaaa-bbbb\""))
        .collect();
    let mut vulns = Vec::new();
    for i in 0..20_000 {
        vulns.push(format!(
            r#"{{"VulnerabilityID":"CVE-2024-{i}","PkgName":"p{}","InstalledVersion":"1","Severity":"LOW"}}"#,
            i % 100
        ));
    }
    vulns.push(format!(
        r#"{{"VulnerabilityID":"CVE-2024-X","PkgName":"q","VendorIDs":[{}]}}"#,
        aliases.join(",")
    ));
    let doc = format!(
        r#"{{"SchemaVersion":2,"Results":[{{"Type":"npm","Vulnerabilities":[{}]}}]}}"#,
        vulns.join(",")
    );
    let start = std::time::Instant::now();
    let r = read_report("big.json", doc.as_bytes()).unwrap();
    assert_eq!(r.findings.len(), 20_001);
    let last = r.findings.last().unwrap();
    assert_eq!(last.aliases.len(), MAX_LIST);
    assert!(r.warnings.iter().any(|w| w.message.contains("more than")));
    let m = merge(&[r.clone(), r]);
    assert_eq!(m.rows.len(), 20_001);
    assert!(!to_table(&m).is_empty() && !to_json(&m).is_empty());
    assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
}

#[test]
fn more_findings_than_the_limit_is_an_error() {
    let one = r#"{"vulnerability":{"id":"CVE-1-1"},"artifact":{"name":"a"}}"#;
    let doc = format!(
        r#"{{"matches":[{}],"descriptor":{{}}}}"#,
        vec![one; MAX_FINDINGS + 1].join(",")
    );
    let err = read_report("huge.json", doc.as_bytes()).unwrap_err();
    assert!(
        matches!(err.kind, ReadErrorKind::TooManyFindings { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("$.matches"));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let doc = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(read_report("deep.json", doc.as_bytes()).is_err());
    let cdx = format!(
        r#"{{"bomFormat":"CycloneDX","components":{}1{}}}"#,
        r#"[{"components":"#.repeat(60),
        "}]".repeat(60)
    );
    let _ = read_report("nested.json", cdx.as_bytes());
}

#[test]
fn fuzz_harness_survives_the_fixtures_and_garbage() {
    for name in [
        "trivy-api.json",
        "grype-api.json",
        "cdx-scan-1.4.json",
        "cdx-vex-1.5.json",
    ] {
        palisade_imagescan::merge::fuzzing::scanner_reports(&fixture_bytes(name));
    }
    for junk in [
        &b""[..],
        b"{}",
        b"null",
        b"{\"matches\":[null]}",
        b"{\"bomFormat\":1}",
    ] {
        palisade_imagescan::merge::fuzzing::scanner_reports(junk);
    }
}

#[test]
fn oversized_and_missing_files_are_errors_before_reading() {
    use palisade_imagescan::merge::{read_report_file, MAX_REPORT_BYTES};
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    // Sparse: the size check must refuse it from its metadata, without reading it.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(MAX_REPORT_BYTES as u64 + 1)
        .unwrap();
    let err = read_report_file(&big).unwrap_err();
    assert!(matches!(err.kind, ReadErrorKind::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("big.json"));
    let err = read_report_file(&dir.path().join("absent.json")).unwrap_err();
    assert!(matches!(err.kind, ReadErrorKind::Io(_)));
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn too_many_json_objects_is_an_error_before_parsing() {
    use palisade_imagescan::merge::MAX_JSON_CONTAINERS;
    let doc = format!(
        r#"{{"matches":[{}],"descriptor":{{}}}}"#,
        vec!["{}"; MAX_JSON_CONTAINERS].join(",")
    );
    let err = read_report("objects.json", doc.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("JSON objects and arrays"), "{err}");
}
