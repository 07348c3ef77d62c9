//! The human table: findings grouped by object, then load errors, the rules that fired and a
//! summary. Plain text unless `color`; every piece of text that comes from a manifest goes
//! through [`terminal_safe`], since a name or value could carry terminal escapes.

use std::collections::HashMap;
use std::io::{self, Write};

use palisade_core::{ControlStatus, Finding, FrameworkSummary, ObjectRef, Report, Severity};

use crate::common::{object_label, terminal_safe};
use crate::Options;

const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";
/// Width of the longest severity name (`CRITICAL`), so the rule column lines up.
const SEVERITY_WIDTH: usize = 8;

/// Findings of one object in one file, in order of place.
struct Group<'a> {
    path: &'a str,
    object: &'a ObjectRef,
    findings: Vec<&'a Finding>,
}

pub(crate) fn render(report: &Report, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    let paint = Painter {
        color: options.color,
    };
    let groups = group_by_object(&report.findings);
    let rule_width = report
        .findings
        .iter()
        .map(|f| f.rule_id.chars().count())
        .max()
        .unwrap_or(0);
    let place_width = report
        .findings
        .iter()
        .map(|f| place(f).len())
        .max()
        .unwrap_or(0);

    if groups.is_empty() {
        writeln!(out, "No findings.")?;
    }
    for (i, group) in groups.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        // The object's first finding: where to start reading (findings carry no object
        // start line, and the header should not claim one).
        let first_line = group.findings.first().map_or(0, |f| f.location.line);
        writeln!(
            out,
            "{}  ({}:{})",
            terminal_safe(&object_label(group.object)),
            terminal_safe(group.path),
            first_line
        )?;
        for f in &group.findings {
            write!(
                out,
                "  {}  {:<rule_width$}  {:<place_width$}  {}",
                paint.severity(f.severity, SEVERITY_WIDTH),
                terminal_safe(&f.rule_id),
                place(f),
                terminal_safe(&f.message),
            )?;
            if let Some(field) = &f.field {
                write!(out, "  {}", paint.dim(&terminal_safe(field)))?;
            }
            writeln!(out)?;
        }
    }

    if !report.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "Load errors")?;
        for e in &report.errors {
            writeln!(out, "  {}", terminal_safe(&e.to_string()))?;
        }
    }

    write_rules(report, &paint, rule_width, out)?;
    write_summary(report, &paint, out)?;
    for framework in &report.frameworks {
        write_framework(framework, &paint, out)?;
    }
    Ok(())
}

/// Groups findings by (file, object), in order of each group's first finding; within a
/// group, by place then rule. Independent of the order the report holds them in.
fn group_by_object(findings: &[Finding]) -> Vec<Group<'_>> {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.object.cmp(&b.object))
            .then_with(|| a.message.cmp(&b.message))
    });
    let mut index: HashMap<(&str, &ObjectRef), usize> = HashMap::new();
    let mut groups: Vec<Group<'_>> = Vec::new();
    for f in sorted {
        let key = (&*f.location.path, &*f.object);
        let i = *index.entry(key).or_insert_with(|| {
            groups.push(Group {
                path: &f.location.path,
                object: &f.object,
                findings: Vec::new(),
            });
            groups.len() - 1
        });
        groups[i].findings.push(f);
    }
    groups
}

fn place(f: &Finding) -> String {
    format!("{}:{}", f.location.line, f.location.col)
}

/// One line per rule that fired, worst first: how bad, how often, what it is.
fn write_rules(
    report: &Report,
    paint: &Painter,
    rule_width: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut fired: Vec<(&str, Severity, usize)> = Vec::new();
    for f in &report.findings {
        match fired.iter_mut().find(|(id, _, _)| *id == f.rule_id) {
            Some(entry) => {
                entry.1 = entry.1.max(f.severity);
                entry.2 += 1;
            }
            None => fired.push((&f.rule_id, f.severity, 1)),
        }
    }
    if fired.is_empty() {
        return Ok(());
    }
    fired.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let count_width = fired
        .iter()
        .map(|r| r.2.to_string().len())
        .max()
        .unwrap_or(1);
    writeln!(out)?;
    writeln!(out, "Findings by rule")?;
    for (id, severity, count) in fired {
        let title = report.rule(id).map_or("", |r| r.title);
        writeln!(
            out,
            "  {}  {:<rule_width$}  {:>count_width$}  {}",
            paint.severity(severity, SEVERITY_WIDTH),
            terminal_safe(id),
            count,
            terminal_safe(title)
        )?;
    }
    Ok(())
}

