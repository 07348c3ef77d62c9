//! Faults a real API server does not produce on demand, provoked by the testkit's
//! [`FaultProxy`] in front of the real kube-apiserver 1.20.2: a connection cut mid-list, a 429
//! with `Retry-After`, 5xx, a 410 Gone on an expired `continue` token; and a credential the
//! server refuses. Each ends in a retry or a clear message, never a partial list presented as
//! complete.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use palisade_live::{read_cluster, ClusterOptions, Error, LiveInventory, RetryPolicy, Scope};
use palisade_testkit::{ApiServer, Fault, FaultProxy, ADMIN_TOKEN};

/// Items per page: five ConfigMaps (plus the namespace's `kube-root-ca.crt`, when the
/// controller makes one) take three pages or more.
const PAGE: u32 = 2;
const CONFIGMAPS: usize = 5;

/// A namespace of its own with `CONFIGMAPS` ConfigMaps, and a proxy in front of the shared
/// server.
fn setup(namespace: &str) -> (FaultProxy, ClusterOptions) {
    let server = ApiServer::shared().unwrap();
    let mut yaml = format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {namespace}}}\n");
    for i in 0..CONFIGMAPS {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}, namespace: {namespace}}}\n\
             data: {{key: value-{i}}}\n"
        ));
    }
    server.apply(&yaml).unwrap();
    let proxy = FaultProxy::in_front_of(server).unwrap();
    let options = ClusterOptions {
        kubeconfig: Some(proxy.kubeconfig("admin", ADMIN_TOKEN).unwrap()),
        scope: Scope::Namespace(namespace.to_string()),
        page_size: PAGE,
        concurrency: 2,
        retry: RetryPolicy {
            retries: 3,
            backoff: Duration::from_millis(20),
            max_wait: Duration::from_secs(2),
            relists: 2,
        },
        ..ClusterOptions::default()
    };
    (proxy, options)
}

fn configmaps(live: &LiveInventory) -> BTreeSet<String> {
    live.inventory
        .objects
        .iter()
        .filter(|o| o.is("ConfigMap") && o.id.name.starts_with("cm-"))
        .map(|o| o.id.name.clone())
        .collect()
}

fn all_configmaps() -> BTreeSet<String> {
    (0..CONFIGMAPS).map(|i| format!("cm-{i}")).collect()
}

#[test]
fn a_connection_cut_on_page_two_is_retried() {
    let (proxy, options) = setup("faults-cut");
    let page_two = ["/namespaces/faults-cut/configmaps", "continue="];
    // Cut twice, within the head or the body of the answer: both reach the client as an
    // answer that never finished.
    proxy.inject(&page_two, Fault::CutAfter(40), 1);
    proxy.inject(&page_two, Fault::CutAfter(600), 1);
    let live = read_cluster(&options).unwrap();
    assert_eq!(live.inventory.errors, vec![]);
    assert_eq!(configmaps(&live), all_configmaps());
    // Every page was asked for once, and the cut one twice more.
    let pages = CONFIGMAPS.div_ceil(PAGE as usize);
    assert!(
        proxy.count(&page_two) >= pages - 1 + 2,
        "{:?}",
        proxy.requests()
    );
}

#[test]
fn a_page_that_keeps_failing_leaves_the_kind_unread_not_partial() {
    let (proxy, options) = setup("faults-dead");
    let page_two = ["/namespaces/faults-dead/configmaps", "continue="];
    proxy.inject(&page_two, Fault::CutAfter(40), 1000);
    let live = read_cluster(&options).unwrap();
    // Page one arrived, but none of it is kept: the kind is reported as not read.
    assert_eq!(configmaps(&live), BTreeSet::new());
    let errors: Vec<&str> = live
        .inventory
        .errors
        .iter()
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .starts_with("cannot list ConfigMap in namespace faults-dead; none of them are judged"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("after 4 attempts"), "{}", errors[0]);
    assert_eq!(proxy.count(&page_two), 4);
    // The rest of the namespace is still read.
    assert!(live.inventory.objects.iter().any(|o| o.is("Namespace")));
}

#[test]
fn a_429_is_retried_after_retry_after() {
    let (proxy, options) = setup("faults-429");
    let list = ["/namespaces/faults-429/configmaps?"];
    proxy.inject(
        &list,
        Fault::Status {
            code: 429,
            reason: "TooManyRequests".into(),
            retry_after: Some(1),
        },
        1,
    );
    let started = Instant::now();
    let live = read_cluster(&options).unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(live.inventory.errors, vec![]);
    assert_eq!(configmaps(&live), all_configmaps());
    // The first page twice: refused, then served.
    let first = proxy
        .requests()
        .iter()
        .filter(|r| r.contains(list[0]) && !r.contains("continue="))
        .count();
    assert_eq!(first, 2);
}

