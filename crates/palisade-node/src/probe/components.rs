//! What answers on a port, and what it lets an anonymous client do: etcd (see [`super::etcd`]),
//! the API server, the kubelet, the dashboard, or something else. Every request here is a GET.

use palisade_core::Rule;
use serde_json::Value;

use super::endpoint::{Contact, Endpoint, Transport};
use super::http::Response;
use super::rules;
use super::tls::TlsInfo;
use super::{Exposure, PortRoles, PortState, Service};

/// What one endpoint came to.
#[derive(Debug, Default)]
pub(crate) struct Examined {
    pub state: Option<PortState>,
    pub service: Option<Service>,
    pub tls: Option<TlsInfo>,
    pub protected: bool,
    pub summary: String,
    pub exposures: Vec<Exposure>,
}

impl Examined {
    pub(crate) fn flag(&mut self, rule: &'static Rule, message: String, evidence: Option<String>) {
        self.exposures.push(Exposure {
            rule,
            message,
            evidence,
        });
    }
}

/// Probes one endpoint. `nodeport` marks ports of the NodePort sample.
pub(crate) fn examine(ep: &Endpoint, nodeport: bool, roles: &PortRoles) -> Examined {
    let port = ep.addr.port();
    let mut out = Examined::default();
    let (transport, first) = match ep.contact() {
        Contact::Closed => {
            out.state = Some(PortState::Closed);
            out.summary = "closed (connection refused)".into();
            return out;
        }
        Contact::Filtered => {
            out.state = Some(PortState::Filtered);
            out.summary = "filtered (no answer to the connection attempt)".into();
            return out;
        }
        Contact::OutOfTime => {
            out.state = Some(PortState::Skipped);
            out.summary = "skipped: the time budget ran out before connecting".into();
            return out;
        }
        Contact::Failed(e) => {
            out.summary = format!("error: {e}");
            out.state = Some(PortState::Error(e));
            return out;
        }
        Contact::Silent {
            tls,
            client_cert_required,
            legacy_tls,
            why,
        } => {
            out.state = Some(PortState::Open);
            out.tls = tls;
            if client_cert_required {
                out.protected = true;
                out.service = Some(Service::Tls);
                out.summary = "protected: TLS requires a client certificate".into();
            } else if legacy_tls {
                out.service = Some(Service::Tls);
                out.summary = "TLS 1.1 or older only".into();
                out.flag(
                    &rules::TLS_LEGACY,
                    "refuses TLS 1.2 and 1.3 (protocol_version alert)".into(),
                    Some(why),
                );
            } else {
                out.service = Some(Service::Unknown);
                out.summary = format!("open, protocol not recognised ({why})");
            }
            if nodeport {
                nodeport_exposure(&mut out, "a non-HTTP service");
            }
            return out;
        }
        Contact::Speaks {
            transport,
            tls,
            first,
        } => {
            out.state = Some(PortState::Open);
            out.tls = tls;
            (transport, first)
        }
    };
    if let Some(info) = &out.tls {
        tls_exposures(info, &mut out.exposures);
    }
    let first = match first {
        Ok(r) => r,
        Err(e) => {
            let client_cert = out.tls.as_ref().is_some_and(|t| t.client_cert_requested);
            if client_cert {
                // TLS 1.3: the client's handshake ends before the server rejects the
                // missing certificate, so the refusal arrives as the first read's alert.
                out.protected = true;
                out.service = Some(Service::Tls);
                out.summary = format!("protected: TLS requires a client certificate ({e})");
            } else {
                out.service = Some(Service::Unknown);
                out.summary = format!("open, {} but no HTTP answer ({e})", transport.name());
                if nodeport {
                    nodeport_exposure(&mut out, "a service that gives no HTTP answer");
                }
            }
            return out;
        }
    };
    let json = first.json();
    if let Some(version) = json.as_ref().and_then(|j| j.get("etcdserver")) {
        super::etcd::examine(
            ep,
            transport,
            version.as_str().unwrap_or("unknown"),
            &mut out,
        );
    } else if json.as_ref().is_some_and(is_apiserver_answer) {
        apiserver(ep, transport, &first, json.as_ref(), &mut out);
    } else if roles.kubelet.contains(&port) || roles.kubelet_read_only.contains(&port) {
        let read_only = roles.kubelet_read_only.contains(&port);
        kubelet(ep, transport, read_only, &mut out);
    } else if (roles.dashboard.contains(&port) || nodeport) && dashboard(ep, transport, &mut out) {
        // dashboard() filled `out`.
    } else {
        out.service = Some(Service::Http {
            status: first.status,
            server: first.header("server").map(str::to_string),
        });
        out.summary = format!(
            "HTTP over {}: /version answered {}",
            transport.name(),
            answer(&first)
        );
    }
    if nodeport
        && out
            .exposures
            .iter()
            .all(|e| e.rule.id != rules::DASHBOARD_EXPOSED.id)
    {
        let what = out
            .service
            .as_ref()
            .map_or_else(|| "a service".to_string(), ToString::to_string);
        nodeport_exposure(&mut out, &what);
    }
    out
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Tls => "TLS",
            Transport::Plain => "plain HTTP",
        }
    }
}

