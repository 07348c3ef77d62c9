//! The ValidatingAdmissionPolicy decision cache never changes an answer: the oracle test's
//! policies (`fixtures/vap-oracle.yaml`: params, namespace selectors, match conditions,
//! variables, message expressions, audit annotations) and its requests, plus variants of each
//! (renamed, another uid and user, each of the first scalars changed), judged by a set with the
//! cache and by one without, twice over, give the same outcome.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use palisade_core::inventory;
use palisade_policy::vap::VapSet;
use serde_json::{json, Value as Json};

mod variants;
use variants::{changed, scalar_paths};

#[path = "vap_oracle/requests.rs"]
#[allow(dead_code)]
mod requests;

const POLICIES: &str = include_str!("fixtures/vap-oracle.yaml");

fn review(case: &requests::Case) -> Json {
    let mut object = case.object.clone();
    object["metadata"]["namespace"] = json!(case.namespace);
    let name = object["metadata"]["name"].clone();
    let old = if case.update {
        let mut old = object.clone();
        old["spec"]["replicas"] = json!(1);
        old
    } else {
        Json::Null
    };
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "u-1", "operation": if case.update { "UPDATE" } else { "CREATE" },
        "namespace": case.namespace, "name": name,
        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "userInfo": {"username": "alice", "groups": ["team-a", "system:authenticated"]},
        "object": object, "oldObject": old, "dryRun": false}})
}

fn variants(review: &Json) -> Vec<Json> {
    let mut out = vec![review.clone()];
    let mut renamed = review.clone();
    renamed["request"]["uid"] = json!("u-2");
    renamed["request"]["object"]["metadata"]["name"] = json!("web-2");
    renamed["request"]["userInfo"] = json!({"username": "bob", "groups": []});
    out.push(renamed);
    for p in &scalar_paths(&review["request"], 40) {
        let mut whole = review.clone();
        if let Some(v) = changed(&review["request"], p) {
            whole["request"] = v;
            out.push(whole);
        }
    }
    out
}

#[test]
fn cached_vap_decisions_equal_fresh_ones() {
    let mut inv = palisade_core::Inventory::default();
    inv.add(inventory::load_str(
        "vap.yaml",
        POLICIES,
        &Default::default(),
    ));
    let (cached, diags) = VapSet::from_objects(&inv.objects);
    assert!(diags.is_empty(), "{diags:?}");
    let mut fresh = cached.clone();
    fresh.set_cache_bytes(0);
    let reviews: Vec<Json> = requests::cases()
        .iter()
        .flat_map(|c| variants(&review(c)))
        .collect();
    assert!(reviews.len() > 300, "only {} reviews", reviews.len());
    let (mut judged, mut decided) = (0, 0);
    for round in 0..2 {
        for r in &reviews {
            let want = fresh
                .evaluate_request(r)
                .map(|o| serde_json::to_value(o).unwrap());
            let got = cached
                .evaluate_request(r)
                .map(|o| serde_json::to_value(o).unwrap());
            assert_eq!(
                got, want,
                "round {round}: the cached set answered differently on {r}"
            );
            judged += 1;
            if want
                .as_ref()
                .is_ok_and(|o| o["violations"].as_array().is_some_and(|v| !v.is_empty()))
            {
                decided += 1;
            }
        }
    }
    let stats = cached.cache_stats();
    println!("{judged} requests, {decided} with decisions; cache {stats:?}");
    assert!(
        decided > judged / 10,
        "too few decisions to compare: {decided}"
    );
    assert!(
        stats.hits > stats.misses,
        "the cache was hardly used: {stats:?}"
    );
    assert_eq!(fresh.cache_stats().hits, 0);
}
