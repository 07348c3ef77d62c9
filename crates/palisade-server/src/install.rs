//! The manifests that run the webhook in a cluster (`palisade admission manifests`):
//! Namespace, ServiceAccount, RBAC, Deployment, Service, PodDisruptionBudget,
//! NetworkPolicy and the ValidatingWebhookConfiguration, as one multi-document YAML.
//!
//! The Deployment is hardened so that `palisade scan` finds nothing at medium or above in the
//! output (the CLI tests pipe one into the other). Values that come from the user are checked
//! first (as the API server would refuse them) and written as double-quoted scalars, so no
//! input can change the document's structure.

use std::net::IpAddr;

use crate::install_docs::{cert_manager_docs, workload_docs};
use crate::install_webhook::webhook_configuration;

/// The name of every namespaced object, the ClusterRole and the webhook configuration.
pub const NAME: &str = "palisade-admission";
/// The name of the webhook inside the configuration (it must be a qualified name).
pub const WEBHOOK_NAME: &str = "validate.palisade.dev";
/// The name of the second webhook of the configuration, for RBAC objects.
pub const RBAC_WEBHOOK_NAME: &str = "rbac.palisade.dev";
/// The ConfigMap holding `palisade.yaml`, when one is given.
pub const CONFIG_MAP: &str = "palisade-admission-config";
/// The ConfigMap of the user policies (`--policies` of `palisade serve`).
pub const POLICIES_CONFIG_MAP: &str = "palisade-admission-policies";
/// The most a ConfigMap may hold (the API server's `MaxSecretSize`, 1 MiB, applies to
/// ConfigMaps too).
pub const CONFIG_MAP_MAX_BYTES: usize = 1024 * 1024;
/// The Secret holding `tls.crt` and `tls.key` that the Deployment mounts.
pub const TLS_SECRET: &str = "palisade-admission-tls";

/// What the API server does when it cannot get an answer from the webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Refuse the request (fail closed).
    Fail,
    /// Let the request through unjudged (fail open).
    Ignore,
}

impl FailurePolicy {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FailurePolicy::Fail => "Fail",
            FailurePolicy::Ignore => "Ignore",
        }
    }
}

/// Where the API server's trust in the webhook's certificate comes from.
#[derive(Debug, Clone)]
pub enum CaSource {
    /// A CA certificate (PEM), written base64-encoded into `caBundle`.
    Bundle(String),
    /// cert-manager: a self-signed Issuer makes a CA, a CA Issuer signs the serving
    /// certificate into the TLS Secret, and cert-manager's CA injector fills `caBundle`.
    CertManager,
}

/// Everything the manifests depend on.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// The namespace the webhook runs in (a DNS-1123 label).
    pub namespace: String,
    /// The container image (`REGISTRY/palisade:TAG` or `…@sha256:…`).
    pub image: String,
    /// `failurePolicy` of the webhook.
    pub failure_policy: FailurePolicy,
    /// `failurePolicy` of the RBAC webhook (Roles, ClusterRoles and their bindings), which the
    /// API server itself writes at start-up: Ignore by default (see docs/admission.md).
    pub rbac_failure_policy: FailurePolicy,
    /// `timeoutSeconds` of the webhook (1 to 30, as the API server requires).
    pub timeout_seconds: u32,
    /// The CA the API server trusts.
    pub ca: CaSource,
    /// A `clientConfig.url` (`https://host[:port]/path`) for a webhook outside the cluster,
    /// instead of the Service: only the webhook configuration is made then.
    pub webhook_url: Option<String>,
    /// The text of a `palisade.yaml` for the server, put in a ConfigMap and passed with
    /// `--config` (check it first: the server refuses to start with a bad one).
    pub config: Option<String>,
    /// User policy files for the server (`(key, text)`: Gatekeeper templates and
    /// constraints, ValidatingAdmissionPolicies and bindings, `.rego` modules), put in a
    /// ConfigMap and passed with `--policies`; a key must end with its file's extension.
    pub policies: Vec<(String, String)>,
    /// Where the API server's endpoints are (CIDRs), to narrow the NetworkPolicy's egress;
    /// empty: ports 443 and 6443 to any address.
    pub api_server_cidrs: Vec<String>,
}

