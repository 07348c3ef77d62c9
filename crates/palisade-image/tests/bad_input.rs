//! Hostile and broken layers: path escapes, symlink escapes, missing hard-link targets,
//! truncated and corrupt compression, decompression bombs, entry and path limits. Each
//! problem is a diagnostic naming the layer, and the other layers are still read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{gzip, paths, visit_all, LayerTar};
use palisade_image::{Image, Limits, Severity};

fn messages(report: &palisade_image::ScanReport) -> Vec<String> {
    report.diagnostics.iter().map(ToString::to_string).collect()
}

#[test]
fn dotdot_escape_is_skipped_and_absolute_path_stays_in_root() {
    let layer = LayerTar::new()
        .file("../../etc/passwd", b"evil")
        .file("a/../../x", b"evil")
        .file("/etc/hosts", b"ok")
        .file("usr/../etc/issue", b"ok")
        .tar();
    let image = Image::from_layer_blobs(vec![layer]);
    let (seen, report) = visit_all(&image, &Limits::default());
    assert_eq!(paths(&seen), ["etc/hosts", "etc/issue"]);
    let escapes: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("climbs above"))
        .collect();
    assert_eq!(escapes.len(), 2, "{:?}", messages(&report));
    assert!(escapes
        .iter()
        .all(|d| d.layer == Some(0) && d.severity == Severity::Error));
    assert_eq!(escapes[0].path.as_deref(), Some("../../etc/passwd"));
}

#[test]
fn symlink_escape_is_never_followed_outside_the_root() {
    // Layer 0 makes `etc` a link pointing far above the root; layer 1 writes through it.
    let base = LayerTar::new()
        .dir("tmp")
        .symlink("etc", "../../../../tmp")
        .tar();
    let top = LayerTar::new().file("etc/passwd", b"root:x:0:0").tar();
    let image = Image::from_layer_blobs(vec![base, top]);
    let (seen, report) = visit_all(&image, &Limits::default());
    // The write lands at the link's target clamped to the root: `tmp/passwd`.
    assert_eq!(paths(&seen), ["etc", "tmp", "tmp/passwd"]);
    let text = messages(&report).join("\n");
    assert!(text.contains("layer 0"), "{text}");
    assert!(text.contains("points above the image root"), "{text}");
    assert!(
        text.contains("layer 1") && text.contains("placed at tmp/passwd"),
        "{text}"
    );
    assert_eq!(
        report.view.resolve("etc/passwd", true).as_deref(),
        Some("tmp/passwd")
    );
    assert_eq!(report.view.resolve("etc", false).as_deref(), Some("etc"));
}

#[test]
fn symlink_loop_resolves_to_none() {
    let layer = LayerTar::new()
        .symlink("a", "b")
        .symlink("b", "a")
        .file("c", b"c")
        .tar();
    let image = Image::from_layer_blobs(vec![layer]);
    let report = image.final_view(&Limits::default());
    assert_eq!(report.view.resolve("a/x", true), None);
    assert_eq!(report.view.resolve("c", true).as_deref(), Some("c"));
}

#[test]
fn hard_link_to_missing_target_is_reported() {
    let layer = LayerTar::new()
        .file("bin/real", b"elf")
        .hardlink("bin/good", "bin/real")
        .hardlink("bin/bad", "bin/nowhere")
        .tar();
    let image = Image::from_layer_blobs(vec![layer]);
    let (seen, report) = visit_all(&image, &Limits::default());
    assert_eq!(paths(&seen), ["bin/bad", "bin/good", "bin/real"]);
    let missing: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("missing target"))
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", messages(&report));
    assert_eq!(missing[0].path.as_deref(), Some("bin/bad"));
    assert_eq!(
        report.view.nodes["bin/good"].link.as_deref(),
        Some("bin/real")
    );
}

#[test]
fn truncated_gzip_keeps_earlier_entries_and_later_layers() {
    let big = vec![b'x'; 64 * 1024];
    let broken = LayerTar::new()
        .file("first", b"1")
        .file("second", &big)
        .file("third", b"3")
        .gzip();
    let cut = broken[..broken.len() / 2].to_vec();
    let top = LayerTar::new().file("after", b"a").tar();
    let image = Image::from_layer_blobs(vec![cut, top]);
    let (seen, report) = visit_all(&image, &Limits::default());
    let p = paths(&seen);
    assert!(p.contains(&"first"), "{p:?}");
    assert!(p.contains(&"after"), "{p:?}");
    assert!(!p.contains(&"third"), "{p:?}");
    let errors: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "reported once over both passes: {:?}",
        messages(&report)
    );
    assert_eq!(errors[0].layer, Some(0));
    assert_eq!(errors[0].digest.as_deref(), Some("memory:0"));
}

#[test]
fn garbage_layer_is_an_error_and_does_not_stop_the_image() {
    let mut junk = vec![0x1f, 0x8b];
    junk.extend(std::iter::repeat_n(0xAB, 300));
    let image = Image::from_layer_blobs(vec![
        junk,
        b"not a tar at all, but not empty either".repeat(20),
        LayerTar::new().file("ok", b"1").tar(),
    ]);
    let (seen, report) = visit_all(&image, &Limits::default());
    assert_eq!(paths(&seen), ["ok"]);
    let layers: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.layer)
        .collect();
    assert!(layers.contains(&Some(0)), "{:?}", messages(&report));
}

