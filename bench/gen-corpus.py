#!/usr/bin/env python3
"""Generates a synthetic Kubernetes manifest corpus for the scale benchmark.

usage: gen-corpus.py OUT_DIR [OBJECTS=50000] [PER_FILE=100] [SEED=1]

The mix follows what real clusters hold (per 100 objects: 22 Deployments, 3 StatefulSets,
2 DaemonSets, 3 CronJobs, 2 Jobs, 22 Services, 14 ConfigMaps, 10 ServiceAccounts, 5 Roles,
5 RoleBindings, 6 NetworkPolicies, 4 Ingresses, 2 Namespaces), with a realistic share of
misconfigurations (privileged, hostPath, latest tags, missing limits, literal secrets,
NodePorts, Ingress without TLS) so that every rule family has work to do. Deterministic for
a given seed. Objects are spread over files of PER_FILE documents in nested directories.
"""
import os
import random
import sys

MIX = [
    ("deployment", 22), ("statefulset", 3), ("daemonset", 2), ("cronjob", 3), ("job", 2),
    ("service", 22), ("configmap", 14), ("serviceaccount", 10), ("role", 5),
    ("rolebinding", 5), ("networkpolicy", 6), ("ingress", 4), ("namespace", 2),
]


def container(r, name, i):
    """One container, indented for a `containers:` list at the pod spec's level."""
    tag = r.choice(["latest", "1.25.3", "2.4", "v3.1.0", None])
    image = f"registry.bench.test/team{i % 17}/{name}"
    if tag:
        image += f":{tag}"
    if r.random() < 0.2:
        image += "@sha256:" + "".join(r.choice("0123456789abcdef") for _ in range(64))
    lines = [
        f"  - name: {name}",
        f"    image: {image}",
        "    ports:",
        f"      - containerPort: {r.choice([80, 8080, 9090, 5432, 6379, 22])}",
        "    env:",
        "      - name: LOG_LEVEL",
        f"        value: {r.choice(['info', 'debug', 'warn'])}",
    ]
    if r.random() < 0.05:
        pw = "".join(r.choice("abcdefghijkmnopqrstuvwxyzABCDEFGH0123456789!#%") for _ in range(20))
        lines += ["      - name: DB_PASSWORD", f"        value: \"{pw}\""]
    if r.random() < 0.3:
        lines += ["      - name: API_TOKEN", "        valueFrom:",
                  "          secretKeyRef: {name: api, key: token}"]
    if r.random() < 0.6:
        lines += ["    resources:", "      requests: {cpu: 100m, memory: 128Mi}",
                  "      limits: {cpu: 500m, memory: 256Mi}"]
    if r.random() < 0.5:
        lines += ["    livenessProbe:", "      httpGet: {path: /healthz, port: 8080}",
                  "    readinessProbe:", "      httpGet: {path: /ready, port: 8080}"]
    roll = r.random()
    if roll < 0.05:
        sc = ["      privileged: true"]
    elif roll < 0.6:
        sc = ["      allowPrivilegeEscalation: false", "      readOnlyRootFilesystem: true",
              "      runAsNonRoot: true", "      capabilities:", "        drop: [ALL]"]
    elif roll < 0.7:
        sc = ["      capabilities:", "        add: [NET_ADMIN, SYS_TIME]"]
    else:
        sc = []
    if sc:
        lines += ["    securityContext:"] + sc
    lines += ["    volumeMounts:", "      - {name: data, mountPath: /data}"]
    return lines


def pod_spec(r, name, i, indent):
    pad = " " * indent
    lines = []
    if r.random() < 0.04:
        lines.append("hostNetwork: true")
    if r.random() < 0.5:
        lines.append(f"serviceAccountName: {name}")
    if r.random() < 0.5:
        lines += ["securityContext:", "  runAsUser: 10001", "  seccompProfile: {type: RuntimeDefault}"]
    lines.append("containers:")
    lines += container(r, name, i)
    if r.random() < 0.3:
        lines += container(r, name + "-sidecar", i + 1)
    lines.append("volumes:")
    if r.random() < 0.06:
        lines += ["  - name: data", "    hostPath: {path: " + r.choice(["/var/run/docker.sock", "/etc", "/var/lib/data", "/"]) + "}"]
    else:
        lines += ["  - name: data", "    emptyDir: {}"]
    return [pad + l for l in lines]


def meta(name, ns, kind, api, extra=None):
    out = [f"apiVersion: {api}", f"kind: {kind}", "metadata:", f"  name: {name}"]
    if ns:
        out.append(f"  namespace: {ns}")
    out += ["  labels:", f"    app: {name}", "    team: bench", "    tier: backend"]
    if extra:
        out += extra
    return out


