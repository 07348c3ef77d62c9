//! The asset inventory as a table (a section per asset type), JSON (the [`Assets`] document)
//! or CSV (one row per fact: `asset,namespace,kind,name,item,value`).

use std::io::{self, Write};

use super::Assets;

/// Output formats of `palisade inventory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetFormat {
    /// Aligned sections for a terminal.
    Table,
    /// One JSON document (camelCase keys).
    Json,
    /// RFC 4180 CSV, one row per fact.
    Csv,
}

/// Writes `assets` in `format`.
pub fn render(assets: &Assets, format: AssetFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        AssetFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, assets)?;
            writeln!(out)
        }
        AssetFormat::Csv => csv(assets, out),
        AssetFormat::Table => table(assets, out),
    }
}

/// Every fact as (asset, namespace, kind, name, item, value).
fn rows(assets: &Assets) -> Vec<[String; 6]> {
    let mut rows = Vec::new();
    let mut push = |a: &str, ns: &str, kind: &str, name: &str, item: &str, value: String| {
        let text = |s: &str| s.to_string();
        rows.push([text(a), text(ns), text(kind), text(name), text(item), value]);
    };
    for n in &assets.namespaces {
        push(
            "namespace",
            "",
            "Namespace",
            &n.name,
            "workloads",
            n.workloads.to_string(),
        );
        for (k, v) in &n.labels {
            push(
                "namespace",
                "",
                "Namespace",
                &n.name,
                &format!("label:{k}"),
                v.clone(),
            );
        }
    }
    for w in &assets.workloads {
        let (ns, kind, name) = (&w.namespace, &w.kind, &w.name);
        push(
            "workload",
            ns,
            kind,
            name,
            "serviceAccount",
            w.service_account.clone(),
        );
        for i in &w.images {
            if i.digests.is_empty() {
                push("image", ns, kind, name, &i.container, i.image.clone());
            }
            for d in &i.digests {
                push(
                    "image",
                    ns,
                    kind,
                    name,
                    &i.container,
                    format!("{}@{d}", i.image),
                );
            }
        }
    }
    for s in &assets.service_accounts {
        let (ns, name) = (&s.namespace, &s.name);
        for u in &s.used_by {
            push(
                "serviceaccount",
                ns,
                "ServiceAccount",
                name,
                "usedBy",
                u.clone(),
            );
        }
        for p in &s.permissions {
            push(
                "serviceaccount",
                ns,
                "ServiceAccount",
                name,
                "permission",
                p.clone(),
            );
        }
        if s.used_by.is_empty() && s.permissions.is_empty() {
            push(
                "serviceaccount",
                ns,
                "ServiceAccount",
                name,
                "declared",
                s.declared.to_string(),
            );
        }
    }
    for s in &assets.services {
        let (ns, name) = (&s.namespace, &s.name);
        push(
            "service",
            ns,
            "Service",
            name,
            "type",
            s.service_type.clone(),
        );
        for p in &s.ports {
            push("service", ns, "Service", name, "port", p.clone());
        }
        for e in &s.external {
            push("service", ns, "Service", name, "external", e.clone());
        }
    }
    for n in &assets.nodes {
        for (item, value) in [
            ("kubeletVersion", &n.kubelet_version),
            ("osImage", &n.os_image),
            ("kernelVersion", &n.kernel_version),
            ("containerRuntime", &n.container_runtime),
        ] {
            push("node", "", "Node", &n.name, item, value.clone());
        }
    }
    rows
}

fn csv(assets: &Assets, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "asset,namespace,kind,name,item,value")?;
    for row in rows(assets) {
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    Ok(())
}

/// RFC 4180 quoting: cells holding a comma, quote or line break are quoted, quotes doubled.
fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

fn table(assets: &Assets, out: &mut dyn Write) -> io::Result<()> {
    let sections: [(&str, &str); 5] = [
        ("namespace", "Namespaces"),
        ("workload", "Workloads"),
        ("image", "Images"),
        ("serviceaccount", "Service accounts"),
        ("service", "Services"),
    ];
    let rows = rows(assets);
    let mut first = true;
    for (asset, title) in sections.iter().chain(&[("node", "Nodes")]) {
        let section: Vec<&[String; 6]> = rows.iter().filter(|r| r[0] == *asset).collect();
        if section.is_empty() {
            continue;
        }
        if !first {
            writeln!(out)?;
        }
        first = false;
        writeln!(out, "{title}")?;
        let width = |i: usize| {
            section
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        };
        let (w1, w2, w3, w4) = (width(1), width(2), width(3), width(4));
        for r in section {
            let line = format!(
                "  {:<w1$}  {:<w2$}  {:<w3$}  {:<w4$}  {}",
                terminal_safe(&r[1]),
                terminal_safe(&r[2]),
                terminal_safe(&r[3]),
                terminal_safe(&r[4]),
                terminal_safe(&r[5])
            );
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    if first {
        writeln!(out, "No assets.")?;
    }
    Ok(())
}

/// Control characters from the cluster never reach the terminal.
fn terminal_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
