// The naive evaluator and the test itself (included by `property_tiers.rs`).

#[derive(Clone, Copy)]
enum Party<'a> {
    Pod(&'a Pod),
    Ip(u32),
}

#[derive(Clone, Copy)]
enum Traffic {
    Port(Protocol, u16),
    Other,
}

/// What a rule (or the layer) did to one packet.
enum Verdict {
    Allow,
    Deny,
    Pass,
}

struct Naive<'a> {
    w: &'a World,
}

fn sel_matches(sel: &Labels, labels: &Labels) -> bool {
    sel.iter().all(|(k, v)| labels.get(k) == Some(v))
}

impl Naive<'_> {
    fn ns_labels(&self, ns: &str) -> Labels {
        let mut l = self
            .w
            .namespaces
            .iter()
            .find(|n| n.0 == ns)
            .map(|n| n.1.clone())
            .unwrap_or_default();
        l.insert("kubernetes.io/metadata.name".into(), ns.into());
        l
    }

    fn sa_label(&self, p: &Pod, key: &str) -> Option<String> {
        if key == "projectcalico.org/name" {
            return Some(p.sa.to_string());
        }
        if p.sa != "sa1" {
            return None;
        }
        let acc = self.w.accounts.iter().find(|a| a.0 == p.namespace)?;
        acc.1.get(key).cloned()
    }

    fn ns_label(&self, ns: &str, key: &str) -> Option<String> {
        if key == "projectcalico.org/name" {
            return Some(ns.to_string());
        }
        self.ns_labels(ns).get(key).cloned()
    }

    fn pod_label(&self, p: &Pod, key: &str) -> Option<String> {
        if let Some(v) = p.labels.get(key) {
            return Some(v.clone());
        }
        match key {
            "projectcalico.org/namespace" => Some(p.namespace.clone()),
            "projectcalico.org/orchestrator" => Some("k8s".into()),
            "projectcalico.org/serviceaccount" => Some(p.sa.to_string()),
            _ => {
                if let Some(k) = key.strip_prefix("pcns.") {
                    self.ns_label(&p.namespace, k)
                } else {
                    self.sa_label(p, key.strip_prefix("pcsa.")?)
                }
            }
        }
    }

    fn calico_sel(&self, e: &E, p: &Pod) -> bool {
        e.eval(&|k| self.pod_label(p, k), false)
    }

    fn entity(&self, e: &Entity, policy_ns: Option<&str>, party: Party) -> bool {
        if let Some(nets) = &e.nets {
            let Party::Ip(ip) = party else { return false };
            if !nets.iter().any(|&c| in_cidr(ip, c)) {
                return false;
            }
        }
        if let (Some(nets), Party::Ip(ip)) = (&e.not_nets, party) {
            if nets.iter().any(|&c| in_cidr(ip, c)) {
                return false;
            }
        }
        let sa = e.sa.as_ref().filter(|(n, s)| !n.is_empty() || s.is_some());
        let positive = sa.is_some() || e.selector.is_some();
        let scoped = e.ns_selector.is_some() || policy_ns.is_some();
        let use_ns = scoped && (positive || e.not_selector.is_some() || e.ns_selector.is_some());
        if positive || use_ns {
            let Party::Pod(p) = party else { return false };
            if use_ns {
                let ok = match (&e.ns_selector, policy_ns) {
                    (Some(s), _) => s.eval(&|k| self.ns_label(&p.namespace, k), true),
                    (None, Some(ns)) => p.namespace == ns,
                    (None, None) => true,
                };
                if !ok {
                    return false;
                }
            }
            if let Some((names, sel)) = sa {
                if !names.is_empty() && !names.contains(&p.sa) {
                    return false;
                }
                if sel.as_ref().is_some_and(|s| !s.eval(&|k| self.sa_label(p, k), false)) {
                    return false;
                }
            }
            if e.selector.as_ref().is_some_and(|s| !self.calico_sel(s, p)) {
                return false;
            }
        }
        if let (Some(s), Party::Pod(p)) = (&e.not_selector, party) {
            if self.calico_sel(s, p) {
                return false;
            }
        }
        true
    }

    fn port_in(ports: &[Port], proto: Protocol, port: u16, dst: Party) -> bool {
        ports.iter().any(|p| match p {
            Port::Range(a, b) => (*a..=*b).contains(&port),
            Port::Named(n) => match dst {
                Party::Pod(d) => d.ports.iter().find(|x| x.0 == *n).is_some_and(|x| x.2 == proto && x.1 == port),
                Party::Ip(_) => false,
            },
        })
    }

    fn proto_is(p: Proto, t: Traffic) -> bool {
        match (p, t) {
            (Proto::P(a), Traffic::Port(b, _)) => a == b,
            (Proto::Icmp, Traffic::Other) => true,
            _ => false,
        }
    }

    fn crule(&self, pol: &CPolicy, r: &CRule, egress: bool, subject: Party, other: Party, t: Traffic) -> bool {
        if r.protocol.is_some_and(|p| !Self::proto_is(p, t)) || r.not_protocol.is_some_and(|p| Self::proto_is(p, t)) {
            return false;
        }
        let (src, dst) = if egress { (subject, other) } else { (other, subject) };
        let d = &r.destination;
        if !d.ports.is_empty() || !d.not_ports.is_empty() {
            let Traffic::Port(proto, port) = t else { return false };
            if !d.ports.is_empty() && !Self::port_in(&d.ports, proto, port, dst) {
                return false;
            }
            if Self::port_in(&d.not_ports, proto, port, dst) {
                return false;
            }
        }
        let ns = pol.namespace.as_deref();
        self.entity(&r.source, ns, src) && self.entity(&r.destination, ns, dst)
    }

    fn cselects(&self, pol: &CPolicy, p: &Pod) -> bool {
        pol.namespace.as_ref().is_none_or(|ns| *ns == p.namespace)
            && pol.selector.as_ref().is_none_or(|s| self.calico_sel(s, p))
            && pol.ns_selector.as_ref().is_none_or(|s| s.eval(&|k| self.ns_label(&p.namespace, k), true))
            && pol.sa_selector.as_ref().is_none_or(|s| s.eval(&|k| self.sa_label(p, k), false))
    }

    fn apeer(&self, peer: &APeer, other: Party) -> bool {
        match (peer, other) {
            (APeer::Namespaces(n), Party::Pod(p)) => sel_matches(n, &self.ns_labels(&p.namespace)),
            (APeer::Pods(n, l), Party::Pod(p)) => sel_matches(n, &self.ns_labels(&p.namespace)) && sel_matches(l, &p.labels),
            (APeer::Networks(nets), Party::Ip(ip)) => nets.iter().any(|&c| in_cidr(ip, c)),
            _ => false,
        }
    }

    fn aport(ports: &Option<Vec<APort>>, t: Traffic, dst: Party) -> bool {
        let Some(ports) = ports else { return true };
        let Traffic::Port(proto, port) = t else { return false };
        ports.iter().any(|p| match p {
            APort::Number(pr, n) => *pr == proto && *n == port,
            APort::Range(pr, a, b) => *pr == proto && (*a..=*b).contains(&port),
            APort::Named(n) => match dst {
                Party::Pod(d) => d.ports.iter().find(|x| x.0 == *n).is_some_and(|x| x.2 == proto && x.1 == port),
                Party::Ip(_) => false,
            },
        })
    }

    /// The first admin rule (of `policies`, already in order) that matches, if any.
    fn admin_layer(&self, policies: &[&APolicy], egress: bool, subject: &Pod, other: Party, t: Traffic) -> Option<Verdict> {
        let dst = if egress { other } else { Party::Pod(subject) };
        for p in policies {
            let in_subject = sel_matches(&p.subject.0, &self.ns_labels(&subject.namespace))
                && p.subject.1.as_ref().is_none_or(|l| sel_matches(l, &subject.labels));
            if !in_subject {
                continue;
            }
            for r in if egress { &p.egress } else { &p.ingress } {
                if r.peers.iter().any(|peer| self.apeer(peer, other)) && Self::aport(&r.ports, t, dst) {
                    return Some(match r.action {
                        Act::Allow => Verdict::Allow,
                        Act::Deny => Verdict::Deny,
                        _ => Verdict::Pass,
                    });
                }
            }
        }
        None
    }

    fn side(&self, subject: Party, egress: bool, other: Party, t: Traffic) -> bool {
        let Party::Pod(pod) = subject else { return true };
        let mut admin: Vec<&APolicy> = self.w.admin.iter().collect();
        admin.sort_by(|a, b| (a.priority, &a.name).cmp(&(b.priority, &b.name)));
        match self.admin_layer(&admin, egress, pod, other, t) {
            Some(Verdict::Allow) => return true,
            Some(Verdict::Deny) => return false,
            _ => {}
        }
        let mut tiers: Vec<(&str, Option<f64>, Act)> = self.w.tiers.clone();
        tiers.push(("default", Some(1_000_000.0), Act::Deny));
        tiers.sort_by(|a, b| {
            (a.1.is_none(), a.1.unwrap_or(0.0)).partial_cmp(&(b.1.is_none(), b.1.unwrap_or(0.0))).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(b.0))
        });
        for (tier, _, default) in tiers {
            // (order, name, Some(calico) | None = the k8s policy)
            let mut members: Vec<(Option<f64>, String, Result<&CPolicy, &KPolicy>)> = Vec::new();
            for p in self.w.calico.iter().filter(|p| p.tier == tier) {
                let name = match &p.namespace {
                    Some(ns) => format!("{ns}/{}", p.name),
                    None => p.name.clone(),
                };
                members.push((p.order, name, Ok(p)));
            }
            if tier == "default" {
                for k in &self.w.k8s {
                    members.push((Some(1000.0), format!("{}/knp.default.{}", k.namespace, k.name), Err(k)));
                }
            }
            members.sort_by(|a, b| {
                (a.0.is_none(), a.0.unwrap_or(0.0)).partial_cmp(&(b.0.is_none(), b.0.unwrap_or(0.0))).unwrap_or(std::cmp::Ordering::Equal).then(a.1.cmp(&b.1))
            });
            let mut applies = false;
            let mut passed = false;
            'tier: for (_, _, m) in &members {
                match m {
                    Ok(p) => {
                        if !p.affects(egress) || !self.cselects(p, pod) {
                            continue;
                        }
                        applies = true;
                        for r in if egress { &p.egress } else { &p.ingress } {
                            if self.crule(p, r, egress, subject, other, t) {
                                match r.action {
                                    Act::Allow => return true,
                                    Act::Deny => return false,
                                    Act::Pass => {
                                        passed = true;
                                        break 'tier;
                                    }
                                    Act::Log => {}
                                }
                            }
                        }
                    }
                    Err(k) => {
                        let rules = if egress { &k.egress } else { &k.ingress };
                        let Some(rules) = rules else { continue };
                        if k.namespace != pod.namespace || !sel_matches(&k.selector, &pod.labels) {
                            continue;
                        }
                        applies = true;
                        for (peer, port) in rules {
                            let peer_ok = match (peer, other) {
                                (None, _) => true,
                                (Some(l), Party::Pod(o)) => o.namespace == k.namespace && sel_matches(l, &o.labels),
                                _ => false,
                            };
                            let port_ok = match (port, t) {
                                (None, _) => true,
                                (Some(n), Traffic::Port(Protocol::Tcp, x)) => *n == x,
                                _ => false,
                            };
                            if peer_ok && port_ok {
                                return true;
                            }
                        }
                    }
                }
            }
            if applies && !passed && default == Act::Deny {
                return false;
            }
        }
        if let Some(b) = &self.w.baseline {
            match self.admin_layer(&[b], egress, pod, other, t) {
                Some(Verdict::Deny) => return false,
                _ => return true,
            }
        }
        true
    }

    fn allowed(&self, src: Party, dst: Party, t: Traffic) -> bool {
        self.side(src, true, dst, t) && self.side(dst, false, src, t)
    }
}

