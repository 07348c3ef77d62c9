#!/usr/bin/env bash
# The real Kubernetes control planes that integration tests run against (crates/palisade-testkit).
#
# usage: scripts/kube-apiserver.sh ensure [VERSION]   build once per machine (idempotent; quick when cached)
#        scripts/kube-apiserver.sh dir [VERSION]      print the directory holding bin/ (whether built or not)
#
# Two versions: 1.20.2 (the default; the shared kit's own) and 1.34.4 (a current release). `ensure`
# with no version builds both. Each lives in ${XDG_CACHE_HOME:-$HOME/.cache}/palisade-test/kube-apiserver-VERSION,
# outside the clone so a fresh clone (CI) reuses it, keyed by the version.
#
# 1.20.2: ../shared/scripts/kube-apiserver/build.sh (kube-apiserver from Debian's source package, Debian's
# etcd, a kubectl), then kube-controller-manager from the source tree build.sh leaves there, with the same
# toolchain and environment. The controller-manager is needed because build.sh's start.sh runs none, and
# ClusterRole aggregation is done by its `clusterrole-aggregation` controller, not by the API server.
#
# 1.34.4: k8s.io/kubernetes built as a Go module from the module proxy, each staging module it replaces
# with ./staging pinned to the matching v0.34.4 (the recipe of the kit's README), with the version stamped
# in as Kubernetes' own build does (kubectl refuses a server that says v0.0.0). The shared start.sh passes
# `--insecure-port=0`, which 1.24 removed: bin/kube-apiserver is a two-line wrapper that drops that one flag
# and runs the real binary. kubectl is the 1.20.2 build's (a current client). The Go caches (~2.5 GB) are
# removed once the binaries are in place.
#
# Heavy steps run under `nice -n 10` (the machines are small and shared).
set -euo pipefail

OLD=1.20.2
CURRENT=1.34.4
VERSION=${2:-$OLD}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${PALISADE_KUBE_SCRIPTS:-$ROOT/../shared/scripts/kube-apiserver}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/palisade-test
dir_of() { echo "$CACHE/kube-apiserver-$1"; }
OUT=$(dir_of "$VERSION")
# PALISADE_KUBE_DIR moves the 1.20.2 build (as the testkit reads it); PALISADE_KUBE_DIR_CURRENT the current one.
if [ "$VERSION" = "$OLD" ]; then OUT=${PALISADE_KUBE_DIR:-$OUT}; else OUT=${PALISADE_KUBE_DIR_CURRENT:-$OUT}; fi

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

ensure_old() {
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
    # The source tree and Go cache (~2.4 GB) served only the two builds above.
    rm -rf "$OUT/src" "$OUT/gocache"
}

current_complete() {
    [ -x "$OUT/bin/kube-apiserver" ] && [ -x "$OUT/bin/kube-apiserver.real" ] &&
        [ -x "$OUT/bin/kube-controller-manager" ] && [ -x "$OUT/bin/kubectl" ] &&
        [ "$(cat "$OUT/installed" 2>/dev/null)" = "$VERSION" ]
}

ensure_current() {
    current_complete && return 0
    command -v go >/dev/null 2>&1 || { log "needs Go (1.24 or later) on PATH to build v$VERSION"; exit 1; }
    local kubectl
    kubectl="$("$0" dir "$OLD")/bin/kubectl"
    [ -x "$kubectl" ] || { log "needs the $OLD build's kubectl first: $0 ensure $OLD"; exit 1; }
    mkdir -p "$OUT"
    exec 9>"$OUT.lock"
    flock 9
    current_complete && return 0
    log "building kube-apiserver and kube-controller-manager v$VERSION into $OUT (about 10 minutes on 2 cores the first time; log: $OUT/build.log)"
    local start=$SECONDS
    # A process of its own, so `set -e` stops the build at its first failure (a subshell
    # on the left of `||` would run every step whatever happened).
    local status=0
    "$0" build-current "$VERSION" >"$OUT/build.log" 2>&1 || status=$?
    [ "$status" = 0 ] || { tail -30 "$OUT/build.log" >&2; exit 1; }
    ln -sf "$kubectl" "$OUT/bin/kubectl"
    echo "$VERSION" >"$OUT/installed"
    current_complete || { log "build finished but $OUT/bin is incomplete"; exit 1; }
    rm -rf "$OUT/go" "$OUT/mod"
    log "built in $((SECONDS - start)) s"
}

# Runs as `kube-apiserver.sh build-current VERSION` (from ensure_current), output in build.log.
build_current() {
    export GOPATH="$OUT/go/path" GOCACHE="$OUT/go/cache" GOFLAGS="-mod=mod -modcacherw -buildvcs=false" \
        GOTOOLCHAIN=local CGO_ENABLED=0
    rm -rf "$OUT/mod" && mkdir -p "$OUT/mod" "$OUT/bin"
    cd "$OUT/mod"
    go mod init palisade.test/kubernetes
    # With -json, go reports a failed download in the JSON ("Error"), not on stderr.
    go mod download -json "k8s.io/kubernetes@v$VERSION" >download.json || { cat download.json; exit 1; }
    local gomod minor
    gomod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' download.json)
    minor="0.${VERSION#*.}"
    # Every `k8s.io/X => ./staging/src/k8s.io/X` of kubernetes' go.mod becomes `k8s.io/X => k8s.io/X v0.Y.Z`.
    sed -n 's|^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*|\1|p' "$gomod" |
        while read -r module; do go mod edit -replace "$module=$module@v$minor"; done
    go mod edit -require "k8s.io/kubernetes@v$VERSION"
    echo 'package main' >main.go
    local pkg=k8s.io/component-base/version ldflags
    IFS=. read -r major minor_number _ <<<"$VERSION"
    ldflags="-s -w -X $pkg.gitVersion=v$VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor_number"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    for cmd in kube-apiserver kube-controller-manager; do
        nice -n 10 go build -ldflags "$ldflags" -o "$OUT/bin/$cmd.build" "k8s.io/kubernetes/cmd/$cmd"
    done
    mv "$OUT/bin/kube-apiserver.build" "$OUT/bin/kube-apiserver.real"
    mv "$OUT/bin/kube-controller-manager.build" "$OUT/bin/kube-controller-manager"
    # The shared start.sh's flags are 1.20's; --insecure-port was removed in 1.24.
    cat >"$OUT/bin/kube-apiserver" <<'WRAPPER'
#!/bin/sh
# Runs kube-apiserver.real with the shared start.sh's flags minus --insecure-port (removed in 1.24).
real="$(dirname "$0")/kube-apiserver.real"
for arg; do shift; case "$arg" in --insecure-port=*) ;; *) set -- "$@" "$arg" ;; esac; done
exec "$real" "$@"
WRAPPER
    chmod +x "$OUT/bin/kube-apiserver"
    go clean -modcache
}

ensure() {
    case "${2:-}" in
        "") ensure_old; "$0" ensure "$CURRENT" ;;
        "$OLD") ensure_old ;;
        "$CURRENT") ensure_current ;;
        *) log "unknown version ${2}: $OLD or $CURRENT"; exit 2 ;;
    esac
}

case "${1:-}" in
    ensure) ensure "$@" ;;
    dir) echo "$OUT" ;;
    build-current) build_current ;;
    *) echo "usage: $0 ensure|dir [$OLD|$CURRENT]" >&2; exit 2 ;;
esac
