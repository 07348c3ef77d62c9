//! Reading an instruction's arguments: shell-like words, `--flags`, the JSON exec form,
//! `key=value` pairs, and the variable substitution BuildKit applies to `FROM`.

use std::collections::HashMap;

/// A word of an instruction's arguments, quotes and escapes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Word {
    pub text: String,
    /// Byte offset of its first character in the argument text.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

/// Splits on unquoted blanks; quotes group, the escape character escapes one character
/// (inside double quotes too, as the shell does). With `flags_only`, stops after the first
/// word that is not a `--flag` (RUN and CMD need no more).
pub(super) fn words(s: &str, escape: char, flags_only: bool) -> Vec<Word> {
    let mut out = Vec::new();
    let mut rest = s.char_indices().peekable();
    while let Some(&(start, c)) = rest.peek() {
        if c == ' ' || c == '\t' || c == '\n' {
            rest.next();
            continue;
        }
        let mut plain = true;
        let mut quote: Option<char> = None;
        let mut end = s.len();
        // Find the word's end first: most words have no quotes or escapes and are copied
        // in one piece.
        let mut scan = rest.clone();
        while let Some((i, c)) = scan.next() {
            match quote {
                Some(q) if c == q => quote = None,
                Some('"') if c == escape => {
                    scan.next();
                }
                Some(_) => {}
                None if c == ' ' || c == '\t' || c == '\n' => {
                    end = i;
                    break;
                }
                None if c == escape => {
                    plain = false;
                    scan.next();
                }
                None if c == '\'' || c == '"' => {
                    plain = false;
                    quote = Some(c);
                }
                None => {}
            }
        }
        let raw = &s[start..end];
        let text = if plain {
            raw.to_string()
        } else {
            unquote(raw, escape)
        };
        while rest.peek().is_some_and(|&(i, _)| i < end) {
            rest.next();
        }
        let flag = text.starts_with("--");
        out.push(Word { text, start, end });
        if flags_only && !flag {
            break;
        }
    }
    out
}

/// A word's text with quotes and escapes removed.
fn unquote(raw: &str, escape: char) -> String {
    let mut text = String::with_capacity(raw.len());
    let mut quote: Option<char> = None;
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('\'') => text.push(c),
            _ if c == escape => text.extend(chars.next()),
            Some(_) => text.push(c),
            None if c == '\'' || c == '"' => quote = Some(c),
            None => text.push(c),
        }
    }
    text
}

/// The JSON exec form (`["a", "b"]`), when the text is one. BuildKit falls back to the
/// shell form for anything that is not a JSON array of strings, and so do we.
pub(super) fn exec_form(s: &str) -> Option<Vec<String>> {
    let t = s.trim();
    if !t.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(t).ok()
}

/// Leading `--name[=value]` words: the flags, and the byte offset where the arguments
/// proper start.
pub(super) fn leading_flags(words: &[Word], text_len: usize) -> (usize, usize) {
    let count = words
        .iter()
        .take_while(|w| w.text.starts_with("--") && w.text.len() > 2)
        .count();
    let start = words.get(count).map_or(text_len, |w| w.start);
    (count, start)
}

/// `name=value` → (`name`, `Some(value)`); `name` → (`name`, `None`).
pub(super) fn split_pair(word: &str) -> (&str, Option<&str>) {
    match word.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (word, None),
    }
}

/// Expands `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}` and
/// `${NAME+word}` with known values. `None` when a value is not known, i.e. it depends on a
/// build argument with no default.
pub(super) fn expand(s: &str, vars: &HashMap<String, Option<String>>) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    // Bounded: each round consumes at least one byte of `rest`.
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(body) = after.strip_prefix('{') {
            let close = body.find('}')?;
            out.push_str(&braced(&body[..close], vars)?);
            rest = &body[close + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(vars.get(&after[..len])?.as_deref()?);
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Some(out)
}

fn braced(body: &str, vars: &HashMap<String, Option<String>>) -> Option<String> {
    let name_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let (name, op) = body.split_at(name_len);
    // Declared with a default: known. Declared without, or not declared: unknown (a build
    // argument may set it), unless the operator supplies the value.
    let value: Option<&str> = vars.get(name).and_then(|v| v.as_deref());
    let (unset_or_empty, word) = if let Some(w) = op.strip_prefix(":-") {
        (value.is_none_or(str::is_empty), Some(("-", w)))
    } else if let Some(w) = op.strip_prefix('-') {
        (value.is_none(), Some(("-", w)))
    } else if let Some(w) = op.strip_prefix(":+") {
        (value.is_none_or(str::is_empty), Some(("+", w)))
    } else if let Some(w) = op.strip_prefix('+') {
        (value.is_none(), Some(("+", w)))
    } else if op.is_empty() {
        return value.map(str::to_string);
    } else {
        return None;
    };
    match word {
        Some(("-", w)) if unset_or_empty => {
            if value.is_none() && vars.get(name).is_some_and(Option::is_none) {
                // Declared without a default: a build argument decides.
                return None;
            }
            Some(w.to_string())
        }
        Some(("-", _)) => value.map(str::to_string),
        Some(("+", w)) if !unset_or_empty => Some(w.to_string()),
        Some(("+", _)) if value.is_some() => Some(String::new()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        words(s, '\\', false).into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn words_respect_quotes_and_escapes() {
        assert_eq!(
            texts(r#"KEY="a b" other='c d' e\ f"#),
            ["KEY=a b", "other=c d", "e f"]
        );
        let w = words("  --from=x  y", '\\', false);
        assert_eq!((w[0].start, w[0].end), (2, 10));
        assert_eq!(w[1].start, 12);
        assert_eq!(texts("a 'unterminated"), ["a", "unterminated"]);
        assert_eq!(texts("trailing\\"), ["trailing"]);
    }

    #[test]
    fn exec_form_or_shell() {
        assert_eq!(
            exec_form(r#" ["a", "b c"]"#),
            Some(vec!["a".into(), "b c".into()])
        );
        assert_eq!(exec_form("[ -f x ] && y"), None);
        assert_eq!(exec_form("[1, 2]"), None);
    }

    #[test]
    fn expansion_uses_known_defaults_only() {
        let mut vars = HashMap::new();
        vars.insert("V".to_string(), Some("3.12".to_string()));
        vars.insert("OPEN".to_string(), None);
        assert_eq!(expand("python:$V", &vars).as_deref(), Some("python:3.12"));
        assert_eq!(
            expand("python:${V}-slim", &vars).as_deref(),
            Some("python:3.12-slim")
        );
        assert_eq!(expand("${NOPE:-alpine}", &vars).as_deref(), Some("alpine"));
        assert_eq!(expand("${OPEN:-alpine}", &vars), None);
        assert_eq!(expand("${OPEN}", &vars), None);
        assert_eq!(expand("$NOPE", &vars), None);
        assert_eq!(expand("${V:+x}", &vars).as_deref(), Some("x"));
        assert_eq!(expand("${V", &vars), None);
        assert_eq!(expand("a$", &vars).as_deref(), Some("a$"));
    }
}
