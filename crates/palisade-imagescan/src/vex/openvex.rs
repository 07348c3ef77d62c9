//! OpenVEX documents (specification v0.2.0, `OPENVEX-SPEC.md` of openvex/spec; field names
//! as go-vex's `pkg/vex` types): document `@context`, `@id`, `author`, `timestamp`,
//! `version`, `statements[]`; statement `vulnerability` (`name`, `@id`, `aliases`),
//! `products[]` (`@id`, `identifiers`, `hashes`, `subcomponents[]`), `status`,
//! `justification`, `impact_statement`, `action_statement`, `status_notes`, `timestamp`.
//!
//! A statement's timestamp is its own, else the document's (the spec's inheritance flow).
//! Statements the spec calls invalid are skipped with a warning, so they never suppress:
//! unknown status, no vulnerability name, no products, `not_affected` with neither a known
//! justification label nor an impact statement. Documents of v0.0.1 shape (vulnerability
//! and products as plain strings) are accepted too.

use serde_json::{Map, Value};

use super::time::Timestamp;
use crate::merge::json::{self, bad, child, index, Res, Sink};
use crate::merge::{ReadError, ReadWarning};

/// Most statements one document may hold.
pub const MAX_STATEMENTS: usize = 100_000;

/// VEX status of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// No remediation needed.
    NotAffected,
    /// Affected; remediation recommended.
    Affected,
    /// The product versions contain a fix.
    Fixed,
    /// Not known yet.
    UnderInvestigation,
}

impl Status {
    /// The spec's label.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotAffected => "not_affected",
            Status::Affected => "affected",
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
        }
    }

    fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "not_affected" => Status::NotAffected,
            "affected" => Status::Affected,
            "fixed" => Status::Fixed,
            "under_investigation" => Status::UnderInvestigation,
            _ => return None,
        })
    }
}

/// The justification labels the spec defines for `not_affected`.
pub const JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// A product or subcomponent: an IRI (`@id`), software identifiers and hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Component {
    /// `@id` (a purl, an image reference, or another IRI).
    pub id: Option<String>,
    /// `identifiers` (`purl`, `cpe22`, `cpe23`).
    pub identifiers: Vec<(String, String)>,
    /// `hashes` (`sha-256` → hex, …).
    pub hashes: Vec<(String, String)>,
}

/// A product with the subcomponents the statement is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Product {
    /// The product itself.
    pub component: Component,
    /// Subcomponents; empty means the product as a whole.
    pub subcomponents: Vec<Component>,
}

/// One VEX statement, with what it inherited from its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `vulnerability.name`.
    pub vulnerability: String,
    /// `vulnerability.aliases`.
    pub aliases: Vec<String>,
    /// `vulnerability.@id`.
    pub vulnerability_iri: Option<String>,
    /// Products.
    pub products: Vec<Product>,
    /// Status.
    pub status: Status,
    /// Justification label.
    pub justification: Option<String>,
    /// Impact statement.
    pub impact_statement: Option<String>,
    /// Action statement.
    pub action_statement: Option<String>,
    /// Status notes.
    pub status_notes: Option<String>,
    /// Effective timestamp: the statement's, else the document's.
    pub timestamp: Option<Timestamp>,
    /// That timestamp as written.
    pub timestamp_text: Option<String>,
    /// The file the statement came from.
    pub source: String,
    /// The document's `@id`.
    pub document_id: Option<String>,
    /// The document's author.
    pub author: Option<String>,
    /// JSON path of the statement in its document (`$.statements[2]`).
    pub json_path: String,
}

impl Statement {
    /// Whether the statement suppresses a finding: `not_affected` and `fixed` do.
    pub fn suppresses(&self) -> bool {
        matches!(self.status, Status::NotAffected | Status::Fixed)
    }
}

/// A parsed OpenVEX document.
#[derive(Debug, Clone)]
pub struct OpenVexDocument {
    /// `@id`.
    pub id: Option<String>,
    /// `author`.
    pub author: Option<String>,
    /// `timestamp`.
    pub timestamp: Option<Timestamp>,
    /// `version`.
    pub version: Option<u64>,
    /// Valid statements, in document order.
    pub statements: Vec<Statement>,
    /// Statements or fields skipped, with their JSON path.
    pub warnings: Vec<ReadWarning>,
}

