//! The decision cache never changes an answer: every sample of the Gatekeeper library
//! (`../shared/corpora/gatekeeper-library/`), and variants of each (renamed, each of its
//! first scalars changed), judged by a set with the cache and by one without, in an order
//! where the cached set has seen similar reviews before, give the same outcome.

use std::path::{Path, PathBuf};

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::Object;
use palisade_policy::action::POINT_GATOR;
use palisade_policy::input_reads::InputReads;
use palisade_policy::{Limits, PolicySet, ReviewOutcome};
use serde_json::{json, Value as Json};

mod variants;
use variants::{changed, scalar_paths};

fn library() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/gatekeeper-library/library")
}

fn objects(path: &Path) -> Vec<Object> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    load_str(&path.to_string_lossy(), &text, &LoadLimits::default()).objects
}

/// Sample folders: `<template dir>/samples/<name>/` with a `constraint.yaml`.
fn samples(dir: &Path, out: &mut Vec<(PathBuf, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.join("constraint.yaml").is_file() {
            if let Some(template) = path.parent().and_then(Path::parent) {
                out.push((template.join("template.yaml"), path.clone()));
            }
        } else if path.is_dir() {
            samples(&path, out);
        }
    }
}

/// The object, renamed as a ReplicaSet names its pods, and with each of its first scalars
/// changed in turn.
fn variants(object: &Json) -> Vec<Json> {
    let mut out = vec![object.clone()];
    let mut renamed = object.clone();
    if let Some(meta) = renamed.get_mut("metadata").and_then(Json::as_object_mut) {
        meta.insert("name".into(), json!("web-7d9f8-x2b4q"));
        meta.insert("uid".into(), json!("0b7a2c61-1111-4222-8333-944455556666"));
    }
    out.push(renamed);
    let paths = scalar_paths(object, 16);
    out.extend(paths.iter().filter_map(|p| changed(object, p)));
    out
}

fn judge(set: &PolicySet, object: &Json) -> Result<ReviewOutcome, String> {
    if object.get("kind").and_then(Json::as_str) == Some("AdmissionReview") {
        set.evaluate_review_at(object, POINT_GATOR)
    } else {
        Ok(set.evaluate_object_at(object, POINT_GATOR))
    }
}

fn outcome(set: &PolicySet, object: &Json) -> Json {
    match judge(set, object) {
        Ok(o) => {
            serde_json::to_value(o).unwrap_or_else(|e| json!({ "unserializable": e.to_string() }))
        }
        Err(e) => json!({ "error": e }),
    }
}

#[test]
fn cached_answers_equal_fresh_ones_on_the_library_and_variants() {
    let dir = library();
    assert!(dir.is_dir(), "the Gatekeeper library corpus is missing");
    let mut found = Vec::new();
    samples(&dir, &mut found);
    assert!(found.len() > 60, "only {} samples", found.len());
    let (mut judged, mut hits, mut message_only) = (0, 0, 0);
    for (template, sample) in &found {
        let mut policy = objects(template);
        policy.extend(objects(&sample.join("constraint.yaml")));
        let (cached, _) = PolicySet::from_objects(&policy, Limits::default());
        message_only += cached
            .template_reads()
            .iter()
            .filter(|(_, r)| matches!(r, InputReads::Paths(p) if !p.message_only.is_empty()))
            .count();
        let mut fresh = cached.clone();
        fresh.set_decision_cache_bytes(0);
        let mut examples: Vec<PathBuf> = std::fs::read_dir(sample)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().is_some_and(|n| n != "constraint.yaml"))
            .collect();
        examples.sort();
        let mut reviews = Vec::new();
        for example in &examples {
            for object in objects(example) {
                reviews.extend(variants(&object.root.to_json()));
            }
        }
        // Twice over: the second round is served from the cache where keys repeat.
        for round in 0..2 {
            for review in &reviews {
                let want = outcome(&fresh, review);
                let got = outcome(&cached, review);
                assert_eq!(
                    got,
                    want,
                    "{} round {round}: the cached set answered differently on {review}",
                    sample.display()
                );
                judged += 1;
            }
        }
        hits += cached.decision_cache_stats().hits;
        assert_eq!(fresh.decision_cache_stats().hits, 0);
    }
    println!("{judged} judgements, {hits} from the cache; {message_only} samples' templates read values only into messages");
    assert!(message_only > 10, "the message-only keys went untested");
    assert!(
        hits * 3 > judged as u64,
        "the cache hit only {hits} of {judged}"
    );
}