fn nodeport_exposure(out: &mut Examined, what: &str) {
    out.flag(
        &rules::NODEPORT_OPEN,
        format!("{what} answers on a NodePort"),
        None,
    );
}

/// Certificate findings for any TLS port.
fn tls_exposures(info: &TlsInfo, exposures: &mut Vec<Exposure>) {
    let Some(cert) = &info.certificate else {
        return;
    };
    let subject = cert.subject_cn.as_deref().unwrap_or("(no common name)");
    let mut push = |rule: &'static Rule, message: String| {
        exposures.push(Exposure {
            rule,
            message,
            evidence: Some(format!("subject CN={subject}")),
        });
    };
    if info.self_signed {
        let message = match cert.issuer_cn.as_deref() {
            Some(issuer) if !cert.self_issued => format!(
                "the certificate for {subject} is issued by {issuer}, a self-signed root the \
                 server sends itself"
            ),
            _ => format!("the certificate for {subject} is self-signed"),
        };
        push(&rules::TLS_SELF_SIGNED, message);
    }
    if info.expired {
        push(&rules::TLS_EXPIRED, "the certificate has expired".into());
    } else if info.not_yet_valid {
        push(
            &rules::TLS_EXPIRED,
            "the certificate is not yet valid".into(),
        );
    }
    if let Some(host) = &info.name_mismatch {
        push(
            &rules::TLS_NAME_MISMATCH,
            format!("the certificate is not valid for {host}"),
        );
    }
}

/// `/version` of an API server (`gitVersion`) or its `Status` error object.
fn is_apiserver_answer(json: &Value) -> bool {
    json.get("gitVersion").is_some() || json.get("kind").and_then(Value::as_str) == Some("Status")
}

/// API server: version, then anonymous discovery and a namespace list.
fn apiserver(
    ep: &Endpoint,
    transport: Transport,
    first: &Response,
    json: Option<&Value>,
    out: &mut Examined,
) {
    let version = json
        .and_then(|j| j.get("gitVersion"))
        .and_then(Value::as_str)
        .map(str::to_string);
    out.service = Some(Service::ApiServer {
        version: version.clone(),
    });
    if let (200, Some(v)) = (first.status, &version) {
        out.flag(
            &rules::APISERVER_VERSION,
            format!("the API server tells anonymous clients its version ({v})"),
            None,
        );
    }
    let api = ep.send(transport, "GET", "/api", None);
    let apis = ep.send(transport, "GET", "/apis", None);
    let status = |r: &Result<Response, String>| r.as_ref().map_or(0, |r| r.status);
    let (api_status, apis_status) = (status(&api), status(&apis));
    if api_status != 200 && apis_status != 200 {
        out.protected = api_status == 401 || api_status == 403;
        out.summary = match api_status {
            401 => "API server: anonymous requests rejected (401); protected".to_string(),
            403 => "API server: anonymous requests authenticated but denied (403); protected"
                .to_string(),
            _ => format!("API server: /api answered {api_status}, /apis {apis_status}"),
        };
        return;
    }
    let open: Vec<&str> = [("/api", api_status), ("/apis", apis_status)]
        .into_iter()
        .filter(|(_, s)| *s == 200)
        .map(|(p, _)| p)
        .collect();
    if transport == Transport::Plain {
        out.summary = "API server insecure port: no authentication, no authorization".into();
        out.flag(
            &rules::APISERVER_INSECURE,
            format!(
                "the API server answers {} over plain HTTP",
                open.join(" and ")
            ),
            None,
        );
        return;
    }
    out.flag(
        &rules::APISERVER_ANONYMOUS,
        format!(
            "the API server serves {} to anonymous clients",
            open.join(" and ")
        ),
        None,
    );
    out.summary = "API server: anonymous discovery allowed".into();
    if let Ok(r) = ep.send(transport, "GET", "/api/v1/namespaces?limit=500", None) {
        if r.status == 200 {
            let names = item_names(&r);
            out.summary = "API server: anonymous clients can list namespaces".into();
            out.flag(
                &rules::APISERVER_ANONYMOUS_LIST,
                format!(
                    "anonymous clients can list namespaces ({} listed)",
                    names.len()
                ),
                Some(short(&names.join(", "))),
            );
        }
    }
}

