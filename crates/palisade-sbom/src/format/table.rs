//! A plain table for people: NAME, VERSION, TYPE and the short digest of the layer that
//! added each package (the LAYER column only when some package has one: a directory has no
//! layers), sorted by name, then the subject and OS on a footer line.

use super::SbomInput;

/// Hex digits of a layer digest shown (as `docker` and `crane` shorten image ids).
const SHORT: usize = 12;

/// Writes the table; every line ends with a newline.
pub fn write(input: &SbomInput) -> String {
    let mut rows: Vec<Vec<String>> = input
        .packages
        .iter()
        .map(|p| {
            vec![
                clean(&p.name),
                clean(&p.version),
                clean(&p.kind),
                p.layer_digest
                    .as_deref()
                    .map(short_digest)
                    .unwrap_or_default(),
            ]
        })
        .collect();
    rows.sort();
    let mut header: Vec<String> = ["NAME", "VERSION", "TYPE", "LAYER"]
        .map(String::from)
        .to_vec();
    if rows.iter().all(|r| r[3].is_empty()) {
        header.pop();
        rows.iter_mut().for_each(|r| {
            r.pop();
        });
    }
    let mut widths = vec![0usize; header.len()];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = w - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let os = input
        .os
        .as_ref()
        .map(|os| {
            os.pretty_name
                .clone()
                .unwrap_or_else(|| format!("{} {}", os.id, os.version_id.as_deref().unwrap_or("")))
        })
        .unwrap_or_else(|| "unknown OS".to_string());
    out.push_str(&format!(
        "\n{} package(s) in {} ({})\n",
        rows.len(),
        clean(&input.subject.name),
        clean(os.trim())
    ));
    out
}

/// `sha256:0123456789abcdef…` → `0123456789ab`; a digest without an algorithm is cut the same.
pub fn short_digest(d: &str) -> String {
    let hex = d.split_once(':').map_or(d, |(_, h)| h);
    clean(&hex.chars().take(SHORT).collect::<String>())
}

/// Control characters (terminal escapes in a hostile package name) are shown escaped.
fn clean(s: &str) -> String {
    if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().collect()
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{SbomPackage, Subject, SubjectKind};

    fn pkg(name: &str, version: &str, layer: Option<&str>) -> SbomPackage {
        SbomPackage {
            kind: "deb".into(),
            name: name.into(),
            version: version.into(),
            layer_digest: layer.map(str::to_string),
            ..SbomPackage::default()
        }
    }

    #[test]
    fn aligned_sorted_short() {
        let layer = format!("sha256:{}", "0123456789abcdef".repeat(4));
        let input = SbomInput {
            subject: Subject::new("img", SubjectKind::Image),
            os: None,
            packages: vec![
                pkg("zlib1g", "1:1.2.13", Some(&layer)),
                pkg("bash", "5.2.15-2+b13", None),
                pkg("évil\x1b[31m", "1", None),
            ],
            tool_version: "0".into(),
            timestamp: "1970-01-01T00:00:00Z".into(),
        };
        let text = write(&input);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NAME"), "{text}");
        assert!(lines[1].starts_with("bash "), "{text}");
        assert!(lines[2].starts_with("zlib1g "), "{text}");
        assert!(lines[2].ends_with(" 0123456789ab"), "{text}");
        // Columns line up: VERSION starts at the same offset on every row.
        let col = lines[0].find("VERSION").unwrap_or(0);
        assert!(col > 0);
        assert_eq!(lines[1].chars().nth(col - 1), Some(' '));
        assert!(lines[1]
            .chars()
            .skip(col)
            .collect::<String>()
            .starts_with("5.2.15"));
        assert!(!text.contains('\x1b'), "escape passed through: {text:?}");
        assert!(lines[3].starts_with("évil\\u{1b}[31m "), "{text}");
        assert!(text.contains("3 package(s) in img (unknown OS)"), "{text}");
    }
}
