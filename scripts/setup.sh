#!/usr/bin/env bash
# Installs what the tests need on a fresh machine (idempotent; quiet when all is there):
#   - xmllint (Debian libxml2-utils) validates JUnit output against shared/schemas/junit.xsd;
#   - Python's jsonschema validates SARIF output with shared/schemas/validate.py;
#   - a real kube-apiserver, etcd, kube-controller-manager and kubectl (scripts/kube-apiserver.sh ensure:
#     built once per machine into ~/.cache/palisade-test, ~10 minutes the first time) for the tests that
#     use crates/palisade-testkit.
#   - Graphviz `dot` checks that `palisade rbac graph --format dot` output renders.
#   - Chromium (Debian chromium) renders `palisade netpol graph`'s page headless in the CLI tests.
#   - etcd (Debian etcd-server) and openssl: the probe tests start real etcd on loopback, without
#     auth and with client-certificate auth, with certificates made by openssl at test time.
#   - np-guard's netpol-analyzer (scripts/netpol-analyzer.sh ensure: built once per machine with Go into
#     ~/.cache/palisade-test, ~2-4 minutes the first time) is the oracle of palisade-netpol's np_guard test.
set -euo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }

need_apt=()
command -v xmllint >/dev/null 2>&1 || need_apt+=(libxml2-utils)
command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
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
if ! "$PYTHON" -c 'import jsonschema' >/dev/null 2>&1; then
    log "installing PyPI jsonschema for $PYTHON"
    "$PYTHON" -m pip install --quiet jsonschema
fi

"$(dirname "$0")/kube-apiserver.sh" ensure
"$(dirname "$0")/netpol-analyzer.sh" ensure
