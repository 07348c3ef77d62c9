#!/usr/bin/env bash
# The admission webhook under load with an external HTTPS load generator (oha, built once
# into ~/.cache/palisade-test/oha): `palisade serve --admission` with every built-in rule,
# 10 Gatekeeper templates from ../shared/corpora/gatekeeper-library (pod security) and the 5
# ValidatingAdmissionPolicies of bench/admission/vap.yaml, on 127.0.0.1 with a dev
# certificate. Two oha processes post AdmissionReviews at RATE/2 each over keep-alive
# connections: a hardened pod (allowed) and a privileged one (denied). The server's RSS is
# sampled every 10 s. Then a burst at 10x RATE for BURST seconds: the server must answer
# every request (200, or 429 when its judging queue is full), and stay up.
#
# usage: bench/admission-soak.sh [SECONDS=600] [RATE=2000] [CONNECTIONS=16] [BURST=10]
#        POLICIES=none bench/admission-soak.sh ...   the same with the built-in rules only (the
#        floor: what TLS, HTTP, the load generator and the machine cost without user policies)
#        POLICY_CACHE_MB=0 bench/admission-soak.sh ...   without the decision cache (every
#        request evaluates every template: the miss path)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN="${1:-600}"
RATE="${2:-2000}"
CONNS="${3:-16}"
BURST="${4:-10}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/palisade-test"
OHA_VERSION=1.16.0
OHA="$CACHE/oha-$OHA_VERSION/bin/oha"
if [[ ! -x "$OHA" ]]; then
    cargo install --locked --root "$CACHE/oha-$OHA_VERSION" oha --version "$OHA_VERSION" >&2
fi
source bench/admission/server.sh

review() { # NAME POD_JSON
    printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"%s","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"shop","name":"web","operation":"CREATE","userInfo":{"username":"bench"},"object":%s,"dryRun":false}}' "$1" "$2"
}
review good '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},"spec":{"automountServiceAccountToken":false,"securityContext":{"runAsNonRoot":true,"runAsUser":10001,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"app","image":"registry.test/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"runAsNonRoot":true,"runAsUser":10001,"capabilities":{"drop":["ALL"]}},"resources":{"limits":{"cpu":"100m","memory":"64Mi"},"requests":{"cpu":"100m","memory":"64Mi"}},"livenessProbe":{"httpGet":{"path":"/healthz","port":8080}},"readinessProbe":{"httpGet":{"path":"/readyz","port":8080}}}]}}' >"$work/good.json"
review bad '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"root","namespace":"shop"},"spec":{"hostNetwork":true,"containers":[{"name":"app","image":"nginx","securityContext":{"privileged":true}}]}}' >"$work/bad.json"

# Both answers are what they should be before measuring anything.
curl -ks -H 'content-type: application/json' --data-binary @"$work/good.json" "$url" | grep -q '"allowed":true'
curl -ks -H 'content-type: application/json' --data-binary @"$work/bad.json" "$url" | grep -q '"allowed":false'

rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
(while kill -0 "$server" 2>/dev/null; do echo "$(date +%s) $(rss)"; sleep 10; done) >"$work/rss.log" &
sampler=$!

oha_run() { # BODY RATE SECONDS CONNECTIONS OUT
    "$OHA" --no-tui --insecure --output-format json -m POST -H 'content-type: application/json' \
        -D "$1" -q "$2" -z "${3}s" -c "$4" "$url" >"$5"
}
half=$((RATE / 2))
echo "soak: ${SECONDS_RUN}s at ${RATE}/s over $CONNS connections (half allowed, half denied)" >&2
oha_run "$work/good.json" "$half" "$SECONDS_RUN" $((CONNS / 2)) "$work/good.out" &
g=$!
oha_run "$work/bad.json" "$half" "$SECONDS_RUN" $((CONNS / 2)) "$work/bad.out" &
b=$!
wait "$g" "$b"
echo "burst: ${BURST}s at $((RATE * 10))/s" >&2
oha_run "$work/bad.json" $((RATE * 10)) "$BURST" $((CONNS * 4)) "$work/burst.out"
kill "$sampler" 2>/dev/null || true
kill -0 "$server" && echo "server still up after the burst" >&2
cache_counters >&2

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def summary(name):
    d = json.load(open(f"{work}/{name}.out"))
    s, p = d["summary"], d["latencyPercentiles"]
    codes = d.get("statusCodeDistribution", {})
    errors = d.get("errorDistribution", {})
    ms = lambda v: f"{v * 1000:.2f} ms" if v is not None else "-"
    print(f"{name:6} rps {s['requestsPerSec']:8.0f}  p50 {ms(p['p50'])}  p90 {ms(p['p90'])}  "
          f"p99 {ms(p['p99'])}  max {ms(s['slowest'])}  success {s['successRate'] * 100:.2f}%  "
          f"codes {codes}  errors {errors}")
for name in ("good", "bad", "burst"):
    summary(name)
rss = [int(l.split()[1]) for l in open(f"{work}/rss.log") if len(l.split()) == 2]
if rss:
    n = len(rss)
    print(f"server RSS (KB) over the soak: first {rss[0]}, after 1 min {rss[min(6, n - 1)]}, "
          f"last {rss[-1]}, max {max(rss)} ({n} samples)")
PY
