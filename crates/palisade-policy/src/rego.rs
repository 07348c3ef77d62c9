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

/// Adds one module, parsed as Rego v1 first and v0 when that fails (as frameworks'
/// `parseModule` does). Returns the package path (`data.k8srequiredlabels`).
pub fn add_module(engine: &mut Engine, module: &Module<'_>) -> Result<String, CompileError> {
    engine.set_rego_v0(false);
    if let Ok(package) = engine.add_policy(module.name.clone(), module.text.to_string()) {
        return Ok(package);
    }
    engine.set_rego_v0(true);
    engine
        .add_policy(module.name.clone(), module.text.to_string())
        .map_err(|e| placed(module, &e.to_string()))
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
