//! CIS 1.2.x (API server flags), 1.2.28 (the encryption configuration itself) and 3.2.x
//! (audit policy). Defaults are kube-apiserver's own: `--anonymous-auth` true
//! (`BuiltInAuthenticationOptions.WithAnonymous`), `--authorization-mode` AlwaysAllow
//! (`BuiltInAuthorizationOptions`), `--profiling` true, `--service-account-lookup` true.

use palisade_core::yaml::Node;

use super::checks::{
    all_set, bool_is, ciphers, flag_check, int_at_least, list_has, not_set, push, unusable,
    Verdict, STRONG_CIPHERS,
};
use super::component::{read_yaml, Component, State};
use super::rules::*;
use crate::result::{at, NodeAudit, Status};
use crate::root::NodeRoot;

/// Every API server check.
pub fn check(root: &NodeRoot, api: &Component, audit: &mut NodeAudit) {
    flag_check(audit, "1.2.1", &A_ANON, api, |c| {
        bool_is(c, "anonymous-auth", false, true)
    });
    flag_check(audit, "1.2.2", &A_TOKEN_FILE, api, |c| {
        not_set(c, "token-auth-file")
    });
    flag_check(audit, "1.2.3", &A_DENY_EXTERNAL_IPS, api, |c| {
        list_has(
            c,
            "enable-admission-plugins",
            "DenyServiceExternalIPs",
            true,
            &[],
        )
    });
    flag_check(audit, "1.2.4", &A_KUBELET_CLIENT, api, |c| {
        all_set(c, &["kubelet-client-certificate", "kubelet-client-key"])
    });
    flag_check(audit, "1.2.5", &A_KUBELET_CA, api, |c| {
        all_set(c, &["kubelet-certificate-authority"])
    });
    authz(api, audit);
    let plugins = [
        ("1.2.9", &A_EVENT_RATE, "EventRateLimit", true),
        ("1.2.10", &A_ALWAYS_ADMIT, "AlwaysAdmit", false),
        ("1.2.11", &A_ALWAYS_PULL, "AlwaysPullImages", true),
    ];
    for (id, rule, plugin, want) in plugins {
        flag_check(audit, id, rule, api, |c| {
            self::plugin(c, plugin, want, false)
        });
    }
    for (id, rule, plugin) in [
        ("1.2.12", &A_SA_PLUGIN, "ServiceAccount"),
        ("1.2.13", &A_NS_LIFECYCLE, "NamespaceLifecycle"),
    ] {
        flag_check(audit, id, rule, api, |c| {
            self::plugin(c, plugin, true, true)
        });
    }
    flag_check(audit, "1.2.14", &A_NODE_RESTRICTION, api, |c| {
        plugin(c, "NodeRestriction", true, false)
    });
    flag_check(audit, "1.2.15", &A_PROFILING, api, |c| {
        bool_is(c, "profiling", false, true)
    });
    flag_check(audit, "1.2.16", &A_AUDIT_PATH, api, |c| {
        all_set(c, &["audit-log-path"])
    });
    flag_check(audit, "1.2.17", &A_AUDIT_MAXAGE, api, |c| {
        int_at_least(c, "audit-log-maxage", 30, 0)
    });
    flag_check(audit, "1.2.18", &A_AUDIT_MAXBACKUP, api, |c| {
        int_at_least(c, "audit-log-maxbackup", 10, 0)
    });
    flag_check(audit, "1.2.19", &A_AUDIT_MAXSIZE, api, |c| {
        int_at_least(c, "audit-log-maxsize", 100, 0)
    });
    flag_check(audit, "1.2.20", &A_REQUEST_TIMEOUT, api, |c| Verdict {
        status: Status::Manual,
        message: match c.flags.last("request-timeout") {
            Some(u) => format!("--request-timeout is {}: review", u.value),
            None => "--request-timeout is not set (default 1m0s): review".into(),
        },
        at: c.flags.last("request-timeout").cloned(),
        evidence: None,
    });
    flag_check(audit, "1.2.21", &A_SA_LOOKUP, api, |c| {
        bool_is(c, "service-account-lookup", true, true)
    });
    flag_check(audit, "1.2.22", &A_SA_KEY, api, |c| {
        all_set(c, &["service-account-key-file"])
    });
    flag_check(audit, "1.2.23", &A_ETCD_CLIENT, api, |c| {
        all_set(c, &["etcd-certfile", "etcd-keyfile"])
    });
    flag_check(audit, "1.2.24", &A_TLS, api, |c| {
        all_set(c, &["tls-cert-file", "tls-private-key-file"])
    });
    flag_check(audit, "1.2.25", &A_CLIENT_CA, api, |c| {
        all_set(c, &["client-ca-file"])
    });
    flag_check(audit, "1.2.26", &A_ETCD_CA, api, |c| {
        all_set(c, &["etcd-cafile"])
    });
    flag_check(audit, "1.2.27", &A_ENCRYPTION, api, |c| {
        all_set(c, &["encryption-provider-config"])
    });
    encryption_provider(root, api, audit);
    flag_check(audit, "1.2.29", &A_CIPHERS, api, |c| {
        let (ok, message) = ciphers(
            c.flags.list("tls-cipher-suites").map(|(items, _)| items),
            STRONG_CIPHERS,
        );
        Verdict {
            status: if ok { Status::Pass } else { Status::Fail },
            message,
            at: c.flags.last("tls-cipher-suites").cloned(),
            evidence: None,
        }
    });
    flag_check(audit, "3.2.1", &P_AUDIT_POLICY, api, |c| {
        all_set(c, &["audit-policy-file"])
    });
    flag_check(audit, "3.2.2", &P_AUDIT_REVIEW, api, |c| Verdict {
        status: Status::Manual,
        message: match c.flags.last("audit-policy-file") {
            Some(u) => format!("review the audit policy {}", u.value),
            None => "no audit policy to review".into(),
        },
        at: c.flags.last("audit-policy-file").cloned(),
        evidence: None,
    });
}

