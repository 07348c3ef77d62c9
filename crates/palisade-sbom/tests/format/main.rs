//! SBOM writers: every document is validated against the official schemas (CycloneDX 1.6,
//! SPDX 2.3 and its 2.3.1 errata) and read back into the same package list.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod licenses;
mod peers;
mod validate;

use std::collections::HashSet;

use palisade_sbom::format::{
    self, cyclonedx, spdx, Format, LayerInfo, ReadPackage, SbomInput, SbomPackage, Subject,
    SubjectKind, WriteOptions,
};
use palisade_sbom::purl;
use palisade_sbom::OsRelease;
use serde_json::{json, Value};

const DET: WriteOptions = WriteOptions {
    deterministic: true,
};

fn layer(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
}

fn pkg(
    kind: &str,
    name: &str,
    version: &str,
    licenses: &[&str],
    layer: Option<&str>,
) -> SbomPackage {
    let ty = match kind {
        "python" => "pypi",
        other => other,
    };
    let ns = matches!(kind, "deb").then_some("debian");
    SbomPackage {
        kind: kind.into(),
        name: name.into(),
        version: version.into(),
        arch: None,
        purl: purl::build(ty, ns, name, version, &[("distro", Some("debian-12"))]),
        licenses: licenses.iter().map(|s| s.to_string()).collect(),
        source_name: None,
        source_version: None,
        found_in: "var/lib/dpkg/status".into(),
        layer_digest: layer.map(str::to_string),
        layer_created_by: layer.map(|_| "RUN apt-get install -y x # \"quoted\"".to_string()),
        sha256: None,
    }
}

fn debian() -> OsRelease {
    OsRelease {
        id: "debian".into(),
        version_id: Some("12".into()),
        codename: Some("bookworm".into()),
        id_like: Vec::new(),
        pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
        found_in: "etc/os-release".into(),
    }
}

fn input(packages: Vec<SbomPackage>, os: Option<OsRelease>) -> SbomInput {
    let mut subject = Subject::new("registry.local/app:1.0", SubjectKind::Image);
    subject.digest = Some(layer(0xee));
    subject.platform = Some("linux/amd64".into());
    subject.layers = vec![
        LayerInfo {
            digest: layer(1),
            created_by: Some("ADD rootfs.tar /".into()),
        },
        LayerInfo {
            digest: layer(2),
            created_by: None,
        },
    ];
    SbomInput {
        subject,
        os,
        packages,
        tool_version: "0.1.0".into(),
        timestamp: "2026-01-02T03:04:05Z".into(),
    }
}

/// Writes both formats, validates both, reads both back and checks the package list is the
/// one written (ecosystem, name, version, purl, licenses, layer). Returns the two documents.
fn roundtrip(inp: &SbomInput) -> (Value, Value) {
    let want: Vec<ReadPackage> = inp
        .packages
        .iter()
        .map(|p| ReadPackage {
            ecosystem: p.kind.clone(),
            name: p.name.clone(),
            version: p.version.clone(),
            purl: p.purl.clone(),
            licenses: p.licenses.iter().map(|l| l.trim().to_string()).collect(),
            layer_digest: p.layer_digest.clone(),
        })
        .collect();
    let mut docs = Vec::new();
    for fmt in [Format::CycloneDxJson, Format::SpdxJson] {
        let text = format::write(fmt, inp, DET);
        match fmt {
            Format::CycloneDxJson => validate::cyclonedx(&text),
            _ => validate::spdx(&text),
        }
        let back = format::read(&text).unwrap_or_else(|e| panic!("{fmt}: {e}\n{text}"));
        assert_eq!(back.format, fmt);
        assert!(back.warnings.is_empty(), "{fmt}: {:?}", back.warnings);
        assert_eq!(back.packages, want, "{fmt} read back differs\n{text}");
        assert_eq!(back.subject.as_deref(), Some(inp.subject.name.as_str()));
        let os = inp
            .os
            .as_ref()
            .map(|o| (o.id.clone(), o.version_id.clone().unwrap_or_default()));
        assert_eq!(back.os, os, "{fmt}");
        docs.push(serde_json::from_str(&text).expect("JSON"));
    }
    let spdx_doc = docs.pop().expect("two docs");
    let cdx_doc = docs.pop().expect("two docs");
    check_ids(&cdx_doc, &spdx_doc);
    (cdx_doc, spdx_doc)
}

