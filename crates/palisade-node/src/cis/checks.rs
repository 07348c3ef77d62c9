//! Building blocks of flag checks: each turns a component's effective flag into a result,
//! saying which value decided and where, and falls back to the component's documented
//! default when the flag is not set (an unset flag is judged by what the binary does, not by
//! its absence).

use palisade_core::{Location, Rule};

use super::component::{Component, State};
use super::flags::{parse_go_bool, FlagUse};
use crate::result::{CheckResult, NodeAudit, Status};

/// Pushes a result.
#[allow(clippy::too_many_arguments)]
pub fn push(
    audit: &mut NodeAudit,
    check: &'static str,
    rule: &'static Rule,
    status: Status,
    component: &'static str,
    message: impl Into<String>,
    evidence: Option<String>,
    location: Location,
) {
    audit.results.push(CheckResult {
        check,
        rule,
        status,
        component,
        message: message.into(),
        evidence,
        location,
    });
}

/// When the component's flags cannot be judged, the result saying why; `None` when they can.
pub fn unusable(comp: &Component) -> Option<(Status, String)> {
    match &comp.state {
        State::Loaded => None,
        State::Missing => Some((
            Status::Manual,
            format!("cannot evaluate: {} not found", comp.file),
        )),
        State::Broken(why) => Some((
            Status::Manual,
            format!("cannot evaluate: {}: {why}", comp.file),
        )),
        State::Absent(why) => Some((Status::Info, format!("not applicable: {why}"))),
    }
}

/// A check over one component: evaluates `judge` when the flags are usable.
pub fn flag_check(
    audit: &mut NodeAudit,
    check: &'static str,
    rule: &'static Rule,
    comp: &Component,
    judge: impl FnOnce(&Component) -> Verdict,
) {
    if let Some((status, message)) = unusable(comp) {
        push(
            audit,
            check,
            rule,
            status,
            comp.name,
            message,
            None,
            comp.anchor.clone(),
        );
        return;
    }
    let v = judge(comp);
    let location = v.at.as_ref().map_or_else(
        || comp.anchor.clone(),
        |u| u.origin.location_or(&comp.anchor),
    );
    let evidence = v.at.as_ref().map(|u| {
        let builtin = match &u.origin {
            super::flags::Origin::Builtin(note) => format!(" ({note})"),
            super::flags::Origin::File(_) => String::new(),
        };
        format!("{}{builtin}", u.display())
    });
    push(
        audit,
        check,
        rule,
        v.status,
        comp.name,
        v.message,
        evidence.or(v.evidence),
        location,
    );
}

/// What a judge decided.
pub struct Verdict {
    /// Outcome.
    pub status: Status,
    /// Why.
    pub message: String,
    /// The flag use that decided, if any.
    pub at: Option<FlagUse>,
    /// Evidence when no flag use decided.
    pub evidence: Option<String>,
}

impl Verdict {
    fn new(ok: bool, message: String, at: Option<&FlagUse>) -> Verdict {
        Verdict {
            status: if ok { Status::Pass } else { Status::Fail },
            message,
            at: at.cloned(),
            evidence: None,
        }
    }
}

/// Every listed flag must be set to a non-empty value.
pub fn all_set(comp: &Component, names: &[&str]) -> Verdict {
    let missing: Vec<String> = names
        .iter()
        .filter(|n| comp.flags.last(n).is_none_or(|u| u.value.trim().is_empty()))
        .map(|n| format!("--{n}"))
        .collect();
    let shown = names.iter().find_map(|n| comp.flags.last(n));
    if missing.is_empty() {
        Verdict::new(true, format!("{} set", list(names)), shown)
    } else {
        Verdict::new(false, format!("{} not set", missing.join(" and ")), None)
    }
}

/// The flag must not be set.
pub fn not_set(comp: &Component, name: &str) -> Verdict {
    match comp.flags.last(name) {
        Some(u) => Verdict::new(false, format!("--{name} is set"), Some(u)),
        None => Verdict::new(true, format!("--{name} is not set"), None),
    }
}

