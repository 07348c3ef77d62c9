//! From physical lines to raw instructions: parser directives, comments, line
//! continuations and heredoc bodies, as BuildKit reads them.

use super::text::Text;
use super::Directive;
use crate::yaml::Pos;

/// One instruction as written: its keyword, the rest of its logical line, and the bodies of
/// its heredocs. Nothing is interpreted yet.
#[derive(Debug)]
pub(super) struct RawInstruction {
    pub keyword: String,
    pub pos: Pos,
    pub end_line: u32,
    /// Everything after the keyword, continuations joined.
    pub rest: Text,
    pub heredocs: Vec<RawHeredoc>,
}

/// A heredoc's marker and body.
#[derive(Debug)]
pub(super) struct RawHeredoc {
    pub delimiter: String,
    pub strip_tabs: bool,
    pub quoted: bool,
    pub body: Text,
}

/// A problem met while assembling lines.
#[derive(Debug)]
pub(super) struct LineError {
    pub pos: Pos,
    pub message: String,
}

/// What the line pass produced.
#[derive(Debug, Default)]
pub(super) struct Lines {
    pub directives: Vec<Directive>,
    pub escape: char,
    pub instructions: Vec<RawInstruction>,
    pub errors: Vec<LineError>,
    /// Set when `max_instructions` stopped the pass.
    pub truncated: bool,
}

/// Instructions whose shell form may carry heredocs (BuildKit's Dockerfile frontend 1.4+).
const HEREDOC_KEYWORDS: [&str; 3] = ["RUN", "COPY", "ADD"];

fn line_no(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

fn chars(s: &str) -> u32 {
    u32::try_from(s.chars().count()).unwrap_or(u32::MAX)
}

/// Splits the text into raw instructions.
pub(super) fn split(text: &str, max_instructions: usize) -> Lines {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut out = Lines {
        escape: '\\',
        ..Lines::default()
    };
    let mut i = directives(&lines, &mut out);
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        if out.instructions.len() >= max_instructions {
            out.truncated = true;
            break;
        }
        let indent = &line[..line.len() - trimmed.len()];
        let pos = Pos::new(line_no(i), chars(indent) + 1);
        let keyword_len = trimmed
            .find(|c: char| c.is_whitespace())
            .unwrap_or(trimmed.len());
        let keyword = &trimmed[..keyword_len];
        let after = &trimmed[keyword_len..];
        let rest_col = pos.col + chars(keyword);
        let mut content = after;
        let mut at = Pos::new(pos.line, rest_col);
        // `RUN\` at the end of a line: the keyword itself is continued.
        let keyword = match keyword.strip_suffix(out.escape) {
            Some(k) if after.trim().is_empty() => {
                content = &trimmed[k.len()..];
                at = Pos::new(pos.line, pos.col + chars(k));
                k
            }
            _ => keyword,
        };
        let mut rest = Text::new();
        let end = loop {
            match strip_continuation(content, out.escape) {
                Some(kept) => {
                    rest.push(kept, at);
                    match next_continued(&lines, i) {
                        Some(j) => {
                            i = j;
                            content = lines[j];
                            at = Pos::new(line_no(j), 1);
                        }
                        None => break lines.len(),
                    }
                }
                None => {
                    rest.push(content, at);
                    break i + 1;
                }
            }
        };
        let mut raw = RawInstruction {
            keyword: keyword.to_string(),
            pos,
            end_line: line_no(end.saturating_sub(1)),
            rest,
            heredocs: Vec::new(),
        };
        i = end;
        // The exec form needs no exception: its strings are quoted, and quoted `<<` is text.
        if HEREDOC_KEYWORDS
            .iter()
            .any(|k| raw.keyword.eq_ignore_ascii_case(k))
        {
            match heredocs(&lines, i, &raw.rest, out.escape) {
                Ok((docs, next)) => {
                    if next > i {
                        raw.end_line = line_no(next - 1);
                    }
                    raw.heredocs = docs;
                    i = next;
                }
                Err((err, next)) => {
                    out.errors.push(err);
                    i = next;
                    continue;
                }
            }
        }
        out.instructions.push(raw);
    }
    out
}

/// The next line that continues an instruction, skipping the empty and comment lines
/// BuildKit skips inside continuations; `None` at the end of the file.
fn next_continued(lines: &[&str], i: usize) -> Option<usize> {
    (i + 1..lines.len()).find(|&j| {
        let t = lines[j].trim_start();
        !(t.is_empty() || t.starts_with('#'))
    })
}

/// The line without its trailing escape (and the blanks after it), when it ends with one.
fn strip_continuation(line: &str, escape: char) -> Option<&str> {
    line.trim_end_matches([' ', '\t']).strip_suffix(escape)
}

