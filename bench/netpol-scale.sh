#!/usr/bin/env bash
# NetworkPolicy scale benchmark: 2,000 workloads, 1,000 policies, 100 namespaces
# (bench/gen-netpol.py), with the release binary:
#   - the full matrix (`palisade netpol matrix DIR --format json`), RUNS times: median wall
#     time from the shell, and medians of the hidden --timings (load, model, query, measured
#     inside the process), and the median peak RSS (/usr/bin/time -f %M);
#   - `palisade netpol explain` on a few pairs, RUNS times each: median query time (--timings)
#     and wall time;
#   - np-guard's netpol-analyzer (scripts/netpol-analyzer.sh ensure) `list` on the same
#     corpus, once, for a peer line, unless NO_NP_GUARD=1; it is given NP_GUARD_TIMEOUT
#     seconds (default 1200).
#
# usage: bench/netpol-scale.sh [RUNS=7]     (BIN=path to use another binary; NO_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-7}"
CORPUS="${CORPUS:-target/bench-netpol}"
BIN="${BIN:-target/release/palisade}"
[[ -d "$CORPUS" ]] || python3 bench/gen-netpol.py "$CORPUS" >&2
[[ -n "${NO_BUILD:-}" ]] || nice -n 10 cargo build --release -q -p palisade
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }

# One timed run: appends "load model query wall rss_mb" to FILE.
timed() { # FILE ARGS...
    local file="$1"
    shift
    local t0 t1
    t0="$(date +%s%N)"
    /usr/bin/time -f 'rss %M' -o "$work/rss" "$BIN" "$@" --timings >"$work/out" 2>"$work/err" ||
        [[ $? == 1 ]] || { cat "$work/err" >&2; exit 1; }
    t1="$(date +%s%N)"
    # timings: load 0.142s, model 0.044s, query 0.007000s
    local t
    t="$(sed -n 's/^timings: load \([0-9.]*\)s, model \([0-9.]*\)s, query \([0-9.]*\)s$/\1 \2 \3/p' "$work/err")"
    [[ -n "$t" ]] || { echo "no timings line from $*" >&2; cat "$work/err" >&2; exit 1; }
    echo "$t $(((t1 - t0) / 1000000)) $(awk '/^rss/{printf "%.0f", $2 / 1024}' "$work/rss")" >>"$file"
}

col() { awk -v c="$2" '{print $c}' "$1" | median; }

echo "# netpol-scale: $(grep -h '^kind: ' "$CORPUS"/*.yaml | sort | uniq -c | awk '{printf "%s %s, ", $1, $3}' | tr -d '"')runs=$RUNS; $(nproc) cores; $(date -u +%FT%TZ)"

# The full matrix.
for ((i = 0; i < RUNS; i++)); do timed "$work/matrix" netpol matrix "$CORPUS" --format json; done
endpoints="$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["endpoints"]), len(d["connections"]))' "$work/out")"
printf 'matrix --format json: wall %s ms (load %s s, model %s s, matrix %s s), peak RSS %s MB; %s endpoints, %s allowed pairs\n' \
    "$(col "$work/matrix" 4)" "$(col "$work/matrix" 1)" "$(col "$work/matrix" 2)" "$(col "$work/matrix" 3)" \
    "$(col "$work/matrix" 5)" ${endpoints}

# explain: pairs picked from the matrix just computed: allowed across namespaces, allowed
# inside one, from an address outside, and a denied pair.
cp "$work/out" "$work/matrix.json"
pick() { # WHICH: prints "SRC DST PORT"
    python3 - "$work/matrix.json" "$1" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
e = d["endpoints"]
def name(i):
    x = e[i]
    return f'{x["kind"]}/{x["namespace"]}/{x["name"]}' if x["type"] == "workload" else None
def port(allowed):
    m = re.search(r"(TCP|UDP|SCTP) (\d+)", allowed)
    return f"{m.group(2)}/{m.group(1)}" if m else "443"
allowed = {(c["src"], c["dst"]): c["allowed"] for c in d["connections"]}
want = sys.argv[2]
for (s, t), a in allowed.items():
    if s == t or a == "All" or not name(t):
        continue
    same = name(s) and e[s]["namespace"] == e[t]["namespace"]
    if (want == "cross" and name(s) and not same) or (want == "inside" and same):
        print(name(s), name(t), port(a))
        break
    if want == "outside" and not name(s):
        text = " ".join(str(v) for v in e[s].values())
        ip = re.search(r"\d+\.\d+\.\d+\.\d+", text)
        print(ip.group(0), name(t), port(a))
        break
if want == "denied":
    ws = [i for i, x in enumerate(e) if x["type"] == "workload"]
    for s in ws[::37]:
        for t in ws[::41]:
            if s != t and (s, t) not in allowed:
                print(name(s), name(t), "8080")
                sys.exit()
PY
}
explain() { # NAME SRC DST PORT
    local name="$1" file="$work/explain-$1"
    shift
    for ((i = 0; i < RUNS; i++)); do timed "$file" netpol explain "$1" "$2" "$3" "$CORPUS" --format json; done
    local allowed
    allowed="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["allowed"])' "$work/out")"
    printf 'explain %-8s query %.3f ms, wall %s ms, peak RSS %s MB (%s -> %s %s, allowed: %s)\n' "$name" \
        "$(awk '{print $3 * 1000}' "$file" | median)" "$(col "$file" 4)" "$(col "$file" 5)" "$1" "$2" "$3" "$allowed"
}
for which in cross inside outside denied; do
    read -r src dst port <<<"$(pick "$which")" || true
    if [[ -n "${port:-}" ]]; then explain "$which" "$src" "$dst" "$port"; else echo "explain $which: no such pair"; fi
    port=""
done

# The peer: np-guard's netpol-analyzer on the same corpus, once.
if [[ -z "${NO_NP_GUARD:-}" ]]; then
    scripts/netpol-analyzer.sh ensure
    np="$(scripts/netpol-analyzer.sh path)"
    t0="$(date +%s%N)"
    if timeout "${NP_GUARD_TIMEOUT:-1200}" /usr/bin/time -f 'rss %M' -o "$work/np-rss" \
        "$np" list --dirpath "$CORPUS" -o json -q >"$work/np.json" 2>"$work/np-err"; then
        t1="$(date +%s%N)"
        printf 'np-guard list (%s): %s s, peak RSS %s MB; %s connection lines\n' \
            "$(basename "$(dirname "$(dirname "$np")")")" \
            "$(awk -v ms="$(((t1 - t0) / 1000000))" 'BEGIN{printf "%.1f", ms / 1000}')" \
            "$(awk '/^rss/{printf "%.0f", $2 / 1024}' "$work/np-rss")" \
            "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/np.json")"
    else
        echo "np-guard list: did not finish within ${NP_GUARD_TIMEOUT:-1200} s (or failed: $(tail -1 "$work/np-err"))"
    fi
fi
