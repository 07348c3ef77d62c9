//! Dockerfiles (and Containerfiles), parsed as BuildKit reads them, positions kept.
//!
//! [`parse`] turns text into a [`Dockerfile`]: parser directives (`# syntax=`, `# escape=`),
//! comments, line continuations (empty and comment lines inside a continuation are
//! skipped), heredocs on `RUN`/`COPY`/`ADD` (`<<EOF`, `<<-EOF`, quoted delimiters, several
//! per line), the JSON exec form, `--flags`, `ENV`/`ARG`/`LABEL` pairs and build stages.
//! A line that cannot be read (an unknown instruction, a heredoc never closed) becomes a
//! [`ParseError`] with its place and the rest of the file is still read. Pure: no I/O.
//!
//! ```
//! use palisade_core::dockerfile::{parse, Keyword, Limits};
//!
//! let text = "FROM python:3.12 AS build\nRUN pip install \\\n    flask\nFROM scratch\nCOPY --from=build /app /app\n";
//! let df = parse(text, &Limits::default());
//! assert!(df.errors.is_empty());
//! assert_eq!(df.stages.len(), 2);
//! assert_eq!(df.stages[0].name.as_deref(), Some("build"));
//! let copy = &df.instructions[3];
//! assert_eq!(copy.keyword, Keyword::Copy);
//! assert_eq!(copy.flag("from"), Some("build"));
//! assert_eq!(copy.pos.line, 5);
//! ```

mod args;
mod lines;
mod text;

use std::collections::HashMap;
use std::sync::Arc;

pub use text::Text;

use crate::finding::Location;
use crate::yaml::Pos;

/// A parser directive from the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-case name (`syntax`, `escape`, `check`).
    pub name: String,
    /// Its value.
    pub value: String,
    /// Its line.
    pub line: u32,
}

/// The instructions of the Dockerfile reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Keyword {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
}

impl Keyword {
    const ALL: [(Keyword, &'static str); 18] = [
        (Keyword::Add, "ADD"),
        (Keyword::Arg, "ARG"),
        (Keyword::Cmd, "CMD"),
        (Keyword::Copy, "COPY"),
        (Keyword::Entrypoint, "ENTRYPOINT"),
        (Keyword::Env, "ENV"),
        (Keyword::Expose, "EXPOSE"),
        (Keyword::From, "FROM"),
        (Keyword::Healthcheck, "HEALTHCHECK"),
        (Keyword::Label, "LABEL"),
        (Keyword::Maintainer, "MAINTAINER"),
        (Keyword::Onbuild, "ONBUILD"),
        (Keyword::Run, "RUN"),
        (Keyword::Shell, "SHELL"),
        (Keyword::Stopsignal, "STOPSIGNAL"),
        (Keyword::User, "USER"),
        (Keyword::Volume, "VOLUME"),
        (Keyword::Workdir, "WORKDIR"),
    ];

    /// The keyword of a word, case-insensitively.
    pub fn parse(word: &str) -> Option<Keyword> {
        Keyword::ALL
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(word))
            .map(|(k, _)| *k)
    }

    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        Keyword::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("", |(_, name)| name)
    }

    /// Instructions whose leading `--name=value` words are flags.
    fn takes_flags(self) -> bool {
        matches!(
            self,
            Keyword::From | Keyword::Run | Keyword::Copy | Keyword::Add | Keyword::Healthcheck
        )
    }
}

/// A `--name[=value]` flag (`--from=build`, `--chmod=644`, `--mount=type=cache,...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Name without the dashes.
    pub name: String,
    /// Value, when given.
    pub value: Option<String>,
    /// Where it is written.
    pub pos: Pos,
}

/// A `key=value` pair of `ENV`, `ARG` or `LABEL` (`ARG name` has no value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The key.
    pub key: String,
    /// The value, quotes removed.
    pub value: Option<String>,
    /// Where the key is written.
    pub pos: Pos,
    /// Where the value starts.
    pub value_pos: Pos,
}

/// A heredoc attached to an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word.
    pub delimiter: String,
    /// `<<-`: leading tabs stripped.
    pub strip_tabs: bool,
    /// The delimiter was quoted (no expansion in the body).
    pub quoted: bool,
    /// The body, each line followed by `\n`, positions kept.
    pub body: Text,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Which instruction.
    pub keyword: Keyword,
    /// Where its keyword is written.
    pub pos: Pos,
    /// Its last line (continuations and heredoc bodies included).
    pub end_line: u32,
    /// Leading flags.
    pub flags: Vec<Flag>,
    /// The arguments after the flags, as written (continuations joined).
    pub args: Text,
    /// The JSON exec form's elements, when the arguments are one.
    pub exec: Option<Vec<String>>,
    /// The arguments split into words, quotes removed (empty for the exec form, and for
    /// RUN, CMD, ENTRYPOINT and SHELL, whose arguments are a script: see `args`).
    pub words: Vec<String>,
    /// Heredocs, in marker order.
    pub heredocs: Vec<Heredoc>,
    /// `ENV`, `ARG` and `LABEL` pairs.
    pub pairs: Vec<Pair>,
    /// The stage it belongs to (`None` for `ARG`s before the first `FROM`).
    pub stage: Option<usize>,
}

