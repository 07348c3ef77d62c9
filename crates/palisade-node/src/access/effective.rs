//! sshd's effective settings for one account. Mirrors OpenSSH servconf.c: the global
//! section is read first-value-wins (`if (*intptr == -1) *intptr = value`); once the user
//! is known (`getpwnamallow` → `parse_server_match_config`), the file is read again with
//! only the applying `Match` blocks active, first value wins among them too, and whatever
//! they set replaces the global value (`copy_set_server_options`). `AllowUsers`,
//! `DenyUsers`, `AllowGroups` and `DenyGroups` accumulate over lines instead.
//!
//! A block that depends on the connection (`Address`, `Host`, ...) cannot be decided here:
//! [`Assume`] says whether to count it (one variant per such block, see
//! [`super::node`]).

use std::collections::BTreeMap;

use serde::Serialize;

use super::pattern::Tri;
use super::sshd_config::SshdConfig;
use super::sshd_match;

/// Keywords whose lines add up rather than first-wins.
const ACCUMULATE: &[&str] = &["allowusers", "denyusers", "allowgroups", "denygroups"];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// File (path in the node).
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

/// One effective value: its words and the line that set it (`None` for sshd's default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Value {
    /// The arguments.
    pub args: Vec<String>,
    /// The line that set it; `None` when sshd's built-in default applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// Which connection-dependent blocks to count as applying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assume {
    /// None of them (the settings every connection gets unless a condition says otherwise).
    Base,
    /// The block with this index (into [`SshdConfig::blocks`]) applies; others do not.
    Block(usize),
}

/// The effective settings for one account under one [`Assume`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effective {
    values: BTreeMap<String, Value>,
}

impl Effective {
    /// The value of a keyword (lowercase), with sshd's default when unset.
    pub fn get(&self, keyword: &str) -> Value {
        if let Some(v) = self.values.get(keyword) {
            return v.clone();
        }
        Value {
            args: default_of(keyword)
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            source: None,
        }
    }

