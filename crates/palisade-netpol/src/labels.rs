//! Label key and value syntax, as the API server validates selectors
//! (`ValidateLabelSelector` → `ValidateLabels`, `ValidateLabelName`, `IsValidLabelValue`).

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63 characters.
fn is_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A DNS-1123 subdomain: dot-separated lowercase labels, at most 253 characters.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter()
                    .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        })
}

/// A label key (`IsQualifiedName`): `name` or `prefix/name`; why not, when invalid.
pub(crate) fn check_key(key: &str) -> Result<(), String> {
    let ok = match key.split_once('/') {
        None => is_name_part(key),
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_name_part(name),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{key}` is not a valid label key: a name of at most 63 alphanumerics, '-', '_' \
             or '.' (starting and ending alphanumeric), optionally after a DNS subdomain prefix \
             and '/'"
        ))
    }
}

/// A label value (`IsValidLabelValue`): empty, or a name part.
pub(crate) fn check_value(value: &str) -> Result<(), String> {
    if value.is_empty() || is_name_part(value) {
        Ok(())
    } else {
        Err(format!(
            "`{value}` is not a valid label value: at most 63 alphanumerics, '-', '_' or '.', \
             starting and ending alphanumeric"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_follow_the_api_syntax() {
        for good in [
            "app",
            "app.kubernetes.io/name",
            "kubernetes.io/metadata.name",
            "A_b-c.9",
        ] {
            assert!(check_key(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-app",
            "app-",
            "a/b/c",
            "Upper.Case/x",
            "/x",
            "x/",
            &"a".repeat(64),
        ] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
        assert!(check_value("").is_ok() && check_value("v1.2_x").is_ok());
        assert!(check_value("hello world").is_err() && check_value("-x").is_err());
    }
}