/// Kubelet: anonymous `/pods` (and `/runningpods` on the authenticated port). The paths are
/// those the kubelet's `Server.InstallDefaultHandlers` (`/pods`, served on both ports) and
/// `Server.InstallDebuggingHandlers` (`/runningpods/`, authenticated port, debugging handlers
/// on by default) register (pkg/kubelet/server/server.go).
fn kubelet(ep: &Endpoint, transport: Transport, read_only: bool, out: &mut Examined) {
    out.service = Some(Service::Kubelet);
    let pods = match ep.send(transport, "GET", "/pods", None) {
        Ok(r) => r,
        Err(e) => {
            out.summary = format!("kubelet port, /pods failed: {e}");
            return;
        }
    };
    match pods.status {
        401 => {
            out.protected = true;
            out.summary = "kubelet: anonymous requests rejected (401); protected".into();
            return;
        }
        403 => {
            out.protected = true;
            out.summary =
                "kubelet: anonymous requests authenticated but denied (403); protected".into();
            return;
        }
        200 if pods.text().contains("PodList") => {}
        s => {
            out.service = Some(Service::Http {
                status: s,
                server: pods.header("server").map(str::to_string),
            });
            out.summary = format!("not a kubelet: /pods answered {s}");
            return;
        }
    }
    let names = item_names(&pods);
    let count = if pods.truncated {
        format!("more than {} bytes of pods", pods.body.len())
    } else {
        format!("{} pods", names.len())
    };
    let evidence = (!names.is_empty()).then(|| short(&names.join(", ")));
    if read_only || transport == Transport::Plain {
        out.summary = format!("kubelet read-only port: /pods lists {count}");
        out.flag(
            &rules::KUBELET_READ_ONLY,
            format!("the kubelet read-only port lists {count} (/pods)"),
            evidence,
        );
        return;
    }
    let mut paths = vec!["/pods"];
    if ep
        .send(transport, "GET", "/runningpods/", None)
        .is_ok_and(|r| r.status == 200)
    {
        paths.push("/runningpods");
    }
    out.summary = format!("kubelet: anonymous clients can list {count}");
    out.flag(
        &rules::KUBELET_ANONYMOUS,
        format!(
            "the kubelet answers {} anonymously ({count})",
            paths.join(" and ")
        ),
        evidence,
    );
}

/// Dashboard: its page, then whether login is skippable (`GET /api/v1/login/skippable`, the
/// route of the dashboard's `AuthHandler.Install`, answering `{"skippable": bool}`). False
/// when it is not a dashboard.
fn dashboard(ep: &Endpoint, transport: Transport, out: &mut Examined) -> bool {
    let Ok(page) = ep.send(transport, "GET", "/", None) else {
        return false;
    };
    let text = page.text();
    if page.status != 200
        || !(text.contains("Kubernetes Dashboard") || text.contains("kubernetes-dashboard"))
    {
        return false;
    }
    out.service = Some(Service::Dashboard);
    out.summary = "Kubernetes Dashboard".into();
    out.flag(
        &rules::DASHBOARD_EXPOSED,
        format!("the Kubernetes Dashboard answers over {}", transport.name()),
        None,
    );
    let skippable = ep
        .send(transport, "GET", "/api/v1/login/skippable", None)
        .ok()
        .and_then(|r| r.json())
        .and_then(|j| j.get("skippable").and_then(Value::as_bool));
    if skippable == Some(true) {
        out.summary = "Kubernetes Dashboard: login can be skipped".into();
        out.flag(
            &rules::DASHBOARD_SKIP_LOGIN,
            "the dashboard lets anyone skip login (/api/v1/login/skippable)".into(),
            None,
        );
    }
    true
}

/// `metadata.name` (with namespace when there is one) of each item of a List.
fn item_names(r: &Response) -> Vec<String> {
    let Some(json) = r.json() else {
        return Vec::new();
    };
    json.get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| {
            let meta = item.get("metadata")?;
            let name = meta.get("name")?.as_str()?;
            Some(match meta.get("namespace").and_then(Value::as_str) {
                Some(ns) => format!("{ns}/{name}"),
                None => name.to_string(),
            })
        })
        .collect()
}

/// The status, and whether the body was cut or stalled.
fn answer(r: &Response) -> String {
    if r.truncated {
        format!("{} (body cut at {} bytes)", r.status, r.body.len())
    } else if r.stalled {
        format!(
            "{} (stalled mid-response after {} body bytes)",
            r.status,
            r.body.len()
        )
    } else {
        r.status.to_string()
    }
}

/// At most 120 characters, control characters replaced, for messages and evidence.
pub(crate) fn short(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(120)
        .collect();
    if text.chars().count() > 120 {
        format!("{cleaned}…")
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_cuts_and_cleans() {
        assert_eq!(short("a\nb"), "a b");
        assert_eq!(short(&"x".repeat(200)).chars().count(), 121);
    }
}
