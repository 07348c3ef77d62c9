//! One node's answer: who can SSH in, and with what. Reads the node's files once, then
//! computes each account's login under the settings every connection gets, and once more
//! for each `Match` block that depends on the connection (`Address`, `Host`, ...), kept
//! when it changes the answer.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::Serialize;

use super::accounts::{self, Account, PasswordState};
use super::authorized_keys::{self, AuthorizedKey};
use super::effective::{self, Assume, Effective, Source};
use super::login::{self, Login, LoginInput};
use super::pam::{self, PamStack, SecondFactor};
use super::pattern::Tri;
use super::rootfs::{Diagnostic, ReadError, RootFs, DEFAULT_MAX_BYTES};
use super::service::{self, SshdStatus};
use super::sshd_config::{self, SshdConfig};

/// How to analyse a node.
#[derive(Debug, Clone)]
pub struct Options {
    /// Largest file read.
    pub max_bytes: u64,
    /// Name of the node (default: /etc/hostname, else the root directory's name).
    pub name: Option<String>,
    /// Do Kubernetes nodes need SSH? When false (the default), sshd running on a node
    /// with Kubernetes configuration is a finding.
    pub ssh_expected_on_kubernetes: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_bytes: DEFAULT_MAX_BYTES,
            name: None,
            ssh_expected_on_kubernetes: false,
        }
    }
}

/// What the node is, as far as SSH needs go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// `control-plane`, `worker`, `kubernetes` (configuration without a clear role), or
    /// `host`.
    pub name: String,
    /// The file that told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Does this role need SSH (per [`Options::ssh_expected_on_kubernetes`])?
    pub needs_ssh: bool,
}

/// One authorized_keys file looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyFile {
    /// Path in the node.
    pub path: String,
    /// Is it there?
    pub exists: bool,
    /// The file or a directory above it that others than its owner can write (sshd's
    /// StrictModes refuses such a file; without StrictModes anyone in the group can add a
    /// key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writable_by_others: Option<String>,
}

/// A login that applies only to some connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionalLogin {
    /// The `Match` criteria.
    pub when: String,
    /// Where the block starts.
    pub source: Source,
    /// The login then.
    pub login: Login,
}

/// One account's access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountAccess {
    /// The account.
    pub account: Account,
    /// Does its shell give a session?
    pub has_shell: bool,
    /// authorized_keys files looked at.
    pub key_files: Vec<KeyFile>,
    /// Keys found (from every file any variant names).
    pub keys: Vec<AuthorizedKey>,
    /// The login every connection gets.
    pub login: Login,
    /// Logins that differ for some connections.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditional: Vec<ConditionalLogin>,
}

impl AccountAccess {
    /// Can it log in, unconditionally or under some condition?
    pub fn can_log_in(&self) -> bool {
        self.login.allowed || self.conditional.iter().any(|c| c.login.allowed)
    }
}

/// The PAM side of a node.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PamSummary {
    /// Was /etc/pam.d/sshd there?
    pub present: bool,
    /// The second-factor module, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_factor: Option<SecondFactor>,
    /// Does the auth stack check a password?
    pub checks_password: bool,
}

/// Everything about SSH access to one node.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeAccess {
    /// Node name.
    pub node: String,
    /// The root directory analysed.
    pub root: String,
    /// What the node is.
    pub role: Role,
    /// Does sshd run?
    pub sshd: SshdStatus,
    /// sshd configuration files read, in order.
    pub config_files: Vec<String>,
    /// The PAM stack.
    pub pam: PamSummary,
    /// Accounts, in /etc/passwd order.
    pub accounts: Vec<AccountAccess>,
    /// Problems met, with file and line.
    pub diagnostics: Vec<Diagnostic>,
    /// The parsed configuration (for findings).
    #[serde(skip)]
    pub config: SshdConfig,
    /// The global settings (no Match block applied), for findings.
    #[serde(skip)]
    pub global: Effective,
}

/// Analyses the node whose filesystem is under `root`.
pub fn analyze(root: &Path, options: &Options) -> NodeAccess {
    let fs = RootFs::new(root, options.max_bytes);
    let mut diagnostics = Vec::new();
    if !root.is_dir() {
        diagnostics.push(fs.diag("/", None, "root directory does not exist"));
    }
    let sshd = service::detect(&fs);
    let config = sshd_config::load(&fs);
    let pam = pam::load(&fs);
    let accts = accounts::load(&fs);
    diagnostics.extend(config.diagnostics.iter().cloned());
    diagnostics.extend(pam.diagnostics.iter().cloned());
    diagnostics.extend(accts.diagnostics.iter().cloned());

    let second = pam.second_factor();
    let mut key_cache = KeyCache::new();
    let mut settings = SettingsCache::new();
    let mut accounts = Vec::new();
    for account in &accts.accounts {
        let access = account_access(
            &fs,
            &config,
            &pam,
            second.as_ref(),
            account,
            &mut key_cache,
            &mut settings,
        );
        accounts.push(access);
    }
    // Each file's problems once, however many accounts share it.
    diagnostics.extend(key_cache.values().flat_map(|(_, _, d)| d.iter().cloned()));
    let no_block = vec![Tri::No; config.blocks.len()];
    let global = effective::evaluate(&config, &no_block, Assume::Base);
    NodeAccess {
        node: node_name(&fs, options),
        root: root.display().to_string(),
        role: role(&fs, options),
        sshd,
        config_files: config.files.clone(),
        pam: PamSummary {
            present: pam.present,
            second_factor: second,
            checks_password: pam.checks_password(),
        },
        accounts,
        diagnostics,
        config,
        global,
    }
}

