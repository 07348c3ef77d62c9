//! CVSS v3.0 / v3.1 base scores from vector strings, following the FIRST
//! specification documents (section 7.1 "Base Metrics Equations" and, for
//! 3.1, Appendix A "Floating Point Rounding"). Other CVSS versions are kept
//! as vectors only: v2 is obsolete in current feeds and v4's score needs the
//! specification's large macro-vector lookup table.

/// A computed CVSS v3 base score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cvss3 {
    /// The base score, 0.0 to 10.0, one decimal.
    pub score: f64,
    /// `3.0` or `3.1` (as its minor number: 0 or 1).
    pub minor: u8,
}

impl Cvss3 {
    /// The qualitative rating of the score (specification table 14).
    pub fn rating(&self) -> &'static str {
        rating(self.score)
    }
}

/// The qualitative rating of a CVSS v3 score: `NONE`, `LOW`, `MEDIUM`,
/// `HIGH`, `CRITICAL`.
pub fn rating(score: f64) -> &'static str {
    if score <= 0.0 {
        "NONE"
    } else if score < 4.0 {
        "LOW"
    } else if score < 7.0 {
        "MEDIUM"
    } else if score < 9.0 {
        "HIGH"
    } else {
        "CRITICAL"
    }
}

/// Computes the base score of a `CVSS:3.0/…` or `CVSS:3.1/…` vector. Every
/// base metric must appear exactly once; temporal and environmental metrics
/// may follow (they do not change the base score) but must be known keys.
pub fn base_score(vector: &str) -> Result<Cvss3, String> {
    let mut parts = vector.trim().split('/');
    let minor = match parts.next() {
        Some("CVSS:3.0") => 0,
        Some("CVSS:3.1") => 1,
        _ => return Err(format!("not a CVSS v3 vector: {vector:?}")),
    };
    let mut base: [Option<char>; 8] = [None; 8];
    const BASE: [&str; 8] = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
    const OTHER: [&str; 14] = [
        "E", "RL", "RC", "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA",
    ];
    let mut seen_other: Vec<&str> = Vec::new();
    for part in parts {
        let (key, value) = part
            .split_once(':')
            .ok_or_else(|| format!("malformed metric {part:?}"))?;
        let mut chars = value.chars();
        let (Some(v), None) = (chars.next(), chars.next()) else {
            return Err(format!("malformed metric value {part:?}"));
        };
        if let Some(i) = BASE.iter().position(|k| *k == key) {
            if base[i].replace(v).is_some() {
                return Err(format!("metric {key} given twice"));
            }
        } else if OTHER.contains(&key) {
            if seen_other.contains(&key) {
                return Err(format!("metric {key} given twice"));
            }
            seen_other.push(key);
        } else {
            return Err(format!("unknown metric {key:?}"));
        }
    }
    let get = |i: usize| base[i].ok_or_else(|| format!("base metric {} missing", BASE[i]));
    let bad = |i: usize, v: char| format!("bad value {v:?} for {}", BASE[i]);
    let scope_changed = match get(4)? {
        'U' => false,
        'C' => true,
        v => return Err(bad(4, v)),
    };
    let av = match get(0)? {
        'N' => 0.85,
        'A' => 0.62,
        'L' => 0.55,
        'P' => 0.2,
        v => return Err(bad(0, v)),
    };
    let ac = match get(1)? {
        'L' => 0.77,
        'H' => 0.44,
        v => return Err(bad(1, v)),
    };
    let pr = match (get(2)?, scope_changed) {
        ('N', _) => 0.85,
        ('L', false) => 0.62,
        ('L', true) => 0.68,
        ('H', false) => 0.27,
        ('H', true) => 0.5,
        (v, _) => return Err(bad(2, v)),
    };
    let ui = match get(3)? {
        'N' => 0.85,
        'R' => 0.62,
        v => return Err(bad(3, v)),
    };
    let cia = |i: usize| -> Result<f64, String> {
        match get(i)? {
            'H' => Ok(0.56),
            'L' => Ok(0.22),
            'N' => Ok(0.0),
            v => Err(bad(i, v)),
        }
    };
    let (c, i, a) = (cia(5)?, cia(6)?, cia(7)?);
    let iss = 1.0 - ((1.0 - c) * (1.0 - i) * (1.0 - a));
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    let score = if impact <= 0.0 {
        0.0
    } else if scope_changed {
        round_up(minor, (1.08 * (impact + exploitability)).min(10.0))
    } else {
        round_up(minor, (impact + exploitability).min(10.0))
    };
    Ok(Cvss3 { score, minor })
}

/// "Roundup": the smallest one-decimal number not below the input. 3.1
/// defines it on integers (scaled by 100,000) so that floating-point noise
/// such as 4.000000000000001 does not round up to 4.1; 3.0 uses the plain
/// ceiling.
fn round_up(minor: u8, x: f64) -> f64 {
    if minor == 0 {
        return (x * 10.0).ceil() / 10.0;
    }
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_scores() {
        // Scores as the FIRST calculator gives them for these common vectors.
        let cases = [
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                9.8,
                "CRITICAL",
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
                10.0,
                "CRITICAL",
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
                6.1,
                "MEDIUM",
            ),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "HIGH"),
            (
                "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
                5.9,
                "MEDIUM",
            ),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "HIGH"),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8, "HIGH"),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N",
                5.3,
                "MEDIUM",
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
                6.4,
                "MEDIUM",
            ),
            (
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H",
                5.5,
                "MEDIUM",
            ),
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "LOW"),
            (
                "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                9.8,
                "CRITICAL",
            ),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "NONE"),
            // Temporal metrics do not change the base score.
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C",
                9.8,
                "CRITICAL",
            ),
        ];
        for (v, score, rating) in cases {
            let got = base_score(v).unwrap();
            assert_eq!(got.score, score, "{v}");
            assert_eq!(got.rating(), rating, "{v}");
        }
    }

    #[test]
    fn roundup_of_floating_noise() {
        // 3.1's integer Roundup keeps 4.000000000000001 at 4.0; 3.0's ceiling
        // does not.
        assert_eq!(round_up(1, 4.000_000_000_000_001), 4.0);
        assert_eq!(round_up(0, 4.000_000_000_000_001), 4.1);
        assert_eq!(round_up(1, 4.02), 4.1);
        assert_eq!(round_up(1, 4.0), 4.0);
    }

    #[test]
    fn malformed_vectors() {
        for v in [
            "",
            "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:2.0/AV:N",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H",
            "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:HH",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E",
        ] {
            assert!(base_score(v).is_err(), "{v:?}");
        }
    }
}
