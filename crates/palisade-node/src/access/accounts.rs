//! A node's accounts: `/etc/passwd`, `/etc/shadow` (when readable) and `/etc/group`.
//! Malformed lines are diagnostics with file:line; the rest is still read.

use std::collections::HashMap;

use serde::Serialize;

use super::rootfs::{Diagnostic, ReadError, RootFs};

/// Shells that end a session at once: an account with one gets no shell (sshd still
/// authenticates it, so tunnels with `ssh -N` remain possible).
const NO_LOGIN_SHELLS: &[&str] = &[
    "/usr/sbin/nologin",
    "/sbin/nologin",
    "/bin/false",
    "/usr/bin/false",
    "/bin/sync",
    "/usr/bin/nologin",
];

/// What the password field says about password logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordState {
    /// A password hash: password logins work with the right password.
    Set,
    /// Empty: no password needed where empty passwords are permitted.
    Empty,
    /// Locked (`!…`): no password login; without PAM sshd refuses the account entirely.
    Locked,
    /// No valid hash (`*`, or anything crypt cannot produce): no password login.
    Disabled,
    /// Not known (`/etc/shadow` missing or unreadable).
    Unknown,
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Login name.
    pub name: String,
    /// User id (0 is root, whatever the name).
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Home directory.
    pub home: String,
    /// Login shell (empty means /bin/sh).
    pub shell: String,
    /// Password state, from the shadow file (or the passwd field).
    pub password: PasswordState,
    /// Group names, the primary group first (what `AllowGroups` and `Match Group` see).
    pub groups: Vec<String>,
    /// Line in /etc/passwd.
    pub line: u32,
}

impl Account {
    /// Does the shell give a session (not nologin or false)?
    pub fn has_shell(&self) -> bool {
        !NO_LOGIN_SHELLS.contains(&self.shell.as_str())
    }
}

/// The accounts of a node, and what could not be read.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    /// Accounts, in /etc/passwd order.
    pub accounts: Vec<Account>,
    /// Was /etc/shadow read?
    pub shadow_read: bool,
    /// Problems met.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the account files of a node.
pub fn load(fs: &RootFs) -> Accounts {
    let mut out = Accounts::default();
    let passwd = read(fs, "/etc/passwd", &mut out.diagnostics, true);
    let shadow = read(fs, "/etc/shadow", &mut out.diagnostics, false);
    let group = read(fs, "/etc/group", &mut out.diagnostics, true);
    out.shadow_read = shadow.is_some();

    let shadow_rows = parse_fields(
        fs,
        "/etc/shadow",
        shadow.as_deref(),
        2,
        &mut out.diagnostics,
    );
    let group_rows = parse_fields(fs, "/etc/group", group.as_deref(), 3, &mut out.diagnostics);
    // Indexed once: nodes with thousands of accounts are read in linear time.
    let mut hashes: HashMap<&str, &str> = HashMap::new();
    for (_, f) in &shadow_rows {
        hashes.entry(f[0].as_str()).or_insert(f[1].as_str());
    }
    let mut group_by_gid: HashMap<u32, &str> = HashMap::new();
    let mut member_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for (_, g) in &group_rows {
        if let Ok(gid) = g[2].parse::<u32>() {
            group_by_gid.entry(gid).or_insert(g[0].as_str());
        }
        for member in g.get(3).map(|m| m.split(',')).into_iter().flatten() {
            if !member.is_empty() {
                member_of.entry(member).or_default().push(g[0].as_str());
            }
        }
    }
    for (line, fields) in parse_fields(
        fs,
        "/etc/passwd",
        passwd.as_deref(),
        7,
        &mut out.diagnostics,
    ) {
        let (Ok(uid), Ok(gid)) = (fields[2].parse::<u32>(), fields[3].parse::<u32>()) else {
            out.diagnostics.push(fs.diag(
                "/etc/passwd",
                Some(line),
                format!("{}: uid or gid is not a number; account skipped", fields[0]),
            ));
            continue;
        };
        let name = fields[0].clone();
        let field = if fields[1] == "x" {
            hashes.get(name.as_str()).copied()
        } else {
            Some(fields[1].as_str())
        };
        let password = match field {
            Some(hash) => password_state(hash),
            None => PasswordState::Unknown,
        };
        let mut names: Vec<String> = Vec::new();
        if let Some(g) = group_by_gid.get(&gid) {
            names.push((*g).to_string());
        }
        for g in member_of.get(name.as_str()).into_iter().flatten() {
            if !names.iter().any(|n| n == g) {
                names.push((*g).to_string());
            }
        }
        out.accounts.push(Account {
            name,
            uid,
            gid,
            home: fields[5].clone(),
            shell: fields[6].clone(),
            password,
            groups: names,
            line,
        });
    }
    out
}

