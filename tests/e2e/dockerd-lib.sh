# SPDX-License-Identifier: Apache-2.0
#
# A private dockerd for the tests (Debian's docker.io 20.10): containerd and
# dockerd started in a mount namespace of their own with a tmpfs on /run,
# their own data and exec roots and sockets under $T/d, no networking, and
# torn down at exit. Used by runtime-docker.test and engines.test.
#
#   . "$(dirname "$0")/dockerd-lib.sh"
#   dockerd_need || skip_all "$DOCKERD_WHY"
#   on_exit dockerd_stop
#   dockerd_start [DOCKERD-ARGS...] || skip_all "a private dockerd could not start here"
#   dk images                       (docker against it, with a 60 s bound)
#
# Sets D (its directory; unix socket paths are limited to 108 bytes, so it
# stays short), DOCKER_SOCK, dpid (the launcher) and mntns.

DOCKER=/usr/bin/docker
DOCKERD=/usr/sbin/dockerd
CONTAINERD=/usr/bin/containerd
D="$T/d"
DOCKER_SOCK="$D/docker.sock"
dpid=""
mntns=""

# dockerd_need: root and the binaries; else false with DOCKERD_WHY.
dockerd_need() {
	DOCKERD_WHY=""
	if ! is_root; then
		DOCKERD_WHY="needs root"
	else
		local b
		for b in "$DOCKER" "$DOCKERD" "$CONTAINERD"; do
			[ -x "$b" ] || { DOCKERD_WHY="$b is not installed (apt-get install docker.io)"; break; }
		done
		[ -z "$DOCKERD_WHY" ] && ! need containerd-shim-runc-v2 runc unshare setpriv timeout &&
			DOCKERD_WHY="containerd-shim-runc-v2, runc, unshare, setpriv or timeout is missing (docker.io, util-linux)"
	fi
	[ -z "$DOCKERD_WHY" ]
}

ms() { echo $(($(date +%s%N) / 1000000)); }
# (timeout -k: docker run passes SIGTERM on to the container and goes on waiting)
dk() { timeout -k 5 60 "$DOCKER" -H "unix://$DOCKER_SOCK" "$@"; }

dockerd_pids_with() { # STRING: the processes whose command line holds STRING (not grep)
	local p
	for p in $(grep -lsF -- "$1" /proc/[0-9]*/cmdline | cut -d/ -f3); do
		[ -e "/proc/$p" ] && echo "$p"
	done
}
dockerd_pids_in_ns() { # the processes in the launcher's mount namespace
	[ -n "$mntns" ] || return 0
	find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/mnt' \
		-lname "$(printf %s "$mntns" | sed 's/[][*?\\]/\\&/g')" 2>/dev/null | cut -d/ -f3
}
# dockerd_stop: containers, dockerd, containerd, whatever is left in the
# namespace; mounts under $T (a leak: the mounts are in the namespace).
dockerd_stop() {
	local ids p m left
	if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
		ids=$(timeout -k 5 20 "$DOCKER" -H "unix://$DOCKER_SOCK" ps -aq 2>/dev/null)
		[ -n "$ids" ] && timeout -k 5 30 "$DOCKER" -H "unix://$DOCKER_SOCK" rm -f $ids >/dev/null 2>&1
	fi
	stop_pid "$dpid" 20
	stop_pid "$(cat "$D/containerd.pid" 2>/dev/null)" 10
	for p in $(dockerd_pids_with "$D/ctd.sock") $(dockerd_pids_in_ns); do stop_pid "$p" 2; done
	left=$(dockerd_pids_in_ns)
	if [ -n "$left" ]; then
		echo "# teardown: still in dockerd's mount namespace:"
		ps -o pid,ppid,stat,args -p "$(echo $left | tr ' ' ,)" | sed 's/^/#   /'
		for p in $left; do stop_pid "$p" 2; done
	fi
	for m in $(awk -v t="$T" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
}

# dockerd_start [DOCKERD-ARGS...]: start it and wait (60 s) until it answers.
dockerd_start() {
	local t0
	mkdir -p "$D/data" "$D/exec" "$D/ctd/root" "$D/ctd/state" "$D/ctd/opt" "$D/client" "$D/tmp"
	export DOCKER_CONFIG="$D/client"
	unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
	cat >"$D/containerd.toml" <<EOF
version = 2
root = "$D/ctd/root"
state = "$D/ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$D/ctd.sock"
[ttrpc]
  address = "$D/ctd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$D/ctd/opt"
EOF
	# the trust key would go to /etc/docker/key.json
	printf '{"deprecated-key-path": "%s/key.json"}\n' "$D" >"$D/daemon.json"
	printf '%s\n' "$@" >"$D/dockerd.args"
	# The launcher runs in a new mount namespace: every mount made by containerd,
	# dockerd and the shims stays there and goes with it. A tmpfs on /run takes
	# what is written there whatever the configuration (the shims' sockets in
	# /run/containerd/s); TMPDIR takes the shims' process.json files and console
	# sockets. containerd runs in the background, dockerd in the launcher's place;
	# each gets SIGTERM when its parent dies (this script, then dockerd).
	cat >"$D/launch.sh" <<'EOF'
set -u
D="$1"
export TMPDIR="$D/tmp"
mount -t tmpfs -o mode=0755,size=64m bh-docker-run /run || exit 1
setpriv --pdeathsig TERM -- /usr/bin/containerd --config "$D/containerd.toml" \
	>"$D/containerd.log" 2>&1 &
echo $! >"$D/containerd.pid"
i=0
while [ ! -S "$D/ctd.sock" ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && { echo "containerd did not start in 30 s" >&2; exit 1; }
	kill -0 "$(cat "$D/containerd.pid")" 2>/dev/null || { echo "containerd died" >&2; exit 1; }
	sleep 0.1
done
set --
while IFS= read -r a; do [ -n "$a" ] && set -- "$@" "$a"; done <"$D/dockerd.args"
exec /usr/sbin/dockerd --config-file "$D/daemon.json" \
	--data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/docker.pid" \
	-H "unix://$D/docker.sock" --containerd "$D/ctd.sock" \
	--iptables=false --ip6tables=false --ip-forward=false \
	--ip-masq=false --bridge=none --userland-proxy=false \
	--exec-opt native.cgroupdriver=cgroupfs "$@" >"$D/dockerd.log" 2>&1
EOF
	t0=$(ms)
	setpriv --pdeathsig TERM -- unshare --mount --propagation private -- \
		/bin/sh "$D/launch.sh" "$D" </dev/null >"$D/launch.log" 2>&1 &
	dpid=$!
	while [ $(($(ms) - t0)) -lt 60000 ]; do
		[ -z "$mntns" ] && grep -q bh-docker-run "/proc/$dpid/mountinfo" 2>/dev/null &&
			mntns=$(readlink "/proc/$dpid/ns/mnt")
		if [ -S "$DOCKER_SOCK" ] && timeout -k 2 5 "$DOCKER" -H "unix://$DOCKER_SOCK" version >/dev/null 2>&1; then
			echo "# time: containerd and dockerd start-up: $(($(ms) - t0)) ms"
			return 0
		fi
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
	done
	local f
	for f in launch containerd dockerd; do
		echo "# $f log:"
		tail -n 15 "$D/$f.log" 2>/dev/null | sed 's/^/#   /'
	done
	return 1
}
