#!/usr/bin/env bash
# Interleaved comparison of two palisade binaries against the parse floor: each round runs
# `parse-only`, then BIN's full scan, then OTHER's full scan, under `perf stat -e task-clock`
# (CPU ms) with wall time around it; prints min and median of each.
#
# usage: bench/interleaved.sh BIN OTHER_BIN [ROUNDS=15] [CORPUS=target/bench-corpus-50000]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$1"
OTHER="$2"
ROUNDS="${3:-15}"
CORPUS="${4:-target/bench-corpus-50000}"
[[ -d "$CORPUS" ]] || python3 bench/gen-corpus.py "$CORPUS" 50000 100 1 >&2
command -v perf >/dev/null || { echo "needs perf (Debian: linux-perf)" >&2; exit 2; }
runs="$(mktemp)"
trap 'rm -f "$runs"' EXIT
for ((i = 0; i < ROUNDS; i++)); do
    for step in parse scan other; do
        case $step in
            parse) cmd=("$BIN" scan "$CORPUS" --parse-only) ;;
            scan) cmd=("$BIN" scan "$CORPUS" --format json) ;;
            other) cmd=("$OTHER" scan "$CORPUS" --format json) ;;
        esac
        t0="$(date +%s%N)"
        # A scan exits 1 when it has findings, which these corpora are meant to have.
        cpu="$({ perf stat -e task-clock -x, "${cmd[@]}" 2>&1 >/dev/null || true; } | awk -F, '/task-clock/ {printf "%d", $1}')"
        t1="$(date +%s%N)"
        echo "$step $cpu $(((t1 - t0) / 1000000))" >>"$runs"
    done
done
printf '%-6s %10s %12s %10s %12s\n' step cpu_min_ms cpu_median_ms wall_min wall_median
for step in parse scan other; do
    stat() { awk -v s="$step" -v c="$1" '$1 == s {print $c}' "$runs" | sort -n | awk '{a[NR]=$1} END{printf "%s %s", a[1], a[int((NR+1)/2)]}'; }
    read -r cmin cmed <<<"$(stat 2)"
    read -r wmin wmed <<<"$(stat 3)"
    printf '%-6s %10s %12s %10s %12s\n' "$step" "$cmin" "$cmed" "$wmin" "$wmed"
done
