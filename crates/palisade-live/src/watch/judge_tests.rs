//! The judge against the full scan: after any sequence of updates, its report is the one
//! `Engine::scan` makes of the same objects read at once (as `scan --cluster` reads them).

use super::*;
use palisade_core::Date;
use serde_json::json;

fn engine() -> Arc<Engine> {
    Arc::new(Engine::builtin())
}

fn options() -> ScanOptions {
    ScanOptions::on(Date::from_unix_days(20_000))
}

fn judge(streams: usize) -> Judge {
    let names = (0..streams).map(|i| format!("stream {i}")).collect();
    Judge::new(engine(), Config::default(), options(), names)
}

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace",
           "metadata": {"name": name, "uid": format!("ns-{name}"), "resourceVersion": "1"}})
}

fn service_account(ns: &str, name: &str, automount: bool, rv: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ServiceAccount",
           "metadata": {"name": name, "namespace": ns, "uid": format!("sa-{name}"), "resourceVersion": rv},
           "automountServiceAccountToken": automount})
}

fn pod(ns: &str, name: &str, privileged: bool, owner: Option<&str>, rv: &str) -> Value {
    let mut v = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "uid": format!("pod-{name}"), "resourceVersion": rv},
        "spec": {"serviceAccountName": "app", "containers": [{"name": "c", "image": "nginx:1.25",
                 "securityContext": {"privileged": privileged}}]}});
    if let Some(uid) = owner {
        v["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": uid, "controller": true}]);
    }
    v
}

fn replica_set(ns: &str, uid: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
           "metadata": {"name": "rs", "namespace": ns, "uid": uid, "resourceVersion": "1"},
           "spec": {"selector": {"matchLabels": {"app": "a"}},
                    "template": {"metadata": {"labels": {"app": "a"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
}

/// What `scan --cluster` would report on these objects: every object loaded, controller-owned
/// ones set aside, one engine scan.
fn full_scan(items: &[Value]) -> Vec<String> {
    let limits = LoadLimits::default();
    let objects: Vec<Object> = items
        .iter()
        .flat_map(|i| load_object(i.clone(), &limits).objects)
        .collect();
    let (kept, _) = crate::convert::split_controlled(objects);
    let inventory = Inventory {
        objects: kept,
        ..Inventory::default()
    };
    lines(&engine().scan(&inventory, &Config::default(), &options()))
}

fn lines(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{} {} {}", f.location.path, f.rule_id, f.message))
        .collect();
    out.sort();
    out
}

fn current(judge: &mut Judge) -> Vec<String> {
    judge.settle();
    if judge.whole_stale() {
        judge.rejudge_whole();
    }
    lines(judge.report())
}

#[test]
fn a_listed_cluster_is_reported_as_a_full_scan_reports_it() {
    let items = vec![
        namespace("shop"),
        service_account("shop", "app", true, "1"),
        pod("shop", "lone", true, None, "1"),
        replica_set("shop", "rs1"),
        pod("shop", "owned", true, Some("rs1"), "1"),
    ];
    let mut j = judge(1);
    assert!(!j.synced());
    j.apply(Update::Listed {
        stream: 0,
        items: items.clone(),
    });
    assert!(j.synced());
    let got = current(&mut j);
    assert!(!got.is_empty());
    assert_eq!(got, full_scan(&items));
    // The owned pod is set aside: no finding on it.
    assert!(
        got.iter().all(|l| !l.contains("Pod/shop/owned")),
        "{got:#?}"
    );
}

#[test]
fn each_change_leaves_the_report_a_full_scan_would_give() {
    let mut items = vec![
        namespace("shop"),
        service_account("shop", "app", true, "1"),
        pod("shop", "lone", false, None, "1"),
        replica_set("shop", "rs1"),
        pod("shop", "owned", true, Some("rs1"), "1"),
    ];
    let mut j = judge(1);
    j.apply(Update::Listed {
        stream: 0,
        items: items.clone(),
    });
    let before = current(&mut j);

    // The pod turns privileged: its findings change, and only it is judged again.
    let privileged = pod("shop", "lone", true, None, "2");
    j.apply(Update::Applied {
        stream: 0,
        item: privileged.clone(),
    });
    assert_eq!(j.settle(), 1);
    items[2] = privileged;
    let after = current(&mut j);
    assert_ne!(after, before);
    assert_eq!(after, full_scan(&items));

    // The ServiceAccount stops automounting: every object of its namespace is judged again.
    let sa = service_account("shop", "app", false, "2");
    j.apply(Update::Applied {
        stream: 0,
        item: sa.clone(),
    });
    items[1] = sa;
    assert!(j.settle() >= 3);
    assert_eq!(current(&mut j), full_scan(&items));

    // The ReplicaSet goes: its pod is judged on its own again.
    j.apply(Update::Deleted {
        stream: 0,
        item: items[3].clone(),
    });
    items.remove(3);
    let without_rs = current(&mut j);
    assert!(without_rs.iter().any(|l| l.contains("Pod/shop/owned")));
    assert_eq!(without_rs, full_scan(&items));

    // A relist without the lone pod drops it and its findings.
    items.remove(2);
    j.apply(Update::Listed {
        stream: 0,
        items: items.clone(),
    });
    let relisted = current(&mut j);
    assert!(relisted.iter().all(|l| !l.contains("Pod/shop/lone")));
    assert_eq!(relisted, full_scan(&items));
}

#[test]
fn config_maps_and_secrets_leave_the_whole_analyses_alone() {
    let mut j = judge(1);
    j.apply(Update::Listed {
        stream: 0,
        items: vec![namespace("a")],
    });
    current(&mut j);
    assert!(!j.whole_stale());
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "c", "namespace": "a", "resourceVersion": "3"},
                    "data": {"password": "hunter2"}});
    j.apply(Update::Applied {
        stream: 0,
        item: cm,
    });
    assert!(!j.whole_stale());
    j.apply(Update::Applied {
        stream: 0,
        item: pod("a", "p", false, None, "4"),
    });
    assert!(j.whole_stale());
}

#[test]
fn a_refused_stream_counts_as_answered_and_is_reported() {
    let mut j = judge(2);
    j.apply(Update::Listed {
        stream: 0,
        items: vec![],
    });
    assert!(!j.synced());
    // A server error or a cut connection is no answer: it is retried, readiness waits.
    j.apply(Update::Failed {
        stream: 1,
        message: "500 InternalError".into(),
        status: Some(500),
    });
    assert!(!j.synced());
    j.apply(Update::Failed {
        stream: 1,
        message: "secrets is forbidden".into(),
        status: Some(403),
    });
    assert!(j.synced());
    let report = j.report().clone();
    assert_eq!(report.errors.len(), 1);
    assert!(
        report.errors[0].message.contains("forbidden"),
        "{:?}",
        report.errors
    );
    // Listed later (permissions granted): the error goes.
    j.apply(Update::Listed {
        stream: 1,
        items: vec![],
    });
    assert!(j.report().errors.is_empty());
}

/// Every finding, with where and why, in report order (the patch must keep the order too).
fn ordered(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {}",
                f.location.path, f.location.line, f.rule_id, f.message
            )
        })
        .collect();
    out.extend(report.suppressed.iter().map(|s| {
        format!(
            "suppressed {} {}",
            s.finding.location.path, s.finding.rule_id
        )
    }));
    out
}

