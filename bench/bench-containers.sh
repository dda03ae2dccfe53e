#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# `bulkhead bench containers` over N running containers of a private dockerd
# (started as tests/e2e/dockerd-lib.sh starts it; N=$BENCH_CTRS, default 10),
# every check (level 2, JSON), the engine's inspect data included, next to
# the anchor in the same run: the same checks as docker-bench-security writes
# them, a `docker inspect --format` (or `docker port`) per check per
# container (tests/5_container_runtime.sh's way). Best of $RUNS. Needs root.
. "$(dirname "$0")/lib.sh"
bench_init bench-containers
[ "$(id -u)" -eq 0 ] || bench_die "needs root (a private dockerd)"
N="${BENCH_CTRS:-10}"

# what tests/e2e/dockerd-lib.sh expects from tests/e2e/lib.sh
T="$BENCH_TMP"
is_root() { [ "$(id -u)" -eq 0 ]; }
need() {
	local c
	for c in "$@"; do command -v "$c" >/dev/null 2>&1 || return 1; done
}
stop_pid() {
	local i
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	for i in $(seq $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
}
. "$BENCH_ROOT/tests/e2e/dockerd-lib.sh"
dockerd_need || bench_die "$DOCKERD_WHY"
trap 'set +e; dockerd_stop >/dev/null 2>&1; rm -rf "$BENCH_TMP"' EXIT
dockerd_start --storage-driver vfs >"$BENCH_TMP/start.log" 2>&1 ||
	bench_die "a private dockerd could not start: $(tail -n 5 "$BENCH_TMP/start.log")"
IMG="$TESTDATA/images/alpine-3.19.4.docker.tar"
tag=$(dk load -i "$IMG" | sed -n 's/^Loaded image: //p' | head -n 1)
[ -n "$tag" ] || bench_die "docker load $IMG failed"
for i in $(seq "$N"); do
	# half with a port and a restart policy, so both sides have something to list
	if [ $((i % 2)) = 0 ]; then
		dk run -d --name "b$i" -p "$((8000 + i)):80" --restart on-failure:3 "$tag" sleep 3600 >/dev/null
	else
		dk run -d --name "b$i" --network none --memory 64m "$tag" sleep 3600 >/dev/null
	fi || bench_die "docker run failed"
done

bh_ctrs() {
	local rc=0
	"$BULKHEAD" bench containers --format json --docker-socket "$DOCKER_SOCK" --podman-socket "" \
		--state-root "runc:$D/exec/runtime-runc/moby" >"$BENCH_TMP/bh.json" || rc=$?
	[ "$rc" -le 1 ] || bench_die "bench containers failed: exit $rc"
}

# the anchor: docker-bench-security's way, a docker command per check per container
shell_checks() {
	local c f out=""
	set +e
	for c in $(dk ps -q); do
		for f in '{{ .HostConfig.Privileged }}' '{{ .HostConfig.CapAdd }}' \
			'{{ .HostConfig.NetworkMode }}' '{{ .HostConfig.PidMode }}' '{{ .HostConfig.IpcMode }}' \
			'{{ .HostConfig.UTSMode }}' '{{ .Mounts }}' '{{ .HostConfig.ReadonlyRootfs }}' \
			'{{ .HostConfig.Memory }}' '{{ .HostConfig.CpuShares }}' '{{ .HostConfig.PidsLimit }}' \
			'{{ .HostConfig.SecurityOpt }}' '{{ .Config.User }}' \
			'{{ .HostConfig.RestartPolicy.Name }}:{{ .HostConfig.RestartPolicy.MaximumRetryCount }}'; do
			out+="$(dk inspect --format "$f" "$c")"
		done
		out+="$(dk port "$c")"
	done
	set -e
	[ -n "$out" ]
}

bench_best t_bh bh_ctrs
n=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["checks"]; print(len(c), len({x["container"] for x in c}))' "$BENCH_TMP/bh.json")
bench_best t_sh shell_checks
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); dockerd $("$DOCKERD" --version | awk '{print $3}' | tr -d ,); best of $RUNS, wall seconds"
echo "bench containers: $N docker containers (results, containers judged: $n) in $t_bh s"
echo "anchor, the same checks as docker commands (docker-bench-security's way): $t_sh s"
echo "ratio bulkhead / shell: $(awk -v a="$t_bh" -v b="$t_sh" 'BEGIN { printf "%.4f", a / b }') (the shell $(bench_ratio "$t_sh" "$t_bh") times slower)"