/// Whether an admission plugin is enabled (`want`), as kube-apiserver computes the set: the
/// deprecated `--admission-control` list, when given, *is* the enabled set and every other
/// plugin is disabled (`computePluginNames` in pkg/kubeapiserver/options/admission.go), and
/// it cannot be combined with the newer flags (`AdmissionOptions.Validate`); otherwise the
/// default-on plugins (`default_on`, e.g. ServiceAccount) are on unless in
/// `--disable-admission-plugins`, and the others only when in `--enable-admission-plugins`.
fn plugin(c: &Component, name: &str, want: bool, default_on: bool) -> Verdict {
    if let Some((items, u)) = c.flags.list("admission-control") {
        let has = items.iter().any(|i| i == name);
        let mut message = format!(
            "--admission-control (deprecated; it replaces the whole enabled set) is {}: {}",
            items.join(","),
            if has { "includes" } else { "does not include" }
        );
        message.push_str(&format!(" {name}"));
        if c.flags.last("enable-admission-plugins").is_some()
            || c.flags.last("disable-admission-plugins").is_some()
        {
            message.push_str(
                "; it cannot be combined with --enable/--disable-admission-plugins: the API \
                 server refuses to start",
            );
        }
        return Verdict {
            status: if has == want && !message.contains("refuses") {
                Status::Pass
            } else {
                Status::Fail
            },
            message,
            at: Some(u.clone()),
            evidence: None,
        };
    }
    if default_on {
        let v = list_has(c, "disable-admission-plugins", name, false, &[]);
        // Not disabled means enabled for a default-on plugin.
        return Verdict {
            status: if (v.status == Status::Pass) == want {
                Status::Pass
            } else {
                Status::Fail
            },
            ..v
        };
    }
    list_has(c, "enable-admission-plugins", name, want, &[])
}

/// 1.2.6–1.2.8. With `--authorization-config` (structured authorization) the modes live in
/// that file and `--authorization-mode` must not be set, so the checks need a person.
fn authz(api: &Component, audit: &mut NodeAudit) {
    let structured = api.flags.last("authorization-config").cloned();
    let checks = [
        ("1.2.6", &A_AUTHZ_ALWAYS_ALLOW, "AlwaysAllow", false),
        ("1.2.7", &A_AUTHZ_NODE, "Node", true),
        ("1.2.8", &A_AUTHZ_RBAC, "RBAC", true),
    ];
    for (id, rule, mode, want) in checks {
        flag_check(audit, id, rule, api, |c| match &structured {
            Some(u) => Verdict {
                status: Status::Manual,
                message: format!(
                    "authorization is configured by {} (--authorization-config): review its \
                     authorizers",
                    u.value
                ),
                at: Some(u.clone()),
                evidence: None,
            },
            None => list_has(c, "authorization-mode", mode, want, &["AlwaysAllow"]),
        });
    }
}

/// 1.2.28: the first provider listed for `secrets` is the one that encrypts new writes
/// (`EncryptionConfiguration`: providers are tried in order and the first one writes).
fn encryption_provider(root: &NodeRoot, api: &Component, audit: &mut NodeAudit) {
    let check = "1.2.28";
    let rule = &A_ENCRYPTION_PROVIDER;
    if let Some((status, message)) = unusable(api) {
        push(
            audit,
            check,
            rule,
            status,
            api.name,
            message,
            None,
            api.anchor.clone(),
        );
        return;
    }
    let Some(flag) = api.flags.last("encryption-provider-config").cloned() else {
        push(
            audit,
            check,
            rule,
            Status::Fail,
            api.name,
            "no encryption configuration: Secrets are stored unencrypted",
            None,
            api.anchor.clone(),
        );
        return;
    };
    let path = flag.value.trim().to_string();
    let doc = match read_yaml(root, &path, audit) {
        Ok(d) => d,
        Err(state) => {
            let why = match state {
                State::Missing => "not found".to_string(),
                State::Broken(e) => e,
                _ => String::new(),
            };
            push(
                audit,
                check,
                rule,
                Status::Manual,
                api.name,
                format!("cannot evaluate: encryption configuration {path}: {why}"),
                Some(flag.display()),
                flag.origin.location_or(&api.anchor),
            );
            return;
        }
    };
    let (status, message, line) = judge_encryption(&doc);
    push(
        audit,
        check,
        rule,
        status,
        api.name,
        message,
        Some(flag.display()),
        at(&path, line),
    );
}