impl OpenVexDocument {
    /// Parses one OpenVEX JSON document. `source` names it in messages. A document that is
    /// not JSON, not an object, has no OpenVEX `@context`, or whose `statements` is not an
    /// array is an error; bad statements are skipped with warnings.
    pub fn parse(source: &str, bytes: &[u8]) -> Result<OpenVexDocument, ReadError> {
        let doc = json::parse(source, bytes)?;
        let mut sink = Sink::new(source);
        let top = json::as_object(&doc, "$").map_err(|b| sink.fatal(b))?;
        match json::opt_str(top, "@context", "$").map_err(|b| sink.fatal(b))? {
            Some(c) if c.starts_with("https://openvex.dev/ns") => {}
            _ => {
                return Err(ReadError::shape(
                    source,
                    "$.@context",
                    "expected an OpenVEX context (https://openvex.dev/ns…)",
                ))
            }
        }
        let text = |k: &str, sink: &mut Sink<'_>| {
            json::opt_string(top, k, "$").unwrap_or_else(|b| {
                sink.warn(b);
                None
            })
        };
        let id = text("@id", &mut sink);
        let author = text("author", &mut sink);
        let doc_time_text = text("timestamp", &mut sink);
        let timestamp = doc_time_text.as_deref().and_then(|t| {
            let parsed = Timestamp::parse(t);
            if parsed.is_none() {
                sink.warn(bad("$.timestamp", format!("not an RFC 3339 time: {t:?}")));
            }
            parsed
        });
        if doc_time_text.is_none() {
            sink.warn(bad(
                "$.timestamp",
                "missing; statements without their own timestamp sort first",
            ));
        }
        let version = top.get("version").and_then(Value::as_u64);
        let list = json::opt_array(top, "statements", "$").map_err(|b| sink.fatal(b))?;
        if list.len() > MAX_STATEMENTS {
            return Err(ReadError::shape(
                source,
                "$.statements",
                format!("more than {MAX_STATEMENTS} statements"),
            ));
        }
        let inherited = Inherited {
            source,
            id: id.as_deref(),
            author: author.as_deref(),
            timestamp,
            timestamp_text: doc_time_text.as_deref(),
        };
        let mut statements = Vec::with_capacity(list.len());
        for (i, s) in list.iter().enumerate() {
            match statement(s, &index("$.statements", i), &inherited, &mut sink) {
                Ok(st) => statements.push(st),
                Err(b) => sink.warn(b),
            }
        }
        Ok(OpenVexDocument {
            id,
            author,
            timestamp,
            version,
            statements,
            warnings: sink.warnings,
        })
    }
}

struct Inherited<'a> {
    source: &'a str,
    id: Option<&'a str>,
    author: Option<&'a str>,
    timestamp: Option<Timestamp>,
    timestamp_text: Option<&'a str>,
}

