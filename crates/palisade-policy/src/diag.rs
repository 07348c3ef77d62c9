//! [`Diagnostic`]: a policy that could not be loaded or evaluated, with its place. The rest
//! of the policies still load and evaluate.

use std::fmt;

use palisade_core::{LoadError, LoadNote, Location};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Worth knowing; nothing was skipped (a template with only CEL code, an unrecognized
    /// enforcement action).
    Note,
    /// A policy, constraint or evaluation was skipped.
    Error,
}

/// One problem with a policy, a constraint or an evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or note.
    pub level: Level,
    /// Where: the template, constraint, Rego module or judged object, when known.
    pub location: Option<Location>,
    /// What went wrong and what it means.
    pub message: String,
}

impl Diagnostic {
    /// An error at a place.
    pub fn error(location: Option<Location>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Error,
            location,
            message: message.into(),
        }
    }

    /// A note at a place.
    pub fn note(location: Option<Location>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Note,
            location,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Note => "note",
            Level::Error => "error",
        };
        match &self.location {
            Some(l) => write!(f, "{l}: {level}: {}", self.message),
            None => write!(f, "{level}: {}", self.message),
        }
    }
}

/// Diagnostics as a scan reports them: errors with the load errors, notes with the notes
/// (those without a place are put at `policies`).
pub fn into_load_problems(diagnostics: Vec<Diagnostic>) -> (Vec<LoadError>, Vec<LoadNote>) {
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    for d in diagnostics {
        let location = d.location.unwrap_or_else(|| Location {
            path: "policies".into(),
            line: 1,
            col: 1,
        });
        match d.level {
            Level::Error => errors.push(LoadError {
                path: location.path,
                line: Some(location.line),
                col: Some(location.col),
                message: d.message,
            }),
            Level::Note => notes.push(LoadNote {
                location,
                message: d.message,
            }),
        }
    }
    (errors, notes)
}
