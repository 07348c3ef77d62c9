#!/usr/bin/env bash
# Scale benchmark: a generated corpus of OBJECTS objects (default 50,000), scanned in full
# and parsed only, RUNS times each (interleaved); prints median wall times, their ratio and
# the peak RSS of the full scan.
#
# usage: bench/scan-scale.sh [OBJECTS=50000] [RUNS=7]
# The corpus is cached under target/bench-corpus-OBJECTS (delete it to regenerate).
set -euo pipefail
cd "$(dirname "$0")/.."
OBJECTS="${1:-50000}"
RUNS="${2:-7}"
# shellcheck source=bench/corpus-setup.sh
source bench/corpus-setup.sh

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
measure() { # NAME ARGS... -> appends "NAME wall_s rss_kb" to $work/results
    local name="$1"
    shift
    local t0 t1
    t0="$(date +%s%N)"
    /usr/bin/time -f '%M %U %S' -o "$work/time" "$BIN" "$@" >/dev/null 2>"$work/err" || {
        local rc=$?
        # exit 1 = findings, which a scan of this corpus is expected to have
        [[ $rc == 1 ]] || { cat "$work/err" >&2; exit "$rc"; }
    }
    t1="$(date +%s%N)"
    # columns: name wall_s rss_kb user_s sys_s
    echo "$name $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", (b-a)/1e9}') $(tail -n1 "$work/time")" >>"$work/results"
}

# warm-up (page cache)
"$BIN" scan "$CORPUS" --parse-only >/dev/null
for ((i = 0; i < RUNS; i++)); do
    measure parse scan "$CORPUS" --parse-only
    measure scan scan "$CORPUS" --format json
done

median() { awk -v n="$1" '$1 == n {print $2}' "$work/results" | sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
# CPU seconds (user + sys): steadier than wall time on a shared machine
median_cpu() { awk -v n="$1" '$1 == n {print $4 + $5}' "$work/results" | sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
maxrss() { awk -v n="$1" '$1 == n {if ($3 > m) m = $3} END{printf "%.1f", m/1024}' "$work/results"; }
p="$(median parse)"
s="$(median scan)"
findings="$("$BIN" scan "$CORPUS" --format json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))' || true)"
echo "# scan-scale: $OBJECTS objects, $(find "$CORPUS" -name '*.yaml' | wc -l) files, $(du -sh "$CORPUS" | cut -f1); runs=$RUNS; $(nproc) cores"
pc="$(median_cpu parse)"
sc="$(median_cpu scan)"
printf '%-10s %14s %14s %12s\n' step median_wall_s median_cpu_s max_rss_MB
printf '%-10s %14s %14s %12s\n' parse "$p" "$pc" "$(maxrss parse)"
printf '%-10s %14s %14s %12s\n' scan "$s" "$sc" "$(maxrss scan)"
# Median of the per-round ratios: each round runs parse then scan back to back, so a slow
# spell of the machine hits both sides of one ratio.
awk '$1 == "parse" {p[++np] = $2} $1 == "scan" {s[++ns] = $2}
    END {for (i = 1; i <= np && i <= ns; i++) print s[i] / p[i]}' "$work/results" |
    sort -g >"$work/ratios"
paired="$(awk '{a[NR]=$1} END{printf "%.2f", (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}' "$work/ratios")"
# The spread of the paired ratios (first and third quartiles): on a noisy machine a median
# near the line says little unless most rounds are on the same side of it.
quartiles="$(awk '{a[NR]=$1} END{printf "%.2f-%.2f", a[int((NR+3)/4)], a[int((3*NR+3)/4)]}' "$work/ratios")"
echo "findings=$findings scan/parse median-of-paired=$paired quartiles=$quartiles wall=$(awk -v a="$s" -v b="$p" 'BEGIN{printf "%.2f", a/b}') cpu=$(awk -v a="$sc" -v b="$pc" 'BEGIN{printf "%.2f", a/b}')"
