//! OS identification from `etc/os-release`, falling back to `usr/lib/os-release` (the
//! os-release(5) lookup order). Values follow shell quoting rules: `KEY=value`, `"…"` or `'…'`,
//! backslash escapes inside double quotes.

use crate::package::{OsRelease, Warning};

/// Paths checked, in order of precedence.
pub const OS_RELEASE_PATHS: [&str; 2] = ["etc/os-release", "usr/lib/os-release"];

/// Parses one os-release file; lines that are not `KEY=value` produce a warning.
pub fn parse(path: &str, text: &str, warnings: &mut Vec<Warning>) -> Option<OsRelease> {
    let mut os = OsRelease {
        found_in: path.to_string(),
        ..OsRelease::default()
    };
    for (idx, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            warnings.push(Warning::new(path, Some(idx + 1), "line is not KEY=value"));
            continue;
        };
        let value = unquote(raw.trim());
        match key.trim() {
            "ID" => os.id = value.to_ascii_lowercase(),
            "VERSION_ID" => os.version_id = non_empty(value),
            "VERSION_CODENAME" => os.codename = non_empty(value),
            "PRETTY_NAME" => os.pretty_name = non_empty(value),
            "ID_LIKE" => os.id_like = value.split_whitespace().map(str::to_string).collect(),
            _ => {}
        }
    }
    if os.id.is_empty() {
        // os-release(5): ID defaults to "linux"; keep the rest but do not invent a distro.
        warnings.push(Warning::new(path, None, "no ID field"));
        return None;
    }
    Some(os)
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn unquote(raw: &str) -> String {
    let bytes = raw.as_bytes();
    if bytes.len() >= 2 && bytes[0] == b'\'' && bytes[bytes.len() - 1] == b'\'' {
        return raw[1..raw.len() - 1].to_string();
    }
    if bytes.len() >= 2 && bytes[0] == b'"' && bytes[bytes.len() - 1] == b'"' {
        let mut out = String::new();
        let mut chars = raw[1..raw.len() - 1].chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        return out;
    }
    raw.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_debian_style_os_release() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
                    VERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\nID_LIKE='x y'\nbad\n";
        let mut w = Vec::new();
        let os = parse("etc/os-release", text, &mut w).unwrap();
        assert_eq!(os.id, "debian");
        assert_eq!(os.version_id.as_deref(), Some("12"));
        assert_eq!(os.codename.as_deref(), Some("bookworm"));
        assert_eq!(
            os.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(os.id_like, vec!["x", "y"]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].line, Some(7));
    }
}
