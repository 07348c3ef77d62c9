#!/usr/bin/env bash
# The test command: installs test dependencies, then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --workspace --all-targets "$@"
# Doc tests (the crate-level examples) are not part of --all-targets.
cargo test --workspace --doc "$@"
