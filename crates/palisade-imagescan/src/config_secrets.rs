//! PAL-IMAGE-002: credentials in the image configuration (`config.Env`, `config.Labels`)
//! and in the history (`created_by` records `ARG` values given to RUN steps and the RUN
//! command lines). The same detector as manifests judges each value; an env var or label
//! is judged under its own name, a history line as a command line (its assignments by
//! their names). A history line that only repeats an `ENV` or `LABEL` already reported is
//! not reported again.

use std::collections::HashSet;
use std::sync::Arc;

use palisade_checks::secret_scan::{scan_value, SecretHit};
use palisade_core::{Emitter, ObjectRef, Severity};
use palisade_image::ImageConfig;

use crate::place::in_config;
use crate::rules::SECRET_IN_CONFIG;

/// Judges env, labels and history and reports what they hold.
pub(crate) fn check(
    config: &ImageConfig,
    subject: &str,
    object: &Arc<ObjectRef>,
    em: &mut Emitter,
) {
    if !em.enabled(&SECRET_IN_CONFIG) {
        return;
    }
    // (name, redacted) of what env and labels reported, to skip their history echo.
    let mut seen: HashSet<(Option<String>, String)> = HashSet::new();
    for (i, item) in config.env.iter().enumerate() {
        let (name, value) = item.split_once('=').unwrap_or((item.as_str(), ""));
        for hit in scan_value(Some(name), value) {
            let field = format!("config.Env[{i}]");
            let place = format!("env var `{name}`");
            seen.insert((hit.name.clone(), hit.redacted.clone()));
            emit(
                subject,
                object,
                field,
                &place,
                &hit,
                "every container inherits it",
                em,
            );
        }
    }
    for (key, value) in &config.labels {
        for hit in scan_value(Some(key), value) {
            let field = format!("config.Labels[{key:?}]");
            let place = format!("label `{key}`");
            seen.insert((hit.name.clone(), hit.redacted.clone()));
            emit(
                subject,
                object,
                field,
                &place,
                &hit,
                "shown by `docker inspect`",
                em,
            );
        }
    }
    for (i, step) in config.history.iter().enumerate() {
        let Some(line) = step.created_by.as_deref() else {
            continue;
        };
        for hit in scan_value(None, line) {
            if seen.contains(&(hit.name.clone(), hit.redacted.clone())) {
                continue;
            }
            let field = format!("history[{i}].created_by");
            let place = format!("build step {i} of the history");
            emit(
                subject,
                object,
                field,
                &place,
                &hit,
                "shown by `docker history`",
                em,
            );
        }
    }
}

fn emit(
    subject: &str,
    object: &Arc<ObjectRef>,
    field: String,
    place: &str,
    hit: &SecretHit,
    exposure: &str,
    em: &mut Emitter,
) {
    let what = match (&hit.name, hit.known_format) {
        (Some(name), false) => format!("a literal value under the secret-like name `{name}`"),
        _ => format!("a {}", hit.kind),
    };
    let message = format!(
        "{place} holds {what} ({}): kept in the image, {exposure}",
        hit.redacted
    );
    let severity = if hit.known_format {
        Severity::High
    } else {
        Severity::Medium
    };
    if let Some(f) = em.emit_graded_at(
        &SECRET_IN_CONFIG,
        severity,
        object,
        in_config(subject),
        message,
    ) {
        f.field = Some(field.into());
        f.evidence = Some(hit.redacted.clone().into());
    }
}
