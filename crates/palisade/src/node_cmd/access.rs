//! `palisade node access --root DIR [--root DIR]...`: per node, who can log in over SSH and
//! how; with several roots, the fleet matrix; then the PAL-SSH findings, in the formats and
//! with the exit codes of `scan` (exceptions from `--config` apply).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use palisade_core::{exceptions, Config, Finding, Inventory, LoadError, LoadNote, Location};
use palisade_core::{Report, Stats};
use palisade_node::access::{self, findings, fleet, NodeAccess, Options};
use palisade_report::Format;
use serde::Serialize;

use crate::cli::{ColorChoice, FailOn};
use crate::text_table::TextTable;

/// `palisade node access`.
#[derive(Debug, Args)]
pub struct AccessArgs {
    /// A node's root directory (a mounted image, an extracted tree, or `/`); repeat it for
    /// a fleet.
    #[arg(long = "root", required = true, value_name = "DIR")]
    pub roots: Vec<PathBuf>,

    /// Output format: table (access, matrix, findings), json (all of it), or the findings
    /// alone as sarif or junit.
    #[arg(short, long, value_enum, default_value_t = AccessFormat::Table)]
    pub format: AccessFormat,

    /// Write the output to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,

    /// Exit 1 when a finding is at or above this severity (`none`: never).
    #[arg(long, value_enum, default_value_t = FailOn::Low)]
    pub fail_on: FailOn,

    /// Kubernetes nodes are expected to run sshd (no PAL-SSH-001).
    #[arg(long)]
    pub ssh_expected: bool,

    /// Configuration file (exceptions, rule settings).
    #[arg(short, long)]
    pub config: Option<PathBuf>,

    /// Largest file read from a node, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    pub max_file_size: u64,

    /// When to colour the findings table: auto, always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccessFormat {
    /// Per node tables, the fleet matrix and the findings.
    Table,
    /// Nodes, matrix and the findings report as one JSON document.
    Json,
    /// The findings as SARIF 2.1.0.
    Sarif,
    /// The findings as JUnit XML.
    Junit,
}

pub fn run(args: &AccessArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read config file {}", path.display()))?;
            Config::parse(&path.display().to_string(), &text).map_err(|errors| {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                anyhow::anyhow!("invalid config:\n{}", lines.join("\n"))
            })?
        }
        None => Config::default(),
    };
    let options = Options {
        max_bytes: args.max_file_size,
        name: None,
        ssh_expected_on_kubernetes: args.ssh_expected,
    };
    let mut nodes: Vec<NodeAccess> = args
        .roots
        .iter()
        .map(|r| access::analyze(r, &options))
        .collect();
    // Two roots with the same host name stay apart in the matrix.
    disambiguate(&mut nodes);
    let report = build_report(&nodes, &args.roots, &config);
    for err in &report.errors {
        eprintln!("error: {err}");
    }

    let color = crate::output::color(args.color, args.output.as_deref());
    let mut out = crate::output::open(args.output.as_deref())?;
    let render_options = palisade_report::Options { color };
    match args.format {
        AccessFormat::Table => {
            out.write_all(tables(&nodes).as_bytes())?;
            palisade_report::render(&report, Format::Table, &render_options, &mut out)?;
        }
        AccessFormat::Json => {
            let mut buf = Vec::new();
            palisade_report::render(&report, Format::Json, &render_options, &mut buf)?;
            let report_json: serde_json::Value = serde_json::from_slice(&buf)?;
            let doc = Document {
                nodes: &nodes,
                matrix: fleet::matrix(&nodes),
                report: report_json,
            };
            serde_json::to_writer_pretty(&mut out, &doc)?;
            out.write_all(b"\n")?;
        }
        AccessFormat::Sarif => {
            palisade_report::render(&report, Format::Sarif, &render_options, &mut out)?
        }
        AccessFormat::Junit => {
            palisade_report::render(&report, Format::Junit, &render_options, &mut out)?
        }
    }
    out.flush()?;
    // A root that does not exist is an input error: exit 2, as scan does for a missing path.
    Ok(crate::scan::exit_code(&report, args.fail_on))
}

#[derive(Serialize)]
struct Document<'a> {
    nodes: &'a [NodeAccess],
    matrix: fleet::Matrix,
    report: serde_json::Value,
}

fn disambiguate(nodes: &mut [NodeAccess]) {
    let names: Vec<String> = nodes.iter().map(|n| n.node.clone()).collect();
    for node in nodes.iter_mut() {
        if names.iter().filter(|n| **n == node.node).count() > 1 {
            node.node = format!("{} ({})", node.node, node.root);
        }
    }
}

