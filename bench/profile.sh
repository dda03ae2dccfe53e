#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# What learning syscalls costs (issue 14), every figure against its anchor
# measured in the same run, the variants interleaved round by round so that
# a change of load on the machine hits them alike; medians:
#
#   (a) learning overhead: bench/syscall_loop (getppid x N, then
#       open/read/close x M, static) in a container learning (discover)
#       against the same container not learning. Also the kernel's own cost
#       of any program on sys_enter: the plain container with a no-op
#       tp_btf sys_enter program attached, against the plain one, so that
#       what is the tracepoint and what is the recorder can be told apart.
#       Target <= 3% (+3%). The loops' ratios are medians of the ratios
#       round by round (robust to a load that drifts between rounds).
#   (b) enforcing: the same loop under the learned profile (protect: the
#       allow-list as the filter, refusals answered and counted by the
#       runtime's supervisor through seccomp user notification; nothing in
#       BPF) against the default allow-list. Target <= 2%.
#   (c) start: `bulkhead run` of /bin/true learning against not learning,
#       the recorder's program set already loaded (another container is
#       learning: the usual case on a busy host); and the first arm (the set
#       loaded, then unpinned at delete) on its own. Target <= 1.2x.
#
# Prints PASS or MISS for each and exits 0 either way (1 only if it cannot run).
#
#   N=2000000 M=200000 REPS=7 STARTS=15 bench/profile.sh
set -u
: "${BULKHEAD:=$(cd "$(dirname "$0")/.." && pwd)/bulkhead}"
: "${TESTDATA:=$(cd "$(dirname "$0")/.." && pwd)/../shared/data}"
N=${N:-1000000}
M=${M:-100000}
REPS=${REPS:-7}
STARTS=${STARTS:-15}
SRC="$(cd "$(dirname "$0")/.." && pwd)"
IMAGE="$TESTDATA/images/alpine-3.19.4.docker.tar"

if [ "$(id -u)" != 0 ]; then
	echo "profile: SKIP: needs root (BPF, containers)"
	exit 0
fi
[ -x "$BULKHEAD" ] || { echo "profile: no bulkhead binary at $BULKHEAD" >&2; exit 1; }
[ -f "$IMAGE" ] || { echo "profile: no test image $IMAGE" >&2; exit 1; }
for t in gcc clang; do
	command -v $t >/dev/null || { echo "profile: SKIP: $t is needed" >&2; exit 0; }
done

