#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Policy benchmark: the in-process latency of evaluating a pod with 20
# containers (an init container, a sidecar and 18 app containers, each
# with ports, probes, resources, a security context and host volumes to
# check) against the Pod Security Standards (restricted:latest, from the
# namespace's label) plus a policy of every rule kind that needs no
# network (provenance, workload, placement, podSecurity in two modes).
# Median and p99 of N evaluations; anchor: jansson parsing the same pod's
# JSON in the same run. Target: policy p99 <= 1 ms (1000 us).
# Exits 0 either way (a miss prints MISSED).
. "$(dirname "$0")/lib.sh"
bench_init policy
: "${N:=20000}"
[ -f libbulkhead.a ] || bench_die "no libbulkhead.a (run make)"
W="$BENCH_TMP"

python3 - "$W/pod.json" <<'PY'
import json, sys
def container(i, kind="app"):
    return {
        "name": f"{kind}-{i}", "image": f"registry.example.com/team/{kind}-{i}:1.{i}",
        "ports": [{"containerPort": 8080 + i}, {"containerPort": 9090 + i, "hostPort": 0}],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080 + i}},
        "readinessProbe": {"tcpSocket": {"port": 8080 + i}},
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m"}},
        "volumeMounts": [{"name": "cache", "mountPath": "/cache"}, {"name": "cfg", "mountPath": "/etc/app"}],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
                            "seccompProfile": {"type": "RuntimeDefault"}},
    }
pod = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "big", "namespace": "prod-payments",
                    "labels": {"app": "big", "bulkhead.dev/sensitivity": "confidential"},
                    "annotations": {"container.apparmor.security.beta.kubernetes.io/app-0": "runtime/default"}},
       "spec": {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"},
                                    "sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}]},
                "nodeSelector": {"bulkhead.dev/sensitivity": "confidential"},
                "tolerations": [{"key": "bulkhead.dev/sensitivity", "operator": "Equal", "value": "confidential"}],
                "volumes": [{"name": "cache", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "c"}},
                            {"name": "tz", "hostPath": {"path": "/etc/localtime"}}],
                "initContainers": [container(0, "init"), dict(container(1, "sidecar"), restartPolicy="Always")],
                "containers": [container(i) for i in range(18)]}}
json.dump(pod, open(sys.argv[1], "w"))
PY
cat >"$W/policy.yaml" <<'YAML'
apiVersion: bulkhead.dev/v1alpha1
kind: Policy
spec:
  rules:
  - name: registries
    kind: imageProvenance
    registries: [registry.example.com]
    repositories: ["registry.example.com/team/*"]
    forbidTags: [latest]
  - name: pss
    kind: podSecurity
    level: baseline
  - name: pss-warn
    kind: podSecurity
    action: warn
    level: restricted
  - name: hardened
    kind: workload
    denyPrivileged: true
    denyHostNamespaces: true
    allowedCapabilities: [NET_BIND_SERVICE]
    requireDropAll: true
    requireReadOnlyRoot: true
    requireSeccomp: true
    requireLimits: [cpu, memory]
    denyHostPaths: true
    allowHostPaths: [/etc/localtime]
    denyRoot: true
  - name: separation
    kind: placement
    requireLabel: true
    levels: [public, internal, confidential]
    scope: {namespaces: ["prod-*"]}
YAML

${CC:-cc} -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -Isrc/base $(pkg-config --cflags jansson) \
	-o "$W/policy_latency" bench/policy_latency.c libbulkhead.a \
	$(pkg-config --libs jansson libseccomp) -lpthread -lm -ldl || bench_die "cannot build the driver"
"$W/policy_latency" "$W/policy.yaml" "$W/pod.json" "$N" >"$W/out" 2>"$W/err" ||
	{ cat "$W/err" >&2; bench_die "the driver failed"; }
read -r _ j_med j_p99 j_min < <(grep '^json_parse' "$W/out")
read -r _ s_med s_p99 s_min < <(grep '^pss' "$W/out")
read -r _ p_med p_p99 p_min < <(grep '^policy' "$W/out")
read -r _ a_med a_p99 a_min < <(grep '^parse+policy' "$W/out")

echo "pod: 20 containers ($(wc -c <"$W/pod.json") bytes of JSON), policy: 5 rules of 4 kinds; $(nproc) CPUs"
echo "in-process, $N evaluations each, microseconds:            median      p99  fastest"
printf '  %-52s %8s %8s %8s\n' "anchor: jansson parses the pod's JSON" "$j_med" "$j_p99" "$j_min"
printf '  %-52s %8s %8s %8s   %sx the parse (median)\n' "bh_pss_eval restricted:latest" "$s_med" "$s_p99" "$s_min" \
	"$(bench_ratio "$s_med" "$j_med")"
printf '  %-52s %8s %8s %8s   %sx the parse; p99 target <= 1000 us: %s\n' "bh_policy_eval (PSS + policy)" \
	"$p_med" "$p_p99" "$p_min" "$(bench_ratio "$p_med" "$j_med")" "$(bench_verdict "$p_p99" "<=" 1000)"
printf '  %-52s %8s %8s %8s   p99 target <= 1000 us: %s\n' "parse + bh_policy_eval (a webhook's share)" \
	"$a_med" "$a_p99" "$a_min" "$(bench_verdict "$a_p99" "<=" 1000)"
echo "  ($(cat "$W/err"))"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (timings on a busy machine are noisy)"
