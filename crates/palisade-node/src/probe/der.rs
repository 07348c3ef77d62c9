//! Just enough X.509 (RFC 5280) DER reading for the TLS findings: issuer and subject (raw,
//! and their common names), the validity period, and the subject alternative names. Any
//! malformed input gives `None`; nothing here can panic on hostile bytes.

use std::net::IpAddr;

/// What the probe reports about a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    /// Subject common name, if any.
    pub subject_cn: Option<String>,
    /// Issuer common name, if any.
    pub issuer_cn: Option<String>,
    /// The issuer and subject names are byte-identical (self-issued; for a leaf, self-signed).
    pub self_issued: bool,
    /// DER of the issuer name.
    pub issuer: Vec<u8>,
    /// DER of the subject name.
    pub subject: Vec<u8>,
    /// `notBefore`, seconds since the Unix epoch.
    pub not_before: i64,
    /// `notAfter`, seconds since the Unix epoch.
    pub not_after: i64,
    /// DNS names of the subjectAltName extension.
    pub dns_names: Vec<String>,
    /// IP addresses of the subjectAltName extension.
    pub ip_addresses: Vec<IpAddr>,
}

impl CertSummary {
    /// Whether the certificate is valid for `host` (a DNS name or an IP literal), as Go's
    /// `crypto/x509` `Certificate.VerifyHostname` decides it (the TLS stack of every
    /// Kubernetes component): IP addresses match only IP SANs; names match DNS SANs, with a
    /// `*.` wildcard standing for exactly one left-most label; the common name is ignored
    /// (Go stopped falling back to it in 1.15).
    pub fn matches_host(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            return self.ip_addresses.contains(&ip);
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.dns_names.iter().any(|pattern| {
            let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
            match pattern.strip_prefix("*.") {
                Some(suffix) => host
                    .split_once('.')
                    .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
                None => pattern == host,
            }
        })
    }
}

/// One DER element: its tag and contents, and the bytes after it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The contents of the next element if it has `tag`.
fn expect_tag(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, body, rest) = element(input)?;
    (t == tag).then_some((body, rest))
}

const SEQUENCE: u8 = 0x30;
const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];

/// Parses a DER certificate.
pub fn parse_certificate(der: &[u8]) -> Option<CertSummary> {
    let (cert, _) = expect_tag(der, SEQUENCE)?;
    let (tbs, _) = expect_tag(cert, SEQUENCE)?;
    let mut rest = tbs;
    // [0] EXPLICIT version, optional.
    if let Some((0xa0, _, after)) = element(rest) {
        rest = after;
    }
    let (_serial, after) = expect_tag(rest, 0x02)?;
    let (_signature, after) = expect_tag(after, SEQUENCE)?;
    let (issuer, after) = expect_tag(after, SEQUENCE)?;
    let (validity, after) = expect_tag(after, SEQUENCE)?;
    let (subject, after) = expect_tag(after, SEQUENCE)?;
    let (_spki, mut rest) = expect_tag(after, SEQUENCE)?;
    let (not_before, after_validity) = time(validity)?;
    let (not_after, _) = time(after_validity)?;
    let mut summary = CertSummary {
        subject_cn: common_name(subject),
        issuer_cn: common_name(issuer),
        self_issued: issuer == subject,
        issuer: issuer.to_vec(),
        subject: subject.to_vec(),
        not_before,
        not_after,
        dns_names: Vec::new(),
        ip_addresses: Vec::new(),
    };
    while let Some((tag, body, after)) = element(rest) {
        rest = after;
        if tag == 0xa3 {
            read_extensions(body, &mut summary);
        }
    }
    Some(summary)
}

fn common_name(name: &[u8]) -> Option<String> {
    let mut rdns = name;
    while let Some((0x31, set, after)) = element(rdns) {
        rdns = after;
        let mut attrs = set;
        while let Some((SEQUENCE, attr, after)) = element(attrs) {
            attrs = after;
            let (oid, value) = expect_tag(attr, 0x06)?;
            if oid == OID_CN {
                let (_, text, _) = element(value)?;
                return Some(String::from_utf8_lossy(text).into_owned());
            }
        }
    }
    None
}