impl Instruction {
    /// A flag's value (`Some("")` for a flag given without one).
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_deref().unwrap_or(""))
    }
}

/// One build stage: a `FROM` and the instructions up to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 0-based index.
    pub index: usize,
    /// `AS name`, lower-cased as BuildKit compares it.
    pub name: Option<String>,
    /// The base as written (`python:${V}`).
    pub base: String,
    /// The base after substituting the global `ARG` defaults; `None` when it depends on a
    /// build argument without a default.
    pub resolved: Option<String>,
    /// Index of a preceding stage when the base names one.
    pub base_stage: Option<usize>,
    /// Where the base is written.
    pub base_pos: Pos,
    /// The `FROM` instruction's index.
    pub from: usize,
    /// Indices of its instructions, `FROM` included.
    pub instructions: std::ops::Range<usize>,
}

/// Something that could not be read, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Where.
    pub pos: Pos,
    /// What, and what to do.
    pub message: String,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    /// The path reported to the user (empty until a loader sets it).
    pub path: Arc<str>,
    /// Parser directives.
    pub directives: Vec<Directive>,
    /// The escape character (`\` or `` ` ``).
    pub escape: char,
    /// Every instruction read, in order.
    pub instructions: Vec<Instruction>,
    /// Build stages, in order.
    pub stages: Vec<Stage>,
    /// What could not be read.
    pub errors: Vec<ParseError>,
}

impl Dockerfile {
    /// The reported place of a position in the file.
    pub fn location(&self, pos: Pos) -> Location {
        Location {
            path: Arc::clone(&self.path),
            line: pos.line.max(1),
            col: pos.col.max(1),
        }
    }

    /// The last stage: what `docker build` produces without `--target`.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// A stage's instructions.
    pub fn instructions_of<'a>(&'a self, stage: &Stage) -> &'a [Instruction] {
        self.instructions
            .get(stage.instructions.clone())
            .unwrap_or(&[])
    }
}

/// Bounds on the work one file may cause.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Instructions read before giving up on the rest of the file.
    pub max_instructions: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_instructions: 100_000,
        }
    }
}

/// Parses a Dockerfile's text.
pub fn parse(text: &str, limits: &Limits) -> Dockerfile {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw = lines::split(text, limits.max_instructions);
    let mut df = Dockerfile {
        directives: raw.directives,
        escape: raw.escape,
        ..Dockerfile::default()
    };
    let mut errors: Vec<ParseError> = raw
        .errors
        .into_iter()
        .map(|e| ParseError {
            pos: e.pos,
            message: e.message,
        })
        .collect();
    if raw.truncated {
        errors.push(ParseError {
            pos: raw.instructions.last().map_or(Pos::new(1, 1), |i| {
                Pos::new(i.end_line.saturating_add(1), 1)
            }),
            message: format!(
                "more than {} instructions; the rest of the file is not read",
                limits.max_instructions
            ),
        });
    }
    // Global ARGs (before the first FROM) are what FROM lines may use.
    let mut globals: HashMap<String, Option<String>> = HashMap::new();
    for r in raw.instructions {
        let Some(keyword) = Keyword::parse(&r.keyword) else {
            errors.push(ParseError {
                pos: r.pos,
                message: format!(
                    "unknown instruction `{}`; a Dockerfile line starts with an instruction \
                     (FROM, RUN, COPY, ...), a comment or a continuation",
                    r.keyword
                ),
            });
            continue;
        };
        let stage = df.stages.len().checked_sub(1);
        if stage.is_none() && keyword != Keyword::Arg && keyword != Keyword::From {
            errors.push(ParseError {
                pos: r.pos,
                message: format!(
                    "{} before the first FROM; only ARG may come before FROM",
                    keyword.as_str()
                ),
            });
            continue;
        }
        let ins = instruction(keyword, r, stage, df.escape);
        if keyword == Keyword::Shell && ins.exec.is_none() {
            // The one instruction BuildKit refuses in shell form.
            errors.push(ParseError {
                pos: ins.pos,
                message: "SHELL takes the JSON form (SHELL [\"executable\", \"parameters\"])"
                    .into(),
            });
            continue;
        }
        let index = df.instructions.len();
        if keyword == Keyword::From {
            match from_stage(&ins, index, &df.stages, &globals) {
                Ok(s) => df.stages.push(s),
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            }
            df.instructions.push(Instruction {
                stage: Some(df.stages.len() - 1),
                ..ins
            });
        } else {
            if stage.is_none() {
                for p in &ins.pairs {
                    globals.insert(p.key.clone(), p.value.clone());
                }
            }
            df.instructions.push(ins);
        }
        if let Some(s) = df.stages.last_mut() {
            s.instructions.end = index + 1;
        }
    }
    if df.stages.is_empty() && errors.is_empty() {
        errors.push(ParseError {
            pos: Pos::new(1, 1),
            message: "no FROM instruction: a Dockerfile needs at least one build stage".into(),
        });
    }
    errors.sort_by_key(|e| (e.pos.line, e.pos.col));
    df.errors = errors;
    df
}