/// Finds the entry covering Secrets (`secrets`, `*.` for the core group, or `*.*`; the first
/// match wins, as the API server matches resources in order) and judges its first provider.
fn judge_encryption(doc: &Node) -> (Status, String, u32) {
    let covers = |r: &str| matches!(r.trim(), "secrets" | "*." | "*.*");
    let entry = doc
        .get("resources")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .find(|e| {
            e.get("resources")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .any(|r| r.as_str().is_some_and(covers))
        });
    let Some(entry) = entry else {
        return (
            Status::Fail,
            "the encryption configuration has no entry for secrets: they are stored \
             unencrypted"
                .into(),
            doc.pos.line,
        );
    };
    let Some(first) = entry.get("providers").and_then(|p| p.items().first()) else {
        return (
            Status::Fail,
            "the secrets entry lists no provider".into(),
            entry.pos.line,
        );
    };
    let name = first
        .entries()
        .first()
        .and_then(|e| e.key_str())
        .unwrap_or("")
        .to_string();
    let line = first.pos.line;
    match name.as_str() {
        "aescbc" | "secretbox" | "kms" => (
            Status::Pass,
            format!("Secrets are encrypted at rest with {name}"),
            line,
        ),
        "identity" => (
            Status::Fail,
            "the first provider for secrets is `identity`: Secrets are written unencrypted".into(),
            line,
        ),
        other => (
            Status::Fail,
            format!(
                "the first provider for secrets is `{other}`; the benchmark accepts aescbc, \
                 kms or secretbox"
            ),
            line,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::yaml::{parse_stream, Limits};

    fn judge(text: &str) -> (Status, String) {
        let s = parse_stream(text, &Limits::default());
        let (st, m, _) = judge_encryption(&s.documents[0].root);
        (st, m)
    }

    #[test]
    fn the_first_provider_for_secrets_decides() {
        let identity_first = "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n  - aescbc: {keys: []}\n";
        assert_eq!(judge(identity_first).0, Status::Fail);
        let aes_first = "resources:\n- resources: [configmaps]\n  providers: [{identity: {}}]\n- resources: [secrets]\n  providers:\n  - aescbc: {keys: []}\n  - identity: {}\n";
        assert_eq!(judge(aes_first).0, Status::Pass);
        let wildcard = "resources:\n- resources: ['*.*']\n  providers: [{secretbox: {}}]\n";
        assert_eq!(judge(wildcard).0, Status::Pass);
        assert_eq!(judge("resources: []\n").0, Status::Fail);
        assert!(
            judge("resources:\n- resources: [secrets]\n  providers: [{aesgcm: {}}]\n")
                .1
                .contains("aesgcm")
        );
    }

    #[test]
    fn the_deprecated_admission_control_list_replaces_the_enabled_set() {
        use crate::cis::component::State;
        use crate::cis::flags::{Flags, Origin, Token};
        let toks = |words: &[&str]| -> Vec<Token> {
            words
                .iter()
                .map(|w| Token {
                    text: w.to_string(),
                    origin: Origin::Builtin("test"),
                })
                .collect()
        };
        let comp = |words: &[&str]| Component {
            name: "kube-apiserver",
            file: "/m.yaml".into(),
            state: State::Loaded,
            flags: Flags::parse(&toks(words)),
            anchor: at("/m.yaml", 1),
        };
        let legacy = comp(&["--admission-control=NodeRestriction,NamespaceLifecycle"]);
        assert_eq!(
            plugin(&legacy, "NodeRestriction", true, false).status,
            Status::Pass
        );
        // ServiceAccount is default-on, but the legacy list leaves it out.
        assert_eq!(
            plugin(&legacy, "ServiceAccount", true, true).status,
            Status::Fail
        );
        let both = comp(&[
            "--admission-control=NodeRestriction",
            "--enable-admission-plugins=NodeRestriction",
        ]);
        assert!(plugin(&both, "NodeRestriction", true, false)
            .message
            .contains("refuses"));
        let modern = comp(&["--disable-admission-plugins=ServiceAccount"]);
        assert_eq!(
            plugin(&modern, "ServiceAccount", true, true).status,
            Status::Fail
        );
        assert_eq!(
            plugin(&modern, "NamespaceLifecycle", true, true).status,
            Status::Pass
        );
    }
}
