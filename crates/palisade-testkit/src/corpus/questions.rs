//! Drawing access questions that land on both sides of the corpus's grants.
//!
//! Most questions are aimed: take a binding, a subject it names, and a rule of the role it refers
//! to, and make a concrete request the rule was written for; then, for a third of them, change one
//! thing (verb, namespace, name, subresource, group or subject) so the question lands just beside
//! the grant. The rest are drawn at random. No question is answered here: the API server decides.

use std::collections::HashSet;

use fastrand::Rng;

use super::generate::{chance, pick, resource_rule, Objects};
use super::model::{BindingObj, BindingSubject, Rule};
use super::universe::*;
use crate::sar::{Attributes, Sar, Subject};

/// `count` distinct questions.
pub(crate) fn questions(
    rng: &mut Rng,
    objects: &Objects,
    subjects: &[Subject],
    count: usize,
) -> Vec<Sar> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(count);
    // Duplicates are skipped; the bound keeps a tiny corpus from looping forever.
    for _ in 0..count * 20 {
        if out.len() == count {
            break;
        }
        let sar = if !objects.bindings.is_empty() && chance(rng, 65) {
            let binding = pick(rng, &objects.bindings);
            let mut sar = aimed(rng, objects, subjects, binding);
            if chance(rng, 35) {
                nudge(rng, &mut sar, subjects);
            }
            sar
        } else {
            random(rng, subjects)
        };
        if seen.insert(sar.clone()) {
            out.push(sar);
        }
    }
    out
}

fn aimed(rng: &mut Rng, objects: &Objects, subjects: &[Subject], binding: &BindingObj) -> Sar {
    let rules = rules_behind(objects, binding);
    let rule = if rules.is_empty() {
        resource_rule(rng)
    } else {
        pick(rng, &rules).clone()
    };
    let subject = match binding.subjects.as_slice() {
        [] => pick(rng, subjects).clone(),
        named => {
            let one = pick(rng, named);
            subject_for(rng, one, binding, subjects)
        }
    };
    let namespace = match &binding.namespace {
        Some(ns) => ns.clone(),
        None if chance(rng, 30) => String::new(),
        None => (*pick(rng, &NAMESPACES)).to_owned(),
    };
    Sar::new(subject, concrete(rng, &rule, &namespace))
}

/// The rules a binding's role was generated with: its own, or for an aggregated role those of the
/// roles labelled for it (a guess to aim with, not the aggregation itself).
fn rules_behind(objects: &Objects, binding: &BindingObj) -> Vec<Rule> {
    let name = &binding.role_ref.name;
    if !binding.role_ref.cluster {
        return objects
            .roles
            .iter()
            .filter(|r| &r.name == name && r.namespace == binding.namespace)
            .flat_map(|r| r.rules.clone().unwrap_or_default())
            .collect();
    }
    let Some(role) = objects.cluster_roles.iter().find(|r| &r.name == name) else {
        return Vec::new();
    };
    let Some(selectors) = &role.aggregation else {
        return role.rules.clone().unwrap_or_default();
    };
    let keys: Vec<&String> = selectors
        .iter()
        .flat_map(|s| s.match_labels.iter().map(|(k, _)| k))
        .collect();
    objects
        .cluster_roles
        .iter()
        .filter(|r| r.labels.iter().any(|(k, _)| keys.contains(&k)))
        .flat_map(|r| r.rules.clone().unwrap_or_default())
        .collect()
}

/// A subject of the universe the binding subject names (or, for a service account outside the
/// universe, that account).
fn subject_for(
    rng: &mut Rng,
    named: &BindingSubject,
    binding: &BindingObj,
    subjects: &[Subject],
) -> Subject {
    let candidates: Vec<&Subject> = match named.kind {
        "User" => subjects.iter().filter(|s| s.user == named.name).collect(),
        "Group" => subjects
            .iter()
            .filter(|s| s.groups.contains(&named.name))
            .collect(),
        _ => {
            let ns = named
                .namespace
                .as_deref()
                .or(binding.namespace.as_deref())
                .unwrap_or_default();
            return Subject::service_account(ns, &named.name);
        }
    };
    match candidates.as_slice() {
        [] => pick(rng, subjects).clone(),
        some => (*pick(rng, some)).clone(),
    }
}