/// Parser directives: `# key=value` lines at the very top. The first line that is not one
/// (an instruction, an empty line, a plain comment, an unknown key) ends them. Returns the
/// index of the first line after them.
fn directives(lines: &[&str], out: &mut Lines) -> usize {
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        let Some((key, value)) = directive(line) else {
            break;
        };
        let lower = key.to_ascii_lowercase();
        if !matches!(lower.as_str(), "syntax" | "escape" | "check") {
            break;
        }
        let pos = Pos::new(line_no(i), 1);
        if out.directives.iter().any(|d| d.name == lower) {
            out.errors.push(LineError {
                pos,
                message: format!("parser directive `{lower}` given twice; only one is allowed"),
            });
        } else if lower == "escape" {
            match value {
                "\\" => out.escape = '\\',
                "`" => out.escape = '`',
                other => out.errors.push(LineError {
                    pos,
                    message: format!(
                        "invalid escape directive `{other}`: it must be a backslash or a backtick"
                    ),
                }),
            }
        }
        out.directives.push(Directive {
            name: lower,
            value: value.to_string(),
            line: line_no(i),
        });
        i += 1;
    }
    i
}

/// `# key = value` → (`key`, `value`).
fn directive(line: &str) -> Option<(&str, &str)> {
    let body = line.trim_start().strip_prefix('#')?;
    let (key, value) = body.split_once('=')?;
    let key = key.trim();
    let value = value.trim();
    let ok = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && key.chars().all(|c| c.is_ascii_alphanumeric())
        && !value.is_empty();
    ok.then_some((key, value))
}

/// A heredoc marker found in an instruction's logical line.
struct Marker {
    offset: usize,
    delimiter: String,
    strip_tabs: bool,
    quoted: bool,
}

/// Finds `<<WORD`, `<<-WORD`, `<<"WORD"` and `<<'WORD'` outside quotes (`<<<` is a
/// here-string, and `1<<3` is arithmetic: delimiters start with a letter or `_`).
fn markers(rest: &str, escape: char) -> Vec<Marker> {
    let mut found = Vec::new();
    let mut quote: Option<char> = None;
    let mut iter = rest.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == escape => {
                iter.next();
            }
            Some(_) => {}
            None if c == escape => {
                iter.next();
            }
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '<' && rest[i..].starts_with("<<<") => {
                iter.next();
                iter.next();
            }
            None if c == '<' && rest[i..].starts_with("<<") => {
                if let Some((m, len)) = marker_at(&rest[i + 2..]) {
                    found.push(Marker { offset: i, ..m });
                    for _ in 0..len + 1 {
                        iter.next();
                    }
                } else {
                    iter.next();
                }
            }
            None => {}
        }
    }
    found
}

/// Parses what follows `<<`; returns the marker and the bytes it took.
fn marker_at(s: &str) -> Option<(Marker, usize)> {
    let mut taken = 0;
    let strip_tabs = s.starts_with('-');
    if strip_tabs {
        taken += 1;
    }
    let open = s[taken..]
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'');
    if open.is_some() {
        taken += 1;
    }
    let word_len = s[taken..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .unwrap_or(s.len() - taken);
    let word = &s[taken..taken + word_len];
    if !word
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
    {
        return None;
    }
    taken += word_len;
    if let Some(q) = open {
        if !s[taken..].starts_with(q) {
            return None;
        }
        taken += 1;
    }
    Some((
        Marker {
            offset: 0,
            delimiter: word.to_string(),
            strip_tabs,
            quoted: open.is_some(),
        },
        taken,
    ))
}

