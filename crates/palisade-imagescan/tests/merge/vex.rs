use palisade_imagescan::merge::ReadErrorKind;
use palisade_imagescan::vex::{OpenVexDocument, Status, Timestamp, VexIndex};

use crate::fixture_bytes;

const IMAGE: &str = "registry.example/shop/api:1.4";
const DIGEST: &str = "sha256:9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877665544";
const FLASK: &str = "pkg:pypi/Flask@2.2.2";
const LIBSSL_AMD64: &str = "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12";
const LIBSSL_ARM64: &str = "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=arm64&distro=debian-12";

fn doc(name: &str) -> OpenVexDocument {
    OpenVexDocument::parse(name, &fixture_bytes(name)).unwrap()
}

fn may() -> VexIndex {
    VexIndex::from_documents([doc("openvex-2024-05.json")])
}

fn both() -> VexIndex {
    VexIndex::from_documents([doc("openvex-2024-05.json"), doc("openvex-2024-06.json")])
}

#[test]
fn parses_statements_and_skips_invalid_ones_with_paths() {
    let d = doc("openvex-2024-05.json");
    assert_eq!(
        d.id.as_deref(),
        Some("https://vex.example/shop/api/2024-05")
    );
    assert_eq!(d.version, Some(1));
    assert_eq!(d.statements.len(), 5);
    let paths: Vec<&str> = d.warnings.iter().map(|w| w.json_path.as_str()).collect();
    assert_eq!(
        paths,
        ["$.statements[4].status", "$.statements[5]"],
        "{:?}",
        d.warnings
    );
    let first = &d.statements[0];
    assert_eq!(first.aliases, ["GHSA-m2qf-hxjv-5gpq"]);
    assert_eq!(first.status, Status::NotAffected);
    assert_eq!(
        first.justification.as_deref(),
        Some("vulnerable_code_not_in_execute_path")
    );
    assert_eq!(
        first.timestamp,
        Timestamp::parse("2024-05-01T08:00:00Z"),
        "inherited from the document, offset applied"
    );
    let own = d.statements.last().unwrap();
    assert_eq!(own.timestamp_text.as_deref(), Some("2024-05-10T00:00:00Z"));
}

#[test]
fn not_affected_suppresses_a_subcomponent_of_the_image() {
    let idx = may();
    let s = idx
        .verdict(&["CVE-2023-30861"], IMAGE, Some(FLASK))
        .expect("statement applies");
    assert!(s.suppresses());
    assert_eq!(s.source, "openvex-2024-05.json");
    assert!(idx
        .verdict(
            &["CVE-2023-30861"],
            "registry.example/shop/other:1.4",
            Some(FLASK)
        )
        .is_none());
    assert!(idx
        .verdict(&["CVE-2023-30861"], IMAGE, Some("pkg:pypi/django@4.0"))
        .is_none());
    assert!(
        idx.verdict(
            &["CVE-2023-30861"],
            "registry.example/shop/api:1.5",
            Some(FLASK)
        )
        .is_none(),
        "tag stated"
    );
}

#[test]
fn matching_by_alias() {
    let idx = may();
    let s = idx
        .verdict(&["GHSA-m2qf-hxjv-5gpq"], IMAGE, Some(FLASK))
        .unwrap();
    assert_eq!(s.vulnerability, "CVE-2023-30861");
    assert!(
        idx.verdict(&["ghsa-M2QF-hxjv-5gpq"], IMAGE, Some(FLASK))
            .is_some(),
        "canonical spelling"
    );
    assert!(idx
        .verdict(&["CVE-2023-99999"], IMAGE, Some(FLASK))
        .is_none());
}

#[test]
fn latest_statement_wins() {
    let idx = both();
    // The June document names the GHSA only; a finding known by both ids sees it.
    let s = idx
        .verdict(
            &["CVE-2023-30861", "GHSA-m2qf-hxjv-5gpq"],
            IMAGE,
            Some(FLASK),
        )
        .unwrap();
    assert_eq!(s.status, Status::Affected);
    assert!(!s.suppresses());
    // By timestamp, not document order: the June document's April statement is older.
    let s = idx
        .verdict(&["CVE-2024-2511"], IMAGE, Some(LIBSSL_AMD64))
        .unwrap();
    assert_eq!(s.status, Status::NotAffected);
    assert_eq!(s.source, "openvex-2024-05.json");
    let reversed =
        VexIndex::from_documents([doc("openvex-2024-06.json"), doc("openvex-2024-05.json")]);
    let s = reversed
        .verdict(&["CVE-2024-2511"], IMAGE, Some(LIBSSL_AMD64))
        .unwrap();
    assert_eq!(
        s.status,
        Status::NotAffected,
        "document order does not matter"
    );
}

