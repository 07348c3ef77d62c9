//! Compiling Rego modules into a regorus [`Engine`] and running one rule, with the limits
//! and Gatekeeper built-ins every policy shares.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use palisade_core::{Location, Object};
use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Engine, Value};

/// Bounds on one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock budget of one rule evaluation (regorus's cooperative execution timer);
    /// an evaluation over it fails with a diagnostic, as a policy error.
    pub eval_time: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            eval_time: Duration::from_secs(1),
        }
    }
}

/// One Rego source to compile, with where its text starts in the input.
pub struct Module<'a> {
    /// Name given to regorus (shown in its messages).
    pub name: String,
    /// The Rego text.
    pub text: &'a str,
    /// Reported place of the text's first line (`None`: the text is a file of its own).
    pub first_line: Option<Location>,
}

/// A Rego compile error, placed in the input.
pub struct CompileError {
    /// Where (the module's line when regorus names one).
    pub location: Option<Location>,
    /// What.
    pub message: String,
}

/// A fresh engine with the limits and the Gatekeeper built-in stubs.
pub fn new_engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new();
    engine.set_execution_timer_config(ExecutionTimerConfig {
        limit: limits.eval_time,
        check_interval: NonZeroU32::MIN.saturating_add(255),
    });
    // Gatekeeper adds one built-in, `external_data` (frameworks' `externalDataBuiltin`),
    // which calls out to providers. Palisade calls no providers: using it fails the
    // evaluation with this message, which becomes a diagnostic.
    let stub = |_: Vec<Value>| -> anyhow::Result<Value> {
        Err(anyhow::anyhow!(
            "external_data is not supported: Palisade does not call Gatekeeper external data providers"
        ))
    };
    // Only fails when the name is taken, and this is a fresh engine.
    let _ = engine.add_extension("external_data".into(), 1, Box::new(stub));
    engine
}

/// The deepest nesting of `[` and `{` accepted. regorus' parser backtracks on brackets and
/// takes time exponential in their depth (about 1 s at 16, 24 s at 20; found by the
/// `rego_policy` fuzz target); the Gatekeeper library nests at most 4 deep.
pub const MAX_NESTING: usize = 12;

/// Adds one module, parsed as Rego v1 first and v0 when that fails (as frameworks'
/// `parseModule` does). Returns the package path (`data.k8srequiredlabels`).
pub fn add_module(engine: &mut Engine, module: &Module<'_>) -> Result<String, CompileError> {
    if let Some((line, depth)) = too_deep(module.text) {
        return Err(CompileError {
            location: module.first_line.as_ref().map(|first| Location {
                path: Arc::clone(&first.path),
                line: first.line + line - 1,
                col: 1,
            }),
            message: format!(
                "{}:{line}: brackets nest {depth} deep; at most {MAX_NESTING} are accepted (the Rego parser's time grows exponentially with their depth)",
                module.name
            ),
        });
    }
    engine.set_rego_v0(false);
    if let Ok(package) = engine.add_policy(module.name.clone(), module.text.to_string()) {
        return Ok(package);
    }
    engine.set_rego_v0(true);
    engine
        .add_policy(module.name.clone(), module.text.to_string())
        .map_err(|e| placed(module, &e.to_string()))
}

/// The line (1-based) where `[`/`{` first nest deeper than [`MAX_NESTING`], and how deep,
/// outside strings and comments.
fn too_deep(text: &str) -> Option<(u32, usize)> {
    let (mut depth, mut line) = (0usize, 1u32);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            // A comment runs to the end of the line.
            '#' if chars.by_ref().any(|c| c == '\n') => line += 1,
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '`' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                    }
                    if c == '`' {
                        break;
                    }
                }
            }
            '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some((line, depth));
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Places a regorus message (`name:LINE:COL: ...`) at the module's line in the input.
pub fn placed(module: &Module<'_>, message: &str) -> CompileError {
    let line = message.find(&format!("{}:", module.name)).and_then(|i| {
        let rest = &message[i + module.name.len() + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u32>().ok()
    });
    let location = match (&module.first_line, line) {
        (Some(first), Some(l)) => Some(Location {
            path: Arc::clone(&first.path),
            line: first.line + l.saturating_sub(1),
            col: 1,
        }),
        (Some(first), None) => Some(first.clone()),
        (None, _) => None,
    };
    CompileError {
        location,
        message: first_lines(message, 6),
    }
}

/// The first `n` lines of a (possibly long, source-quoting) message.
pub fn first_lines(message: &str, n: usize) -> String {
    message.lines().take(n).collect::<Vec<_>>().join("\n")
}

/// Where the text of a scalar starts (the loader places a block scalar at its first
/// content line, so Rego line N is this line + N - 1).
pub fn text_start(object: &Object, node: &palisade_core::yaml::Node) -> Location {
    object.location_of(node.pos)
}

/// Converts JSON into a regorus value.
pub fn value(json: &serde_json::Value) -> Value {
    Value::from(json.clone())
}

/// Converts a regorus value into JSON (sets become arrays).
pub fn to_json(value: &Value) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_brackets_are_refused_before_parsing() {
        let deep = format!(
            "package t\n# [[[[\nx := \"[[[[\"\ny := {}1{}\n",
            "[".repeat(13),
            "]".repeat(13)
        );
        assert_eq!(too_deep(&deep), Some((4, 13)));
        let fine = format!("package t\ny := {}1{}\n", "[{".repeat(6), "}]".repeat(6));
        assert_eq!(too_deep(&fine), None);
        let mut engine = new_engine(&Limits::default());
        let module = Module {
            name: "t.rego".into(),
            text: &deep,
            first_line: None,
        };
        let start = std::time::Instant::now();
        let err = add_module(&mut engine, &module)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(err.contains("nest 13 deep"), "{err}");
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }
}