T=$(mktemp -d)
ROOT="$T/state"
NOOP_PIN=/sys/fs/bpf/bh-bench-noop-$$
cleanup() {
	local id
	for id in $(ls "$ROOT" 2>/dev/null); do "$BULKHEAD" --root "$ROOT" delete --force "$id" >/dev/null 2>&1; done
	rm -f "$NOOP_PIN"
	umount "$ROOT" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$ROOT"
mount -t tmpfs -o mode=0700 bench-state "$ROOT" || { echo "profile: cannot mount a tmpfs" >&2; exit 1; }
export BULKHEAD_PROFILES="$T/profiles.sqlite"

# ---- the workload, the no-op program and its loader --------------------------------
"$BULKHEAD" image bundle "$IMAGE" "$T/base" -- /bin/true >/dev/null || exit 1
gcc -static -O2 -o "$T/base/rootfs/syscall_loop" "$SRC/bench/syscall_loop.c" || exit 1
cat >"$T/noop.bpf.c" <<'C'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tp_btf/sys_enter")
int noop_sys_enter(unsigned long long *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
C
cat >"$T/attach.c" <<'C'
/* attach OBJ PIN: load OBJ, attach its program, pin the link at PIN */
#include <bpf/libbpf.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	struct bpf_object *o = bpf_object__open_file(argv[1], NULL);
	struct bpf_link *l;

	if (!o || bpf_object__load(o) || !(l = bpf_program__attach(bpf_object__next_program(o, NULL))) ||
	    bpf_link__pin(l, argv[2])) {
		perror("attach");
		return 1;
	}
	return 0;
}
C
clang -O2 -g -target bpf -c "$T/noop.bpf.c" -o "$T/noop.bpf.o" || exit 1
gcc -O2 -o "$T/attach" "$T/attach.c" -lbpf || exit 1

# bundle DIR MODE PROFILE ARGS...: MODE "" for no annotation
bundle() {
	local d=$1 mode=$2 prof=$3
	shift 3
	mkdir -p "$d"
	python3 - "$T/base" "$d" "$mode" "$prof" "$@" <<'PY' || exit 1
import json, sys
b, d, mode, prof = sys.argv[1:5]
c = json.load(open(b + "/config.json"))
c["root"]["path"] = b + "/rootfs"
c["process"]["args"] = sys.argv[5:]
if mode:
    c.setdefault("annotations", {}).update({"org.bulkhead.seccomp.mode": mode,
                                            "org.bulkhead.seccomp.profile": prof})
json.dump(c, open(d + "/config.json", "w"))
PY
}
LOOP=(/syscall_loop "$N" "$M")
bundle "$T/plain" "" "" "${LOOP[@]}"
bundle "$T/learn" discover bench-learn "${LOOP[@]}"
bundle "$T/protect" protect bench-loop "${LOOP[@]}"
bundle "$T/true" "" "" /bin/true
bundle "$T/true-learn" discover bench-true /bin/true
bundle "$T/holder" discover bench-holder /bin/sleep 100000
# the profile protect enforces: learned from the loop itself
bundle "$T/teach" discover bench-loop "${LOOP[@]}"
(cd "$T/teach" && "$BULKHEAD" --root "$ROOT" run teach$$ >/dev/null) || { echo "profile: learning the loop failed" >&2; exit 1; }

median() { sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print "-"}'; }
now_us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
id() { echo "b$$-$RANDOM$RANDOM"; }

# loop VARIANT BUNDLE: one container run of the loop, its figures appended to $T/VARIANT.{g,io}
loop() {
	local out
	out=$(cd "$2" && "$BULKHEAD" --root "$ROOT" run "$(id)" 2>>"$T/$1.err") ||
		{ echo "profile: $1: the loop failed: $(tail -2 "$T/$1.err")" >&2; exit 1; }
	set -- "$1" $out
	[ "$2" = getppid ] || { echo "profile: $1: unexpected output: $out" >&2; exit 1; }
	echo "$3" >>"$T/$1.g"
	echo "$5" >>"$T/$1.io"
}

# start VARIANT BUNDLE: one timed `run` (µs) appended to $T/VARIANT.s
start() {
	local s e
	s=$(now_us)
	(cd "$2" && "$BULKHEAD" --root "$ROOT" run "$(id)" >/dev/null 2>>"$T/$1.err") ||
		{ echo "profile: $1: run failed: $(tail -2 "$T/$1.err")" >&2; exit 1; }
	e=$(now_us)
	echo $((e - s)) >>"$T/$1.s"
}

echo "profile: $REPS rounds of the loop (getppid x $N, open/read/close x $M), $STARTS starts per variant"
for ((r = 0; r < REPS; r++)); do
	loop plain "$T/plain"
	loop learn "$T/learn"
	"$T/attach" "$T/noop.bpf.o" "$NOOP_PIN" || exit 1
	loop noop "$T/plain"
	rm -f "$NOOP_PIN"
	loop protect "$T/protect"
done
k=$(((STARTS + REPS - 1) / REPS))
for ((r = 0; r < REPS; r++)); do
	for ((i = 0; i < k; i++)); do start bare "$T/true"; done
	for ((i = 0; i < k; i++)); do start first "$T/true-learn"; done
	(cd "$T/holder" && "$BULKHEAD" --root "$ROOT" run -d holder$$ >/dev/null 2>&1) ||
		{ echo "profile: the holder container did not start" >&2; exit 1; }
	for ((i = 0; i < k; i++)); do start warm "$T/true-learn"; done
	"$BULKHEAD" --root "$ROOT" delete --force holder$$ >/dev/null 2>&1
done

# The loops' ratio is the median of the ratios round by round (each round's variants ran
# back to back: a change of load between rounds cancels out); the medians are shown too.
# ratio FIG ANCHOR: the median of FIG[i] / ANCHOR[i]
ratio() { paste "$T/$1" "$T/$2" | awk '{print $1 / $2}' | median; }
# verdict LABEL FIGURE ANCHOR RATIO MAXRATIO UNIT
verdict() {
	awk -v l="$1" -v f="$2" -v a="$3" -v r="$4" -v m="$5" -v u="$6" 'BEGIN {
		printf "  %-44s %10.2f %s vs %10.2f %s  x%.3f (%+.1f%%)  %s (target <= x%.2f)\n",
			l, f, u, a, u, r, (r - 1) * 100, (r <= m ? "PASS" : "MISS"), m }'
}
info() {
	awk -v l="$1" -v f="$2" -v a="$3" -v r="$4" -v u="$5" 'BEGIN {
		printf "  %-44s %10.2f %s vs %10.2f %s  x%.3f (%+.1f%%)\n", l, f, u, a, u, r, (r - 1) * 100 }'
}
m() { median <"$T/$1"; }
echo "(a) learning overhead (ns per call, medians of $REPS runs, ratio: the median of the rounds' ratios;"
echo "    anchor: the same container not learning)"
verdict "getppid, learning" "$(m learn.g)" "$(m plain.g)" "$(ratio learn.g plain.g)" 1.03 ns
verdict "open/read/close, learning" "$(m learn.io)" "$(m plain.io)" "$(ratio learn.io plain.io)" 1.03 ns
info "getppid, a no-op sys_enter program (kernel)" "$(m noop.g)" "$(m plain.g)" "$(ratio noop.g plain.g)" ns
info "open/read/close, a no-op sys_enter program" "$(m noop.io)" "$(m plain.io)" "$(ratio noop.io plain.io)" ns
info "getppid, learning vs the no-op program" "$(m learn.g)" "$(m noop.g)" "$(ratio learn.g noop.g)" ns
info "open/read/close, learning vs the no-op program" "$(m learn.io)" "$(m noop.io)" "$(ratio learn.io noop.io)" ns
echo "(b) enforcing the learned profile (protect, refusals counted through user notification; anchor: the default allow-list)"
verdict "getppid, protect" "$(m protect.g)" "$(m plain.g)" "$(ratio protect.g plain.g)" 1.02 ns
verdict "open/read/close, protect" "$(m protect.io)" "$(m plain.io)" "$(ratio protect.io plain.io)" 1.02 ns
echo "(c) container start, bulkhead run /bin/true (µs, median of $((k * REPS)); anchor: not learning)"
ws=$(m warm.s) bs=$(m bare.s) fs=$(m first.s)
verdict "learning, the program set already loaded" "$ws" "$bs" "$(awk -v a="$ws" -v b="$bs" 'BEGIN {print a / b}')" 1.2 µs
info "learning, the first arm (load, then unpin)" "$fs" "$bs" "$(awk -v a="$fs" -v b="$bs" 'BEGIN {print a / b}')" µs
exit 0