impl InstallOptions {
    /// The defaults of `palisade admission manifests` with `ca`.
    pub fn new(ca: CaSource) -> InstallOptions {
        InstallOptions {
            namespace: "palisade".into(),
            image: format!("palisade:{}", env!("CARGO_PKG_VERSION")),
            failure_policy: FailurePolicy::Fail,
            rbac_failure_policy: FailurePolicy::Ignore,
            timeout_seconds: 5,
            ca,
            webhook_url: None,
            config: None,
            policies: Vec::new(),
            api_server_cidrs: Vec::new(),
        }
    }

    /// Checks the options as [`manifests`] does, except the CA's content.
    pub fn check(&self) -> Result<(), InstallError> {
        validate(self)
    }

    /// The names the serving certificate must carry: the Service's DNS names, or the host of
    /// `webhook_url`.
    pub fn server_names(&self) -> Vec<String> {
        if let Some(url) = &self.webhook_url {
            if let Some(host) = url_host(url) {
                return vec![host];
            }
        }
        let svc = format!("{NAME}.{}.svc", self.namespace);
        vec![svc.clone(), format!("{svc}.cluster.local")]
    }
}

/// Why the manifests could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InstallError {
    /// The option at fault (as the CLI spells it).
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> InstallError {
    InstallError {
        field,
        message: message.into(),
    }
}

/// The manifests, as one YAML stream (documents separated by `---`).
pub fn manifests(opts: &InstallOptions) -> Result<String, InstallError> {
    opts.check()?;
    if let CaSource::Bundle(pem) = &opts.ca {
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(invalid("--ca-file", "no PEM CERTIFICATE block in the file"));
        }
    }
    let ns = opts.namespace.as_str();
    let mut docs = vec![format!(
        "# The Palisade admission webhook, made by `palisade admission manifests`\n\
         # (palisade {}): failurePolicy {}, timeoutSeconds {}. See docs/admission.md.\n",
        env!("CARGO_PKG_VERSION"),
        opts.failure_policy.as_str(),
        opts.timeout_seconds
    )];
    // A webhook at a URL runs outside the cluster: only the configuration is needed.
    if opts.webhook_url.is_none() {
        docs.extend(workload_docs(opts));
        if matches!(opts.ca, CaSource::CertManager) {
            docs.extend(cert_manager_docs(ns, &opts.server_names()));
        }
    }
    docs.push(webhook_configuration(opts));
    let mut out = String::new();
    for (i, doc) in docs.iter().enumerate() {
        // The banner comment opens the first document.
        if i > 1 {
            out.push_str("---\n");
        }
        out.push_str(doc);
    }
    Ok(out)
}

/// A string as a YAML double-quoted scalar (JSON's escaping is a subset of YAML's).
pub(crate) fn q(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// Checks every option but the CA's content (so that a caller can refuse bad options before
/// it makes certificates): what the API server would refuse, and combinations that cannot
/// work.
fn validate(opts: &InstallOptions) -> Result<(), InstallError> {
    // ValidateNamespaceName: a DNS-1123 label.
    if !is_dns1123_label(&opts.namespace) {
        return Err(invalid(
            "--namespace",
            format!(
                "{:?} is not a valid namespace name (lowercase letters, digits and '-', \
                 starting and ending with a letter or digit, at most 63 characters)",
                opts.namespace
            ),
        ));
    }
    if opts.image.is_empty()
        || opts
            .image
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(
            "--image",
            format!("{:?} is not an image reference", opts.image),
        ));
    }
    // validateValidatingWebhook: timeoutSeconds must be between 1 and 30 seconds.
    if !(1..=30).contains(&opts.timeout_seconds) {
        return Err(invalid(
            "--timeout-seconds",
            format!(
                "{} is out of range: the API server accepts 1 to 30",
                opts.timeout_seconds
            ),
        ));
    }
    if let Some(url) = &opts.webhook_url {
        validate_url(url)?;
        if matches!(opts.ca, CaSource::CertManager) {
            return Err(invalid(
                "--webhook-url",
                "a webhook outside the cluster cannot use cert-manager's in-cluster \
                 certificates; give its CA with --ca-file",
            ));
        }
    }
    validate_policy_keys(&opts.policies)?;
    for cidr in &opts.api_server_cidrs {
        if !is_cidr(cidr) {
            return Err(invalid(
                "--api-server-cidr",
                format!("{cidr:?} is not a CIDR (e.g. 10.0.0.1/32)"),
            ));
        }
    }
    Ok(())
}

