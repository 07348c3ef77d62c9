//! The real kube-apiserver of palisade-testkit (v1.20.2, `--anonymous-auth=false`,
//! `--insecure-port=0`): the probe must find it protected.

use palisade_node::probe::{PortState, Service};

use crate::support::{probe_port, quick, rule_ids};

#[test]
fn the_real_api_server_without_anonymous_auth_is_protected() {
    let server =
        palisade_testkit::ApiServer::shared().expect("kube-apiserver starts (scripts/setup.sh)");
    let run = probe_port(server.api_port(), &quick());
    let ep = &run.endpoints[0];
    assert_eq!(ep.state, PortState::Open);
    assert!(
        matches!(ep.service, Some(Service::ApiServer { version: None })),
        "{:?}",
        ep.service
    );
    assert!(ep.protected, "{}", ep.summary);
    assert!(ep.summary.contains("401"), "{}", ep.summary);
    // Its serving certificate is signed by the test CA, for 127.0.0.1: nothing to report.
    assert!(ep.tls.is_some());
    assert!(
        rule_ids(&run).iter().all(|id| id != "PAL-PROBE-013"),
        "{:?}",
        rule_ids(&run)
    );
}