fn sample_ports(w: &World) -> Vec<u16> {
    let mut raw: Vec<u32> = vec![1, 65535, 53, 80, 8080];
    let mut add = |ports: &[Port]| {
        for p in ports {
            if let Port::Range(a, b) = p {
                raw.extend([u32::from(*a), u32::from(*b)]);
            }
        }
    };
    for p in &w.calico {
        for r in p.ingress.iter().chain(&p.egress) {
            add(&r.destination.ports);
            add(&r.destination.not_ports);
        }
    }
    for p in w.admin.iter().chain(&w.baseline) {
        for r in p.ingress.iter().chain(&p.egress) {
            for port in r.ports.iter().flatten() {
                match port {
                    APort::Number(_, n) => raw.push(u32::from(*n)),
                    APort::Range(_, a, b) => raw.extend([u32::from(*a), u32::from(*b)]),
                    APort::Named(_) => {}
                }
            }
        }
    }
    let mut out: Vec<u16> = raw
        .iter()
        .flat_map(|&p| [p.saturating_sub(1), p, p + 1])
        .filter(|&p| (1..=65535).contains(&p))
        .map(|p| p as u16)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn check_world(seed: u64) -> Result<usize, String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let w = gen_world(&mut rng);
    let text = render(&w);
    let objects = load_str("world.yaml", &text, &LoadLimits::default()).objects;
    let model = Model::from_objects(&objects);
    if let Some(d) = model.diagnostics().iter().find(|d| d.level == Level::Rejected) {
        return Err(format!("generated policy rejected: {d}\n{text}"));
    }
    if model.calico_policies().len() != w.calico.len() {
        return Err(format!("model lost Calico policies\n{text}"));
    }
    let m = matrix(&model);
    let naive = Naive { w: &w };
    let ports = sample_ports(&w);
    let mut ips = vec![0u32, u32::MAX];
    for &(net, prefix) in &CIDRS {
        let last = net | u32::MAX.checked_shr(prefix).unwrap_or(0);
        ips.extend([net.wrapping_sub(1), net, last, last.wrapping_add(1)]);
    }
    let mut checks = Vec::new();
    for a in &w.pods {
        for b in &w.pods {
            checks.push((Party::Pod(a), Party::Pod(b)));
        }
        for &ip in &ips {
            checks.push((Party::Pod(a), Party::Ip(ip)));
            checks.push((Party::Ip(ip), Party::Pod(a)));
        }
    }
    let show = |p: Party| match p {
        Party::Pod(g) => format!("{}/{}", g.namespace, g.name),
        Party::Ip(ip) => std::net::Ipv4Addr::from(ip).to_string(),
    };
    let mut compared = 0;
    for (src, dst) in checks {
        let resolve = |p: Party| model.lookup(&show(p)).map_err(|e| e.to_string());
        let (s, d) = (resolve(src)?, resolve(dst)?);
        let cell = m.get(s, d).ok_or("missing cell")?;
        let pair = model.connections(s, d).ok_or("missing pair")?;
        if &pair != cell {
            return Err(format!("{} -> {}: matrix {cell}, pairwise {pair}", show(src), show(dst)));
        }
        if naive.allowed(src, dst, Traffic::Other) != cell.allows_other_protocols() {
            return Err(format!("{} -> {}: other protocols differ; matrix {cell}\n{text}", show(src), show(dst)));
        }
        for proto in [Protocol::Tcp, Protocol::Udp] {
            for &port in &ports {
                let want = naive.allowed(src, dst, Traffic::Port(proto, port));
                compared += 1;
                if want != cell.contains(proto, port) {
                    return Err(format!("{} -> {} {proto}/{port}: naive says {want}, matrix {cell}\n{text}", show(src), show(dst)));
                }
                if port % 5 == 0 {
                    let ex = model.explain(s, d, port, proto).ok_or("no explanation")?;
                    if ex.allowed != want {
                        return Err(format!("{} -> {} {proto}/{port}: explain disagrees: {ex:?}", show(src), show(dst)));
                    }
                }
            }
        }
    }
    Ok(compared)
}

#[test]
fn ordered_matrix_equals_naive_evaluator_on_random_worlds() {
    let base: u64 = std::env::var("NETPOL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7135);
    let mut compared = 0;
    for i in 0..300 {
        let seed = base.wrapping_add(i);
        match check_world(seed) {
            Ok(n) => compared += n,
            Err(e) => panic!("seed {seed}: {e}"),
        }
    }
    assert!(compared > 50_000, "too few comparisons: {compared}");
}
