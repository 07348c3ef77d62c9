//! A small YAML writer for generated manifests: block style, keys in the order given, and
//! strings quoted whenever a plain scalar could be read as something else.

/// A YAML value with ordered mappings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Yaml {
    Str(String),
    Int(i64),
    Seq(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    pub(crate) fn str(s: impl Into<String>) -> Yaml {
        Yaml::Str(s.into())
    }

    pub(crate) fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Yaml)>) -> Yaml {
        Yaml::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    fn is_empty_collection(&self) -> bool {
        matches!(self, Yaml::Seq(s) if s.is_empty()) || matches!(self, Yaml::Map(m) if m.is_empty())
    }
}

/// Whether `s` can be written plain and still read back as this same string: only safe
/// characters, and nothing YAML 1.1 or 1.2 would resolve to a number, bool or null.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
    {
        return false;
    }
    if !(first.is_ascii_alphabetic() || first == '/' || first == '_') {
        return false; // digits, signs and dots may start numbers
    }
    const SPECIAL: [&str; 22] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
    ];
    const NULLS: [&str; 4] = ["null", "Null", "NULL", "~"];
    !(SPECIAL.contains(&s) || NULLS.contains(&s) || s.eq_ignore_ascii_case(".inf"))
}

/// A double-quoted scalar. JSON's string escapes are all valid in YAML's double-quoted
/// style, so serde_json does the escaping.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn scalar(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

fn key(k: &str) -> String {
    scalar(k)
}

fn write(out: &mut String, value: &Yaml, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Yaml::Map(entries) => {
            for (k, v) in entries {
                out.push_str(&pad);
                out.push_str(&key(k));
                out.push(':');
                inline_or_block(out, v, indent + 2);
            }
        }
        Yaml::Seq(items) => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                match item {
                    Yaml::Map(entries) if !entries.is_empty() => {
                        // The first entry shares the dash's line.
                        let mut first = true;
                        for (k, v) in entries {
                            if first {
                                out.push(' ');
                                first = false;
                            } else {
                                out.push_str(&" ".repeat(indent + 2));
                            }
                            out.push_str(&key(k));
                            out.push(':');
                            inline_or_block(out, v, indent + 4);
                        }
                    }
                    other => inline_or_block(out, other, indent + 2),
                }
            }
        }
        Yaml::Str(_) | Yaml::Int(_) => {
            out.push_str(&pad);
            inline_or_block(out, value, indent);
        }
    }
}

fn inline_or_block(out: &mut String, v: &Yaml, indent: usize) {
    match v {
        Yaml::Str(s) => {
            out.push(' ');
            out.push_str(&scalar(s));
            out.push('\n');
        }
        Yaml::Int(n) => {
            out.push(' ');
            out.push_str(&n.to_string());
            out.push('\n');
        }
        Yaml::Seq(_) if v.is_empty_collection() => out.push_str(" []\n"),
        Yaml::Map(_) if v.is_empty_collection() => out.push_str(" {}\n"),
        Yaml::Seq(_) => {
            out.push('\n');
            // Sequences inside a mapping sit at the mapping key's column.
            write(out, v, indent.saturating_sub(2));
        }
        Yaml::Map(_) => {
            out.push('\n');
            write(out, v, indent);
        }
    }
}

/// One YAML document (without the `---` separator).
pub(crate) fn document(value: &Yaml) -> String {
    let mut out = String::new();
    write(&mut out, value, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_would_read_as_other_types_are_quoted() {
        for s in [
            "8080", "yes", "on", "null", "", "1.5", "-x", "a b", "a:b", "^/v1$", "~",
        ] {
            assert!(scalar(s).starts_with('"'), "{s}");
        }
        for s in [
            "web",
            "kube-system",
            "app.kubernetes.io/name",
            "TCP",
            "/v1/items",
        ] {
            assert_eq!(scalar(s), s);
        }
    }

    #[test]
    fn nesting_is_block_style() {
        let v = Yaml::map([
            (
                "a",
                Yaml::Seq(vec![Yaml::map([
                    ("b", Yaml::Int(1)),
                    ("c", Yaml::str("x")),
                ])]),
            ),
            ("d", Yaml::map([("e", Yaml::Seq(vec![Yaml::str("8080")]))])),
            ("f", Yaml::Map(vec![])),
        ]);
        assert_eq!(
            document(&v),
            "a:\n- b: 1\n  c: x\nd:\n  e:\n  - \"8080\"\nf: {}\n"
        );
    }
}
