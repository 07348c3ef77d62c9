//! Package names as OSV keys them, so a query finds a record whatever
//! spelling the installed metadata uses.
//!
//! - `PyPI`: PEP 503 normalisation (lowercase, every run of `-`, `_`, `.`
//!   becomes one `-`), as OSV and pip compare names.
//! - Everything else as given: Go module paths are case-sensitive, Maven
//!   names are `groupId:artifactId`, npm names are already lowercase, and
//!   Debian/Ubuntu/Alpine names are the distribution's own (for Debian and
//!   Ubuntu the *source* package; for Alpine the apk `origin`).

use std::borrow::Cow;

/// The name under which `ecosystem` stores `name`.
pub fn normalize_name<'a>(ecosystem: &str, name: &'a str) -> Cow<'a, str> {
    if ecosystem == "PyPI" {
        let already = name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.contains("--");
        if already {
            return Cow::Borrowed(name);
        }
        let mut out = String::with_capacity(name.len());
        let mut in_run = false;
        for c in name.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !in_run {
                    out.push('-');
                }
                in_run = true;
            } else {
                out.extend(c.to_lowercase());
                in_run = false;
            }
        }
        return Cow::Owned(out);
    }
    Cow::Borrowed(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        for (given, want) in [
            ("Django", "django"),
            ("zope.interface", "zope-interface"),
            ("Foo__Bar-.baz", "foo-bar-baz"),
            ("already-normal", "already-normal"),
            ("a--b", "a-b"),
        ] {
            assert_eq!(normalize_name("PyPI", given), want);
        }
        assert_eq!(
            normalize_name("Go", "github.com/BurntSushi/toml"),
            "github.com/BurntSushi/toml"
        );
        assert_eq!(normalize_name("Maven", "org.Apache:x"), "org.Apache:x");
    }
}
