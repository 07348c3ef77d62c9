-- wrk script for bench/admission-replicas.sh: each request is a new pod of one of DEPLOYMENTS
-- Deployments, named and numbered as a ReplicaSet names its pods (a name and uid of its
-- own), the pod spec that of its Deployment. Even Deployments are hardened (allowed), odd
-- ones run a privileged container on the host network (denied). Every connection waits
-- DELAY_MS after each answer: CONNECTIONS / (DELAY_MS + latency) requests per second.
local deployments = tonumber(os.getenv("DEPLOYMENTS") or "50")
local delay_ms = tonumber(os.getenv("DELAY_MS") or "7")
local threads = {}
local next_id = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

local hardened = '{"automountServiceAccountToken":false,"securityContext":{"runAsNonRoot":true,"runAsUser":10001,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"app","image":"registry.test/app-%d@sha256:%064d","securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"runAsNonRoot":true,"runAsUser":10001,"capabilities":{"drop":["ALL"]}},"resources":{"limits":{"cpu":"100m","memory":"64Mi"},"requests":{"cpu":"100m","memory":"64Mi"}},"livenessProbe":{"httpGet":{"path":"/healthz","port":8080}},"readinessProbe":{"httpGet":{"path":"/readyz","port":8080}}}]}'
local privileged = '{"hostNetwork":true,"containers":[{"name":"app","image":"registry.test/app-%d:1.%d","securityContext":{"privileged":true}}]}'

local n = 0
denied = 0
allowed = 0

function init(args)
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
end

function request()
    n = n + 1
    local d = n % deployments
    local spec
    if d % 2 == 0 then
        spec = string.format(hardened, d, d)
    else
        spec = string.format(privileged, d, d)
    end
    local name = string.format("app-%d-7d9f8c%03d-%d-%d", d, d, id, n)
    local uid = string.format("%08d-0000-4000-8000-%012d", id, n)
    local body = string.format(
        '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"%s","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"shop","name":"%s","operation":"CREATE","userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller"},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","generateName":"app-%d-7d9f8c%03d-","namespace":"shop","uid":"%s","labels":{"app":"app-%d","pod-template-hash":"7d9f8c%03d"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"app-%d-7d9f8c%03d","uid":"rs-%d","controller":true}]},"spec":%s},"dryRun":false}}',
        uid, name, name, d, d, uid, d, d, d, d, d, spec)
    return wrk.format(nil, nil, nil, body)
end

function delay()
    return delay_ms
end

function response(status, headers, body)
    if string.find(body, '"allowed":false', 1, true) then
        denied = denied + 1
    elseif string.find(body, '"allowed":true', 1, true) then
        allowed = allowed + 1
    end
end

function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local ms = function(us) return us / 1000 end
    io.write(string.format(
        "requests %d in %.1f s: %.0f/s; p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; " ..
        "errors: connect %d, read %d, write %d, status %d, timeout %d\n",
        summary.requests, seconds, summary.requests / seconds,
        ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
        ms(latency.max), summary.errors.connect, summary.errors.read, summary.errors.write,
        summary.errors.status, summary.errors.timeout))
    local a, d = 0, 0
    for _, t in ipairs(threads) do
        a = a + (t:get("allowed") or 0)
        d = d + (t:get("denied") or 0)
    end
    io.write(string.format("answers: %d allowed, %d denied\n", a, d))
end
