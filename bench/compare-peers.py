#!/usr/bin/env python3
"""Compares what Palisade, Checkov and Trivy find, concept by concept, object by object.

usage: compare-peers.py CORPUS_DIR KEEP_DIR [RUN=1]

KEEP_DIR is the BENCH_KEEP directory of ../shared/bench/vs-peers-scan.sh (it holds
palisade.RUN.json, checkov.RUN.json and trivy.RUN.json). Every finding is mapped to the
Kubernetes object it is about, by file and line: the objects' line ranges come from parsing
the corpus (PyYAML's composer, which keeps positions). For each concept the three tools share,
the table gives how many objects each flags, and how many objects a peer flags that Palisade
does not ("missed"). Peer checks with no Palisade counterpart are listed after the table.
"""
import json
import os
import sys
from collections import defaultdict

import yaml

# concept -> (palisade rule ids, checkov check ids, trivy ids)
CONCEPTS = [
    ("privileged container", ["PAL-POD-002"], ["CKV_K8S_16", "CKV_K8S_2"], ["KSV017"]),
    ("host PID/IPC/network", ["PAL-POD-001"],
     ["CKV_K8S_17", "CKV_K8S_1", "CKV_K8S_18", "CKV_K8S_3", "CKV_K8S_19", "CKV_K8S_4"],
     ["KSV008", "KSV009", "KSV010"]),
    ("capabilities added", ["PAL-POD-003", "PAL-POD-025"], ["CKV_K8S_25", "CKV_K8S_24"], ["KSV022"]),
    ("capabilities not dropped (ALL / NET_RAW)", ["PAL-POD-025", "PAL-POD-003"],
     ["CKV_K8S_37", "CKV_K8S_36", "CKV_K8S_28", "CKV_K8S_7"], ["KSV003", "KSV106"]),
    ("hostPath volume", ["PAL-POD-004"], [], ["KSV023", "KSV121"]),
    ("host ports", ["PAL-POD-005"], ["CKV_K8S_26"], ["KSV024"]),
    ("seccomp not RuntimeDefault", ["PAL-POD-024", "PAL-POD-009"],
     ["CKV_K8S_31", "CKV_K8S_32"], ["KSV030", "KSV104"]),
    ("volume types (restricted)", ["PAL-POD-020"], [], ["KSV028"]),
    ("allowPrivilegeEscalation", ["PAL-POD-021"], ["CKV_K8S_20", "CKV_K8S_5"], ["KSV001"]),
    ("may run as root", ["PAL-POD-022", "PAL-POD-023"], ["CKV_K8S_23", "CKV_K8S_6"], ["KSV012"]),
    ("read-only root filesystem", ["PAL-POD-030"], ["CKV_K8S_22"], ["KSV014"]),
    ("CPU requests/limits", ["PAL-POD-031"], ["CKV_K8S_10", "CKV_K8S_11"], ["KSV011", "KSV015"]),
    ("memory requests/limits", ["PAL-POD-032"], ["CKV_K8S_12", "CKV_K8S_13"], ["KSV016", "KSV018"]),
    ("service-account token automounted", ["PAL-POD-033"], ["CKV_K8S_38"], []),
    ("container runtime socket", ["PAL-POD-035"], ["CKV_K8S_27"], ["KSV006"]),
    ("liveness probe", ["PAL-POD-037"], ["CKV_K8S_8"], []),
    ("readiness probe", ["PAL-POD-038"], ["CKV_K8S_9"], []),
    ("image tag latest or none", ["PAL-IMG-001"], ["CKV_K8S_14"], ["KSV013"]),
    ("image not pinned by digest", ["PAL-IMG-002"], ["CKV_K8S_43"], []),
    ("image pull policy not Always", ["PAL-IMG-004"], ["CKV_K8S_15"], []),
    ("secrets as environment variables", ["PAL-SECRET-003"], ["CKV_K8S_35"], []),
    ("default namespace", ["PAL-NS-001"], ["CKV_K8S_21"], ["KSV110"]),
    ("pods not selected by any NetworkPolicy", ["PAL-NET-005", "PAL-NET-006"], ["CKV2_K8S_6"], []),
    ("RBAC wildcards", ["PAL-RBAC-001"], ["CKV_K8S_49"], ["KSV044", "KSV045", "KSV046"]),
    ("cluster-admin (admin/edit cluster-wide) binding", ["PAL-RBAC-002"], [], ["KSV111"]),
    ("risky RBAC: secrets read, escalate/bind", ["PAL-RBAC-003", "PAL-RBAC-001"],
     ["CKV2_K8S_5", "CKV_K8S_157", "CKV_K8S_158"], ["KSV041", "KSV113"]),
]


def object_ranges(corpus):
    """file (relative) -> sorted [(start_line, end_line, label)] of every object."""
    ranges = {}
    for root, dirs, files in os.walk(corpus):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.endswith((".yaml", ".yml", ".json")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, corpus)
            spans = []
            try:
                with open(path, encoding="utf-8") as fh:
                    for doc in yaml.compose_all(fh):
                        add_spans(doc, spans)
            except (yaml.YAMLError, UnicodeDecodeError):
                pass
            ranges[rel] = sorted(spans)
    return ranges


