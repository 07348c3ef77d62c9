//! `palisade admission manifests --policies`: the user policies go into a ConfigMap that the
//! server's Deployment mounts and passes to `serve --policies`; read back from a volume laid
//! out as the kubelet lays out a ConfigMap, they judge as the files did.

use palisade_core::yaml::Node;

use crate::admission::{manifests_passing_scan, objects, openssl_ca, text_at};
use crate::util::{assert_exit, json, stderr, Dir};

const TEMPLATE: &str = r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: nolatest}
spec:
  crd: {spec: {names: {kind: NoLatest}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package nolatest
      violation[{"msg": msg}] {
        c := input.review.object.spec.containers[_]
        endswith(c.image, ":latest")
        msg := sprintf("container %v uses :latest", [c.name])
      }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: NoLatest
metadata: {name: no-latest}
"#;

const VAP: &str = r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: named}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "object.metadata.name != 'forbidden'"
    message: that name is taken
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: named}
spec: {policyName: named, validationActions: [Deny]}
"#;

const REGO: &str = "package team\n\ndeny[msg] {\n  not input.metadata.labels.team\n  msg := \"no team label\"\n}\n";

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: forbidden, namespace: shop}\nspec:\n  containers: [{name: app, image: \"nginx:latest\"}]\n";

/// The rule ids a scan of the pod with these policies reports.
fn policy_rules(dir: &Dir, policies: &str) -> Vec<String> {
    let out = dir.run(&[
        "scan",
        "pod.yaml",
        "--policies",
        policies,
        "--format",
        "json",
    ]);
    let report = json(&out);
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["ruleId"].as_str())
        .filter(|id| !id.starts_with("PAL-"))
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn policy_files_go_into_a_config_map_the_server_mounts() {
    let dir = Dir::new("admission-manifests-policies");
    openssl_ca(&dir);
    dir.create("policies/gk/nolatest.yaml", TEMPLATE)
        .create("policies/vap.yaml", VAP)
        .create("policies/team.rego", REGO)
        .create("policies/README.md", "not a policy")
        .create("pod.yaml", POD);
    let text = manifests_passing_scan(&dir, &["--ca-file", "ca.crt", "--policies", "policies"]);
    let objs = objects(&text);
    let cm = objs
        .iter()
        .find(|o| o.id.kind == "ConfigMap" && o.id.name == "palisade-admission-policies")
        .expect("the policies' ConfigMap");
    let data = cm.root.get("data").unwrap();
    let keys: Vec<&str> = data
        .entries()
        .iter()
        .filter_map(|e| e.key.as_str())
        .collect();
    assert_eq!(keys, ["gk.nolatest.yaml", "team.rego", "vap.yaml"]);
    assert_eq!(text_at(data, &["gk.nolatest.yaml"]), Some(TEMPLATE));
    assert_eq!(text_at(data, &["team.rego"]), Some(REGO));

    let deployment = objs.iter().find(|o| o.id.kind == "Deployment").unwrap();
    let pod = deployment
        .root
        .get_path(&["spec", "template", "spec"])
        .unwrap();
    let container = &pod.get("containers").unwrap().items()[0];
    let args: Vec<&str> = container
        .get("args")
        .unwrap()
        .items()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    assert!(args.ends_with(&["--policies", "/policies"]), "{args:?}");
    let volume = pod
        .get("volumes")
        .unwrap()
        .items()
        .iter()
        .find(|v| v.get("name").and_then(Node::as_str) == Some("policies"))
        .unwrap();
    assert_eq!(
        text_at(volume, &["configMap", "name"]),
        Some("palisade-admission-policies")
    );
    let hash = |text: &str| {
        let objs = objects(text);
        let d = objs.iter().find(|o| o.id.kind == "Deployment").unwrap();
        text_at(
            &d.root,
            &[
                "spec",
                "template",
                "metadata",
                "annotations",
                "palisade.dev/policies-hash",
            ],
        )
        .unwrap()
        .to_owned()
    };

    // The volume as the kubelet writes it: the keys in a hidden timestamped directory,
    // `..data` linking to it, each key linking through `..data`.
    let stamp = "..2026_11_30_15_00_00.000000001";
    let mount = dir.root.join("mount");
    std::fs::create_dir_all(mount.join(stamp)).unwrap();
    for e in data.entries() {
        let key = e.key.as_str().unwrap();
        std::fs::write(mount.join(stamp).join(key), e.value.as_str().unwrap()).unwrap();
        std::os::unix::fs::symlink(format!("..data/{key}"), mount.join(key)).unwrap();
    }
    std::os::unix::fs::symlink(stamp, mount.join("..data")).unwrap();
    // Each policy judges once, as from the files.
    let expected = ["GK-NoLatest", "REGO-team", "VAP-named"];
    assert_eq!(policy_rules(&dir, "policies"), expected);
    assert_eq!(policy_rules(&dir, "mount"), expected);
    let out = dir.run(&[
        "scan",
        "pod.yaml",
        "--policies",
        "mount",
        "--format",
        "json",
    ]);
    let findings = json(&out)["findings"].as_array().unwrap().len();
    let out = dir.run(&[
        "scan",
        "pod.yaml",
        "--policies",
        "policies",
        "--format",
        "json",
    ]);
    assert_eq!(findings, json(&out)["findings"].as_array().unwrap().len());

    // A changed policy rolls the pods.
    dir.create("policies/team.rego", REGO.replace("team", "owner"));
    let out = dir.run(&[
        "admission",
        "manifests",
        "--ca-file",
        "ca.crt",
        "--policies",
        "policies",
    ]);
    assert_exit(&out, 0);
    assert_ne!(hash(&text), hash(&crate::util::stdout(&out)));

    // Policies the server would refuse never reach the cluster.
    dir.create(
        "bad/t.yaml",
        TEMPLATE.replace("endswith(c.image", "endswith((c.image"),
    );
    let out = dir.run(&[
        "admission",
        "manifests",
        "--ca-file",
        "ca.crt",
        "--policies",
        "bad",
    ]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("policy problem"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}