    /// The first word of a keyword's value, lowercase (`yes`, `prohibit-password`).
    pub fn word(&self, keyword: &str) -> String {
        self.get(keyword)
            .args
            .first()
            .map(|w| w.to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// Is a yes/no keyword `yes`?
    pub fn flag(&self, keyword: &str) -> bool {
        self.word(keyword) == "yes"
    }

    /// Do two settings give every account (root or not) the same login? Compares only
    /// the keywords a login depends on, so a variant that changes nothing relevant need not
    /// be computed again.
    pub fn same_for_login(&self, other: &Effective, root: bool) -> bool {
        LOGIN_KEYWORDS
            .iter()
            .filter(|k| root || **k != "permitrootlogin")
            .all(|k| self.get(k).args == other.get(k).args)
    }

    /// Was the keyword set by a line (not defaulted)?
    pub fn is_set(&self, keyword: &str) -> bool {
        self.values.contains_key(keyword)
    }
}

/// The keywords a login depends on.
const LOGIN_KEYWORDS: &[&str] = &[
    "permitrootlogin",
    "pubkeyauthentication",
    "passwordauthentication",
    "kbdinteractiveauthentication",
    "usepam",
    "authenticationmethods",
    "permitemptypasswords",
    "authorizedkeysfile",
    "authorizedkeyscommand",
    "strictmodes",
    "allowusers",
    "denyusers",
    "allowgroups",
    "denygroups",
];

/// sshd's built-in defaults (OpenSSH 7.0 and later, `fill_default_server_options`).
pub fn default_of(keyword: &str) -> &'static str {
    match keyword {
        "permitrootlogin" => "prohibit-password",
        "passwordauthentication" => "yes",
        "kbdinteractiveauthentication" => "yes",
        "pubkeyauthentication" => "yes",
        "usepam" => "no",
        "permitemptypasswords" => "no",
        "authorizedkeysfile" => ".ssh/authorized_keys .ssh/authorized_keys2",
        "authenticationmethods" => "any",
        "port" => "22",
        "strictmodes" => "yes",
        _ => "",
    }
}

/// Does a block (with its enclosing blocks) apply to the account under `assume`?
/// A connection-dependent block counts when it is the assumed one or encloses it.
fn block_applies(chain: &[usize], answers: &[Tri], assume: Assume) -> bool {
    chain.iter().all(|&b| match answers.get(b) {
        Some(Tri::Yes) => true,
        Some(Tri::Maybe) => matches!(assume, Assume::Block(k) if chain.contains(&k)),
        _ => false,
    })
}

/// How each `Match` block answers for this account.
pub fn block_answers(cfg: &SshdConfig, user: &str, groups: &[String]) -> Vec<Tri> {
    cfg.blocks
        .iter()
        .map(|b| sshd_match::evaluate(&b.criteria, user, groups))
        .collect()
}

/// The effective settings for an account whose blocks answered `answers`.
pub fn evaluate(cfg: &SshdConfig, answers: &[Tri], assume: Assume) -> Effective {
    let global = pass(cfg, |d| d.blocks.is_empty());
    let matched = pass(cfg, |d| {
        !d.blocks.is_empty() && block_applies(&d.blocks, answers, assume)
    });
    let mut values = global;
    // copy_set_server_options: what the Match pass set replaces the global value.
    values.extend(matched);
    Effective { values }
}

fn pass(
    cfg: &SshdConfig,
    active: impl Fn(&super::sshd_config::Directive) -> bool,
) -> BTreeMap<String, Value> {
    let mut values: BTreeMap<String, Value> = BTreeMap::new();
    for d in cfg.directives.iter().filter(|d| active(d)) {
        let source = Some(Source {
            file: d.file.clone(),
            line: d.line,
        });
        if ACCUMULATE.contains(&d.keyword.as_str()) {
            let entry = values.entry(d.keyword.clone()).or_insert(Value {
                args: Vec::new(),
                source,
            });
            entry.args.extend(d.args.iter().cloned());
        } else {
            values.entry(d.keyword.clone()).or_insert(Value {
                args: d.args.clone(),
                source,
            });
        }
    }
    values
}

/// The indices of the blocks that answered `Maybe` and set something (each gives one
/// conditional variant).
pub fn conditional_blocks(cfg: &SshdConfig, answers: &[Tri]) -> Vec<usize> {
    let mut out: Vec<usize> = cfg
        .directives
        .iter()
        .filter_map(|d| {
            let maybe = d
                .blocks
                .iter()
                .rev()
                .find(|&&b| answers.get(b) == Some(&Tri::Maybe))?;
            let others_ok = d
                .blocks
                .iter()
                .all(|b| matches!(answers.get(*b), Some(Tri::Yes) | Some(Tri::Maybe)));
            others_ok.then_some(*maybe)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::rootfs::RootFs;
    use crate::access::sshd_config::parse_text;

    fn effective(text: &str, user: &str, groups: &[&str], assume: Assume) -> Effective {
        let fs = RootFs::new(std::path::Path::new("/nonexistent"), 1 << 20);
        let cfg = parse_text(&fs, "/etc/ssh/sshd_config", text);
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        let answers = block_answers(&cfg, user, &groups);
        evaluate(&cfg, &answers, assume)
    }

    #[test]
    fn first_value_wins_and_defaults_fill_the_rest() {
        let e = effective(
            "PermitRootLogin no\nPermitRootLogin yes\n",
            "root",
            &[],
            Assume::Base,
        );
        assert_eq!(e.word("permitrootlogin"), "no");
        assert_eq!(e.get("permitrootlogin").source.unwrap().line, 1);
        assert_eq!(e.word("passwordauthentication"), "yes");
        assert!(e.get("passwordauthentication").source.is_none());
    }

    #[test]
    fn match_blocks_override_the_global_value_first_block_first() {
        let text = "PasswordAuthentication no\n\
                    Match User alice\n  PasswordAuthentication yes\n\
                    Match Group ops\n  PasswordAuthentication no\n  PermitRootLogin no\n";
        let alice = effective(text, "alice", &["ops"], Assume::Base);
        assert!(alice.flag("passwordauthentication"));
        assert_eq!(alice.word("permitrootlogin"), "no");
        let bob = effective(text, "bob", &["bob"], Assume::Base);
        assert!(!bob.flag("passwordauthentication"));
        assert_eq!(bob.word("permitrootlogin"), "prohibit-password");
    }

    #[test]
    fn lists_accumulate_and_aliases_fold() {
        let text = "AllowUsers a b\nAllowUsers c\nChallengeResponseAuthentication no\n\
                    KbdInteractiveAuthentication yes\n";
        let e = effective(text, "a", &[], Assume::Base);
        assert_eq!(e.get("allowusers").args, vec!["a", "b", "c"]);
        assert!(!e.flag("kbdinteractiveauthentication"));
    }

    #[test]
    fn connection_blocks_count_only_when_assumed() {
        let text = "PermitRootLogin no\nMatch Address 10.0.0.0/8\n PermitRootLogin yes\n";
        let fs = RootFs::new(std::path::Path::new("/nonexistent"), 1 << 20);
        let cfg = parse_text(&fs, "/etc/ssh/sshd_config", text);
        let answers = block_answers(&cfg, "root", &[]);
        assert_eq!(conditional_blocks(&cfg, &answers), vec![0]);
        assert_eq!(
            evaluate(&cfg, &answers, Assume::Base).word("permitrootlogin"),
            "no"
        );
        assert_eq!(
            evaluate(&cfg, &answers, Assume::Block(0)).word("permitrootlogin"),
            "yes"
        );
    }
}
