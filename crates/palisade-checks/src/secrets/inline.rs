//! PAL-SECRET-004: a `Secret` with its values written inline (`data`, `stringData`) in a
//! manifest repository. Service account token Secrets are PAL-SA-003's, and Secrets whose
//! values are all empty or references (`${DB_PASSWORD}` filled in at deploy time) hold
//! nothing yet.

use palisade_core::{Emitter, Object};

use super::values::is_placeholder;
use super::INLINE_SECRET;

/// The Secret type whose data the API server fills in (reported by PAL-SA-003).
const SA_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

pub(super) fn check(obj: &Object, em: &mut Emitter) {
    if !em.enabled(&INLINE_SECRET) {
        return;
    }
    if obj.root.get("type").and_then(|t| t.as_str()) == Some(SA_TOKEN_TYPE) {
        return;
    }
    let mut keys: Vec<&str> = Vec::new();
    let mut at = None;
    for section in ["data", "stringData"] {
        let Some(entry) = obj.root.entry(section) else {
            continue;
        };
        let before = keys.len();
        for e in entry.value.entries() {
            let literal = e.value.as_str().is_some_and(|v| !is_placeholder(v));
            if let (true, Some(k)) = (literal, e.key.scalar_text()) {
                keys.push(k);
            }
        }
        if keys.len() > before && at.is_none() {
            at = Some((entry.key.pos, section));
        }
    }
    let Some((pos, section)) = at else {
        return;
    };
    let shown: Vec<String> = keys.iter().take(5).map(|k| format!("`{k}`")).collect();
    let more = keys.len().saturating_sub(shown.len());
    let list = if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    };
    em.emit(
        &INLINE_SECRET,
        obj,
        pos,
        Some(section.to_string().into()),
        format!(
            "Secret holds {} inline value{} ({list}); keep it out of the repository with \
             SealedSecrets, External Secrets or SOPS",
            keys.len(),
            if keys.len() == 1 { "" } else { "s" }
        ),
    );
}
