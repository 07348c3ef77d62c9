//! Layer semantics on hand-made tars: whiteouts, opaque directories, replaced directories,
//! ownership by layer, and the content handed to the visitor.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{paths, visit_all, LayerTar};
use palisade_image::{EntryKind, Image, Limits};

#[test]
fn whiteout_removes_lower_file_and_its_subtree() {
    let base = LayerTar::new()
        .dir("etc")
        .file("etc/keep", b"k")
        .file("etc/gone", b"g")
        .dir("opt/tool")
        .file("opt/tool/bin", b"b")
        .gzip();
    let top = LayerTar::new()
        .file("etc/.wh.gone", b"")
        .file("opt/.wh.tool", b"")
        .tar();
    let image = Image::from_layer_blobs(vec![base, top]);
    let (seen, report) = visit_all(&image, &Limits::default());
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    // `opt/tool` and everything under it are gone (no `opt` entry was ever written).
    assert_eq!(paths(&seen), ["etc", "etc/keep"]);
    assert!(!report.view.nodes.contains_key("etc/.wh.gone"));
}

#[test]
fn opaque_dir_hides_lower_children_but_not_its_own_layer() {
    let base = LayerTar::new()
        .dir("var/cache")
        .file("var/cache/old", b"o")
        .file("var/keep", b"k")
        .tar();
    // The opaque marker comes after a sibling of the same layer: that sibling must stay.
    let top = LayerTar::new()
        .dir("var/cache")
        .file("var/cache/new", b"n")
        .file("var/cache/.wh..wh..opq", b"")
        .gzip();
    let image = Image::from_layer_blobs(vec![base, top]);
    let (seen, report) = visit_all(&image, &Limits::default());
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    let p = paths(&seen);
    assert!(p.contains(&"var/cache/new"));
    assert!(p.contains(&"var/keep"));
    assert!(!p.contains(&"var/cache/old"));
    assert_eq!(report.view.nodes["var/cache"].layer, 1);
}

#[test]
fn whiteout_then_readd_in_same_layer_keeps_new_file() {
    let base = LayerTar::new().file("a/x", b"old").tar();
    let top = LayerTar::new()
        .file("a/.wh.x", b"")
        .file("a/x", b"new")
        .tar();
    let image = Image::from_layer_blobs(vec![base, top]);
    let (seen, _) = visit_all(&image, &Limits::default());
    let x = seen.iter().find(|s| s.0 == "a/x").unwrap();
    assert_eq!(x.2, b"new");
    assert_eq!(x.3, 1);
}

#[test]
fn file_replacing_directory_hides_its_children() {
    let base = LayerTar::new().dir("srv").file("srv/a", b"a").tar();
    let top = LayerTar::new().file("srv", b"now a file").tar();
    let image = Image::from_layer_blobs(vec![base, top]);
    let (seen, _) = visit_all(&image, &Limits::default());
    assert_eq!(paths(&seen), ["srv"]);
    assert_eq!(seen[0].1, EntryKind::File);
}

#[test]
fn later_layer_overrides_content_and_owner_and_duplicates_take_the_last() {
    let base = LayerTar::new()
        .file("etc/os-release", b"ID=one")
        .file("bin/sh", b"sh")
        .gzip();
    let top = LayerTar::new()
        .file("./etc/os-release", b"ID=two")
        .file("/etc/os-release", b"ID=three")
        .tar();
    let image = Image::from_layer_blobs(vec![base, top]);
    let (seen, report) = visit_all(&image, &Limits::default());
    let os: Vec<_> = seen.iter().filter(|s| s.0 == "etc/os-release").collect();
    assert_eq!(os.len(), 1, "visited once");
    assert_eq!(os[0].2, b"ID=three");
    assert_eq!(os[0].3, 1);
    assert_eq!(report.view.nodes["bin/sh"].layer, 0);
    assert_eq!(seen.iter().find(|s| s.0 == "bin/sh").unwrap().2, b"sh");
}

