//! Element identifiers that must be unique within a document (CycloneDX `bom-ref`, SPDX
//! `SPDXID`) and the SPDX idstring character set.

use std::collections::HashSet;

/// Hands out identifiers, each at most once: a taken base gets `SEP2`, `SEP3`, … appended.
#[derive(Debug, Default)]
pub(crate) struct Unique {
    taken: HashSet<String>,
}

impl Unique {
    /// `base` if free, else the first free `base{sep}{n}` for n = 2, 3, …
    pub(crate) fn claim(&mut self, base: String, sep: &str) -> String {
        if self.taken.insert(base.clone()) {
            return base;
        }
        let mut n = 2usize;
        loop {
            let candidate = format!("{base}{sep}{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// Maps a string into the SPDX idstring set (`[A-Za-z0-9.-]+`, SPDX 2.3 clause 3.2 and 7.2):
/// any other character (`+`, `~`, `:`, `@`, space, non-ASCII) becomes `-`; runs collapse.
pub(crate) fn spdx_idstring(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' {
            c
        } else {
            '-'
        };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "x".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Whether `s` is a valid `SPDXRef-` element id.
#[cfg(test)]
fn is_spdx_ref(s: &str) -> bool {
    s.strip_prefix("SPDXRef-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_suffixes() {
        let mut u = Unique::default();
        assert_eq!(u.claim("a".into(), "-"), "a");
        assert_eq!(u.claim("a".into(), "-"), "a-2");
        assert_eq!(u.claim("a".into(), "-"), "a-3");
        assert_eq!(u.claim("a-2".into(), "-"), "a-2-2");
    }

    #[test]
    fn idstrings() {
        assert_eq!(
            spdx_idstring("deb-bash-5.2.15-2+b13"),
            "deb-bash-5.2.15-2-b13"
        );
        assert_eq!(spdx_idstring("1:2.3~rc1 x"), "1-2.3-rc1-x");
        assert_eq!(spdx_idstring("ünï"), "n");
        assert_eq!(spdx_idstring("日本"), "x");
        assert!(is_spdx_ref(&format!("SPDXRef-{}", spdx_idstring("a b@c"))));
        assert!(!is_spdx_ref("SPDXRef-a b"));
        assert!(!is_spdx_ref("SPDXRef-"));
    }
}
