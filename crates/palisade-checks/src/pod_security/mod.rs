//! The Pod Security Standards, baseline and restricted, with the field semantics of the
//! Kubernetes pod-security admission (pod-level settings inherited by containers, all
//! container kinds checked).

mod baseline;

use palisade_core::{Object, Workload};

use crate::{Checks, Emitter};

pub(crate) static CHECKS: Checks = Checks {
    rules: &[&baseline::HOST_NAMESPACES, &baseline::PRIVILEGED],
    object: Some(check),
    inventory: None,
};

fn check(object: &Object, em: &mut Emitter) {
    let Some(w) = Workload::of(object) else {
        return;
    };
    baseline::check(&w, em);
}
