//! Secrets in manifests: literal credentials in container env values, command lines and
//! ConfigMaps (PAL-SECRET-001 by known format, PAL-SECRET-002 by entropy under a secret-ish
//! name), and Secrets handed to containers as environment variables (PAL-SECRET-003).
//!
//! `Secret` objects are where secrets belong and are never scanned. Findings never carry
//! a secret: evidence shows at most a short prefix and the length.

mod scan;

use palisade_core::workload::Described;
use palisade_core::yaml::{Node, Pos};
use palisade_core::{Container, Controls, Family, Object, Rule, Severity, Workload};

use crate::{Checks, Emitter};

pub(crate) static CHECKS: Checks = Checks {
    rules: &[&LITERAL_SECRET, &HIGH_ENTROPY_SECRET, &SECRET_IN_ENV],
    object: Some(check),
    in_context: None,
    inventory: None,
};

const SECRET_REF: &str = "https://kubernetes.io/docs/concepts/configuration/secret/";
const GOOD_PRACTICES_REF: &str =
    "https://kubernetes.io/docs/concepts/security/secrets-good-practices/";
const CONFIGMAP_REF: &str = "https://kubernetes.io/docs/concepts/configuration/configmap/";
const SECRET_FILES_REF: &str = "https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/#create-a-pod-that-has-access-to-the-secret-data-through-a-volume";

pub(crate) static LITERAL_SECRET: Rule = Rule {
    id: "PAL-SECRET-001",
    title: "Literal credential in a manifest",
    severity: Severity::High,
    family: Family::Secrets,
    description: "A value has the shape of a real credential (cloud access key, private key, \
        GitHub/GitLab/Slack/Stripe token, JWT, password inside a URL or connection string). \
        Manifests live in Git, CI logs and Helm releases, and env values and ConfigMaps are \
        readable by anyone who can read the workload: the credential is exposed to far more \
        people and systems than need it, and cannot be rotated without a redeploy.",
    remediation: "Revoke and rotate the credential, move it into a Secret (ideally synced \
        from an external secret store), and mount it as a file or reference it with \
        `secretKeyRef`.",
    references: &[GOOD_PRACTICES_REF, SECRET_REF, CONFIGMAP_REF],
    controls: Controls {
        pss: None,
        cis: &["5.4.1", "5.4.2"],
        nsa: &["Network separation and hardening: secrets"],
        mitre: &["T1552.001", "T1552.007"],
    },
};

pub(crate) static HIGH_ENTROPY_SECRET: Rule = Rule {
    id: "PAL-SECRET-002",
    title: "High-entropy value under a secret-like name",
    severity: Severity::Medium,
    family: Family::Secrets,
    description: "An env var, ConfigMap key or command-line option named like a secret \
        (password, token, api key, private key, credential) holds a random-looking literal: \
        most likely a generated password or key written into the manifest. References \
        (`$(VAR)`, `${VAR}`), placeholders (`changeme`, `<token>`), paths, URLs and short \
        values are not reported.",
    remediation: "Move the value into a Secret and mount it as a file or reference it with \
        `secretKeyRef`; rotate it if the manifest was ever shared.",
    references: &[GOOD_PRACTICES_REF, SECRET_REF],
    controls: Controls {
        pss: None,
        cis: &["5.4.1", "5.4.2"],
        nsa: &["Network separation and hardening: secrets"],
        mitre: &["T1552.001", "T1552.007"],
    },
};

pub(crate) static SECRET_IN_ENV: Rule = Rule {
    id: "PAL-SECRET-003",
    title: "Secret passed as an environment variable",
    severity: Severity::Low,
    family: Family::Secrets,
    description: "Environment variables leak: they are inherited by every child process, \
        dumped in crash reports and debug endpoints, visible in `/proc/<pid>/environ` and to \
        the container runtime, and cannot be updated without a restart. Secret volumes \
        avoid all of this and are refreshed in place.",
    remediation: "Mount the Secret as a volume and read the file, instead of \
        `valueFrom.secretKeyRef` or `envFrom.secretRef`.",
    references: &[SECRET_FILES_REF, GOOD_PRACTICES_REF],
    controls: Controls {
        pss: None,
        cis: &["5.4.1"],
        nsa: &["Network separation and hardening: secrets"],
        mitre: &["T1552.007"],
    },
};

fn check(object: &Object, view: Option<&Workload>, em: &mut Emitter) {
    if object.is("Secret") {
        return;
    }
    if object.is("ConfigMap") {
        config_map(object, em);
    } else if let Some(w) = view {
        workload(w, em);
    }
}