/// bom-refs and SPDXIDs are unique, SPDXIDs use only the idstring set, and every reference
/// points at an element that exists.
fn check_ids(cdx: &Value, spdx: &Value) {
    let mut refs = HashSet::new();
    let root = cdx["metadata"]["component"]["bom-ref"]
        .as_str()
        .expect("root ref");
    refs.insert(root.to_string());
    for c in cdx["components"].as_array().expect("components") {
        let r = c["bom-ref"].as_str().expect("bom-ref");
        assert!(refs.insert(r.to_string()), "duplicate bom-ref {r}");
    }
    for d in cdx["dependencies"].as_array().expect("dependencies") {
        assert!(refs.contains(d["ref"].as_str().expect("ref")), "{d}");
        for on in d["dependsOn"].as_array().expect("dependsOn") {
            assert!(refs.contains(on.as_str().expect("str")), "{d}");
        }
    }
    let mut ids = HashSet::from(["SPDXRef-DOCUMENT".to_string()]);
    for p in spdx["packages"].as_array().expect("packages") {
        let id = p["SPDXID"].as_str().expect("SPDXID");
        let body = id.strip_prefix("SPDXRef-").expect("prefix");
        assert!(
            !body.is_empty()
                && body
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
            "bad SPDXID {id}"
        );
        assert!(ids.insert(id.to_string()), "duplicate SPDXID {id}");
    }
    for r in spdx["relationships"].as_array().expect("relationships") {
        assert!(
            ids.contains(r["spdxElementId"].as_str().expect("from")),
            "{r}"
        );
        assert!(
            ids.contains(r["relatedSpdxElement"].as_str().expect("to")),
            "{r}"
        );
    }
    let declared: HashSet<&str> = spdx["hasExtractedLicensingInfos"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["licenseId"].as_str().expect("licenseId"))
        .collect();
    for p in spdx["packages"].as_array().expect("packages") {
        let l = p["licenseDeclared"].as_str().expect("licenseDeclared");
        for word in l.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
            if word.starts_with("LicenseRef-") {
                assert!(declared.contains(word), "{word} has no extracted info");
            }
        }
    }
}

