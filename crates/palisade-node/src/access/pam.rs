//! The PAM `auth` stack sshd runs (`/etc/pam.d/sshd`; pam.conf(5), Linux-PAM
//! `_pam_parse_conf_file`/`_pam_add_handler`): `include` and `substack` controls and
//! Debian's `@include`, resolved recursively, then judged for a second factor: a one-time
//! password or security-key module that every password or keyboard-interactive login must
//! pass. A module counts as enforced when it is `required`/`requisite` (or a bracket
//! control whose default is `bad`/`die`), no earlier `sufficient` module can end the stack
//! before it, no earlier jump can skip it, and it is not told to let users without a
//! secret through (`nullok`).

use serde::Serialize;

use super::rootfs::{Diagnostic, ReadError, RootFs};

/// Modules that ask for a second factor.
pub const SECOND_FACTOR_MODULES: &[&str] = &[
    "pam_google_authenticator",
    "pam_u2f",
    "pam_oath",
    "pam_duo",
    "pam_yubico",
    "pam_privacyidea",
    "pam_linotp",
];

/// Modules that check a password.
pub const PASSWORD_MODULES: &[&str] = &[
    "pam_unix",
    "pam_unix2",
    "pam_sss",
    "pam_ldap",
    "pam_krb5",
    "pam_winbind",
    "pam_pwdb",
];

/// Nesting allowed through include/substack (Linux-PAM's `PAM_SUBSTACK_MAX_LEVEL` is 16).
const MAX_DEPTH: usize = 16;

/// One module line of the resolved `auth` stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PamEntry {
    /// File (path in the node).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// Control as written (`required`, `[success=1 default=ignore]`).
    pub control: String,
    /// Module name without directory and `.so` (`pam_unix`).
    pub module: String,
    /// Module arguments.
    pub args: Vec<String>,
    /// Which substack it runs in (0: the sshd stack itself).
    #[serde(skip)]
    pub group: usize,
}

/// What the stack says about a second factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecondFactor {
    /// The module.
    pub module: String,
    /// Where it is.
    pub file: String,
    /// Line.
    pub line: u32,
    /// Must every PAM authentication pass it?
    pub enforced: bool,
    /// Why not, when it is not enforced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_not: Option<String>,
}

/// sshd's PAM `auth` stack.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PamStack {
    /// Was /etc/pam.d/sshd there?
    pub present: bool,
    /// The `auth` modules in the order PAM runs them.
    pub auth: Vec<PamEntry>,
    /// Problems met.
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

impl PamStack {
    /// The second-factor module of the stack (the first enforced one, else the first one).
    pub fn second_factor(&self) -> Option<SecondFactor> {
        let found: Vec<SecondFactor> = self
            .auth
            .iter()
            .enumerate()
            .filter(|(_, e)| SECOND_FACTOR_MODULES.contains(&e.module.as_str()))
            .map(|(i, e)| {
                let why_not = self.why_not_enforced(i);
                SecondFactor {
                    module: e.module.clone(),
                    file: e.file.clone(),
                    line: e.line,
                    enforced: why_not.is_none(),
                    why_not,
                }
            })
            .collect();
        found.iter().find(|f| f.enforced).or(found.first()).cloned()
    }

    /// Does the stack check a password?
    pub fn checks_password(&self) -> bool {
        self.auth
            .iter()
            .any(|e| PASSWORD_MODULES.contains(&e.module.as_str()))
    }

    fn why_not_enforced(&self, m: usize) -> Option<String> {
        let entry = &self.auth[m];
        let control = entry.control.to_ascii_lowercase();
        let mandatory = matches!(control.as_str(), "required" | "requisite")
            || (control.starts_with('[')
                && (control.contains("default=die") || control.contains("default=bad")));
        if !mandatory {
            return Some(format!("its control is {}", entry.control));
        }
        if let Some(arg) = entry.args.iter().find(|a| a.starts_with("nullok")) {
            return Some(format!("{arg}: users without a secret pass without one"));
        }
        for (j, earlier) in self.auth[..m].iter().enumerate() {
            let same_or_outer = earlier.group == 0 || earlier.group == entry.group;
            if !same_or_outer {
                continue;
            }
            let c = earlier.control.to_ascii_lowercase();
            if c == "sufficient" {
                return Some(format!(
                    "{} (sufficient) at {}:{} can end the stack before it",
                    earlier.module, earlier.file, earlier.line
                ));
            }
            if let Some(reach) = max_jump(&c) {
                if j + reach >= m && earlier.group == entry.group {
                    return Some(format!(
                        "{} at {}:{} can jump over it",
                        earlier.module, earlier.file, earlier.line
                    ));
                }
            }
        }
        None
    }
}

/// The longest jump (`value=N`) a bracket control can make.
fn max_jump(control: &str) -> Option<usize> {
    control
        .trim_matches(|c| c == '[' || c == ']')
        .split_whitespace()
        .filter_map(|kv| kv.split_once('=')?.1.parse::<usize>().ok())
        .max()
}

/// Resolves sshd's PAM stack.
pub fn load(fs: &RootFs) -> PamStack {
    let mut stack = PamStack::default();
    let mut next_group = 0;
    stack.present = fs.metadata("/etc/pam.d/sshd").is_some();
    // Linux-PAM runs the `other` service for a service without a file of its own.
    let service = if stack.present { "sshd" } else { "other" };
    add_file(fs, service, 0, 0, &mut next_group, &mut stack, None);
    stack
}

