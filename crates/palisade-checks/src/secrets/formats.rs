//! Known credential formats: THE table. Each row says what the credential is, how it is
//! recognised, and (in the comment beside it) the vendor's public description of the
//! format. Formats with a fixed prefix are matched in one pass over the text at word
//! starts; the others have small scanners of their own (`pem`, `embedded`, `jwt`); `pass` runs them.
//! No regex engine: small scanners that never panic and stay linear on any input.

use super::names::Name;
use super::values::word;
use super::{embedded, jwt, pem};

#[cfg(test)]
pub(super) use super::pass::find;

/// A credential found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Hit {
    /// What it is ("GitHub personal access token").
    pub what: &'static str,
    /// Byte offset where it starts.
    pub start: usize,
    /// A redacted description (never the secret).
    pub evidence: String,
}

/// How a format is recognised.
pub(super) enum How {
    /// A fixed prefix, then a body of `min..=max` bytes from `body`'s alphabet, as a whole
    /// word; `shape` adds a check on the body when the alphabet is not enough.
    Prefix {
        prefix: &'static str,
        body: fn(u8) -> bool,
        min: usize,
        max: usize,
        shape: Option<fn(&[u8]) -> bool>,
    },
    /// A scanner over the whole text (and the name the text is under, when there is one),
    /// run only when one of its `cues` occurs in the text (ASCII case ignored when `ci`),
    /// or when `also` says so: scanners cost a search each, and most values have no cue.
    /// An `also` test passes only where [`may_pass_also`] does (the pass asks it first).
    Scan {
        cues: &'static [&'static str],
        ci: bool,
        also: Option<fn(text: &str, name: Option<Name>) -> bool>,
        run: ScanFn,
    },
}

/// A scanner: text, name, what it reports, where to put hits.
type ScanFn = fn(text: &str, name: Option<&str>, what: &'static str, out: &mut Vec<Hit>);

/// One known format.
pub(super) struct Format {
    pub what: &'static str,
    pub how: How,
}

const fn prefix(
    what: &'static str,
    prefix: &'static str,
    body: fn(u8) -> bool,
    min: usize,
    max: usize,
) -> Format {
    Format {
        what,
        how: How::Prefix {
            prefix,
            body,
            min,
            max,
            shape: None,
        },
    }
}

const fn scan(
    what: &'static str,
    cues: &'static [&'static str],
    ci: bool,
    also: Option<fn(&str, Option<Name>) -> bool>,
    run: ScanFn,
) -> Format {
    Format {
        what,
        how: How::Scan {
            cues,
            ci,
            also,
            run,
        },
    }
}

fn upper_alnum(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}
fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}
fn word_dash(b: u8) -> bool {
    word(b) || b == b'-'
}
fn alnum_dash(b: u8) -> bool {
    alnum(b) || b == b'-'
}
fn hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}
fn webhook_path(b: u8) -> bool {
    alnum(b) || b == b'/'
}
fn b64url_dot(b: u8) -> bool {
    word_dash(b) || b == b'.'
}
/// SendGrid: `SG.` + 22 + `.` + 43 base64url characters.
fn sendgrid_shape(body: &[u8]) -> bool {
    body.get(22) == Some(&b'.') && body.iter().filter(|&&b| b == b'.').count() == 1
}
/// Twilio SIDs are hexadecimal; a real one mixes digits and letters.
fn mixed_hex(body: &[u8]) -> bool {
    body.iter().any(u8::is_ascii_digit) && body.iter().any(u8::is_ascii_alphabetic)
}

/// Can any `also` test of [`FORMATS`] pass? Only under a name with a needle (an AWS
/// secret's name holds `secret`) or spelled `authorization`, or for a value starting with
/// `B` (`Bearer `, `Basic `). Most values are none of these, and skip the tests' calls.
#[inline]
pub(super) fn may_pass_also(text: &str, name: Option<Name>) -> bool {
    name.is_some_and(|n| n.needle || n.text.len() == "authorization".len()) || text.starts_with('B')
}

