use palisade_report::Format;
use roxmltree::{Document, Node};

use crate::fixture::{self, rendered};
use crate::validators;

fn xml(report: &palisade_core::Report) -> String {
    rendered(report, Format::Junit, false)
}

fn suites<'a>(doc: &'a Document<'a>) -> Vec<Node<'a, 'a>> {
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect()
}

fn cases<'a>(suite: Node<'a, 'a>) -> Vec<Node<'a, 'a>> {
    suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect()
}

fn child<'a>(node: Node<'a, 'a>, tag: &str) -> Option<Node<'a, 'a>> {
    node.children().find(|n| n.has_tag_name(tag))
}

#[test]
fn output_is_valid_against_the_ant_junit_schema() {
    for report in [fixture::report(), fixture::empty()] {
        let text = xml(&report);
        if let Err(e) = validators::junit(&text) {
            panic!("JUnit output does not match junit.xsd:\n{e}\n{text}");
        }
    }
}

#[test]
fn the_schema_check_can_fail() {
    let text = xml(&fixture::report());
    // A testcase without its required classname, and a document that is not XML.
    let broken = text.replacen(" classname=\"", " class=\"", 1);
    assert!(validators::junit(&broken).is_err());
    assert!(validators::junit("<testsuites><testsuite></testsuites>").is_err());
}

#[test]
fn one_suite_per_file_with_counts() {
    let text = xml(&fixture::report());
    let doc = Document::parse(&text).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "testsuites");
    let suites = suites(&doc);
    let names: Vec<&str> = suites
        .iter()
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "broken dir/bad.yaml",
            "deploy/agent.yaml",
            "deploy/web app.yaml",
            "missing.yaml",
            "palisade.yaml",
            "pods/ünï côdé.yaml",
        ]
    );
    let ids: Vec<&str> = suites.iter().map(|s| s.attribute("id").unwrap()).collect();
    assert_eq!(ids, ["0", "1", "2", "3", "4", "5"]);
    let pods = suites[5];
    assert_eq!(pods.attribute("tests"), Some("3"));
    assert_eq!(pods.attribute("failures"), Some("2"));
    assert_eq!(pods.attribute("errors"), Some("0"));
    assert_eq!(pods.attribute("skipped"), Some("1"));
    let total = |attr: &str| -> usize {
        suites
            .iter()
            .map(|s| s.attribute(attr).unwrap().parse::<usize>().unwrap())
            .sum()
    };
    assert_eq!(total("failures"), 5);
    assert_eq!(total("errors"), 2);
    assert_eq!(total("skipped"), 2);
    assert_eq!(total("tests"), 9);
}

#[test]
fn a_finding_is_a_failure_with_what_to_do() {
    let text = xml(&fixture::report());
    let doc = Document::parse(&text).unwrap();
    let web = suites(&doc)[2];
    let case = cases(web)[1];
    assert_eq!(
        case.attribute("name"),
        Some(
            "PAL-POD-002 Privileged container: Deployment prod/web at \
             spec.template.spec.containers[0].securityContext.privileged"
        )
    );
    assert_eq!(case.attribute("classname"), Some("deploy/web app.yaml"));
    let failure = child(case, "failure").unwrap();
    assert_eq!(
        failure.attribute("message"),
        Some("container \"app\" runs privileged")
    );
    assert_eq!(failure.attribute("type"), Some("critical"));
    assert_eq!(
        failure.text(),
        Some(
            "CRITICAL PAL-POD-002 Privileged container\n\
             Object: Deployment prod/web (apps/v1)\n\
             Location: deploy/web app.yaml:14:11\n\
             Field: spec.template.spec.containers[0].securityContext.privileged\n\
             Message: container \"app\" runs privileged\n\
             Evidence: true\n\
             Remediation: Remove `securityContext.privileged: true`.\n\
             Controls: PSS baseline; CIS 5.2.1; NSA/CISA Pod security: privileged containers; \
             MITRE ATT&CK T1611, T1610\n"
        )
    );
    // The file's notes go to its suite's system-out.
    assert_eq!(
        child(web, "system-out").unwrap().text(),
        Some("note: deploy/web app.yaml:22:3: duplicate key `image`: the last value is used\n")
    );
}

#[test]
fn hostile_text_is_escaped_and_kept_readable() {
    let text = xml(&fixture::report());
    assert!(!text.contains('\u{1b}'), "no raw control character in XML");
    let doc = Document::parse(&text).unwrap();
    let pods = suites(&doc)[5];
    let failure = child(cases(pods)[1], "failure").unwrap();
    // Markup and the newline survive a round trip; the escape character is shown.
    assert_eq!(
        failure.attribute("message"),
        Some("image <nginx> & \"friends\" \\u{1b}[2Juses :latest\nsecond line")
    );
}

#[test]
fn suppressed_findings_are_skipped_and_load_errors_are_errors() {
    let text = xml(&fixture::report());
    let doc = Document::parse(&text).unwrap();
    let all = suites(&doc);
    let agent = cases(all[1])[0];
    let skipped = child(agent, "skipped").unwrap();
    assert_eq!(
        skipped.attribute("message"),
        Some(
            "suppressed by exception at palisade.yaml:12 (expires 2030-06-30): \
             node agent needs the host PID namespace"
        )
    );
    let annotated = cases(all[5])[2];
    assert!(child(annotated, "skipped")
        .unwrap()
        .attribute("message")
        .unwrap()
        .starts_with("suppressed by annotation palisade.dev/ignore: debug sidecar"));

    let bad = cases(all[0])[0];
    assert_eq!(bad.attribute("name"), Some("load broken dir/bad.yaml:3:7"));
    let error = child(bad, "error").unwrap();
    assert_eq!(error.attribute("type"), Some("LoadError"));
    assert_eq!(
        error.attribute("message"),
        Some("mapping values are not allowed here")
    );
    let missing = cases(all[3])[0];
    assert_eq!(missing.attribute("name"), Some("load missing.yaml"));
}

