#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The node agent's overhead (issue 15): `bulkhead monitor` on the live kernel
# source with the default rules (rules/monitor/default.yaml; they need
# syscall event types: each one's own syscalls/sys_exit_NAME tracepoint is
# attached as well as the scheduler's exec/exit, and opens are filtered in
# the kernel by what the rules can match: bh_rules_open_filter), alerts to a
# JSON lines file, --no-stdout, --stats;
# against the anchor: the same workloads with no monitor, in the same run.
# The arms are interleaved round by round (off, on; on, off; off, on ...:
# each arm first in half the rounds) so that a change of load on the shared
# machine hits both alike; each figure is the
# median of REPS rounds, and its ratio the median of the rounds' ratios
# (on / off of the same round).
#
#   (1) open/read/close loop (bench/syscall_loop.c, static, N opens) and
#   (2) fork/exec loop (bench/forkexec_loop.c, static, F fork + exec of
#       busybox true + wait), both in a bulkhead container (alpine 3.19)
#       whose events the monitor attributes to it. Target <= +10%.
#   (3) a build: `make -j2` of a generated C project (FILES .c files of
#       FUNCS functions each, gcc -O2, linked into one program), from
#       clean, on the host (no test image has gcc; host processes are
#       watched too). Target <= +5%.
#
# Also printed: the loops' own CPU time per iteration (on a shared machine
# less stretched than wall time by others' load; the BPF programs run in the
# loops' calls are in it, the monitor's user-space work is not: its CPU is
# printed per round), the load average before and after, the monitor's counters of
# each on-arm (events, lost in the kernel, not detected, alerts) and its CPU
# time. Prints PASS or MISS per target and exits 0 either way (1 only when it
# cannot run).
#
#   REPS=5 N=100000 F=1000 FILES=24 FUNCS=8 bench/monitor.sh   (the defaults: ~3 min here)
. "$(dirname "$0")/lib.sh"
bench_init monitor
BULKHEAD=$(realpath "$BULKHEAD")

[ "$(id -u)" = 0 ] || bench_die "needs root (BPF, containers)"
for t in gcc make; do command -v $t >/dev/null || bench_die "$t is needed"; done
: "${REPS:=5}" "${N:=100000}" "${F:=1000}" "${FILES:=24}" "${FUNCS:=8}"
ALPINE="$TESTDATA/images/alpine-3.19.4.docker.tar"
[ -f "$ALPINE" ] || bench_die "no test image $ALPINE"
export BULKHEAD_RULES="$BENCH_ROOT/rules"
RULES="$BULKHEAD_RULES/monitor/default.yaml"
[ -f "$RULES" ] || bench_die "no default rules at $RULES"

