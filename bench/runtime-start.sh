#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The OCI runtime's start cost, against runc and crun, measured in the same run:
#
#   1. median start-to-exit time of `run` with /bin/true, N runs each (default
#      100), bulkhead, runc and crun on the same bundle, state roots on a tmpfs
#      for all three; the runs are interleaved in rounds so that a change of
#      load on the machine hits all three alike. crun refuses this kind of
#      machine's hybrid cgroup layout, so its runs happen inside a private
#      mount namespace where the cgroup2 mount is hidden (one namespace per
#      round: its set-up is not in crun's figures; what it costs per run is
#      printed too). The bundle has no linux.seccomp: bulkhead applies its
#      default allow-list, runc and crun no filter; a second table gives all
#      three the same explicit profile (bulkhead's default).
#   2. the syscall overhead of bulkhead's default seccomp profile: a tight
#      getppid loop (tests/data/runtime/attack.c, static) inside the container
#      with the default profile, against the same loop in a container without
#      any seccomp filter (runc, the bundle without linux.seccomp; bulkhead
#      always loads at least its deny-list), and against bulkhead with an
#      allow-all profile. Each container runs the loop SAMPLES times; medians
#      of all the loops, the runtimes interleaved over REPS rounds.
#
# Targets: bulkhead's median below crun's and runc's; seccomp overhead under 5%.
# Prints MET or MISSED for each and exits 0 either way (1 only if it cannot run).
#
#   N=100 ROUNDS=10 ITER=200000 SAMPLES=10 REPS=5 bench/runtime-start.sh
set -u
: "${BULKHEAD:=$(cd "$(dirname "$0")/.." && pwd)/bulkhead}"
: "${TESTDATA:=$(cd "$(dirname "$0")/.." && pwd)/../shared/data}"
N=${N:-100}
ROUNDS=${ROUNDS:-10}
ITER=${ITER:-200000}
REPS=${REPS:-5}
SAMPLES=${SAMPLES:-10}
SRC="$(cd "$(dirname "$0")/.." && pwd)"
IMAGE="$TESTDATA/images/alpine-3.19.4.docker.tar"

if [ "$(id -u)" != 0 ]; then
	echo "runtime-start: SKIP: needs root (namespaces, cgroups, a tmpfs for the state roots)"
	exit 0
fi
[ -x "$BULKHEAD" ] || { echo "runtime-start: no bulkhead binary at $BULKHEAD" >&2; exit 1; }
[ -f "$IMAGE" ] || { echo "runtime-start: no test image $IMAGE" >&2; exit 1; }
have_runc=false have_crun=false
command -v runc >/dev/null && have_runc=true
command -v crun >/dev/null && have_crun=true

. "$SRC/bench/lib.sh"
bench_state_tmpfs runtime-start
ROOT_BH="$T/state/bulkhead" ROOT_RUNC="$T/state/runc" ROOT_CRUN="$T/state/crun"

# bundle DIR [PYTHON-STATEMENTS]: the alpine bundle, absolute root.path, edited by the statements (c = config)
"$BULKHEAD" image bundle "$IMAGE" "$T/base" -- /bin/true >/dev/null || exit 1
bundle() {
	cp -a "$T/base" "$1"
	python3 - "$1" "${2:-}" <<'PY' || exit 1
import json, sys
d = sys.argv[1]
c = json.load(open(d + "/config.json"))
c["root"]["path"] = d + "/rootfs"
exec(sys.argv[2])
json.dump(c, open(d + "/config.json", "w"))
PY
}
"$BULKHEAD" spec --seccomp >"$T/default-seccomp.json" || exit 1
bundle "$T/plain"
bundle "$T/profile" "c['linux']['seccomp'] = json.load(open('$T/default-seccomp.json'))"

now_us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
median() { sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print "-"}'; }

# time_runs FILE K CMD... : K timed runs (µs) of CMD ID appended to FILE; failures to FILE.fail
time_runs() {
	local out=$1 k=$2 i s e
	shift 2
	for ((i = 0; i < k; i++)); do
		s=$(now_us)
		if "$@" "r$$-$RANDOM$RANDOM" >/dev/null 2>>"$out.err"; then
			e=$(now_us)
			echo $((e - s)) >>"$out"
		else
			echo x >>"$out.fail"
		fi
	done
}

