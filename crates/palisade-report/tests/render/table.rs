use palisade_report::Format;

use crate::fixture::{self, rendered};

/// Compares line by line, so that a failure shows where the output drifted.
fn assert_same(actual: &str, expected: &str) {
    if actual == expected {
        return;
    }
    let mut diff = String::new();
    let (a, e): (Vec<&str>, Vec<&str>) = (actual.lines().collect(), expected.lines().collect());
    for i in 0..a.len().max(e.len()) {
        let (al, el) = (a.get(i).copied(), e.get(i).copied());
        if al != el {
            diff.push_str(&format!(
                "line {}:\n  expected: {el:?}\n  actual:   {al:?}\n",
                i + 1
            ));
        }
    }
    panic!("table output differs from the reviewed snapshot:\n{diff}\nfull output:\n{actual}");
}

#[test]
fn matches_the_reviewed_snapshot() {
    let actual = rendered(&fixture::report(), Format::Table, false);
    assert_same(&actual, include_str!("../fixtures/table-small.txt"));
}

#[test]
fn empty_report_says_so() {
    let actual = rendered(&fixture::empty(), Format::Table, false);
    assert_same(&actual, include_str!("../fixtures/table-empty.txt"));
}

#[test]
fn order_does_not_depend_on_the_report_order() {
    let report = fixture::report();
    let mut reversed = report.clone();
    reversed.findings.reverse();
    assert_eq!(
        rendered(&report, Format::Table, false),
        rendered(&reversed, Format::Table, false)
    );
}

#[test]
fn no_escape_codes_without_colour() {
    // Not ours, and not the one hidden in the manifest's message either.
    let plain = rendered(&fixture::report(), Format::Table, false);
    assert!(!plain.contains('\u{1b}'), "{plain}");
    assert!(
        plain.contains("\\u{1b}[2J"),
        "the manifest's escape is shown, not sent"
    );
}

#[test]
fn colour_only_on_severities_and_fields() {
    let coloured = rendered(&fixture::report(), Format::Table, true);
    assert!(coloured.contains("\u{1b}[1;31mCRITICAL\u{1b}[0m"));
    assert!(coloured.contains("\u{1b}[31mHIGH    \u{1b}[0m"));
    assert!(coloured.contains("\u{1b}[33mMEDIUM  \u{1b}[0m"));
    assert!(coloured.contains("\u{1b}[36mLOW     \u{1b}[0m"));
    assert!(coloured.contains("\u{1b}[2mspec.template.spec.hostNetwork\u{1b}[0m"));
    // The manifest's own escape stays inert even with colour on.
    assert!(!coloured.contains("\u{1b}[2J"));
    // Removing our codes gives back the plain output exactly.
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, rendered(&fixture::report(), Format::Table, false));
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn frameworks_come_last_with_their_controls() {
    let actual = rendered(&fixture::with_frameworks(), Format::Table, false);
    assert_same(&actual, include_str!("../fixtures/table-frameworks.txt"));
    // The findings part is unchanged by the summaries.
    let plain = rendered(&fixture::report(), Format::Table, false);
    assert!(actual.starts_with(&plain));
}

#[test]
fn failing_object_names_cannot_drive_the_terminal() {
    let mut report = fixture::with_frameworks();
    report.frameworks[0].controls[1].failing.reverse();
    let text = rendered(&report, Format::Table, true);
    assert!(
        text.contains("failing: Pod/prod/d\\u{1b}[2J, Pod/prod/c"),
        "{text}"
    );
    assert!(!text.contains("d\u{1b}[2J"));
}