#[test]
fn a_long_retry_after_is_capped() {
    let (proxy, mut options) = setup("faults-429-long");
    options.retry.max_wait = Duration::from_millis(300);
    proxy.inject(
        &["/namespaces/faults-429-long/configmaps?"],
        Fault::Status {
            code: 429,
            reason: "TooManyRequests".into(),
            retry_after: Some(3600),
        },
        2,
    );
    let started = Instant::now();
    let live = read_cluster(&options).unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(configmaps(&live), all_configmaps());
}

#[test]
fn server_errors_are_retried_with_backoff() {
    let (proxy, options) = setup("faults-5xx");
    let list = ["/namespaces/faults-5xx/configmaps?"];
    proxy.inject(&list, Fault::status(500, "InternalError"), 2);
    proxy.inject(&list, Fault::status(503, "ServiceUnavailable"), 1);
    let live = read_cluster(&options).unwrap();
    assert_eq!(live.inventory.errors, vec![]);
    assert_eq!(configmaps(&live), all_configmaps());

    // One more than the retries allow: the kind is a load error naming the status.
    proxy.inject(&list, Fault::status(500, "InternalError"), 4);
    let live = read_cluster(&options).unwrap();
    assert_eq!(configmaps(&live), BTreeSet::new());
    assert!(
        live.inventory.errors.iter().any(|e| e
            .message
            .contains("500 InternalError: injected by the fault proxy")),
        "{:?}",
        live.inventory.errors
    );
}

#[test]
fn an_expired_continue_token_relists_from_the_start() {
    let (proxy, options) = setup("faults-410");
    let list = "/namespaces/faults-410/configmaps?";
    proxy.inject(&[list, "continue="], Fault::status(410, "Expired"), 1);
    let live = read_cluster(&options).unwrap();
    assert_eq!(live.inventory.errors, vec![]);
    // No duplicates from the first attempt's page one: the relist starts empty.
    let names: Vec<&str> = live
        .inventory
        .objects
        .iter()
        .filter(|o| o.is("ConfigMap") && o.id.name.starts_with("cm-"))
        .map(|o| o.id.name.as_str())
        .collect();
    assert_eq!(names.len(), CONFIGMAPS, "{names:?}");
    assert_eq!(configmaps(&live), all_configmaps());
    let first_pages = proxy
        .requests()
        .iter()
        .filter(|r| r.contains(list) && !r.contains("continue="))
        .count();
    assert_eq!(first_pages, 2);

    // A token that keeps expiring: relisted `relists` times, then the kind is not read.
    proxy.inject(&[list, "continue="], Fault::status(410, "Expired"), 100);
    let live = read_cluster(&options).unwrap();
    assert_eq!(configmaps(&live), BTreeSet::new());
    assert!(
        live.inventory
            .errors
            .iter()
            .any(|e| e.message.contains("410 Expired")),
        "{:?}",
        live.inventory.errors
    );
}

#[test]
fn a_refused_token_names_the_credential() {
    let server = ApiServer::shared().unwrap();
    let proxy = FaultProxy::in_front_of(server).unwrap();
    // The real server answers 401 to a token it does not know (an expired one alike).
    let options = ClusterOptions {
        kubeconfig: Some(proxy.kubeconfig("carol", "expired-token-0000").unwrap()),
        scope: Scope::All,
        ..ClusterOptions::default()
    };
    let err = read_cluster(&options).unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("user \"carol\" (context \"carol\")"),
        "{text}"
    );
    assert!(text.contains("refused the credential"), "{text}");
    assert!(text.contains("401"), "{text}");
    // Discovery was refused: nothing was listed.
    assert!(proxy.count(&["limit="]) == 0, "{:?}", proxy.requests());
}

#[test]
fn discovery_is_retried_too() {
    let (proxy, options) = setup("faults-discovery");
    // Discovery comes first: the first two requests under apps/v1 are its resource list.
    proxy.inject(
        &["/apis/apps/v1"],
        Fault::status(503, "ServiceUnavailable"),
        2,
    );
    proxy.inject(&["/api/v1"], Fault::CutAfter(40), 1);
    let live = read_cluster(&options).unwrap();
    assert_eq!(live.inventory.errors, vec![]);
    assert_eq!(configmaps(&live), all_configmaps());
    let apps = proxy
        .requests()
        .iter()
        .filter(|r| r.as_str() == "/apis/apps/v1")
        .count();
    assert_eq!(apps, 3);
}