/// Key files read once per node: what each holds, and its problems.
type KeyCache = BTreeMap<String, (KeyFile, Vec<AuthorizedKey>, Vec<Diagnostic>)>;

/// Settings per way of answering the Match blocks: the base, then one per
/// connection-dependent block.
type SettingsCache = HashMap<Vec<Tri>, Vec<(Option<usize>, Effective)>>;

/// An account nothing was computed for (never happens: there is always a base).
fn empty_access(account: &Account) -> AccountAccess {
    let input = LoginInput {
        account,
        keys: &[],
        second_factor: None,
        pam_password: false,
        shell_problem: None,
    };
    AccountAccess {
        account: account.clone(),
        has_shell: account.has_shell(),
        key_files: Vec::new(),
        keys: Vec::new(),
        login: login::compute(&Effective::default(), &input),
        conditional: Vec::new(),
    }
}

fn account_access(
    fs: &RootFs,
    config: &SshdConfig,
    pam: &PamStack,
    second: Option<&SecondFactor>,
    account: &Account,
    cache: &mut KeyCache,
    settings: &mut SettingsCache,
) -> AccountAccess {
    let answers = effective::block_answers(config, &account.name, &account.groups);
    let shell_problem = shell_problem(fs, account);
    let mut files_seen: Vec<String> = Vec::new();
    let mut keys: Vec<AuthorizedKey> = Vec::new();
    let mut login_under = |e: &Effective| -> Login {
        let mut own = Vec::new();
        // StrictModes (on by default) makes sshd ignore a file others can write.
        let strict = e.word("strictmodes") != "no";
        for f in key_files(e, account) {
            let (file, found, _) = cache
                .entry(f.clone())
                .or_insert_with(|| read_keys(fs, &f, account));
            if !(strict && file.writable_by_others.is_some()) {
                own.extend(found.iter().cloned());
            }
            if !files_seen.contains(&f) {
                files_seen.push(f);
                keys.extend(found.iter().cloned());
            }
        }
        let input = LoginInput {
            account,
            keys: &own,
            second_factor: second,
            pam_password: pam.checks_password(),
            shell_problem: shell_problem.as_deref(),
        };
        let mut l = login::compute(e, &input);
        // Indices refer to the account's full key list.
        l.usable_keys = l
            .usable_keys
            .iter()
            .filter_map(|&i| {
                let k = own.get(i)?;
                keys.iter()
                    .position(|x| x.file == k.file && x.line == k.line)
            })
            .collect();
        l
    };
    // Accounts that answer the Match blocks alike share their settings.
    let variants = settings.entry(answers.clone()).or_insert_with(|| {
        let base = effective::evaluate(config, &answers, Assume::Base);
        let mut all = vec![(None, base)];
        for b in effective::conditional_blocks(config, &answers) {
            all.push((
                Some(b),
                effective::evaluate(config, &answers, Assume::Block(b)),
            ));
        }
        all
    });
    let (base_settings, rest) = match variants.split_first() {
        Some(((_, base), rest)) => (base, rest),
        None => return empty_access(account),
    };
    let base = login_under(base_settings);
    let mut conditional = Vec::new();
    for (b, e) in rest {
        if e.same_for_login(base_settings, account.uid == 0) {
            continue;
        }
        let l = login_under(e);
        let Some(block) = b.and_then(|b| config.blocks.get(b)) else {
            continue;
        };
        if !same_access(&l, &base) {
            conditional.push(ConditionalLogin {
                when: format!("Match {}", block.text),
                source: Source {
                    file: block.file.clone(),
                    line: block.line,
                },
                login: l,
            });
        }
    }
    AccountAccess {
        account: account.clone(),
        has_shell: account.has_shell(),
        key_files: files_seen
            .iter()
            .filter_map(|f| cache.get(f).map(|(k, _, _)| k.clone()))
            .collect(),
        keys,
        login: base,
        conditional,
    }
}

