//! The hand-written finding writer held equal to the serde derive; the escape check.

use super::*;

#[test]
fn escape_check_finds_every_special_byte_at_every_offset() {
    for len in [0usize, 1, 31, 32, 33, 64, 65, 100] {
        let clean = "a".repeat(len);
        assert!(!needs_escape(clean.as_bytes()));
        for at in 0..len {
            for special in [b'"', b'\\', b'\n', 0x01, 0x1f] {
                let mut bytes = clean.clone().into_bytes();
                bytes[at] = special;
                assert!(needs_escape(&bytes), "len {len} at {at} byte {special}");
            }
        }
    }
    // Multi-byte UTF-8 never needs escaping.
    assert!(!needs_escape("é → ü 日本".as_bytes()));
}

/// Every byte value at every offset of every length up to two blocks, on backgrounds at the
/// edges of the special ranges: the check answers as the byte-by-byte definition does.
#[test]
fn escape_check_agrees_with_its_definition_for_every_byte() {
    let special = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    for background in [b'a', 0x20, b'!', b'#', b'[', b']', 0x7f, 0x80, 0xff] {
        for len in 1..=70usize {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut bytes = vec![background; len];
                    bytes[at] = byte;
                    assert_eq!(
                        needs_escape(&bytes),
                        special(byte) || special(background),
                        "len {len} at {at} byte {byte:#x} on {background:#x}"
                    );
                }
            }
        }
    }
}

#[test]
fn hand_written_finding_json_equals_the_derive() {
    let texts = [
        "plain",
        "",
        "quote \" and backslash \\",
        "tab\tnewline\ncontrol\u{1}\u{1f} del\u{7f}",
        "ünïcödé ✓ \u{2028}",
    ];
    // Controls with text that needs escaping, and a rule with none at all.
    static AWKWARD: &[&str] = &["5.2.2", "quote \" back \\ tab\t", "ünï ✓"];
    let full = RuleControls::of(&Controls {
        pss: Some(palisade_core::PssLevel::Restricted),
        cis: AWKWARD,
        nsa: AWKWARD,
        mitre: &["T1611", "T1552.001"],
    });
    let empty = RuleControls::of(&Controls::default());
    let controls = [Some(&full), Some(&empty), None];
    for (i, t) in texts.into_iter().enumerate() {
        let f = FindingOut {
            rule_id: t,
            title: Some("title"),
            severity: Severity::High,
            object: ObjectOut {
                api_version: t,
                kind: t,
                namespace: None,
                name: t,
            },
            location: LocationOut {
                path: t,
                line: 7,
                col: 12,
            },
            field: Some(t),
            message: t,
            evidence: None,
            controls: controls[i % controls.len()],
            head: None,
        };
        let mut fast = Vec::new();
        f.write_json(&mut fast);
        let derived = serde_json::to_vec(&f).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&derived)
        );
        // And the spliced fragment reads back as the rule's controls.
        let back: serde_json::Value = serde_json::from_slice(&fast).unwrap();
        match controls[i % controls.len()] {
            Some(c) if c.value.pss.is_some() => {
                assert_eq!(back["controls"]["pss"], "restricted");
                assert_eq!(back["controls"]["cis"][1], AWKWARD[1]);
                assert_eq!(back["controls"]["mitre"][1], "T1552.001");
            }
            Some(_) => assert_eq!(back["controls"]["cis"], serde_json::json!([])),
            None => assert!(back["controls"].is_null()),
        }
    }
}

/// Numbers come out as `Display` writes them: every digit count, the edges between them.
#[test]
fn numbers_are_written_as_display_writes_them() {
    let mut edges = vec![0u32, u32::MAX];
    let mut power = 1u32;
    while let Some(next) = power.checked_mul(10) {
        edges.extend([power - 1, power, power + 1, next - 1]);
        power = next;
    }
    edges.extend(0..1_000);
    for n in edges {
        let mut buf = b"x".to_vec();
        push_u32(&mut buf, n);
        assert_eq!(buf, format!("x{n}").into_bytes(), "{n}");
    }
}

/// Findings written one after another in a chunk, reusing the place of the one before when
/// it is on the same object in the same file, read exactly as each one's derive: known and
/// unknown rules, shared and unshared objects and paths, text that needs escaping.
#[test]
fn findings_written_in_a_row_equal_each_derived_alone() {
    use palisade_core::exceptions::EXPIRED_EXCEPTION as KNOWN;
    use palisade_core::Location;

    let rules: RuleViews = [(KNOWN.id, RuleView::of(&KNOWN))].into_iter().collect();
    let object = |name: &str, namespace: Option<&str>| {
        Arc::new(ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: namespace.map(Into::into),
            name: name.into(),
        })
    };
    let (plain, awkward) = (object("web", Some("shop")), object("q\"u\\o\tte", None));
    let (first, second): (Arc<str>, Arc<str>) = ("a.yaml".into(), "dir/\"b\".yaml".into());
    let finding = |rule: &'static str, object: &Arc<ObjectRef>, path: &Arc<str>, line| Finding {
        rule_id: palisade_core::RuleId::Borrowed(rule),
        severity: Severity::Low,
        object: object.clone(),
        location: Location {
            path: path.clone(),
            line,
            col: 3,
        },
        field: Some("spec.x".into()),
        message: format!("message {line}").into(),
        evidence: (line % 2 == 0).then(|| Box::from("e\nv")),
    };
    let findings = [
        finding(KNOWN.id, &plain, &first, 1),
        finding("PAL-UNKNOWN", &plain, &first, 2),
        finding(KNOWN.id, &awkward, &first, 3),
        finding(KNOWN.id, &awkward, &second, 4),
        finding(KNOWN.id, &awkward, &second, 5),
        // Equal to the one before, but another allocation: written afresh, the same.
        finding(KNOWN.id, &object("q\"u\\o\tte", None), &second, 6),
        finding(KNOWN.id, &plain, &first, 7),
    ];
    let mut written = Vec::new();
    let mut last = None;
    let mut derived = Vec::new();
    for f in &findings {
        write_finding(&mut written, &rules, f, &mut last);
        written.push(b'\n');
        derived.extend(serde_json::to_vec(&FindingOut::of(&rules, f)).unwrap());
        derived.push(b'\n');
    }
    assert_eq!(
        String::from_utf8_lossy(&written),
        String::from_utf8_lossy(&derived)
    );
    // The rule the views do not know is written with no title.
    assert!(String::from_utf8_lossy(&written).contains("\"ruleId\":\"PAL-UNKNOWN\",\"title\":null"));
}