/// A concrete request of the kind `rule` describes, in `namespace`.
fn concrete(rng: &mut Rng, rule: &Rule, namespace: &str) -> Attributes {
    if !rule.non_resource_urls.is_empty() {
        let url = pick(rng, &rule.non_resource_urls);
        let path = if url == "*" || chance(rng, 20) {
            (*pick(rng, &PATHS)).to_owned()
        } else if let Some(prefix) = url.strip_suffix('*') {
            format!("{prefix}{}", pick(rng, &["", "a", "a/b", "metrics"]))
        } else {
            url.clone()
        };
        let verb = concrete_verb(rng, &rule.verbs, &HTTP_VERBS);
        return Attributes::non_resource(&verb, &path);
    }
    let verb = concrete_verb(rng, &rule.verbs, &VERBS);
    let group = match rule.api_groups.as_slice() {
        [] => String::new(),
        groups => match pick(rng, groups).as_str() {
            "*" => (*pick(rng, &API_GROUPS)).to_owned(),
            g => g.to_owned(),
        },
    };
    let group_index = API_GROUPS.iter().position(|g| *g == group).unwrap_or(0);
    let (resource, subresource) = match rule.resources.as_slice() {
        [] => random_resource(rng, group_index),
        resources => {
            let r = pick(rng, resources);
            if r == "*" {
                random_resource(rng, group_index)
            } else if let Some(sub) = r.strip_prefix("*/") {
                (
                    pick(rng, RESOURCES[group_index]).0.to_owned(),
                    sub.to_owned(),
                )
            } else if let Some((res, sub)) = r.split_once('/') {
                (res.to_owned(), sub.to_owned())
            } else {
                (r.clone(), String::new())
            }
        }
    };
    let name = if !rule.resource_names.is_empty() && chance(rng, 75) {
        pick(rng, &rule.resource_names).clone()
    } else if chance(rng, 40) {
        (*pick(rng, &NAMES)).to_owned()
    } else {
        String::new()
    };
    Attributes::resource(namespace, &verb, &group, &resource)
        .with_subresource(&subresource)
        .named(&name)
}

/// One of the rule's verbs; for `*`, mostly a real verb and sometimes `*` itself (what
/// `kubectl auth can-i '*' ...` asks).
fn concrete_verb(rng: &mut Rng, verbs: &[String], vocabulary: &[&str]) -> String {
    match verbs {
        [] => (*pick(rng, vocabulary)).to_owned(),
        some => match pick(rng, some).as_str() {
            "*" if chance(rng, 85) => (*pick(rng, vocabulary)).to_owned(),
            v => v.to_owned(),
        },
    }
}

fn random_resource(rng: &mut Rng, group_index: usize) -> (String, String) {
    let (name, subs) = *pick(rng, RESOURCES[group_index]);
    let sub = if !subs.is_empty() && chance(rng, 25) {
        (*pick(rng, subs)).to_owned()
    } else {
        String::new()
    };
    (name.to_owned(), sub)
}

fn random(rng: &mut Rng, subjects: &[Subject]) -> Sar {
    let subject = pick(rng, subjects).clone();
    if chance(rng, 20) {
        let verb = *pick(rng, &HTTP_VERBS);
        let path = *pick(rng, &PATHS);
        return Sar::new(subject, Attributes::non_resource(verb, path));
    }
    let group_index = rng.usize(..API_GROUPS.len());
    let (resource, subresource) = random_resource(rng, group_index);
    let namespace = if chance(rng, 20) {
        ""
    } else {
        *pick(rng, &NAMESPACES)
    };
    let name = if chance(rng, 40) {
        *pick(rng, &NAMES)
    } else {
        ""
    };
    let verb = *pick(rng, &VERBS);
    let attributes = Attributes::resource(namespace, verb, API_GROUPS[group_index], &resource)
        .with_subresource(&subresource)
        .named(name);
    Sar::new(subject, attributes)
}

/// Changes one thing about a question.
fn nudge(rng: &mut Rng, sar: &mut Sar, subjects: &[Subject]) {
    let which = rng.u32(..6);
    if which == 5 {
        sar.subject = pick(rng, subjects).clone();
        return;
    }
    match &mut sar.attributes {
        Attributes::NonResource(n) => match which {
            0 | 1 => n.verb = (*pick(rng, &HTTP_VERBS)).to_owned(),
            _ => n.path = (*pick(rng, &PATHS)).to_owned(),
        },
        Attributes::Resource(r) => match which {
            0 => r.verb = (*pick(rng, &VERBS)).to_owned(),
            1 => {
                r.namespace = if chance(rng, 25) {
                    String::new()
                } else {
                    (*pick(rng, &NAMESPACES)).to_owned()
                }
            }
            2 => {
                r.name = if r.name.is_empty() {
                    (*pick(rng, &NAMES)).to_owned()
                } else {
                    String::new()
                }
            }
            3 => {
                r.subresource = if r.subresource.is_empty() {
                    (*pick(rng, &["status", "scale", "exec", "*"])).to_owned()
                } else {
                    String::new()
                }
            }
            _ => r.group = (*pick(rng, &API_GROUPS)).to_owned(),
        },
    }
}
