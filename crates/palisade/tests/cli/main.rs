//! Tests of the real `palisade` binary, one module per topic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

// loading inputs: files, directories, stdin, lists, Helm output
mod loading;
// bad input: broken YAML, encodings, hostile documents
mod bad_input;
// exit codes and --fail-on
mod exit_codes;
// exceptions: config and annotations
mod exceptions;
// the bundled examples and the rule catalog
mod examples;
// --framework summaries and the framework reference
mod frameworks;
// Dockerfiles: names, parse errors, exceptions on stages
mod dockerfiles;
// policy test: Gatekeeper suites
mod policy;
// images: db import, sbom, image scan
mod images;
// scan --images: workloads joined to their images' findings
mod scan_images;
// scan --policies: Gatekeeper, VAP and Rego with the built-in rules
mod scan_policies;
// serve --admission: the webhook over HTTPS
mod serve;
// admission manifests: the in-cluster install passes the scan
mod admission;
mod admission_policies;
// the webhook registered with a real kube-apiserver, objects created through it by kubectl
mod admission_e2e;
// palisade rbac: who-can, access, kubectl
mod rbac;
// palisade netpol: matrix, explain
mod netpol;
// palisade netpol graph: the HTML page in headless Chromium, JSON and DOT
mod netpol_graph;
// palisade node: CIS node audit over the palisade-node fixtures
mod node;
// palisade node access: SSH access per node and across a fleet
mod node_access;
// palisade probe: loopback targets, formats, usage errors, exceptions
mod probe;
// scan --cluster and inventory against a real kube-apiserver (palisade-testkit)
mod live;
// scan --record, history, history diff (SQLite and PostgreSQL)
mod history;
// palisade watch against a real kube-apiserver; watch manifests; serve --cluster
mod watch;