fn props(c: &Value) -> Vec<(String, String)> {
    c["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or("").to_string(),
                p["value"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn empty_catalog() {
    for kind in [SubjectKind::Image, SubjectKind::Directory] {
        let mut inp = input(Vec::new(), None);
        inp.subject.kind = kind;
        if kind == SubjectKind::Directory {
            inp.subject = Subject::new("/srv/rootfs", kind);
        }
        let (cdx, spdx) = roundtrip(&inp);
        let root = &cdx["metadata"]["component"];
        let want = if kind == SubjectKind::Image {
            "container"
        } else {
            "file"
        };
        assert_eq!(root["type"], want);
        assert_eq!(cdx["components"], json!([]));
        assert_eq!(cdx["dependencies"][0]["dependsOn"], json!([]));
        assert_eq!(spdx["packages"].as_array().map(Vec::len), Some(1));
        assert_eq!(spdx["relationships"][0]["relationshipType"], "DESCRIBES");
        assert!(spdx.get("hasExtractedLicensingInfos").is_none());
    }
}

#[test]
fn subject_digest_platform_and_layers() {
    let (cdx, spdx) = roundtrip(&input(Vec::new(), None));
    let root = &cdx["metadata"]["component"];
    assert_eq!(root["hashes"][0]["alg"], "SHA-256");
    assert_eq!(root["hashes"][0]["content"], "ee".repeat(32));
    let p = props(root);
    let layers: Vec<&str> = p
        .iter()
        .filter(|(k, _)| k == format::prop::IMAGE_LAYER)
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(layers, [layer(1), layer(2)]);
    assert!(p.contains(&(format::prop::IMAGE_PLATFORM.into(), "linux/amd64".into())));
    let history: Vec<&str> = p
        .iter()
        .filter(|(k, _)| k == format::prop::IMAGE_LAYER_CREATED_BY)
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(history, [format!("{} ADD rootfs.tar /", layer(1))]);
    assert_eq!(
        cdx["metadata"]["tools"]["components"][0]["name"],
        "palisade"
    );
    assert_eq!(cdx["metadata"]["timestamp"], "2026-01-02T03:04:05Z");
    let image = &spdx["packages"][0];
    assert_eq!(image["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(image["checksums"][0]["algorithm"], "SHA256");
    assert_eq!(spdx["creationInfo"]["creators"][0], "Tool: palisade-0.1.0");
}

#[test]
fn odd_names_and_versions() {
    let l1 = layer(1);
    let packages = vec![
        pkg("deb", "libstdc++6", "12.2.0-14+deb12u1", &[], Some(&l1)),
        pkg("deb", "libsystemd0", "252.39-1~deb12u2", &[], Some(&l1)),
        pkg("deb", "bsdutils", "1:2.38.1-5+deb12u3", &[], Some(&l1)),
        pkg("python", "my package", "1.0 beta", &[], None),
        pkg("python", "ünïcödé-名前", "2.0.0+local.ü", &[], None),
        pkg("npm", "@scope/name", "1.0.0-rc.1+build.5", &[], None),
        pkg("deb", "", "", &[], None),
        pkg("deb", "quote\"back\\slash", "0:0", &[], None),
    ];
    // A package without a name cannot be read back; leave it out of the round trip but
    // still make sure it does not break the schema.
    let mut inp = input(packages, Some(debian()));
    let nameless = inp.packages.remove(6);
    let (cdx, spdx) = roundtrip(&inp);
    let ids: Vec<&str> = spdx["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| p["SPDXID"].as_str().expect("id"))
        .collect();
    assert!(
        ids.contains(&"SPDXRef-Package-deb-libstdc-6-12.2.0-14-deb12u1"),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"SPDXRef-Package-deb-bsdutils-1-2.38.1-5-deb12u3"),
        "{ids:?}"
    );
    assert_eq!(
        cdx["components"][3]["purl"],
        "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?distro=debian-12"
    );

    inp.packages.push(nameless);
    validate::cyclonedx(&cyclonedx::write(&inp, DET));
    validate::spdx(&spdx::write(&inp, DET));
}

#[test]
fn same_package_from_two_layers() {
    let (l1, l2) = (layer(1), layer(2));
    let packages = vec![
        pkg("python", "requests", "2.32.3", &["Apache-2.0"], Some(&l1)),
        pkg("python", "requests", "2.32.3", &["Apache-2.0"], Some(&l2)),
    ];
    let (cdx, spdx) = roundtrip(&input(packages, None));
    let refs: Vec<&str> = cdx["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| c["bom-ref"].as_str().expect("ref"))
        .collect();
    assert_eq!(refs.len(), 2);
    assert_ne!(refs[0], refs[1]);
    assert_eq!(cdx["components"][0]["purl"], cdx["components"][1]["purl"]);
    let layers: Vec<String> = cdx["components"]
        .as_array()
        .expect("components")
        .iter()
        .flat_map(props)
        .filter(|(k, _)| k == format::prop::LAYER_DIGEST)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(layers, [l1.clone(), l2.clone()]);
    let notes: Vec<&str> = spdx["packages"][2]["annotations"]
        .as_array()
        .expect("annotations")
        .iter()
        .map(|a| a["comment"].as_str().expect("comment"))
        .collect();
    assert!(
        notes.contains(&format!("palisade:layer:digest={l2}").as_str()),
        "{notes:?}"
    );
    assert!(notes
        .iter()
        .any(|n| n.starts_with("palisade:layer:created-by=RUN apt-get")));
}

#[test]
fn os_component_contains_os_packages() {
    let mut bash = pkg("deb", "bash", "5.2.15-2+b13", &["GPL-3+"], Some(&layer(1)));
    bash.source_name = Some("bash".into());
    bash.source_version = Some("5.2.15-2".into());
    bash.sha256 = Some("AB".repeat(32));
    let packages = vec![bash, pkg("python", "six", "1.16.0", &["MIT"], None)];
    let (cdx, spdx) = roundtrip(&input(packages, Some(debian())));

    let os = &cdx["components"][0];
    assert_eq!(os["type"], "operating-system");
    assert_eq!(os["name"], "debian");
    assert_eq!(os["version"], "12");
    assert_eq!(cdx["components"][1]["type"], "library");
    assert_eq!(
        cdx["components"][1]["hashes"][0]["content"],
        "ab".repeat(32)
    );
    let p = props(&cdx["components"][1]);
    assert!(p.contains(&(format::prop::SOURCE_VERSION.into(), "5.2.15-2".into())));
    let os_ref = os["bom-ref"].as_str().expect("ref");
    let deps = cdx["dependencies"].as_array().expect("deps");
    let os_dep = deps.iter().find(|d| d["ref"] == os_ref).expect("OS entry");
    assert_eq!(
        os_dep["dependsOn"],
        json!([cdx["components"][1]["bom-ref"]])
    );
    assert_eq!(deps[0]["dependsOn"].as_array().map(Vec::len), Some(3));
    assert_eq!(deps.len(), 4, "every component has an entry");

    let os_pkg = &spdx["packages"][1];
    assert_eq!(os_pkg["primaryPackagePurpose"], "OPERATING_SYSTEM");
    let os_id = os_pkg["SPDXID"].as_str().expect("id");
    let contains = |from: &str| -> Vec<String> {
        spdx["relationships"]
            .as_array()
            .expect("rels")
            .iter()
            .filter(|r| r["spdxElementId"] == from && r["relationshipType"] == "CONTAINS")
            .map(|r| r["relatedSpdxElement"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        contains(os_id),
        [spdx["packages"][2]["SPDXID"].as_str().unwrap_or("")]
    );
    let root_id = spdx["packages"][0]["SPDXID"].as_str().expect("root");
    assert_eq!(contains(root_id).len(), 2, "OS and the Python package");
    assert_eq!(
        spdx["packages"][2]["checksums"][0]["checksumValue"],
        "ab".repeat(32)
    );
}

#[test]
fn deterministic_and_random_ids() {
    let inp = input(vec![pkg("deb", "bash", "5", &[], None)], Some(debian()));
    for fmt in [Format::CycloneDxJson, Format::SpdxJson] {
        assert_eq!(format::write(fmt, &inp, DET), format::write(fmt, &inp, DET));
        let a = format::write(fmt, &inp, WriteOptions::default());
        let b = format::write(fmt, &inp, WriteOptions::default());
        assert_ne!(a, b, "{fmt}: random ids repeat");
    }
    let mut other = inp.clone();
    other.packages[0].version = "6".into();
    let serial = |i: &SbomInput| cyclonedx::to_value(i, DET)["serialNumber"].clone();
    assert_ne!(serial(&inp), serial(&other));
    let ns = spdx::to_value(&inp, DET)["documentNamespace"].clone();
    assert!(
        ns.as_str()
            .is_some_and(|s| s.contains("/spdx/registry.local%2Fapp%3A1.0-")),
        "{ns}"
    );
}

#[test]
fn table_lists_every_package() {
    let l1 = layer(0xab);
    let inp = input(
        vec![
            pkg("deb", "bash", "5.2.15-2+b13", &[], Some(&l1)),
            pkg("python", "six", "1.16.0", &[], None),
        ],
        Some(debian()),
    );
    let text = format::write(Format::Table, &inp, DET);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAME", "VERSION", "TYPE", "LAYER"]
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["bash", "5.2.15-2+b13", "deb", "abababababab"]
    );
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["six", "1.16.0", "python"]
    );
    assert!(text.contains("Debian GNU/Linux 12 (bookworm)"), "{text}");

    // Without layers (a directory) there is no LAYER column.
    let mut dir = inp.clone();
    dir.packages.iter_mut().for_each(|p| p.layer_digest = None);
    let text = format::write(Format::Table, &dir, DET);
    assert_eq!(
        text.lines().next().map(|l| l.split_whitespace().count()),
        Some(3),
        "{text}"
    );
}

#[test]
fn truncated_and_mangled_documents_never_panic() {
    let inp = input(
        vec![
            pkg(
                "deb",
                "bash",
                "5",
                &["GPL-3+", "MIT OR Apache-2.0"],
                Some(&layer(1)),
            ),
            pkg("python", "six", "1", &["MIT"], None),
        ],
        Some(debian()),
    );
    for fmt in [Format::CycloneDxJson, Format::SpdxJson] {
        let text = format::write(fmt, &inp, DET);
        // Every prefix is either an error or (never, for a prefix) a document; no panic.
        for cut in (0..text.len())
            .step_by(7)
            .filter(|c| text.is_char_boundary(*c))
        {
            assert!(format::read(&text[..cut]).is_err());
        }
        // Members of the wrong JSON type are skipped or ignored, never trusted.
        let mut doc: Value = serde_json::from_str(&text).unwrap();
        for key in [
            "components",
            "packages",
            "relationships",
            "hasExtractedLicensingInfos",
        ] {
            if doc.get(key).is_some() {
                doc[key] = json!({"not": "an array"});
            }
        }
        if let Some(arr) = doc.get_mut("dependencies") {
            *arr = json!(3);
        }
        let back = format::read(&doc.to_string()).unwrap();
        assert!(back.packages.is_empty(), "{fmt}");
        // Elements of the wrong type inside the lists.
        let mut doc: Value = serde_json::from_str(&text).unwrap();
        let list = if fmt == Format::SpdxJson {
            "packages"
        } else {
            "components"
        };
        doc[list].as_array_mut().unwrap().push(json!([1, 2]));
        doc[list][1]["properties"] = json!("x");
        doc[list][1]["annotations"] = json!([{"comment": 5}]);
        doc[list][1]["licenses"] = json!([{"license": 5}, "MIT"]);
        let back = format::read(&doc.to_string()).unwrap();
        assert_eq!(back.packages.len(), 2, "{fmt}: {:?}", back.warnings);
        assert_eq!(back.warnings.len(), 1, "{fmt}: {:?}", back.warnings);
    }
}

#[test]
fn catalog_input_fills_every_current_field() {
    let src = palisade_sbom::MemSource::new()
        .with("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        .with(
            "var/lib/dpkg/status",
            "Package: bash\nStatus: install ok installed\nArchitecture: amd64\n\
             Source: bash (5.2.15-2)\nVersion: 5.2.15-2+b13\n",
        );
    let cat = palisade_sbom::catalog(&src);
    let inp = SbomInput::from_catalog(Subject::new("dir", SubjectKind::Directory), &cat, "9.9");
    assert_eq!(inp.packages.len(), 1);
    let p = &inp.packages[0];
    assert_eq!((p.kind.as_str(), p.name.as_str()), ("deb", "bash"));
    assert_eq!(p.source_version.as_deref(), Some("5.2.15-2"));
    assert_eq!(p.purl, cat.packages[0].purl);
    assert_eq!(inp.timestamp.len(), "2026-01-02T03:04:05Z".len());
    roundtrip(&inp);
}

/// The validator is not vacuous: the mistakes the writers avoid are caught.
#[test]
fn validator_rejects_what_the_writers_avoid() {
    let inp = input(vec![pkg("deb", "a", "1", &["MIT"], None)], Some(debian()));
    let mut cdx = cyclonedx::to_value(&inp, DET);
    cdx["components"][1]["licenses"] = json!([{"license": {"id": "GPL-2+"}}]);
    assert!(validate::check("cyclonedx", &cdx.to_string()).is_err());
    let mut cdx = cyclonedx::to_value(&inp, DET);
    cdx["components"][1]["licenses"] =
        json!([{"expression": "MIT OR X"}, {"license": {"id": "MIT"}}]);
    assert!(validate::check("cyclonedx", &cdx.to_string()).is_err());

    let mut doc = spdx::to_value(&inp, DET);
    // The tag-value spelling, which the JSON schema does not accept.
    doc["packages"][1]["primaryPackagePurpose"] = json!("OPERATING-SYSTEM");
    assert!(validate::check("spdx", &doc.to_string()).is_err());
    let mut doc = spdx::to_value(&inp, DET);
    doc["packages"][2]["filesAnalyzed"] = json!("no");
    assert!(validate::check("spdx", &doc.to_string()).is_err());
}
