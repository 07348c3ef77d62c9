//! Licenses: SPDX ids, expressions and free-form names land where each format wants them,
//! and every id written as a CycloneDX `license.id` is one the 1.6 schema accepts.

use palisade_sbom::format::license;
use serde_json::{json, Value};

use crate::{input, pkg, roundtrip, validate};

#[test]
fn licenses_that_are_not_spdx_ids() {
    let packages = vec![
        pkg(
            "deb",
            "a",
            "1",
            &["GPL-2+", "LGPL-2.1", "public-domain"],
            None,
        ),
        pkg("python", "b", "1", &["MIT OR Apache-2.0"], None),
        pkg(
            "python",
            "c",
            "1",
            &["BSD License", "Apache Software License"],
            None,
        ),
        pkg(
            "deb",
            "d",
            "1",
            &["MIT", "GPL-2.0-or-later WITH Classpath-exception-2.0"],
            None,
        ),
        pkg("deb", "e", "1", &["Lizenz für alle", "GPL-2+"], None),
        pkg(
            "deb",
            "f",
            "1",
            &["NOASSERTION", "mit", "Apache-2.0 OR"],
            None,
        ),
        pkg("deb", "g", "1", &["GPL-2.0+"], None),
    ];
    let (cdx, spdx) = roundtrip(&input(packages, None));
    let lic = |i: usize| cdx["components"][i]["licenses"].clone();
    assert_eq!(
        lic(0),
        json!([
            {"license": {"name": "GPL-2+"}},
            {"license": {"id": "LGPL-2.1"}},
            {"license": {"name": "public-domain"}},
        ])
    );
    assert_eq!(lic(1), json!([{"expression": "MIT OR Apache-2.0"}]));
    assert_eq!(lic(3)[0], json!({"license": {"id": "MIT"}}));
    assert_eq!(
        lic(3)[1],
        json!({"license": {"name": "GPL-2.0-or-later WITH Classpath-exception-2.0"}})
    );
    // `+` is the "or later" operator applied to the (deprecated) id GPL-2.0.
    assert_eq!(lic(6), json!([{"expression": "GPL-2.0+"}]));

    let declared = |i: usize| spdx["packages"][i + 1]["licenseDeclared"].clone();
    assert_eq!(
        declared(0),
        "LicenseRef-GPL-2- AND LGPL-2.1 AND LicenseRef-public-domain"
    );
    // Compound terms keep their parentheses even alone, so reading back (splitting at the
    // top-level AND) gives exactly the strings written.
    assert_eq!(declared(1), "(MIT OR Apache-2.0)");
    assert_eq!(
        declared(3),
        "MIT AND (GPL-2.0-or-later WITH Classpath-exception-2.0)"
    );
    // One extracted-info entry per distinct name, shared between packages.
    let infos = spdx["hasExtractedLicensingInfos"]
        .as_array()
        .expect("infos");
    let names: Vec<&str> = infos
        .iter()
        .map(|e| e["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names.iter().filter(|n| **n == "GPL-2+").count(), 1);
    assert!(names.contains(&"Lizenz für alle"));
    assert!(names.contains(&"NOASSERTION"), "{names:?}");
    for p in spdx["packages"].as_array().expect("packages") {
        assert_eq!(p["licenseConcluded"], "NOASSERTION");
        assert_eq!(p["filesAnalyzed"], false);
    }
}

#[test]
fn every_license_id_written_as_an_id_is_in_the_cyclonedx_schema() {
    let ids: Vec<&str> = license::cyclonedx_ids().collect();
    assert!(ids.len() > 600, "{}", ids.len());
    let components: Vec<Value> = ids
        .iter()
        .map(|id| json!({"type": "library", "name": id, "licenses": [{"license": {"id": id}}]}))
        .collect();
    let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": components});
    validate::cyclonedx(&doc.to_string());
}