def add_spans(node, spans):
    if not isinstance(node, yaml.MappingNode):
        return
    keys = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    kind = keys.get("kind")
    items = keys.get("items")
    if kind is not None and str(kind.value).endswith("List") and isinstance(items, yaml.SequenceNode):
        for item in items.value:
            add_spans(item, spans)
        return
    name, namespace = "", "default"
    meta = keys.get("metadata")
    if isinstance(meta, yaml.MappingNode):
        for k, v in meta.value:
            if k.value == "name":
                name = v.value
            if k.value == "namespace" and isinstance(v, yaml.ScalarNode) and v.value:
                namespace = v.value
    label = f"{getattr(kind, 'value', '?')}/{name}"
    spans.append((node.start_mark.line + 1, node.end_mark.line + 1, label, namespace))


def locate(ranges, rel, line):
    """The object (file, start line) holding `line` of file `rel`, if any."""
    best = None
    for start, end, label, namespace in ranges.get(rel, []):
        if start <= line <= end:
            best = (rel, start, label, namespace)  # innermost wins (list items come later)
    return best


def rel_path(corpus, path):
    path = path.lstrip("/") if not os.path.isabs(path) or not path.startswith(corpus) else path
    if os.path.isabs(path):
        return os.path.relpath(path, corpus)
    return path


def main():
    corpus = os.path.abspath(sys.argv[1])
    keep = sys.argv[2]
    run = sys.argv[3] if len(sys.argv) > 3 else "1"
    ranges = object_ranges(corpus)

    hits = {"palisade": defaultdict(set), "checkov": defaultdict(set), "trivy": defaultdict(set)}
    unmapped = {"checkov": defaultdict(int), "trivy": defaultdict(int)}
    titles = {}

    pal = json.load(open(os.path.join(keep, f"palisade.{run}.json")))
    # PAL-NET-005 speaks for a whole namespace: every object in it counts as flagged.
    bare_ns = set()
    for f in pal["findings"]:
        if f["ruleId"] == "PAL-NET-005":
            o = f["object"]
            bare_ns.add(o["name"] if o["kind"] == "Namespace" else (o["namespace"] or "default"))
    for f in pal["findings"]:
        rel = rel_path(corpus, f["location"]["path"])
        obj = locate(ranges, rel, f["location"]["line"])
        if obj:
            hits["palisade"][f["ruleId"]].add(obj)

    ck = json.load(open(os.path.join(keep, f"checkov.{run}.json")))
    for report in ck if isinstance(ck, list) else [ck]:
        for f in (report.get("results") or {}).get("failed_checks") or []:
            rel = f["file_path"].lstrip("/")
            obj = locate(ranges, rel, f["file_line_range"][0])
            titles[f["check_id"]] = f["check_name"]
            if obj:
                hits["checkov"][f["check_id"]].add(obj)

    tv = json.load(open(os.path.join(keep, f"trivy.{run}.json")))
    for r in tv.get("Results") or []:
        for m in r.get("Misconfigurations") or []:
            if m.get("Status") != "FAIL":
                continue
            titles[m["ID"]] = m["Title"]
            line = (m.get("CauseMetadata") or {}).get("StartLine") or 1
            obj = locate(ranges, r["Target"], line)
            if obj:
                hits["trivy"][m["ID"]].add(obj)

    all_objects = {(rel, start, label, ns) for rel, objs in ranges.items() for start, _e, label, ns in objs}
    hits["palisade"]["PAL-NET-005"] = {o for o in all_objects if o[3] in bare_ns}

    mapped = {"checkov": set(), "trivy": set()}
    print("| concept | Palisade objects | Checkov objects (missed by Palisade) | Trivy objects (missed by Palisade) |")
    print("| --- | ---: | ---: | ---: |")
    total_missed = 0
    for concept, prules, cids, tids in CONCEPTS:
        p = set().union(*(hits["palisade"][r] for r in prules))
        c = set().union(*(hits["checkov"][i] for i in cids)) if cids else None
        t = set().union(*(hits["trivy"][i] for i in tids)) if tids else None
        mapped["checkov"].update(cids)
        mapped["trivy"].update(tids)
        cell = lambda s: "n/a" if s is None else f"{len(s)} ({len(s - p)})"
        total_missed += len((c or set()) - p) + len((t or set()) - p)
        print(f"| {concept} | {len(p)} | {cell(c)} | {cell(t)} |")
    print(f"\nobjects a peer flags that Palisade misses, summed over concepts: {total_missed}")
    for tool in ("checkov", "trivy"):
        rest = sorted((i, len(s)) for i, s in hits[tool].items() if i not in mapped[tool])
        if rest:
            print(f"\n{tool} checks with no Palisade counterpart (objects):")
            for i, n in rest:
                print(f"- {i} {titles.get(i, '')}: {n}")
    # Detail of misses, for review.
    if os.environ.get("VERBOSE"):
        for concept, prules, cids, tids in CONCEPTS:
            p = set().union(*(hits["palisade"][r] for r in prules))
            for tool, ids in (("checkov", cids), ("trivy", tids)):
                for i in ids:
                    for obj in sorted(hits[tool][i] - p):
                        print(f"MISS {concept} {tool} {i} {obj}")


if __name__ == "__main__":
    main()