#[test]
fn gzip_bomb_stops_at_the_layer_limit_and_names_the_layer() {
    // 32 MiB of zeros compress to a few tens of KiB.
    let zeros = vec![0u8; 32 << 20];
    let bomb = LayerTar::new()
        .file("small", b"s")
        .file("bomb", &zeros)
        .gzip();
    assert!(bomb.len() < 1 << 20);
    let top = LayerTar::new().file("after", b"a").tar();
    let image = Image::from_layer_blobs(vec![bomb, top]);
    let limits = Limits {
        max_layer_bytes: 1 << 20,
        ..Limits::default()
    };
    let (seen, report) = visit_all(&image, &limits);
    let p = paths(&seen);
    assert!(p.contains(&"small") && p.contains(&"after"), "{p:?}");
    assert!(!p.contains(&"bomb"), "{p:?}");
    let limit: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("limit"))
        .collect();
    assert_eq!(limit.len(), 1, "{:?}", messages(&report));
    assert_eq!(limit[0].layer, Some(0));
    assert!(limit[0].to_string().starts_with("layer 0 (memory:0)"));
}

#[test]
fn total_byte_limit_stops_the_image() {
    let layer = |name: &str| LayerTar::new().file(name, &vec![7u8; 600 * 1024]).gzip();
    let image = Image::from_layer_blobs(vec![layer("one"), layer("two"), layer("three")]);
    let limits = Limits {
        max_total_bytes: 1 << 20,
        ..Limits::default()
    };
    let report = image.final_view(&limits);
    assert!(report.view.nodes.contains_key("one"));
    assert!(!report.view.nodes.contains_key("three"));
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.layer == Some(1) && d.message.contains("limit")));
}

#[test]
fn entry_and_path_length_limits() {
    let long = format!("d/{}", "n".repeat(90));
    let layer = LayerTar::new()
        .file("a", b"")
        .file(&long, b"")
        .file("b", b"")
        .file("c", b"")
        .tar();
    let image = Image::from_layer_blobs(vec![layer, LayerTar::new().file("z", b"").tar()]);
    let limits = Limits {
        max_entries: 3,
        max_path_len: 50,
        ..Limits::default()
    };
    let report = image.final_view(&limits);
    let keys: Vec<&str> = report.view.nodes.keys().map(String::as_str).collect();
    assert_eq!(keys, ["a", "b"]);
    let text = messages(&report).join("\n");
    assert!(text.contains("path longer than 50 bytes"), "{text}");
    assert!(text.contains("more than 3 entries"), "{text}");
}

#[test]
fn empty_whiteout_name_is_reported() {
    let image = Image::from_layer_blobs(vec![
        LayerTar::new().file("x", b"").tar(),
        LayerTar::new().file(".wh.", b"").tar(),
    ]);
    let report = image.final_view(&Limits::default());
    assert!(report.view.nodes.contains_key("x"));
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.message.contains("whiteout names no file")));
}

#[test]
fn layer_compressed_twice_is_an_error() {
    // A layer compressed twice is not a tar after one decompression: an error, no panic.
    let twice = gzip(&LayerTar::new().file("x", b"1").gzip());
    let image = Image::from_layer_blobs(vec![twice]);
    let (seen, report) = visit_all(&image, &Limits::default());
    assert!(seen.is_empty());
    assert!(report.diagnostics.iter().any(|d| d.layer == Some(0)));
}

#[test]
fn every_truncation_and_bit_flip_of_a_layer_is_handled() {
    let good = LayerTar::new()
        .dir("etc")
        .file("etc/a", b"alpha")
        .symlink("lnk", "../../etc")
        .file(".wh.zzz", b"")
        .hardlink("h", "etc/a")
        .gzip();
    let mut checked = 0;
    for cut in 0..good.len() {
        let image = Image::from_layer_blobs(vec![
            good[..cut].to_vec(),
            LayerTar::new().file("ok", b"1").tar(),
        ]);
        let (seen, _) = visit_all(&image, &Limits::default());
        assert!(paths(&seen).contains(&"ok"), "cut at {cut}");
        checked += 1;
    }
    let mut state: u32 = 12345;
    for _ in 0..300 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let mut bad = good.clone();
        let at = (state as usize >> 4) % bad.len();
        bad[at] ^= 1 << (state % 8);
        let image = Image::from_layer_blobs(vec![bad]);
        let (seen, _) = visit_all(&image, &Limits::default());
        assert!(seen
            .iter()
            .all(|s| !s.0.starts_with('/') && !s.0.split('/').any(|c| c == "..")));
        checked += 1;
    }
    assert_eq!(checked, good.len() + 300);
}

#[test]
fn a_bomb_in_one_layer_does_not_mislabel_a_later_corrupt_layer() {
    let bomb = LayerTar::new().file("bomb", &vec![0u8; 4 << 20]).gzip();
    let good = LayerTar::new()
        .file("big", &vec![b'x'; 64 * 1024])
        .file("z", b"z")
        .gzip();
    let cut = good[..good.len() / 2].to_vec();
    let image = Image::from_layer_blobs(vec![bomb, cut]);
    let limits = Limits {
        max_layer_bytes: 1 << 20,
        ..Limits::default()
    };
    let report = image.final_view(&limits);
    let by_layer = |i| {
        report
            .diagnostics
            .iter()
            .find(|d| d.layer == Some(i))
            .map(|d| d.message.clone())
            .unwrap_or_default()
    };
    assert!(by_layer(0).contains("limit"), "{}", by_layer(0));
    assert!(
        !by_layer(1).contains("limit") && !by_layer(1).is_empty(),
        "{}",
        by_layer(1)
    );
}
