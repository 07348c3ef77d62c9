#!/usr/bin/env python3
"""Generates a large RBAC corpus for `palisade rbac` benchmarks.

usage: bench/gen-rbac.py OUT_DIR [ROLES=5000] [BINDINGS=20000] [SERVICE_ACCOUNTS=2000] [SEED=1]

A fifth of the roles are ClusterRoles (one in twenty of those aggregates others by label),
the rest Roles spread over 100 namespaces; a fifth of the bindings are ClusterRoleBindings.
Subjects are drawn from 500 users, 50 groups and the service accounts. Rules mix real
resources, subresources, resourceNames, wildcards and (in ClusterRoles) nonResourceURLs.
Written as one file per namespace plus cluster.yaml, deterministic for a seed.
"""
import os
import random
import sys

RESOURCES = [
    ("", "pods"), ("", "pods/exec"), ("", "pods/log"), ("", "services"), ("", "configmaps"),
    ("", "secrets"), ("", "serviceaccounts"), ("", "serviceaccounts/token"), ("", "nodes"),
    ("", "nodes/proxy"), ("", "persistentvolumeclaims"), ("", "events"), ("apps", "deployments"),
    ("apps", "deployments/scale"), ("apps", "statefulsets"), ("apps", "daemonsets"),
    ("batch", "jobs"), ("batch", "cronjobs"), ("networking.k8s.io", "ingresses"),
    ("networking.k8s.io", "networkpolicies"), ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "rolebindings"), ("autoscaling", "horizontalpodautoscalers"),
    ("example.com", "widgets"), ("*", "*"), ("", "*"), ("apps", "*/scale"),
]
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
URLS = ["/healthz", "/metrics", "/logs/*", "/api/*", "*"]


def rule(rng, cluster):
    if cluster and rng.random() < 0.05:
        return {"nonResourceURLs": rng.sample(URLS, rng.randint(1, 2)), "verbs": ["get"]}
    picks = rng.sample(RESOURCES, rng.randint(1, 3))
    groups = sorted({g for g, _ in picks})
    resources = sorted({r for _, r in picks})
    verbs = ["*"] if rng.random() < 0.05 else sorted(rng.sample(VERBS, rng.randint(1, 4)))
    r = {"apiGroups": groups, "resources": resources, "verbs": verbs}
    if rng.random() < 0.1:
        r["resourceNames"] = [f"obj-{rng.randint(0, 20)}"]
    return r


def yaml_list(xs):
    return "[" + ", ".join(f'"{x}"' for x in xs) + "]"


def role_doc(kind, name, ns, rules, labels=None, aggregate=None):
    out = [f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {name}"]
    if ns:
        out.append(f"  namespace: {ns}")
    if labels:
        out.append("  labels:")
        out.extend(f'    {k}: "{v}"' for k, v in labels.items())
    if aggregate:
        out.append("aggregationRule:\n  clusterRoleSelectors:\n  - matchLabels:")
        out.extend(f'      {k}: "{v}"' for k, v in aggregate.items())
    out.append("rules:" if rules else "rules: []")
    for r in rules:
        first = True
        for k, v in r.items():
            out.append(("- " if first else "  ") + f"{k}: {yaml_list(v)}")
            first = False
    return "\n".join(out)


def subject(rng, sas):
    x = rng.random()
    if x < 0.4:
        ns, name = rng.choice(sas)
        return f"- kind: ServiceAccount\n  name: {name}\n  namespace: {ns}"
    if x < 0.8:
        return f"- kind: User\n  name: user-{rng.randint(0, 499)}\n  apiGroup: rbac.authorization.k8s.io"
    return f"- kind: Group\n  name: group-{rng.randint(0, 49)}\n  apiGroup: rbac.authorization.k8s.io"


def binding_doc(kind, name, ns, ref_kind, ref_name, subjects):
    head = f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {name}"
    if ns:
        head += f"\n  namespace: {ns}"
    return (head + f"\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: {ref_kind}\n"
            f"  name: {ref_name}\nsubjects:\n" + "\n".join(subjects))


def main():
    out = sys.argv[1]
    roles, bindings, n_sa = (int(a) for a in (sys.argv[2:5] + ["5000", "20000", "2000"][len(sys.argv[2:5]):]))
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    namespaces = [f"ns-{i:03}" for i in range(100)]
    sas = [(namespaces[i % 100], f"sa-{i}") for i in range(n_sa)]
    n_cluster_roles = roles // 5
    per_ns = {ns: [] for ns in namespaces}
    cluster = []
    for i in range(n_cluster_roles):
        if i % 20 == 0:
            cluster.append(role_doc("ClusterRole", f"cr-{i}", None, [],
                                    aggregate={"agg": f"to-{i}"}))
        else:
            labels = {"agg": f"to-{(i // 20) * 20}"} if rng.random() < 0.3 else None
            cluster.append(role_doc("ClusterRole", f"cr-{i}", None,
                                    [rule(rng, True) for _ in range(rng.randint(1, 4))], labels))
    role_names = {ns: [] for ns in namespaces}
    for i in range(roles - n_cluster_roles):
        ns = namespaces[i % 100]
        role_names[ns].append(f"role-{i}")
        per_ns[ns].append(role_doc("Role", f"role-{i}", ns,
                                   [rule(rng, False) for _ in range(rng.randint(1, 4))]))
    for ns, name in sas:
        per_ns[ns].append(f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {ns}")
    for i in range(bindings):
        subjects = [subject(rng, sas) for _ in range(rng.randint(1, 3))]
        if i % 5 == 0:
            cluster.append(binding_doc("ClusterRoleBinding", f"crb-{i}", None, "ClusterRole",
                                       f"cr-{rng.randrange(n_cluster_roles)}", subjects))
        else:
            ns = rng.choice(namespaces)
            if rng.random() < 0.5 and role_names[ns]:
                ref = ("Role", rng.choice(role_names[ns]))
            else:
                ref = ("ClusterRole", f"cr-{rng.randrange(n_cluster_roles)}")
            per_ns[ns].append(binding_doc("RoleBinding", f"rb-{i}", ns, *ref, subjects))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "cluster.yaml"), "w") as f:
        f.write("\n---\n".join(cluster) + "\n")
    for ns, docs in per_ns.items():
        with open(os.path.join(out, f"{ns}.yaml"), "w") as f:
            f.write(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n---\n")
            f.write("\n---\n".join(docs) + "\n")


if __name__ == "__main__":
    main()
