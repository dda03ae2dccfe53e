#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The size of learned syscall profiles (issue 14): each of the five real
# workloads of tests/e2e/profile-workloads.test (nginx under curl, redis under
# redis-benchmark, PostgreSQL under pgbench, a Python app's test suite, a
# busybox script; tests/tools/mkrootfs-workloads/) is learned in a bulkhead
# container on the Debian rootfs of tests/tools/mkrootfs (built once, cached),
# exported, and its allowed syscalls counted against the anchor: the names
# Docker's default profile allows on x86_64 with no condition (no argument
# filter, capability or other architecture), read in the same run from
# /usr/share/containers/seccomp.json (golang-github-containers-common: the same list as moby's
# default.json), among the x86_64 syscalls of the kernel headers.
#
# Target: <= 30% for each. Prints MET or MISSED and exits 0 either way (1 only
# if it cannot run, 77 when the rootfs cannot be built here).
#
#   bench/profile-workloads.sh
set -u
ROOTDIR="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOTDIR"
: "${BULKHEAD:=$ROOTDIR/bulkhead}"
DOCKER_JSON=${DOCKER_JSON:-/usr/share/containers/seccomp.json}
UNISTD=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
WDIR="$ROOTDIR/tests/tools/mkrootfs-workloads"

[ "$(id -u)" = 0 ] || { echo "profile-workloads: SKIP: needs root (BPF, containers)"; exit 0; }
[ -x "$BULKHEAD" ] || { echo "profile-workloads: no bulkhead binary at $BULKHEAD" >&2; exit 1; }
for f in "$DOCKER_JSON" "$UNISTD"; do
	[ -r "$f" ] || { echo "profile-workloads: $f is missing (golang-github-containers-common, linux-libc-dev)" >&2; exit 1; }
done
ROOTFS=$(tests/tools/mkrootfs) || exit $?

T=$(mktemp -d)
NETNS="bhwl-bench-$$"
cleanup() {
	for id in $(ls "$T/state" 2>/dev/null); do "$BULKHEAD" --root "$T/state" delete --force "$id" >/dev/null 2>&1; done
	ip netns del "$NETNS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ip netns add "$NETNS" && ip -n "$NETNS" link set lo up || { echo "profile-workloads: ip netns add failed" >&2; exit 1; }
export BULKHEAD_PROFILES="$T/profiles.sqlite"
PG=$(awk -F: '$1 == "postgres" { print $3 ":" $4 }' "$ROOTFS/etc/passwd")

ANCHOR=$(python3 - "$DOCKER_JSON" "$UNISTD" <<'PY'
import json, re, sys
x64 = set(re.findall(r"#define __NR_(\w+)\s+\d+", open(sys.argv[2]).read()))
names = set()
for r in json.load(open(sys.argv[1]))["syscalls"]:
    inc = r.get("includes") or {}
    if r["action"] != "SCMP_ACT_ALLOW" or r.get("args") or r.get("excludes") or inc.get("caps"):
        continue
    if inc.get("arches") and "amd64" not in inc["arches"]:
        continue
    names.update(r["names"])
print(len(names & x64), len(names))
PY
)
set -- $ANCHOR
ANCHOR=$1
echo "anchor: Docker's default profile allows $ANCHOR x86_64 syscalls unconditionally ($2 names in $DOCKER_JSON)"
printf '%-10s %8s %8s %8s %7s  %s\n' WORKLOAD LEARNED ALLOWED DOCKER RATIO TARGET

for wl in nginx redis postgres pyapp busybox; do
	user=""
	case $wl in
	pyapp) cmd="/usr/bin/python3 /w/pyapp/run.py" ;;
	busybox) cmd="/bin/busybox sh /w/busybox.sh" ;;
	postgres) cmd="/bin/sh /w/postgres.sh"; user=$PG ;;
	*) cmd="/bin/sh /w/$wl.sh" ;;
	esac
	b="$T/b-$wl"
	mkdir -p "$b"
	"$BULKHEAD" spec --stdout >"$b/spec.json"
	python3 - "$b/spec.json" "$b/config.json" "$ROOTFS" "$WDIR" "/var/run/netns/$NETNS" "bench-$wl" "$user" $cmd <<'PY'
import json, sys
spec, out, rootfs, wdir, netns, prof, user = sys.argv[1:8]
c = json.load(open(spec))
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["args"] = sys.argv[8:]
if user:
    uid, gid = user.split(":")
    c["process"]["user"] = {"uid": int(uid), "gid": int(gid)}
c["mounts"].append({"destination": "/w", "type": "bind", "source": wdir,
                    "options": ["rbind", "ro", "nosuid", "nodev"]})
for ns in c["linux"]["namespaces"]:
    if ns["type"] == "network":
        ns["path"] = netns
c["annotations"] = {"org.bulkhead.seccomp.mode": "discover", "org.bulkhead.seccomp.profile": prof}
json.dump(c, open(out, "w"))
PY
	if ! (cd "$b" && timeout -k 5 300 "$BULKHEAD" --root "$T/state" run "bench-$wl-$$" </dev/null >"$T/out" 2>&1); then
		echo "profile-workloads: the $wl workload failed:" >&2
		tail -n 20 "$T/out" >&2
		exit 1
	fi
	learned=$("$BULKHEAD" profile show --json "bench-$wl" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["syscalls"].get("SCMP_ARCH_X86_64", [])))')
	"$BULKHEAD" profile export -o "$T/$wl.json" "bench-$wl" || exit 1
	allowed=$(python3 -c 'import json,sys; print(sum(len(r["names"]) for r in json.load(open(sys.argv[1]))["syscalls"] if r["action"] == "SCMP_ACT_ALLOW"))' "$T/$wl.json")
	python3 - "$wl" "$learned" "$allowed" "$ANCHOR" <<'PY'
import sys
wl, learned, allowed, anchor = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = allowed / anchor
print("%-10s %8d %8d %8d %6.1f%%  %s" % (wl, learned, allowed, anchor, 100 * r,
                                         "MET (<= 30%)" if r <= 0.30 else "MISSED (> 30%)"))
PY
done