fn statement(v: &Value, path: &str, inh: &Inherited<'_>, sink: &mut Sink<'_>) -> Res<Statement> {
    let obj = json::as_object(v, path)?;
    let vpath = child(path, "vulnerability");
    let (name, iri, mut aliases) = match obj.get("vulnerability") {
        Some(Value::String(s)) => (s.trim().to_string(), None, Vec::new()),
        Some(Value::Object(vo)) => {
            let name = json::opt_string(vo, "name", &vpath)?;
            let iri = json::opt_string(vo, "@id", &vpath)?;
            let mut aliases = Vec::new();
            for (i, a) in json::opt_array(vo, "aliases", &vpath)?.iter().enumerate() {
                match a.as_str() {
                    Some(s) => json::push_unique(&mut aliases, s.trim().to_string()),
                    None => sink.warn(bad(
                        &index(&child(&vpath, "aliases"), i),
                        format!("expected a string, found {}", json::type_name(a)),
                    )),
                }
            }
            (name.unwrap_or_default(), iri, aliases)
        }
        Some(other) => {
            return Err(bad(
                &vpath,
                format!("expected an object, found {}", json::type_name(other)),
            ))
        }
        None => (String::new(), None, Vec::new()),
    };
    if name.is_empty() {
        return Err(bad(&child(&vpath, "name"), "missing: statement skipped"));
    }
    aliases.retain(|a| a != &name);
    sink.cap(&mut aliases, &child(&vpath, "aliases"));

    let status_text = json::opt_str(obj, "status", path)?.unwrap_or("");
    let status = Status::parse(status_text).ok_or_else(|| {
        bad(
            &child(path, "status"),
            format!("unknown status {status_text:?}: statement skipped"),
        )
    })?;
    let justification = json::opt_string(obj, "justification", path)?;
    let impact_statement = json::opt_string(obj, "impact_statement", path)?;
    if status == Status::NotAffected {
        let label_ok = justification
            .as_deref()
            .is_some_and(|j| JUSTIFICATIONS.contains(&j));
        if !label_ok && impact_statement.is_none() {
            return Err(bad(
                path,
                "not_affected needs a justification label or an impact_statement: statement skipped",
            ));
        }
    }

    let ppath = child(path, "products");
    let mut products = Vec::new();
    for (i, p) in json::opt_array(obj, "products", path)?.iter().enumerate() {
        match product(p, &index(&ppath, i), sink) {
            Ok(pr) => products.push(pr),
            Err(b) => sink.warn(b),
        }
    }
    if products.is_empty() {
        return Err(bad(&ppath, "no products: statement skipped"));
    }

    let own_time = json::opt_string(obj, "timestamp", path)?;
    let (timestamp, timestamp_text) = match own_time {
        Some(t) => match Timestamp::parse(&t) {
            Some(ts) => (Some(ts), Some(t)),
            None => {
                sink.warn(bad(
                    &child(path, "timestamp"),
                    format!("not an RFC 3339 time: {t:?}; the document's is used"),
                ));
                (inh.timestamp, inh.timestamp_text.map(str::to_string))
            }
        },
        None => (inh.timestamp, inh.timestamp_text.map(str::to_string)),
    };
    Ok(Statement {
        vulnerability: name,
        aliases,
        vulnerability_iri: iri,
        products,
        status,
        justification,
        impact_statement,
        action_statement: json::opt_string(obj, "action_statement", path)?,
        status_notes: json::opt_string(obj, "status_notes", path)?,
        timestamp,
        timestamp_text,
        source: inh.source.to_string(),
        document_id: inh.id.map(str::to_string),
        author: inh.author.map(str::to_string),
        json_path: path.to_string(),
    })
}

fn product(v: &Value, path: &str, sink: &mut Sink<'_>) -> Res<Product> {
    if let Some(s) = v.as_str() {
        return Ok(Product {
            component: Component {
                id: Some(s.trim().to_string()),
                ..Component::default()
            },
            subcomponents: Vec::new(),
        });
    }
    let obj = json::as_object(v, path)?;
    let main = component(obj, path, sink)?;
    let spath = child(path, "subcomponents");
    let mut subcomponents = Vec::new();
    for (i, s) in json::opt_array(obj, "subcomponents", path)?
        .iter()
        .enumerate()
    {
        let p = index(&spath, i);
        let parsed = match s.as_str() {
            Some(id) => Ok(Component {
                id: Some(id.trim().to_string()),
                ..Component::default()
            }),
            None => json::as_object(s, &p).and_then(|o| component(o, &p, sink)),
        };
        match parsed {
            Ok(c) => subcomponents.push(c),
            Err(b) => sink.warn(b),
        }
    }
    Ok(Product {
        component: main,
        subcomponents,
    })
}

fn component(obj: &Map<String, Value>, path: &str, sink: &mut Sink<'_>) -> Res<Component> {
    let id = json::opt_string(obj, "@id", path)?;
    let pairs = |key: &str, sink: &mut Sink<'_>| -> Res<Vec<(String, String)>> {
        let Some(map) = json::opt_object(obj, key, path)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (k, v) in map.iter().take(64) {
            match v.as_str() {
                Some(s) if !s.trim().is_empty() => out.push((k.clone(), s.trim().to_string())),
                Some(_) => {}
                None => sink.warn(bad(
                    &child(&child(path, key), k),
                    format!("expected a string, found {}", json::type_name(v)),
                )),
            }
        }
        Ok(out)
    };
    let identifiers = pairs("identifiers", sink)?;
    let hashes = pairs("hashes", sink)?;
    if id.is_none() && identifiers.is_empty() && hashes.is_empty() {
        return Err(bad(path, "names nothing (no @id, identifiers or hashes)"));
    }
    Ok(Component {
        id,
        identifiers,
        hashes,
    })
}
