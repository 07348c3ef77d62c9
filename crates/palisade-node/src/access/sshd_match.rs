//! `Match` criteria (OpenSSH servconf.c `match_cfg_line`): `All`, `User`, `Group`, `Host`,
//! `Address`, `LocalAddress`, `LocalPort`, `RDomain`, each followed by a pattern list, all
//! of which must hold. `User` and `Group` are decided per account; the others depend on
//! the connection, so a block that needs them is *conditional* ([`Tri::Maybe`]).

use super::pattern::{list_accepts, list_matches, Tri};

/// One criterion of a `Match` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Criterion {
    /// `Match All`.
    All,
    /// `User LIST`.
    User(String),
    /// `Group LIST`.
    Group(String),
    /// A connection criterion (`Address`, `Host`, `LocalAddress`, `LocalPort`, `RDomain`,
    /// or one this reader does not know): keyword and list.
    Connection(String, String),
}

/// Parses the words after `Match`; problems are returned as messages.
pub fn parse(args: &[String]) -> (Vec<Criterion>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        // `Match user=alice` is accepted by recent sshd as well as `Match user alice`.
        let (key, inline) = match word.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_string())),
            None => (word.to_ascii_lowercase(), None),
        };
        if key == "all" {
            out.push(Criterion::All);
            continue;
        }
        let value = inline.or_else(|| words.next().cloned());
        let Some(value) = value else {
            problems.push(format!(
                "Match {word} has no argument (sshd refuses to start)"
            ));
            break;
        };
        match key.as_str() {
            "user" => out.push(Criterion::User(value)),
            "group" => out.push(Criterion::Group(value)),
            "host" | "address" | "localaddress" | "localport" | "rdomain" => {
                out.push(Criterion::Connection(key, value))
            }
            _ => {
                problems.push(format!(
                    "unknown Match criterion {word}; treated as depending on the connection"
                ));
                out.push(Criterion::Connection(key, value));
            }
        }
    }
    if out.is_empty() && problems.is_empty() {
        problems.push("Match without criteria (sshd refuses to start)".to_string());
        // An empty Match never applies.
        out.push(Criterion::User(String::from("!*")));
    }
    (out, problems)
}

/// Does the block apply to `user` (with all its groups, the primary one included, as
/// `ga_init` collects them)?
pub fn evaluate(criteria: &[Criterion], user: &str, groups: &[String]) -> Tri {
    criteria.iter().fold(Tri::Yes, |acc, c| {
        acc.and(match c {
            Criterion::All => Tri::Yes,
            Criterion::User(list) => bool_tri(list_accepts(user, list)),
            // match_cfg_line → ga_match_pattern_list: a group list matches when one group
            // matches positively and no group hits a negated entry.
            Criterion::Group(list) => {
                let mut positive = false;
                let mut negated = false;
                for g in groups {
                    match list_matches(g, list) {
                        Some(true) => positive = true,
                        Some(false) => negated = true,
                        None => {}
                    }
                }
                bool_tri(positive && !negated)
            }
            Criterion::Connection(_, list) if list == "*" => Tri::Yes,
            Criterion::Connection(..) => Tri::Maybe,
        })
    })
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

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn criteria_are_decided_per_account_or_left_to_the_connection() {
        let groups = vec!["alice".to_string(), "sudo".to_string()];
        let (c, p) = parse(&words("User alice,bob Group sudo"));
        assert!(p.is_empty());
        assert_eq!(evaluate(&c, "alice", &groups), Tri::Yes);
        assert_eq!(evaluate(&c, "carol", &groups), Tri::No);
        let (c, _) = parse(&words("Group !sudo,*"));
        assert_eq!(evaluate(&c, "alice", &groups), Tri::No);
        let (c, _) = parse(&words("user=alice Address 10.0.0.0/8"));
        assert_eq!(evaluate(&c, "alice", &groups), Tri::Maybe);
        assert_eq!(evaluate(&c, "bob", &groups), Tri::No);
        let (c, _) = parse(&words("All"));
        assert_eq!(evaluate(&c, "x", &[]), Tri::Yes);
    }

    #[test]
    fn malformed_match_lines_are_reported() {
        assert!(!parse(&words("User")).1.is_empty());
        let (c, p) = parse(&[]);
        assert!(!p.is_empty());
        assert_eq!(evaluate(&c, "root", &[]), Tri::No);
        let (c, p) = parse(&words("Weird x"));
        assert_eq!(p.len(), 1);
        assert_eq!(evaluate(&c, "root", &[]), Tri::Maybe);
    }
}
