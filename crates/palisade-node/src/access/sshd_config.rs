//! Reading sshd's configuration as sshd does (OpenSSH servconf.c:
//! `parse_server_config_depth`, `process_server_config_line_depth`): one directive per line,
//! `Keyword args` or `Keyword=args`, `#` comments, double quotes; `Include` expands globs
//! (relative paths are under /etc/ssh) in lexical order, recursively up to 16 levels, in
//! the context of the enclosing `Match` block; `Match` starts a block that runs until the
//! next `Match` or the end of its file. The result is the flat list of directives, each
//! with the chain of `Match` blocks that must all apply for it to count.

use super::rootfs::{join, Diagnostic, ReadError, RootFs};
use super::sshd_match::{self, Criterion};

/// Where sshd's configuration lives in a node.
pub const SSHD_CONFIG: &str = "/etc/ssh/sshd_config";
/// The directory relative `Include` paths are resolved in (`SSHDIR`).
const SSHDIR: &str = "/etc/ssh";
/// `SERVCONF_MAX_DEPTH`: deeper includes make sshd refuse to start.
const MAX_DEPTH: usize = 16;
/// Files read through `Include`, in all (a guard against hostile trees).
const MAX_FILES: usize = 512;
/// Directory entries considered per glob component.
const MAX_DIR_ENTRIES: usize = 4096;

/// One directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Keyword, lowercase, aliases folded (`challengeresponseauthentication` is
    /// `kbdinteractiveauthentication`).
    pub keyword: String,
    /// Arguments, unquoted.
    pub args: Vec<String>,
    /// File (path in the node).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// Indices into [`SshdConfig::blocks`] of the `Match` blocks that enclose it, outermost
    /// first; empty for the global section.
    pub blocks: Vec<usize>,
}

/// One `Match` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchBlock {
    /// Its criteria (all must hold).
    pub criteria: Vec<Criterion>,
    /// The criteria as written.
    pub text: String,
    /// File (path in the node).
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

/// The configuration as read: directives in the order sshd meets them.
#[derive(Debug, Clone, Default)]
pub struct SshdConfig {
    /// Was the main file there?
    pub present: bool,
    /// Directives, in order.
    pub directives: Vec<Directive>,
    /// `Match` blocks, in order.
    pub blocks: Vec<MatchBlock>,
    /// Files read (paths in the node), in order.
    pub files: Vec<String>,
    /// What could not be read or understood.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads `/etc/ssh/sshd_config` of the node and everything it includes.
pub fn load(fs: &RootFs) -> SshdConfig {
    let mut cfg = SshdConfig::default();
    match fs.read(SSHD_CONFIG) {
        Ok(text) => {
            cfg.present = true;
            cfg.files.push(SSHD_CONFIG.to_string());
            let mut reader = Reader { fs, cfg: &mut cfg };
            reader.parse(SSHD_CONFIG, &text, &[], 0);
        }
        Err(ReadError::Missing) => {}
        Err(e) => cfg
            .diagnostics
            .push(fs.diag(SSHD_CONFIG, None, e.to_string())),
    }
    cfg
}

/// Parses one configuration text alone (no includes read), for tests and tools.
pub fn parse_text(fs: &RootFs, file: &str, text: &str) -> SshdConfig {
    let mut cfg = SshdConfig {
        present: true,
        files: vec![file.to_string()],
        ..SshdConfig::default()
    };
    Reader { fs, cfg: &mut cfg }.parse(file, text, &[], 0);
    cfg
}

struct Reader<'a> {
    fs: &'a RootFs,
    cfg: &'a mut SshdConfig,
}