# crun_runs FILE K BUNDLE: K timed crun runs inside one private mount namespace without cgroup2
crun_runs() {
	unshare -m bash -c '
		umount /sys/fs/cgroup/unified 2>/dev/null
		cd "$3" || exit 1
		for ((i = 0; i < $2; i++)); do
			s=${EPOCHREALTIME/./}
			if crun --root "$4" run "c$$-$RANDOM$RANDOM" >/dev/null 2>>"$1.err"; then
				e=${EPOCHREALTIME/./}
				echo $((10#$e - 10#$s)) >>"$1"
			else
				echo x >>"$1.fail"
			fi
		done' crun-bench "$1" "$2" "$3" "$ROOT_CRUN"
}

# start_table LABEL BUNDLE: prints "bh runc crun" medians (µs, "-" if absent) as the last line
start_table() {
	local label=$1 b=$2 k=$((N / ROUNDS)) r f
	[ "$k" -ge 1 ] || k=1
	rm -f "$T"/t.*
	for ((r = 0; r < ROUNDS; r++)); do
		(cd "$b" && time_runs "$T/t.bh" "$k" "$BULKHEAD" --root "$ROOT_BH" run)
		$have_runc && (cd "$b" && time_runs "$T/t.runc" "$k" runc --root "$ROOT_RUNC" run)
		$have_crun && crun_runs "$T/t.crun" "$k" "$b"
	done
	for f in bh runc crun; do
		if [ -s "$T/t.$f.fail" ]; then
			echo "  $f: $(wc -l <"$T/t.$f.fail") of $((k * ROUNDS)) runs failed: $(sort -u "$T/t.$f.err" | head -3)"
		fi
	done
	printf '%s\n' "$label"
	printf '  %-10s %10s %8s\n' runtime "median µs" runs
	for f in bh runc crun; do
		[ -s "$T/t.$f" ] || continue
		printf '  %-10s %10s %8s\n' "$([ $f = bh ] && echo bulkhead || echo $f)" \
			"$(median <"$T/t.$f")" "$(wc -l <"$T/t.$f")"
	done
	echo "$(median <"$T/t.bh" 2>/dev/null) $([ -s "$T/t.runc" ] && median <"$T/t.runc" || echo -) $([ -s "$T/t.crun" ] && median <"$T/t.crun" || echo -)" >"$T/medians"
}

verdict() { # NAME BH OTHER
	if [ "$3" = - ] || [ "$2" = - ]; then
		echo "  bulkhead vs $1: no figure"
		return
	fi
	awk -v n="$1" -v b="$2" -v o="$3" 'BEGIN {
		printf "  bulkhead/%s %.2f  target < 1.00: %s\n", n, b / o, b < o ? "MET" : "MISSED" }'
}

echo "== run /bin/true: median of $N runs each ($ROUNDS interleaved rounds), state roots on tmpfs"
echo "   bulkhead $("$BULKHEAD" version 2>/dev/null | head -1)"
$have_runc && echo "   $(runc --version | head -1)" || echo "   runc: not installed"
$have_crun && echo "   $(crun --version | head -1)" || echo "   crun: not installed"
start_table "bundle without linux.seccomp (bulkhead: its default allow-list; runc, crun: no filter)" "$T/plain"
read -r bh rc cr <"$T/medians"
verdict crun "$bh" "$cr"
verdict runc "$bh" "$rc"
if $have_crun; then
	# what the namespace wrapper that crun needs would add to a run of its own
	w=$(for ((i = 0; i < 20; i++)); do
		s=$(now_us)
		unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec /bin/true'
		e=$(now_us)
		echo $((e - s))
	done | median)
	echo "  (not counted above: a private mount namespace per crun run, 'unshare -m sh -c umount; exec', costs $w µs here)"
fi
start_table "same bundle with bulkhead's default profile as linux.seccomp, for all three" "$T/profile"
read -r pbh prc pcr <"$T/medians"
verdict crun "$pbh" "$pcr"
verdict runc "$pbh" "$prc"

echo
echo "== seccomp: getppid loop of $ITER calls, ns per call; $SAMPLES loops per container, $REPS containers each"
if ! gcc -static -O2 -o "$T/attack" "$SRC/tests/data/runtime/attack.c" 2>"$T/gcc.err"; then
	echo "  cannot build the static test program: $(head -1 "$T/gcc.err")"
	echo "  seccomp overhead: no figure (MISSED)"
	exit 0
fi
loops="c['process']['args'] = ['/bin/sh', '-c', 'i=0; while [ \$i -lt $SAMPLES ]; do /attack getppid $ITER || exit 1; i=\$((i+1)); done']"
bundle "$T/sc-default" "$loops"
bundle "$T/sc-allow" "$loops; c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW'}"
for b in sc-default sc-allow; do cp "$T/attack" "$T/$b/rootfs/attack"; done
for f in default none allow host; do : >"$T/g.$f"; done
for ((r = 0; r < REPS; r++)); do
	(cd "$T/sc-default" && "$BULKHEAD" --root "$ROOT_BH" run "g$$-$r-d" >>"$T/g.default")
	if $have_runc; then
		(cd "$T/sc-default" && runc --root "$ROOT_RUNC" run "g$$-$r-n" >>"$T/g.none")
	fi
	(cd "$T/sc-allow" && "$BULKHEAD" --root "$ROOT_BH" run "g$$-$r-a" >>"$T/g.allow")
	for ((i = 0; i < SAMPLES; i++)); do "$T/attack" getppid "$ITER" >>"$T/g.host"; done
done
stat_line() { # LABEL FILE
	printf '  %-38s median %7s  min %7s  (%s loops)\n' "$1" "$(median <"$2")" \
		"$(sort -n "$2" | head -1)" "$(wc -l <"$2")"
}
stat_line "bulkhead, default profile:" "$T/g.default"
stat_line "bulkhead, allow-all (deny-list only):" "$T/g.allow"
$have_runc && stat_line "runc, no seccomp filter:" "$T/g.none"
stat_line "host, no container:" "$T/g.host"
d=$(median <"$T/g.default") a=$(median <"$T/g.allow") n=-
$have_runc && [ -s "$T/g.none" ] && n=$(median <"$T/g.none")
if [ "$n" = - ]; then
	n=$a
	echo "  (no runc: the baseline is bulkhead's allow-all profile)"
fi
if [ "$d" = - ] || [ "$n" = - ]; then
	echo "  seccomp overhead: no figure (MISSED)"
else
	awk -v d="$d" -v n="$n" -v a="$a" 'BEGIN {
		o = (d / n - 1) * 100
		printf "  seccomp overhead (default profile vs no filter, medians) %+.1f%%  target < 5%%: %s\n", o, o < 5 ? "MET" : "MISSED"
		if (a != "-") printf "  (default profile vs allow-all profile %+.1f%%)\n", (d / a - 1) * 100 }'
fi
exit 0
