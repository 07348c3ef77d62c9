#!/usr/bin/env bash
# Installs what the tests need on a fresh machine (idempotent; quiet when all is there):
#   - xmllint (Debian libxml2-utils) validates JUnit output against shared/schemas/junit.xsd;
#   - Python's jsonschema validates SARIF output with shared/schemas/validate.py;
#   - real kube-apiservers, etcd, kube-controller-managers and kubectl, v1.20.2 and v1.34.4
#     (scripts/kube-apiserver.sh ensure: built once per machine into ~/.cache/palisade-test, ~20 minutes
#     the first time for both) for the tests that use crates/palisade-testkit.
#   - Graphviz `dot` checks that `palisade rbac graph --format dot` output renders.
#   - Chromium (Debian chromium) renders `palisade netpol graph`'s page headless in the CLI tests.
#   - etcd (Debian etcd-server) and openssl: the probe tests start real etcd on loopback, without
#     auth and with client-certificate auth, with certificates made by openssl at test time.
#   - np-guard's netpol-analyzer (scripts/netpol-analyzer.sh ensure: built once per machine with Go into
#     ~/.cache/palisade-test, ~2-4 minutes the first time) is the oracle of palisade-netpol's np_guard test.
#   - Version oracles of palisade-vulndb: dpkg, rpm (rpm.vercmp), Maven's maven-artifact jar with a JRE,
#     npm's bundled node-semver, Python's packaging, and the Go toolchain's x/mod/semver.
#   - Real container images (../shared/scripts/build-test-images.sh: a Debian bookworm rootfs as OCI
#     layout, oci-archive, docker-archive and a layered image with a whiteout), built once into
#     ~/.cache/palisade-test/images-1 (~40 s the first time).
#   - docker-registry (Debian's build of the distribution registry) serves those images on loopback to
#     the pull tests, which push them with skopeo and make the bcrypt htpasswd file of the
#     basic-auth registry with htpasswd (Debian apache2-utils).
#   - PostgreSQL server binaries (Debian postgresql: initdb, pg_ctl, postgres under
#     /usr/lib/postgresql/*/bin): the history store's tests start their own server on loopback
#     (palisade-testkit's Postgres; as root it runs as `nobody`). The service the package
#     installs is not needed; the tests never use it.
set -euo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }

need_apt=()
command -v xmllint >/dev/null 2>&1 || need_apt+=(libxml2-utils)
command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v rpm >/dev/null 2>&1 || need_apt+=(rpm)
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)
ls /usr/share/maven/lib/maven-artifact*.jar >/dev/null 2>&1 || need_apt+=(maven)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
[[ -d /usr/lib/node_modules/npm/node_modules/semver || -d /usr/share/nodejs/semver ]] || need_apt+=(npm)
command -v docker-registry >/dev/null 2>&1 || need_apt+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need_apt+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || need_apt+=(apache2-utils)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
if ((${#need_apt[@]})); then
    log "installing Debian packages: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    SUDO=""
    [[ "$(id -u)" == 0 ]] || SUDO="sudo"
    if ! $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null 2>&1; then
        $SUDO apt-get update -qq >/dev/null
        $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
    fi
fi

PYTHON="${PYTHON:-python3}"
for module in jsonschema packaging; do
    if ! "$PYTHON" -c "import $module" >/dev/null 2>&1; then
        log "installing PyPI $module for $PYTHON"
        "$PYTHON" -m pip install --quiet "$module"
    fi
done
command -v go >/dev/null 2>&1 || { log "Go is required (the Go-built oracles and test tools)"; exit 1; }

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/palisade-test"
images="$CACHE/images-1"
if [[ ! -f "$images/bookworm-layered-docker.tar" ]]; then
    log "building the test images into $images (once per machine)"
    SHARED="$(cd "$(dirname "$0")/../.." && pwd)/shared"
    SUDO=""
    [[ "$(id -u)" == 0 ]] || SUDO="sudo"
    $SUDO "$SHARED/scripts/build-test-images.sh" "$images.tmp" >/dev/null
    rm -rf "$images" && mv "$images.tmp" "$images"
fi

"$(dirname "$0")/kube-apiserver.sh" ensure
"$(dirname "$0")/netpol-analyzer.sh" ensure
