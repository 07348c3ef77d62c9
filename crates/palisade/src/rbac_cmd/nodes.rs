//! `palisade rbac nodes (SUBJECT | --all) [PATHS]...`: who can get a root shell on a node,
//! and how (the paths are in `palisade_rbac::nodes`).

use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use palisade_rbac::{nodes, nodes_all, NodeContext, NodePath, PodSecurity, SubjectNodes};
use serde::Serialize;

use super::{key_text, Common, Inputs, QueryFormat};
use crate::text_table::TextTable;

/// `palisade rbac nodes`.
#[derive(Debug, Args)]
pub struct NodesArgs {
    /// Who: `user:NAME`, `group:NAME` or `sa:NAMESPACE/NAME` (or `--all`).
    #[arg(long = "subject", short = 's')]
    pub subject: Option<String>,
    /// Every subject named in a binding.
    #[arg(long)]
    pub all: bool,
    /// With --all, also the built-in subjects every cluster has (system:masters, the
    /// control plane's controllers).
    #[arg(long)]
    pub include_builtin: bool,
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
}

pub fn run(args: &NodesArgs) -> anyhow::Result<ExitCode> {
    let subject = match (&args.subject, args.all) {
        (Some(s), false) => Some(super::subject(s)?),
        (None, true) => None,
        _ => bail!("name one subject with --subject (user:NAME, group:NAME, sa:NS/NAME), or --all"),
    };
    let loaded = args.inputs.load();
    let ctx = NodeContext::from_objects(&loaded.inventory.objects);
    let mut found: Vec<SubjectNodes> = loaded.timed(|| match &subject {
        Some(s) => vec![nodes(&loaded.policy, &ctx, s)],
        None => nodes_all(&loaded.policy, &ctx),
    });
    if subject.is_none() && !args.include_builtin {
        found.retain(|s| !s.builtin);
    }
    match args.format {
        QueryFormat::Json => super::print_json(&Answer {
            subjects: &found,
            common: loaded.common(),
        })?,
        QueryFormat::Table => {
            let mut text = table(&found);
            text.push_str(&loaded.table_footer());
            super::print(&text)?;
        }
    }
    Ok(loaded.exit_code())
}

#[derive(Serialize)]
struct Answer<'a> {
    subjects: &'a [SubjectNodes],
    #[serde(flatten)]
    common: Common<'a>,
}

fn path_text(p: &NodePath) -> String {
    use palisade_rbac::NodePathKind as K;
    let text = match p.kind {
        K::NodesProxy => "kubelet API (nodes/proxy)",
        K::CreatePod => "create a privileged pod",
        K::CreateController => "create a controller of such pods",
        K::EphemeralContainer => "privileged ephemeral container",
        K::ExecPrivilegedPod => "exec into a privileged pod",
        K::Bind => "bind a role with a path",
        K::Escalate => "escalate a bound role",
        K::Impersonate => "impersonate",
        K::ServiceAccountToken => "mint a service account token",
    };
    text.to_string()
}

fn detail(p: &NodePath) -> String {
    let mut parts = Vec::new();
    if let Some(ps) = &p.pod_security {
        parts.push(match ps {
            PodSecurity::Declared { level, .. } => {
                format!("pod security: {level:?}").to_lowercase()
            }
            PodSecurity::NotInInput => {
                "namespace not in the input (assumed privileged, the default)".to_string()
            }
        });
    }
    if let Some(w) = &p.workload {
        parts.push(format!(
            "into {}/{}/{}",
            w.object.kind, w.namespace, w.object.name
        ));
    }
    if let Some(r) = &p.role {
        parts.push(format!("role {}", key_text(r)));
    }
    if let Some(h) = &p.hop {
        parts.push(format!("as {} ({} paths)", h.subject, h.paths.len()));
    }
    if let Some(n) = &p.node {
        parts.push(format!("node {n}"));
    }
    parts.join("; ")
}

fn table(found: &[SubjectNodes]) -> String {
    if found.iter().all(|s| s.paths.is_empty()) {
        return "No path to a node.\n".to_string();
    }
    let mut t = TextTable::new(&["SUBJECT", "PATH", "WHERE", "DETAIL", "VIA"]);
    for s in found.iter().filter(|s| !s.paths.is_empty()) {
        // Paths of one kind, place, detail and grants are one row, their requests joined.
        let mut rows: Vec<(String, String, String, String, Vec<String>)> = Vec::new();
        for p in &s.paths {
            let via: Vec<String> = p
                .via
                .iter()
                .map(|v| format!("{} → {}", key_text(&v.binding), key_text(&v.role)))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let key = (
                path_text(p),
                p.namespace.clone().unwrap_or_else(|| "cluster".into()),
                detail(p),
                via.join("; "),
            );
            let request = format!("{} {}", p.verb, p.resource);
            match rows
                .iter_mut()
                .find(|r| (&r.0, &r.1, &r.2, &r.3) == (&key.0, &key.1, &key.2, &key.3))
            {
                Some(r) => r.4.push(request),
                None => rows.push((key.0, key.1, key.2, key.3, vec![request])),
            }
        }
        for (i, (path, place, detail, via, requests)) in rows.into_iter().enumerate() {
            t.row(vec![
                if i == 0 {
                    s.subject.to_string()
                } else {
                    String::new()
                },
                format!("{path} ({})", requests.join(", ")),
                place,
                detail,
                via,
            ]);
        }
    }
    t.render()
}
