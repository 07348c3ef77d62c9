//! sshd's patterns: `*` and `?` wildcards, comma-separated lists with `!` negation, and
//! `user@host` entries of `AllowUsers`/`DenyUsers`. Mirrors OpenSSH match.c
//! (`match_pattern`, `match_pattern_list`, `match_user`). A host part cannot be judged
//! without a connection, so answers are three-valued.

use palisade_core::glob::Glob;
use serde::Serialize;

/// A three-valued answer: a host or address condition makes it [`Tri::Maybe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tri {
    /// Always.
    Yes,
    /// Never.
    No,
    /// Depending on where the connection comes from (or goes to).
    Maybe,
}

impl Tri {
    /// Conjunction: `No` wins, then `Maybe`.
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Maybe, _) | (_, Tri::Maybe) => Tri::Maybe,
            _ => Tri::Yes,
        }
    }
}

/// `match_pattern`: the whole of `text` matches the wildcard pattern (`*` any run, `?` one
/// character; case-sensitive).
pub fn matches(text: &str, pattern: &str) -> bool {
    Glob::new(pattern).matches(text)
}

/// `match_pattern_list`: a comma-separated list where `!pat` excludes. `Some(true)` for a
/// positive match, `Some(false)` when a negated entry matched (which overrides any positive
/// one), `None` when nothing matched.
pub fn list_matches(text: &str, list: &str) -> Option<bool> {
    let mut positive = false;
    for entry in list.split(',') {
        let (negated, pat) = match entry.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, entry),
        };
        if matches(text, pat) {
            if negated {
                return Some(false);
            }
            positive = true;
        }
    }
    positive.then_some(true)
}

/// Does a comma-separated pattern list (`Match User`) accept `text`?
pub fn list_accepts(text: &str, list: &str) -> bool {
    list_matches(text, list) == Some(true)
}

/// `match_user` for one `AllowUsers`/`DenyUsers` entry (`USER` or `USER@HOST`, where HOST
/// is a hostname pattern, an address pattern or a CIDR): the host part depends on the
/// client, so it makes the answer `Maybe` unless it is `*`.
pub fn user_entry_matches(user: &str, entry: &str) -> Tri {
    match entry.rsplit_once('@') {
        None => bool_tri(matches(user, entry)),
        Some((user_pat, host_pat)) => {
            if !matches(user, user_pat) {
                Tri::No
            } else if host_pat == "*" {
                Tri::Yes
            } else {
                Tri::Maybe
            }
        }
    }
}

/// `ga_match` for one `AllowGroups`/`DenyGroups` pattern: does any of the groups match?
pub fn any_group_matches(groups: &[String], pattern: &str) -> bool {
    groups.iter().any(|g| matches(g, pattern))
}

fn bool_tri(b: bool) -> Tri {
    if b {
        Tri::Yes
    } else {
        Tri::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_negate_and_wildcards_match() {
        assert!(list_accepts("alice", "bob,al*"));
        assert!(!list_accepts("alice", "al*,!alice"));
        assert!(!list_accepts("alice", "!alice,*"));
        assert!(!list_accepts("carol", "bob"));
        assert!(list_accepts("ops1", "ops?"));
        assert!(!list_accepts("Alice", "alice"));
    }

    #[test]
    fn user_at_host_entries_depend_on_the_client() {
        assert_eq!(user_entry_matches("alice", "alice"), Tri::Yes);
        assert_eq!(user_entry_matches("alice", "a*@10.0.0.0/8"), Tri::Maybe);
        assert_eq!(user_entry_matches("alice", "bob@10.0.0.0/8"), Tri::No);
        assert_eq!(user_entry_matches("alice", "alice@*"), Tri::Yes);
        assert_eq!(Tri::Yes.and(Tri::Maybe), Tri::Maybe);
        assert_eq!(Tri::Maybe.and(Tri::No), Tri::No);
    }
}
