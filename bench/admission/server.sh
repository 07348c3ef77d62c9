# Sourced by bench/admission-*.sh: builds `palisade`, writes the issue's policy set (10
# Gatekeeper pod-security templates of ../shared/corpora/gatekeeper-library with their first
# sample constraint, and the 5 ValidatingAdmissionPolicies of bench/admission/vap.yaml) into
# $work/policies, starts `palisade serve --admission` on 127.0.0.1 with a dev certificate
# (decision log to /dev/null) and waits until it is ready. Sets: work, server, port, url.
#   POLICIES=none           built-in rules only
#   POLICY_CACHE_MB=N       passed as --policy-cache-mb (0: no decision cache)
cargo build -q --release -p palisade
BIN="${CARGO_TARGET_DIR:-target}/release/palisade"
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

lib=../shared/corpora/gatekeeper-library/library/pod-security-policy
mkdir -p "$work/policies"
for t in privileged-containers host-namespaces host-network-ports capabilities \
    allow-privilege-escalation read-only-root-filesystem users volumes seccomp proc-mount; do
    sample="$(ls -d "$lib/$t"/samples/*/ | head -1)"
    cp "$lib/$t/template.yaml" "$work/policies/$t-template.yaml"
    cp "$sample/constraint.yaml" "$work/policies/$t-constraint.yaml"
done
cp bench/admission/vap.yaml "$work/policies/"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
server_args=(--policies "$work/policies")
[[ "${POLICIES:-}" == none ]] && server_args=()
[[ -n "${POLICY_CACHE_MB:-}" ]] && server_args+=(--policy-cache-mb "$POLICY_CACHE_MB")
"$BIN" serve --admission --dev-cert --listen "127.0.0.1:$port" "${server_args[@]}" >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do
    curl -ksf "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done
url="https://127.0.0.1:$port/validate"

# The server's policy cache counters, as /metrics has them.
cache_counters() {
    curl -ks "https://127.0.0.1:$port/metrics" | grep '^palisade_admission_policy_cache_total' || true
}

# CPU seconds the server has used so far (user + system).
server_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$server/stat"
}