#[test]
fn equal_timestamps_go_to_the_later_statement() {
    let text = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a",
      "timestamp":"2024-01-01T00:00:00Z","version":1,"statements":[
      {"vulnerability":{"name":"CVE-2024-1"},"products":[{"@id":"pkg:npm/a@1.0.0"}],"status":"fixed"},
      {"vulnerability":{"name":"CVE-2024-1"},"products":[{"@id":"pkg:npm/a@1.0.0"}],"status":"affected","action_statement":"x"}]}"#;
    let idx = VexIndex::from_documents([OpenVexDocument::parse("t.json", text).unwrap()]);
    let s = idx
        .verdict(&["CVE-2024-1"], IMAGE, Some("pkg:npm/a@1.0.0"))
        .unwrap();
    assert_eq!(s.status, Status::Affected);
}

#[test]
fn qualifiers_count_only_when_the_statement_gives_them() {
    let idx = may();
    // The statement names the image by digest and libssl3 for arm64 only.
    let by_digest = format!("registry.example/shop/api@{DIGEST}");
    assert!(idx
        .verdict(&["CVE-2023-5678"], &by_digest, Some(LIBSSL_AMD64))
        .is_none());
    let s = idx
        .verdict(&["CVE-2023-5678"], &by_digest, Some(LIBSSL_ARM64))
        .unwrap();
    assert_eq!(s.status, Status::Fixed);
    assert!(s.suppresses());
    // Unversioned, unqualified subcomponent purl: any version and arch.
    assert!(idx
        .verdict(&["CVE-2024-2511"], IMAGE, Some(LIBSSL_ARM64))
        .is_some());
    // A digest-pinned product does not match a tag-only reference.
    assert!(idx
        .verdict(&["CVE-2023-5678"], IMAGE, Some(LIBSSL_ARM64))
        .is_none());
}

#[test]
fn a_package_named_as_product_applies_in_any_image() {
    let idx = may();
    let s = idx
        .verdict(
            &["CVE-2024-34069"],
            "registry.example/anything:1",
            Some("pkg:pypi/Werkzeug@2.2.2"),
        )
        .unwrap();
    assert_eq!(s.status, Status::Fixed);
    assert!(
        idx.verdict(&["CVE-2024-34069"], IMAGE, Some("pkg:pypi/werkzeug@3.0.0"))
            .is_none(),
        "version stated"
    );
}

#[test]
fn under_investigation_is_returned_but_does_not_suppress() {
    let idx = may();
    let s = idx
        .verdict(
            &["CVE-2022-40897"],
            IMAGE,
            Some("pkg:pypi/setuptools@65.5.0"),
        )
        .unwrap();
    assert_eq!(s.status, Status::UnderInvestigation);
    assert!(!s.suppresses());
    assert!(
        idx.verdict(&["CVE-2022-40897"], IMAGE, None).is_some(),
        "product-level query"
    );
}

#[test]
fn invalid_statements_never_suppress() {
    let idx = may();
    assert!(
        idx.verdict(&["CVE-2023-5363"], IMAGE, Some(LIBSSL_AMD64))
            .is_none(),
        "no justification"
    );
    assert!(
        idx.verdict(&["CVE-2023-45288"], IMAGE, None).is_none(),
        "unknown status"
    );
}

