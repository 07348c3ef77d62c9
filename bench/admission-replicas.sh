#!/usr/bin/env bash
# The admission webhook on a stream of replica pods, with wrk (Debian's, installed here when
# missing) and bench/admission/replicas.lua: every request is a new pod with a name and uid
# of its own, from one of 50 Deployments (half hardened, half privileged). The same server
# and policies as bench/admission-soak.sh (10 Gatekeeper templates, 5
# ValidatingAdmissionPolicies, every built-in rule). What the decision cache can reuse here
# is what a cluster's ReplicaSets really send: the parts of a pod the templates read repeat,
# names and uids never do.
#
# usage: bench/admission-replicas.sh [SECONDS=60] [CONNECTIONS=16] [DELAY_MS=7]
#        (16 connections waiting 7 ms after each answer: about 2,000 requests/s offered)
#        POLICY_CACHE_MB=0 bench/admission-replicas.sh ...   without the decision cache
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN="${1:-60}"
CONNS="${2:-16}"
export DELAY_MS="${3:-7}"
if ! command -v wrk >/dev/null; then
    sudo_="" && [[ "$(id -u)" != 0 ]] && sudo_=sudo
    $sudo_ apt-get install -y wrk >&2
fi
source bench/admission/server.sh
echo "replicas: ${SECONDS_RUN}s over $CONNS connections, ${DELAY_MS} ms between requests on each" >&2
rss_before="$(awk '/VmRSS/ {print $2}' "/proc/$server/status")"
cpu_before="$(server_cpu)"
wrk -t2 -c"$CONNS" -d"${SECONDS_RUN}s" -s bench/admission/replicas.lua "$url"
echo "server CPU: $(python3 -c "print(f'{$(server_cpu) - $cpu_before:.2f}')") s over the run"
echo "server RSS (KB): before $rss_before, after $(awk '/VmRSS/ {print $2}' "/proc/$server/status")"
cache_counters
