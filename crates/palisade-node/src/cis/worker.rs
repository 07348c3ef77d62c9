//! CIS 4.2.x: the kubelet's effective settings (see [`super::kubelet`] for how flags, the
//! config file and the defaults combine), plus protectKernelDefaults, which the benchmark
//! dropped after v1.7 but the issue asks for.

use palisade_core::Rule;

use super::checks::{ciphers, push};
use super::component::State;
use super::flags::parse_go_bool;
use super::kubelet::{Kubelet, Setting};
use super::rules::*;
use crate::result::{NodeAudit, Status};

/// Strong suites for the kubelet (benchmark 4.2.12).
const KUBELET_CIPHERS: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
];

/// Distribution facts that change a verdict.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quirks {
    /// The distribution always passes `--hostname-override` (k3s does, with the node name).
    pub hostname_override_builtin: bool,
    /// The distribution renews the kubelet client certificate itself (k3s at each start).
    pub renews_client_cert: bool,
}

/// One setting's judgement: `judge` gets the effective value (or `None` with the default
/// already substituted by the caller) and says pass or fail with a message.
struct Ask<'a> {
    k: &'a Kubelet,
    audit: &'a mut NodeAudit,
}

impl Ask<'_> {
    #[allow(clippy::too_many_arguments)]
    fn setting(
        &mut self,
        check: &'static str,
        rule: &'static Rule,
        flag: &str,
        field: &[&str],
        default: &str,
        judge: impl FnOnce(&str) -> (bool, String),
    ) {
        let found = self.k.setting(flag, field);
        self.decide(check, rule, found, default, field, judge);
    }

    fn decide(
        &mut self,
        check: &'static str,
        rule: &'static Rule,
        found: Option<Setting>,
        default: &str,
        field: &[&str],
        judge: impl FnOnce(&str) -> (bool, String),
    ) {
        match found {
            Some(s) => {
                let (ok, message) = judge(&s.value);
                push(
                    self.audit,
                    check,
                    rule,
                    if ok { Status::Pass } else { Status::Fail },
                    "kubelet",
                    message,
                    Some(s.shown),
                    s.location,
                );
            }
            None => {
                if let (Some(path), false) =
                    (&self.k.config_path, self.k.config_state == State::Loaded)
                {
                    push(
                        self.audit,
                        check,
                        rule,
                        Status::Manual,
                        "kubelet",
                        format!(
                            "cannot evaluate {}: config file {path} could not be read",
                            field.join(".")
                        ),
                        None,
                        self.k.anchor.clone(),
                    );
                    return;
                }
                let (ok, message) = judge(default);
                push(
                    self.audit,
                    check,
                    rule,
                    if ok { Status::Pass } else { Status::Fail },
                    "kubelet",
                    if default.is_empty() {
                        format!("{message} (not set)")
                    } else {
                        format!("{message} (not set; the default is {default})")
                    },
                    None,
                    self.k.anchor.clone(),
                );
            }
        }
    }
}