/// The password state a hash field gives (shadow(5); `!` is the Linux lock prefix sshd
/// checks, `LOCKED_PASSWD_PREFIX`).
pub fn password_state(hash: &str) -> PasswordState {
    if hash.is_empty() {
        PasswordState::Empty
    } else if hash.starts_with('!') {
        PasswordState::Locked
    } else if hash.starts_with('$') || (hash.len() == 13 && hash.chars().all(is_des_char)) {
        PasswordState::Set
    } else {
        PasswordState::Disabled
    }
}

fn is_des_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '/'
}

fn read(fs: &RootFs, path: &str, diags: &mut Vec<Diagnostic>, needed: bool) -> Option<String> {
    match fs.read(path) {
        Ok(text) => Some(text),
        Err(ReadError::Missing) if !needed => None,
        Err(e) => {
            let extra = if path == "/etc/shadow" {
                "; password states unknown"
            } else {
                ""
            };
            diags.push(fs.diag(path, None, format!("{e}{extra}")));
            None
        }
    }
}

/// Colon-separated lines with at least `min` fields (line numbers kept); others reported.
fn parse_fields(
    fs: &RootFs,
    path: &str,
    text: Option<&str>,
    min: usize,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(u32, Vec<String>)> {
    let Some(text) = text else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        // A file edited on Windows keeps `\r` before each newline.
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        // NSS compat entries (`+`, `-name`) name accounts found elsewhere.
        if raw.starts_with('+') || raw.starts_with('-') {
            diags.push(fs.diag(path, Some(line), "NSS compat entry not followed"));
            continue;
        }
        let fields: Vec<String> = raw.split(':').map(str::to_string).collect();
        if fields.len() < min || fields[0].is_empty() {
            diags.push(fs.diag(
                path,
                Some(line),
                format!("malformed line ({} fields, {min} expected)", fields.len()),
            ));
            continue;
        }
        out.push((line, fields));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_fields_are_classified_as_sshd_and_pam_read_them() {
        assert_eq!(password_state("$y$j9T$abc$def"), PasswordState::Set);
        assert_eq!(password_state("!$6$x$y"), PasswordState::Locked);
        assert_eq!(password_state("!!"), PasswordState::Locked);
        assert_eq!(password_state("*"), PasswordState::Disabled);
        assert_eq!(password_state(""), PasswordState::Empty);
        assert_eq!(password_state("abcdefghijklm"), PasswordState::Set);
    }

    #[test]
    fn accounts_join_passwd_shadow_and_groups() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(
            etc.join("passwd"),
            "root:x:0:0:root:/root:/bin/bash\nbroken\nalice:x:1000:1000::/home/alice:/bin/sh\n\
             svc:x:999:999::/:/usr/sbin/nologin\nbad:x:uid:1::/:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(etc.join("shadow"), "root:!:1::::::\nalice::1::::::\n").unwrap();
        std::fs::write(
            etc.join("group"),
            "root:x:0:\nalice:x:1000:\nsudo:x:27:alice,bob\n",
        )
        .unwrap();
        let fs = RootFs::new(dir.path(), 1 << 20);
        let a = load(&fs);
        assert_eq!(a.accounts.len(), 3);
        assert_eq!(a.accounts[0].password, PasswordState::Locked);
        assert_eq!(a.accounts[1].password, PasswordState::Empty);
        assert_eq!(a.accounts[1].groups, vec!["alice", "sudo"]);
        assert_eq!(a.accounts[2].password, PasswordState::Unknown);
        assert!(!a.accounts[2].has_shell());
        let lines: Vec<Option<u32>> = a.diagnostics.iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![Some(2), Some(5)]);
    }
}
