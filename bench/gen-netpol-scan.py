#!/usr/bin/env python3
"""Generates a network-heavy manifest set for timing the network rules of `palisade scan`.

usage: gen-netpol-scan.py OUT_FILE [WORKLOADS=2000] [POLICIES=1000] [NAMESPACES=100] [SEED=1]

Namespaces carry tier and data-class labels; workloads have app/tier labels and container
ports (a tenth of them database or SSH ports); policies mix default-deny, pod and namespace
selectors, ipBlocks (with excepts) and named ports; every fifth workload has a Service (some
NodePort or LoadBalancer), and every tenth an Ingress. Deterministic for a given seed.
"""
import random
import sys

out = sys.argv[1]
W = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
P = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
N = int(sys.argv[4]) if len(sys.argv) > 4 else 100
r = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)

CLASSES = ["public", "internal", "confidential", "restricted", None]
TIERS = ["web", "api", "data", "batch"]
APPS = [f"app{i}" for i in range(40)]
SENSITIVE = [5432, 3306, 6379, 27017, 22, 9200]
docs = []
for n in range(N):
    labels = {"tier": r.choice(TIERS)}
    c = r.choice(CLASSES)
    if c:
        labels["palisade.dev/data-class"] = c
    lab = ", ".join(f"{k}: {v}" for k, v in labels.items())
    docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: ns{n}, labels: {{{lab}}}}}\n")
for w in range(W):
    ns = f"ns{w % N}"
    app = r.choice(APPS)
    port = r.choice(SENSITIVE) if r.random() < 0.1 else r.choice([8080, 8443, 9090])
    docs.append(
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w{w}, namespace: {ns}}}\n"
        f"spec:\n  template:\n    metadata: {{labels: {{app: {app}, tier: {r.choice(TIERS)}, id: w{w}}}}}\n"
        f"    spec: {{containers: [{{name: c, image: registry.bench.test/{app}:1, "
        f"ports: [{{name: main, containerPort: {port}}}, {{name: metrics, containerPort: 9100}}]}}]}}\n"
    )
    if w % 5 == 0:
        kind = r.choice(["ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"])
        docs.append(
            f"apiVersion: v1\nkind: Service\nmetadata: {{name: w{w}, namespace: {ns}}}\n"
            f"spec: {{type: {kind}, selector: {{id: w{w}}}, ports: [{{port: 80, targetPort: main}}]}}\n"
        )
    if w % 10 == 0:
        docs.append(
            f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: w{w}, namespace: {ns}}}\n"
            f"spec: {{rules: [{{http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: w{w}, port: {{number: 80}}}}}}}}]}}}}]}}\n"
        )


def peer():
    x = r.random()
    if x < 0.35:
        return f"{{podSelector: {{matchLabels: {{app: {r.choice(APPS)}}}}}}}"
    if x < 0.6:
        return f"{{namespaceSelector: {{matchLabels: {{tier: {r.choice(TIERS)}}}}}}}"
    if x < 0.8:
        return (f"{{namespaceSelector: {{matchLabels: {{tier: {r.choice(TIERS)}}}}}, "
                f"podSelector: {{matchLabels: {{app: {r.choice(APPS)}}}}}}}")
    a = r.randrange(1, 223)
    return f"{{ipBlock: {{cidr: {a}.0.0.0/8, except: [{a}.{r.randrange(256)}.0.0/16]}}}}"


def ports():
    return r.choice(["", ", ports: [{port: 8080}]", ", ports: [{port: main}]",
                     ", ports: [{port: 5432}, {port: 8000, endPort: 9000}]"])


for p in range(P):
    ns = f"ns{p % N}"
    if p % 10 == 0:
        docs.append(
            f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p{p}, namespace: {ns}}}\n"
            f"spec: {{podSelector: {{}}, policyTypes: [Ingress, Egress]}}\n"
        )
        continue
    sel = "{}" if r.random() < 0.1 else f"{{matchLabels: {{app: {r.choice(APPS)}}}}}"
    ing = ", ".join(f"{{from: [{peer()}]{ports()}}}" for _ in range(r.randrange(1, 4)))
    eg = ", ".join(f"{{to: [{peer()}]{ports()}}}" for _ in range(r.randrange(0, 3)))
    types = "[Ingress, Egress]" if eg else "[Ingress]"
    docs.append(
        f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p{p}, namespace: {ns}}}\n"
        f"spec: {{podSelector: {sel}, policyTypes: {types}, ingress: [{ing}], egress: [{eg}]}}\n"
    )
with open(out, "w") as f:
    f.write("---\n".join(docs))
