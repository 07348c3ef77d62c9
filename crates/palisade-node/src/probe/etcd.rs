//! etcd: whether an unauthenticated client can read keys. Every request reads: `GET
//! /version`, the v3 JSON gateway's `Range` (a POST, as the gateway maps every RPC to one) and
//! the v2 `GET /v2/keys`.

use serde_json::Value;

use super::components::{short, Examined};
use super::endpoint::{Endpoint, Transport};
use super::rules;
use super::Service;

/// etcd: version, transport, and whether keys can be read (v3 JSON gateway, then v2).
pub(crate) fn examine(ep: &Endpoint, transport: Transport, version: &str, out: &mut Examined) {
    out.service = Some(Service::Etcd {
        version: version.to_string(),
    });
    out.flag(
        &rules::ETCD_VERSION,
        format!("etcd {version} answers /version without authentication"),
        None,
    );
    if transport == Transport::Plain {
        out.flag(
            &rules::ETCD_PLAINTEXT,
            "etcd serves clients over plain HTTP".into(),
            None,
        );
    }
    // key "\0" with range_end "\0" is the whole keyspace (etcd's `--from-key ""`).
    let count_body = r#"{"key":"AA==","range_end":"AA==","count_only":true}"#;
    // The gateway's prefix moved from /v3alpha (3.2) to /v3beta (3.3) to /v3 (3.4+).
    let mut outcome = String::from("no JSON gateway answered");
    for prefix in ["/v3", "/v3beta", "/v3alpha"] {
        let path = format!("{prefix}/kv/range");
        let reply = ep.send(transport, "POST", &path, Some(count_body));
        match reply {
            Ok(r) if r.status == 404 => continue,
            Ok(r) if r.status == 200 => {
                let Some(count) = r.json().and_then(|j| range_count(&j)) else {
                    outcome = format!("{path} answered 200 without a count");
                    break;
                };
                let sample = sample_keys(ep, transport, &path);
                out.summary =
                    format!("etcd {version}: {count} keys readable without authentication");
                out.flag(
                    &rules::ETCD_READABLE,
                    format!("etcd lists {count} keys to an unauthenticated client ({path})"),
                    (!sample.is_empty()).then(|| sample.join(", ")),
                );
                return;
            }
            Ok(r) => {
                outcome = format!("{path} answered {}: {}", r.status, short(&r.text()));
                if r.status == 401 || r.status == 403 || r.text().contains("\"code\":16") {
                    out.protected = true;
                }
                break;
            }
            Err(e) => {
                outcome = format!("{path}: {e}");
                break;
            }
        }
    }
    // etcd 3.3 and older serve the v2 API unless --enable-v2=false.
    if let Ok(r) = ep.send(transport, "GET", "/v2/keys/?recursive=false", None) {
        if r.status == 200 && r.json().is_some_and(|j| j.get("node").is_some()) {
            out.protected = false;
            out.summary = format!("etcd {version}: v2 keys readable without authentication");
            out.flag(
                &rules::ETCD_READABLE,
                "etcd lists its v2 keyspace to an unauthenticated client (/v2/keys)".into(),
                None,
            );
            return;
        }
    }
    out.summary = if out.protected {
        format!("etcd {version}: protected, key reads refused ({outcome})")
    } else {
        format!("etcd {version}: keys not readable ({outcome})")
    };
}

/// The `count` of a range response (etcd's `RangeResponse.count`, an int64 that the gateway's
/// protobuf JSON writes as a string), a number, or absent when zero (proto3 JSON omits
/// default values).
fn range_count(json: &Value) -> Option<u64> {
    json.get("header")?;
    match json.get("count") {
        None => Some(0),
        Some(Value::String(s)) => s.parse().ok(),
        Some(v) => v.as_u64(),
    }
}

/// Up to three key names (never values), as evidence of what is readable.
fn sample_keys(ep: &Endpoint, transport: Transport, path: &str) -> Vec<String> {
    let body = r#"{"key":"AA==","range_end":"AA==","keys_only":true,"limit":3}"#;
    let Ok(r) = ep.send(transport, "POST", path, Some(body)) else {
        return Vec::new();
    };
    let Some(kvs) = r.json().and_then(|j| j.get("kvs").cloned()) else {
        return Vec::new();
    };
    kvs.as_array()
        .into_iter()
        .flatten()
        .filter_map(|kv| kv.get("key")?.as_str().and_then(base64_decode))
        .map(|k| short(&String::from_utf8_lossy(&k)))
        .collect()
}

/// Standard base64 (etcd's JSON gateway encodes keys so); `None` on anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let trimmed = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in trimmed.bytes() {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_keys() {
        assert_eq!(base64_decode("AA==").unwrap(), vec![0]);
        assert_eq!(
            base64_decode("L3JlZ2lzdHJ5L3BvZHM=").unwrap(),
            b"/registry/pods".to_vec()
        );
        assert!(base64_decode("not base64!").is_none());
    }

    #[test]
    fn range_counts_in_every_encoding() {
        let j = |t: &str| serde_json::from_str::<Value>(t).unwrap();
        assert_eq!(range_count(&j(r#"{"header":{},"count":"7"}"#)), Some(7));
        assert_eq!(range_count(&j(r#"{"header":{},"count":7}"#)), Some(7));
        assert_eq!(range_count(&j(r#"{"header":{}}"#)), Some(0));
        assert_eq!(range_count(&j(r#"{"error":"x"}"#)), None);
    }
}
