#!/usr/bin/env bash
# Report-writing benchmark: scans the generated corpus (default 50,000 objects) once per
# format and run, and prints, per format, the median time the scan spent writing its report
# (`--timings`), the report's size and the peak RSS of the whole run.
#
# usage: BIN=target/release/palisade bench/render.sh [OBJECTS=50000] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
OBJECTS="${1:-50000}"
RUNS="${2:-5}"
# shellcheck source=bench/corpus-setup.sh
source bench/corpus-setup.sh
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
printf '%-7s %16s %10s %12s\n' format median_render_s size_MB max_rss_MB
for format in json sarif table junit; do
    : >"$work/render"
    : >"$work/rss"
    for ((i = 0; i < RUNS; i++)); do
        # exit 1 = findings, which a scan of this corpus is expected to have
        /usr/bin/time -f '%M' -o "$work/time" "$BIN" scan "$CORPUS" --format "$format" \
            --timings >"$work/out" 2>"$work/err" || [[ $? == 1 ]]
        sed -n 's/.*render \([0-9.]*\)s.*/\1/p' "$work/err" >>"$work/render"
        tail -n1 "$work/time" >>"$work/rss"
    done
    printf '%-7s %16s %10s %12s\n' "$format" "$(median <"$work/render")" \
        "$(awk '{printf "%.1f", $1/1048576}' <<<"$(stat -c %s "$work/out")")" \
        "$(sort -g "$work/rss" | tail -n1 | awk '{printf "%.1f", $1/1024}')"
done
