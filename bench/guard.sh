#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# What the guard's enforcement costs (issue 15), each figure against its
# anchor measured in the same run, the variants interleaved round by round
# (medians over REPS rounds):
#
#   (a) exec: a loop of N fork+exec of /bin/true (busybox: two permission
#       events each, the binary and its loader) inside a bulkhead container
#       watched by `bulkhead guard exec --zero-drift` against the same loop
#       unwatched. Also the slowest decision the guard reports.
#   (b) connect: bench/connect_loop on the host (N TCP connects to a loopback
#       listener, N UDP sends) with the connect guard attached at the cgroup2
#       root and a policy set for a container, against nothing attached: a
#       host process pays the netns cookie and one hash lookup that misses.
#   (c) connect with peers: the same loop inside the container's network
#       namespace (nsenter -n: the policy is the namespace's) under an allow
#       list of 1, 16 and 1000 rules (127.0.0.1, the loop's listener, among
#       them), against no guard attached, each variant once per round.
#   (d) replace: setting the container's allow list of 16 rules anew (the
#       `guard connect` command, end to end) while OTHER=60000 keys of other
#       containers are in the trie (bench/guard_fill), against the same with
#       none (the anchor): a replace that walked the shared trie grew with it.
#
# Prints the figures and ratios; exits 0 (1 only if it cannot run).
# PARTS picks the parts (default "a b c d").
#
#   N=300 C=20000 REPS=5 OTHER=60000 PARTS="a b c d" bench/guard.sh
set -u
: "${BULKHEAD:=$(cd "$(dirname "$0")/.." && pwd)/bulkhead}"
: "${TESTDATA:=$(cd "$(dirname "$0")/.." && pwd)/../shared/data}"
N=${N:-300}
C=${C:-20000}
REPS=${REPS:-5}
OTHER=${OTHER:-60000}
PARTS=${PARTS:-a b c d}
SRC="$(cd "$(dirname "$0")/.." && pwd)"
IMAGE="$TESTDATA/images/alpine-3.19.4.docker.tar"

if [ "$(id -u)" != 0 ]; then
	echo "guard: SKIP: needs root (fanotify, BPF, containers)"
	exit 0
fi
[ -x "$BULKHEAD" ] || { echo "guard: no bulkhead binary at $BULKHEAD" >&2; exit 1; }
[ -f "$IMAGE" ] || { echo "guard: no test image $IMAGE" >&2; exit 1; }
command -v gcc >/dev/null || { echo "guard: SKIP: gcc is needed"; exit 0; }

