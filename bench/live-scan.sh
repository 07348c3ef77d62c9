#!/usr/bin/env bash
# Issue 17's live benchmark: a real kube-apiserver 1.20.2 on loopback (palisade-testkit) with
# OBJECTS objects created in bulk, then `palisade scan --cluster -A` end to end under
# /usr/bin/time (wall clock and peak RSS), REPEAT times, and the read alone (--parse-only).
#
# usage: bench/live-scan.sh [OBJECTS=10000] [PROFILE=release|debug] [REPEAT=3]
# Build the CLI first (`cargo build --release -p palisade`) only on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
OBJECTS="${1:-10000}"
PROFILE="${2:-release}"
REPEAT="${3:-3}"
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/$PROFILE/palisade"
[[ -x "$BIN" ]] || { echo "build $BIN first" >&2; exit 2; }
BIN="$(realpath "$BIN")"
cat > "$TARGET/live-scan-run.sh" <<SCRIPT
#!/usr/bin/env bash
kc="\$1"
for i in \$(seq $REPEAT); do
  /usr/bin/time -f "scan -A (json): %e s wall, %M KB max RSS" "$BIN" scan --cluster -A --kubeconfig "\$kc" -f json -o /dev/null || true
done
/usr/bin/time -f "scan -A --parse-only: %e s wall, %M KB max RSS" "$BIN" scan --cluster -A --kubeconfig "\$kc" --parse-only >/dev/null || true
"$BIN" scan --cluster -A --kubeconfig "\$kc" -f json -o "$TARGET/live-scan.json" || true
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("report:", {k: (len(v) if isinstance(v, list) else v) for k, v in r.items() if k in ("summary", "findings", "errors", "objects", "inputs")})' "$TARGET/live-scan.json"
SCRIPT
chmod +x "$TARGET/live-scan-run.sh"
echo "load: $(uptime)"
cargo run -q -p palisade-testkit --example live_cluster -- "$OBJECTS" -- "$TARGET/live-scan-run.sh" '{kubeconfig}'
