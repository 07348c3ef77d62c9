//! Why a pull failed, in terms a user can act on, and the mapping from the distribution
//! client's errors (OCI error codes, HTTP statuses) to those reasons.

use std::fmt;
use std::path::PathBuf;

use oci_client::errors::{OciDistributionError, OciErrorCode};

/// Why an image could not be pulled.
#[derive(Debug)]
#[non_exhaustive]
pub enum PullError {
    /// The reference does not parse (`host[:port]/repo[:tag][@digest]`).
    BadReference {
        /// The reference as given.
        reference: String,
        /// The parser's complaint.
        message: String,
    },
    /// The registry refused the credentials (or wants some).
    Auth {
        /// The reference being pulled.
        reference: String,
        /// Which credentials were used (never the secret: "anonymous", "user alice", …).
        credentials: String,
        /// The registry's answer.
        message: String,
    },
    /// The registry has no such repository, tag, manifest or blob.
    NotFound {
        /// The reference (or blob digest) asked for.
        reference: String,
        /// The registry's answer.
        message: String,
    },
    /// The index has no manifest for the wanted platform.
    NoPlatform {
        /// The reference being pulled.
        reference: String,
        /// Which platform was wanted and which the index has.
        message: String,
    },
    /// A blob or manifest did not hash to its digest.
    DigestMismatch {
        /// The digest the descriptor gives.
        expected: String,
        /// The digest of the bytes that arrived.
        actual: String,
    },
    /// Something is larger than a [`PullLimits`](super::PullLimits) bound.
    TooLarge {
        /// What was too large (a blob digest, "manifest", "layer count").
        what: String,
        /// Its size (bytes, or count).
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// The registry answered something that is not a usable image.
    Invalid {
        /// The reference being pulled.
        reference: String,
        /// What is wrong.
        message: String,
    },
    /// The registry reported another error, or the connection failed (TLS, refused, …).
    Registry {
        /// The reference being pulled.
        reference: String,
        /// The error, with its causes.
        message: String,
    },
    /// A local file could not be used (cache directory, CA file, docker config).
    Local {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl fmt::Display for PullError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PullError::BadReference { reference, message } => {
                write!(f, "{reference}: not an image reference: {message}")
            }
            PullError::Auth {
                reference,
                credentials,
                message,
            } => write!(
                f,
                "{reference}: authentication failed ({credentials}): {message}"
            ),
            PullError::NotFound { reference, message } => {
                write!(f, "{reference}: not found: {message}")
            }
            PullError::NoPlatform { reference, message } => write!(f, "{reference}: {message}"),
            PullError::DigestMismatch { expected, actual } => write!(
                f,
                "digest mismatch: the registry sent content hashing to {actual} for {expected}"
            ),
            PullError::TooLarge { what, size, limit } => {
                write!(f, "{what}: {size} is over the limit of {limit}")
            }
            PullError::Invalid { reference, message } => write!(f, "{reference}: {message}"),
            PullError::Registry { reference, message } => write!(f, "{reference}: {message}"),
            PullError::Local { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}

impl std::error::Error for PullError {}

/// Turns a client error into a [`PullError`] for `reference`, pulled with `credentials`.
pub(crate) fn map_client_error(
    err: OciDistributionError,
    reference: &str,
    credentials: &str,
) -> PullError {
    let auth = |message: String| PullError::Auth {
        reference: reference.to_string(),
        credentials: credentials.to_string(),
        message,
    };
    let not_found = |message: String| PullError::NotFound {
        reference: reference.to_string(),
        message,
    };
    match err {
        OciDistributionError::UnauthorizedError { url } => {
            auth(format!("401 Unauthorized from {url}"))
        }
        OciDistributionError::AuthenticationFailure(reason) => auth(reason),
        OciDistributionError::ImageManifestNotFoundError(m) => not_found(m),
        OciDistributionError::RegistryError { envelope, url } => {
            let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
            let message = envelope
                .errors
                .iter()
                .map(|e| format!("{:?}: {}", e.code, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            let message = format!("{message} ({url})");
            if codes.iter().any(|c| {
                matches!(
                    c,
                    OciErrorCode::ManifestUnknown
                        | OciErrorCode::NameUnknown
                        | OciErrorCode::NotFound
                        | OciErrorCode::BlobUnknown
                )
            }) {
                not_found(message)
            } else if codes
                .iter()
                .any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied))
            {
                auth(message)
            } else {
                PullError::Registry {
                    reference: reference.to_string(),
                    message,
                }
            }
        }
        OciDistributionError::ServerError { code, url, message } => match code {
            401 | 403 => auth(format!("HTTP {code} from {url}: {message}")),
            404 => not_found(format!("HTTP 404 from {url}: {message}")),
            _ => PullError::Registry {
                reference: reference.to_string(),
                message: format!("HTTP {code} from {url}: {message}"),
            },
        },
        OciDistributionError::DigestError(oci_client::errors::DigestError::VerificationError {
            expected,
            actual,
        }) => PullError::DigestMismatch { expected, actual },
        other => PullError::Registry {
            reference: reference.to_string(),
            message: with_causes(&other),
        },
    }
}

/// An error's message followed by its sources (a TLS failure is three levels down in
/// reqwest's error and useless without them).
pub(crate) fn with_causes(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}