fn read_extensions(explicit: &[u8], summary: &mut CertSummary) {
    let Some((mut list, _)) = expect_tag(explicit, SEQUENCE) else {
        return;
    };
    while let Some((SEQUENCE, ext, after)) = element(list) {
        list = after;
        let Some((oid, mut rest)) = expect_tag(ext, 0x06) else {
            continue;
        };
        if oid != OID_SAN {
            continue;
        }
        // critical BOOLEAN, optional.
        if let Some((0x01, _, after)) = element(rest) {
            rest = after;
        }
        let Some((value, _)) = expect_tag(rest, 0x04) else {
            continue;
        };
        let Some((mut names, _)) = expect_tag(value, SEQUENCE) else {
            continue;
        };
        while let Some((tag, body, after)) = element(names) {
            names = after;
            match (tag, body.len()) {
                (0x82, _) => summary
                    .dns_names
                    .push(String::from_utf8_lossy(body).into_owned()),
                (0x87, 4) => {
                    let octets: [u8; 4] = [body[0], body[1], body[2], body[3]];
                    summary.ip_addresses.push(IpAddr::from(octets));
                }
                (0x87, 16) => {
                    let mut octets = [0u8; 16];
                    octets.copy_from_slice(body);
                    summary.ip_addresses.push(IpAddr::from(octets));
                }
                _ => {}
            }
        }
    }
}

/// A UTCTime (`YYMMDDHHMMSSZ`, years 1950-2049 per RFC 5280) or GeneralizedTime
/// (`YYYYMMDDHHMMSSZ`), as Unix seconds.
fn time(input: &[u8]) -> Option<(i64, &[u8])> {
    let (tag, body, rest) = element(input)?;
    let text = std::str::from_utf8(body).ok()?;
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |s: &str| s.parse::<i64>().ok();
    let (year, rest_digits) = match (tag, digits.len()) {
        (0x17, 12) => {
            let yy = num(&digits[..2])?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &digits[2..])
        }
        (0x18, 14) => (num(&digits[..4])?, &digits[4..]),
        _ => return None,
    };
    let month = num(&rest_digits[0..2])?;
    let day = num(&rest_digits[2..4])?;
    let (h, m, s) = (
        num(&rest_digits[4..6])?,
        num(&rest_digits[6..8])?,
        num(&rest_digits[8..10])?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + h * 3600 + m * 60 + s, rest))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2021, 1, 1), 18_628);
    }

    #[test]
    fn times() {
        let utc = [
            0x17, 13, b'2', b'1', b'0', b'1', b'0', b'1', b'0', b'0', b'0', b'0', b'0', b'0', b'Z',
        ];
        assert_eq!(time(&utc).map(|t| t.0), Some(18_628 * 86_400));
        let mut bad = utc;
        bad[4] = b'9'; // month 91
        assert!(time(&bad).is_none());
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed & 0xff) as u8
                })
                .collect();
            let _ = parse_certificate(&bytes);
            let mut framed = vec![0x30, 0x82, 0x01, 0x00];
            framed.extend_from_slice(&bytes);
            let _ = parse_certificate(&framed);
        }
    }

    #[test]
    fn host_matching_follows_go() {
        let cert = CertSummary {
            subject_cn: Some("ignored.example".into()),
            issuer_cn: None,
            self_issued: false,
            issuer: Vec::new(),
            subject: Vec::new(),
            not_before: 0,
            not_after: 0,
            dns_names: vec!["*.nodes.example".into(), "api.example".into()],
            ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        };
        assert!(cert.matches_host("127.0.0.1"));
        assert!(!cert.matches_host("127.0.0.2"));
        assert!(cert.matches_host("a.nodes.example"));
        assert!(!cert.matches_host("a.b.nodes.example"));
        assert!(!cert.matches_host("nodes.example"));
        assert!(cert.matches_host("API.example."));
        assert!(!cert.matches_host("ignored.example"));
    }
}
