//! ConstraintTemplates (`templates.gatekeeper.sh/v1`, `v1beta1`, `v1alpha1`): their kind,
//! their Rego (entry module plus `libs`) compiled once into a regorus engine, and the
//! parameters schema.
//!
//! Mirrors frameworks' `parseConstraintTemplateTarget`: the Rego of the
//! `admission.k8s.gatekeeper.sh` target is the `code` entry whose engine is `Rego`
//! (`source.rego`, `source.libs`), or the legacy `rego`/`libs` fields; the entry module must
//! declare `violation`; libraries must live under `package lib...`; modules parse as Rego v1
//! and fall back to v0. The package is kept as written (frameworks renames it to
//! `data.template`; each template has an engine of its own here, so no renaming is needed).

use std::sync::Arc;

use palisade_core::yaml::Node;
use palisade_core::{Location, Object, ObjectRef};
use regorus::Engine;

use crate::diag::Diagnostic;
use crate::input_reads::{input_reads, InputReads};
use crate::rego::{self, Limits, Module};

/// The API group of ConstraintTemplates.
pub const TEMPLATE_GROUP: &str = "templates.gatekeeper.sh";
/// Gatekeeper's admission target.
pub const ADMISSION_TARGET: &str = "admission.k8s.gatekeeper.sh";

/// A compiled ConstraintTemplate.
#[derive(Clone)]
pub struct Template {
    /// The Constraint kind it defines (`spec.crd.spec.names.kind`).
    pub kind: String,
    /// The template object.
    pub object: Arc<ObjectRef>,
    /// Where the template starts.
    pub location: Location,
    /// `metadata.annotations["description"]`, when present.
    pub description: Option<String>,
    /// The parameters' `openAPIV3Schema`, when given.
    pub schema: Option<serde_json::Value>,
    /// `data.<package>.violation`.
    pub(crate) entry: String,
    /// The engine with every module added (data and input set per evaluation).
    pub(crate) engine: Engine,
    /// Does the Rego mention `inventory` (so `data.inventory` must be built)?
    pub(crate) uses_inventory: bool,
    /// What of `input` the Rego may read (the decision cache's key).
    pub(crate) reads: InputReads,
}

/// Is this object a ConstraintTemplate?
pub fn is_template(object: &Object) -> bool {
    object.id.kind == "ConstraintTemplate"
        && object
            .id
            .api_version
            .split_once('/')
            .is_some_and(|(g, _)| g == TEMPLATE_GROUP)
}

/// The Rego sources of a target: entry text and node, and the libs.
struct RegoSource<'a> {
    rego: &'a Node,
    libs: Vec<&'a Node>,
}

fn rego_source(target: &Node) -> Option<RegoSource<'_>> {
    let from_code = target
        .get("code")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find_map(|c| {
            (c.get("engine").and_then(Node::as_str) == Some("Rego"))
                .then(|| c.get("source"))
                .flatten()
        });
    let holder = match from_code {
        Some(source) if source.get("rego").is_some() => source,
        _ => target,
    };
    let rego = holder.get("rego").filter(|n| n.as_str().is_some())?;
    let libs = holder
        .get("libs")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .collect();
    Some(RegoSource { rego, libs })
}

impl Template {
    /// Compiles a template. A template that cannot be used is a diagnostic at its place
    /// (the Rego line, for a compile error); `Ok(None)` with a note for a template that has
    /// no Rego (CEL only).
    pub fn compile(
        object: &Object,
        limits: &Limits,
    ) -> Result<(Option<Template>, Option<Diagnostic>), Diagnostic> {
        let here = object.location();
        let err = |loc: Option<Location>, msg: String| {
            Diagnostic::error(loc, format!("ConstraintTemplate {}: {msg}", object.id.name))
        };
        let spec = object.root.get("spec").unwrap_or(Node::null());
        let kind = spec
            .get_path(&["crd", "spec", "names", "kind"])
            .and_then(Node::as_str)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                err(
                    Some(here.clone()),
                    "spec.crd.spec.names.kind is missing".into(),
                )
            })?;
        let targets = spec.get("targets").map(Node::items).unwrap_or_default();
        let Some(target) = targets.first() else {
            return Err(err(Some(here), "spec.targets is empty".into()));
        };
        if let Some(name) = target.get("target").and_then(Node::as_str) {
            if name != ADMISSION_TARGET {
                return Err(err(
                    Some(object.location_of(target.pos)),
                    format!("target `{name}` is not `{ADMISSION_TARGET}`, the only target Palisade evaluates"),
                ));
            }
        }
        let Some(source) = rego_source(target) else {
            let note = Diagnostic::note(
                Some(object.location_of(target.pos)),
                format!(
                    "ConstraintTemplate {}: no Rego code (only K8sNativeValidation/CEL); its constraints are not evaluated here",
                    object.id.name
                ),
            );
            return Ok((None, Some(note)));
        };
        let mut engine = rego::new_engine(limits);
        let entry_module = Module {
            name: format!("{}.rego", object.id.name),
            text: source.rego.as_str().unwrap_or(""),
            first_line: Some(rego::text_start(object, source.rego)),
        };
        let package = rego::add_module(&mut engine, &entry_module)
            .map_err(|e| err(e.location, format!("Rego does not compile: {}", e.message)))?;
        match engine.has_declared_rule_rooted_at(&entry_module.name, "violation") {
            Ok(true) => {}
            _ => {
                return Err(err(
                    entry_module.first_line.clone(),
                    "the Rego declares no `violation` rule (frameworks: missing required rules: [violation])".into(),
                ))
            }
        }
        for (i, lib) in source.libs.iter().enumerate() {
            let module = Module {
                name: format!("{}.lib{i}.rego", object.id.name),
                text: lib.as_str().unwrap_or(""),
                first_line: Some(rego::text_start(object, lib)),
            };
            let lib_package = rego::add_module(&mut engine, &module).map_err(|e| {
                err(
                    e.location,
                    format!("library {i} does not compile: {}", e.message),
                )
            })?;
            if lib_package != "data.lib" && !lib_package.starts_with("data.lib.") {
                return Err(err(
                    module.first_line,
                    format!("library {i} has package `{lib_package}`; template libraries must be under `package lib`"),
                ));
            }
        }
        let reads = input_reads(engine.get_modules(), &package);
        let schema = spec
            .get_path(&["crd", "spec", "validation", "openAPIV3Schema"])
            .map(Node::to_json);
        let template = Template {
            kind: kind.to_string(),
            object: Arc::clone(&object.id),
            location: here,
            description: object.annotation("description").map(str::to_string),
            schema,
            entry: format!("{package}.violation"),
            engine,
            uses_inventory: std::iter::once(source.rego)
                .chain(source.libs.iter().copied())
                .any(|n| n.as_str().is_some_and(|t| t.contains("inventory"))),
            reads,
        };
        Ok((Some(template), None))
    }
}
