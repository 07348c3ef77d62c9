#!/usr/bin/env bash
# Seeds the fuzz corpora from the project's own fixtures and examples.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/load corpus/config corpus/dockerfile corpus/secrets
while IFS= read -r f; do
    case "$(basename "$f")" in
        palisade*.yaml) dest=corpus/config ;;
        *) dest=corpus/load ;;
    esac
    cp "$f" "$dest/$(echo "${f#../}" | tr '/' '_')"
done < <(find ../crates/palisade-checks/tests/fixtures ../examples -name '*.yaml')
# Dockerfile fixtures and the examples' Dockerfiles.
while IFS= read -r f; do
    cp "$f" "corpus/dockerfile/$(echo "${f#../}" | tr '/' '_')"
done < <(find ../crates/palisade-checks/tests/fixtures ../examples -name '*Dockerfile')
# The secrets detector takes "NAME\nVALUE": seed it with the secrets fixtures (their first
# line is a comment, a fine name) and a few pairs of the shapes it judges.
cp ../crates/palisade-checks/tests/fixtures/PAL-SECRET-00*/*.yaml corpus/secrets/ 2>/dev/null || true
i=0
for pair in 'DB_PASSWORD\nhunter2' 'AWS_SECRET_ACCESS_KEY\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' \
    'Authorization\nBasic dXNlcjpFWEFNUExF' '\n--db-password=x -H "Authorization: Bearer EXAMPLEEXAMPLE0000"' \
    'app.properties\ndb.url=postgres://u:p@h/x\ntoken=abc\n{"private_key": "-----BEGIN PRIVATE KEY-----"}'; do
    printf "$pair" >"corpus/secrets/pair-$i"
    i=$((i + 1))
done
mkdir -p corpus/rbac corpus/netpol corpus/calico_selector corpus/flows corpus/node_files corpus/probe_response
cp ../examples/platform-rbac/*.yaml corpus/rbac/
cp ../examples/network/*.yaml corpus/netpol/
for f in ../crates/palisade-netpol/tests/fixtures/semantics/*.yaml ../crates/palisade-netpol/tests/fixtures/diagnostics/*.yaml; do
    cp "$f" "corpus/netpol/$(echo "${f#../}" | tr '/' '_')"
done
printf "app == 'web'" >corpus/calico_selector/s1
printf "has(team) && !has(x) || env in {'a','b'} && name starts with 'p'" >corpus/calico_selector/s2
printf "all()" >corpus/calico_selector/s3
cp ../crates/palisade-netpol/tests/fixtures/flows/*.jsonl corpus/flows/
printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{"a":"b","c":1}' >corpus/probe_response/ok
printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' >corpus/probe_response/chunked
# node_files: a fixture node's files joined by NUL, in the target's order.
python3 - <<'PY'
import os
files = ["etc/kubernetes/manifests/kube-apiserver.yaml", "etc/kubernetes/manifests/etcd.yaml",
         "var/lib/kubelet/config.yaml", "etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
         "etc/ssh/sshd_config", "etc/passwd", "etc/shadow", "etc/group", "etc/pam.d/sshd",
         "home/alice/.ssh/authorized_keys"]
for name, root in [("kubeadm-insecure", "../crates/palisade-node/tests/fixtures/kubeadm-insecure"),
                   ("fleet-node-b", "../crates/palisade-node/tests/fixtures/fleet/node-b")]:
    parts = [open(os.path.join(root, f), "rb").read() if os.path.exists(os.path.join(root, f)) else b"" for f in files]
    open(os.path.join("corpus/node_files", name), "wb").write(b"\0".join(parts))
PY
# image_layers: small layers (plain and gzip tars with whiteouts, an opaque dir, links, an
# escaping path), each framed by a 2-byte big-endian length, as the target reads them.
mkdir -p corpus/image_layers
python3 - <<'PY'
import gzip, io, struct, tarfile

def layer(entries, compress=False):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.REGTYPE:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                info.linkname = data.decode()
                t.addfile(info)
    raw = buf.getvalue()
    return gzip.compress(raw) if compress else raw

def frame(*layers):
    return b"".join(struct.pack(">H", len(l)) + l for l in layers)

F, D, S, L = tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
base = [("etc", D, b""), ("etc/motd", F, b"hi"), ("var/cache/x", F, b"x"), ("bin", S, b"usr/bin")]
top = [("etc/.wh.motd", F, b""), ("var/cache/.wh..wh..opq", F, b""), ("bin/sh", F, b"sh"),
       ("../escape", F, b"e"), ("hard", L, b"etc/missing"), ("up", S, b"../../../../tmp")]
open("corpus/image_layers/two-plain", "wb").write(frame(layer(base), layer(top)))
open("corpus/image_layers/two-gzip", "wb").write(frame(layer(base, True), layer(top, True)))
PY
# Package catalogers: npm's own package.json files and lockfiles found on this machine, small
# jars, rpm header blobs from an rpmdb.sqlite if this machine has one (python3's sqlite3).
mkdir -p corpus/rpm_header corpus/go_buildinfo corpus/npm_lockfile corpus/java_archive
i=0
for f in $(find / -xdev \( -name package-lock.json -o -path '*/node_modules/*/package.json' \) -size -64k 2>/dev/null | head -40); do
    cp "$f" "corpus/npm_lockfile/seed-$i"
    i=$((i + 1))
done
for f in $(find /usr/share/maven/lib /usr/share/java -name '*.jar' -size -256k 2>/dev/null | head -10); do
    cp "$f" "corpus/java_archive/$(basename "$f")"
done
printf 'groupId=org.example\nartifactId=lib\nversion=1.0\n' >corpus/java_archive/pom.properties
printf 'Manifest-Version: 1.0\r\nImplementation-Title: x\r\nImplementation-Version: 1\r\n\r\n' >corpus/java_archive/MANIFEST.MF
for db in /usr/lib/sysimage/rpm/rpmdb.sqlite /var/lib/rpm/rpmdb.sqlite; do
    [[ -f "$db" ]] || continue
    python3 - "$db" <<'PY'
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?immutable=1", uri=True)
for hnum, blob in con.execute("SELECT hnum, blob FROM Packages LIMIT 50"):
    open(f"corpus/rpm_header/hnum-{hnum}", "wb").write(blob)
PY
done
# Go: the first 64 KiB of a Go-built tool (headers and note; the build info lies beyond, so
# the fuzzer also starts from a bare ELF header).
for f in "$(command -v go)" /usr/local/go/pkg/tool/*/buildid; do
    [[ -f "$f" ]] && head -c 65536 "$f" >"corpus/go_buildinfo/$(basename "$f")-head"
done
echo "seeded: $(ls corpus/load | wc -l) load, $(ls corpus/config | wc -l) config, $(ls corpus/dockerfile | wc -l) dockerfile, $(ls corpus/secrets | wc -l) secrets"
# rego_policy: the Gatekeeper library's Rego, cut out of its templates.
mkdir -p corpus/rego_policy
python3 - <<'PY'
import glob, os, re
for i, path in enumerate(sorted(glob.glob("../../shared/corpora/gatekeeper-library/library/**/template.yaml", recursive=True))):
    text = open(path).read()
    m = re.search(r"rego: \|\n((?: {8,}.*\n|\n)+)", text)
    if m:
        lines = m.group(1).splitlines()
        indent = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
        open(f"corpus/rego_policy/lib-{i}.rego", "w").write("\n".join(l[indent:] for l in lines) + "\n")
PY
# scanner_reports: the hand-written Trivy, Grype, CycloneDX and OpenVEX fixtures.
mkdir -p corpus/scanner_reports
cp ../crates/palisade-imagescan/tests/fixtures/merge/*.json corpus/scanner_reports/
# cel_expression: the expressions of the ValidatingAdmissionPolicy tests.
mkdir -p corpus/cel_expression
python3 - <<'PY'
import re
text = open("../crates/palisade-policy/tests/vap.rs").read()
for i, e in enumerate(sorted(set(re.findall(r'(?:expression|Expression): "((?:[^"\\]|\\.)*)"', text)))):
    open(f"corpus/cel_expression/vap-{i}.cel", "w").write(e.replace('\\"', '"'))
PY
# OSV records: our Debian/Ubuntu fixtures, a few shared-corpus records (JSON, YAML, secdb), and a zip.
mkdir -p corpus/osv_record
cp ../crates/palisade-vulndb/tests/fixtures/osv-os/*.json corpus/osv_record/
osv=../../shared/corpora/osv
if [ -d "$osv" ]; then
    cp "$osv/go/GO-2020-0001.json" "$osv/pypa/requests/PYSEC-2023-74.yaml" corpus/osv_record/
    head -c 4000 "$osv/alpine-secdb/v3.11/main.yaml" >corpus/osv_record/secdb-head.yaml
fi
(cd ../crates/palisade-vulndb/tests/fixtures/osv-os && python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for f in sys.argv[2:]: z.write(f)' "$OLDPWD/corpus/osv_record/fixtures.zip" *.json)
# admission_review: AdmissionReviews of the shapes the API server sends (CREATE, UPDATE of a
# subresource, DELETE, CONNECT; dry run; a Pod and a Deployment).
mkdir -p corpus/admission_review
python3 - <<'PY'
import json
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"app": "a"}},
       "spec": {"hostNetwork": True, "containers": [{"name": "c", "image": "nginx",
                "securityContext": {"privileged": True}, "ports": [{"containerPort": 22}]}]}}
hardened = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "h"},
            "spec": {"automountServiceAccountToken": False, "securityContext": {"runAsNonRoot": True,
                     "seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [{"name": "c", "image": "r/i@sha256:" + "a" * 64,
                                     "securityContext": {"allowPrivilegeEscalation": False,
                                                         "readOnlyRootFilesystem": True,
                                                         "capabilities": {"drop": ["ALL"]}},
                                     "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}}
deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
          "spec": {"replicas": 9, "template": {"spec": {"containers": [{"name": "c", "image": "r/i:1"}]}}}}
cases = [("CREATE", "", pod, None, False), ("CREATE", "", hardened, None, True),
         ("UPDATE", "", deploy, deploy, False), ("UPDATE", "ephemeralcontainers", pod, pod, False),
         ("DELETE", "", None, pod, False), ("CONNECT", "exec", None, None, False)]
for i, (op, sub, obj, old, dry) in enumerate(cases):
    kind = (obj or old or {"kind": "PodExecOptions"})["kind"]
    group = "apps" if kind == "Deployment" else ""
    req = {"uid": f"uid-{i}", "operation": op, "subResource": sub, "namespace": "team", "name": "n",
           "kind": {"group": group, "version": "v1", "kind": kind},
           "resource": {"group": group, "version": "v1", "resource": kind.lower() + "s"},
           "userInfo": {"username": "u", "groups": ["g"]}, "object": obj, "oldObject": old, "dryRun": dry}
    json.dump({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req},
              open(f"corpus/admission_review/review-{i}.json", "w"))
PY