W="$BENCH_TMP"
ROOT="$W/state"
MON=
TPS=
cleanup() {
	local id
	if [ -n "$MON" ]; then kill -TERM "$MON" 2>/dev/null && wait "$MON" 2>/dev/null; fi
	for id in $(ls "$ROOT" 2>/dev/null); do "$BULKHEAD" --root "$ROOT" delete --force "$id" >/dev/null 2>&1; done
	umount "$ROOT" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$ROOT"
mount -t tmpfs -o mode=0700 bench-state "$ROOT" || bench_die "cannot mount a tmpfs for the state root"

# ---- the workloads ----------------------------------------------------------------
# (1), (2): one container running both loops, one line each
"$BULKHEAD" image bundle "$ALPINE" "$W/loops" -- /bin/sh -c "/syscall_loop 1 $N && /forkexec_loop $F" \
	>/dev/null 2>"$W/err" || bench_die "image bundle: $(cat "$W/err")"
gcc -static -O2 -o "$W/loops/rootfs/syscall_loop" bench/syscall_loop.c || bench_die "gcc"
gcc -static -O2 -o "$W/loops/rootfs/forkexec_loop" bench/forkexec_loop.c || bench_die "gcc"

# (3): FILES translation units of FUNCS functions each, a main calling them all
P="$W/proj"
mkdir -p "$P"
for ((i = 0; i < FILES; i++)); do
	{
		echo '#include <stdint.h>'
		echo '#include <string.h>'
		for ((j = 0; j < FUNCS; j++)); do
			cat <<C
static uint64_t mix_${i}_$j(const uint8_t *p, size_t n, uint64_t h)
{
	for (size_t k = 0; k < n; k++) {
		h ^= p[k] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
		h = (h << 13 | h >> 51) * ${j}1u;
	}
	return h;
}

uint64_t f_${i}_$j(const char *s, uint64_t seed)
{
	uint8_t buf[64];
	size_t n = strlen(s);

	if (n > sizeof(buf))
		n = sizeof(buf);
	memcpy(buf, s, n);
	for (size_t k = 0; k < n; k++)
		buf[k] = (uint8_t)(buf[k] * ${i}3u + $j);
	return mix_${i}_$j(buf, n, seed) ^ (seed >> $((j + 1)));
}
C
		done
	} >"$P/u$i.c"
done
{
	echo '#include <stdint.h>'
	echo '#include <stdio.h>'
	for ((i = 0; i < FILES; i++)); do
		for ((j = 0; j < FUNCS; j++)); do echo "uint64_t f_${i}_$j(const char *s, uint64_t seed);"; done
	done
	echo 'int main(int argc, char **argv)'
	echo '{'
	echo '	uint64_t h = (uint64_t)argc;'
	for ((i = 0; i < FILES; i++)); do
		for ((j = 0; j < FUNCS; j++)); do echo "	h = f_${i}_$j(argv[0], h);"; done
	done
	echo '	printf("%llx\n", (unsigned long long)h);'
	echo '	return 0;'
	echo '}'
} >"$P/main.c"
cat >"$P/Makefile" <<'MK'
CFLAGS = -O2 -Wall -Wextra
SRCS = $(wildcard *.c)
prog: $(SRCS:.c=.o)
	$(CC) -o $@ $^
clean:
	rm -f prog *.o
MK
make -s -C "$P" -j2 >/dev/null || bench_die "the generated project does not build"
"$P/prog" >/dev/null || bench_die "the generated program does not run"

# ---- the arms ---------------------------------------------------------------------
stat_num() { sed -n "s/.*[ (]\([0-9][0-9]*\) $1.*/\1/p" "$W/mon.err" | head -1; }

mon_start() {
	rm -f "$W/alerts.jsonl"
	touch "$W/rules.txt"
	"$BULKHEAD" monitor --no-stdout --stats --file "$W/alerts.jsonl" >/dev/null 2>"$W/mon.err" &
	MON=$!
	# attached once it holds its openat link (the default rules need open events)
	bench_wait_tp "$MON" sys_exit_openat 60 ||
		bench_die "the monitor did not attach to sys_exit_openat: $(cat "$W/mon.err")"
	[ -n "$TPS" ] || TPS=$(grep -h '^tp_name:' /proc/"$MON"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort | tr '\n' ' ')
	sleep 0.5 # past its signal handlers, events flowing
}

mon_stop() { # ROUND
	local cpu
	cpu=$(bench_cpu_s "$MON")
	kill -TERM "$MON"
	wait "$MON" || bench_die "the monitor failed: $(cat "$W/mon.err")"
	MON=
	grep -q '^monitor: [0-9]* events' "$W/mon.err" || bench_die "no --stats from the monitor: $(cat "$W/mon.err")"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$(stat_num events)" "$(stat_num 'lost in the kernel')" \
		"$(stat_num 'not detected')" "$(stat_num alerts)" "$cpu" >>"$W/mon.tsv"
	python3 -c 'import json, sys
for l in open(sys.argv[1]): print(json.loads(l)["rule"])' "$W/alerts.jsonl" >>"$W/rules.txt" ||
		bench_die "unreadable alerts in $W/alerts.jsonl"
}

# arm ARM: the loops in a container, then the build; figures appended to $W/ARM.{io,fe,build}
arm() {
	local out t0 id="m$$-$RANDOM$RANDOM"
	out=$(cd "$W/loops" && "$BULKHEAD" --root "$ROOT" run "$id" 2>"$W/run.err") ||
		bench_die "$1: the loops failed: $(tail -n 3 "$W/run.err")"
	set -- "$1" $out # getppid G io IO iocpu IOCPU forkexec FE fecpu FECPU
	[ "$2" = getppid ] && [ "$6" = iocpu ] && [ "$8" = forkexec ] ||
		bench_die "$1: unexpected output of the loops: $out"
	echo "$5" >>"$W/$1.io"
	echo "$7" >>"$W/$1.iocpu"
	echo "$9" >>"$W/$1.fe"
	echo "${11}" >>"$W/$1.fecpu"
	make -s -C "$P" clean >/dev/null
	sync
	t0=$(bench_now)
	make -s -C "$P" -j2 >/dev/null 2>"$W/make.err" || bench_die "$1: the build failed: $(tail -n 3 "$W/make.err")"
	awk -v n="$(($(bench_now) - t0))" 'BEGIN { printf "%.3f\n", n / 1e9 }' >>"$W/$1.build"
}

echo "monitor: bulkhead monitor --no-stdout --stats --file (alerts), rules $RULES"
echo "  $REPS interleaved rounds (off, on; on, off; ...); loops in a bulkhead container (alpine 3.19): open/read/close x $N,"
echo "  fork/exec of busybox true x $F; build on the host (no test image has gcc): make -j2 of $FILES+1 .c files"
echo "  ($FUNCS functions each), gcc -O2, from clean. $(nproc) CPUs."
echo "  load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
on() { mon_start && arm on && mon_stop "$1"; }
for ((r = 1; r <= REPS; r++)); do
	if ((r % 2)); then arm off && on "$r"; else on "$r" && arm off; fi
done
echo "  load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the figures ------------------------------------------------------------------
med() { bench_median <"$W/$1"; }
ratio() { paste "$W/on.$1" "$W/off.$1" | awk '{ print $1 / $2 }' | bench_median; }
spread() { paste "$W/on.$1" "$W/off.$1" | awk '{ print $1 / $2 }' | sort -g | awk '{ a[NR] = $1 } END { printf "x%.3f..x%.3f", a[1], a[NR] }'; }
# line LABEL FIG UNIT TARGET(+%)
line() {
	local on off r
	on=$(med "on.$2") off=$(med "off.$2") r=$(ratio "$2")
	awk -v l="$1" -v on="$on" -v off="$off" -v u="$3" -v r="$r" -v t="$4" -v s="$(spread "$2")" 'BEGIN {
		printf "  %-34s on %9.2f %s  off %9.2f %s  x%.3f (%+.1f%%; rounds %s)  %s (target <= +%d%%)\n",
			l, on, u, off, u, r, (r - 1) * 100, s, (r <= 1 + t / 100 ? "PASS" : "MISS"), t }'
}
echo "(figures: medians of $REPS rounds; ratio on/off: the median of the rounds' ratios, their range after it)"
line "(1) open/read/close, container" io "ns " 10
line "(2) fork/exec, container" fe "us " 10
line "(3) make -j2, host" build "s  " 5
echo "(the loops' own CPU time per iteration: user and system, the kernel's BPF work in their calls"
echo " included, the fork/exec children's too; less stretched than wall time by the machine's other load)"
line "(1c) open/read/close CPU, container" iocpu "ns " 10
line "(2c) fork/exec CPU, container" fecpu "us " 10
echo "the monitor's tracepoints: $TPS"
echo "the monitor, each on-arm (round, events, lost in the kernel, not detected, alerts, CPU s):"
awk -F'\t' '{ printf "  round %s: %s events, %s lost, %s not detected, %s alerts, %s s CPU\n", $1, $2, $3, $4, $5, $6 }' "$W/mon.tsv"
awk -F'\t' '{ e += $2; l += $3; d += $4; a += $5 } END {
	printf "  total: %d events, %d lost in the kernel, %d not detected, %d alerts\n", e, l, d, a }' "$W/mon.tsv"
echo "the alerts by rule (all rounds):"
sort "$W/rules.txt" | uniq -c | sort -rn | sed 's/^ */  /'
exit 0
