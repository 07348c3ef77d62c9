//! `palisade rbac access SUBJECT [PATHS]...`: the verb × resource matrix of one subject,
//! cluster-wide and per namespace.

use std::process::ExitCode;

use clap::Args;
use palisade_rbac::{access, AccessEntry, AccessMatrix, AccessTarget};
use serde::Serialize;

use super::{key_text, Common, Inputs, QueryFormat};
use crate::text_table::TextTable;

/// `palisade rbac access`.
#[derive(Debug, Args)]
pub struct AccessArgs {
    /// Who: `user:NAME`, `group:NAME` or `sa:NAMESPACE/NAME`.
    pub subject: String,
    #[command(flatten)]
    pub inputs: Inputs,
    /// Only this namespace (and what holds cluster-wide).
    #[arg(short, long)]
    pub namespace: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
}

/// The verbs given a column of their own; any other verb is listed under OTHER.
const VERBS: [&str; 8] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

pub fn run(args: &AccessArgs) -> anyhow::Result<ExitCode> {
    let subject = super::subject(&args.subject)?;
    let loaded = args.inputs.load();
    let mut matrix = loaded.timed(|| access(&loaded.policy, &subject));
    if let Some(ns) = &args.namespace {
        matrix
            .scopes
            .retain(|s| s.namespace.as_deref().is_none_or(|n| n == ns));
    }
    match args.format {
        QueryFormat::Json => super::print_json(&Answer {
            subject: &args.subject,
            access: &matrix,
            common: loaded.common(),
        })?,
        QueryFormat::Table => {
            let mut text = table(&args.subject, &matrix);
            text.push_str(&loaded.table_footer());
            super::print(&text)?;
        }
    }
    Ok(loaded.exit_code())
}

#[derive(Serialize)]
struct Answer<'a> {
    subject: &'a str,
    access: &'a AccessMatrix,
    #[serde(flatten)]
    common: Common<'a>,
}

fn table(subject: &str, matrix: &AccessMatrix) -> String {
    let mut out = if matrix.user.name.is_empty() {
        format!(
            "Access of {subject} (a member of groups {})\n",
            matrix.user.groups.join(", ")
        )
    } else {
        format!(
            "Access of {subject} (user `{}` in groups {})\n",
            matrix.user.name,
            matrix.user.groups.join(", ")
        )
    };
    if matrix.scopes.iter().all(|s| s.entries.is_empty()) {
        out.push_str("\nNo permission.\n");
        return out;
    }
    for scope in &matrix.scopes {
        if scope.entries.is_empty() {
            continue;
        }
        out.push_str(&match &scope.namespace {
            None => "\nCluster-wide (every namespace and cluster-scoped resources)\n".to_string(),
            Some(ns) => format!("\nNamespace {ns}\n"),
        });
        let mut header = vec!["RESOURCE", "NAMES"];
        header.extend(VERBS);
        header.extend(["OTHER", "VIA"]);
        let mut t = TextTable::new(&header);
        for e in &scope.entries {
            t.row(row(e));
        }
        out.push_str(&t.render());
    }
    out.push_str("\nx: held; *: held through a `*` verb\n");
    out
}

fn row(e: &AccessEntry) -> Vec<String> {
    let (target, names) = match &e.target {
        AccessTarget::Resource {
            api_group,
            resource,
            resource_names,
        } => {
            let r = super::resource_text(api_group, resource);
            let names = if resource_names.is_empty() {
                "*".to_string()
            } else {
                resource_names.join(",")
            };
            (r, names)
        }
        AccessTarget::NonResource { url } => (url.clone(), "-".to_string()),
    };
    let star = e.verbs.iter().any(|v| v == "*");
    let mut cells = vec![target, names];
    for verb in VERBS {
        cells.push(if e.verbs.iter().any(|v| v == verb) {
            "x".to_string()
        } else if star {
            "*".to_string()
        } else {
            String::new()
        });
    }
    let other: Vec<&str> = e
        .verbs
        .iter()
        .map(String::as_str)
        .filter(|v| !VERBS.contains(v))
        .collect();
    cells.push(other.join(","));
    let mut via: Vec<String> = Vec::new();
    for g in &e.grants {
        let text = format!("{} → {}", key_text(&g.via.binding), key_text(&g.via.role));
        if !via.contains(&text) {
            via.push(text);
        }
    }
    cells.push(via.join("; "));
    cells
}
