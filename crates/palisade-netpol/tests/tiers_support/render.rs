// Rendering a generated world as manifests (included by `property_tiers.rs`).

fn labels_json(l: &Labels) -> Value {
    json!({"matchLabels": l})
}

fn ports_json(ports: &[Port]) -> Value {
    Value::Array(
        ports
            .iter()
            .map(|p| match p {
                Port::Range(a, b) if a == b => json!(a),
                Port::Range(a, b) => json!(format!("{a}:{b}")),
                Port::Named(n) => json!(n),
            })
            .collect(),
    )
}

fn proto_json(p: Proto) -> Value {
    match p {
        Proto::P(p) => json!(p.as_str()),
        Proto::Icmp => json!("ICMP"),
    }
}

fn entity_json(e: &Entity) -> Value {
    let mut m = serde_json::Map::new();
    let nets = |n: &[(u32, u32)]| json!(n.iter().map(|&c| cidr_text(c)).collect::<Vec<_>>());
    if let Some(s) = &e.selector {
        m.insert("selector".into(), json!(s.render(0)));
    }
    if let Some(s) = &e.not_selector {
        m.insert("notSelector".into(), json!(s.render(0)));
    }
    if let Some(s) = &e.ns_selector {
        m.insert("namespaceSelector".into(), json!(s.render(0)));
    }
    if let Some((names, sel)) = &e.sa {
        let mut sa = serde_json::Map::new();
        sa.insert("names".into(), json!(names));
        if let Some(s) = sel {
            sa.insert("selector".into(), json!(s.render(0)));
        }
        m.insert("serviceAccounts".into(), Value::Object(sa));
    }
    if let Some(n) = &e.nets {
        m.insert("nets".into(), nets(n));
    }
    if let Some(n) = &e.not_nets {
        m.insert("notNets".into(), nets(n));
    }
    if !e.ports.is_empty() {
        m.insert("ports".into(), ports_json(&e.ports));
    }
    if !e.not_ports.is_empty() {
        m.insert("notPorts".into(), ports_json(&e.not_ports));
    }
    Value::Object(m)
}

fn crule_json(r: &CRule) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("action".into(), json!(r.action.name()));
    if let Some(p) = r.protocol {
        m.insert("protocol".into(), proto_json(p));
    }
    if let Some(p) = r.not_protocol {
        m.insert("notProtocol".into(), proto_json(p));
    }
    m.insert("source".into(), entity_json(&r.source));
    m.insert("destination".into(), entity_json(&r.destination));
    Value::Object(m)
}

fn apeer_json(p: &APeer) -> Value {
    match p {
        APeer::Namespaces(l) => json!({"namespaces": labels_json(l)}),
        APeer::Pods(n, l) => json!({"pods": {"namespaceSelector": labels_json(n), "podSelector": labels_json(l)}}),
        APeer::Networks(n) => json!({"networks": n.iter().map(|&c| cidr_text(c)).collect::<Vec<_>>()}),
    }
}