impl Reader<'_> {
    /// Parses `text` of `file`; `outer` is the chain of blocks enclosing the `Include` that
    /// brought it in (a file's own `Match` lines nest inside it).
    fn parse(&mut self, file: &str, text: &str, outer: &[usize], depth: usize) {
        let mut chain: Vec<usize> = outer.to_vec();
        for (idx, raw) in text.lines().enumerate() {
            let line = u32::try_from(idx + 1).unwrap_or(u32::MAX);
            let Some((keyword, args)) = split_line(raw) else {
                continue;
            };
            let args = match args {
                Ok(a) => a,
                Err(msg) => {
                    self.cfg
                        .diagnostics
                        .push(self.fs.diag(file, Some(line), msg));
                    continue;
                }
            };
            let keyword = fold_alias(&keyword.to_ascii_lowercase());
            match keyword.as_str() {
                "match" => {
                    let (criteria, problems) = sshd_match::parse(&args);
                    for p in problems {
                        self.cfg.diagnostics.push(self.fs.diag(file, Some(line), p));
                    }
                    self.cfg.blocks.push(MatchBlock {
                        criteria,
                        text: args.join(" "),
                        file: file.to_string(),
                        line,
                    });
                    chain = outer.to_vec();
                    chain.push(self.cfg.blocks.len() - 1);
                }
                "include" => self.include(file, line, &args, &chain, depth),
                _ => {
                    if !chain.is_empty() && GLOBAL_ONLY.contains(&keyword.as_str()) {
                        self.cfg.diagnostics.push(self.fs.diag(
                            file,
                            Some(line),
                            format!(
                                "{keyword} is not allowed inside a Match block (sshd refuses \
                                 to start); ignored"
                            ),
                        ));
                        continue;
                    }
                    if args.is_empty() {
                        self.cfg.diagnostics.push(self.fs.diag(
                            file,
                            Some(line),
                            format!("{keyword} has no value (sshd refuses to start)"),
                        ));
                        continue;
                    }
                    if let Some(problem) = invalid_value(&keyword, &args) {
                        self.cfg
                            .diagnostics
                            .push(self.fs.diag(file, Some(line), problem));
                        continue;
                    }
                    self.cfg.directives.push(Directive {
                        keyword,
                        args,
                        file: file.to_string(),
                        line,
                        blocks: chain.clone(),
                    });
                }
            }
        }
    }

    fn include(&mut self, file: &str, line: u32, args: &[String], chain: &[usize], depth: usize) {
        if args.is_empty() {
            self.cfg.diagnostics.push(self.fs.diag(
                file,
                Some(line),
                "Include without a file name (sshd refuses to start)",
            ));
        }
        for arg in args {
            if arg.starts_with('~') {
                self.cfg.diagnostics.push(self.fs.diag(
                    file,
                    Some(line),
                    format!("Include {arg}: home-relative paths are not followed"),
                ));
                continue;
            }
            if depth + 1 > MAX_DEPTH {
                self.cfg.diagnostics.push(self.fs.diag(
                    file,
                    Some(line),
                    format!(
                        "Include {arg}: more than {MAX_DEPTH} nested includes (an include \
                         loop?); sshd refuses to start with this configuration"
                    ),
                ));
                return;
            }
            let pattern = join(SSHDIR, arg);
            for path in expand_glob(self.fs, &pattern) {
                if self.cfg.files.len() >= MAX_FILES {
                    self.cfg.diagnostics.push(self.fs.diag(
                        file,
                        Some(line),
                        format!("more than {MAX_FILES} included files; the rest not read"),
                    ));
                    return;
                }
                match self.fs.read(&path) {
                    Ok(text) => {
                        self.cfg.files.push(path.clone());
                        self.parse(&path, &text, chain, depth + 1);
                    }
                    Err(e) => self.cfg.diagnostics.push(self.fs.diag(
                        &path,
                        None,
                        format!("included from {}:{line}: {e}", self.fs.display(file)),
                    )),
                }
            }
        }
    }
}

/// Keywords sshd rejects inside `Match` (a subset of its `SSHCFG_GLOBAL` keywords: those
/// that matter here or are commonly misplaced).
const GLOBAL_ONLY: &[&str] = &[
    "usepam",
    "port",
    "listenaddress",
    "hostkey",
    "strictmodes",
    "subsystem",
    "ciphers",
    "macs",
    "kexalgorithms",
    "permituserenvironment",
];

/// Values sshd rejects (it then refuses to start) for the keywords access depends on.
fn invalid_value(keyword: &str, args: &[String]) -> Option<String> {
    let first = args.first()?.to_ascii_lowercase();
    let allowed: &[&str] = match keyword {
        "permitrootlogin" => &[
            "yes",
            "no",
            "prohibit-password",
            "without-password",
            "forced-commands-only",
        ],
        "passwordauthentication"
        | "kbdinteractiveauthentication"
        | "pubkeyauthentication"
        | "usepam"
        | "permitemptypasswords"
        | "strictmodes" => &["yes", "no"],
        "authenticationmethods" => {
            let ok = first == "any"
                || args.iter().all(|list| {
                    list.split(',').all(|m| {
                        matches!(
                            m.split(':').next().unwrap_or(m),
                            "publickey"
                                | "password"
                                | "keyboard-interactive"
                                | "hostbased"
                                | "gssapi-with-mic"
                        )
                    })
                });
            return (!ok).then(|| {
                format!(
                    "invalid AuthenticationMethods {} (sshd refuses to start); ignored",
                    args.join(" ")
                )
            });
        }
        _ => return None,
    };
    (!allowed.contains(&first.as_str())).then(|| {
        format!(
            "invalid value {} for {keyword} (sshd refuses to start); ignored",
            args[0]
        )
    })
}

/// Folds the keywords sshd treats as the same option.
fn fold_alias(keyword: &str) -> String {
    match keyword {
        "challengeresponseauthentication" | "skeyauthentication" => {
            "kbdinteractiveauthentication".to_string()
        }
        _ => keyword.to_string(),
    }
}

/// Splits a line into its keyword and arguments; `None` for blank and comment lines.
/// Arguments are split on blanks, honour double quotes, and stop at a word starting with
/// `#` (OpenSSH `argv_split` with comments terminating).
type Split = (String, Result<Vec<String>, String>);

