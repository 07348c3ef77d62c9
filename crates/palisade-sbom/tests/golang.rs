//! Go build info read from real binaries built here with the Go toolchain (a temp module
//! with a local `replace`, no network), checked against `go version -m`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use palisade_image::{Image, Limits, Platform};
use palisade_sbom::{catalog, catalog_image, DirSource, MemSource, Package, PackageKind};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Builds the test program for `goarch` with extra `go build` flags into `out`.
fn build(src: &Path, out: &Path, goarch: &str, flags: &[&str]) {
    let status = Command::new("go")
        .current_dir(src)
        .env("GOARCH", goarch)
        .env("CGO_ENABLED", "0")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local")
        .env("GOWORK", "off")
        .arg("build")
        .args(flags)
        .arg("-o")
        .arg(out)
        .arg(".")
        .status()
        .expect("the Go toolchain is missing: run scripts/setup.sh");
    assert!(status.success(), "go build failed");
}

fn module(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    write(
        &src.join("go.mod"),
        "module example.com/app\n\ngo 1.21\n\nrequire example.com/lib v1.2.3\n\nreplace example.com/lib => ./lib\n",
    );
    write(
        &src.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/lib\"\n)\n\nfunc main() { fmt.Println(lib.Hello()) }\n",
    );
    write(
        &src.join("lib/go.mod"),
        "module example.com/lib\n\ngo 1.21\n",
    );
    write(
        &src.join("lib/lib.go"),
        "package lib\n\nfunc Hello() string { return \"hi\" }\n",
    );
    src
}

/// `go version -m`: the Go version and the (kind, path, version) of every module line.
fn oracle(bin: &Path) -> (String, BTreeSet<(String, String, String)>) {
    let out = Command::new("go")
        .args(["version", "-m"])
        .arg(bin)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let version = lines
        .next()
        .unwrap()
        .rsplit(": ")
        .next()
        .unwrap()
        .to_string();
    let mods = lines
        .filter_map(|l| {
            let f: Vec<&str> = l.trim_start_matches('\t').split('\t').collect();
            matches!(f[0], "mod" | "dep" | "=>").then(|| {
                (
                    f[0].to_string(),
                    f[1].to_string(),
                    f.get(2).unwrap_or(&"").to_string(),
                )
            })
        })
        .collect();
    (version, mods)
}

/// Ours in the oracle's terms: required modules as `mod`/`dep`, and the replacement path.
fn ours(pkgs: &[&Package]) -> (String, BTreeSet<(String, String, String)>) {
    let std = pkgs.iter().find(|p| p.name == "stdlib").unwrap();
    let mut set = BTreeSet::new();
    for (i, p) in pkgs.iter().filter(|p| p.name != "stdlib").enumerate() {
        let kind = if i == 0 { "mod" } else { "dep" };
        let (path, version) = match &p.source_name {
            Some(required) => (
                required.clone(),
                p.source_version.clone().unwrap_or_default(),
            ),
            None => (p.name.clone(), p.version.clone()),
        };
        set.insert((kind.to_string(), path, version));
    }
    (std.version.clone(), set)
}

#[test]
fn real_binaries_agree_with_go_version_m() {
    let dir = tempfile::tempdir().unwrap();
    let src = module(dir.path());
    let root = dir.path().join("rootfs");
    let builds: [(&str, &str, &[&str]); 3] = [
        ("usr/local/bin/app", "amd64", &[]),
        (
            "opt/stripped/app",
            "amd64",
            &["-trimpath", "-ldflags=-s -w"],
        ),
        ("opt/i386/app", "386", &[]),
    ];
    for (path, arch, flags) in builds {
        build(&src, &root.join(path), arch, flags);
    }
    // A non-Go ELF executable and a script: not Go.
    std::fs::copy("/bin/ls", root.join("usr/local/bin/ls")).unwrap();
    write(
        &root.join("usr/local/bin/script"),
        &"#!/bin/sh\necho hi\n".repeat(100),
    );

    let from_dir = catalog(&DirSource::new(&root));
    let image = Image::open(&root, &Platform::default()).unwrap();
    let from_image = catalog_image(&image, &Limits::default());
    for cat in [&from_dir, &from_image] {
        assert!(cat.warnings.is_empty(), "{:?}", cat.warnings);
        let files: BTreeSet<&str> = cat.packages.iter().map(|p| p.found_in.as_str()).collect();
        assert_eq!(
            files,
            builds.iter().map(|b| b.0).collect::<BTreeSet<_>>(),
            "only the Go binaries"
        );
        for (path, arch, _) in builds {
            let pkgs: Vec<&Package> = cat.packages.iter().filter(|p| p.found_in == path).collect();
            assert!(pkgs.iter().all(|p| p.kind == PackageKind::Go));
            let (go_version, mods) = oracle(&root.join(path));
            let (std_version, our_mods) = ours(&pkgs);
            assert_eq!(
                std_version,
                format!("v{}", go_version.trim_start_matches("go")),
                "{path}"
            );
            let required: BTreeSet<_> = mods.iter().filter(|m| m.0 != "=>").cloned().collect();
            assert_eq!(our_mods, required, "{path}");
            // The replaced dependency is reported as the local directory it was built from.
            let lib = pkgs
                .iter()
                .find(|p| p.source_name.as_deref() == Some("example.com/lib"))
                .unwrap();
            assert!(
                mods.iter().any(|m| m.0 == "=>" && m.1 == "./lib"),
                "{mods:?}"
            );
            assert_eq!(
                (lib.name.as_str(), lib.version.as_str()),
                ("example.com/lib", "(devel)")
            );
            assert_eq!(lib.purl, "pkg:golang/example.com/lib");
            assert_eq!(pkgs[0].arch.as_deref(), Some(arch), "{path}");
            let sha = pkgs[0].file_sha256.clone().unwrap();
            let bytes = std::fs::read(root.join(path)).unwrap();
            let expect = {
                use sha2::Digest;
                sha2::Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            };
            assert_eq!(sha, expect, "{path}");
        }
    }
    let std = from_dir
        .packages
        .iter()
        .find(|p| p.name == "stdlib")
        .unwrap();
    assert!(
        std.purl.starts_with("pkg:golang/stdlib@v1."),
        "{}",
        std.purl
    );
}

