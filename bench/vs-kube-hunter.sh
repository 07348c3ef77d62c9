#!/usr/bin/env bash
# Palisade's `probe` against kube-hunter (Aqua, PyPI 0.6.8, installed by ../shared/peers/install.sh)
# on the same unauthenticated etcd: what each reports, and how long each takes.
#
# usage: bench/vs-kube-hunter.sh [ROUNDS=3]
#   env: PALISADE_BIN (default target/release/palisade, built if missing),
#        PALISADE_PEERS (the peers' venv, default ~/.cache/palisade-peers)
#
# Safety: everything runs inside a network namespace this script creates (`unshare --net`),
# where the only interface is loopback. kube-hunter, besides probing the host it is given,
# looks up the target's cloud on a public web service and may query cloud metadata
# addresses; in the namespace those requests fail at once and nothing leaves the machine.
# etcd listens on 127.0.0.1:2379 there (kube-hunter only looks for etcd on 2379), with the
# v2 API enabled so that kube-hunter's key-read check (GET /v2/keys) has something to find.
#
# Exit status: 0 when Palisade reports at least every issue kube-hunter reports (mapped by
# the table below), 1 otherwise, 2 on setup failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
ROUNDS="${1:-3}"

if [[ "${PALISADE_IN_NETNS:-0}" != 1 ]]; then
    unshare_args=(--net)
    [[ "$(id -u)" == 0 ]] || unshare_args+=(--map-root-user)
    exec unshare "${unshare_args[@]}" -- env PALISADE_IN_NETNS=1 bash "$0" "$@"
fi

log() { printf '[vs-kube-hunter] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

# Inside the fresh namespace: bring loopback up and make sure it is all there is.
ip link set lo up
if ip -o link show | awk -F': ' '{print $2}' | grep -qv '^lo$'; then
    die "the network namespace has interfaces besides lo; refusing to run"
fi
ip route show | grep -q . && die "the network namespace has routes; refusing to run"

PEERS="${PALISADE_PEERS:-$HOME/.cache/palisade-peers}"
KUBE_HUNTER="$PEERS/bin/kube-hunter"
[[ -x "$KUBE_HUNTER" ]] || die "kube-hunter not installed: run ../shared/peers/install.sh"
command -v etcd >/dev/null || die "etcd not installed: run scripts/setup.sh"
BIN="${PALISADE_BIN:-$ROOT/target/release/palisade}"
if [[ ! -x "$BIN" ]]; then
    log "building $BIN"
    nice -n 10 cargo build --release -p palisade >&2
fi

WORK="$(mktemp -d)"
ETCD_PID=""
cleanup() {
    local rc=$?
    if [[ -n "$ETCD_PID" ]]; then
        kill "$ETCD_PID" 2>/dev/null || true
        wait "$ETCD_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT

log "starting etcd $(etcd --version | awk '/^etcd Version/ {print $3}') on 127.0.0.1:2379 without authentication"
etcd --name bench --data-dir "$WORK/etcd" --enable-v2=true \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster bench=http://127.0.0.1:2380 >"$WORK/etcd.log" 2>&1 &
ETCD_PID=$!
for _ in $(seq 100); do
    grep -q "ready to serve client requests" "$WORK/etcd.log" && break
    sleep 0.1
done
grep -q "ready to serve client requests" "$WORK/etcd.log" || die "etcd did not start: $(tail -5 "$WORK/etcd.log")"
# A few keys, as a cluster would have (v3 JSON gateway; key and value base64).
for key in /registry/secrets/default/db /registry/pods/default/web /registry/namespaces/default; do
    b64="$(printf '%s' "$key" | base64 -w0)"
    curl -sS --fail -X POST -d "{\"key\":\"$b64\",\"value\":\"eA==\"}" http://127.0.0.1:2379/v3/kv/put >/dev/null
done

ms() { echo $(( $(date +%s%N) / 1000000 )); }
for ((i = 1; i <= ROUNDS; i++)); do
    t0=$(ms)
    "$KUBE_HUNTER" --remote 127.0.0.1 --report json --log none >"$WORK/kh.json" 2>"$WORK/kh.err" || true
    t1=$(ms)
    "$BIN" probe 127.0.0.1 --format json --fail-on none >"$WORK/pal.json" 2>"$WORK/pal.err" || true
    t2=$(ms)
    echo "round $i: kube-hunter $((t1 - t0)) ms, palisade $((t2 - t1)) ms" | tee -a "$WORK/times" >&2
done

python3 - "$WORK/kh.json" "$WORK/pal.json" "$WORK/times" <<'EOF'
import json, re, statistics, sys

# kube-hunter vulnerability id -> the Palisade rule that reports the same issue.
MAPPING = {
    "KHV032": "PAL-PROBE-001",  # Etcd Remote Read Access Event      -> etcd readable without authentication
    "KHV033": "PAL-PROBE-003",  # Etcd Remote version disclosure      -> etcd version disclosed
    "KHV034": "PAL-PROBE-002",  # Etcd is accessible using insecure connection (HTTP) -> etcd without TLS
}
kh_text = open(sys.argv[1]).read()
kh = json.loads(kh_text[kh_text.index("{"):]) if "{" in kh_text else {}
pal = json.load(open(sys.argv[2]))
times = [tuple(map(int, re.findall(r"(\d+) ms", line))) for line in open(sys.argv[3])]

pal_by_rule = {}
for f in pal["findings"]:
    pal_by_rule.setdefault(f["ruleId"], []).append(f)

print("kube-hunter reported:")
missing = []
for v in kh.get("vulnerabilities", []):
    vid = v.get("vid")
    rule = MAPPING.get(vid)
    covered = rule is not None and any("127.0.0.1:2379" in f["location"]["path"] for f in pal_by_rule.get(rule, []))
    print(f"  {vid} {v.get('vulnerability')} at {v.get('location')} -> {rule or 'no mapping'}: {'reported' if covered else 'NOT REPORTED'}")
    if not covered:
        missing.append(vid)
print("palisade reported:")
for f in pal["findings"]:
    print(f"  {f['ruleId']} {f['severity']}: {f['message']}")
kh_ms = [t[0] for t in times]
pal_ms = [t[1] for t in times]
print(f"wall time over {len(times)} rounds (ms): kube-hunter median {statistics.median(kh_ms):.0f} (min {min(kh_ms)}), "
      f"palisade median {statistics.median(pal_ms):.0f} (min {min(pal_ms)})")
if missing or not kh.get("vulnerabilities"):
    print("RESULT: palisade misses " + ", ".join(missing) if missing else "RESULT: kube-hunter reported nothing (setup problem?)")
    sys.exit(1)
print("RESULT: palisade reports everything kube-hunter reports")
EOF
