# Sourced by the benchmarks of the generated corpus: sets CORPUS (generated on first use,
# cached under target/bench-corpus-OBJECTS; delete it to regenerate) and BIN (built unless
# NO_BUILD is set), and makes sure /usr/bin/time is there. Expects OBJECTS.
CORPUS="target/bench-corpus-$OBJECTS"
BIN="${BIN:-target/release/palisade}"
if [[ ! -d "$CORPUS" ]]; then
    python3 bench/gen-corpus.py "$CORPUS" "$OBJECTS" 100 1 >&2
fi
[[ -n "${NO_BUILD:-}" ]] || cargo build --release -q
if [[ ! -x /usr/bin/time ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
