//! How one account can log in under one set of effective sshd settings: whether sshd lets
//! it try at all (OpenSSH auth.c `allowed_user`: locked accounts without PAM, DenyUsers,
//! AllowUsers, DenyGroups, AllowGroups, in that order), which methods work for it
//! (`PermitRootLogin` per method as `auth_root_allowed`; keys; a usable password; PAM's
//! keyboard-interactive), and which combinations `AuthenticationMethods` demands
//! (auth2.c `auth2_update_methods_lists`). Each way in is a [`LoginPath`] with the factors
//! it takes; a login is multi-factor when every path takes two different kinds.

use serde::Serialize;

use super::accounts::{Account, PasswordState};
use super::authorized_keys::AuthorizedKey;
use super::effective::{Effective, Source};
use super::pam::SecondFactor;
use super::pattern::{any_group_matches, user_entry_matches, Tri};

/// An authentication method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// A key in authorized_keys.
    Publickey,
    /// The account's password (checked by sshd, or by PAM's auth stack).
    Password,
    /// PAM's conversation (password and/or one-time code).
    KeyboardInteractive,
}

impl Method {
    /// sshd's name of the method.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publickey => "publickey",
            Method::Password => "password",
            Method::KeyboardInteractive => "keyboard-interactive",
        }
    }
}

/// A kind of authentication factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Factor {
    /// Possession of a private key.
    Key,
    /// Knowledge of a password (or none, for an empty one).
    Password,
    /// A one-time code or security key asked by PAM.
    SecondFactor,
}

/// One way in: the methods that must all succeed, and the factors they take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginPath {
    /// Methods, in order.
    pub methods: Vec<Method>,
    /// Distinct factors.
    pub factors: Vec<Factor>,
    /// Two different kinds of factor?
    pub mfa: bool,
}

/// How an account can log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Login {
    /// Can it log in at all?
    pub allowed: bool,
    /// Why not, when sshd refuses the account before any method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Conditions on the client that limit it (AllowUsers `user@host` entries, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// Logging in as root (uid 0)?
    pub root: bool,
    /// The ways in.
    pub paths: Vec<LoginPath>,
    /// Is every way in multi-factor (and there is one)?
    pub mfa: bool,
    /// Keys that work (indices into the account's keys).
    pub usable_keys: Vec<usize>,
    /// Keys may also come from `AuthorizedKeysCommand` (not analysed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_command: Option<String>,
    /// The settings that decided it, with their lines.
    pub settings: Vec<Setting>,
}

/// One setting that decided a login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// Keyword (sshd's spelling).
    pub keyword: &'static str,
    /// Value.
    pub value: String,
    /// The line, or none for sshd's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// What the login computation needs besides the settings.
pub struct LoginInput<'a> {
    /// The account.
    pub account: &'a Account,
    /// Its keys (from the files the settings name).
    pub keys: &'a [AuthorizedKey],
    /// The PAM stack's second factor.
    pub second_factor: Option<&'a SecondFactor>,
    /// Does the PAM stack check a password?
    pub pam_password: bool,
    /// Why the login shell is unusable (missing or not executable), when the image shows it.
    pub shell_problem: Option<&'a str>,
}

const SHOWN: &[(&str, &str)] = &[
    ("permitrootlogin", "PermitRootLogin"),
    ("pubkeyauthentication", "PubkeyAuthentication"),
    ("passwordauthentication", "PasswordAuthentication"),
    (
        "kbdinteractiveauthentication",
        "KbdInteractiveAuthentication",
    ),
    ("usepam", "UsePAM"),
    ("authenticationmethods", "AuthenticationMethods"),
    ("permitemptypasswords", "PermitEmptyPasswords"),
    ("authorizedkeysfile", "AuthorizedKeysFile"),
];

