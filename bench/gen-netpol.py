#!/usr/bin/env python3
"""Generates a large NetworkPolicy corpus for `palisade netpol` benchmarks.

usage: bench/gen-netpol.py OUT_DIR [NAMESPACES=100] [WORKLOADS=2000] [POLICIES=1000] [SEED=1]

The shape of a multi-team cluster: `kube-system` (with CoreDNS) and `monitoring` (with
Prometheus) among the namespaces, the rest owned by teams, labelled with team, env and
tier. Workloads (Deployments mostly, then StatefulSets, DaemonSets, CronJobs and bare Pods)
are split evenly over namespaces, each an `app` with a tier (frontend, backend, db, cache,
worker) and named container ports (http, grpc, metrics, and db/cache/dns ports).

Policies are spread evenly too, in this order per namespace until its share is used:
default-deny ingress; default-deny egress with DNS to CoreDNS allowed (every other
namespace) or ingress from Prometheus on the `metrics` port; then app-to-app allows (same
namespace by podSelector with matchExpressions, other namespaces by namespaceSelector on
team and env plus podSelector, named ports, number ranges with endPort); ingress from
addresses (the Internet except private ranges, or an office range with an `except`); and
egress from backends to databases and to an external API block. Written as one file per
namespace, deterministic for a seed.
"""
import json
import os
import random
import sys

TIERS = ["frontend", "backend", "db", "cache", "worker"]
TEAMS = [f"team-{i}" for i in range(12)]
ENVS = ["prod", "staging", "dev"]
KINDS = [("Deployment", 70), ("StatefulSet", 12), ("DaemonSet", 5), ("CronJob", 5), ("Pod", 8)]
PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]


def ports_for(tier):
    ports = [{"name": "metrics", "containerPort": 9090}]
    if tier in ("frontend", "backend"):
        ports.append({"name": "http", "containerPort": 8080})
    if tier == "backend":
        ports.append({"name": "grpc", "containerPort": 50051})
    if tier == "db":
        ports.append({"name": "db", "containerPort": 5432})
    if tier == "cache":
        ports.append({"name": "db", "containerPort": 6379})
    return ports


def workload(kind, ns, name, labels, ports, rng):
    meta = {"name": name, "namespace": ns}
    pod_spec = {"containers": [{"name": name, "image": f"{name}:1.0", "ports": ports}]}
    if kind == "Pod":
        meta["labels"] = labels
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec}
    template = {"metadata": {"labels": labels}, "spec": pod_spec}
    if kind == "CronJob":
        return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
                "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}}
    spec = {"selector": {"matchLabels": {"app": labels["app"]}}, "template": template}
    if kind != "DaemonSet":
        spec["replicas"] = rng.randint(1, 5)
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}


def policy(ns, name, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def dns_rule():
    return {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}


def scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)  # quoted: "*/5 * * * *", "0.0.0.0/0", "v1"


