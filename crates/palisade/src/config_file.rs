//! Reading `palisade.yaml` for a command: parse errors and rule ids the command does not
//! know are reported all at once, with file:line.

use std::path::Path;

use anyhow::{bail, Context};
use palisade_core::Config;

/// Reads and parses the config file at `path`; `known(id)` says which rule ids the command
/// can report (a setting or exception naming any other id is an error, not ignored).
pub fn load(path: &Path, known: impl Fn(&str) -> bool) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let config = Config::parse(&path.display().to_string(), &text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("invalid config:\n{}", lines.join("\n"))
    })?;
    let unknown = config.check_rule_ids(known);
    if !unknown.is_empty() {
        bail!("invalid config:\n{}", unknown.join("\n"));
    }
    Ok(config)
}
