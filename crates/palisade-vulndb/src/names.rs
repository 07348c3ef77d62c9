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

/// The OSV ecosystem of an operating system's packages, from
/// `/etc/os-release` `ID` and `VERSION_ID`: `debian` `12` → `Debian:12`,
/// `alpine` `3.20.3` → `Alpine:v3.20` (major.minor, `v` prefix),
/// `ubuntu` `22.04` → `Ubuntu:22.04:LTS` (April releases of even years are
/// LTS; OSV spells them so), `ubuntu` `23.10` → `Ubuntu:23.10`. `None` for
/// other systems or a missing version.
pub fn os_ecosystem(id: &str, version_id: &str) -> Option<String> {
    let v = version_id.trim();
    if v.is_empty() {
        return None;
    }
    match id.trim() {
        "debian" => {
            let major = v
                .split('.')
                .next()
                .filter(|m| m.bytes().all(|b| b.is_ascii_digit()))?;
            Some(format!("Debian:{major}"))
        }
        "alpine" => {
            let mut parts = v.split('.');
            let (major, minor) = (parts.next()?, parts.next()?);
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            (digits(major) && digits(minor)).then(|| format!("Alpine:v{major}.{minor}"))
        }
        "ubuntu" => {
            let (year, month) = v.split_once('.')?;
            let year_n: u32 = year.parse().ok()?;
            let lts = month == "04" && year_n % 2 == 0;
            Some(if lts {
                format!("Ubuntu:{v}:LTS")
            } else {
                format!("Ubuntu:{v}")
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_to_ecosystem() {
        assert_eq!(os_ecosystem("debian", "12").as_deref(), Some("Debian:12"));
        assert_eq!(
            os_ecosystem("alpine", "3.20.3").as_deref(),
            Some("Alpine:v3.20")
        );
        assert_eq!(
            os_ecosystem("alpine", "3.9.0_alpha20180925").as_deref(),
            Some("Alpine:v3.9")
        );
        assert_eq!(
            os_ecosystem("ubuntu", "22.04").as_deref(),
            Some("Ubuntu:22.04:LTS")
        );
        assert_eq!(
            os_ecosystem("ubuntu", "23.10").as_deref(),
            Some("Ubuntu:23.10")
        );
        assert_eq!(
            os_ecosystem("ubuntu", "21.04").as_deref(),
            Some("Ubuntu:21.04")
        );
        assert_eq!(os_ecosystem("debian", ""), None);
        assert_eq!(os_ecosystem("alpine", "edge"), None);
        assert_eq!(os_ecosystem("fedora", "40"), None);
    }

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