fn instruction(
    keyword: Keyword,
    r: lines::RawInstruction,
    stage: Option<usize>,
    escape: char,
) -> Instruction {
    // RUN, CMD and ENTRYPOINT keep their script in `args`; only their flags are split.
    let flags_only = matches!(
        keyword,
        Keyword::Run | Keyword::Cmd | Keyword::Entrypoint | Keyword::Shell
    );
    let all = args::words(r.rest.as_str(), escape, flags_only);
    let (flag_count, args_start) = if keyword.takes_flags() {
        args::leading_flags(&all, r.rest.as_str().len())
    } else {
        (
            0,
            r.rest.as_str().len() - r.rest.as_str().trim_start().len(),
        )
    };
    let flags = all[..flag_count]
        .iter()
        .map(|w| {
            let (name, value) = args::split_pair(&w.text[2..]);
            Flag {
                name: name.to_ascii_lowercase(),
                value: value.map(str::to_string),
                pos: r.rest.pos_at(w.start),
            }
        })
        .collect();
    let text = r.rest.tail(args_start);
    let exec = args::exec_form(text.as_str());
    let words: Vec<args::Word> = if exec.is_some() || flags_only {
        Vec::new()
    } else {
        all.into_iter().skip(flag_count).collect()
    };
    let pairs = match keyword {
        Keyword::Env | Keyword::Label => env_pairs(&words, &r.rest),
        Keyword::Arg => words
            .iter()
            .map(|w| pair(w, &r.rest))
            .collect::<Vec<Pair>>(),
        _ => Vec::new(),
    };
    let heredocs = r
        .heredocs
        .into_iter()
        .map(|h| Heredoc {
            delimiter: h.delimiter,
            strip_tabs: h.strip_tabs,
            quoted: h.quoted,
            body: h.body,
        })
        .collect();
    Instruction {
        keyword,
        pos: r.pos,
        end_line: r.end_line,
        flags,
        exec,
        words: words.into_iter().map(|w| w.text).collect(),
        args: text,
        heredocs,
        pairs,
        stage,
    }
}

fn pair(w: &args::Word, rest: &Text) -> Pair {
    let (key, value) = args::split_pair(&w.text);
    let eq = rest
        .as_str()
        .get(w.start..w.end)
        .and_then(|s| s.find('='))
        .map_or(w.end, |i| w.start + i + 1);
    Pair {
        key: key.to_string(),
        value: value.map(str::to_string),
        pos: rest.pos_at(w.start),
        value_pos: rest.pos_at(eq),
    }
}

/// `ENV k=v k2="v 2"`, or the legacy `ENV key the whole value`.
fn env_pairs(words: &[args::Word], rest: &Text) -> Vec<Pair> {
    match words.first() {
        Some(first) if !first.text.contains('=') => {
            let value: Vec<&str> = words[1..].iter().map(|w| w.text.as_str()).collect();
            vec![Pair {
                key: first.text.clone(),
                value: Some(value.join(" ")),
                pos: rest.pos_at(first.start),
                value_pos: words
                    .get(1)
                    .map_or_else(|| rest.pos_at(first.end), |w| rest.pos_at(w.start)),
            }]
        }
        _ => words.iter().map(|w| pair(w, rest)).collect(),
    }
}

fn from_stage(
    ins: &Instruction,
    index: usize,
    stages: &[Stage],
    globals: &HashMap<String, Option<String>>,
) -> Result<Stage, ParseError> {
    let base = match ins.words.as_slice() {
        [base] => (base, None),
        [base, as_, name] if as_.eq_ignore_ascii_case("as") => (base, Some(name)),
        _ => {
            return Err(ParseError {
                pos: ins.pos,
                message: "FROM takes an image and optionally `AS name` (FROM image [AS name])"
                    .into(),
            })
        }
    };
    let (base, name) = base;
    if let Some(name) = name {
        let lower = name.to_ascii_lowercase();
        if let Some(first) = stages
            .iter()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
        {
            return Err(ParseError {
                pos: ins.pos,
                message: format!(
                    "stage name `{name}` is already used by the stage at line {}; stage names \
                     must be unique",
                    first.base_pos.line
                ),
            });
        }
    }
    let resolved = args::expand(base, globals);
    let lookup = resolved.as_deref().unwrap_or(base).to_ascii_lowercase();
    let base_stage = stages
        .iter()
        .find(|s| s.name.as_deref() == Some(lookup.as_str()))
        .map(|s| s.index);
    Ok(Stage {
        index: stages.len(),
        name: name.map(|n| n.to_ascii_lowercase()),
        base: base.clone(),
        resolved,
        base_stage,
        base_pos: ins.args.pos_at(0),
        from: index,
        instructions: index..index + 1,
    })
}

#[cfg(test)]
mod tests;
