//! Which service account a pod runs as, and whether its API token is mounted: the pod spec
//! first, then (when the input has it) the ServiceAccount object itself.

use palisade_core::yaml::{Entry, Node};
use palisade_core::{cat, Context, Object, Workload};

use super::{spelled, DEFAULT_SERVICE_ACCOUNT, SA_TOKEN_AUTOMOUNT};
use crate::Emitter;

/// The service account a pod spec names, with the entry that names it. `serviceAccount` is
/// the deprecated spelling; the API server uses it when `serviceAccountName` is empty. A pod
/// that names none runs as `default`.
pub(crate) fn named_account<'a>(w: &Workload<'a>) -> (&'a str, Option<(&'static str, &'a Entry)>) {
    let named = |field: &'static str| {
        w.spec
            .entry(field)
            .filter(|e| e.value.as_str().is_some_and(|s| !s.is_empty()))
            .map(|e| (field, e))
    };
    match named("serviceAccountName").or_else(|| named("serviceAccount")) {
        Some((field, e)) => (e.value.as_str().unwrap_or("default"), Some((field, e))),
        None => ("default", None),
    }
}

/// PAL-POD-033. The pod's own `automountServiceAccountToken` wins; when it leaves the field
/// unset, the ServiceAccount's setting applies (the kubelet mounts the token unless either
/// says false). Without the ServiceAccount in the input the pod spec is all there is, and the
/// message says so.
pub(super) fn token_automount(w: &Workload, ctx: &Context, em: &mut Emitter) {
    let obj = w.object;
    let entry = w.spec.entry("automountServiceAccountToken");
    let (pos, message) = match entry {
        Some(e) if e.value.as_bool() == Some(false) => return,
        Some(e) if e.value.as_bool() == Some(true) => (
            e.key.pos,
            "automountServiceAccountToken is true: every container gets the service account's \
             API token"
                .to_string(),
        ),
        // A quoted "false" is a string, which the API server refuses for a bool field.
        Some(e) if !e.value.is_null() => (
            e.key.pos,
            cat!(
                "automountServiceAccountToken is ",
                spelled(&e.value),
                ", not the boolean false"
            ),
        ),
        _ => {
            let (name, _) = named_account(w);
            let account = ctx.service_account(obj.id.namespace.as_deref(), name);
            // What follows the account's name.
            let why = match account.map(account_automount) {
                Some(Some(false)) => return,
                Some(Some(true)) => "` (in the input) sets it to true",
                Some(None) => "` (in the input) does not opt out either",
                None => "` is not in the input, so nothing shows it opts out",
            };
            (
                entry.map_or(obj.root.pos, |e| e.key.pos),
                cat!(
                    "the pod spec does not set automountServiceAccountToken: false, and its \
                     ServiceAccount `",
                    name,
                    why,
                    ": the service account's API token is mounted"
                ),
            )
        }
    };
    em.emit(
        &SA_TOKEN_AUTOMOUNT,
        obj,
        pos,
        Some(w.field_path("automountServiceAccountToken")),
        message,
    );
}

/// A ServiceAccount's own `automountServiceAccountToken`, when it is a boolean.
pub(crate) fn account_automount(account: &Object) -> Option<bool> {
    account
        .root
        .get("automountServiceAccountToken")
        .and_then(Node::as_bool)
}

pub(super) fn default_service_account(w: &Workload, em: &mut Emitter) {
    let obj = w.object;
    match named_account(w) {
        (_, Some((field, e))) if e.value.as_str() == Some("default") => {
            em.emit(
                &DEFAULT_SERVICE_ACCOUNT,
                obj,
                e.key.pos,
                Some(w.field_path(field)),
                cat!(field, " is `default`"),
            );
        }
        (_, Some(_)) => {}
        (_, None) => {
            em.emit(
                &DEFAULT_SERVICE_ACCOUNT,
                obj,
                obj.root.pos,
                Some(w.field_path("serviceAccountName")),
                "the pod spec names no service account, so it runs as the namespace's \
                 `default` service account",
            );
        }
    }
}
