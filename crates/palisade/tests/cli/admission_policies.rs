//! `palisade admission manifests --policies`: the user policies go into a ConfigMap that the
//! server's Deployment mounts and passes to `serve --policies`; read back from a volume laid
//! out as the kubelet lays out a ConfigMap, they judge as the files did.

use crate::admission::{
    manifests_passing_scan, objects, openssl_ca, pod_annotation, server_args, text_at,
    volume_config_map,
};
use crate::util::{assert_exit, json, stderr, Dir};

const TEMPLATE: &str = r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: cpulimit}
spec:
  crd: {spec: {names: {kind: CpuLimit}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package cpulimit
      violation[{"msg": sprintf("%v sets no CPU limit", [c.name])}] {
        c := input.review.object.spec.containers[_]
        not c.resources.limits.cpu
      }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: CpuLimit
metadata: {name: cpu-limit}
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

/// The findings of a scan of the pod with these policies.
fn findings(dir: &Dir, policies: &str) -> Vec<serde_json::Value> {
    let args = [
        "scan",
        "pod.yaml",
        "--policies",
        policies,
        "--format",
        "json",
    ];
    json(&dir.run(&args))["findings"]
        .as_array()
        .unwrap()
        .clone()
}

/// The rule ids of the policies' findings.
fn policy_rules(dir: &Dir, policies: &str) -> Vec<String> {
    let mut ids: Vec<String> = findings(dir, policies)
        .iter()
        .filter_map(|f| f["ruleId"].as_str())
        .filter(|id| !id.starts_with("PAL-"))
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// `admission manifests` with the policies under `path`.
fn manifests_with(dir: &Dir, path: &str) -> std::process::Output {
    let args = [
        "admission",
        "manifests",
        "--ca-file",
        "ca.crt",
        "--policies",
        path,
    ];
    dir.run(&args)
}

#[test]
fn policy_files_go_into_a_config_map_the_server_mounts() {
    let dir = Dir::new("admission-manifests-policies");
    openssl_ca(&dir);
    dir.create("policies/gk/cpulimit.yaml", TEMPLATE)
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
    assert_eq!(keys, ["gk.cpulimit.yaml", "team.rego", "vap.yaml"]);
    assert_eq!(text_at(data, &["gk.cpulimit.yaml"]), Some(TEMPLATE));
    assert_eq!(text_at(data, &["team.rego"]), Some(REGO));

    let args = server_args(&objs);
    assert!(
        args.ends_with(&["--policies".to_string(), "/policies".to_string()]),
        "{args:?}"
    );
    assert_eq!(
        volume_config_map(&objs, "policies").as_deref(),
        Some("palisade-admission-policies")
    );
    let hash = |text: &str| pod_annotation(text, "palisade.dev/policies-hash");

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
    let expected = ["GK-CpuLimit", "REGO-team", "VAP-named"];
    assert_eq!(policy_rules(&dir, "policies"), expected);
    assert_eq!(policy_rules(&dir, "mount"), expected);
    assert_eq!(findings(&dir, "mount"), findings(&dir, "policies"));

    // A changed policy rolls the pods.
    dir.create("policies/team.rego", REGO.replace("team", "owner"));
    let out = manifests_with(&dir, "policies");
    assert_exit(&out, 0);
    assert_ne!(hash(&text), hash(&crate::util::stdout(&out)));

    // Policies the server would refuse never reach the cluster.
    dir.create(
        "bad/t.yaml",
        TEMPLATE.replace("not c.resources", "not (c.resources"),
    );
    let out = manifests_with(&dir, "bad");
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("policy problem"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}