#[test]
fn bad_documents_are_errors_with_paths() {
    let err = OpenVexDocument::parse("v.json", br#"{"@context":"https://example.invalid/ns"}"#)
        .unwrap_err();
    assert!(err.to_string().starts_with("v.json: $.@context:"), "{err}");
    let err = OpenVexDocument::parse(
        "v.json",
        br#"{"@context":"https://openvex.dev/ns","statements":{}}"#,
    )
    .unwrap_err();
    match err.kind {
        ReadErrorKind::Shape { json_path, .. } => assert_eq!(json_path, "$.statements"),
        other => panic!("{other:?}"),
    }
    let bytes = fixture_bytes("openvex-2024-05.json");
    let err = OpenVexDocument::parse("v.json", &bytes[..bytes.len() / 2]).unwrap_err();
    assert!(matches!(
        err.kind,
        ReadErrorKind::InvalidJson {
            truncated: true,
            ..
        }
    ));
    let d = OpenVexDocument::parse(
        "v.json",
        br#"{"@context":"https://openvex.dev/ns/v0.2.0","timestamp":"yesterday","statements":[
          {"vulnerability":{"name":"CVE-1-1","aliases":[1]},"products":[{"hashes":{"sha-256":5}}],"status":"fixed"},
          {"vulnerability":{"name":"CVE-1-2"},"products":[{"@id":"pkg:npm/a"}],"status":"fixed","timestamp":"later"}]}"#,
    )
    .unwrap();
    assert_eq!(d.timestamp, None);
    assert_eq!(d.statements.len(), 1);
    let paths: Vec<&str> = d.warnings.iter().map(|w| w.json_path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "$.timestamp",
            "$.statements[0].vulnerability.aliases[0]",
            "$.statements[0].products[0].hashes.sha-256",
            "$.statements[0].products[0]",
            "$.statements[0].products",
            "$.statements[1].timestamp",
        ]
    );
}

#[test]
fn version_0_0_1_shape_is_accepted() {
    let text = br#"{"@context":"https://openvex.dev/ns","@id":"x","author":"a","timestamp":"2023-01-08T18:02:03.647787998-06:00",
      "statements":[{"vulnerability":"CVE-2023-12345","products":["pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"],"status":"fixed"}]}"#;
    let idx = VexIndex::from_documents([OpenVexDocument::parse("old.json", text).unwrap()]);
    assert_eq!(idx.len(), 1);
    assert!(idx
        .verdict(
            &["CVE-2023-12345"],
            IMAGE,
            Some("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64&distro=wolfi")
        )
        .is_some());
    assert!(idx
        .verdict(
            &["CVE-2023-12345"],
            IMAGE,
            Some("pkg:apk/wolfi/git@2.39.0-r1?arch=armv7")
        )
        .is_none());
}

#[test]
fn image_digest_matches_product_hashes() {
    let text = format!(
        r#"{{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-01-01T00:00:00Z",
      "statements":[{{"vulnerability":{{"name":"CVE-2024-1"}},"products":[{{"hashes":{{"sha-256":"{}"}}}}],
      "status":"not_affected","justification":"component_not_present"}}]}}"#,
        &DIGEST[7..]
    );
    let idx =
        VexIndex::from_documents([OpenVexDocument::parse("h.json", text.as_bytes()).unwrap()]);
    assert!(idx
        .verdict(
            &["CVE-2024-1"],
            &format!("registry.example/shop/api@{DIGEST}"),
            None
        )
        .is_some());
    assert!(idx.verdict(&["CVE-2024-1"], IMAGE, None).is_none());
}

#[test]
fn openvex_marks_merged_rows() {
    use palisade_imagescan::merge::{merge, VexState};
    let mut m = merge(&[
        crate::report("trivy-api.json"),
        crate::report("grype-api.json"),
    ]);
    let marked = palisade_imagescan::vex::mark_rows(&mut m, &both(), IMAGE);
    // Flask (affected, latest), Werkzeug (fixed as a package), setuptools (under
    // investigation), CVE-2024-2511 (not_affected); CVE-2023-5678 names arm64 only.
    assert_eq!(marked, 4);
    let row = |id: &str| m.rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(
        row("CVE-2023-30861").vex[0].analysis.state,
        VexState::Exploitable
    );
    assert!(!row("CVE-2023-30861").cleared_by_vex());
    assert_eq!(
        row("CVE-2024-34069").vex[0].analysis.state,
        VexState::Resolved
    );
    assert!(row("CVE-2024-2511").cleared_by_vex());
    assert!(row("CVE-2023-5678").vex.is_empty());
}
