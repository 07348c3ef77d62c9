//! `palisade rbac diff OLD NEW [--fail-on-grant PATTERN]...`: permissions granted and
//! revoked per subject between two snapshots; exit 1 when a grant matches a pattern.

use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;
use palisade_rbac::{
    diff, fail_on_grant, parse_grant_pattern, DiffOptions, GrantMatch, GrantPattern,
    PermissionChange, PolicyDiff,
};
use serde::Serialize;

use super::{key_text, Common, Inputs, QueryFormat};
use crate::text_table::TextTable;

/// `palisade rbac diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The snapshot before (a file or directory; `-` for stdin).
    pub old: String,
    /// The snapshot after.
    pub new: String,
    /// Exit 1 when a subject gains a permission matching this: a class (cluster-admin,
    /// secrets-read, exec, nodes-proxy, escalate, bind, impersonate, create-pods, token,
    /// csr-approve, webhooks) or `VERB:RESOURCE[.GROUP][/SUB]` (`get:secrets`,
    /// `create:pods/exec`). Repeat it or give a comma list.
    #[arg(long, value_delimiter = ',')]
    pub fail_on_grant: Vec<String>,
    /// Also list, under each user and service account, what it gains or loses through its
    /// implicit groups (system:authenticated, ...), not only under the group.
    #[arg(long)]
    pub inherited: bool,
    /// Do not stand in the built-in roles for names the inputs do not define.
    #[arg(long)]
    pub no_builtin_roles: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
}

pub fn run(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let patterns: Vec<GrantPattern> = args
        .fail_on_grant
        .iter()
        .map(|p| parse_grant_pattern(p).map_err(|e| anyhow!("{e}")))
        .collect::<anyhow::Result<_>>()?;
    let side = |path: &str| Inputs {
        paths: vec![path.to_string()],
        no_builtin_roles: args.no_builtin_roles,
        max_file_size: 256 * 1024 * 1024,
        timings: false,
    };
    let (old, new) = (side(&args.old).load(), side(&args.new).load());
    let changes = diff(
        &old.policy,
        &new.policy,
        &DiffOptions {
            inherited: args.inherited,
        },
    );
    let matched = fail_on_grant(&changes, &patterns);
    match args.format {
        QueryFormat::Json => super::print_json(&Answer {
            diff: &changes,
            fail_on_grant: &matched,
            old: old.common(),
            new: new.common(),
        })?,
        QueryFormat::Table => super::print(&table(&changes, &matched))?,
    }
    Ok(crate::query::check_exit_code(
        &[&old.inventory, &new.inventory],
        !matched.is_empty(),
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    diff: &'a PolicyDiff,
    /// Added permissions matching a `--fail-on-grant` pattern (exit 1 when not empty).
    fail_on_grant: &'a [GrantMatch],
    old: Common<'a>,
    new: Common<'a>,
}

fn permission_text(c: &PermissionChange) -> String {
    let p = &c.permission;
    let target = match &p.target {
        palisade_rbac::AccessTarget::Resource {
            api_group,
            resource,
            resource_names,
        } => {
            let mut t = super::resource_text(api_group, resource);
            if !resource_names.is_empty() {
                t.push_str(&format!(" named {}", resource_names.join(",")));
            }
            t
        }
        palisade_rbac::AccessTarget::NonResource { url } => url.clone(),
    };
    format!(
        "{} {target}{}",
        p.verb,
        if c.wildcard { " (through *)" } else { "" }
    )
}

fn table(changes: &PolicyDiff, matched: &[GrantMatch]) -> String {
    if changes.subjects.is_empty() {
        return format!(
            "No permission changed ({} subjects compared).\n",
            changes.compared
        );
    }
    let mut t = TextTable::new(&["SUBJECT", "CHANGE", "PERMISSION", "WHERE", "VIA"]);
    for s in &changes.subjects {
        let mut first = true;
        for (sign, list) in [("+ granted", &s.added), ("- revoked", &s.removed)] {
            for c in list {
                let via: Vec<String> = c
                    .via
                    .iter()
                    .map(|v| format!("{} → {}", key_text(&v.binding), key_text(&v.role)))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                t.row(vec![
                    if first {
                        s.subject.to_string()
                    } else {
                        String::new()
                    },
                    sign.to_string(),
                    permission_text(c),
                    c.permission
                        .scope
                        .as_deref()
                        .map_or_else(|| "cluster-wide".to_string(), str::to_string),
                    via.join("; "),
                ]);
                first = false;
            }
        }
    }
    let mut out = t.render();
    out.push_str(&format!(
        "\n{} of {} subjects changed\n",
        changes.subjects.len(),
        changes.compared
    ));
    for m in matched {
        out.push_str(&format!(
            "\nerror: {} gains {} ({}), which --fail-on-grant {} forbids\n",
            m.subject,
            permission_text(&m.grant),
            m.grant
                .permission
                .scope
                .as_deref()
                .map_or_else(|| "cluster-wide".to_string(), |s| format!("in {s}")),
            m.pattern
        ));
    }
    out
}