#[test]
fn a_patched_report_is_the_report_assembled_whole() {
    let mut ignored = pod("shop", "quiet", true, None, "1");
    ignored["metadata"]["annotations"] =
        json!({"palisade.dev/ignore": "PAL-POD-002", "palisade.dev/ignore-reason": "test"});
    let mut j = judge(1);
    j.apply(Update::Listed {
        stream: 0,
        items: vec![
            namespace("shop"),
            service_account("shop", "app", true, "1"),
            pod("shop", "a", false, None, "1"),
            pod("shop", "b", true, None, "1"),
            ignored.clone(),
        ],
    });
    current(&mut j);
    // Changes that leave the inventory-wide findings alone are patched in, path by path.
    let mut steps: Vec<Update> = vec![
        Update::Applied {
            stream: 0,
            item: pod("shop", "a", true, None, "2"),
        },
        Update::Deleted {
            stream: 0,
            item: pod("shop", "b", true, None, "1"),
        },
        Update::Applied {
            stream: 0,
            item: pod("shop", "c", true, None, "3"),
        },
    ];
    ignored["metadata"]["resourceVersion"] = json!("4");
    ignored["spec"]["hostNetwork"] = json!(true);
    steps.push(Update::Applied {
        stream: 0,
        item: ignored,
    });
    for step in steps {
        j.apply(step);
        j.settle();
        assert!(!j.full, "a per-object change is patched");
        let patched = ordered(j.report());
        j.full = true;
        let assembled = ordered(j.report());
        assert_eq!(patched, assembled);
    }
    // The annotation still suppresses on the patched path.
    assert!(ordered(j.report())
        .iter()
        .any(|l| l == "suppressed cluster://Pod/shop/quiet PAL-POD-002"));
}