def block(v, indent=0):
    """Block-style YAML lines, as people and `kubectl get -o yaml` write manifests."""
    pad = " " * indent
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                out.append(f"{pad}{k}:")
                out.extend(block(x, indent + 2 if isinstance(x, dict) else indent))
            else:
                out.append(f"{pad}{k}: {scalar(x) if not isinstance(x, (dict, list)) else json.dumps(x)}")
    else:
        for x in v:
            if isinstance(x, (dict, list)) and x:
                inner = block(x, indent + 2)
                out.append(f"{pad}- {inner[0].lstrip()}")
                out.extend(inner[1:])
            else:
                out.append(f"{pad}- {scalar(x) if not isinstance(x, (dict, list)) else json.dumps(x)}")
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    n_ns, n_wl, n_pol, seed = ([int(a) for a in sys.argv[2:6]] + [100, 2000, 1000, 1][len(sys.argv) - 2:])[:4]
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    names = ["kube-system", "monitoring"] + [f"ns-{i:03d}" for i in range(n_ns - 2)]
    ns_labels = {}
    for i, ns in enumerate(names):
        if i < 2:
            ns_labels[ns] = {"team": "platform", "env": "prod"}
        else:
            ns_labels[ns] = {"team": rng.choice(TEAMS), "env": rng.choice(ENVS),
                             "tier": rng.choice(["web", "data", "batch"])}
    # Workloads, evenly over namespaces.
    apps = {ns: [] for ns in names}  # ns -> [(app, tier)]
    docs = {ns: [{"apiVersion": "v1", "kind": "Namespace",
                  "metadata": {"name": ns, "labels": ns_labels[ns]}}] for ns in names}
    kinds = [k for k, w in KINDS for _ in range(w)]
    for i in range(n_wl):
        ns = names[i % len(names)]
        if ns == "kube-system" and not apps[ns]:
            app, tier, kind = "coredns", "backend", "Deployment"
            labels = {"app": app, "k8s-app": "kube-dns", "tier": tier}
            ports = [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                     {"name": "dns-tcp", "containerPort": 53}, {"name": "metrics", "containerPort": 9153}]
        elif ns == "monitoring" and not apps[ns]:
            app, tier, kind = "prometheus", "backend", "StatefulSet"
            labels = {"app": app, "tier": tier}
            ports = [{"name": "http", "containerPort": 9090}]
        else:
            tier = rng.choice(TIERS)
            app = f"{tier}-{len(apps[ns])}"
            kind = rng.choice(kinds)
            labels = {"app": app, "tier": tier, "version": rng.choice(["v1", "v2"])}
            ports = ports_for(tier)
        apps[ns].append((app, tier))
        docs[ns].append(workload(kind, ns, app, labels, ports, rng))
    # Policies, evenly over namespaces.
    per_ns = [n_pol // len(names) + (1 if i < n_pol % len(names) else 0) for i in range(len(names))]
    for i, ns in enumerate(names):
        pols = []
        mine = apps[ns]

        def add(name, spec):
            if len(pols) < per_ns[i]:
                pols.append(policy(ns, name, spec))

        add("default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})
        if i % 2 == 0:
            add("default-deny-egress", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [dns_rule()]})
        else:
            add("allow-prometheus", {"podSelector": {}, "ingress": [{
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                          "podSelector": {"matchLabels": {"app": "prometheus"}}}],
                "ports": [{"port": "metrics"}]}]})
        k = 0
        while len(pols) < per_ns[i]:
            k += 1
            app, tier = rng.choice(mine)
            shape = rng.random()
            if shape < 0.45:
                # Same-namespace callers by app, on a named port.
                callers = sorted({a for a, _ in rng.sample(mine, min(3, len(mine)))})
                add(f"{app}-from-apps-{k}", {
                    "podSelector": {"matchLabels": {"app": app}},
                    "ingress": [{"from": [{"podSelector": {"matchExpressions": [
                        {"key": "app", "operator": "In", "values": callers}]}}],
                        "ports": [{"port": rng.choice(["http", "grpc", "db", "metrics"])}]}]})
            elif shape < 0.7:
                # Other teams' frontends in prod, on a number range.
                team = rng.choice(TEAMS)
                base = rng.choice([8000, 8080, 9000])
                add(f"{app}-from-{team}-{k}", {
                    "podSelector": {"matchLabels": {"tier": tier}},
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": team},
                                                                 "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]},
                                           "podSelector": {"matchLabels": {"tier": "frontend"}}}],
                                 "ports": [{"port": base, "endPort": base + rng.choice([0, 10, 100])},
                                           {"port": "http"}]}]})
            elif shape < 0.82:
                # From addresses: the Internet without private ranges, or an office range.
                if rng.random() < 0.5:
                    peer = {"ipBlock": {"cidr": "0.0.0.0/0", "except": PRIVATE}}
                    ports = [{"port": 443}, {"port": 8443}]
                else:
                    o = rng.randint(0, 255)
                    peer = {"ipBlock": {"cidr": f"10.{o}.0.0/16", "except": [f"10.{o}.{rng.randint(0, 255)}.0/24"]}}
                    ports = [{"port": "http"}]
                add(f"{app}-from-addresses-{k}", {"podSelector": {"matchLabels": {"app": app}},
                                                  "ingress": [{"from": [peer], "ports": ports}]})
            else:
                # Backends out to databases here and elsewhere in the team, and to an API block.
                add(f"{app}-egress-{k}", {
                    "podSelector": {"matchLabels": {"tier": "backend"}},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {"to": [{"podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["db", "cache"]}]}},
                                {"namespaceSelector": {"matchLabels": {"team": ns_labels[ns].get("team", "platform")}},
                                 "podSelector": {"matchLabels": {"tier": "db"}}}],
                         "ports": [{"port": "db"}]},
                        {"to": [{"ipBlock": {"cidr": f"203.0.{rng.randint(0, 255)}.0/24"}}], "ports": [{"port": 443}]},
                        dns_rule()]})
        docs[ns].extend(pols)
    for ns in names:
        with open(os.path.join(out, f"{ns}.yaml"), "w") as f:
            f.write("".join("---\n" + "\n".join(block(d)) + "\n" for d in docs[ns]))
    total = sum(per_ns)
    print(f"{out}: {len(names)} namespaces, {n_wl} workloads, {total} policies", file=sys.stderr)


if __name__ == "__main__":
    main()