/// A boolean flag must be `want`; `default` is the binary's default.
pub fn bool_is(comp: &Component, name: &str, want: bool, default: bool) -> Verdict {
    match comp.flags.last(name) {
        Some(u) => match parse_go_bool(&u.value) {
            Some(v) => Verdict::new(v == want, format!("--{name} is {v}"), Some(u)),
            None => Verdict::new(
                false,
                format!(
                    "--{name}=`{}` is not a boolean; the component refuses to start",
                    u.value
                ),
                Some(u),
            ),
        },
        None => Verdict::new(
            default == want,
            format!("--{name} is not set; it defaults to {default}"),
            None,
        ),
    }
}

/// A list flag's accumulated items must (or must not) contain `item`; `default` is used
/// when the flag is not set.
pub fn list_has(comp: &Component, name: &str, item: &str, want: bool, default: &[&str]) -> Verdict {
    let (items, at) = match comp.flags.list(name) {
        Some((items, u)) => (items, Some(u)),
        None => (default.iter().map(|s| s.to_string()).collect(), None),
    };
    let has = items.iter().any(|i| i == item);
    let shown = if items.is_empty() {
        "empty".to_string()
    } else {
        items.join(",")
    };
    let whence = if at.is_some() {
        format!("--{name} is {shown}")
    } else {
        format!("--{name} is not set (default: {shown})")
    };
    let message = match (want, has) {
        (true, true) => format!("{whence}: includes {item}"),
        (true, false) => format!("{whence}: {item} is missing"),
        (false, true) => format!("{whence}: includes {item}"),
        (false, false) => format!("{whence}: does not include {item}"),
    };
    Verdict::new(has == want, message, at)
}

/// An integer flag must be at least `min` (`default` when unset).
pub fn int_at_least(comp: &Component, name: &str, min: i64, default: i64) -> Verdict {
    match comp.flags.last(name) {
        Some(u) => match u.value.trim().parse::<i64>() {
            Ok(v) => Verdict::new(
                v >= min,
                format!("--{name} is {v} (want {min} or more)"),
                Some(u),
            ),
            Err(_) => Verdict::new(
                false,
                format!("--{name}=`{}` is not an integer", u.value),
                Some(u),
            ),
        },
        None => Verdict::new(
            default >= min,
            format!("--{name} is not set; it defaults to {default} (want {min} or more)"),
            None,
        ),
    }
}

/// A bind address must be loopback (`127.0.0.1` as the benchmark asks; `::1` and `localhost`
/// are as local). Unset means `default`.
pub fn bind_local(comp: &Component, default: &str) -> Verdict {
    let (value, at) = match comp.flags.last("bind-address") {
        Some(u) => (u.value.clone(), Some(u)),
        None => (default.to_string(), None),
    };
    let ok = matches!(value.trim(), "127.0.0.1" | "::1" | "localhost");
    let whence = if at.is_some() {
        format!("--bind-address is {value}")
    } else {
        format!("--bind-address is not set; it defaults to {value}")
    };
    Verdict::new(ok, whence, at)
}

/// The TLS cipher suites the benchmark accepts (1.2.29 for the API server).
pub const STRONG_CIPHERS: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

/// Judges a cipher list: every suite must be in `allowed`; an unset list fails (the Go
/// defaults then apply, which the benchmark does not accept as a restriction).
pub fn ciphers(items: Option<Vec<String>>, allowed: &[&str]) -> (bool, String) {
    match items {
        None => (
            false,
            "cipher suites are not restricted; Go's default list applies".into(),
        ),
        Some(items) => {
            let weak: Vec<&String> = items
                .iter()
                .filter(|c| !allowed.contains(&c.as_str()))
                .collect();
            if weak.is_empty() && !items.is_empty() {
                (true, format!("{} strong cipher suites", items.len()))
            } else if items.is_empty() {
                (false, "empty cipher suite list".into())
            } else {
                (
                    false,
                    format!(
                        "weak cipher suites: {}",
                        weak.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                )
            }
        }
    }
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("--{n}"))
        .collect::<Vec<_>>()
        .join(" and ")
}