#[test]
fn a_binary_an_os_package_owns_is_not_reported() {
    let dir = tempfile::tempdir().unwrap();
    let src = module(dir.path());
    let bin = dir.path().join("app");
    build(&src, &bin, "amd64", &[]);
    let bytes = std::fs::read(&bin).unwrap();
    let src = MemSource::new()
        .with("usr/bin/app", bytes.clone())
        .with("usr/local/bin/app", bytes)
        .with(
            "var/lib/dpkg/status",
            "Package: app\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n",
        )
        .with("var/lib/dpkg/info/app.list", "/.\n/usr/bin/app\n");
    let cat = catalog(&src);
    let go: BTreeSet<&str> = cat
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Go)
        .map(|p| p.found_in.as_str())
        .collect();
    assert_eq!(go, BTreeSet::from(["usr/local/bin/app"]));
    assert_eq!(
        cat.skipped_os_owned, 3,
        "stdlib, main module and lib of usr/bin/app"
    );
}

#[test]
fn truncated_and_corrupt_binaries_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let src = module(dir.path());
    let bin = dir.path().join("app");
    build(&src, &bin, "amd64", &[]);
    let bytes = std::fs::read(&bin).unwrap();
    let magic = memchr::memmem::find(&bytes, b"\xff Go buildinf:").unwrap();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..60usize {
        let mut b = bytes[..(magic + 64 + round * 7).min(bytes.len())].to_vec();
        // Flip bytes in the headers and around the build info.
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = if state % 2 == 0 {
                (state >> 8) as usize % 4096
            } else {
                magic + (state >> 8) as usize % 64
            };
            if at < b.len() {
                b[at] = (state >> 32) as u8;
            }
        }
        let cat = catalog(&MemSource::new().with("bin/app", b));
        for p in &cat.packages {
            assert!(!p.name.is_empty() && p.purl.starts_with("pkg:golang/"));
        }
    }
}

