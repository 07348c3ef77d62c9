//! Probe targets as the user writes them: `host`, `host:port`, `[v6]:port`, an IPv4 or IPv6
//! literal, a name (resolved), or a CIDR block no larger than a /24 (IPv6: a /120).
//!
//! The loopback guard lives here: unless [`ProbeOptions::allow_remote`] is set, every address
//! a target stands for must be loopback (127.0.0.0/8, ::1), so tests and examples cannot
//! reach another machine by mistake.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

use super::ProbeOptions;

/// Largest block probed: 256 addresses (an IPv4 /24, an IPv6 /120).
pub const MAX_BLOCK_ADDRESSES: u32 = 256;

/// One parsed target: the addresses it stands for and, when the user named one, its port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The target as written.
    pub spec: String,
    /// The host name when the target was a name (sent as TLS SNI and HTTP `Host`).
    pub name: Option<String>,
    /// Addresses to probe, in order, without duplicates.
    pub addresses: Vec<IpAddr>,
    /// The port given with `host:port`; `None` probes the configured port list.
    pub port: Option<u16>,
}

/// Why a target was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetError {
    /// Empty, or not a host, address, `host:port` or CIDR.
    Syntax {
        /// The target as written.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// A CIDR block larger than a /24 (IPv6: /120).
    TooLarge {
        /// The target as written.
        spec: String,
    },
    /// The name did not resolve.
    Resolve {
        /// The target as written.
        spec: String,
        /// The resolver's message.
        reason: String,
    },
    /// An address outside loopback without `allow_remote`.
    Remote {
        /// The target as written.
        spec: String,
        /// The first non-loopback address it stands for.
        address: IpAddr,
    },
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::Syntax { spec, reason } => write!(f, "target `{spec}`: {reason}"),
            TargetError::TooLarge { spec } => write!(
                f,
                "target `{spec}`: blocks larger than a /24 (IPv6: /120) are not probed; split it"
            ),
            TargetError::Resolve { spec, reason } => {
                write!(f, "target `{spec}`: cannot resolve: {reason}")
            }
            TargetError::Remote { spec, address } => write!(
                f,
                "target `{spec}`: {address} is not a loopback address; pass --allow-remote to \
                 probe hosts you are authorised to test"
            ),
        }
    }
}

impl std::error::Error for TargetError {}

/// Parses one target, resolving names, and applies the loopback guard.
///
/// # Errors
///
/// A [`TargetError`] naming the target when it cannot be parsed or resolved, is a block
/// larger than a /24, or leaves loopback without [`ProbeOptions::allow_remote`].
pub fn parse_target(spec: &str, options: &ProbeOptions) -> Result<Target, TargetError> {
    let syntax = |reason: &str| TargetError::Syntax {
        spec: spec.to_string(),
        reason: reason.to_string(),
    };
    let text = spec.trim();
    if text.is_empty() {
        return Err(syntax("empty target"));
    }
    let target = if let Some((base, prefix)) = text.split_once('/') {
        let prefix: u32 = prefix
            .parse()
            .map_err(|_| syntax("the prefix length after `/` is not a number"))?;
        let base: IpAddr = base
            .parse()
            .map_err(|_| syntax("a CIDR block needs an IP address before `/`"))?;
        Target {
            spec: spec.to_string(),
            name: None,
            addresses: block(spec, base, prefix)?,
            port: None,
        }
    } else {
        let (host, port) = split_host_port(text).map_err(|r| syntax(&r))?;
        match host.parse::<IpAddr>() {
            Ok(ip) => Target {
                spec: spec.to_string(),
                name: None,
                addresses: vec![ip],
                port,
            },
            Err(_) => {
                if !valid_name(host) {
                    return Err(syntax("not an IP address, host name, host:port or CIDR"));
                }
                Target {
                    spec: spec.to_string(),
                    name: Some(host.to_string()),
                    addresses: resolve(spec, host)?,
                    port,
                }
            }
        }
    };
    if !options.allow_remote {
        if let Some(&address) = target.addresses.iter().find(|a| !a.is_loopback()) {
            return Err(TargetError::Remote {
                spec: spec.to_string(),
                address,
            });
        }
    }
    Ok(target)
}

/// `host`, `host:port`, `v6literal`, `[v6literal]` or `[v6literal]:port`.
fn split_host_port(text: &str) -> Result<(&str, Option<u16>), String> {
    let port = |p: &str| -> Result<Option<u16>, String> {
        match p.parse::<u16>() {
            Ok(0) | Err(_) => Err(format!("`{p}` is not a port (1-65535)")),
            Ok(n) => Ok(Some(n)),
        }
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "`[` without a closing `]`".to_string())?;
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(p) => Ok((host, port(p)?)),
                None => Err("expected `:PORT` after `]`".to_string()),
            },
        };
    }
    // A bare IPv6 literal has several colons and no port.
    if text.matches(':').count() > 1 {
        return Ok((text, None));
    }
    match text.split_once(':') {
        Some((host, p)) => Ok((host, port(p)?)),
        None => Ok((text, None)),
    }
}