/// Where a value sits, for a finding about it.
struct Place {
    pos: Pos,
    field: String,
    /// "env `X` of container `c`", "ConfigMap key `app.properties`".
    what: String,
}

fn workload(w: &Workload, em: &mut Emitter) {
    for c in w.containers() {
        let who = c.describe();
        env_vars(w.object, &c, &who, em);
        env_from(w.object, &c, &who, em);
        command_line(w.object, &c, &who, em);
    }
}

/// `env[].value` literals (001, 002) and `env[].valueFrom.secretKeyRef` (003).
fn env_vars(obj: &Object, c: &Container, who: &Described, em: &mut Emitter) {
    let env = c.node.get("env").map(Node::items).unwrap_or_default();
    for (i, var) in env.iter().enumerate() {
        let name = var.get("name").and_then(Node::as_str).unwrap_or("");
        if let Some(value) = var.entry("value") {
            if let Some(text) = value.value.as_str() {
                let place = Place {
                    pos: value.key.pos,
                    field: c.field_path(&format!("env[{i}].value")),
                    what: format!("env `{name}` of {who}"),
                };
                literal(em, obj, &place, text);
                high_entropy(em, obj, &place, name, text, false);
            }
        }
        if let Some(r) = var.get("valueFrom").and_then(|v| v.entry("secretKeyRef")) {
            let secret = r.value.get("name").and_then(Node::as_str).unwrap_or("?");
            let key = r.value.get("key").and_then(Node::as_str).unwrap_or("?");
            em.emit(
                &SECRET_IN_ENV,
                obj,
                r.key.pos,
                Some(c.field_path(&format!("env[{i}].valueFrom.secretKeyRef"))),
                format!("env `{name}` of {who} takes key `{key}` of Secret `{secret}`"),
            );
        }
    }
}

/// `envFrom[].secretRef` (003).
fn env_from(obj: &Object, c: &Container, who: &Described, em: &mut Emitter) {
    let sources = c.node.get("envFrom").map(Node::items).unwrap_or_default();
    for (i, source) in sources.iter().enumerate() {
        if let Some(r) = source.entry("secretRef") {
            let secret = r.value.get("name").and_then(Node::as_str).unwrap_or("?");
            em.emit(
                &SECRET_IN_ENV,
                obj,
                r.key.pos,
                Some(c.field_path(&format!("envFrom[{i}].secretRef"))),
                format!("{who} imports every key of Secret `{secret}` as environment variables"),
            );
        }
    }
}

/// `command` and `args` items: known formats (001), and `--name=value`, `NAME=value` and
/// `--name value` options under secret-like names (002).
fn command_line(obj: &Object, c: &Container, who: &Described, em: &mut Emitter) {
    for field in ["command", "args"] {
        let items = c.node.get(field).map(Node::items).unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            let Some(text) = item.as_str() else {
                continue;
            };
            let place = Place {
                pos: item.pos,
                field: c.field_path(&format!("{field}[{i}]")),
                what: format!("{field}[{i}] of {who}"),
            };
            literal(em, obj, &place, text);
            // `--password value`: the option and its value as two items.
            let option = i
                .checked_sub(1)
                .and_then(|p| items.get(p))
                .and_then(Node::as_str)
                .filter(|p| p.starts_with('-') && !p.contains('='))
                .map(|p| (p.trim_start_matches('-'), text));
            for (name, value) in scan::assignments(text).into_iter().chain(option) {
                high_entropy(em, obj, &place, name, value, true);
            }
        }
    }
}

/// ConfigMap `data` (text) and `binaryData` (base64; scanned when it decodes to text).
fn config_map(obj: &Object, em: &mut Emitter) {
    for section in ["data", "binaryData"] {
        let Some(data) = obj.root.get(section) else {
            continue;
        };
        for e in data.entries() {
            let (Some(key), Some(raw)) = (e.key.as_str(), e.value.as_str()) else {
                continue;
            };
            let decoded;
            let text = if section == "binaryData" {
                match scan::decode_base64(raw).and_then(|b| String::from_utf8(b).ok()) {
                    Some(t) => {
                        decoded = t;
                        decoded.as_str()
                    }
                    None => continue,
                }
            } else {
                raw
            };
            let place = Place {
                pos: e.key.pos,
                field: format!("{section}[{key:?}]"),
                what: format!("ConfigMap key `{key}`"),
            };
            literal(em, obj, &place, text);
            // A one-line value is judged under its key; a file by its own assignments.
            let single_line = !text.trim_end().contains('\n');
            if single_line && high_entropy(em, obj, &place, key, text.trim_end(), false) {
                continue;
            }
            for (name, value) in scan::assignments(text) {
                high_entropy(em, obj, &place, name, value, true);
            }
        }
    }
}