fn split_line(raw: &str) -> Option<Split> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let keyword = line[..end].to_string();
    let mut rest = line[end..].trim_start();
    // One `=` may separate the keyword from its value.
    if let Some(r) = rest.strip_prefix('=') {
        rest = r.trim_start();
    }
    Some((keyword, split_args(rest)))
}

fn split_args(text: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            break;
        };
        if first == '#' {
            break;
        }
        let mut word = String::new();
        if first == '"' {
            chars.next();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                word.push(c);
            }
            if !closed {
                return Err("unterminated quote (sshd refuses to start)".to_string());
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        args.push(word);
    }
    Ok(args)
}

/// Expands a glob(3) pattern (`*`, `?`, `[...]` per path component; hidden names only
/// when the component starts with `.`) inside the node, sorted lexically per directory as
/// glob(3) sorts its results.
pub fn expand_glob(fs: &RootFs, pattern: &str) -> Vec<String> {
    let mut found = vec![String::new()];
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let mut next = Vec::new();
        for base in &found {
            if !has_magic(part) {
                let path = format!("{base}/{part}");
                if last || fs.is_dir(&path) {
                    next.push(path);
                }
                continue;
            }
            let dir = if base.is_empty() { "/" } else { base.as_str() };
            let Ok(names) = fs.list_dir(dir, MAX_DIR_ENTRIES) else {
                continue;
            };
            for name in names {
                if name.starts_with('.') && !part.starts_with('.') {
                    continue;
                }
                if component_matches(&name, part) {
                    let path = format!("{base}/{name}");
                    if last || fs.is_dir(&path) {
                        next.push(path);
                    }
                }
            }
        }
        found = next;
    }
    // A literal path that does not exist is simply skipped by sshd, as is a glob without
    // matches: keep only what is there.
    found.retain(|p| !p.is_empty() && fs.metadata(p).is_some_and(|m| m.is_file()));
    found
}

fn has_magic(part: &str) -> bool {
    part.contains(['*', '?', '['])
}

/// fnmatch(3) for one component: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`.
fn component_matches(name: &str, pattern: &str) -> bool {
    let n: Vec<char> = name.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut ni, mut pi) = (0usize, 0usize);
    let (mut star_p, mut star_n) = (None::<usize>, 0usize);
    while ni < n.len() {
        let step = if pi < p.len() {
            match p[pi] {
                '*' => {
                    star_p = Some(pi);
                    star_n = ni;
                    pi += 1;
                    continue;
                }
                '?' => Some(pi + 1),
                '[' => class_match(&p, pi, n[ni]),
                c => (c == n[ni]).then_some(pi + 1),
            }
        } else {
            None
        };
        match step {
            Some(next) => {
                pi = next;
                ni += 1;
            }
            None => match star_p {
                Some(sp) => {
                    star_n += 1;
                    ni = star_n;
                    pi = sp + 1;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the bracket expression starting at `p[start] == '['`; the index
/// after it on a match. An unclosed `[` matches itself literally.
fn class_match(p: &[char], start: usize, c: char) -> Option<usize> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < p.len() && (p[i] != ']' || first) {
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            hit |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            hit |= p[i] == c;
            i += 1;
        }
    }
    if i >= p.len() {
        return (c == '[').then_some(start + 1);
    }
    (hit != negate).then_some(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_like_sshd() {
        let (k, a) = split_line("  PermitRootLogin=no # why").unwrap();
        assert_eq!(
            (k.as_str(), a.unwrap()),
            ("PermitRootLogin", vec!["no".to_string()])
        );
        let (_, a) = split_line("AuthorizedKeysFile \"/etc/ssh/keys/%u\" .ssh/k").unwrap();
        assert_eq!(a.unwrap(), vec!["/etc/ssh/keys/%u", ".ssh/k"]);
        assert!(split_line("# comment").is_none());
        assert!(split_line("   ").is_none());
        assert!(split_line("Banner \"open").unwrap().1.is_err());
    }

    #[test]
    fn values_sshd_rejects_are_reported() {
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert!(invalid_value("permitrootlogin", &words("maybe")).is_some());
        assert!(invalid_value("permitrootlogin", &words("Without-Password")).is_none());
        assert!(invalid_value("usepam", &words("true")).is_some());
        assert!(invalid_value("authenticationmethods", &words("publickey,otp")).is_some());
        assert!(invalid_value(
            "authenticationmethods",
            &words("publickey,keyboard-interactive:pam password")
        )
        .is_none());
        assert!(invalid_value("banner", &words("whatever")).is_none());
    }

    #[test]
    fn glob_components_match_as_fnmatch() {
        assert!(component_matches("10-a.conf", "*.conf"));
        assert!(!component_matches("10-a.conf.bak", "*.conf"));
        assert!(component_matches("a1", "a[0-9]"));
        assert!(!component_matches("ab", "a[!b]"));
        assert!(component_matches("x", "?"));
        assert!(component_matches("[", "["));
    }
}