/// Mirrors `ValidateConfigMap`: keys of `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or
/// `..`, unique; all data within 1 MiB.
fn validate_policy_keys(policies: &[(String, String)]) -> Result<(), InstallError> {
    let mut seen = std::collections::HashSet::new();
    for (key, _) in policies {
        let charset = key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if key.is_empty() || key.len() > 253 || !charset || key == "." || key == ".." {
            return Err(invalid(
                "--policies",
                format!("{key:?} is not a ConfigMap key (letters, digits, '-', '_', '.')"),
            ));
        }
        if !seen.insert(key) {
            return Err(invalid(
                "--policies",
                format!("two files make the ConfigMap key {key:?}; rename one"),
            ));
        }
    }
    let size: usize = policies.iter().map(|(k, t)| k.len() + t.len()).sum();
    if size > CONFIG_MAP_MAX_BYTES {
        return Err(invalid(
            "--policies",
            format!(
                "the policies take {size} bytes; a ConfigMap holds at most {CONFIG_MAP_MAX_BYTES}"
            ),
        ));
    }
    Ok(())
}

/// Mirrors `ValidateWebhookURL` (k8s.io/apiserver/pkg/util/webhook): https only, a host,
/// no user information, no query, no fragment.
fn validate_url(url: &str) -> Result<(), InstallError> {
    let bad = |why: &str| {
        Err(invalid(
            "--webhook-url",
            format!("{url:?}: {why}; the form is https://host[:port][/path]"),
        ))
    };
    let Some(rest) = url.strip_prefix("https://") else {
        return bad("'https' is the only scheme the API server allows");
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it contains spaces or control characters");
    }
    if url.contains('#') {
        return bad("fragments are not permitted");
    }
    if url.contains('?') {
        return bad("query parameters are not permitted");
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return bad("user information is not permitted");
    }
    if url_host(url).is_none_or(|h| h.is_empty()) {
        return bad("a host must be given");
    }
    Ok(())
}

/// The host of an `https://` URL, without port or IPv6 brackets.
fn url_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let authority = rest.split('/').next()?;
    let authority = authority.rsplit('@').next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    Some(host.to_owned())
}

