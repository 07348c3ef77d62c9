//! Kubernetes resource quantities for CEL: `quantity()`, `isQuantity()` and the member
//! functions of `k8s.io/apiserver/pkg/cel/library/quantity.go` (`compareTo`,
//! `isGreaterThan`, `isLessThan`, `asInteger`, `isInteger`, `asApproximateFloat`, `sign`,
//! `add`, `sub`).
//!
//! Parsing follows `resource.ParseQuantity`: an optional sign, digits with an optional
//! fraction, then a binary-SI suffix (`Ki` … `Ei`), a decimal-SI suffix (`n`, `u`, `m`, `k`,
//! `M` … `E`) or a decimal exponent (`e3`, `E-2`). The value is kept exactly as
//! `mantissa × 10^exp10 × 2^exp2` when it fits an `i128`, which covers every quantity a
//! manifest realistically holds; comparisons are exact.

use std::cmp::Ordering;

/// A parsed quantity. Equality is numeric (`Quantity.Equal`: `1` equals `1000m`).
#[derive(Debug, Clone)]
pub struct Quantity {
    /// The value in units of 10^scale (scale ≤ 0 keeps fractions exact).
    value: i128,
    scale: i32,
}

const MAX_SCALE_GAP: i32 = 30;

impl Quantity {
    /// Parses a quantity string; the error names why it is not one.
    pub fn parse(text: &str) -> Result<Quantity, String> {
        let bad = || {
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'".to_string()
        };
        let (negative, rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(bad());
        }
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        let digits = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 30 {
            return Err("quantity has too many digits".into());
        }
        let mut mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| bad())?
        };
        let mut exp10: i32 = -(frac_part.len() as i32);
        let mut exp2: u32 = 0;
        match suffix {
            "" => {}
            "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
                let n = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                    .iter()
                    .position(|s| *s == suffix)
                    .unwrap_or(0) as u32;
                exp2 = 10 * (n + 1);
            }
            "n" => exp10 -= 9,
            "u" => exp10 -= 6,
            "m" => exp10 -= 3,
            "k" => exp10 += 3,
            "M" => exp10 += 6,
            "G" => exp10 += 9,
            "T" => exp10 += 12,
            "P" => exp10 += 15,
            "E" => exp10 += 18,
            s if s.starts_with(['e', 'E']) => {
                let e: i32 = s[1..].parse().map_err(|_| bad())?;
                if !(-100..=100).contains(&e) {
                    return Err("quantity exponent is out of range".into());
                }
                exp10 += e;
            }
            _ => return Err(bad()),
        }
        mantissa = mantissa
            .checked_mul(1i128 << exp2)
            .ok_or("quantity is too large")?;
        if negative {
            mantissa = -mantissa;
        }
        Ok(Quantity {
            value: mantissa,
            scale: exp10,
        })
    }

    /// Exact comparison (`Quantity.Cmp`).
    pub fn compare(&self, other: &Quantity) -> Ordering {
        let (a, b) = (self.value, other.value);
        let gap = self.scale - other.scale;
        if a.signum() != b.signum() || gap.abs() > MAX_SCALE_GAP {
            // Different signs, or scales so far apart that magnitudes decide.
            return self
                .approx()
                .partial_cmp(&other.approx())
                .unwrap_or(Ordering::Equal);
        }
        let scaled = |v: i128, by: i32| v.checked_mul(10i128.pow(by as u32));
        let result = if gap >= 0 {
            scaled(a, gap).map(|x| x.cmp(&b))
        } else {
            scaled(b, -gap).map(|y| a.cmp(&y))
        };
        result.unwrap_or_else(|| {
            self.approx()
                .partial_cmp(&other.approx())
                .unwrap_or(Ordering::Equal)
        })
    }

    /// The value as a float (`AsApproximateFloat64`).
    pub fn approx(&self) -> f64 {
        self.value as f64 * 10f64.powi(self.scale)
    }

    /// The value as an `i64` when it is a whole number that fits (`AsInt64`).
    pub fn as_integer(&self) -> Option<i64> {
        if self.scale >= 0 {
            let factor = 10i128.checked_pow(self.scale as u32)?;
            return i64::try_from(self.value.checked_mul(factor)?).ok();
        }
        let divisor = 10i128.checked_pow((-self.scale) as u32)?;
        if self.value % divisor != 0 {
            return None;
        }
        i64::try_from(self.value / divisor).ok()
    }

    /// The sum (or difference, with `negate`), exact when it fits.
    pub fn add(&self, other: &Quantity, negate: bool) -> Option<Quantity> {
        let scale = self.scale.min(other.scale);
        let lift = |q: &Quantity| {
            q.value
                .checked_mul(10i128.checked_pow((q.scale - scale) as u32)?)
        };
        let b = lift(other)?;
        let value = lift(self)?.checked_add(if negate { b.checked_neg()? } else { b })?;
        Some(Quantity { value, scale })
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Quantity) -> bool {
        self.compare(other) == Ordering::Equal
    }
}

impl Eq for Quantity {}

impl cel::objects::Opaque for Quantity {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.Quantity"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn parses_and_compares_exactly() {
        assert_eq!(q("1Gi").compare(&q("1024Mi")), Ordering::Equal);
        assert_eq!(q("1G").compare(&q("1Gi")), Ordering::Less);
        assert_eq!(q("500m").compare(&q("0.5")), Ordering::Equal);
        assert_eq!(q("1.5").compare(&q("1500m")), Ordering::Equal);
        assert_eq!(q("2e3").compare(&q("2k")), Ordering::Equal);
        assert_eq!(q("-1").compare(&q("1m")), Ordering::Less);
        assert_eq!(q("1Ki").as_integer(), Some(1024));
        assert_eq!(q("1500m").as_integer(), None);
        assert_eq!(q("1"), q("1000m"));
        for bad in ["", "abc", "1.2.3", "1Qi", "1e", "--1", "."] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }
}