/// Every kubelet check.
pub fn check(k: &Kubelet, quirks: Quirks, audit: &mut NodeAudit) {
    if let State::Absent(why) = &k.state {
        for (id, rule) in [
            ("4.2.1", &K_ANON),
            ("4.2.2", &K_AUTHZ),
            ("4.2.3", &K_CLIENT_CA),
            ("4.2.4", &K_READONLY),
            ("4.2.5", &K_STREAMING),
            ("4.2.6", &K_IPTABLES),
            ("4.2.7", &K_HOSTNAME),
            ("4.2.8", &K_EVENT_QPS),
            ("4.2.9", &K_TLS),
            ("4.2.10", &K_ROTATE),
            ("4.2.11", &K_ROTATE_SERVER),
            ("4.2.12", &K_CIPHERS),
            ("4.2.13", &K_PIDS),
            ("kubelet.protectKernelDefaults", &K_KERNEL_DEFAULTS),
        ] {
            push(
                audit,
                id,
                rule,
                Status::Info,
                "kubelet",
                format!("not applicable: {why}"),
                None,
                k.anchor.clone(),
            );
        }
        return;
    }
    let file = k.uses_config();
    let mut ask = Ask { k, audit };
    ask.setting(
        "4.2.1",
        &K_ANON,
        "anonymous-auth",
        &["authentication", "anonymous", "enabled"],
        if file { "false" } else { "true" },
        |v| match parse_go_bool(v) {
            Some(false) => (true, "anonymous requests are rejected".into()),
            Some(true) => (false, "anonymous requests are accepted".into()),
            None => (false, format!("`{v}` is not a boolean")),
        },
    );
    ask.setting(
        "4.2.2",
        &K_AUTHZ,
        "authorization-mode",
        &["authorization", "mode"],
        if file { "Webhook" } else { "AlwaysAllow" },
        |v| (v != "AlwaysAllow", format!("authorization mode is {v}")),
    );
    ask.setting(
        "4.2.3",
        &K_CLIENT_CA,
        "client-ca-file",
        &["authentication", "x509", "clientCAFile"],
        "",
        |v| {
            if v.trim().is_empty() {
                (false, "no client CA file".into())
            } else {
                (true, format!("client CA file {v}"))
            }
        },
    );
    ask.setting(
        "4.2.4",
        &K_READONLY,
        "read-only-port",
        &["readOnlyPort"],
        if file { "0" } else { "10255" },
        |v| match v.trim().parse::<i64>() {
            Ok(0) => (true, "the read-only port is off".into()),
            Ok(p) => (false, format!("the read-only port {p} is open")),
            Err(_) => (false, format!("read-only port `{v}` is not a number")),
        },
    );
    ask.setting(
        "4.2.5",
        &K_STREAMING,
        "streaming-connection-idle-timeout",
        &["streamingConnectionIdleTimeout"],
        "4h0m0s",
        |v| {
            if is_zero_duration(v) {
                (false, "streaming connections never time out".into())
            } else {
                (true, format!("idle streaming connections close after {v}"))
            }
        },
    );
    ask.setting(
        "4.2.6",
        &K_IPTABLES,
        "make-iptables-util-chains",
        &["makeIPTablesUtilChains"],
        "true",
        |v| match parse_go_bool(v) {
            Some(true) => (true, "the kubelet manages its iptables chains".into()),
            _ => (false, format!("makeIPTablesUtilChains is `{v}`")),
        },
    );
    match (
        k.flags.last("hostname-override"),
        quirks.hostname_override_builtin,
    ) {
        (Some(u), true) => push(
            ask.audit,
            "4.2.7",
            &K_HOSTNAME,
            Status::Info,
            "kubelet",
            "k3s always passes --hostname-override with the node name",
            Some(u.display()),
            u.origin.location_or(&k.anchor),
        ),
        (Some(u), false) => push(
            ask.audit,
            "4.2.7",
            &K_HOSTNAME,
            Status::Fail,
            "kubelet",
            format!("--hostname-override is set to {}", u.value),
            Some(u.display()),
            u.origin.location_or(&k.anchor),
        ),
        (None, _) => push(
            ask.audit,
            "4.2.7",
            &K_HOSTNAME,
            Status::Pass,
            "kubelet",
            "--hostname-override is not set",
            None,
            k.anchor.clone(),
        ),
    }
    ask.setting(
        "4.2.8",
        &K_EVENT_QPS,
        "event-qps",
        &["eventRecordQPS"],
        "50",
        |v| match v.trim().parse::<i64>() {
            Ok(0) => (
                true,
                "eventRecordQPS is 0: events are not rate limited".into(),
            ),
            Ok(n) if n > 0 => (true, format!("eventRecordQPS is {n}")),
            _ => (
                false,
                format!("eventRecordQPS `{v}` is not a non-negative integer"),
            ),
        },
    );
    tls(&mut ask);
    if quirks.renews_client_cert
        && k.setting("rotate-certificates", &["rotateCertificates"])
            .is_none()
    {
        push(
            ask.audit,
            "4.2.10",
            &K_ROTATE,
            Status::Info,
            "kubelet",
            "k3s renews the kubelet client certificate itself",
            None,
            k.anchor.clone(),
        );
    } else {
        ask.setting(
            "4.2.10",
            &K_ROTATE,
            "rotate-certificates",
            &["rotateCertificates"],
            "false",
            |v| match parse_go_bool(v) {
                Some(true) => (true, "client certificate rotation is on".into()),
                _ => (false, format!("rotateCertificates is `{v}`")),
            },
        );
    }
    let gate = k.feature_gate("RotateKubeletServerCertificate");
    ask.decide(
        "4.2.11",
        &K_ROTATE_SERVER,
        gate,
        "true",
        &["featureGates", "RotateKubeletServerCertificate"],
        |v| match parse_go_bool(v) {
            Some(false) => (false, "RotateKubeletServerCertificate is disabled".into()),
            Some(true) => (true, "RotateKubeletServerCertificate is enabled".into()),
            None => (
                false,
                format!("RotateKubeletServerCertificate `{v}` is not a boolean"),
            ),
        },
    );
    ask.setting(
        "4.2.12",
        &K_CIPHERS,
        "tls-cipher-suites",
        &["tlsCipherSuites"],
        "",
        |v| {
            let items: Vec<String> = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            ciphers((!items.is_empty()).then_some(items), KUBELET_CIPHERS)
        },
    );
    ask.setting(
        "4.2.13",
        &K_PIDS,
        "pod-max-pids",
        &["podPidsLimit"],
        "-1",
        |v| match v.trim().parse::<i64>() {
            Ok(n) if n > 0 => (true, format!("pods are limited to {n} PIDs")),
            _ => (false, format!("podPidsLimit is {v}: no limit")),
        },
    );
    ask.setting(
        "kubelet.protectKernelDefaults",
        &K_KERNEL_DEFAULTS,
        "protect-kernel-defaults",
        &["protectKernelDefaults"],
        "false",
        |v| match parse_go_bool(v) {
            Some(true) => (true, "kernel defaults are protected".into()),
            _ => (false, format!("protectKernelDefaults is `{v}`")),
        },
    );
}

