//! Turning a [`ProbeRun`] into what every output format carries: a [`Finding`] per exposure
//! and a note per endpoint (its definite result), each placed at `probe://HOST:PORT`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use palisade_core::{Finding, LoadNote, Location, ObjectRef};

use super::{EndpointResult, PortState, ProbeRun};

/// `HOST:PORT` (`[v6]:PORT`), with the name when the target was one (`name(127.0.0.1):PORT`
/// would be ambiguous, so a name is shown as `name:PORT` and the address in the message).
fn authority(ep: &EndpointResult) -> String {
    match ep.address {
        IpAddr::V4(v4) => format!("{v4}:{}", ep.port),
        IpAddr::V6(v6) => format!("[{v6}]:{}", ep.port),
    }
}

/// The object a finding on `ep` is about: kind `Endpoint`, named `HOST:PORT`.
pub fn object(ep: &EndpointResult) -> ObjectRef {
    ObjectRef {
        api_version: "palisade.dev/v1".into(),
        kind: "Endpoint".into(),
        namespace: None,
        name: authority(ep),
    }
}

/// `probe://HOST:PORT`, line 1, column 1.
pub fn location(ep: &EndpointResult) -> Location {
    Location {
        path: Arc::from(format!("probe://{}", authority(ep))),
        line: 1,
        col: 1,
    }
}

/// One finding per exposure, sorted by place then rule.
pub fn findings(run: &ProbeRun) -> Vec<Finding> {
    let mut out = Vec::new();
    for ep in &run.endpoints {
        if ep.exposures.is_empty() {
            continue;
        }
        let object = Arc::new(object(ep));
        let location = location(ep);
        for exposure in &ep.exposures {
            let by_name = ep
                .name
                .as_ref()
                .map_or_else(String::new, |n| format!(" (target {n})"));
            out.push(Finding {
                rule_id: palisade_core::RuleId::Borrowed(exposure.rule.id),
                severity: exposure.rule.severity,
                object: Arc::clone(&object),
                location: location.clone(),
                field: None,
                message: format!("{}{by_name}", exposure.message).into(),
                evidence: exposure.evidence.as_deref().map(Box::from),
            });
        }
    }
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out
}

/// One note per endpoint that was not simply closed (its state and conclusion, TLS details
/// included), and one per host listing its closed ports, so every endpoint's result is in
/// the report without thousands of "closed" lines for a /24.
pub fn notes(run: &ProbeRun) -> Vec<LoadNote> {
    let mut closed: BTreeMap<IpAddr, Vec<u16>> = BTreeMap::new();
    let mut out = Vec::new();
    for ep in &run.endpoints {
        if ep.state == PortState::Closed {
            closed.entry(ep.address).or_default().push(ep.port);
            continue;
        }
        let mut message = format!("{}: {}", ep.state, ep.summary);
        if let Some(tls) = &ep.tls {
            message.push_str(&format!("; {}", tls_line(tls)));
        }
        out.push(LoadNote {
            location: location(ep),
            message,
        });
    }
    for (address, ports) in closed {
        let list: Vec<String> = ports.iter().map(u16::to_string).collect();
        let host = match address {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        out.push(LoadNote {
            location: Location {
                path: Arc::from(format!("probe://{host}")),
                line: 1,
                col: 1,
            },
            message: format!("closed: port{} {}", plural_s(ports.len()), list.join(", ")),
        });
    }
    out.sort_by(|a, b| a.location.cmp(&b.location));
    out
}

fn plural_s(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `TLS TLSv1_3, certificate CN=etcd (issuer CN=ca), valid until 2027-01-01, client
/// certificate requested`.
fn tls_line(tls: &super::TlsInfo) -> String {
    let mut line = format!("TLS {}", tls.version);
    if let Some(cert) = &tls.certificate {
        line.push_str(&format!(
            ", certificate CN={} (issuer CN={}), valid until {}",
            cert.subject_cn.as_deref().unwrap_or("-"),
            cert.issuer_cn.as_deref().unwrap_or("-"),
            date(cert.not_after)
        ));
    }
    if tls.client_cert_requested {
        line.push_str(", client certificate requested");
    }
    line
}

/// `YYYY-MM-DD` of Unix seconds (civil-from-days, Howard Hinnant's algorithm).
fn date(secs: i64) -> String {
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(18_628 * 86_400), "2021-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
    }
}
