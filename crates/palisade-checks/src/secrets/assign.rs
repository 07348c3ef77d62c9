//! `name = value` pairs inside a value: lines of properties, env, INI, YAML and JSON files
//! held in a ConfigMap, and `NAME=value` / `--name=value` words of a command line.

/// One assignment found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Assignment<'t> {
    pub name: &'t str,
    pub value: &'t str,
    /// Byte offset of the value in the scanned text.
    pub offset: usize,
    /// Byte offset of the start of its line in the scanned text.
    pub line: usize,
}

/// Lines longer than this are data (a minified bundle, a certificate), not assignments.
const MAX_LINE: usize = 4096;

/// Every `name = value` / `name: value` assignment in `text`, with a non-empty value.
pub(super) fn assignments(text: &str) -> Vec<Assignment<'_>> {
    let base = text.as_ptr() as usize;
    let at = |s: &str| (s.as_ptr() as usize).saturating_sub(base);
    let mut found = Vec::new();
    for raw in text.lines() {
        let bounds = at(raw);
        let line = raw.trim();
        if line.len() > MAX_LINE || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with('{') || line.contains("\":") {
            // JSON on one line (or a JSON member line): every `"name": "value"` member.
            for (name, value) in json_members(line) {
                found.push(Assignment {
                    name,
                    value,
                    offset: at(value),
                    line: bounds,
                });
            }
        } else if let Some((name, value)) = xml_element(line) {
            found.push(Assignment {
                name,
                value,
                offset: at(value),
                line: bounds,
            });
        } else if let Some((name, value)) = split_assignment(line) {
            found.push(Assignment {
                name,
                value,
                offset: at(value),
                line: bounds,
            });
        } else {
            // A command line: `--name=value` words, and `--name value` pairs.
            let words: Vec<&str> = line.split_whitespace().collect();
            for (i, w) in words.iter().enumerate() {
                let pair = match w.split_once('=') {
                    Some((name, value)) => Some((name, value)),
                    None if w.starts_with("--") => words
                        .get(i + 1)
                        .filter(|next| !next.starts_with('-'))
                        .map(|next| (*w, *next)),
                    None => None,
                };
                if let Some((name, value)) = pair {
                    // `password="x"/>`, `token='y';`: the end of an XML tag or a statement.
                    let value = unquote(value.trim_end_matches(['/', '>', ',', ';']));
                    found.push(Assignment {
                        name: name.trim_start_matches('-'),
                        value,
                        offset: at(value),
                        line: bounds,
                    });
                }
            }
        }
    }
    found.retain(|a| is_identifier(a.name) && !a.value.is_empty());
    found
}

/// `<password>value</password>`: an XML element on one line (Maven `settings.xml`, Tomcat
/// and Java EE descriptors; attributes are `name="value"` words, read as a command line).
fn xml_element(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('<')?;
    let (name, rest) = rest.split_once('>')?;
    let (value, close) = rest.split_once("</")?;
    (close.strip_suffix('>')? == name).then_some((name, value.trim()))
}

/// `key = value`, `key: value`, `key=value` on one line.
fn split_assignment(line: &str) -> Option<(&str, &str)> {
    let eq = line.find('=');
    // `:` separates only when followed by a space (or ends the line), so URLs and times
    // stay whole.
    let colon = line
        .find(": ")
        .or_else(|| line.strip_suffix(':').map(str::len));
    let at = match (eq, colon) {
        (Some(e), Some(c)) => e.min(c),
        (Some(i), None) | (None, Some(i)) => i,
        (None, None) => return None,
    };
    let name = unquote(line.get(..at)?.trim()).trim_start_matches('-');
    let value = line.get(at + 1..)?.trim().trim_end_matches(',').trim();
    if name.contains(char::is_whitespace) {
        return None;
    }
    // `a == b`, `x => y`: code, not an assignment.
    if value.starts_with(['=', '>']) {
        return None;
    }
    Some((name, unquote(value)))
}

/// `"name": "value"` members of a JSON text on one line (string values only).
fn json_members(line: &str) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(colon) = rest.find("\":") {
        let (before, after) = (&rest[..colon], &rest[colon + 2..]);
        let name = before.rfind('"').map(|q| &before[q + 1..]);
        let value = after
            .trim_start()
            .strip_prefix('"')
            .and_then(|v| string_body(v).map(|end| &v[..end]));
        if let (Some(name), Some(value)) = (name, value) {
            found.push((name, value));
        }
        rest = after;
    }
    found
}

/// Length of a JSON string body up to its closing quote (escapes skipped).
fn string_body(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(&str, &str)> {
        assignments(text)
            .into_iter()
            .map(|a| (a.name, a.value))
            .collect()
    }

    #[test]
    fn finds_assignments_in_files_and_command_lines() {
        let text = "# comment\nspring.datasource.password=Fake#Pa55\n\"apiKey\": \"abc\",\nurl: http://x.test:80\nexport TOKEN='t'\n";
        assert_eq!(
            pairs(text),
            [
                ("spring.datasource.password", "Fake#Pa55"),
                ("apiKey", "abc"),
                ("url", "http://x.test:80"),
                ("TOKEN", "t")
            ]
        );
        assert_eq!(
            pairs("--db-password=Fake#Pa55"),
            [("db-password", "Fake#Pa55")]
        );
        assert_eq!(pairs("run --token=abc --verbose"), [("token", "abc")]);
        assert_eq!(
            pairs(r#"{"user": "app", "password": "s\"x", "n": 1}"#),
            [("user", "app"), ("password", r#"s\"x"#)]
        );
        assert_eq!(pairs("if a == b"), Vec::<(&str, &str)>::new());
        assert_eq!(
            pairs("app --db-password hunter2 --verbose"),
            [("db-password", "hunter2")]
        );
        assert_eq!(
            pairs("<server>\n  <password>hunter2</password>\n</server>"),
            [("password", "hunter2")]
        );
        assert_eq!(
            pairs(r#"<user username="admin" password="hunter2"/>"#),
            [("username", "admin"), ("password", "hunter2")]
        );
    }

    #[test]
    fn offsets_point_into_the_text() {
        let text = "a=1\npassword: hunter2\n";
        let found = assignments(text);
        let last = found.last().copied();
        assert_eq!(last.map(|a| &text[a.offset..a.offset + 7]), Some("hunter2"));
    }

    #[test]
    fn odd_text_does_not_panic() {
        for s in ["\":", "\"", "\"a\":\"", "=", ":", "é=é", "\"é\": \"\\"] {
            let _ = assignments(s);
        }
    }
}
