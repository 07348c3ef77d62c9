//! CIS 1.3.x (controller manager), 1.4.x (scheduler) and 2.x (etcd). Defaults are the
//! binaries' own: both bind to 0.0.0.0 (`SecureServingOptions`), profile by default, and
//! the controller manager does not use per-controller credentials unless told; etcd leaves
//! client and peer certificate authentication off (`embed.NewConfig`).

use super::checks::{all_set, bind_local, bool_is, flag_check, Verdict};
use super::component::Component;
use super::flags::parse_go_bool;
use super::rules::*;
use crate::result::{NodeAudit, Status};

/// Controller manager checks.
pub fn controller_manager(cm: &Component, audit: &mut NodeAudit) {
    flag_check(audit, "1.3.1", &C_GC, cm, |c| {
        all_set(c, &["terminated-pod-gc-threshold"])
    });
    flag_check(audit, "1.3.2", &C_PROFILING, cm, |c| {
        bool_is(c, "profiling", false, true)
    });
    flag_check(audit, "1.3.3", &C_SA_CREDS, cm, |c| {
        bool_is(c, "use-service-account-credentials", true, false)
    });
    flag_check(audit, "1.3.4", &C_SA_KEY, cm, |c| {
        all_set(c, &["service-account-private-key-file"])
    });
    flag_check(audit, "1.3.5", &C_ROOT_CA, cm, |c| {
        all_set(c, &["root-ca-file"])
    });
    flag_check(audit, "1.3.6", &C_ROTATE, cm, |c| {
        match c.flags.feature_gate("RotateKubeletServerCertificate") {
            Some((Ok(v), u)) => Verdict {
                status: if v { Status::Pass } else { Status::Fail },
                message: format!("RotateKubeletServerCertificate={v} in --feature-gates"),
                at: Some(u.clone()),
                evidence: None,
            },
            Some((Err(bad), u)) => Verdict {
                status: Status::Fail,
                message: format!("RotateKubeletServerCertificate=`{bad}` is not a boolean"),
                at: Some(u.clone()),
                evidence: None,
            },
            None => Verdict {
                status: Status::Pass,
                message: "RotateKubeletServerCertificate is not disabled (on by default)".into(),
                at: None,
                evidence: None,
            },
        }
    });
    flag_check(audit, "1.3.7", &C_BIND, cm, |c| bind_local(c, "0.0.0.0"));
}

/// Scheduler checks.
pub fn scheduler(s: &Component, audit: &mut NodeAudit) {
    flag_check(audit, "1.4.1", &S_PROFILING, s, |c| {
        bool_is(c, "profiling", false, true)
    });
    flag_check(audit, "1.4.2", &S_BIND, s, |c| bind_local(c, "0.0.0.0"));
}

/// etcd checks; `api` is the API server, for 2.7 (a CA of etcd's own).
pub fn etcd(e: &Component, api: &Component, audit: &mut NodeAudit) {
    flag_check(audit, "2.1", &E_TLS, e, |c| {
        all_set(c, &["cert-file", "key-file"])
    });
    flag_check(audit, "2.2", &E_CLIENT_AUTH, e, |c| {
        bool_is(c, "client-cert-auth", true, false)
    });
    flag_check(audit, "2.3", &E_AUTO_TLS, e, |c| {
        bool_is(c, "auto-tls", false, false)
    });
    flag_check(audit, "2.4", &E_PEER_TLS, e, |c| {
        all_set(c, &["peer-cert-file", "peer-key-file"])
    });
    flag_check(audit, "2.5", &E_PEER_AUTH, e, |c| {
        bool_is(c, "peer-client-cert-auth", true, false)
    });
    flag_check(audit, "2.6", &E_PEER_AUTO_TLS, e, |c| {
        bool_is(c, "peer-auto-tls", false, false)
    });
    flag_check(audit, "2.7", &E_UNIQUE_CA, e, |c| {
        let trusted = c.flags.last("trusted-ca-file");
        let client_ca = api.flags.last("client-ca-file");
        match (trusted, client_ca) {
            (None, _) => Verdict {
                status: Status::Fail,
                message: "--trusted-ca-file is not set: etcd verifies no client CA".into(),
                at: None,
                evidence: None,
            },
            (Some(t), Some(ca)) if t.value.trim() == ca.value.trim() => Verdict {
                status: Status::Fail,
                message: format!(
                    "etcd trusts {}, the CA the API server accepts client certificates from",
                    t.value
                ),
                at: Some(t.clone()),
                evidence: None,
            },
            (Some(t), _) => Verdict {
                status: Status::Manual,
                message: format!(
                    "etcd trusts {}, a file distinct from the API server's client CA: check \
                     that it is a different CA",
                    t.value
                ),
                at: Some(t.clone()),
                evidence: None,
            },
        }
    });
}

/// True when an etcd boolean flag is set to true (used by the k3s config reader).
pub fn truthy(value: &str) -> bool {
    parse_go_bool(value).unwrap_or(false)
}