/// `IsDNS1123Label` of k8s.io/apimachinery/pkg/util/validation.
pub(crate) fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn is_cidr(s: &str) -> bool {
    let Some((addr, prefix)) = s.split_once('/') else {
        return false;
    };
    let (Ok(addr), Ok(prefix)) = (addr.parse::<IpAddr>(), prefix.parse::<u8>()) else {
        return false;
    };
    prefix <= if addr.is_ipv4() { 32 } else { 128 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    fn opts() -> InstallOptions {
        InstallOptions::new(CaSource::Bundle(PEM.into()))
    }

    #[test]
    fn bad_options_are_refused_with_the_flag_named() {
        let cases: Vec<(InstallOptions, &str)> = vec![
            (
                InstallOptions {
                    namespace: "Palisade".into(),
                    ..opts()
                },
                "--namespace",
            ),
            (
                InstallOptions {
                    namespace: "-x".into(),
                    ..opts()
                },
                "--namespace",
            ),
            (
                InstallOptions {
                    image: "a b".into(),
                    ..opts()
                },
                "--image",
            ),
            (
                InstallOptions {
                    timeout_seconds: 31,
                    ..opts()
                },
                "--timeout-seconds",
            ),
            (
                InstallOptions {
                    timeout_seconds: 0,
                    ..opts()
                },
                "--timeout-seconds",
            ),
            (
                InstallOptions {
                    webhook_url: Some("http://127.0.0.1/validate".into()),
                    ..opts()
                },
                "--webhook-url",
            ),
            (
                InstallOptions {
                    webhook_url: Some("https://u@host/validate".into()),
                    ..opts()
                },
                "--webhook-url",
            ),
            (
                InstallOptions {
                    webhook_url: Some("https://host/validate?x=1".into()),
                    ..opts()
                },
                "--webhook-url",
            ),
            (
                InstallOptions {
                    api_server_cidrs: vec!["10.0.0.1/33".into()],
                    ..opts()
                },
                "--api-server-cidr",
            ),
            (
                InstallOptions::new(CaSource::Bundle("not a pem".into())),
                "--ca-file",
            ),
        ];
        for (o, field) in cases {
            let err = manifests(&o).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn the_ca_bundle_is_the_base64_of_the_ca_file() {
        let text = manifests(&opts()).unwrap();
        let line = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("caBundle: "))
            .unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(line)
            .unwrap();
        assert_eq!(decoded, PEM.as_bytes());
    }

    #[test]
    fn policy_keys_must_make_a_config_map() {
        let with = |policies: Vec<(&str, &str)>| {
            let mut o = opts();
            o.policies = policies
                .into_iter()
                .map(|(k, t)| (k.to_string(), t.to_string()))
                .collect();
            o.check().map_err(|e| e.to_string())
        };
        assert!(with(vec![("gk.t.yaml", "a"), ("p.rego", "b")]).is_ok());
        assert!(with(vec![("gk/t.yaml", "a")])
            .unwrap_err()
            .contains("not a ConfigMap key"));
        assert!(with(vec![("a.yaml", "a"), ("a.yaml", "b")])
            .unwrap_err()
            .contains("two files"));
        let big = "x".repeat(CONFIG_MAP_MAX_BYTES);
        assert!(with(vec![("a.yaml", big.as_str())])
            .unwrap_err()
            .contains("at most"));
    }

    #[test]
    fn flags_reach_the_webhook_configuration() {
        let o = InstallOptions {
            namespace: "guard".into(),
            failure_policy: FailurePolicy::Ignore,
            timeout_seconds: 3,
            webhook_url: Some("https://127.0.0.1:9443/validate".into()),
            ..opts()
        };
        let text = manifests(&o).unwrap();
        let vwc = text
            .split("\n---\n")
            .find(|d| d.contains("kind: ValidatingWebhookConfiguration"))
            .unwrap();
        assert!(vwc.contains("failurePolicy: Ignore"), "{vwc}");
        assert!(!vwc.contains("failurePolicy: Fail"), "{vwc}");
        assert!(vwc.contains("timeoutSeconds: 3\n"), "{vwc}");
        assert!(
            vwc.contains("url: \"https://127.0.0.1:9443/validate\""),
            "{vwc}"
        );
        assert!(!vwc.contains("service:"), "{vwc}");
        // Nothing runs in the cluster for a webhook outside it.
        assert!(!text.contains("kind: Deployment"), "{text}");
        let cm = InstallOptions {
            webhook_url: Some("https://127.0.0.1:9443/validate".into()),
            ..InstallOptions::new(CaSource::CertManager)
        };
        assert_eq!(manifests(&cm).unwrap_err().field, "--webhook-url");
        assert!(vwc.contains("values: [kube-system, \"guard\"]"), "{vwc}");
        assert_eq!(o.server_names(), vec!["127.0.0.1".to_string()]);
    }

    #[test]
    fn rbac_objects_have_their_own_fail_open_webhook() {
        let text = manifests(&opts()).unwrap();
        let (main, rbac) = text
            .split_once(&format!("- name: {RBAC_WEBHOOK_NAME}"))
            .unwrap();
        let main = main
            .split_once(&format!("- name: {WEBHOOK_NAME}"))
            .unwrap()
            .1;
        assert!(main.contains("failurePolicy: Fail\n"), "{main}");
        assert!(!main.contains("rbac.authorization.k8s.io"), "{main}");
        assert!(rbac.contains("failurePolicy: Ignore\n"), "{rbac}");
        assert!(
            rbac.contains("resources: [roles, rolebindings, clusterroles, clusterrolebindings]")
        );
        let closed = InstallOptions {
            rbac_failure_policy: FailurePolicy::Fail,
            ..opts()
        };
        let text = manifests(&closed).unwrap();
        assert!(!text.contains("failurePolicy: Ignore"), "{text}");
    }

    #[test]
    fn server_names_are_the_service_names() {
        assert_eq!(
            opts().server_names(),
            vec![
                "palisade-admission.palisade.svc".to_string(),
                "palisade-admission.palisade.svc.cluster.local".to_string()
            ]
        );
        let v6 = InstallOptions {
            webhook_url: Some("https://[::1]:8443/validate".into()),
            ..opts()
        };
        assert_eq!(v6.server_names(), vec!["::1".to_string()]);
    }

    #[test]
    fn cert_manager_adds_issuers_and_the_injection_annotation() {
        let text = manifests(&InstallOptions::new(CaSource::CertManager)).unwrap();
        assert!(!text.contains("caBundle:"), "{text}");
        assert!(text.contains("cert-manager.io/inject-ca-from: \"palisade/palisade-admission\""));
        assert_eq!(text.matches("\nkind: Certificate\n").count(), 2);
        assert_eq!(text.matches("\nkind: Issuer\n").count(), 2);
    }
}
