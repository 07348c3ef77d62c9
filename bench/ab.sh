#!/usr/bin/env bash
# Two palisade binaries against each other and against the parse floor, in alternating order.
#
# Each round runs `A scan --parse-only`, then A's and B's full scans (`--format json` to
# /dev/null), A first in even rounds and B first in odd ones. On this VM a run is faster when
# the run before it freed more memory (the guest hands those pages out again without the
# host backing them afresh), so a fixed order (`interleaved.sh`) favours whichever binary
# follows the larger one; alternating cancels that. Prints, per step, the minimum and median
# wall time and the median user and system CPU (ms, from /usr/bin/time).
#
# usage: bench/ab.sh A_BIN B_BIN [ROUNDS=21] [CORPUS=target/bench-corpus-50000]
set -euo pipefail
cd "$(dirname "$0")/.."
A="$1"
B="$2"
ROUNDS="${3:-21}"
CORPUS="${4:-target/bench-corpus-50000}"
[[ -d "$CORPUS" ]] || python3 bench/gen-corpus.py "$CORPUS" 50000 100 1 >&2
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (Debian: time)" >&2; exit 2; }
runs="$(mktemp)"
times="$(mktemp)"
trap 'rm -f "$runs" "$times"' EXIT

run() {
    local step="$1" bin="$2"
    shift 2
    local t0 t1
    t0="$(date +%s%N)"
    # A scan exits 1 when it has findings, which this corpus is meant to have.
    /usr/bin/time -o "$times" -f "%U %S" "$bin" scan "$CORPUS" "$@" >/dev/null 2>&1 || true
    t1="$(date +%s%N)"
    echo "$step $(((t1 - t0) / 1000000)) $(tail -n 1 "$times")" >>"$runs"
}

for ((i = 0; i < ROUNDS; i++)); do
    run parse "$A" --parse-only
    if ((i % 2 == 0)); then
        run A "$A" --format json
        run B "$B" --format json
    else
        run B "$B" --format json
        run A "$A" --format json
    fi
done

python3 - "$runs" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
print(f"{'step':6} {'wall_min':>9} {'wall_median':>12} {'user_median':>12} {'sys_median':>11}")
for step in ("parse", "A", "B"):
    mine = [r for r in rows if r[0] == step]
    wall = [int(r[1]) for r in mine]
    user = [float(r[2]) * 1000 for r in mine]
    sys_ = [float(r[3]) * 1000 for r in mine]
    print(f"{step:6} {min(wall):9d} {statistics.median(wall):12.0f} "
          f"{statistics.median(user):12.0f} {statistics.median(sys_):11.0f}")
PY
