#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Median start-to-exit time of `run` with /bin/true for bulkhead, runc and crun
# (crun in a private mount namespace without the hybrid cgroup2, which it refuses),
# N runs each (default 100), and the getppid cost with the default seccomp profile.
set -u
: "${BULKHEAD:=$(cd "$(dirname "$0")/.." && pwd)/bulkhead}"
: "${TESTDATA:=$(cd "$(dirname "$0")/.." && pwd)/../shared/data}"
N=${N:-100}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$BULKHEAD" image bundle "$TESTDATA/images/alpine-3.19.4.docker.tar" "$T/b" -- /bin/true >/dev/null || exit 1
python3 - "$T/b/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["root"]["path"] = sys.argv[1].rsplit("/", 1)[0] + "/rootfs"
json.dump(c, open(sys.argv[1], "w"))
PY
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timeit() { # label cmd...
	local i s e
	for i in $(seq "$N"); do
		s=$(date +%s%N); "$@" "bench-$$-$i" >/dev/null 2>&1; e=$(date +%s%N)
		echo $(((e - s) / 1000))
	done | median
}
cd "$T/b"
bh=$(timeit "$BULKHEAD" --root "$T/bh" run)
rc=$(timeit runc --root "$T/runc" run)
cr=$(timeit unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --root "$0" run "$1"' "$T/crun")
echo "run /bin/true, median of $N (µs): bulkhead $bh, runc $rc, crun $cr"
awk -v b="$bh" -v c="$cr" -v r="$rc" 'BEGIN { printf "ratio bulkhead/crun %.2f, bulkhead/runc %.2f\n", b / c, b / r }'
# seccomp overhead: getppid loop, default profile vs no filter (a profile that allows all)
gcc -static -O2 -o "$T/b/rootfs/attack" "$(dirname "$0")/../tests/data/runtime/attack.c" 2>/dev/null || exit 0
python3 - "$T/b/config.json" "$T" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"] = ["/attack", "getppid", "5000000"]
json.dump(c, open(sys.argv[1], "w"))
PY
with=$("$BULKHEAD" --root "$T/bh" run seccomp-$$)
python3 - "$T/b/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW"}
json.dump(c, open(sys.argv[1], "w"))
PY
without=$("$BULKHEAD" --root "$T/bh" run noseccomp-$$)
echo "getppid: $with ns with the default profile, $without ns with an allow-all profile (deny-list only)"
awk -v a="$with" -v b="$without" 'BEGIN { printf "seccomp overhead %.1f%%\n", (a / b - 1) * 100 }'
