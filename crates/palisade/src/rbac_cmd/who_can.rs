//! `palisade rbac who-can VERB RESOURCE [PATHS]... [-n NS] [--name NAME]`.

use std::process::ExitCode;

use clap::Args;
use palisade_rbac::{parse_resource_spec, who_can, Grant, GrantSubjectKind, Query};
use serde::Serialize;

use super::{via_text, Common, Inputs, QueryFormat, ViaOut};
use crate::text_table::TextTable;

/// `palisade rbac who-can`.
#[derive(Debug, Args)]
pub struct WhoCanArgs {
    /// Verb (`get`, `list`, `create`, `impersonate`, `*`, ...).
    pub verb: String,
    /// Resource as `kubectl auth can-i` takes it: `pods`, `deployments.apps`, `pods/exec`,
    /// `deploy` (short names of built-in kinds), or a non-resource URL such as `/healthz`.
    pub resource: String,
    #[command(flatten)]
    pub inputs: Inputs,
    /// Namespace of the request; without it, every namespace (and cluster-wide).
    #[arg(short, long)]
    pub namespace: Option<String>,
    /// Name of the object (rules limited by `resourceNames` grant only named requests).
    #[arg(long)]
    pub name: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
}

pub fn run(args: &WhoCanArgs) -> anyhow::Result<ExitCode> {
    let resource = parse_resource_spec(&args.resource).map_err(|e| anyhow::anyhow!("{e}"))?;
    let loaded = args.inputs.load();
    let query = Query {
        verb: args.verb.clone(),
        resource,
        namespace: args.namespace.clone(),
        name: args.name.clone(),
    };
    let grants = loaded.timed(|| who_can(&loaded.policy, &query));
    match args.format {
        QueryFormat::Json => super::print_json(&Answer {
            query: QueryOut {
                verb: &query.verb,
                resource: query.resource.to_string(),
                namespace: query.namespace.as_deref(),
                name: query.name.as_deref(),
            },
            subjects: grants.iter().map(SubjectOut::of).collect(),
            common: loaded.common(),
        })?,
        QueryFormat::Table => {
            let mut text = format!(
                "Who can {} {}{}{}\n\n",
                query.verb,
                query.resource,
                query
                    .name
                    .as_deref()
                    .map(|n| format!(" named {n}"))
                    .unwrap_or_default(),
                match &query.namespace {
                    Some(ns) => format!(" in namespace {ns}"),
                    None => " in any namespace".to_string(),
                }
            );
            text.push_str(&table(&grants));
            text.push_str(&loaded.table_footer());
            super::print(&text)?;
        }
    }
    Ok(loaded.exit_code())
}

fn subject_text(g: &Grant) -> String {
    let s = &g.subject;
    match &s.namespace {
        Some(ns) => format!("{} {ns}/{}", s.kind.as_str(), s.name),
        None => format!("{} {}", s.kind.as_str(), s.name),
    }
}

fn table(grants: &[Grant]) -> String {
    if grants.is_empty() {
        return "No subject.\n".to_string();
    }
    let mut t = TextTable::new(&["SUBJECT", "WHERE", "VIA"]);
    for g in grants {
        for (i, v) in g.via.iter().enumerate() {
            t.row(vec![
                if i == 0 {
                    subject_text(g)
                } else {
                    String::new()
                },
                v.namespace
                    .as_deref()
                    .map_or_else(|| "cluster-wide".to_string(), str::to_string),
                via_text(v),
            ]);
        }
    }
    let mut out = t.render();
    let groups = grants
        .iter()
        .filter(|g| g.subject.kind == GrantSubjectKind::Group)
        .count();
    out.push_str(&format!(
        "\n{} subjects ({} users, {} groups, {} service accounts)\n",
        grants.len(),
        grants
            .iter()
            .filter(|g| g.subject.kind == GrantSubjectKind::User)
            .count(),
        groups,
        grants
            .iter()
            .filter(|g| g.subject.kind == GrantSubjectKind::ServiceAccount)
            .count(),
    ));
    out
}

#[derive(Serialize)]
struct Answer<'a> {
    query: QueryOut<'a>,
    subjects: Vec<SubjectOut>,
    #[serde(flatten)]
    common: Common<'a>,
}

#[derive(Serialize)]
struct QueryOut<'a> {
    verb: &'a str,
    resource: String,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
}

/// `{kind, namespace, name, via: ["Kind/name", ...], grants: [...]}`: `via` lists the
/// bindings and roles of every grant path, in order, each once; `grants` has the detail.
#[derive(Serialize)]
struct SubjectOut {
    kind: &'static str,
    namespace: Option<String>,
    name: String,
    via: Vec<String>,
    grants: Vec<ViaOut>,
}

impl SubjectOut {
    fn of(g: &Grant) -> SubjectOut {
        let mut via: Vec<String> = Vec::new();
        for v in &g.via {
            for k in [v.binding.to_string(), v.role.to_string()] {
                if !via.contains(&k) {
                    via.push(k);
                }
            }
        }
        SubjectOut {
            kind: g.subject.kind.as_str(),
            namespace: g.subject.namespace.clone(),
            name: g.subject.name.clone(),
            via,
            grants: g.via.iter().map(ViaOut::of).collect(),
        }
    }
}