fn write_summary(report: &Report, paint: &Painter, out: &mut dyn Write) -> io::Result<()> {
    let by_severity: Vec<String> = report
        .counts()
        .iter()
        .rev()
        .map(|&(severity, n)| {
            let text = format!("{n} {severity}");
            if n > 0 {
                paint.paint(severity_code(severity), &text)
            } else {
                text
            }
        })
        .collect();
    writeln!(out)?;
    writeln!(out, "Summary")?;
    writeln!(
        out,
        "  {}: {}",
        plural(report.findings.len(), "finding"),
        by_severity.join(", ")
    )?;
    writeln!(
        out,
        "  Scanned {}{} in {}; {} suppressed; {}; {}",
        plural(report.stats.objects, "object"),
        match report.stats.dockerfiles {
            0 => String::new(),
            n => format!(" and {}", plural(n, "Dockerfile")),
        },
        plural(report.stats.inputs, "input"),
        report.suppressed.len(),
        plural(report.errors.len(), "load error"),
        plural(report.notes.len(), "note"),
    )
}

/// Failing objects shown per control before "and N more".
const FAILING_SHOWN: usize = 3;

/// One framework: its score, then each control with its status, and what failed or why it
/// is not covered on the line below.
fn write_framework(
    framework: &FrameworkSummary,
    paint: &Painter,
    out: &mut dyn Write,
) -> io::Result<()> {
    let passed = framework.count(ControlStatus::Pass);
    let failed = framework.count(ControlStatus::Fail);
    let not_covered = framework.count(ControlStatus::NotCovered);
    let score = framework
        .score
        .map_or_else(|| "n/a".to_string(), |s| format!("{s:.1}%"));
    writeln!(out)?;
    writeln!(out, "Framework: {} ({})", framework.title, framework.id)?;
    writeln!(
        out,
        "  Score {score}: {passed} of {} judged controls pass; {} not covered",
        passed + failed,
        plural(not_covered, "control"),
    )?;
    let id_width = framework
        .controls
        .iter()
        .map(|c| c.id.chars().count())
        .max()
        .unwrap_or(0);
    let indent = " ".repeat(2 + 4 + 2 + id_width + 2);
    for c in &framework.controls {
        let (label, code) = match c.status {
            ControlStatus::Pass => ("PASS", "\x1b[32m"),
            ControlStatus::Fail => ("FAIL", "\x1b[31m"),
            ControlStatus::NotCovered => ("N/C ", DIM),
        };
        writeln!(
            out,
            "  {}  {:<id_width$}  {}",
            paint.paint(code, label),
            c.id,
            c.title
        )?;
        if !c.failing.is_empty() {
            let shown: Vec<String> = c
                .failing
                .iter()
                .take(FAILING_SHOWN)
                .map(|o| terminal_safe(&o.to_string()))
                .collect();
            let mut line = shown.join(", ");
            if c.failing.len() > FAILING_SHOWN {
                line.push_str(&format!(" and {} more", c.failing.len() - FAILING_SHOWN));
            }
            writeln!(out, "{indent}{}", paint.dim(&format!("failing: {line}")))?;
        }
        if let Some(reason) = c.reason {
            writeln!(
                out,
                "{indent}{}",
                paint.dim(&format!("not covered: {reason}"))
            )?;
        }
    }
    Ok(())
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn severity_code(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
        Severity::Info => DIM,
    }
}

/// Adds ANSI codes only when colour is on; padding is applied before the codes so that
/// columns line up either way.
struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: Severity, width: usize) -> String {
        let name = format!("{:<width$}", severity.as_str().to_ascii_uppercase());
        self.paint(severity_code(severity), &name)
    }

    fn dim(&self, text: &str) -> String {
        self.paint(DIM, text)
    }
}
