//! Command-line flags of a Kubernetes component as the component itself would read them.
//!
//! Kubernetes components parse flags with spf13/pflag, whose rules this mirrors
//! (`FlagSet.Parse` / `parseLongArg`):
//! - `--name=value` and `--name value` both set a flag; a boolean flag never takes the next
//!   argument as its value (`--anonymous-auth false` sets it to *true* and leaves `false` as
//!   a stray argument, which the components reject), only `--name=false` turns it off;
//! - a flag given twice: the last value wins for scalar flags (`stringValue.Set` overwrites),
//!   while string-slice flags accumulate (`stringSliceValue.Set` appends once the flag has
//!   been set), and `--feature-gates` merges its `key=value` pairs (`featureGate.Set`);
//! - `--` ends the flags. etcd parses with Go's `flag` package, which agrees on all of this
//!   for the flags checked here and also accepts a single leading dash.

use palisade_core::Location;

/// Where a flag came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Written in a file, at this place.
    File(Location),
    /// Supplied by the distribution itself (k3s's built-in arguments), with a note.
    Builtin(&'static str),
}

impl Origin {
    /// The place to report: the file place, or `fallback` for built-in values.
    pub fn location_or(&self, fallback: &Location) -> Location {
        match self {
            Origin::File(l) => l.clone(),
            Origin::Builtin(_) => fallback.clone(),
        }
    }

    /// `path:line`, or the built-in note.
    pub fn describe(&self) -> String {
        match self {
            Origin::File(l) => format!("{}:{}", l.path, l.line),
            Origin::Builtin(note) => (*note).to_string(),
        }
    }
}

/// One argument word with its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word.
    pub text: String,
    /// Where it was written.
    pub origin: Origin,
}

/// One use of a flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagUse {
    /// Name without dashes.
    pub name: String,
    /// The value (`true` for a bare boolean flag).
    pub value: String,
    /// Where.
    pub origin: Origin,
}

impl FlagUse {
    /// `--name=value`, as evidence.
    pub fn display(&self) -> String {
        format!("--{}={}", self.name, self.value)
    }
}

/// Something odd in the arguments, worth a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagProblem {
    /// Where.
    pub origin: Origin,
    /// What.
    pub message: String,
}

/// Flags whose value pflag parses as a boolean (`NoOptDefVal = "true"`). Only those that
/// matter to the checks, plus common ones whose misuse would shift the parse.
const BOOL_FLAGS: &[&str] = &[
    "allow-privileged",
    "alsologtostderr",
    "anonymous-auth",
    "authentication-token-webhook",
    "auto-tls",
    "client-cert-auth",
    "enable-aggregator-routing",
    "enable-bootstrap-token-auth",
    "enable-debugging-handlers",
    "enable-pprof",
    "enable-server",
    "fail-swap-on",
    "leader-elect",
    "logtostderr",
    "make-iptables-util-chains",
    "peer-auto-tls",
    "peer-client-cert-auth",
    "profiling",
    "protect-kernel-defaults",
    "rotate-certificates",
    "rotate-server-certificates",
    "service-account-lookup",
    "strict-reconfig-check",
    "use-service-account-credentials",
];

/// Flags registered with `StringSliceVar`: repeated uses accumulate.
const SLICE_FLAGS: &[&str] = &[
    "admission-control",
    "api-audiences",
    "authorization-mode",
    "disable-admission-plugins",
    "enable-admission-plugins",
    "tls-cipher-suites",
];

/// Is this flag a boolean one?
pub fn is_bool_flag(name: &str) -> bool {
    BOOL_FLAGS.contains(&name)
}

/// The flags of one component, in order.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    uses: Vec<FlagUse>,
    /// Stray arguments, repeated scalar flags, flags after `--`.
    pub problems: Vec<FlagProblem>,
}