fn add_file(
    fs: &RootFs,
    service: &str,
    group: usize,
    depth: usize,
    next_group: &mut usize,
    stack: &mut PamStack,
    from: Option<(&str, u32)>,
) {
    let path = format!("/etc/pam.d/{}", service.trim_start_matches("/etc/pam.d/"));
    let where_from = |fs: &RootFs| match from {
        Some((f, l)) => format!(" (included from {}:{l})", fs.display(f)),
        None => String::new(),
    };
    if depth > MAX_DEPTH {
        let msg = format!(
            "include depth above {MAX_DEPTH} (a loop?){}",
            where_from(fs)
        );
        stack.diagnostics.push(fs.diag(&path, None, msg));
        return;
    }
    let text = match fs.read(&path) {
        Ok(t) => t,
        Err(ReadError::Missing) if from.is_none() => return,
        Err(e) => {
            let msg = format!("{e}{}", where_from(fs));
            stack.diagnostics.push(fs.diag(&path, None, msg));
            return;
        }
    };
    for (line, raw) in logical_lines(&text) {
        let words = split_words(&raw);
        let Some(first) = words.first() else {
            continue;
        };
        if first == "@include" {
            match words.get(1) {
                Some(name) => add_file(
                    fs,
                    name,
                    group,
                    depth + 1,
                    next_group,
                    stack,
                    Some((&path, line)),
                ),
                None => {
                    stack
                        .diagnostics
                        .push(fs.diag(&path, Some(line), "@include without a file"))
                }
            }
            continue;
        }
        if words.len() < 3 {
            stack.diagnostics.push(fs.diag(
                &path,
                Some(line),
                "malformed PAM line (type control module expected)",
            ));
            continue;
        }
        let kind = first.trim_start_matches('-').to_ascii_lowercase();
        if kind != "auth" {
            continue;
        }
        let control = words[1].clone();
        match control.to_ascii_lowercase().as_str() {
            "include" => add_file(
                fs,
                &words[2],
                group,
                depth + 1,
                next_group,
                stack,
                Some((&path, line)),
            ),
            "substack" => {
                *next_group += 1;
                let sub = *next_group;
                add_file(
                    fs,
                    &words[2],
                    sub,
                    depth + 1,
                    next_group,
                    stack,
                    Some((&path, line)),
                );
            }
            _ => stack.auth.push(PamEntry {
                file: path.clone(),
                line,
                control,
                module: module_name(&words[2]),
                args: words[3..].to_vec(),
                group,
            }),
        }
    }
}

/// `/lib/security/pam_unix.so` → `pam_unix`.
fn module_name(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.strip_suffix(".so").unwrap_or(base).to_string()
}

/// Lines joined across trailing backslashes, comments removed, with their first line.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut current: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let body = match raw.find('#') {
            Some(p) => &raw[..p],
            None => raw,
        };
        let (body, continues) = match body.trim_end().strip_suffix('\\') {
            Some(b) => (b, true),
            None => (body, false),
        };
        let entry = current.get_or_insert_with(|| (line, String::new()));
        entry.1.push(' ');
        entry.1.push_str(body);
        if !continues {
            out.extend(current.take());
        }
    }
    out.extend(current);
    out
}

/// Words of a PAM line; a `[...]` control is one word even with blanks inside.
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let end = if rest.starts_with('[') {
            rest.find(']').map_or(rest.len(), |p| p + 1)
        } else {
            rest.find(char::is_whitespace).unwrap_or(rest.len())
        };
        words.push(rest[..end].to_string());
        rest = rest[end..].trim_start();
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(files: &[(&str, &str)]) -> PamStack {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/pam.d")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("etc/pam.d").join(name), text).unwrap();
        }
        load(&RootFs::new(dir.path(), 1 << 20))
    }

    const COMMON_AUTH: &str = "auth [success=1 default=ignore] pam_unix.so nullok\n\
                               auth requisite pam_deny.so\nauth required pam_permit.so\n";

    #[test]
    fn debian_include_then_required_otp_is_enforced() {
        let s = stack(&[
            ("common-auth", COMMON_AUTH),
            (
                "sshd",
                "@include common-auth\nauth required pam_google_authenticator.so\n",
            ),
        ]);
        assert_eq!(s.auth.len(), 4);
        let f = s.second_factor().unwrap();
        assert!(f.enforced, "{f:?}");
        assert_eq!((f.module.as_str(), f.line), ("pam_google_authenticator", 2));
        assert!(s.checks_password());
    }

    #[test]
    fn sufficient_jumps_nullok_and_optional_defeat_the_second_factor() {
        let cases = [
            "auth sufficient pam_unix.so\nauth required pam_u2f.so\n",
            "auth [success=2 default=ignore] pam_unix.so\nauth requisite pam_deny.so\n\
             auth required pam_oath.so\n",
            "auth required pam_google_authenticator.so nullok\n",
            "auth optional pam_duo.so\n",
        ];
        for text in cases {
            let f = stack(&[("sshd", text)]).second_factor().unwrap();
            assert!(!f.enforced, "{text}");
            assert!(f.why_not.is_some());
        }
    }

    #[test]
    fn substacks_continuations_and_loops() {
        let s = stack(&[
            ("sshd", "auth substack mfa\nauth include loop\n"),
            (
                "mfa",
                "auth sufficient pam_permit.so\nauth \\\n  required pam_u2f.so cue\n",
            ),
            ("loop", "@include loop\n"),
        ]);
        let f = s.second_factor().unwrap();
        // The sufficient module inside the substack ends only the substack, which still
        // skips the security key.
        assert!(!f.enforced);
        assert_eq!(f.line, 2);
        assert!(s.diagnostics.iter().any(|d| d.message.contains("loop")));
    }
}