/// `allowed_user`'s shell check (an empty shell is /bin/sh), done only when the root holds
/// a system (`/bin` or `/usr/bin`): a partial tree (a fixture, an extracted /etc) says nothing
/// about shells.
fn shell_problem(fs: &RootFs, account: &Account) -> Option<String> {
    if !fs.is_dir("/bin") && !fs.is_dir("/usr/bin") {
        return None;
    }
    let shell = if account.shell.is_empty() {
        "/bin/sh"
    } else {
        account.shell.as_str()
    };
    match fs.metadata(shell) {
        None => Some(format!("shell {shell} does not exist")),
        Some(m) if !m.is_file() || m.permissions().mode() & 0o111 == 0 => {
            Some(format!("shell {shell} is not executable"))
        }
        Some(_) => None,
    }
}

/// Do two logins give the same access (ignoring where the settings came from)?
fn same_access(a: &Login, b: &Login) -> bool {
    a.allowed == b.allowed
        && a.paths == b.paths
        && a.usable_keys == b.usable_keys
        && a.refused == b.refused
}

/// `expand_authorized_keys`: %h, %u, %U and %% in each AuthorizedKeysFile entry; a relative
/// result is under the home directory; `none` names no file.
pub fn key_files(e: &Effective, account: &Account) -> Vec<String> {
    e.get("authorizedkeysfile")
        .args
        .iter()
        .filter(|f| !f.eq_ignore_ascii_case("none"))
        .map(|f| {
            let mut out = String::new();
            let mut chars = f.chars();
            while let Some(c) = chars.next() {
                if c != '%' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('h') => out.push_str(&account.home),
                    Some('u') => out.push_str(&account.name),
                    Some('U') => out.push_str(&account.uid.to_string()),
                    Some('%') => out.push('%'),
                    Some(other) => {
                        out.push('%');
                        out.push(other);
                    }
                    None => out.push('%'),
                }
            }
            if out.starts_with('/') {
                out
            } else {
                format!("{}/{}", account.home.trim_end_matches('/'), out)
            }
        })
        .collect()
}

fn read_keys(
    fs: &RootFs,
    path: &str,
    account: &Account,
) -> (KeyFile, Vec<AuthorizedKey>, Vec<Diagnostic>) {
    let mut file = KeyFile {
        path: path.to_string(),
        exists: false,
        writable_by_others: None,
    };
    match fs.read(path) {
        Ok(text) => {
            file.exists = true;
            file.writable_by_others = writable_chain(fs, path, &account.home);
            let (keys, diags) = authorized_keys::parse(fs, path, &text);
            (file, keys, diags)
        }
        Err(ReadError::Missing) => (file, Vec::new(), Vec::new()),
        Err(e) => {
            file.exists = true;
            (file, Vec::new(), vec![fs.diag(path, None, e.to_string())])
        }
    }
}

/// The file, or a directory from it up to the home directory, writable by group or others
/// (sshd's `safe_path` walks the same way under StrictModes).
fn writable_chain(fs: &RootFs, path: &str, home: &str) -> Option<String> {
    let mut current = path.to_string();
    loop {
        if let Some(meta) = fs.metadata(&current) {
            let mode = meta.permissions().mode();
            if mode & 0o022 != 0 {
                return Some(format!("{current} is mode {:04o}", mode & 0o7777));
            }
        }
        if current == home.trim_end_matches('/') || current == "/" || current.is_empty() {
            return None;
        }
        current = match current.rsplit_once('/') {
            Some(("", _)) => "/".to_string(),
            Some((parent, _)) => parent.to_string(),
            None => return None,
        };
    }
}

fn node_name(fs: &RootFs, options: &Options) -> String {
    if let Some(n) = &options.name {
        return n.clone();
    }
    if let Ok(h) = fs.read("/etc/hostname") {
        let h = h.trim();
        if !h.is_empty() && h.len() <= 253 && !h.contains(char::is_whitespace) {
            return h.to_string();
        }
    }
    fs.root()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| fs.root().display().to_string())
}

fn role(fs: &RootFs, options: &Options) -> Role {
    let probes = [
        (
            "/etc/kubernetes/manifests/kube-apiserver.yaml",
            "control-plane",
        ),
        ("/etc/rancher/k3s/config.yaml", "kubernetes"),
        ("/var/lib/rancher/k3s/server", "control-plane"),
        ("/etc/kubernetes/kubelet.conf", "worker"),
        ("/var/lib/kubelet/config.yaml", "worker"),
        ("/etc/kubernetes", "kubernetes"),
    ];
    for (path, name) in probes {
        if fs.entry_exists(path) {
            return Role {
                name: name.to_string(),
                evidence: Some(path.to_string()),
                needs_ssh: options.ssh_expected_on_kubernetes,
            };
        }
    }
    Role {
        name: "host".to_string(),
        evidence: None,
        needs_ssh: true,
    }
}

/// Accounts whose password is empty (for the empty-password finding).
pub fn empty_password(account: &Account) -> bool {
    account.password == PasswordState::Empty
}
