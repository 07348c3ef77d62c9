//! Secrets in manifests. Every string of every object except a `Secret`'s values (env
//! values, ConfigMap data, annotations, args, probe headers, custom resource fields) is
//! judged by one detector: known credential formats (PAL-SECRET-001) and literal values under
//! secret-like names (PAL-SECRET-002). Secrets handed to containers as environment variables
//! are PAL-SECRET-003, and Secrets with inline values kept in a repository PAL-SECRET-004.
//!
//! Findings never carry a secret: evidence shows at most a short prefix and the length.
//!
//! Modules: `walk` (the manifest walk and findings), `detector` (one value in, detections
//! out; shared with other families), `formats` (the table of known formats), `pass` (the scanning pass), `pem`, `jwt`,
//! `embedded` (URL, header and connection-string credentials), `names` (secret-like names),
//! `assign` (assignments inside files and command lines), `values` (what is clearly not a
//! secret, redaction), `env` (003), `inline` (004).

mod assign;
pub(crate) mod detector;
mod embedded;
mod env;
mod formats;
mod inline;
mod jwt;
mod names;
mod pass;
mod pem;
mod values;
mod walk;

use palisade_core::{Controls, Family, Object, Rule, Severity, Workload};

use crate::{Checks, Emitter};

pub(crate) static CHECKS: Checks = Checks {
    rules: &[
        &LITERAL_SECRET,
        &NAMED_SECRET,
        &SECRET_IN_ENV,
        &INLINE_SECRET,
    ],
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
    description: "A string anywhere in the object (env value, ConfigMap data, annotation, \
        argument, probe header, custom resource field) has the shape of a real credential: \
        a cloud access or secret key, a private key block (even just its BEGIN line), a \
        GitHub, GitLab, Slack, Stripe, Twilio, SendGrid, npm or other vendor token, a JWT, a \
        password inside a URL or connection string, or a literal `Authorization` header \
        value. Manifests live in Git, CI logs and Helm releases, and env values and \
        ConfigMaps are readable by anyone who can read the workload: the credential is exposed to far more \
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

pub(crate) static NAMED_SECRET: Rule = Rule {
    id: "PAL-SECRET-002",
    title: "Literal value under a secret-like name",
    severity: Severity::Medium,
    family: Family::Secrets,
    description: "An env var, ConfigMap key, annotation, command-line option, custom resource \
        field or an assignment inside a ConfigMap file is named like a secret (password, \
        passwd, pwd, secret, token, api key, private key, credential, access key) and holds a \
        literal value, whatever it looks like: `DB_PASSWORD: hunter2` is as leaked as a \
        generated key. Not reported: empty values, references (`$(VAR)`, `${VAR}`, \
        `{{ .Values.x }}`), paths, URLs, booleans, numbers, placeholders (`changeme`, \
        `<token>`, `REDACTED`, `***`), names about a secret rather than of one \
        (`PASSWORD_FILE`, `TOKEN_URL`, `SECRET_NAME`, `secretKeyRef`, `existingSecret`, \
        `tokenTTL`), object names in structured `*secret` fields, and values that \
        PAL-SECRET-001 already reports by their format.",
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

pub(crate) static INLINE_SECRET: Rule = Rule {
    id: "PAL-SECRET-004",
    title: "Secret with inline values in a manifest",
    severity: Severity::Low,
    family: Family::Secrets,
    description: "A Secret manifest carries its values in `data` or `stringData`. Base64 is \
        an encoding, not encryption: anyone who can read the repository, its forks, CI logs \
        or Helm releases can read the secret, and it stays in the Git history after it is \
        rotated. Service account token Secrets (filled in by the API server) and Secrets \
        whose values are all empty or references are not reported.",
    remediation: "Keep only encrypted or referenced secrets in the repository: a \
        SealedSecret, an ExternalSecret synced from a secret store, or a SOPS-encrypted file \
        decrypted at deploy time. Rotate the values that were committed.",
    references: &[
        GOOD_PRACTICES_REF,
        "https://github.com/bitnami-labs/sealed-secrets",
        "https://external-secrets.io/",
        "https://github.com/getsops/sops",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.4.2"],
        nsa: &["Network separation and hardening: secrets"],
        mitre: &["T1552.001"],
    },
};

fn check(object: &Object, view: Option<&Workload>, em: &mut Emitter) {
    if object.is("Secret") {
        inline::check(object, em);
        return;
    }
    // API schemas describe fields (and quote example credentials); they configure nothing.
    // SealedSecrets hold ciphertext under the names of the secrets they seal.
    if object.is("CustomResourceDefinition") || object.is("SealedSecret") {
        return;
    }
    walk::scan_object(object, em);
    if let Some(w) = view {
        env::check(w, em);
    }
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
