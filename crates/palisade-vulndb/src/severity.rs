//! A record's severity, summarised once at import: the verbatim scores, the
//! CVSS v3 base score computed from the vector when there is one, and the
//! database's own severity word (GitHub-sourced records keep it in
//! `database_specific.severity`).

use serde::{Deserialize, Serialize};

use crate::cvss;
use crate::osv::{Record, SeverityScore};

/// What is known about a vulnerability's severity.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Severity {
    /// Every `severity[]` entry of the record and of its affected packages,
    /// verbatim (CVSS vectors of any version, Ubuntu priorities).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scores: Vec<SeverityScore>,
    /// The highest CVSS v3 base score computed from those vectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss3_score: Option<f64>,
    /// The vector that gave [`Severity::cvss3_score`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss3_vector: Option<String>,
    /// `database_specific.severity`, verbatim (`LOW`, `MODERATE`, `HIGH`, `CRITICAL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// One rating word: `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `NONE`, from the
    /// CVSS v3 score when there is one, else the database's word (`MODERATE`
    /// read as `MEDIUM`), else an Ubuntu priority (`negligible` read as
    /// `LOW`); `None` when the record says nothing usable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<String>,
}

impl Severity {
    /// Summarises a record's severity.
    pub fn of(record: &Record) -> Severity {
        let mut scores: Vec<SeverityScore> = record.severity.clone();
        for a in &record.affected {
            for s in &a.severity {
                if !scores.contains(s) {
                    scores.push(s.clone());
                }
            }
        }
        let mut best: Option<(f64, &str)> = None;
        for s in &scores {
            if s.kind != "CVSS_V3" {
                continue;
            }
            if let Ok(c) = cvss::base_score(&s.score) {
                if best.is_none_or(|(b, _)| c.score > b) {
                    best = Some((c.score, &s.score));
                }
            }
        }
        let database = record.database_severity().map(str::to_string);
        let rating = match (best, &database) {
            (Some((score, _)), _) => Some(cvss::rating(score).to_string()),
            (None, Some(word)) => normalise_word(word),
            (None, None) => scores
                .iter()
                .find(|s| s.kind == "Ubuntu")
                .and_then(|s| normalise_word(&s.score)),
        };
        Severity {
            cvss3_score: best.map(|(s, _)| s),
            cvss3_vector: best.map(|(_, v)| v.to_string()),
            scores,
            database,
            rating,
        }
    }
}

fn normalise_word(word: &str) -> Option<String> {
    let upper = word.trim().to_ascii_uppercase();
    Some(
        match upper.as_str() {
            "CRITICAL" => "CRITICAL",
            "HIGH" => "HIGH",
            "MODERATE" | "MEDIUM" => "MEDIUM",
            "LOW" | "NEGLIGIBLE" => "LOW",
            "NONE" => "NONE",
            _ => return None,
        }
        .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_beats_database_word() {
        let r = crate::osv::parse_json(
            br#"{"id":"G","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N"},
                {"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],
                "database_specific":{"severity":"HIGH"}}"#,
        )
        .unwrap();
        let s = Severity::of(&r);
        assert_eq!(s.cvss3_score, Some(5.9));
        assert_eq!(s.rating.as_deref(), Some("MEDIUM"));
        assert_eq!(s.database.as_deref(), Some("HIGH"));
        assert_eq!(s.scores.len(), 2);
        let word =
            crate::osv::parse_json(br#"{"id":"G","database_specific":{"severity":"MODERATE"}}"#)
                .unwrap();
        assert_eq!(Severity::of(&word).rating.as_deref(), Some("MEDIUM"));
        let ubuntu = crate::osv::parse_json(
            br#"{"id":"U","affected":[{"severity":[{"type":"Ubuntu","score":"negligible"}]}]}"#,
        )
        .unwrap();
        assert_eq!(Severity::of(&ubuntu).rating.as_deref(), Some("LOW"));
        let none = crate::osv::parse_json(br#"{"id":"N"}"#).unwrap();
        assert_eq!(Severity::of(&none), Severity::default());
    }
}
