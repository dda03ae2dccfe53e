#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# `bulkhead bench host` on this machine, whole (every level, JSON), next to
# the anchor: the same checks written as docker-bench-security writes its
# own, shell commands per check (cat of each sysctl, grep of daemon.json and
# the audit rules, stat of each file, awk over mountinfo, the dpkg status
# counted by grep), run in the same script. Target: <= 2 s. Best of $RUNS.
# Exits 0 either way (a miss prints MISSED).
. "$(dirname "$0")/lib.sh"
bench_init bench-host

bh_host() {
	local rc=0
	"$BULKHEAD" bench host --format json >/dev/null || rc=$?
	[ "$rc" -le 1 ] || bench_die "bench host failed: exit $rc"
}

# the anchor: docker-bench-security's way, a command or more per check
shell_checks() {
	local f p out=""
	set +e # a check's command failing is its answer, as in docker-bench-security
	for f in kernel/kptr_restrict kernel/dmesg_restrict kernel/unprivileged_bpf_disabled \
		kernel/unprivileged_userns_clone user/max_user_namespaces kernel/yama/ptrace_scope \
		fs/protected_symlinks fs/protected_hardlinks fs/protected_fifos fs/protected_regular; do
		out+="$(cat "/proc/sys/$f" 2>/dev/null)"
	done
	out+="$(cat /sys/kernel/security/lsm 2>/dev/null)"
	out+="$(awk '$5 == "/usr" || $5 == "/" { print $6 }' /proc/self/mountinfo)"
	for p in /var/lib/docker /var/lib/containers; do
		out+="$(awk -v p="$p" '$5 == p' /proc/self/mountinfo)"
	done
	out+="$(grep -hE '^(server|pool|peer)' /etc/chrony/chrony.conf /etc/ntp.conf 2>/dev/null)"
	out+="$(ls /etc/systemd/system/*.wants/ 2>/dev/null | grep -E 'chrony|ntp|timesyncd')"
	out+="$(grep -rh 'Unattended-Upgrade' /etc/apt/apt.conf.d/ 2>/dev/null)"
	out+="$(grep -c '^Package:' /var/lib/dpkg/status 2>/dev/null)"
	for p in /usr/bin/dockerd /run/containerd /var/lib/docker /etc/docker \
		/lib/systemd/system/docker.service /run/containerd/containerd.sock \
		/lib/systemd/system/docker.socket /etc/default/docker /etc/docker/daemon.json \
		/etc/containerd/config.toml /etc/sysconfig/docker /usr/bin/containerd \
		/usr/bin/containerd-shim /usr/bin/containerd-shim-runc-v1 /usr/bin/containerd-shim-runc-v2 \
		/usr/bin/runc /etc/bulkhead /etc/containers; do
		[ -e "$p" ] && out+="$(grep -rh -- "-w $p" /etc/audit/rules.d/ 2>/dev/null)"
	done
	for p in hosts tlsverify userns-remap live-restore insecure-registries default-ulimits \
		log-driver no-new-privileges icc userland-proxy experimental seccomp-profile; do
		out+="$(grep -- "\"$p\"" /etc/docker/daemon.json 2>/dev/null)"
	done
	out+="$(grep -E 'tcp_address|tcp_tls_cert' /etc/containerd/config.toml 2>/dev/null)"
	out+="$(grep -E 'seccomp_profile|userns' /etc/containers/containers.conf 2>/dev/null)"
	for p in /lib/systemd/system/docker.service /lib/systemd/system/docker.socket /etc/docker \
		/run/docker.sock /etc/docker/daemon.json /etc/default/docker /run/containerd/containerd.sock \
		/etc/containerd/config.toml /etc/containers/containers.conf /run/podman/podman.sock \
		/etc/bulkhead /etc/bulkhead/policy.d; do
		out+="$(stat -L -c '%u %a' "$p" 2>/dev/null)"
	done
	set -e
	[ -n "$out" ]
}

n=$("$BULKHEAD" bench host --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["checks"]))' || true)
bench_best t_bh bh_host
bench_best t_sh shell_checks
echo "bench host: $n checks on this machine in $t_bh s (target <= 2 s: $(bench_verdict "$t_bh" '<=' 2))"
echo "anchor, the same checks as shell commands (docker-bench-security's way): $t_sh s"
echo "ratio bulkhead / shell: $(bench_ratio "$t_bh" "$t_sh")"