/// RFC 1123 host names: labels of letters, digits and hyphens (underscores tolerated, as
/// resolvers do), at most 253 characters.
fn valid_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn resolve(spec: &str, host: &str) -> Result<Vec<IpAddr>, TargetError> {
    let resolved = (host, 0u16)
        .to_socket_addrs()
        .map_err(|e| TargetError::Resolve {
            spec: spec.to_string(),
            reason: e.to_string(),
        })?;
    let mut addresses: Vec<IpAddr> = Vec::new();
    for addr in resolved {
        if !addresses.contains(&addr.ip()) {
            addresses.push(addr.ip());
        }
    }
    if addresses.is_empty() {
        return Err(TargetError::Resolve {
            spec: spec.to_string(),
            reason: "no addresses".to_string(),
        });
    }
    Ok(addresses)
}

/// Every address of the block (network and broadcast included, as scanners do: on loopback
/// and point-to-point links they are ordinary hosts).
fn block(spec: &str, base: IpAddr, prefix: u32) -> Result<Vec<IpAddr>, TargetError> {
    let bits = match base {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    if prefix > bits {
        return Err(TargetError::Syntax {
            spec: spec.to_string(),
            reason: format!("prefix length {prefix} is longer than {bits}"),
        });
    }
    let host_bits = bits - prefix;
    if host_bits > MAX_BLOCK_ADDRESSES.trailing_zeros() {
        return Err(TargetError::TooLarge {
            spec: spec.to_string(),
        });
    }
    let count = 1u32 << host_bits;
    Ok(match base {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(host_bits).unwrap_or(0);
            let network = u32::from(v4) & mask;
            (0..count)
                .map(|i| IpAddr::V4(Ipv4Addr::from(network | i)))
                .collect()
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
            let network = u128::from(v6) & mask;
            (0..count)
                .map(|i| IpAddr::V6(Ipv6Addr::from(network | u128::from(i))))
                .collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ProbeOptions {
        ProbeOptions::default()
    }

    #[test]
    fn host_port_forms() {
        let t = parse_target("127.0.0.1:2379", &opts()).unwrap();
        assert_eq!(t.addresses, vec![IpAddr::from([127, 0, 0, 1])]);
        assert_eq!(t.port, Some(2379));
        let t = parse_target("[::1]:10250", &opts()).unwrap();
        assert_eq!(t.addresses, vec![IpAddr::V6(Ipv6Addr::LOCALHOST)]);
        assert_eq!(t.port, Some(10250));
        let t = parse_target("::1", &opts()).unwrap();
        assert_eq!(t.port, None);
        let t = parse_target("127.9.9.9", &opts()).unwrap();
        assert_eq!(t.port, None);
    }

    #[test]
    fn names_resolve_and_keep_the_name() {
        let t = parse_target("localhost:8080", &opts()).unwrap();
        assert_eq!(t.name.as_deref(), Some("localhost"));
        assert!(t.addresses.iter().all(IpAddr::is_loopback));
        assert!(!t.addresses.is_empty());
    }

    #[test]
    fn blocks_up_to_a_slash_24() {
        let t = parse_target("127.1.2.77/24", &opts()).unwrap();
        assert_eq!(t.addresses.len(), 256);
        assert_eq!(t.addresses[0], IpAddr::from([127, 1, 2, 0]));
        assert_eq!(t.addresses[255], IpAddr::from([127, 1, 2, 255]));
        let t = parse_target("127.0.0.1/32", &opts()).unwrap();
        assert_eq!(t.addresses.len(), 1);
        assert!(matches!(
            parse_target("127.0.0.0/23", &opts()),
            Err(TargetError::TooLarge { .. })
        ));
        assert!(matches!(
            parse_target("::1/119", &opts()),
            Err(TargetError::TooLarge { .. })
        ));
        // `::/127` is `::` and `::1`; `::` is not loopback.
        let remote = ProbeOptions {
            allow_remote: true,
            ..ProbeOptions::default()
        };
        assert_eq!(parse_target("::/127", &remote).unwrap().addresses.len(), 2);
    }

    #[test]
    fn bad_syntax_is_an_error_naming_the_target() {
        for bad in [
            "",
            "127.0.0.1:0",
            "127.0.0.1:99999",
            "[::1",
            "[::1]x",
            "127.0.0.1/abc",
            "host/24",
            "a..b",
            "127.0.0.1/33",
        ] {
            let err = parse_target(bad, &opts()).unwrap_err();
            assert!(matches!(err, TargetError::Syntax { .. }), "{bad}: {err}");
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        }
    }

    #[test]
    fn the_loopback_guard_refuses_other_addresses() {
        // Parsing only: nothing is sent to these documentation addresses.
        for remote in [
            "192.0.2.10",
            "192.0.2.0/28",
            "[2001:db8::1]:443",
            "10.0.0.1:2379",
        ] {
            let err = parse_target(remote, &opts()).unwrap_err();
            assert!(matches!(err, TargetError::Remote { .. }), "{remote}: {err}");
            assert!(err.to_string().contains("--allow-remote"));
        }
        let allowed = ProbeOptions {
            allow_remote: true,
            ..ProbeOptions::default()
        };
        assert_eq!(
            parse_target("192.0.2.0/28", &allowed)
                .unwrap()
                .addresses
                .len(),
            16
        );
    }
}
