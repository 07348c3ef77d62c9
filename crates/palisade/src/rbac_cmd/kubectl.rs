//! `palisade rbac kubectl SUBJECT [PATHS]... [-n NS]`: the kubectl commands a subject can
//! run, and where (the table of API requests per command: `palisade_rbac::COMMANDS`).

use std::process::ExitCode;

use clap::Args;
use palisade_rbac::{known_namespaces, kubectl_commands, CommandAccess, Where, COMMON_RESOURCES};
use serde::Serialize;

use super::{key_text, Common, Inputs, QueryFormat};
use crate::text_table::TextTable;

/// `palisade rbac kubectl`.
#[derive(Debug, Args)]
pub struct KubectlArgs {
    /// Who: `user:NAME`, `group:NAME` or `sa:NAMESPACE/NAME`.
    pub subject: String,
    #[command(flatten)]
    pub inputs: Inputs,
    /// Only this namespace (commands without a namespace, such as `cordon`, are still shown).
    #[arg(short, long)]
    pub namespace: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
}

pub fn run(args: &KubectlArgs) -> anyhow::Result<ExitCode> {
    let subject = super::subject(&args.subject)?;
    let loaded = args.inputs.load();
    let namespaces = known_namespaces(&loaded.policy, &loaded.inventory);
    let commands = loaded.timed(|| {
        kubectl_commands(
            &loaded.policy,
            &subject,
            &namespaces,
            args.namespace.as_deref(),
        )
    });
    match args.format {
        QueryFormat::Json => super::print_json(&Answer {
            subject: &args.subject,
            namespaces: &namespaces,
            commands: &commands,
            common: loaded.common(),
        })?,
        QueryFormat::Table => {
            let mut text = format!("kubectl commands {} can run\n\n", args.subject);
            text.push_str(&table(&commands));
            text.push_str(&loaded.table_footer());
            super::print(&text)?;
        }
    }
    Ok(loaded.exit_code())
}

#[derive(Serialize)]
struct Answer<'a> {
    subject: &'a str,
    /// The namespaces judged one by one (those the input knows).
    namespaces: &'a [String],
    commands: &'a [CommandAccess],
    #[serde(flatten)]
    common: Common<'a>,
}

fn where_text(w: &Where) -> String {
    match w {
        Where::EveryNamespace => "every namespace".to_string(),
        Where::Cluster => "cluster".to_string(),
        Where::Namespaces(list) => list.join(", "),
    }
}

fn table(commands: &[CommandAccess]) -> String {
    if commands.is_empty() {
        return "None.\n".to_string();
    }
    // One row per command and place: the resources it runs on there, joined.
    let mut rows: Vec<(&str, String, Vec<String>, Vec<String>)> = Vec::new();
    for c in commands {
        let place = where_text(&c.place);
        let mut via: Vec<String> = Vec::new();
        for r in &c.requests {
            let text = format!("{} → {}", key_text(&r.via.binding), key_text(&r.via.role));
            if !via.contains(&text) {
                via.push(text);
            }
        }
        let resource = c.resource.clone().unwrap_or_default();
        match rows
            .iter_mut()
            .find(|(name, p, _, _)| *name == c.command && *p == place)
        {
            Some((_, _, resources, vias)) => {
                resources.push(resource);
                for v in via {
                    if !vias.contains(&v) {
                        vias.push(v);
                    }
                }
            }
            None => rows.push((c.command, place, vec![resource], via)),
        }
    }
    let mut t = TextTable::new(&["COMMAND", "ON", "WHERE", "VIA"]);
    for (name, place, resources, via) in rows {
        let resources: Vec<String> = resources.into_iter().filter(|r| !r.is_empty()).collect();
        let on = if resources.len() == COMMON_RESOURCES.len() {
            format!("all {} common kinds", resources.len())
        } else {
            resources.join(", ")
        };
        t.row(vec![name.to_string(), on, place, via.join("; ")]);
    }
    t.render()
}
