//! Dockerfiles (the build stage): root user, unverified downloads, unpinned bases, SSH,
//! sudo, package caches and health checks.
//!
//! Every stage is judged on its own; the rules about what runs (USER, HEALTHCHECK) look at
//! the final stage only, following `FROM <earlier stage>` back to what it inherits.
//! Findings are about a stage: the object is `Dockerfile/<stage name>` (or
//! `Dockerfile/stage N (<base>)` for an unnamed stage) and the place is the file's line.

mod rules;
mod run;
mod script;
mod secrets;
mod stage;

use std::sync::Arc;

use palisade_core::dockerfile::{Dockerfile, Stage};
use palisade_core::yaml::Pos;
use palisade_core::{Finding, Inventory, ObjectRef, Rule, Severity};

use crate::cluster_read::ClusterRead;
use crate::{Checks, Emitter};

pub(crate) use rules::*;

pub(crate) static CHECKS: Checks = Checks {
    rules: &[
        &ROOT_USER,
        &ADD_URL,
        &PIPE_TO_SHELL,
        &BASE_UNPINNED,
        &EXPOSE_SSH,
        &SUDO,
        &PACKAGE_CACHE,
        &NO_HEALTHCHECK,
        &secrets::SECRET_IN_BUILD,
    ],
    object: None,
    in_context: None,
    inventory: Some(check),
};

fn check(inventory: &Inventory, _read: &ClusterRead, em: &mut Emitter) {
    for df in &inventory.dockerfiles {
        check_file(df, em);
    }
}

/// Runs every Dockerfile rule on one file.
pub fn check_file(df: &Dockerfile, em: &mut Emitter) {
    let objects: Vec<Arc<ObjectRef>> = df.stages.iter().map(stage_ref).collect();
    for (stage, object) in df.stages.iter().zip(&objects) {
        let site = Site { df, object };
        stage::base_image(&site, stage, em);
        let mut state = run::StageState::default();
        for ins in df.instructions_of(stage) {
            state.update(ins);
            stage::instruction(&site, ins, em);
            run::instruction(&site, &state, ins, em);
        }
    }
    if let (Some(last), Some(object)) = (df.final_stage(), objects.last()) {
        let site = Site { df, object };
        stage::final_stage(&site, last, em);
    }
    secrets::check(df, &objects, em);
}

/// The object a stage's findings are about.
fn stage_ref(stage: &Stage) -> Arc<ObjectRef> {
    let name = match &stage.name {
        Some(n) => n.clone(),
        None => format!(
            "stage {} ({})",
            stage.index + 1,
            stage.resolved.as_deref().unwrap_or(&stage.base)
        ),
    };
    Arc::new(ObjectRef {
        api_version: String::new(),
        kind: "Dockerfile".into(),
        namespace: None,
        name,
    })
}

/// Where a stage's findings go.
struct Site<'a> {
    df: &'a Dockerfile,
    object: &'a Arc<ObjectRef>,
}

impl Site<'_> {
    fn emit<'e>(
        &self,
        rule: &'static Rule,
        em: &'e mut Emitter,
        pos: Pos,
        message: String,
    ) -> Option<&'e mut Finding> {
        em.emit_at(rule, self.object, self.df.location(pos), None, message)
    }

    fn emit_graded(
        &self,
        rule: &'static Rule,
        severity: Severity,
        em: &mut Emitter,
        pos: Pos,
        message: String,
    ) {
        em.emit_graded_at(rule, severity, self.object, self.df.location(pos), message);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use palisade_core::dockerfile::{parse, Limits};
    use palisade_core::{Config, Finding};

    use crate::Emitter;

    /// Findings of one rule on a Dockerfile text, as (line, message).
    pub(crate) fn hits(text: &str, id: &str) -> Vec<(u32, String)> {
        all(text)
            .into_iter()
            .filter(|f| f.rule_id == id)
            .map(|f| (f.location.line, f.message.into_string()))
            .collect()
    }

    pub(crate) fn all(text: &str) -> Vec<Finding> {
        let df = parse(text, &Limits::default());
        let config = Config::default();
        let mut em = Emitter::new(&config);
        super::check_file(&df, &mut em);
        em.into_findings()
    }

    #[test]
    fn stage_names_are_readable() {
        let f = all("FROM python:3.12 AS Build\nRUN sudo x\nFROM alpine\nRUN sudo y\n");
        let names: Vec<String> = f
            .iter()
            .filter(|f| f.rule_id == "PAL-DOCKER-006")
            .map(|f| f.object.to_string())
            .collect();
        assert_eq!(names, ["Dockerfile/build", "Dockerfile/stage 2 (alpine)"]);
    }

    #[test]
    fn hostile_files_do_not_panic() {
        for text in [
            "",
            "FROM",
            "FROM a\nUSER",
            "FROM a\nEXPOSE 20-\nEXPOSE -\nEXPOSE 99999999999-1\n",
            "FROM a\nRUN curl | \nRUN | sh\nRUN curl -o\nRUN apt-get\n",
            "FROM a\nADD\nADD --checksum\n",
            "FROM a\nRUN [\"sh\", \"-c\"]\n",
            "FROM a:\nFROM @\nFROM a@\n",
        ] {
            let _ = all(text);
        }
    }
}