/// A minimal ELF in the pre-1.18 layout (pointers to Go string headers), which the current
/// `go version -m` still reads: one writable PT_LOAD holding the build info header, the two
/// string headers and the strings, plus the Go build ID note.
fn pointer_layout_elf(big_endian: bool) -> Vec<u8> {
    let e16 = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let e32 = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let e64 = |v: u64| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    const VADDR: u64 = 0x40_0000;
    const DATA_OFF: u64 = 0x1000;
    let mut f = vec![0u8; DATA_OFF as usize];
    // ELF header.
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2; // 64-bit
    f[5] = if big_endian { 2 } else { 1 };
    f[6] = 1;
    f[16..18].copy_from_slice(&e16(2)); // ET_EXEC
    f[18..20].copy_from_slice(&e16(if big_endian { 43 } else { 62 })); // SPARCV9 / x86-64
    f[20..24].copy_from_slice(&e32(1));
    f[32..40].copy_from_slice(&e64(64)); // e_phoff
    f[52..54].copy_from_slice(&e16(64));
    f[54..56].copy_from_slice(&e16(56));
    f[56..58].copy_from_slice(&e16(2));
    // The note at 0x100: namesz 4, descsz 8, type 4, "Go\0\0", an 8-byte build ID.
    let note_off = 0x100usize;
    let mut note = Vec::new();
    note.extend(e32(4));
    note.extend(e32(8));
    note.extend(e32(4));
    note.extend(b"Go\0\0buildid!");
    f[note_off..note_off + note.len()].copy_from_slice(&note);
    // Data: header at 0, version string header at 32, modinfo string header at 48, strings.
    let version = b"go1.16.15";
    let mut modinfo = vec![0x30u8; 16];
    modinfo.extend(b"path\texample.com/old\nmod\texample.com/old\tv0.1.0\th1:x=\ndep\tgolang.org/x/text\tv0.3.7\th1:y=\n=>\tgolang.org/x/text\tv0.3.8\th1:z=\n");
    modinfo.extend([0xf9u8; 16]);
    let mut data = b"\xff Go buildinf:".to_vec();
    data.push(8);
    data.push(u8::from(big_endian));
    data.extend(e64(VADDR + 32));
    data.extend(e64(VADDR + 48));
    data.extend(e64(VADDR + 64)); // version bytes
    data.extend(e64(version.len() as u64));
    data.extend(e64(VADDR + 64 + version.len() as u64));
    data.extend(e64(modinfo.len() as u64));
    data.extend(version);
    data.extend(&modinfo);
    // Program headers: PT_NOTE, then PT_LOAD (PF_R|PF_W).
    let ph = |kind: u32, flags: u32, off: u64, vaddr: u64, size: u64| {
        let mut p = Vec::new();
        p.extend(e32(kind));
        p.extend(e32(flags));
        p.extend(e64(off));
        p.extend(e64(vaddr));
        p.extend(e64(vaddr));
        p.extend(e64(size));
        p.extend(e64(size));
        p.extend(e64(0x1000));
        p
    };
    let phs = [
        ph(
            4,
            4,
            note_off as u64,
            VADDR - DATA_OFF + note_off as u64,
            note.len() as u64,
        ),
        ph(1, 6, DATA_OFF, VADDR, data.len() as u64),
    ]
    .concat();
    f[64..64 + phs.len()].copy_from_slice(&phs);
    f.extend(data);
    f
}

#[test]
fn pre_1_18_pointer_layout_agrees_with_go_version_m() {
    let dir = tempfile::tempdir().unwrap();
    for big_endian in [false, true] {
        let bin = dir.path().join(format!("old-{big_endian}"));
        std::fs::write(&bin, pointer_layout_elf(big_endian)).unwrap();
        let (go_version, mods) = oracle(&bin);
        assert_eq!(go_version, "go1.16.15");
        let cat = catalog(&MemSource::new().with("bin/old", std::fs::read(&bin).unwrap()));
        assert!(cat.warnings.is_empty(), "{:?}", cat.warnings);
        let pkgs: Vec<&Package> = cat.packages.iter().collect();
        let (std_version, our_mods) = ours(&pkgs);
        assert_eq!(std_version, "v1.16.15");
        let required: BTreeSet<_> = mods.iter().filter(|m| m.0 != "=>").cloned().collect();
        assert_eq!(our_mods, required);
        let text = pkgs.iter().find(|p| p.name == "golang.org/x/text").unwrap();
        assert_eq!(text.version, "v0.3.8", "the replacement's version");
        assert_eq!(text.source_version.as_deref(), Some("v0.3.7"));
        assert_eq!(text.purl, "pkg:golang/golang.org/x/text@v0.3.8");
    }
}

fn layer(files: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, mode, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_path(path).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(*mode);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// Streamed from layer tars: each package carries the layer that added its file, and a binary
/// a later layer deletes is not reported.
#[test]
fn layers_attribute_binaries_and_whiteouts_hide_them() {
    let dir = tempfile::tempdir().unwrap();
    let src = module(dir.path());
    let bin = dir.path().join("app");
    build(&src, &bin, "amd64", &["-trimpath"]);
    let app = std::fs::read(&bin).unwrap();
    let base = layer(&[
        ("usr/bin/app", 0o755, &app),
        ("usr/bin/gone", 0o755, &app),
        ("usr/bin/not-exec", 0o644, &app),
    ]);
    let top = layer(&[("usr/bin/.wh.gone", 0o644, b""), ("opt/app", 0o755, &app)]);
    let image = Image::from_layer_blobs(vec![base, top]);
    let cat = catalog_image(&image, &Limits::default());
    assert!(cat.warnings.is_empty(), "{:?}", cat.warnings);
    let found: BTreeSet<(&str, Option<&str>)> = cat
        .packages
        .iter()
        .map(|p| (p.found_in.as_str(), p.layer_digest.as_deref()))
        .collect();
    assert_eq!(
        found,
        BTreeSet::from([
            ("opt/app", Some("memory:1")),
            ("usr/bin/app", Some("memory:0"))
        ])
    );
}
