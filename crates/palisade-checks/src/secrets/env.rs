//! PAL-SECRET-003: Secrets handed to containers as environment variables
//! (`env[].valueFrom.secretKeyRef`, `envFrom[].secretRef`).

use palisade_core::workload::Described;
use palisade_core::yaml::Node;
use palisade_core::{cat, Container, Emitter, Object, Workload};

use super::SECRET_IN_ENV;

pub(super) fn check(w: &Workload, em: &mut Emitter) {
    if !em.enabled(&SECRET_IN_ENV) {
        return;
    }
    for c in w.containers() {
        let who = c.describe();
        env_vars(w.object, &c, &who, em);
        env_from(w.object, &c, &who, em);
    }
}

fn env_vars(obj: &Object, c: &Container, who: &Described, em: &mut Emitter) {
    let env = c.node.get("env").map(Node::items).unwrap_or_default();
    for (i, var) in env.iter().enumerate() {
        let Some(r) = var.get("valueFrom").and_then(|v| v.entry("secretKeyRef")) else {
            continue;
        };
        let name = var.get("name").and_then(Node::as_str).unwrap_or("");
        let secret = r.value.get("name").and_then(Node::as_str).unwrap_or("?");
        let key = r.value.get("key").and_then(Node::as_str).unwrap_or("?");
        em.emit(
            &SECRET_IN_ENV,
            obj,
            r.key.pos,
            Some(c.field_path_of(&[&"env[", &i, &"].valueFrom.secretKeyRef"])),
            cat!(
                "env `",
                name,
                "` of ",
                *who,
                " takes key `",
                key,
                "` of Secret `",
                secret,
                "`"
            ),
        );
    }
}

fn env_from(obj: &Object, c: &Container, who: &Described, em: &mut Emitter) {
    let sources = c.node.get("envFrom").map(Node::items).unwrap_or_default();
    for (i, source) in sources.iter().enumerate() {
        if let Some(r) = source.entry("secretRef") {
            let secret = r.value.get("name").and_then(Node::as_str).unwrap_or("?");
            em.emit(
                &SECRET_IN_ENV,
                obj,
                r.key.pos,
                Some(c.field_path_of(&[&"envFrom[", &i, &"].secretRef"])),
                cat!(
                    *who,
                    " imports every key of Secret `",
                    secret,
                    "` as environment variables"
                ),
            );
        }
    }
}