def workload(r, kind, name, ns, i):
    api = {"deployment": "apps/v1", "statefulset": "apps/v1", "daemonset": "apps/v1",
           "cronjob": "batch/v1", "job": "batch/v1"}[kind]
    k = {"deployment": "Deployment", "statefulset": "StatefulSet", "daemonset": "DaemonSet",
         "cronjob": "CronJob", "job": "Job"}[kind]
    out = meta(name, ns, k, api)
    if kind == "cronjob":
        out += ["spec:", "  schedule: \"*/5 * * * *\"", "  jobTemplate:", "    spec:",
                "      template:", "        metadata:", f"          labels: {{app: {name}}}",
                "        spec:", "          restartPolicy: OnFailure"]
        out += pod_spec(r, name, i, 10)
    elif kind == "job":
        out += ["spec:", "  template:", "    metadata:", f"      labels: {{app: {name}}}",
                "    spec:", "      restartPolicy: Never"]
        out += pod_spec(r, name, i, 6)
    else:
        out += ["spec:"]
        if kind != "daemonset":
            out.append(f"  replicas: {r.randint(1, 5)}")
        out += ["  selector:", "    matchLabels:", f"      app: {name}", "  template:",
                "    metadata:", "      labels:", f"        app: {name}", "    spec:"]
        out += pod_spec(r, name, i, 6)
    return out


def obj(r, kind, i, ns):
    name = f"{kind}-{i}"
    if kind in ("deployment", "statefulset", "daemonset", "cronjob", "job"):
        return workload(r, kind, name, ns, i)
    if kind == "service":
        t = r.choices(["ClusterIP", "NodePort", "LoadBalancer"], [85, 10, 5])[0]
        port = r.choice([80, 443, 8080, 5432, 6379, 22])
        return meta(name, ns, "Service", "v1") + [
            "spec:", f"  type: {t}", "  selector:", f"    app: deployment-{i}", "  ports:",
            f"    - name: p{port}", f"      port: {port}", f"      targetPort: {port}", "      protocol: TCP"]
    if kind == "configmap":
        out = meta(name, ns, "ConfigMap", "v1") + ["data:"]
        for k in range(r.randint(3, 10)):
            out.append(f"  key{k}: \"value-{r.randint(0, 10**6)}\"")
        if r.random() < 0.03:
            out.append("  aws_key: AKIA" + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)))
        out += ["  app.properties: |", "    server.port=8080", "    feature.x=true", "    cache.ttl=300"]
        return out
    if kind == "serviceaccount":
        out = meta(name, ns, "ServiceAccount", "v1")
        if r.random() < 0.5:
            out.append("automountServiceAccountToken: false")
        return out
    if kind == "role":
        verbs = "[\"*\"]" if r.random() < 0.1 else "[get, list, watch]"
        return meta(name, ns, "Role", "rbac.authorization.k8s.io/v1") + [
            "rules:", "  - apiGroups: [\"\"]", "    resources: [pods, configmaps]", f"    verbs: {verbs}"]
    if kind == "rolebinding":
        role = "cluster-admin" if r.random() < 0.02 else f"role-{i}"
        rk = "ClusterRole" if role == "cluster-admin" else "Role"
        return meta(name, ns, "RoleBinding", "rbac.authorization.k8s.io/v1") + [
            "roleRef:", "  apiGroup: rbac.authorization.k8s.io", f"  kind: {rk}", f"  name: {role}",
            "subjects:", "  - kind: ServiceAccount", f"    name: serviceaccount-{i}", f"    namespace: {ns}"]
    if kind == "networkpolicy":
        return meta(name, ns, "NetworkPolicy", "networking.k8s.io/v1") + [
            "spec:", "  podSelector:", "    matchLabels:", f"      app: deployment-{i}",
            "  policyTypes: [Ingress]", "  ingress:", "    - from:",
            "        - podSelector:", "            matchLabels: {role: frontend}",
            "      ports:", "        - {protocol: TCP, port: 8080}"]
    if kind == "ingress":
        out = meta(name, ns, "Ingress", "networking.k8s.io/v1") + ["spec:"]
        if r.random() < 0.6:
            out += ["  tls:", f"    - hosts: [{name}.bench.test]", f"      secretName: {name}-tls"]
        out += ["  rules:", f"    - host: {name}.bench.test", "      http:", "        paths:",
                "          - path: /", "            pathType: Prefix", "            backend:",
                "              service:", f"                name: service-{i}", "                port: {number: 80}"]
        return out
    if kind == "namespace":
        return meta(f"ns-extra-{i}", None, "Namespace", "v1")
    raise ValueError(kind)


def main():
    out_dir = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
    per_file = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    r = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    kinds = [k for k, w in MIX for _ in range(w)]
    namespaces = [f"team-{n}" for n in range(50)]
    os.makedirs(out_dir, exist_ok=True)
    written = 0
    file_no = 0
    while written < total:
        n = min(per_file, total - written)
        sub = os.path.join(out_dir, f"app-{file_no // 20:03d}")
        os.makedirs(sub, exist_ok=True)
        docs = []
        for _ in range(n):
            kind = r.choice(kinds)
            docs.append("\n".join(obj(r, kind, written, r.choice(namespaces))))
            written += 1
        with open(os.path.join(sub, f"manifests-{file_no:04d}.yaml"), "w") as fh:
            fh.write("---\n" + "\n---\n".join(docs) + "\n")
        file_no += 1
    print(f"{written} objects in {file_no} files under {out_dir}")


if __name__ == "__main__":
    main()
