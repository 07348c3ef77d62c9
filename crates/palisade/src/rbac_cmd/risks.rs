//! `palisade rbac risks [PATHS]...`: the risky-permission findings alone (PAL-RBAC-010..026,
//! the same the scan reports), sorted by severity, for a review of RBAC only.

use std::process::ExitCode;

use clap::Args;
use palisade_core::{Config, Finding};
use palisade_rbac::check_policy;
use serde::Serialize;

use super::{Common, Inputs, QueryFormat};
use crate::text_table::TextTable;

/// `palisade rbac risks`.
#[derive(Debug, Args)]
pub struct RisksArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
}

pub fn run(args: &RisksArgs) -> anyhow::Result<ExitCode> {
    let loaded = args.inputs.load();
    let config = Config::default();
    let mut findings = loaded.timed(|| check_policy(&loaded.policy, &loaded.inventory, &config));
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.sort_key().cmp(&b.sort_key()))
    });
    match args.format {
        QueryFormat::Json => super::print_json(&Answer {
            findings: &findings,
            common: loaded.common(),
        })?,
        QueryFormat::Table => {
            let mut text = table(&findings);
            text.push_str(&loaded.table_footer());
            super::print(&text)?;
        }
    }
    Ok(loaded.exit_code())
}

#[derive(Serialize)]
struct Answer<'a> {
    findings: &'a [Finding],
    #[serde(flatten)]
    common: Common<'a>,
}

fn table(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "No risky permission.\n".to_string();
    }
    let mut t = TextTable::new(&["SEVERITY", "RULE", "PLACE", "MESSAGE"]);
    for f in findings {
        t.row(vec![
            f.severity.as_str().to_uppercase(),
            f.rule_id.to_string(),
            super::place(&f.location),
            f.message.to_string(),
        ]);
    }
    let mut out = t.render();
    out.push_str(&format!("\n{} findings\n", findings.len()));
    out
}