T=$(mktemp -d)
ROOT="$T/state"
BH=("$BULKHEAD" --root "$ROOT")
ID=bench-guard-$$
GPID=
PINNED=$([ -d /sys/fs/bpf/bulkhead/guard-v3 ] && echo yes)
FILLED=
cleanup() {
	[ -n "$GPID" ] && kill "$GPID" 2>/dev/null
	[ -n "$FILLED" ] && "$T/guard_fill" "$FILLED" "$OTHER" clear
	"${BH[@]}" guard connect "$ID" --clear >/dev/null 2>&1
	[ -n "$PINNED" ] || "$BULKHEAD" guard connect --detach >/dev/null 2>&1
	"${BH[@]}" delete --force "$ID" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

gcc -O2 -o "$T/connect_loop" "$SRC/bench/connect_loop.c" || { echo "guard: cannot build connect_loop" >&2; exit 1; }
"$BULKHEAD" image bundle "$IMAGE" "$T/b" -- /bin/sleep 3600 >/dev/null 2>"$T/err" ||
	{ echo "guard: image bundle: $(cat "$T/err")" >&2; exit 1; }
"${BH[@]}" create --bundle "$T/b" "$ID" && "${BH[@]}" start "$ID" ||
	{ echo "guard: cannot start a container" >&2; exit 1; }

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
loop() {
	local t0
	t0=$(date +%s%N)
	"${BH[@]}" exec "$ID" /bin/sh -c "i=0; while [ \$i -lt $N ]; do /bin/true; i=\$((i+1)); done" ||
		{ echo "guard: the exec loop failed" >&2; exit 1; }
	ms "$t0"
}
guard_on() {
	"${BH[@]}" guard exec "$ID" --zero-drift --duration 1h >/dev/null 2>"$T/g.err" &
	GPID=$!
	for _ in $(seq 1 200); do grep -q '^guard: watching' "$T/g.err" && return; sleep 0.05; done
	echo "guard: guard exec did not start: $(cat "$T/g.err")" >&2
	exit 1
}
guard_off() {
	kill -TERM "$GPID"
	wait "$GPID" 2>/dev/null
	GPID=
	sed -n 's/.*slowest decision \([0-9]*\) us.*/\1/p' "$T/g.err" >>"$T/slowest"
}

part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

if part a; then
echo "guard: (a) exec loop, $N fork+exec of /bin/true in a container, $REPS rounds"
: >"$T/off"; : >"$T/on"; : >"$T/slowest"
for r in $(seq 1 "$REPS"); do
	loop >>"$T/off"
	guard_on
	loop >>"$T/on"
	guard_off
done
off=$(median <"$T/off"); on=$(median <"$T/on")
echo "  unguarded: ${off} ms   guarded (zero-drift): ${on} ms   ratio $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')"
echo "  per exec: +$(awk -v a="$on" -v b="$off" -v n="$N" 'BEGIN { printf "%.1f", (a - b) * 1000 / n }') us; slowest decision: $(sort -n "$T/slowest" | tail -1) us"

fi

if part b; then
echo "guard: (b) host connect loop, $C TCP connects and $C UDP sends on loopback, $REPS rounds"
: >"$T/toff"; : >"$T/ton"; : >"$T/uoff"; : >"$T/uon"
for r in $(seq 1 "$REPS"); do
	"$BULKHEAD" guard connect --detach >/dev/null 2>&1
	read -r t u < <("$T/connect_loop" "$C") || exit 1
	echo "$t" >>"$T/toff"; echo "$u" >>"$T/uoff"
	"${BH[@]}" guard connect "$ID" --deny-all 2>"$T/err" || { echo "guard: $(cat "$T/err")" >&2; exit 1; }
	read -r t u < <("$T/connect_loop" "$C") || exit 1
	echo "$t" >>"$T/ton"; echo "$u" >>"$T/uon"
done
toff=$(median <"$T/toff"); ton=$(median <"$T/ton"); uoff=$(median <"$T/uoff"); uon=$(median <"$T/uon")
echo "  TCP connect+accept: ${toff} ns without, ${ton} ns attached, ratio $(awk -v a="$ton" -v b="$toff" 'BEGIN { printf "%.3f", a / b }'), +$((ton - toff)) ns"
echo "  UDP send+recv:      ${uoff} ns without, ${uon} ns attached, ratio $(awk -v a="$uon" -v b="$uoff" 'BEGIN { printf "%.3f", a / b }'), +$((uon - uoff)) ns"
# the programs' own cost per call, as the kernel counts it (bpf_stats_enabled)
if command -v bpftool >/dev/null && [ -w /proc/sys/kernel/bpf_stats_enabled ]; then
	old_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	"$T/connect_loop" "$C" >/dev/null
	for p in grd_connect4 grd_sendmsg4; do
		bpftool -j prog show name "$p" 2>/dev/null | python3 -c '
import json, sys
ps = json.load(sys.stdin); ps = ps if isinstance(ps, list) else [ps]
t = sum(p.get("run_time_ns", 0) for p in ps); n = sum(p.get("run_cnt", 0) for p in ps)
print("  %s on a host process (a lookup that misses): %.0f ns per call over %d calls" % (sys.argv[1], t / n if n else 0, n))' "$p"
	done
	echo "$old_stats" >/proc/sys/kernel/bpf_stats_enabled
fi

fi

if part c; then
echo "guard: (c) connect loop in the container's namespace, $C TCP connects and UDP sends, allow lists of 1, 16, 1000 rules, $REPS rounds"
CPID=$("${BH[@]}" state "$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
nsenter -t "$CPID" -n ip link set lo up 2>/dev/null
rules() { # N: N allow rules, the first 127.0.0.1 (any port), the others 10.X.Y.Z:443/tcp
	echo --allow 127.0.0.1
	for i in $(seq 2 "$1"); do echo --allow "10.$((i / 65536 % 256)).$((i / 256 % 256)).$((i % 256)):443/tcp"; done
}
rules 1 >"$T/r1"; rules 16 >"$T/r16"; rules 1000 >"$T/r1000"
for v in none p1 p16 p1000; do : >"$T/t_$v"; : >"$T/u_$v"; done
for r in $(seq 1 "$REPS"); do
	for v in none p1 p16 p1000; do
		if [ "$v" = none ]; then
			"$BULKHEAD" guard connect --detach >/dev/null 2>&1
		else
			# shellcheck disable=SC2046
			"${BH[@]}" guard connect "$ID" $(cat "$T/r${v#p}") >/dev/null 2>"$T/err" ||
				{ echo "guard: $v: $(cat "$T/err")" >&2; exit 1; }
		fi
		read -r t u < <(nsenter -t "$CPID" -n "$T/connect_loop" "$C") || { echo "guard: $v: the loop failed (refused?)" >&2; exit 1; }
		echo "$t" >>"$T/t_$v"; echo "$u" >>"$T/u_$v"
	done
done
tn=$(median <"$T/t_none"); un=$(median <"$T/u_none")
printf '  %-34s %8s ns TCP connect+accept %8s ns UDP send+recv\n' "anchor: no guard attached" "$tn" "$un"
for v in p1 p16 p1000; do
	t=$(median <"$T/t_$v"); u=$(median <"$T/u_$v")
	printf '  %-34s %8s ns (ratio %s, +%s ns)   %8s ns (ratio %s, +%s ns)\n' "allow list of ${v#p} rule(s)" \
		"$t" "$(awk -v a="$t" -v b="$tn" 'BEGIN { printf "%.3f", a / b }')" "$((t - tn))" \
		"$u" "$(awk -v a="$u" -v b="$un" 'BEGIN { printf "%.3f", a / b }')" "$((u - un))"
done
fi

if part d; then
echo "guard: (d) replacing the container's 16 rules, with $OTHER keys of other containers and with none, $REPS rounds"
gcc -O2 -o "$T/guard_fill" "$SRC/bench/guard_fill.c" -lbpf || { echo "guard: cannot build guard_fill" >&2; exit 1; }
for i in 1 2; do
	# shellcheck disable=SC2046
	"${BH[@]}" guard connect "$ID" $(for j in $(seq 1 16); do echo --allow "10.9.$i.$j:443/tcp"; done) >/dev/null 2>"$T/err" ||
		{ echo "guard: $(cat "$T/err")" >&2; exit 1; }
done
# shellcheck disable=SC2012
PINDIR=$(ls -d /sys/fs/bpf/bulkhead/guard-v* | sort -V | tail -1)
: >"$T/rep0"; : >"$T/repN"
set16() { # round: a new list of 16 (another each time: each is a real replace)
	local t0
	t0=$(date +%s%N)
	# shellcheck disable=SC2046
	"${BH[@]}" guard connect "$ID" $(for j in $(seq 1 16); do echo --allow "10.8.$(($1 % 256)).$j:443/tcp"; done) >/dev/null 2>"$T/err" ||
		{ echo "guard: $(cat "$T/err")" >&2; exit 1; }
	echo $((($(date +%s%N) - t0) / 1000))
}
for r in $(seq 1 "$REPS"); do
	set16 $((2 * r)) >>"$T/rep0"
	FILLED=$PINDIR
	"$T/guard_fill" "$PINDIR" "$OTHER" fill || exit 1
	set16 $((2 * r + 1)) >>"$T/repN"
	"$T/guard_fill" "$PINDIR" "$OTHER" clear || exit 1
	FILLED=
done
r0=$(median <"$T/rep0"); rN=$(median <"$T/repN")
echo "  anchor: replace with no other keys: ${r0} us"
echo "  replace with $OTHER other keys:     ${rN} us (ratio $(awk -v a="$rN" -v b="$r0" 'BEGIN { printf "%.3f", a / b }'))"
fi
exit 0
