//! Which license strings are SPDX: a single license-list id, a valid SPDX license expression,
//! or a free-form name. Package metadata mixes all three (`GPL-2+` from a Debian copyright
//! file, `MIT` from a wheel, `BSD License` from a Python classifier); each output format has a
//! place for each kind, and putting a name where an id belongs makes the document invalid.

use spdx::{Expression, ParseMode};

/// What a license string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseForm<'a> {
    /// One id of the SPDX license list, spelled exactly (case included), that the CycloneDX
    /// 1.6 schema's license enumeration also knows.
    Id(&'a str),
    /// A valid SPDX license expression that is not such an id: compound (`MIT OR
    /// Apache-2.0`), with `+` or `WITH`, a `LicenseRef-…`, or an id newer than the schema.
    Expression(&'a str),
    /// Anything else: written as a name (CycloneDX) or a `LicenseRef-` (SPDX).
    Name(&'a str),
}

/// SPDX expression syntax as the specification defines it (ids case-sensitive, only `AND`,
/// `OR`, `WITH`, no imprecise names such as `apache`), except that deprecated ids (`GPL-2.0`)
/// and `+` after a GNU id (`GPL-2.0+`, itself a deprecated id on the list) are accepted: the
/// specification's grammar allows `+` after any id, and both formats accept deprecated ids.
const MODE: ParseMode = ParseMode {
    allow_slash_as_or_operator: false,
    allow_imprecise_license_names: false,
    allow_postfix_plus_on_gpl: true,
    allow_deprecated: true,
    allow_unknown: false,
};

/// Ids on the SPDX license list the `spdx` crate ships (3.29) that the enumeration in the
/// CycloneDX 1.6 schema (`spdx.schema.json`, list 3.28) lacks; they are written as
/// expressions there. `tests/format_schema.rs` validates every other id as a CycloneDX
/// `license.id`, so a newer crate that adds more fails that test instead of the output.
const NOT_IN_CYCLONEDX_ENUM: &[&str] = &[
    "BSD-2-Clause-pos-unchanged",
    "BSD-3-Clause-OpenWebUI",
    "BSD-Source-Code-no-disclaimer",
    "BSD-Source-alt-GPL",
    "BSD-ask-to-endorse",
    "Brian-Gladman-3-Clause-no-conversion",
    "Bugroff",
    "CC-BY-NC-3.0-IGO",
    "FDK-MPEG-H",
    "GFDL-1.1-invariants",
    "GFDL-1.1-no-invariants",
    "GFDL-1.2-invariants",
    "GFDL-1.2-no-invariants",
    "GFDL-1.3-invariants",
    "GFDL-1.3-no-invariants",
    "Hippocratic-3.0-core",
    "Informatica",
    "MVT-1.1",
    "atc-game",
];

/// Classifies one license string (surrounding whitespace ignored).
pub fn classify(s: &str) -> LicenseForm<'_> {
    let s = s.trim();
    // NONE and NOASSERTION are SPDX keywords, not licenses a package declares.
    if s.is_empty() || s == "NONE" || s == "NOASSERTION" {
        return LicenseForm::Name(s);
    }
    if let Some(id) = spdx::license_id(s) {
        // `license_id` ignores a trailing `+`; an id is only the exact spelling.
        if id.name == s && !NOT_IN_CYCLONEDX_ENUM.contains(&s) {
            return LicenseForm::Id(s);
        }
    }
    match Expression::parse_mode(s, MODE) {
        Ok(expr) if !mentions_keyword(&expr) => LicenseForm::Expression(s),
        _ => LicenseForm::Name(s),
    }
}

/// Whether an expression uses NONE/NOASSERTION as a term (the crate lists NOASSERTION as a
/// license; SPDX does not allow the keywords inside an expression).
fn mentions_keyword(expr: &Expression) -> bool {
    expr.requirements().any(|r| {
        let text = r.req.license.to_string();
        text == "NOASSERTION" || text == "NONE"
    })
}

/// Every id the writers may emit as a CycloneDX `license.id` (for the schema test).
pub fn cyclonedx_ids() -> impl Iterator<Item = &'static str> {
    spdx::identifiers::LICENSES
        .iter()
        .map(|l| l.name)
        .filter(|n| matches!(classify(n), LicenseForm::Id(_)))
}

/// The SPDX license list version the classification uses (`creationInfo.licenseListVersion`
/// takes `MAJOR.MINOR`).
pub fn list_version() -> String {
    let v = spdx::identifiers::VERSION;
    let mut parts = v.split('.');
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => format!("{a}.{b}"),
        _ => v.to_string(),
    }
}

/// A `LicenseRef-` id for a free-form name: characters outside the idstring set
/// (`[A-Za-z0-9.-]`) become `-`.
pub fn license_ref(name: &str) -> String {
    let body: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if body.is_empty() {
        "LicenseRef-unnamed".to_string()
    } else {
        format!("LicenseRef-{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_expressions_names() {
        assert_eq!(classify("MIT"), LicenseForm::Id("MIT"));
        assert_eq!(classify(" Apache-2.0 "), LicenseForm::Id("Apache-2.0"));
        assert_eq!(classify("GPL-2.0"), LicenseForm::Id("GPL-2.0"));
        assert_eq!(classify("mit"), LicenseForm::Name("mit"));
        assert_eq!(classify("MIT+"), LicenseForm::Expression("MIT+"));
        assert_eq!(
            classify("MIT OR Apache-2.0"),
            LicenseForm::Expression("MIT OR Apache-2.0")
        );
        assert_eq!(
            classify("GPL-2.0-or-later WITH Classpath-exception-2.0"),
            LicenseForm::Expression("GPL-2.0-or-later WITH Classpath-exception-2.0")
        );
        assert_eq!(
            classify("LicenseRef-foo"),
            LicenseForm::Expression("LicenseRef-foo")
        );
        assert_eq!(classify("GPL-2+"), LicenseForm::Name("GPL-2+"));
        assert_eq!(classify("GPL-2.0+"), LicenseForm::Expression("GPL-2.0+"));
        assert_eq!(classify("BSD License"), LicenseForm::Name("BSD License"));
        assert_eq!(
            classify("MIT/Apache-2.0"),
            LicenseForm::Name("MIT/Apache-2.0")
        );
        assert_eq!(classify("NOASSERTION"), LicenseForm::Name("NOASSERTION"));
        assert_eq!(
            classify("MIT AND NOASSERTION"),
            LicenseForm::Name("MIT AND NOASSERTION")
        );
        assert_eq!(
            classify("Informatica"),
            LicenseForm::Expression("Informatica")
        );
    }

    #[test]
    fn refs() {
        assert_eq!(license_ref("GPL-2+"), "LicenseRef-GPL-2-");
        assert_eq!(license_ref("BSD License"), "LicenseRef-BSD-License");
        assert_eq!(license_ref("  "), "LicenseRef-unnamed");
        assert_eq!(license_ref("Lizenz ü"), "LicenseRef-Lizenz--");
    }

    #[test]
    fn list_version_is_major_minor() {
        let v = list_version();
        assert_eq!(v.split('.').count(), 2, "{v}");
    }
}
