#!/usr/bin/env bash
# Fires AdmissionReviews at the admission server over HTTPS with keep-alive and reports
# p50/p90/p99/max latency and requests/s (examples/admission_load.rs). Without ADDR it starts
# an in-process server on 127.0.0.1 (dev certificate, built-in rules, one Gatekeeper
# template); half the requests are a hardened pod (allowed), half a privileged one (denied).
#
# usage: bench/admission-load.sh [REQUESTS=20000] [CONCURRENCY=8] [RATE=max] [ADDR CA_FILE]
# The server's decision log (one JSON line per request on stderr) goes to /dev/null.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS="${1:-20000}"
CONCURRENCY="${2:-8}"
RATE="${3:-max}"
args=(--requests "$REQUESTS" --concurrency "$CONCURRENCY")
[[ "$RATE" == max ]] || args+=(--rate "$RATE")
[[ $# -ge 5 ]] && args+=(--addr "$4" --ca "$5")
cargo build -q --release -p palisade-server --example admission-load
"${CARGO_TARGET_DIR:-target}/release/examples/admission-load" "${args[@]}" 2>/dev/null