/// Computes how the account can log in under `e`.
pub fn compute(e: &Effective, input: &LoginInput<'_>) -> Login {
    let account = input.account;
    let root = account.uid == 0;
    let settings = SHOWN
        .iter()
        .map(|(k, name)| {
            let v = e.get(k);
            Setting {
                keyword: name,
                value: v.args.join(" "),
                source: v.source,
            }
        })
        .collect();
    let mut login = Login {
        allowed: false,
        refused: None,
        conditions: Vec::new(),
        root,
        paths: Vec::new(),
        mfa: false,
        usable_keys: Vec::new(),
        keys_command: None,
        settings,
    };
    if let Err(why) = admitted(e, input, &mut login.conditions) {
        login.refused = Some(why);
        return login;
    }
    let permit_root = match e.word("permitrootlogin").as_str() {
        "without-password" => "prohibit-password".to_string(),
        w => w.to_string(),
    };
    if root && permit_root == "no" {
        login.refused = Some("PermitRootLogin no".to_string());
        return login;
    }
    let use_pam = e.flag("usepam");
    let enforced_second = input.second_factor.filter(|f| f.enforced && use_pam);

    // publickey: keys in the files, limited for root by PermitRootLogin.
    if e.flag("pubkeyauthentication") {
        login.usable_keys = input
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| {
                !(root && permit_root == "forced-commands-only" && k.option("command").is_none())
            })
            .map(|(i, _)| i)
            .collect();
        let command = e.get("authorizedkeyscommand").args.join(" ");
        if !command.is_empty() && !command.eq_ignore_ascii_case("none") {
            login.keys_command = Some(command);
        }
    }
    let pubkey = !login.usable_keys.is_empty() || login.keys_command.is_some();

    // password: a password that can match, checked by sshd or PAM; root needs `yes`.
    let password_usable = match account.password {
        PasswordState::Set | PasswordState::Unknown => true,
        PasswordState::Empty => e.flag("permitemptypasswords"),
        PasswordState::Locked | PasswordState::Disabled => false,
    };
    let root_password_ok = !root || permit_root == "yes";
    // With UsePAM, sshd answers every hidden PAM prompt with the password (auth-pam.c
    // `sshpam_passwd_conv`), so a stack that also asks for a code refuses the password
    // method alone.
    let password = e.flag("passwordauthentication")
        && password_usable
        && root_password_ok
        && enforced_second.is_none();

    // keyboard-interactive: on Linux only through PAM.
    let mut kbd_factors = Vec::new();
    if e.flag("kbdinteractiveauthentication") && use_pam && root_password_ok {
        if input.pam_password && password_usable {
            kbd_factors.push(Factor::Password);
        }
        if enforced_second.is_some() {
            kbd_factors.push(Factor::SecondFactor);
        }
    }
    let kbd = !kbd_factors.is_empty();

    let factors_of = |m: Method| -> Vec<Factor> {
        match m {
            Method::Publickey => vec![Factor::Key],
            Method::Password => vec![Factor::Password],
            Method::KeyboardInteractive => kbd_factors.clone(),
        }
    };
    let available = |m: Method| match m {
        Method::Publickey => pubkey,
        Method::Password => password,
        Method::KeyboardInteractive => kbd,
    };
    let lists = e.get("authenticationmethods").args;
    let lists: Vec<Vec<Method>> = if lists.is_empty() || lists[0] == "any" {
        [
            Method::Publickey,
            Method::Password,
            Method::KeyboardInteractive,
        ]
        .into_iter()
        .map(|m| vec![m])
        .collect()
    } else {
        lists
            .iter()
            .filter_map(|list| {
                list.split(',')
                    .map(|m| match m.split(':').next().unwrap_or(m) {
                        "publickey" => Some(Method::Publickey),
                        "password" => Some(Method::Password),
                        "keyboard-interactive" => Some(Method::KeyboardInteractive),
                        // hostbased, gssapi-with-mic: not analysed; the list is left out.
                        _ => None,
                    })
                    .collect::<Option<Vec<Method>>>()
            })
            .collect()
    };
    for methods in lists {
        if !methods.iter().all(|m| available(*m)) {
            continue;
        }
        let mut factors: Vec<Factor> = methods.iter().flat_map(|m| factors_of(*m)).collect();
        factors.sort();
        factors.dedup();
        let mfa = factors.len() >= 2;
        login.paths.push(LoginPath {
            methods,
            factors,
            mfa,
        });
    }
    login.allowed = !login.paths.is_empty();
    login.mfa = login.allowed && login.paths.iter().all(|p| p.mfa);
    login
}

/// `allowed_user`: may the account try at all? Client-dependent entries become conditions.
fn admitted(
    e: &Effective,
    input: &LoginInput<'_>,
    conditions: &mut Vec<String>,
) -> Result<(), String> {
    let account = input.account;
    if !e.flag("usepam") && account.password == PasswordState::Locked {
        return Err("account is locked (password starts with !) and UsePAM is no".to_string());
    }
    // Unless chrooted (ChrootDirectory), sshd refuses an account whose shell is unusable.
    let chroot = e.word("chrootdirectory");
    if chroot.is_empty() || chroot == "none" {
        if let Some(problem) = input.shell_problem {
            return Err(problem.to_string());
        }
    }
    let deny = e.get("denyusers").args;
    for entry in &deny {
        match user_entry_matches(&account.name, entry) {
            Tri::Yes => return Err(format!("DenyUsers {entry}")),
            Tri::Maybe => conditions.push(format!("not from the hosts of DenyUsers {entry}")),
            Tri::No => {}
        }
    }
    let allow = e.get("allowusers").args;
    if !allow.is_empty() {
        let answers: Vec<(Tri, &String)> = allow
            .iter()
            .map(|a| (user_entry_matches(&account.name, a), a))
            .collect();
        if !answers.iter().any(|(t, _)| *t == Tri::Yes) {
            let maybe: Vec<&str> = answers
                .iter()
                .filter(|(t, _)| *t == Tri::Maybe)
                .map(|(_, a)| a.as_str())
                .collect();
            if maybe.is_empty() {
                return Err("not listed in AllowUsers".to_string());
            }
            conditions.push(format!("only as AllowUsers {}", maybe.join(" ")));
        }
    }
    let deny_groups = e.get("denygroups").args;
    if let Some(g) = deny_groups
        .iter()
        .find(|g| any_group_matches(&account.groups, g))
    {
        return Err(format!("a group is in DenyGroups {g}"));
    }
    let allow_groups = e.get("allowgroups").args;
    if !allow_groups.is_empty()
        && !allow_groups
            .iter()
            .any(|g| any_group_matches(&account.groups, g))
    {
        return Err("no group in AllowGroups".to_string());
    }
    Ok(())
}