fn apolicy_json(p: &APolicy, baseline: bool) -> Value {
    let rules = |rules: &[ARule], key: &str| -> Value {
        Value::Array(
            rules
                .iter()
                .map(|r| {
                    let mut m = serde_json::Map::new();
                    m.insert("action".into(), json!(r.action.name()));
                    m.insert(key.into(), Value::Array(r.peers.iter().map(apeer_json).collect()));
                    if let Some(ports) = &r.ports {
                        let list: Vec<Value> = ports
                            .iter()
                            .map(|p| match p {
                                APort::Number(pr, n) => json!({"portNumber": {"protocol": pr.as_str(), "port": n}}),
                                APort::Named(n) => json!({"namedPort": n}),
                                APort::Range(pr, a, b) => json!({"portRange": {"protocol": pr.as_str(), "start": a, "end": b}}),
                            })
                            .collect();
                        m.insert("ports".into(), Value::Array(list));
                    }
                    Value::Object(m)
                })
                .collect(),
        )
    };
    let subject = match &p.subject {
        (ns, None) => json!({"namespaces": labels_json(ns)}),
        (ns, Some(pods)) => json!({"pods": {"namespaceSelector": labels_json(ns), "podSelector": labels_json(pods)}}),
    };
    let mut spec = serde_json::Map::new();
    if !baseline {
        spec.insert("priority".into(), json!(p.priority));
    }
    spec.insert("subject".into(), subject);
    spec.insert("ingress".into(), rules(&p.ingress, "from"));
    spec.insert("egress".into(), rules(&p.egress, "to"));
    let kind = if baseline { "BaselineAdminNetworkPolicy" } else { "AdminNetworkPolicy" };
    json!({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": kind, "metadata": {"name": p.name}, "spec": Value::Object(spec)})
}

fn render(w: &World) -> String {
    let mut docs: Vec<Value> = Vec::new();
    for (name, labels) in &w.namespaces {
        docs.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}));
    }
    for (ns, labels) in &w.accounts {
        docs.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa1", "namespace": ns, "labels": labels}}));
    }
    for p in &w.pods {
        let ports: Vec<Value> = p
            .ports
            .iter()
            .map(|(n, num, proto)| json!({"name": n, "containerPort": num, "protocol": proto.as_str()}))
            .collect();
        docs.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": p.name, "namespace": p.namespace, "labels": p.labels},
            "spec": {"serviceAccountName": p.sa, "containers": [{"name": "c", "image": "x", "ports": ports}]}}));
    }
    for (name, order, action) in &w.tiers {
        let mut spec = serde_json::Map::new();
        if let Some(o) = order {
            spec.insert("order".into(), json!(o));
        }
        spec.insert("defaultAction".into(), json!(action.name()));
        docs.push(json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": name}, "spec": Value::Object(spec)}));
    }
    for p in &w.calico {
        let mut spec = serde_json::Map::new();
        spec.insert("tier".into(), json!(p.tier));
        if let Some(o) = p.order {
            spec.insert("order".into(), json!(o));
        }
        for (key, e) in [("selector", &p.selector), ("namespaceSelector", &p.ns_selector), ("serviceAccountSelector", &p.sa_selector)] {
            if let Some(e) = e {
                spec.insert(key.into(), json!(e.render(0)));
            }
        }
        if let Some(t) = &p.types {
            spec.insert("types".into(), json!(t));
        }
        spec.insert("ingress".into(), Value::Array(p.ingress.iter().map(crule_json).collect()));
        spec.insert("egress".into(), Value::Array(p.egress.iter().map(crule_json).collect()));
        let (kind, meta) = match &p.namespace {
            Some(ns) => ("NetworkPolicy", json!({"name": p.name, "namespace": ns})),
            None => ("GlobalNetworkPolicy", json!({"name": p.name})),
        };
        docs.push(json!({"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta, "spec": Value::Object(spec)}));
    }
    for p in &w.admin {
        docs.push(apolicy_json(p, false));
    }
    if let Some(b) = &w.baseline {
        docs.push(apolicy_json(b, true));
    }
    for p in &w.k8s {
        let rules = |r: &Option<Vec<(Option<Labels>, Option<u16>)>>, key: &str| -> Value {
            Value::Array(
                r.iter()
                    .flatten()
                    .map(|(peer, port)| {
                        let mut m = serde_json::Map::new();
                        if let Some(l) = peer {
                            m.insert(key.into(), json!([{"podSelector": labels_json(l)}]));
                        }
                        if let Some(port) = port {
                            m.insert("ports".into(), json!([{"port": port}]));
                        }
                        Value::Object(m)
                    })
                    .collect(),
            )
        };
        let mut types = Vec::new();
        if p.ingress.is_some() {
            types.push("Ingress");
        }
        if p.egress.is_some() {
            types.push("Egress");
        }
        if types.is_empty() {
            continue;
        }
        docs.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": p.name, "namespace": p.namespace},
            "spec": {"podSelector": labels_json(&p.selector), "policyTypes": types, "ingress": rules(&p.ingress, "from"), "egress": rules(&p.egress, "to")}}));
    }
    docs.iter().map(Value::to_string).collect::<Vec<_>>().join("\n---\n")
}
