//! Loads arbitrary bytes as RBAC objects and runs every RBAC analysis on them (policy,
//! aggregation, who-can, access, kubectl commands, node paths, graph, risky-permission
//! findings): nothing may panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_core::inventory::{load_bytes, LoadLimits};
use palisade_core::{Config, Inventory};
use palisade_rbac::{
    access, check_policy, graph, kubectl_commands, nodes, parse_resource_spec, parse_subject,
    who_can, GraphOptions, NodeContext, Options, Policy, Query,
};

fuzz_target!(|data: &[u8]| {
    let mut inventory = Inventory::default();
    inventory.add(load_bytes("fuzz.yaml", data, &LoadLimits::default()));
    let policy = Policy::from_inventory(&inventory, &Options::default());
    for (verb, resource) in [("get", "secrets"), ("create", "pods/exec"), ("get", "/healthz")] {
        if let Ok(resource) = parse_resource_spec(resource) {
            let _ = who_can(
                &policy,
                &Query {
                    verb: verb.into(),
                    resource,
                    namespace: None,
                    name: None,
                },
            );
        }
    }
    if let Ok(subject) = parse_subject("group:system:authenticated") {
        let _ = access(&policy, &subject);
        let _ = kubectl_commands(&policy, &subject, &["default".to_string()], None);
        let _ = nodes(&policy, &NodeContext::from_objects(&inventory.objects), &subject);
    }
    let _ = graph(&policy, &GraphOptions::default());
    let _ = check_policy(&policy, &inventory, &Config::default());
});