#[test]
fn zstd_layers_are_read() {
    let tar = LayerTar::new().file("usr/lib/os-release", b"ID=z").tar();
    let z =
        ruzstd::encoding::compress_to_vec(&tar[..], ruzstd::encoding::CompressionLevel::Fastest);
    assert_eq!(&z[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
    let image = Image::from_layer_blobs(vec![z]);
    let (seen, report) = visit_all(&image, &Limits::default());
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(
        seen.iter().find(|s| s.0 == "usr/lib/os-release").unwrap().2,
        b"ID=z"
    );
}

#[test]
fn final_view_without_content_matches_visited_set() {
    let base = LayerTar::new().file("a", b"1").file("b", b"2").tar();
    let top = LayerTar::new().file(".wh.a", b"").file("c", b"3").tar();
    let image = Image::from_layer_blobs(vec![base, top]);
    let view = image.final_view(&Limits::default()).view;
    let keys: Vec<&str> = view.nodes.keys().map(String::as_str).collect();
    assert_eq!(keys, ["b", "c"]);
    let (seen, _) = visit_all(&image, &Limits::default());
    assert_eq!(paths(&seen), keys);
}

#[test]
fn zstd_with_several_frames_and_a_skippable_frame_is_read_whole() {
    let tar = LayerTar::new()
        .file("a", &vec![b'a'; 10_000])
        .file("b", b"bee")
        .tar();
    let (first, second) = tar.split_at(5120);
    let level = ruzstd::encoding::CompressionLevel::Fastest;
    let mut z = ruzstd::encoding::compress_to_vec(first, level);
    // A skippable frame between the data frames (magic 0x184D2A53, 3 bytes of payload).
    z.extend_from_slice(&[0x53, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    z.extend(ruzstd::encoding::compress_to_vec(second, level));
    let image = Image::from_layer_blobs(vec![z]);
    let (seen, report) = visit_all(&image, &Limits::default());
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(paths(&seen), ["a", "b"]);
    assert_eq!(seen.iter().find(|s| s.0 == "b").unwrap().2, b"bee");
    assert_eq!(seen.iter().find(|s| s.0 == "a").unwrap().2.len(), 10_000);
}

#[test]
fn whiteout_under_a_symlinked_directory_deletes_in_the_target() {
    let base = LayerTar::new()
        .dir("usr/bin")
        .file("usr/bin/foo", b"f")
        .file("usr/bin/bar", b"b")
        .symlink("bin", "usr/bin")
        .tar();
    let top = LayerTar::new().file("bin/.wh.foo", b"").tar();
    let image = Image::from_layer_blobs(vec![base, top]);
    let view = image.final_view(&Limits::default()).view;
    assert!(!view.nodes.contains_key("usr/bin/foo"));
    assert!(view.nodes.contains_key("usr/bin/bar"));
    assert!(view.nodes.contains_key("bin"));
}

/// The per-layer walk hands out every entry of every layer, the ones a later layer deletes
/// or replaces and the whiteout markers included, and its view agrees with the final view.
#[test]
fn layer_walk_sees_deleted_and_replaced_entries_and_whiteouts() {
    let base = LayerTar::new()
        .dir("etc")
        .file("etc/key.pem", b"old key")
        .file("etc/conf", b"v1")
        .gzip();
    let top = LayerTar::new()
        .file("etc/.wh.key.pem", b"")
        .file("etc/conf", b"v2")
        .file("etc/.wh..wh..opq", b"")
        .tar();
    let image = Image::from_layer_blobs(vec![base, top]);
    let mut seen = Vec::new();
    let report = image.for_each_layer_entry(&Limits::default(), |e, r| {
        let mut content = String::new();
        r.read_to_string(&mut content).unwrap();
        let wh = e.whiteout.map(|w| format!("{w:?}"));
        seen.push((e.layer.index, e.ordinal, e.path.to_string(), content, wh));
    });
    let rows: Vec<(usize, u64, &str, &str, Option<&str>)> = seen
        .iter()
        .map(|(l, o, p, c, w)| (*l, *o, p.as_str(), c.as_str(), w.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            (0, 0, "etc", "", None),
            (0, 1, "etc/key.pem", "old key", None),
            (0, 2, "etc/conf", "v1", None),
            (1, 0, "etc/.wh.key.pem", "", Some("Delete(\"etc/key.pem\")")),
            (1, 1, "etc/conf", "v2", None),
            (1, 2, "etc/.wh..wh..opq", "", Some("Opaque(\"etc\")")),
        ]
    );
    let expected = image.final_view(&Limits::default()).view;
    assert_eq!(report.view.nodes, expected.nodes);
    assert!(!report.view.nodes.contains_key("etc/key.pem"));
    let conf = &report.view.nodes["etc/conf"];
    assert_eq!((conf.layer, conf.ordinal), (1, 1));
}
