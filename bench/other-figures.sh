#!/usr/bin/env bash
# The figures of docs/BENCHMARKS.md §9–§14 in one run, each with its section's command:
# the admission webhook on a replica stream, the vulnerability store, SBOMs against Syft and
# Trivy (after ../shared/peers/install.sh), the live cluster read, `watch` re-judging one
# change, the history store. Release builds; run it on an idle machine (about 8 minutes).
#
# usage: bench/other-figures.sh
set -x
cd "$(dirname "$0")/.."
date -u
uptime
cargo build -q --release -p palisade
cargo build -q --release -p palisade-live --example watch_rejudge
cargo build -q --release -p palisade-history --example record_many
cargo build -q --release -p palisade-vulndb --example vulndb_bench
images="${XDG_CACHE_HOME:-$HOME/.cache}/palisade-test/images-1"
echo "=== admission replicas"
bench/admission-replicas.sh 60 2>&1 | tail -12
echo "=== watch"
[[ -d target/bench-corpus-10000 ]] || python3 bench/gen-corpus.py target/bench-corpus-10000 10000
for _ in 1 2 3; do target/release/examples/watch_rejudge target/bench-corpus-10000 51 2>&1 | tail -2; done
echo "=== history"
for _ in 1 2 3; do
    rm -f /tmp/palisade-bench-h.db*
    target/release/examples/record_many /tmp/palisade-bench-h.db 100000 2>&1 | tail -2
done
echo "=== vulndb"
target/release/examples/vulndb_bench ../shared/corpora/osv 5 2>&1 | tail -4
echo "=== sbom"
../shared/bench/vs-peers-sbom.sh target/release/palisade "$images/rootfs/bookworm-minbase" 5 2>&1 | tail -8
../shared/bench/vs-peers-sbom.sh target/release/palisade "$images/bookworm-docker.tar" 5 2>&1 | tail -8
echo "=== live"
bench/live-scan.sh 10000 release 3 2>&1 | tail -8
date -u
uptime