/// The findings of every node as a Report (diagnostics as notes; a missing root as an
/// error), with exceptions applied.
fn build_report(nodes: &[NodeAccess], roots: &[PathBuf], config: &Config) -> Report {
    let mut found: Vec<Finding> = nodes
        .iter()
        .flat_map(|n| access::check(n, config))
        .collect();
    found.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let inventory = Inventory::default();
    let applied = exceptions::apply(found, &inventory, config, crate::scan::today());
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    for (node, root) in nodes.iter().zip(roots) {
        if !root.is_dir() {
            let path: std::sync::Arc<str> = root.display().to_string().into();
            errors.push(LoadError::whole(&path, "root directory does not exist"));
        }
        for d in &node.diagnostics {
            if d.message == "root directory does not exist" {
                continue;
            }
            notes.push(LoadNote {
                location: Location {
                    path: d.path.as_str().into(),
                    line: d.line.unwrap_or(1),
                    col: 1,
                },
                message: d.message.clone(),
            });
        }
    }
    Report {
        version: env!("CARGO_PKG_VERSION"),
        findings: applied.findings,
        suppressed: applied.suppressed,
        errors,
        notes,
        rules: findings::RULES
            .iter()
            .copied()
            .filter(|r| config.rule_enabled(r.id))
            .collect(),
        stats: Stats {
            inputs: roots.len(),
            objects: nodes.len(),
            dockerfiles: 0,
        },
        frameworks: Vec::new(),
    }
}

/// Per node: sshd state and one row per account that can log in; then the matrix.
fn tables(nodes: &[NodeAccess]) -> String {
    let mut out = String::new();
    for node in nodes {
        let sshd = if !node.sshd.installed {
            "sshd not installed".to_string()
        } else {
            format!(
                "sshd {}",
                match node.sshd.enabled {
                    access::service::Enabled::Yes => "enabled",
                    access::service::Enabled::No => "disabled",
                    access::service::Enabled::Unknown => "installed (boot state unknown)",
                }
            )
        };
        let mfa = match &node.pam.second_factor {
            Some(f) if f.enforced => format!(", PAM {} enforced", f.module),
            Some(f) => format!(", PAM {} not enforced", f.module),
            None => String::new(),
        };
        out.push_str(&format!(
            "NODE {} ({}, {sshd}{mfa})\n",
            node.node, node.role.name
        ));
        let mut t = TextTable::new(&["USER", "UID", "HOW", "MFA", "KEYS", "NOTES"]);
        let mut rows = 0;
        for a in node.accounts.iter().filter(|a| a.can_log_in()) {
            rows += 1;
            let login = &a.login;
            let mut notes: Vec<String> = login.conditions.clone();
            if !a.has_shell {
                notes.push(format!("no shell ({}): tunnels only", a.account.shell));
            }
            for c in &a.conditional {
                notes.push(format!("{}: {}", c.when, fleet::summary(&c.login)));
            }
            let keys: Vec<String> = login
                .usable_keys
                .iter()
                .filter_map(|&i| a.keys.get(i))
                .map(|k| {
                    let size = k.info.bits.map(|b| format!("-{b}")).unwrap_or_default();
                    let r = k.restrictions();
                    let r = if r.is_empty() {
                        "unrestricted".to_string()
                    } else {
                        r
                    };
                    format!("{}{size} [{r}]", k.key_type)
                })
                .collect();
            t.row(vec![
                a.account.name.clone(),
                a.account.uid.to_string(),
                if login.allowed {
                    fleet::summary(login)
                } else {
                    "-".to_string()
                },
                if login.mfa {
                    "yes".to_string()
                } else {
                    "no".to_string()
                },
                keys.join(", "),
                notes.join("; "),
            ]);
        }
        if rows == 0 {
            out.push_str("  nobody can log in over SSH\n");
        } else {
            out.push_str(&t.render());
        }
        out.push('\n');
    }
    if nodes.len() > 1 {
        let m = fleet::matrix(nodes);
        let mut header = vec!["USER"];
        header.extend(m.nodes.iter().map(String::as_str));
        let mut t = TextTable::new(&header);
        for row in &m.rows {
            let mut cells = vec![row.user.clone()];
            cells.extend(row.cells.iter().map(|c| match c {
                None => "-".to_string(),
                Some(c) => {
                    let mut s = c.summary.clone();
                    if c.root {
                        s.push_str(" ROOT");
                    }
                    if c.mfa {
                        s.push_str(" MFA");
                    }
                    if c.conditional {
                        s.push('*');
                    }
                    s
                }
            }));
            t.row(cells);
        }
        out.push_str("FLEET ACCESS MATRIX (* depends on the client's address or host)\n");
        out.push_str(&t.render());
        out.push('\n');
    }
    out
}
