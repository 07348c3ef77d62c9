//! A self-made certificate authority and a serving certificate it signs, for installing the
//! webhook without cert-manager (`palisade admission manifests --cert-dir`) and for tests
//! that register the webhook with a real API server.
//!
//! The API server checks the webhook's certificate against the `caBundle` of the
//! ValidatingWebhookConfiguration, by the names of `clientConfig` (the Service's
//! `NAME.NAMESPACE.svc`, or the host of `url`): those names go into the certificate's
//! subject alternative names, which is all Go's verifier reads (it ignores the common name).

use palisade_core::Date;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use crate::tls::PemPair;

/// A CA certificate and a serving certificate it signed.
#[derive(Debug, Clone)]
pub struct IssuedCert {
    /// The CA certificate (PEM): what goes, base64-encoded, into `caBundle`.
    pub ca_pem: String,
    /// The serving certificate (chain: leaf then CA) and its key.
    pub server: PemPair,
    /// The last day the serving certificate is valid (UTC).
    pub not_after: Date,
}

/// Makes a new CA (`ca_name` as its common name, valid for `ca_days`) and a serving
/// certificate for `names` (DNS names or IP addresses) signed by it, valid from yesterday
/// (some clock skew between machines) for `server_days`. The CA's key is dropped: nothing
/// can be signed with it afterwards, so nothing needs to guard it.
pub fn issue(
    ca_name: &str,
    names: &[String],
    ca_days: u32,
    server_days: u32,
) -> Result<IssuedCert, String> {
    if names.is_empty() {
        return Err("a serving certificate needs at least one name".into());
    }
    let today = crate::today();
    let day = |offset: i64| {
        let d = Date::from_unix_days(unix_days(today) + offset);
        rcgen::date_time_ymd(d.year, d.month, d.day)
    };

    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name.push(DnType::CommonName, ca_name);
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = day(-1);
    ca.not_after = day(i64::from(ca_days));
    let ca_key = KeyPair::generate().map_err(|e| format!("CA key: {e}"))?;
    let ca_cert = ca.self_signed(&ca_key).map_err(|e| format!("CA: {e}"))?;

    let mut leaf = CertificateParams::new(names.to_vec()).map_err(|e| format!("names: {e}"))?;
    leaf.distinguished_name = DistinguishedName::new();
    leaf.distinguished_name
        .push(DnType::CommonName, names[0].as_str());
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    leaf.not_before = day(-1);
    let last = i64::from(server_days);
    leaf.not_after = day(last);
    let leaf_key = KeyPair::generate().map_err(|e| format!("key: {e}"))?;
    let leaf_cert = leaf
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .map_err(|e| format!("certificate: {e}"))?;
    let ca_pem = ca_cert.pem();
    Ok(IssuedCert {
        server: PemPair {
            cert_pem: format!("{}{}", leaf_cert.pem(), ca_pem),
            key_pem: leaf_key.serialize_pem(),
        },
        ca_pem,
        not_after: Date::from_unix_days(unix_days(today) + last),
    })
}

/// Days since 1970-01-01 of a date (Howard Hinnant's days-from-civil, the inverse of
/// [`Date::from_unix_days`]).
fn unix_days(d: Date) -> i64 {
    let (month, day) = (i64::from(d.month), i64::from(d.day));
    let year = i64::from(d.year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_days_inverts_from_unix_days() {
        for days in [-800_000, -1, 0, 1, 59, 60, 365, 11_016, 20_000, 2_932_896] {
            assert_eq!(unix_days(Date::from_unix_days(days)), days, "{days}");
        }
    }

    #[test]
    fn the_server_certificate_serves_and_chains_to_the_ca() {
        let issued = issue(
            "test CA",
            &["127.0.0.1".into(), "svc.ns.svc".into()],
            30,
            10,
        )
        .unwrap();
        // Two certificates in the chain, leaf first; the key matches the leaf.
        assert_eq!(
            issued.server.cert_pem.matches("BEGIN CERTIFICATE").count(),
            2
        );
        assert!(issued.server.cert_pem.ends_with(&issued.ca_pem));
        crate::certified_key(
            issued.server.cert_pem.as_bytes(),
            issued.server.key_pem.as_bytes(),
        )
        .unwrap();
        let today = crate::today();
        assert_eq!(unix_days(issued.not_after) - unix_days(today), 10);
    }

    #[test]
    fn no_names_is_an_error() {
        assert!(issue("ca", &[], 1, 1).is_err());
    }
}
