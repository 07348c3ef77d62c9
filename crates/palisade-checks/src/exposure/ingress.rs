//! PAL-NET-003: hosts an Ingress serves without TLS.

use std::collections::BTreeSet;

use palisade_core::yaml::{Entry, Node};
use palisade_core::Object;

use super::{quoted_list, INGRESS_WITHOUT_TLS};
use crate::util::key_pos;
use crate::Emitter;

/// Annotations through which cloud ingress controllers attach certificates without
/// `spec.tls`.
const INGRESS_CERT_ANNOTATIONS: &[&str] = &[
    "alb.ingress.kubernetes.io/certificate-arn",
    "ingress.gcp.kubernetes.io/pre-shared-cert",
    "networking.gke.io/managed-certificates",
];

pub(super) fn check(obj: &Object, em: &mut Emitter) {
    // Certificates attached by the cloud controller: TLS is terminated for every host.
    if INGRESS_CERT_ANNOTATIONS
        .iter()
        .any(|k| obj.annotation(k).is_some_and(|v| !v.trim().is_empty()))
    {
        return;
    }
    let spec = obj.root.get("spec").unwrap_or(Node::null());
    let tls = spec.get("tls").map(Node::items).unwrap_or_default();
    let rules = spec.get("rules").map(Node::items).unwrap_or_default();
    let rule_hosts: Vec<(usize, &Entry, &str)> = rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let e = r.entry("host")?;
            e.value
                .as_str()
                .filter(|h| !h.is_empty())
                .map(|h| (i, e, h))
        })
        .collect();

    if tls.is_empty() {
        let pos = key_pos(&obj.root, "spec", obj.root.pos);
        let hosts: Vec<&str> = rule_hosts.iter().map(|(_, _, h)| *h).collect();
        let what = if hosts.is_empty() {
            "its traffic".to_string()
        } else {
            format!("host(s) {}", quoted_list(&hosts))
        };
        em.emit(
            &INGRESS_WITHOUT_TLS,
            obj,
            pos,
            Some("spec.tls".into()),
            format!("Ingress has no spec.tls: {what} served over plain HTTP"),
        );
        return;
    }

    // A TLS entry without hosts applies to every host the controller serves.
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for entry in tls {
        let hosts = entry.get("hosts").map(Node::items).unwrap_or_default();
        let names: Vec<&str> = hosts.iter().filter_map(Node::as_str).collect();
        if names.is_empty() {
            return;
        }
        covered.extend(names.iter().map(|h| h.to_ascii_lowercase()));
    }
    for (i, entry, host) in rule_hosts {
        if !tls_covers(&covered, host) {
            em.emit(
                &INGRESS_WITHOUT_TLS,
                obj,
                entry.key.pos,
                Some(format!("spec.rules[{i}].host").into()),
                format!(
                    "host `{host}` is served by the Ingress rules but no spec.tls entry covers it"
                ),
            );
        }
    }
}

/// Does a TLS host list cover `host`? Exact names match case-insensitively; a `*.example.com`
/// certificate name covers exactly one extra label (`a.example.com`, not `a.b.example.com`).
fn tls_covers(covered: &BTreeSet<String>, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if covered.contains(&host) {
        return true;
    }
    match host.split_once('.') {
        Some((label, rest)) if !label.is_empty() && label != "*" => {
            covered.contains(&format!("*.{rest}"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_wildcards_cover_one_label() {
        let covered: BTreeSet<String> =
            ["*.example.com".to_string(), "api.test".to_string()].into();
        assert!(tls_covers(&covered, "www.example.com"));
        assert!(tls_covers(&covered, "WWW.Example.com"));
        assert!(!tls_covers(&covered, "a.b.example.com"));
        assert!(!tls_covers(&covered, "example.com"));
        assert!(tls_covers(&covered, "api.test"));
        assert!(!tls_covers(&covered, "*.test"));
        let wild: BTreeSet<String> = ["*.example.com".to_string()].into();
        assert!(tls_covers(&wild, "*.example.com"));
    }
}
