#!/usr/bin/env bash
# RBAC scale benchmark: 5,000 roles, 20,000 bindings, 2,000 service accounts (bench/gen-rbac.py),
# each query run RUNS times; prints the median of the query alone (the binary's hidden
# --timings: load, policy build and query measured inside one process) and of the whole
# command (wall, from the shell), per query.
#
# usage: bench/rbac-scale.sh [RUNS=11]       (BIN=path to use another binary; NO_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-11}"
CORPUS="target/bench-rbac"
BIN="${BIN:-target/release/palisade}"
[[ -d "$CORPUS" ]] || python3 bench/gen-rbac.py "$CORPUS" >&2
[[ -n "${NO_BUILD:-}" ]] || cargo build --release -q
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }

run() { # NAME ARGS...
    local name="$1" file
    file="$work/$(printf '%s' "$1" | tr -c 'A-Za-z0-9' '_')"
    shift
    for ((i = 0; i < RUNS; i++)); do
        t0="$(date +%s%N)"
        "$BIN" "$@" --timings >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
        t1="$(date +%s%N)"
        # timings: load 0.142s, policy 0.044s, query 0.007s
        sed -n 's/^timings: load \([0-9.]*\)s, [a-z]* \([0-9.]*\)s, query \([0-9.]*\)s$/\1 \2 \3/p' "$work/err" |
            awk -v w="$(((t1 - t0) / 1000000))" '{printf "%s %s %s %s\n", $1, $2, $3, w / 1000}' >>"$file"
    done
    printf '%-34s %9s %9s %9s %9s\n' "$name" \
        "$(awk '{print $1}' "$file" | median)" "$(awk '{print $2}' "$file" | median)" \
        "$(awk '{printf "%.2f\n", $3 * 1000}' "$file" | median)" "$(awk '{print $4}' "$file" | median)"
}

echo "# rbac-scale: $(grep -h '^kind: ' "$CORPUS"/*.yaml | sort | uniq -c | awk '{printf "%s %s, ", $1, $3}') runs=$RUNS; $(nproc) cores"
printf '%-34s %9s %9s %9s %9s\n' query load_s policy_s query_ms wall_s
run "who-can get secrets (all ns)" rbac who-can get secrets "$CORPUS"
run "who-can create pods/exec -n ns-007" rbac who-can create pods/exec "$CORPUS" -n ns-007
run "who-can get /metrics" rbac who-can get /metrics "$CORPUS"
run "access user:user-7" rbac access user:user-7 "$CORPUS"
run "kubectl sa:ns-003/sa-3" rbac kubectl sa:ns-003/sa-3 "$CORPUS"
# The risky-permission analysis (PAL-RBAC-010..026): policy build + query is the whole of it.
run "risks (all findings)" rbac risks "$CORPUS" --format json

# The risky-permission analysis inside `palisade scan`: the full scan (every analyzer, the
# RBAC one included, and JSON output) against the parse floor of the same corpus; the
# difference bounds the analysis from above.
for step in parse scan; do
    for ((i = 0; i < RUNS; i++)); do
        t0="$(date +%s%N)"
        if [[ $step == parse ]]; then
            "$BIN" scan "$CORPUS" --parse-only >/dev/null
        else
            "$BIN" scan "$CORPUS" --format json >/dev/null || true
        fi
        t1="$(date +%s%N)"
        echo "$(((t1 - t0) / 1000000))" >>"$work/scan-$step"
    done
done
p="$(median <"$work/scan-parse")"
s="$(median <"$work/scan-scan")"
findings="$("$BIN" scan "$CORPUS" --format json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(1 for f in d["findings"] if f["ruleId"].startswith("PAL-RBAC")))' || true)"
echo "scan: parse-only ${p} ms, full scan ${s} ms, analysis and output $((s - p)) ms; ${findings} PAL-RBAC findings"
