#!/usr/bin/env bash
# The real Kubernetes control plane that integration tests run against (crates/palisade-testkit).
#
# usage: scripts/kube-apiserver.sh ensure    build once per machine (idempotent; quick when cached)
#        scripts/kube-apiserver.sh dir       print the directory holding bin/ (whether built or not)
#
# `ensure` runs ../shared/scripts/kube-apiserver/build.sh (kube-apiserver v1.20.2 from Debian's source
# package, Debian's etcd, a kubectl) into ${XDG_CACHE_HOME:-$HOME/.cache}/palisade-test/kube-apiserver-1.20.2,
# then builds kube-controller-manager from the source tree build.sh leaves there, with the same toolchain
# and environment. The controller-manager is needed because build.sh's start.sh runs none, and ClusterRole
# aggregation is done by its `clusterrole-aggregation` controller, not by the API server.
# The directory lives outside the clone so a fresh clone (CI) reuses it; it is keyed by the version.
# Heavy steps run under `nice -n 10` (the machines are small and shared).
set -euo pipefail

VERSION=1.20.2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${PALISADE_KUBE_SCRIPTS:-$ROOT/../shared/scripts/kube-apiserver}
OUT=${PALISADE_KUBE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/palisade-test/kube-apiserver-$VERSION}

log() { printf '[kube-apiserver] %s\n' "$*" >&2; }

complete() {
    [ -x "$OUT/bin/kube-apiserver" ] && [ -x "$OUT/bin/kubectl" ] && [ -x "$OUT/bin/kube-controller-manager" ] &&
        command -v etcd >/dev/null 2>&1
}

build_controller_manager() {
    local src="$OUT/src/k8s"
    [ -d "$src/cmd/kube-controller-manager" ] || {
        log "no source tree at $src (build.sh leaves it there); remove $OUT/bin/kube-apiserver and rerun"
        exit 1
    }
    log "building kube-controller-manager v$VERSION (log: $OUT/build-controller-manager.log)"
    local start=$SECONDS
    # The environment build.sh gives `make` for kube-apiserver: Debian's Go 1.19, GOPATH mode over the
    # vendored tree, no module proxy, static binaries; the shared GOCACHE reuses the packages already built.
    (cd "$src" && PATH="/usr/lib/go-1.19/bin:$PATH" GOTOOLCHAIN=local GO111MODULE=off GOPROXY=off CGO_ENABLED=0 \
        HOME="$OUT/home" GOCACHE="$OUT/gocache" KUBE_GIT_VERSION_FILE="$OUT/version.env" \
        nice -n 10 make WHAT=cmd/kube-controller-manager) >"$OUT/build-controller-manager.log" 2>&1 || {
        tail -30 "$OUT/build-controller-manager.log" >&2
        exit 1
    }
    cp -L "$src/_output/bin/kube-controller-manager" "$OUT/bin/kube-controller-manager.tmp"
    mv "$OUT/bin/kube-controller-manager.tmp" "$OUT/bin/kube-controller-manager"
    log "kube-controller-manager built in $((SECONDS - start)) s"
}

ensure() {
    complete && return 0
    [ -x "$SHARED/build.sh" ] || { log "missing $SHARED/build.sh"; exit 1; }
    mkdir -p "$OUT"
    # One build per machine even when several clones run setup at once.
    exec 9>"$OUT.lock"
    flock 9
    complete && return 0
    if [ ! -x "$OUT/bin/kube-apiserver" ] || [ ! -x "$OUT/bin/kubectl" ] || ! command -v etcd >/dev/null 2>&1; then
        log "building kube-apiserver v$VERSION, etcd and kubectl into $OUT (about 6 minutes on 2 cores)"
        SUDO=""
        [[ "$(id -u)" == 0 ]] || SUDO="sudo"
        nice -n 10 $SUDO "$SHARED/build.sh" "$OUT" >&2
    fi
    [ -x "$OUT/bin/kube-controller-manager" ] || build_controller_manager
    complete || { log "build finished but $OUT/bin is incomplete"; exit 1; }
}

case "${1:-}" in
    ensure) ensure ;;
    dir) echo "$OUT" ;;
    *) echo "usage: $0 ensure|dir" >&2; exit 2 ;;
esac