impl Flags {
    /// Parses argument words (the binary name already removed).
    pub fn parse(tokens: &[Token]) -> Flags {
        let mut flags = Flags::default();
        let mut i = 0;
        while i < tokens.len() {
            let token = &tokens[i];
            i += 1;
            let text = token.text.as_str();
            if text == "--" {
                if i < tokens.len() {
                    flags.problems.push(FlagProblem {
                        origin: token.origin.clone(),
                        message: "arguments after `--` are not flags; the component ignores \
                                  them as flags"
                            .into(),
                    });
                }
                break;
            }
            let Some(body) = text
                .strip_prefix("--")
                .or_else(|| text.strip_prefix('-'))
                .filter(|b| !b.is_empty() && !b.starts_with('-'))
            else {
                flags.problems.push(FlagProblem {
                    origin: token.origin.clone(),
                    message: format!(
                        "stray argument `{text}`: not a flag (a boolean flag never takes a \
                         separate value, write `--name=false`); the component refuses to \
                         start with positional arguments"
                    ),
                });
                continue;
            };
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None if is_bool_flag(body) => (body.to_string(), "true".to_string()),
                None => match tokens.get(i) {
                    Some(next) => {
                        i += 1;
                        (body.to_string(), next.text.clone())
                    }
                    None => {
                        flags.problems.push(FlagProblem {
                            origin: token.origin.clone(),
                            message: format!(
                                "flag `--{body}` needs a value; the component refuses to start"
                            ),
                        });
                        continue;
                    }
                },
            };
            flags.uses.push(FlagUse {
                name,
                value,
                origin: token.origin.clone(),
            });
        }
        flags.note_repeats();
        flags
    }

    /// Adds a use at the end (later than everything parsed), as a distribution's override.
    pub fn push(&mut self, use_: FlagUse) {
        self.uses.push(use_);
    }

    /// Notes flags given more than once (called by [`Flags::parse`]; call it after
    /// [`Flags::push`]ing uses by hand).
    pub fn note_repeats(&mut self) {
        let mut seen: Vec<&str> = Vec::new();
        let mut notes = Vec::new();
        for u in &self.uses {
            if seen.contains(&u.name.as_str()) {
                continue;
            }
            seen.push(&u.name);
            let all: Vec<&FlagUse> = self.uses.iter().filter(|x| x.name == u.name).collect();
            if let [.., last] = all.as_slice() {
                if all.len() < 2 {
                    continue;
                }
                let message = if SLICE_FLAGS.contains(&u.name.as_str()) {
                    format!(
                        "`--{}` is given {} times; the values accumulate (a string-slice flag)",
                        u.name,
                        all.len()
                    )
                } else if u.name == "feature-gates" {
                    format!(
                        "`--feature-gates` is given {} times; the gates are merged, later \
                         ones winning",
                        all.len()
                    )
                } else {
                    format!(
                        "`--{}` is given {} times; the last value (`{}`, {}) wins",
                        u.name,
                        all.len(),
                        last.value,
                        last.origin.describe()
                    )
                };
                notes.push(FlagProblem {
                    origin: last.origin.clone(),
                    message,
                });
            }
        }
        self.problems.extend(notes);
    }

    /// Every use of a flag, in order.
    pub fn all(&self, name: &str) -> impl Iterator<Item = &FlagUse> + '_ {
        let name = name.to_string();
        self.uses.iter().filter(move |u| u.name == name)
    }

    /// The use that decides a scalar flag: the last one.
    pub fn last(&self, name: &str) -> Option<&FlagUse> {
        self.uses.iter().rev().find(|u| u.name == name)
    }

    /// The accumulated items of a string-slice flag (comma lists split, items trimmed),
    /// with the last use for a place to point at.
    pub fn list(&self, name: &str) -> Option<(Vec<String>, &FlagUse)> {
        let last = self.last(name)?;
        let items = self
            .all(name)
            .flat_map(|u| u.value.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        Some((items, last))
    }

    /// A feature gate's value across every `--feature-gates` use (later wins), with the use
    /// that set it. `Err` carries a value that is not a boolean.
    pub fn feature_gate(&self, gate: &str) -> Option<(Result<bool, String>, &FlagUse)> {
        let mut found = None;
        for u in self.all("feature-gates") {
            for pair in u.value.split(',') {
                if let Some((k, v)) = pair.split_once('=') {
                    if k.trim() == gate {
                        found = Some((parse_go_bool(v.trim()).ok_or(v.trim().to_string()), u));
                    }
                }
            }
        }
        found
    }

    /// Every use, in order.
    pub fn uses(&self) -> &[FlagUse] {
        &self.uses
    }

    /// True when no flag was parsed.
    pub fn is_empty(&self) -> bool {
        self.uses.is_empty()
    }
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Splits a command line the way a POSIX shell would for the simple cases systemd unit
/// `ExecStart=` lines and env files use: whitespace separates, single and double quotes
/// group, backslash escapes.
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    in_word = true;
                }
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn toks(words: &[&str]) -> Vec<Token> {
        words
            .iter()
            .enumerate()
            .map(|(i, w)| Token {
                text: w.to_string(),
                origin: Origin::File(Location {
                    path: Arc::from("m.yaml"),
                    line: i as u32 + 1,
                    col: 1,
                }),
            })
            .collect()
    }

    #[test]
    fn both_forms_and_last_wins() {
        let f = Flags::parse(&toks(&[
            "--profiling=true",
            "--audit-log-path",
            "/var/log/a.log",
            "--profiling=false",
        ]));
        assert_eq!(f.last("audit-log-path").unwrap().value, "/var/log/a.log");
        assert_eq!(f.last("profiling").unwrap().value, "false");
        assert!(f
            .problems
            .iter()
            .any(|p| p.message.contains("given 2 times")
                && p.message.contains("last value (`false`")));
    }

    #[test]
    fn a_boolean_flag_never_takes_the_next_word() {
        let f = Flags::parse(&toks(&["--anonymous-auth", "false", "--x=1"]));
        assert_eq!(f.last("anonymous-auth").unwrap().value, "true");
        assert!(f
            .problems
            .iter()
            .any(|p| p.message.contains("stray argument `false`")));
        assert_eq!(f.last("x").unwrap().value, "1");
    }

    #[test]
    fn slices_accumulate_and_gates_merge() {
        let f = Flags::parse(&toks(&[
            "--enable-admission-plugins=NodeRestriction",
            "--enable-admission-plugins",
            "AlwaysPullImages, EventRateLimit",
            "--feature-gates=RotateKubeletServerCertificate=false,A=true",
            "--feature-gates=RotateKubeletServerCertificate=true",
        ]));
        let (items, _) = f.list("enable-admission-plugins").unwrap();
        assert_eq!(
            items,
            ["NodeRestriction", "AlwaysPullImages", "EventRateLimit"]
        );
        assert_eq!(
            f.feature_gate("RotateKubeletServerCertificate").unwrap().0,
            Ok(true)
        );
        assert!(f.problems.iter().any(|p| p.message.contains("accumulate")));
    }

    #[test]
    fn missing_value_and_double_dash() {
        let f = Flags::parse(&toks(&["--a=1", "--", "--b=2"]));
        assert!(f.last("b").is_none());
        let f = Flags::parse(&toks(&["--audit-log-path"]));
        assert!(f.last("audit-log-path").is_none());
        assert!(f.problems[0].message.contains("needs a value"));
    }

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            split_words(r#"--a=1 "--b=x y" '--c=$z' d\ e"#),
            ["--a=1", "--b=x y", "--c=$z", "d e"]
        );
    }
}
