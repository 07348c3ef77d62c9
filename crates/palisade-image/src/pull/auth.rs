//! Registry credentials: given in the options, or read from a docker CLI config file
//! (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), whose `auths` map holds
//! `base64(user:password)` per registry. Secrets are never formatted: `Debug` redacts them
//! and errors name only the user and where the credentials came from.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

/// How to authenticate to the registry.
#[derive(Clone)]
pub enum Auth {
    /// No credentials.
    Anonymous,
    /// HTTP basic credentials.
    Basic {
        /// The user name.
        username: String,
        /// The password or access token.
        password: String,
    },
    /// The registry's entry in a docker CLI config file (this file, or the default
    /// `$DOCKER_CONFIG/config.json` / `~/.docker/config.json` when `None`); anonymous when
    /// the file or the entry is missing.
    DockerConfig(Option<PathBuf>),
}

impl Default for Auth {
    /// The default docker config file.
    fn default() -> Self {
        Auth::DockerConfig(None)
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Anonymous => f.write_str("Anonymous"),
            Auth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Auth::DockerConfig(path) => f.debug_tuple("DockerConfig").field(path).finish(),
        }
    }
}

/// Credentials resolved for one registry, with a description safe to print.
pub(crate) struct Resolved {
    /// `None` for anonymous.
    pub(crate) basic: Option<(String, String)>,
    /// "anonymous", "user alice", "user alice from /root/.docker/config.json".
    pub(crate) describe: String,
}

/// The default docker CLI config file, as the docker CLI finds it.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".docker/config.json"))
}

/// Resolves `auth` for `registry` (`host[:port]`); an error names the config file.
pub(crate) fn resolve(auth: &Auth, registry: &str) -> Result<Resolved, (PathBuf, String)> {
    match auth {
        Auth::Anonymous => Ok(anonymous()),
        Auth::Basic { username, password } => Ok(Resolved {
            describe: format!("user {username}"),
            basic: Some((username.clone(), password.clone())),
        }),
        Auth::DockerConfig(path) => {
            let Some(path) = path.clone().or_else(docker_config_path) else {
                return Ok(anonymous());
            };
            from_docker_config(&path, registry).map_err(|message| (path, message))
        }
    }
}

impl fmt::Debug for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe)
    }
}

fn anonymous() -> Resolved {
    Resolved {
        basic: None,
        describe: "anonymous".into(),
    }
}

/// The registry's `auths` entry in a docker config file. A missing file means anonymous
/// (the docker CLI's behaviour); an unreadable or malformed one is an error, because
/// silently pulling anonymously would hide the mistake behind an authorization failure.
fn from_docker_config(path: &Path, registry: &str) -> Result<Resolved, String> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(anonymous()),
        Err(e) => return Err(e.to_string()),
    };
    let doc: Value =
        serde_json::from_slice(&text).map_err(|e| format!("not a docker config file: {e}"))?;
    let entry = doc
        .get("auths")
        .and_then(Value::as_object)
        .and_then(|auths| {
            auths
                .iter()
                .find(|(key, _)| registry_host(key) == registry)
                .map(|(_, v)| v)
        });
    let Some(entry) = entry else {
        return Ok(anonymous());
    };
    let (username, password) = entry_credentials(entry)
        .ok_or_else(|| format!("the entry for {registry} has no usable credentials"))?;
    Ok(Resolved {
        describe: format!("user {username} from {}", path.display()),
        basic: Some((username, password)),
    })
}

/// An `auths` key reduced to `host[:port]`: keys may be written as URLs
/// (`https://host/v1/`), which the docker CLI's `ConvertToHostname` strips the same way.
fn registry_host(key: &str) -> &str {
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    rest.split('/').next().unwrap_or(rest)
}

/// `auth` (base64 of `user:password`), or separate `username` and `password` fields.
fn entry_credentials(entry: &Value) -> Option<(String, String)> {
    if let Some(encoded) = entry.get("auth").and_then(Value::as_str) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, pass) = text.split_once(':')?;
        if !user.is_empty() {
            return Some((user.to_string(), pass.to_string()));
        }
    }
    let user = entry.get("username").and_then(Value::as_str)?;
    let pass = entry.get("password").and_then(Value::as_str)?;
    (!user.is_empty()).then(|| (user.to_string(), pass.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path, json: &str) -> PathBuf {
        let path = dir.join("config.json");
        std::fs::write(&path, json).unwrap();
        path
    }

    #[test]
    fn docker_config_entries_are_found_by_host() {
        let dir = tempfile::tempdir().unwrap();
        // "alice:s3cr:et" in base64: the password may itself contain a colon.
        let path = config(
            dir.path(),
            r#"{"auths":{"https://127.0.0.1:5000/v1/":{"auth":"YWxpY2U6czNjcjpldA=="},
                "other:1":{"username":"bob","password":"pw"}}}"#,
        );
        let auth = Auth::DockerConfig(Some(path.clone()));
        let r = resolve(&auth, "127.0.0.1:5000").unwrap();
        assert_eq!(r.basic, Some(("alice".into(), "s3cr:et".into())));
        assert!(r.describe.contains("alice") && !r.describe.contains("s3cr"));
        let r = resolve(&auth, "other:1").unwrap();
        assert_eq!(r.basic, Some(("bob".into(), "pw".into())));
        assert!(resolve(&auth, "127.0.0.1:5001").unwrap().basic.is_none());
    }

    #[test]
    fn missing_file_is_anonymous_but_malformed_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = Auth::DockerConfig(Some(dir.path().join("nope.json")));
        assert!(resolve(&missing, "h").unwrap().basic.is_none());
        let bad = Auth::DockerConfig(Some(config(dir.path(), "{not json")));
        assert!(resolve(&bad, "h").is_err());
        let empty =
            Auth::DockerConfig(Some(config(dir.path(), r#"{"auths":{"h":{"auth":"!!"}}}"#)));
        assert!(resolve(&empty, "h")
            .unwrap_err()
            .1
            .contains("no usable credentials"));
    }

    #[test]
    fn debug_never_shows_the_password() {
        let auth = Auth::Basic {
            username: "alice".into(),
            password: "hunter2".into(),
        };
        let text = format!("{auth:?}");
        assert!(text.contains("alice") && !text.contains("hunter2"));
    }
}