/// Credentials listed in one finding's evidence.
const MAX_EVIDENCE: usize = 5;

/// PAL-SECRET-001 on every known-format credential in `text` (one finding per value).
fn literal(em: &mut Emitter, obj: &Object, place: &Place, text: &str) {
    if !em.enabled(&LITERAL_SECRET) {
        return;
    }
    let found = scan::known_secrets(text);
    if found.is_empty() {
        return;
    }
    let mut kinds: Vec<&str> = Vec::new();
    for f in &found {
        if !kinds.contains(&f.kind) {
            kinds.push(f.kind);
        }
    }
    // A few examples are evidence enough; a generated file can hold thousands.
    let mut evidence: Vec<String> = found
        .iter()
        .take(MAX_EVIDENCE)
        .map(|f| format!("{}: {}", f.kind, f.redacted))
        .collect();
    if found.len() > MAX_EVIDENCE {
        evidence.push(format!("{} more", found.len() - MAX_EVIDENCE));
    }
    let message = format!("{} holds a literal {}", place.what, kinds.join(", "));
    if let Some(finding) = em.emit(
        &LITERAL_SECRET,
        obj,
        place.pos,
        Some(place.field.clone()),
        message,
    ) {
        finding.evidence = Some(evidence.join("; "));
    }
}

/// PAL-SECRET-002 when `name` is secret-like and `value` a random-looking literal that is
/// not already a known-format credential. `inner` says `name` is an assignment inside the
/// value at `place` rather than the place's own name. Returns whether it reported.
fn high_entropy(
    em: &mut Emitter,
    obj: &Object,
    place: &Place,
    name: &str,
    value: &str,
    inner: bool,
) -> bool {
    if !em.enabled(&HIGH_ENTROPY_SECRET) || !scan::is_secret_name(name) {
        return false;
    }
    let Some(bits) = scan::high_entropy(value) else {
        return false;
    };
    if !scan::known_secrets(value).is_empty() {
        return false; // PAL-SECRET-001 reports it
    }
    let detail = format!("{} chars, {bits:.1} bits/char", value.chars().count());
    let message = if inner {
        format!(
            "{} sets `{name}` to a high-entropy literal ({detail})",
            place.what
        )
    } else {
        format!("{} holds a high-entropy literal ({detail})", place.what)
    };
    if let Some(finding) = em.emit(
        &HIGH_ENTROPY_SECRET,
        obj,
        place.pos,
        Some(place.field.clone()),
        message,
    ) {
        finding.evidence = Some(scan::redact(value));
    }
    true
}

#[cfg(test)]
mod tests {
    use palisade_core::Finding;

    fn findings(text: &str) -> Vec<Finding> {
        crate::test_support::findings_of(text, &super::CHECKS)
    }

    #[test]
    fn findings_never_carry_the_secret() {
        let secrets = [
            "AKIAPALISADEFAKE0001",
            "PALISADEFAKE0001",
            "q8Z!v2#Lr9@xT4$kFake",
            "Fake-Pa55w0rd-Not-Real",
            "Pa1isadeFakeT0kenNotReal000000000000",
        ];
        let text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: app}}\nspec:\n  containers:\n  - name: c\n    env:\n    - {{name: KEY_ID, value: {}}}\n    - {{name: DB_PASSWORD, value: \"{}\"}}\n    - {{name: URL, value: \"postgres://u:{}@db:5432/x\"}}\n    args: [\"--token=ghp_{}\"]\n",
            secrets[0], secrets[2], secrets[3], secrets[4]
        );
        let all = findings(&text);
        assert_eq!(all.len(), 4, "{all:?}");
        for f in &all {
            for s in secrets {
                assert!(!f.message.contains(s), "{}", f.message);
                assert!(
                    !f.evidence.as_deref().unwrap_or("").contains(s),
                    "{:?}",
                    f.evidence
                );
            }
        }
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        let odd = [
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: [1, 2]\nbinaryData: {a: '!!!', b: [x], c: '////'}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: {b: c}, 'x=y': '=', ':': ': :', p: '-----BEGIN PRIVATE KEY-----'}\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {env: 1, envFrom: {a: b}, args: 3}\n  - {env: [1, {name: [x], value: {a: b}, valueFrom: {secretKeyRef: 1}}], envFrom: [1, {secretRef: []}], command: [[1], '-', '--', '--a=']}\n",
        ];
        crate::test_support::survives_odd_shapes(&super::CHECKS, &odd);
    }
}
