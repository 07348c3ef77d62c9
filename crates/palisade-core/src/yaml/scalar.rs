//! What a plain (unquoted) scalar means, following the YAML decoder kubectl and the API
//! server use (a go-yaml v2 fork): YAML 1.1 booleans (`yes`, `on`, `Y`, ...), `~` and empty
//! for null, `0x`/`0b`/leading-zero octal integers, `_` digit separators.

use std::borrow::Cow;

/// True when the plain scalar reads as null.
pub fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// The boolean a plain scalar reads as, if any.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// The integer a plain scalar reads as, if any.
pub fn parse_int(text: &str) -> Option<i64> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    // YAML 1.1 allows `_` between digits; most numbers have none, and a copy without them
    // is made only for those that do (scans read every port and count through here).
    let digits: Cow<str> = if body.contains('_') {
        Cow::Owned(body.chars().filter(|&c| c != '_').collect())
    } else {
        Cow::Borrowed(body)
    };
    if digits.is_empty() || body.starts_with('_') {
        return None;
    }
    let magnitude = if let Some(bin) = digits.strip_prefix("0b") {
        u64::from_str_radix(bin, 2).ok()?
    } else if let Some(hex) = digits.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        u64::from_str_radix(oct, 8).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<u64>().ok()?
    } else {
        return None;
    };
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// The float a plain scalar reads as, if any (integers excluded).
pub fn parse_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let b = text.as_bytes();
    let first = *b.first()?;
    let looks_numeric = first.is_ascii_digit()
        || (matches!(first, b'-' | b'+' | b'.') && b.len() > 1)
        || first == b'.';
    if !looks_numeric || !b.iter().any(u8::is_ascii_digit) {
        return None;
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+' | b'_'))
    {
        return None;
    }
    text.replace('_', "").parse::<f64>().ok()
}

/// JSON value of a plain scalar, as kubectl converts YAML to JSON.
pub fn plain_to_json(text: &str) -> serde_json::Value {
    use serde_json::Value as J;
    if is_null(text) {
        J::Null
    } else if let Some(b) = parse_bool(text) {
        J::Bool(b)
    } else if let Some(i) = parse_int(text) {
        J::from(i)
    } else if let Some(f) = parse_float(text) {
        serde_json::Number::from_f64(f).map_or_else(|| J::String(text.into()), J::Number)
    } else {
        J::String(text.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_booleans() {
        for t in ["yes", "Yes", "YES", "on", "ON", "y", "true", "True"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for t in ["no", "off", "N", "false", "FALSE"] {
            assert_eq!(parse_bool(t), Some(false), "{t}");
        }
        for t in ["yEs", "1", "", "truee"] {
            assert_eq!(parse_bool(t), None, "{t}");
        }
    }

    #[test]
    fn integers_in_every_base() {
        assert_eq!(parse_int("8080"), Some(8080));
        assert_eq!(parse_int("-1"), Some(-1));
        assert_eq!(parse_int("+0"), Some(0));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("0b101"), Some(5));
        assert_eq!(parse_int("0644"), Some(420));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), None);
        assert_eq!(parse_int("08"), None);
        assert_eq!(parse_int("1.5"), None);
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_int("abc"), None);
    }

    #[test]
    fn json_conversion() {
        assert_eq!(plain_to_json("~"), serde_json::Value::Null);
        assert_eq!(plain_to_json("on"), serde_json::json!(true));
        assert_eq!(plain_to_json("0.5"), serde_json::json!(0.5));
        assert_eq!(plain_to_json("1e3"), serde_json::json!(1000.0));
        assert_eq!(plain_to_json("nginx:1.25"), serde_json::json!("nginx:1.25"));
        assert_eq!(plain_to_json("1.2.3"), serde_json::json!("1.2.3"));
        assert_eq!(plain_to_json("-"), serde_json::json!("-"));
    }
}