/// Every known format. Order matters only for the order of evidence.
#[rustfmt::skip]
pub(super) const FORMATS: &[Format] = &[
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
    // (AKIA: access key, ASIA: temporary STS key; 20 characters, upper-case letters and digits)
    prefix("AWS access key ID", "AKIA", upper_alnum, 16, 16),
    prefix("AWS temporary access key ID", "ASIA", upper_alnum, 16, 16),
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
    // (secret access key: 40 base64 characters, recognised under an AWS secret's name)
    scan("AWS secret access key", &["secret_access_key"], true, Some(embedded::under_aws_secret_name), embedded::aws_secret_keys),
    // https://cloud.google.com/iam/docs/keys-create-delete (JSON key file:
    // "type": "service_account" and a "private_key")
    scan("GCP service account key", &["service_account"], false, None, embedded::gcp_key_files),
    // https://cloud.google.com/docs/authentication/api-keys (AIza + 35 characters)
    prefix("Google API key", "AIza", word_dash, 35, 35),
    // https://learn.microsoft.com/en-us/azure/storage/common/storage-configure-connection-string
    // (AccountKey=, and SharedAccessKey= of Service Bus / Event Hubs connection strings)
    scan("Azure storage account key", &["AccountKey=", "SharedAccessKey="], false, None, embedded::azure_keys),
    // https://github.blog/changelog/2021-03-31-authentication-token-format-updates-are-generally-available/
    // (ghp_ personal, gho_ OAuth, ghu_ user-to-server, ghs_ server-to-server, ghr_ refresh;
    // 36 characters today, up to 255 announced)
    prefix("GitHub personal access token", "ghp_", alnum, 36, 251),
    prefix("GitHub OAuth access token", "gho_", alnum, 36, 251),
    prefix("GitHub App user-to-server token", "ghu_", alnum, 36, 251),
    prefix("GitHub App server-to-server token", "ghs_", alnum, 36, 251),
    prefix("GitHub refresh token", "ghr_", alnum, 36, 251),
    // https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens
    // (fine-grained tokens: github_pat_ + 22 + _ + 59)
    prefix("GitHub fine-grained personal access token", "github_pat_", word, 50, 244),
    // https://docs.gitlab.com/ee/security/token_overview.html#token-prefixes
    prefix("GitLab personal access token", "glpat-", word_dash, 20, 255),
    prefix("GitLab deploy token", "gldt-", word_dash, 20, 255),
    prefix("GitLab runner token", "glrt-", word_dash, 20, 255),
    prefix("GitLab pipeline trigger token", "glptt-", word_dash, 20, 255),
    // https://api.slack.com/authentication/token-types (xoxb- bot, xoxp- user, xoxa-/xoxr-
    // workspace and refresh, xoxe- configuration, xapp- app-level)
    prefix("Slack bot token", "xoxb-", alnum_dash, 10, 255),
    prefix("Slack user token", "xoxp-", alnum_dash, 10, 255),
    prefix("Slack workspace token", "xoxa-", alnum_dash, 10, 255),
    prefix("Slack refresh token", "xoxr-", alnum_dash, 10, 255),
    prefix("Slack legacy token", "xoxs-", alnum_dash, 10, 255),
    prefix("Slack configuration token", "xoxe.xoxp-", alnum_dash, 10, 255),
    prefix("Slack rotating refresh token", "xoxe-", alnum_dash, 10, 255),
    prefix("Slack app-level token", "xapp-", alnum_dash, 10, 255),
    // https://api.slack.com/messaging/webhooks (https://hooks.slack.com/services/T.../B.../...)
    prefix("Slack incoming webhook URL", "hooks.slack.com/services/", webhook_path, 20, 255),
    prefix("Slack workflow webhook URL", "hooks.slack.com/triggers/", webhook_path, 20, 255),
    // https://docs.stripe.com/keys (sk_live_ secret, rk_live_ restricted)
    prefix("Stripe live secret key", "sk_live_", alnum, 20, 247),
    prefix("Stripe live restricted key", "rk_live_", alnum, 20, 247),
    // https://www.twilio.com/docs/glossary/what-is-a-sid (two letters + 32 hex digits;
    // SK: API key, AC: account) and https://www.twilio.com/docs/iam/api-keys
    Format { what: "Twilio API key SID", how: How::Prefix { prefix: "SK", body: hex, min: 32, max: 32, shape: Some(mixed_hex) } },
    Format { what: "Twilio account SID", how: How::Prefix { prefix: "AC", body: hex, min: 32, max: 32, shape: Some(mixed_hex) } },
    // https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys (69 characters:
    // SG. + 22 + . + 43)
    Format { what: "SendGrid API key", how: How::Prefix { prefix: "SG.", body: b64url_dot, min: 66, max: 66, shape: Some(sendgrid_shape) } },
    // https://github.blog/2021-09-23-announcing-npms-new-access-token-format/ (npm_ + 36)
    prefix("npm access token", "npm_", alnum, 36, 36),
    // https://pypi.org/help/#apitoken (pypi- + a macaroon for pypi.org, base64 "AgEIcHlwaS5vcmc")
    prefix("PyPI API token", "pypi-AgEIcHlwaS5vcmc", word_dash, 40, 1000),
    // https://docs.docker.com/security/for-developers/access-tokens/ (dckr_pat_)
    prefix("Docker Hub access token", "dckr_pat_", word_dash, 20, 64),
    // https://huggingface.co/docs/hub/security-tokens (hf_)
    prefix("Hugging Face access token", "hf_", alnum, 30, 40),
    // https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes
    // (hvs. service, hvb. batch)
    prefix("Vault service token", "hvs.", word_dash, 24, 255),
    prefix("Vault batch token", "hvb.", word_dash, 24, 512),
    // https://docs.digitalocean.com/reference/api/create-personal-access-token/
    // (dop_v1_ personal, doo_v1_ OAuth, dor_v1_ refresh; 64 hex digits)
    prefix("DigitalOcean personal access token", "dop_v1_", hex, 64, 64),
    prefix("DigitalOcean OAuth token", "doo_v1_", hex, 64, 64),
    prefix("DigitalOcean refresh token", "dor_v1_", hex, 64, 64),
    // https://grafana.com/docs/grafana/latest/administration/service-accounts/ (glsa_)
    prefix("Grafana service account token", "glsa_", word, 32, 64),
    // https://platform.openai.com/docs/api-reference/authentication (project keys sk-proj-)
    prefix("OpenAI API key", "sk-proj-", word_dash, 40, 300),
    // https://docs.anthropic.com/en/api/getting-started (sk-ant- keys)
    prefix("Anthropic API key", "sk-ant-", word_dash, 40, 300),
    // RFC 7468 (PEM) and RFC 4880 §6.2 (OpenPGP armor): private key blocks
    scan("private key", &["-----BEGIN "], false, None, |t, _, w, out| pem::private_keys(t, w, out)),
    // RFC 7519 (JWT compact serialization: three base64url parts, the first two JSON)
    scan("JSON Web Token", &["eyJ"], false, None, |t, _, w, out| jwt::jwts(t, w, out)),
    // RFC 3986 §3.2.1 (userinfo `user:password@` in a URL)
    scan("password in a URL", &["://"], false, None, embedded::url_passwords),
    // Connection strings (ADO.NET, JDBC, ODBC, libpq): `;Password=`, `?password=`, `&pwd=`
    scan("password in a connection string", &["password=", "passwd=", "pwd="], true, None, embedded::connection_string_passwords),
    // RFC 6750 (Bearer) and RFC 7617 (Basic) `Authorization` values
    scan("Authorization header credential", &["authorization"], true, Some(|t, n| embedded::is_authorization_value(t, n.map(|n| n.text))), embedded::authorization_headers),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn whats(text: &str) -> Vec<&'static str> {
        find(text, None).into_iter().map(|h| h.what).collect()
    }

    /// Expands `{N}` to N characters of `EXAMPLE0EXAMPLE0...` and `{Nh}` to N hex digits
    /// (`eeee0000...`): obviously fake bodies of the right shape.
    fn synthetic(pattern: &str) -> String {
        let mut out = String::new();
        let mut rest = pattern;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
            let spec = &rest[open + 1..close];
            let (n, cycle) = match spec.strip_suffix('h') {
                Some(n) => (n, "eeee0000"),
                None => (spec, "EXAMPLE0"),
            };
            let n: usize = n.parse().unwrap_or(0);
            out.extend(cycle.chars().cycle().take(n));
            rest = rest.get(close + 1..).unwrap_or_default();
        }
        out.push_str(rest);
        out
    }

    /// A true positive and a near miss for every prefix row.
    #[test]
    fn every_prefixed_format() {
        // `{N}`: N characters of a synthetic alphanumeric body; `{Nh}`: N hex digits.
        let cases: &[(&str, &str, &str)] = &[
            ("AWS access key ID", "AKIA{16}", "AKIA{18}"),
            ("AWS temporary access key ID", "ASIA{16}", "XASIA{16}"),
            ("Google API key", "AIza{35}", "AIza{20}"),
            ("GitHub personal access token", "ghp_{36}", "ghp_{20}"),
            ("GitHub OAuth access token", "gho_{36}", "xgho_{36}"),
            ("GitHub App user-to-server token", "ghu_{40}", "ghu_{12}"),
            ("GitHub App server-to-server token", "ghs_{36}", "ghs-{36}"),
            ("GitHub refresh token", "ghr_{36}", "ghr_"),
            (
                "GitHub fine-grained personal access token",
                "github_pat_{22}_{59}",
                "github_pat_{20}",
            ),
            ("GitLab personal access token", "glpat-{20}", "glpat-{12}"),
            ("GitLab deploy token", "gldt-{20}", "gldt-"),
            ("GitLab runner token", "glrt-{24}", "glrt-{4}"),
            ("GitLab pipeline trigger token", "glptt-{40}", "glptt-"),
            ("Slack bot token", "xoxb-{10}-{13}-{24}", "xoxb-"),
            ("Slack user token", "xoxp-{10}-{13}", "xoxp-abc"),
            ("Slack workspace token", "xoxa-2-{20}", "xoxa"),
            ("Slack refresh token", "xoxr-{20}", "xoxr-0"),
            ("Slack legacy token", "xoxs-{20}", "axoxs-{20}"),
            ("Slack configuration token", "xoxe.xoxp-1-{20}", "xoxe-1"),
            ("Slack rotating refresh token", "xoxe-1-{40}", "xoxe-"),
            ("Slack app-level token", "xapp-1-{11}-{13}-{20}", "xapp-1"),
            (
                "Slack incoming webhook URL",
                "https://hooks.slack.com/services/T{8}/B{8}/{24}",
                "https://hooks.slack.com/services/",
            ),
            (
                "Slack workflow webhook URL",
                "https://hooks.slack.com/triggers/T{8}/{8}/{24}",
                "https://hooks.slack.com/triggers/x",
            ),
            ("Stripe live secret key", "sk_live_{24}", "sk_test_{24}"),
            ("Stripe live restricted key", "rk_live_{24}", "rk_live_{8}"),
            ("Twilio API key SID", "SK{32h}", "SK{32}"),
            (
                "Twilio account SID",
                "AC{32h}",
                "ACeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
            ),
            ("SendGrid API key", "SG.{22}.{43}", "SG.{66}"),
            ("npm access token", "npm_{36}", "npm_install"),
            (
                "PyPI API token",
                "pypi-AgEIcHlwaS5vcmc{60}",
                "pypi-AgEIcHlwaS5vcmc",
            ),
            ("Docker Hub access token", "dckr_pat_{27}", "dckr_pat_"),
            ("Hugging Face access token", "hf_{34}", "hf_{8}"),
            ("Vault service token", "hvs.{90}", "hvs.{8}"),
            ("Vault batch token", "hvb.{138}", "hvb."),
            (
                "DigitalOcean personal access token",
                "dop_v1_{64h}",
                "dop_v1_{64}",
            ),
            ("DigitalOcean OAuth token", "doo_v1_{64h}", "doo_v1_{8h}"),
            ("DigitalOcean refresh token", "dor_v1_{64h}", "dor_v1_"),
            (
                "Grafana service account token",
                "glsa_{32}_{8h}",
                "glsa_{8}",
            ),
            ("OpenAI API key", "sk-proj-{48}", "sk-proj-{8}"),
            ("Anthropic API key", "sk-ant-api03-{48}", "sk-ant-"),
        ];
        let mut covered = Vec::new();
        for &(what, hit, miss) in cases {
            let (hit, miss) = (synthetic(hit), synthetic(miss));
            assert_eq!(whats(&format!("x={hit} ")), [what], "{hit}");
            assert!(!whats(&format!("x={miss} ")).contains(&what), "{miss}");
            covered.push(what);
        }
        for f in FORMATS {
            if matches!(f.how, How::Prefix { .. }) {
                assert!(covered.contains(&f.what), "no test for {}", f.what);
            }
        }
    }

    #[test]
    fn json_web_tokens() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJFWEFNUExFIn0.RVhBTVBMRS1FWEFNUExFLUVYQU1QTEU";
        assert_eq!(whats(jwt), ["JSON Web Token"]);
        assert_eq!(whats("eyJhbGciOiJIUzI1NiJ9"), Vec::<&str>::new());
        assert_eq!(
            whats("eyJhbGciOiJIUzI1NiJ9.abcdefghijkl.abcdefghijkl"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn evidence_never_holds_the_token() {
        let token = synthetic("ghp_{36}");
        let token = token.as_str();
        let hits = find(token, None);
        assert_eq!(hits.len(), 1);
        assert!(hits.iter().all(|h| !h.evidence.contains("EXAMPLE")));
    }

    #[test]
    fn arbitrary_text_does_not_panic() {
        for s in [
            "://",
            "a://@",
            "a://:@",
            "-----BEGIN ",
            "eyJ.eyJ.",
            "é://é:é@é",
            ";pwd=",
            "💥AKIA💥",
            "SG.é",
            "eyJ",
            "AKIA",
            "hooks.slack.com/services/é",
        ] {
            let _ = find(s, Some("é"));
        }
    }
}