/// Reads the bodies of an instruction's heredocs, in marker order, from line `start` on.
/// Returns them and the index of the line after the last terminator, or an error and where
/// to resume when a body is never terminated.
#[allow(clippy::type_complexity)]
fn heredocs(
    lines: &[&str],
    start: usize,
    rest: &Text,
    escape: char,
) -> Result<(Vec<RawHeredoc>, usize), (LineError, usize)> {
    let mut docs = Vec::new();
    let mut i = start;
    for m in markers(rest.as_str(), escape) {
        let mut body = Text::new();
        let opened = i;
        let mut closed = false;
        while let Some(line) = lines.get(i) {
            i += 1;
            let cmp = if m.strip_tabs {
                line.trim_start_matches('\t')
            } else {
                line
            };
            if cmp == m.delimiter {
                closed = true;
                break;
            }
            let stripped = if m.strip_tabs {
                line.trim_start_matches('\t')
            } else {
                line
            };
            let col = chars(&line[..line.len() - stripped.len()]) + 1;
            body.push(stripped, Pos::new(line_no(i - 1), col));
            body.push_synthetic("\n");
        }
        if !closed {
            return Err((
                LineError {
                    pos: rest.pos_at(m.offset),
                    message: format!(
                        "heredoc `<<{}` is never closed: no line `{}` after line {}",
                        m.delimiter,
                        m.delimiter,
                        line_no(opened.saturating_sub(1))
                    ),
                },
                lines.len(),
            ));
        }
        docs.push(RawHeredoc {
            delimiter: m.delimiter,
            strip_tabs: m.strip_tabs,
            quoted: m.quoted,
            body,
        });
    }
    Ok((docs, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_str(text: &str) -> Lines {
        split(text, 1000)
    }

    #[test]
    fn continuations_skip_comments_and_blank_lines() {
        let l = split_str(
            "FROM a\nRUN apt-get update \\\n# note\n\n    && apt-get install x\nUSER 1\n",
        );
        assert_eq!(l.instructions.len(), 3);
        let run = &l.instructions[1];
        assert_eq!(
            run.rest.as_str(),
            " apt-get update     && apt-get install x"
        );
        assert_eq!(run.end_line, 5);
        let at = run.rest.as_str().find("&&").unwrap();
        assert_eq!(run.rest.pos_at(at), Pos::new(5, 5));
        assert_eq!(l.instructions[2].pos, Pos::new(6, 1));
    }

    #[test]
    fn escape_directive_switches_to_backtick() {
        let l = split_str("# escape=`\nFROM w\nCOPY a C:\\dir\\\nRUN x `\n  y\n");
        assert_eq!(l.escape, '`');
        assert_eq!(l.instructions.len(), 3);
        assert_eq!(l.instructions[1].rest.as_str(), " a C:\\dir\\");
        assert_eq!(l.instructions[2].rest.as_str(), " x   y");
    }

    #[test]
    fn directives_end_at_the_first_other_line() {
        let l = split_str("# syntax=docker/dockerfile:1\n# hello\n# escape=`\nFROM a\n");
        assert_eq!(l.directives.len(), 1);
        assert_eq!(l.escape, '\\');
        let bad = split_str("# escape=x\nFROM a\n");
        assert_eq!(bad.errors.len(), 1);
    }

    #[test]
    fn heredocs_several_on_one_line_and_dash_form() {
        let text = "FROM a\nCOPY <<one <<-\"two\" /dst/\nfirst\none\n\t\tsecond\n\ttwo\nRUN ok\n";
        let l = split_str(text);
        assert_eq!(l.instructions.len(), 3, "{l:?}");
        let copy = &l.instructions[1];
        assert_eq!(copy.heredocs.len(), 2);
        assert_eq!(copy.heredocs[0].body.as_str(), "first\n");
        assert_eq!(copy.heredocs[1].body.as_str(), "second\n");
        assert!(copy.heredocs[1].quoted && copy.heredocs[1].strip_tabs);
        assert_eq!(copy.heredocs[1].body.pos_at(0), Pos::new(5, 3));
        assert_eq!(copy.end_line, 6);
        assert_eq!(l.instructions[2].pos.line, 7);
    }

    #[test]
    fn heredoc_after_a_test_bracket_and_none_in_exec_form() {
        let l = split_str("FROM a\nRUN [ -f x ] && cat <<EOF > y\nbody\nEOF\nRUN [\"sh\", \"-c\", \"cat <<EOF\"]\n");
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(l.instructions.len(), 3);
        assert_eq!(l.instructions[1].heredocs.len(), 1);
        assert!(l.instructions[2].heredocs.is_empty());
    }

    #[test]
    fn not_heredocs() {
        for rest in [
            " echo '<<EOF'",
            " echo $((1<<3))",
            " cat <<<word",
            " echo \\<<EOF",
        ] {
            assert!(markers(rest, '\\').is_empty(), "{rest}");
        }
    }

    #[test]
    fn unterminated_heredoc_is_an_error() {
        let l = split_str("FROM a\nRUN <<EOF\necho hi\n");
        assert_eq!(l.instructions.len(), 1);
        assert_eq!(l.errors.len(), 1);
        assert_eq!(l.errors[0].pos.line, 2);
    }

    #[test]
    fn continuation_at_end_of_file() {
        let l = split_str("FROM a\nRUN x \\");
        assert_eq!(l.instructions.len(), 2);
        assert_eq!(l.instructions[1].rest.as_str(), " x ");
    }

    #[test]
    fn keyword_with_continuation() {
        let l = split_str("FROM a\nRUN\\\n  echo hi\n");
        assert_eq!(l.instructions[1].keyword, "RUN");
        assert_eq!(l.instructions[1].rest.as_str().trim(), "echo hi");
    }

    #[test]
    fn instruction_limit() {
        let l = split("FROM a\nRUN a\nRUN b\n", 2);
        assert!(l.truncated);
        assert_eq!(l.instructions.len(), 2);
    }
}