/// 4.2.9: a serving certificate from files, or bootstrapped and rotated by the cluster
/// (`serverTLSBootstrap`), either is a real certificate.
fn tls(ask: &mut Ask<'_>) {
    let k = ask.k;
    let cert = k.setting("tls-cert-file", &["tlsCertFile"]);
    let key = k.setting("tls-private-key-file", &["tlsPrivateKeyFile"]);
    let bootstrap = k.setting("rotate-server-certificates", &["serverTLSBootstrap"]);
    let (status, message, shown, location) = match (&cert, &key, &bootstrap) {
        (Some(c), Some(_), _) => (Status::Pass, format!("serving certificate {}", c.value), Some(c.shown.clone()), c.location.clone()),
        (_, _, Some(b)) if parse_go_bool(&b.value) == Some(true) => (
            Status::Pass,
            "the serving certificate is bootstrapped from the cluster (serverTLSBootstrap)".into(),
            Some(b.shown.clone()),
            b.location.clone(),
        ),
        _ => (
            Status::Fail,
            "no tlsCertFile/tlsPrivateKeyFile and no serverTLSBootstrap: the kubelet serves a self-signed certificate".into(),
            None,
            k.anchor.clone(),
        ),
    };
    push(
        ask.audit, "4.2.9", &K_TLS, status, "kubelet", message, shown, location,
    );
}

/// A Go duration that is zero (`0`, `0s`, `0h0m0s`).
fn is_zero_duration(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty() && !v.chars().any(|c| c.is_ascii_digit() && c != '0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_durations() {
        assert!(is_zero_duration("0"));
        assert!(is_zero_duration("0s"));
        assert!(is_zero_duration("0h0m0s"));
        assert!(!is_zero_duration("5m"));
        assert!(!is_zero_duration("10s"));
        assert!(!is_zero_duration(""));
    }
}
