//! The few sshd settings the host-hardening checks need, read the way sshd reads them for a
//! connection that matches no `Match` block: top-level keywords only, case-insensitive, and
//! the *first* value obtained wins (sshd_config(5)); `Include` is expanded in place (a
//! directory glob `dir/*.conf` in name order, as Debian's default file has it). The deep
//! analysis (Match blocks, accounts, keys) is the `access` module's.

use crate::root::{NodeRoot, ReadOutcome};

/// Main config file.
pub const SSHD_CONFIG: &str = "/etc/ssh/sshd_config";

/// A keyword's value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The value (first word, lowercased).
    pub value: String,
    /// File.
    pub path: String,
    /// Line.
    pub line: u32,
}

/// The first value of each keyword wanted, or `None` when the main file is missing.
pub fn read(root: &NodeRoot, keys: &[&str]) -> Option<Vec<(String, Value)>> {
    let mut found = Vec::new();
    if !scan(root, SSHD_CONFIG, keys, &mut found, 0) {
        return None;
    }
    Some(found)
}

/// Scans a file; false when it cannot be read.
fn scan(
    root: &NodeRoot,
    path: &str,
    keys: &[&str],
    found: &mut Vec<(String, Value)>,
    depth: u32,
) -> bool {
    let ReadOutcome::Text(text) = root.read(path) else {
        return false;
    };
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(2, |c: char| c.is_whitespace() || c == '=');
        let key = parts.next().unwrap_or("").to_ascii_lowercase();
        let rest = parts
            .next()
            .unwrap_or("")
            .trim()
            .trim_start_matches('=')
            .trim();
        if key == "match" {
            // Everything after the first Match belongs to a conditional block.
            return true;
        }
        if key == "include" && depth < 8 {
            for pattern in rest.split_whitespace() {
                let pattern = if pattern.starts_with('/') {
                    pattern.to_string()
                } else {
                    format!("/etc/ssh/{pattern}")
                };
                for file in expand(root, &pattern) {
                    scan(root, &file, keys, found, depth + 1);
                }
            }
            continue;
        }
        if keys.contains(&key.as_str()) && !found.iter().any(|(k, _)| *k == key) {
            found.push((
                key,
                Value {
                    value: rest
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase(),
                    path: path.to_string(),
                    line: i as u32 + 1,
                },
            ));
        }
    }
    true
}

/// `dir/*.conf`-style globs (a `*` in the last component only); other paths as they are.
fn expand(root: &NodeRoot, pattern: &str) -> Vec<String> {
    let Some((dir, name)) = pattern.rsplit_once('/') else {
        return vec![pattern.to_string()];
    };
    let Some((prefix, suffix)) = name.split_once('*') else {
        return vec![pattern.to_string()];
    };
    root.list(dir)
        .into_iter()
        .filter(|n| {
            n.starts_with(prefix) && n.ends_with(suffix) && n.len() >= prefix.len() + suffix.len()
        })
        .map(|n| format!("{dir}/{n}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_wins_includes_expand_and_match_ends_the_top_level() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("etc/ssh/sshd_config.d")).unwrap();
        std::fs::write(
            d.join("etc/ssh/sshd_config.d/50-cloud.conf"),
            "PasswordAuthentication yes\n",
        )
        .unwrap();
        std::fs::write(
            d.join("etc/ssh/sshd_config"),
            "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\nPermitRootLogin=no\nMatch User x\n  PermitRootLogin yes\n",
        )
        .unwrap();
        let root = NodeRoot::new(d);
        let found = read(&root, &["passwordauthentication", "permitrootlogin"]).unwrap();
        let get = |k: &str| {
            found
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("passwordauthentication").value, "yes");
        assert_eq!(
            get("passwordauthentication").path,
            "/etc/ssh/sshd_config.d/50-cloud.conf"
        );
        assert_eq!(get("permitrootlogin").value, "no");
        assert!(read(&NodeRoot::new(d.join("nothing")), &["x"]).is_none());
    }
}
