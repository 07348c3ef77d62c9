//! RFC 822-style "Field: value" paragraphs separated by blank lines, as used by the dpkg
//! database (deb822) and Python core metadata. Continuation lines start with a space or tab.

/// One field; `value` joins continuation lines with `\n` (each trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    pub name: &'a str,
    pub value: String,
    pub line: usize,
}

/// One paragraph, or the reason it was rejected.
#[derive(Debug, Clone)]
pub(crate) struct Stanza<'a> {
    /// 1-based line of the first field.
    pub line: usize,
    pub fields: Vec<Field<'a>>,
    /// The first malformed line, if any: the caller skips the stanza and warns.
    pub error: Option<(usize, String)>,
}

impl Stanza<'_> {
    /// First field called `name`, compared case-insensitively as deb822 and core metadata do.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
    }

    /// Every field called `name`.
    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.fields
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
    }
}

/// Splits `text` into paragraphs. With `first_only`, stops after the first one (core metadata:
/// what follows the headers is the free-form description).
pub(crate) fn parse(text: &str, first_only: bool) -> Vec<Stanza<'_>> {
    let mut out = Vec::new();
    let mut cur: Option<Stanza<'_>> = None;
    for (idx, raw) in text.lines().enumerate() {
        let lineno = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            if let Some(st) = cur.take() {
                out.push(st);
                if first_only {
                    return out;
                }
            }
            continue;
        }
        let st = cur.get_or_insert_with(|| Stanza {
            line: lineno,
            fields: Vec::new(),
            error: None,
        });
        if st.error.is_some() {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            match st.fields.last_mut() {
                Some(f) => {
                    f.value.push('\n');
                    f.value.push_str(line.trim());
                }
                None => st.error = Some((lineno, "continuation line before any field".into())),
            }
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if is_field_name(name) => st.fields.push(Field {
                name,
                value: value.trim().to_string(),
                line: lineno,
            }),
            _ => {
                st.error = Some((
                    lineno,
                    "line is neither `Field: value` nor a continuation".into(),
                ))
            }
        }
    }
    if let Some(st) = cur {
        out.push(st);
    }
    out
}

fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('#')
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_continuations_and_errors() {
        let text = "A: 1\nB: x\n  y\n .\n z\n\n\nbroken line\nC: 2\n\n junk\n";
        let st = parse(text, false);
        assert_eq!(st.len(), 3);
        assert_eq!(st[0].get("a"), Some("1"));
        assert_eq!(st[0].get("B"), Some("x\ny\n.\nz"));
        assert_eq!(st[1].error.as_ref().map(|e| e.0), Some(8));
        assert_eq!(st[2].error.as_ref().map(|e| e.0), Some(11));
        assert_eq!(parse(text, true).len(), 1);
    }
}
