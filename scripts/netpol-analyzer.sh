#!/usr/bin/env bash
# np-guard's netpol-analyzer (the reference NetworkPolicy analyzer), the live oracle of
# crates/palisade-netpol/tests/np_guard.rs and the peer line of bench/netpol-scale.sh.
#
# usage: scripts/netpol-analyzer.sh ensure    build it once per machine (idempotent; quick when built)
#        scripts/netpol-analyzer.sh path      print the binary's path (whether built or not)
#
# `ensure` fetches the pinned release of github.com/np-guard/netpol-analyzer from the Go module proxy
# and installs its CLI (cmd/netpolicy, which calls itself `k8snetpolicy`) into
# ${XDG_CACHE_HOME:-$HOME/.cache}/palisade-test/netpol-analyzer-<version>/bin, with GOPATH and GOCACHE
# beside it, so a fresh clone (CI) reuses it; the directory is keyed by the version. About 4 minutes
# on 2 cores the first time, under `nice -n 10`.
#
# Why not `go install module/cmd/netpolicy@version` in one step: that form asks the proxy for the
# module's version list (to report deprecation) and the checksum database for the module's hash, and
# neither answers for this module here. So the module is downloaded alone, its hash is checked against
# the one pinned below (in place of the checksum database), and `go install ./cmd/netpolicy` runs in
# it, which checks every dependency against the module's own go.sum.
set -euo pipefail

VERSION=v1.4.2
MODULE=github.com/np-guard/netpol-analyzer
# The module zip's hash (`go mod download -json` "Sum") for $VERSION.
MODULE_SUM='h1:rntc7NyesdZ8GjUP8HEctICNBXuQOurbclNo+ZVWQYo='
OUT=${PALISADE_NETPOL_ANALYZER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/palisade-test/netpol-analyzer-$VERSION}
BIN=$OUT/bin/netpolicy

log() { printf '[netpol-analyzer] %s\n' "$*" >&2; }

complete() {
    [ -x "$BIN" ] && [ "$(cat "$OUT/installed" 2>/dev/null)" = "$VERSION $MODULE_SUM" ]
}

go_env() {
    env GOPATH="$OUT/gopath" GOCACHE="$OUT/gocache" GOBIN="$OUT/bin" GOTOOLCHAIN=local \
        GOFLAGS="-modcacherw -buildvcs=false" GONOSUMDB="$MODULE" CGO_ENABLED=0 "$@"
}

ensure() {
    complete && return 0
    command -v go >/dev/null 2>&1 || {
        log "needs Go (1.23 or later) on PATH to build $MODULE@$VERSION"
        exit 1
    }
    mkdir -p "$OUT"
    # One build per machine even when several clones run setup at once.
    exec 9>"$OUT.lock"
    flock 9
    complete && return 0
    log "building $MODULE@$VERSION into $OUT (about 4 minutes on 2 cores; log: $OUT/build.log)"
    local start=$SECONDS json dir sum
    json=$(go_env go mod download -json "$MODULE@$VERSION" 2>>"$OUT/build.log") || {
        log "download failed:"
        printf '%s\n' "$json" >&2
        tail -20 "$OUT/build.log" >&2
        exit 1
    }
    dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    sum=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/\1/p')
    if [ "$sum" != "$MODULE_SUM" ]; then
        log "hash mismatch for $MODULE@$VERSION: got '$sum', pinned '$MODULE_SUM'"
        exit 1
    fi
    [ -d "$dir/cmd/netpolicy" ] || { log "no cmd/netpolicy in $dir"; exit 1; }
    (cd "$dir" && go_env nice -n 10 go install ./cmd/netpolicy) >>"$OUT/build.log" 2>&1 || {
        tail -30 "$OUT/build.log" >&2
        exit 1
    }
    [ -x "$BIN" ] || { log "build finished but $BIN is missing"; exit 1; }
    echo "$VERSION $MODULE_SUM" >"$OUT/installed"
    # The module and build caches (~1.4 GB) served only this build.
    rm -rf "$OUT/gocache" "$OUT/gopath"
    log "built in $((SECONDS - start)) s: $BIN"
}

case "${1:-}" in
    ensure) ensure ;;
    path) echo "$BIN" ;;
    *) echo "usage: $0 ensure|path" >&2; exit 2 ;;
esac