#[test]
fn a_clean_scan_is_one_passing_test() {
    let text = xml(&fixture::empty());
    let doc = Document::parse(&text).unwrap();
    let suites = suites(&doc);
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0].attribute("tests"), Some("1"));
    assert_eq!(suites[0].attribute("failures"), Some("0"));
    let case = cases(suites[0])[0];
    assert_eq!(case.attribute("name"), Some("scan"));
    assert!(case.first_element_child().is_none());
}

#[test]
fn each_framework_is_a_suite_of_its_controls() {
    let text = xml(&fixture::with_frameworks());
    if let Err(e) = validators::junit(&text) {
        panic!("JUnit with frameworks does not match junit.xsd:\n{e}\n{text}");
    }
    let doc = Document::parse(&text).unwrap();
    let all = suites(&doc);
    // Six file suites, then one per framework, ids continuing.
    assert_eq!(all.len(), 8);
    let cis = all[6];
    assert_eq!(
        cis.attribute("name"),
        Some("framework cis: CIS Kubernetes Benchmark, section 5: Policies")
    );
    assert_eq!(cis.attribute("id"), Some("6"));
    assert_eq!(cis.attribute("tests"), Some("4"));
    assert_eq!(cis.attribute("failures"), Some("2"));
    assert_eq!(cis.attribute("errors"), Some("0"));
    assert_eq!(cis.attribute("skipped"), Some("1"));
    let controls = cases(cis);
    assert_eq!(
        controls[0].attribute("name"),
        Some("5.2.2 Privileged containers kept out")
    );
    assert_eq!(controls[0].attribute("classname"), Some("framework.cis"));
    let failure = child(controls[0], "failure").unwrap();
    assert_eq!(
        failure.attribute("message"),
        Some("1 failing object(s): Deployment/prod/web")
    );
    assert_eq!(
        failure.text(),
        Some("Rules: PAL-POD-002\nFailing objects:\n  Deployment/prod/web\n")
    );
    // Four failing objects: the message names three, the body all, the escape shown.
    let many = child(controls[1], "failure").unwrap();
    assert!(many
        .attribute("message")
        .unwrap()
        .starts_with("4 failing object(s): Pod/prod/a, Pod/prod/b, Pod/prod/c"));
    assert!(many.text().unwrap().contains("Pod/prod/d\\u{1b}[2J"));
    // A pass has no child; not covered is skipped with the reason.
    assert!(controls[2].first_element_child().is_none());
    assert_eq!(
        child(controls[3], "skipped").unwrap().attribute("message"),
        Some("not covered: needs the API server's admission configuration")
    );
    assert_eq!(
        child(cis, "system-out").unwrap().text(),
        Some(
            "CIS Kubernetes Benchmark, section 5: Policies: score 33.3% \
             (1 passed, 2 failed, 1 not covered)\n"
        )
    );
    let mitre = all[7];
    assert_eq!(mitre.attribute("skipped"), Some("1"));
    assert!(child(mitre, "system-out")
        .unwrap()
        .text()
        .unwrap()
        .contains("score n/a"));
}

#[test]
fn a_clean_scan_with_a_framework_keeps_its_passing_case() {
    let mut report = fixture::with_frameworks();
    report.findings.clear();
    report.suppressed.clear();
    report.errors.clear();
    let text = xml(&report);
    validators::junit(&text).unwrap();
    let doc = Document::parse(&text).unwrap();
    let ids: Vec<&str> = suites(&doc)
        .iter()
        .filter_map(|s| s.attribute("id"))
        .collect();
    // The "scan" suite (0), the file with only a note (1), then the frameworks.
    assert_eq!(ids, ["0", "1", "2", "3"]);
}

#[test]
fn many_files_keep_their_order_and_numbering() {
    // More files than one parallel batch of suites (64): their suites stay in path order,
    // numbered on, each with its own findings.
    let mut report = fixture::report();
    let template = report.findings[0].clone();
    for n in 0..200 {
        let mut f = template.clone();
        f.location = fixture::location(&format!("many/f{n:03}.yaml"), n + 1, 1);
        report.findings.push(f);
    }
    let text = xml(&report);
    let doc = Document::parse(&text).unwrap();
    let suites = suites(&doc);
    let ids: Vec<usize> = suites
        .iter()
        .map(|s| s.attribute("id").unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids, (0..suites.len()).collect::<Vec<_>>());
    let many: Vec<Node> = suites
        .iter()
        .copied()
        .filter(|s| s.attribute("name").unwrap().starts_with("many/"))
        .collect();
    assert_eq!(many.len(), 200);
    for (n, suite) in many.iter().enumerate() {
        assert_eq!(
            suite.attribute("name"),
            Some(format!("many/f{n:03}.yaml").as_str())
        );
        assert_eq!(cases(*suite).len(), 1);
    }
    if let Err(e) = validators::junit(&text) {
        panic!("not valid JUnit:\n{e}");
    }
}
