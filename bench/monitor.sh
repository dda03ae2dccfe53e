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
#       clean, in a bulkhead container too: no test image has gcc, so its
#       root is the host's root file system, read-only (a bind mount of /:
#       a root cannot be pivoted to itself), a tmpfs at /tmp, the project
#       bind-mounted at /tmp/proj (a mount point in the tmpfs: the host's
#       root has no /proj and is read-only); its processes are the
#       container's, in its cgroups and namespaces, attributed to it.
#       Target <= +5%.
#
# Also printed: (0) getppid's time in the open loop's container: no program
# of the monitor is on getppid, so its on/off ratio is the noise floor of the
# run (what the machine's other load alone does between the arms); the
# loops' own CPU time per iteration (1c, 2c: on a shared machine less
# stretched than wall time by others' load; the BPF programs run in the
# loops' calls are in it); the same plus the monitor's CPU during each loop
# (1t, 2t: the agent's whole cost, kernel and user space, read from its
# /proc stat around each container run, pro-rated to the loop's share of
# the run's wall time); each ratio's median, interquartile
# range and range (a PASS or MISS whose IQR straddles the target says so);
# the load average before, after, and after each round; one more on-arm,
# untimed, with kernel.bpf_stats_enabled: each program's runs per iteration
# and ns per run (the counts are the whole host's, the other engineers'
# processes included); the monitor's counters of each on-arm (events, lost
# in the kernel, not detected, alerts) and its CPU after its start, per event;
# its start (loading and verifying the programs, ~0.4 s here) apart.
# Prints PASS or MISS per target and exits 0 either way (1 only when it
# cannot run).
#
# Method (perf15). The rounds varied by +-20% because the machine's other load
# (2 CPUs, load 0.7 to 12 in an hour as other engineers build) changes
# within seconds and a round's wall time follows it: the getppid control,
# which nothing of the monitor touches, moves as much between arms. So: more,
# shorter rounds (8 of ~2 s of loops, not 5 of ~5 s), quartiles printed, the
# noise floor printed, and CPU-time figures beside wall time. Nothing is
# pinned: the agent shares the node's CPUs with the workload in production,
# and pinning it away from the loop would hide exactly that competition;
# pinning the loop to one CPU (taskset) left its CPU-time spread as it was at
# load 4-5 (6 runs each: 3.9-5.7 us per open unpinned, 4.2-4.6 pinned; fork/exec
# 3.4-5.0 ms against 3.9-4.8) and makes it hostage to whatever else runs
# there. The monitor's CPU per round used to include its start (0.4 s of
# 0.39-0.47 s): the "180 us per event" was mostly that.
#
# Measured (perf15, 15:10, load 9.5 falling to 6.2, this 2-CPU PVM guest):
#   (0) getppid, noise floor    x1.056, IQR x0.861..x1.157, range x0.703..x1.873
#   (1) open/read/close         x1.185, IQR x0.861..x1.464           MISS
#   (2) fork/exec               x0.990, IQR x0.815..x1.394           PASS
#   (3) make -j2                x0.915, IQR x0.898..x0.968           PASS
#   (1c) open CPU               x1.113, IQR x1.077..x1.139 (4814/4253 ns)  MISS
#   (2c) fork/exec CPU          x1.018, IQR x0.978..x1.089 (3049/2797 us)  PASS
#   (1t) open CPU + monitor     x1.152, IQR x1.118..x1.181           MISS
#   (2t) fork/exec CPU + monitor x1.086, IQR x1.018..x1.169          PASS
#   BPF per run: openat 196 ns (1.19 runs per open, others' opens counted),
#   exec 21 us, exit 6.5 us; the monitor's user space 56-126 us of CPU per
#   event (82 over the run), 0 lost.
# Again at 15:15, load 5.1-6.0: (0) x0.909 (IQR x0.793..x1.115), (1) x1.107
# MISS, (2) x0.953, (3) x0.925, (1c) x1.059 (IQR x0.955..x1.090), (2c) x0.963
# (IQR x0.939..x1.030), (1t) x1.100, (2t) x1.013; BPF per run: openat 143 ns,
# exec 12.5 us, exit 4.0 us; 65 us of monitor CPU per event.
# At that load the wall-time ratios are noise (the control's IQR is +-15%);
# the CPU ratios' IQRs are +-3-8% and say: fork/exec is within its target,
# the open loop is not (the openat program and the syscall tracepoint's
# slow path: ~+11% of the loop's own CPU, +15% with the monitor's polling).
#
# The monitor's user space (perfu): the per-round line also gives its context
# switches (all threads, voluntary and not) per event: on this PVM guest each
# wakeup costs tens of us, and at a trickle the count follows the ring's 10 ms
# poll, not the events. Two changes: a batch read up to where the ring ran
# dry is detected on the reader's thread (no futex hand-off to the detection
# thread, which then woke once per poll); spent events reused from a bounded
# pool (9 KiB each: malloc/free of a batch made glibc trim its heap and fault
# it back, 1-2 page faults per event). perf stat of the monitor over a
# fork/exec loop of 1000 in a container (the binaries before and after, run
# back to back under the lock):
#   load 4.1: before 44.6 and 41.4 us of CPU per event, 0.35 and 0.34
#             switches per event; inline detection 35.4 and 36.4 us, 0.18;
#   load 8.4-9.6: before 63.1 us, 0.81; inline + pool 47.1 and 42.8 us,
#             0.43 and 0.28.
# A replay of 200000 execs (--replay, no kernel): 2.9 s of CPU and 175000
# page faults before, 0.57 s and 2700 after. What is left per wakeup (perf,
# inline + pool, fork/exec loop): epoll_wait and the switch ~27% of the
# monitor's samples, container lists (mountinfo, open_by_handle_at, state
# files) and /proc reads of the exec cache (readlink) ~25%, the rules 3%.
# This bench, the same day (perfu, 18:48-19:00), before / inline detection /
# inline + pool, load 3.9-5.6 / 4.5-5.1 / 9.9 falling to 5.3:
#   (0) getppid, noise floor  x1.065 / x0.954 / x1.018 (IQRs +-12-25%)
#   (2) fork/exec             x1.030 / x1.197 / x1.019  (IQRs x0.58..x1.11 /
#                             x0.61..x1.32 / x0.63..x1.19: noise, all straddle)
#   (3) make -j2              x0.918 / x1.021 / x1.011  PASS each
#   (2c) fork/exec CPU        x0.966 / x1.114 / x0.958; (2t) x1.003 / x1.182 / x1.015
#   (1c) open CPU             x0.940 / x1.020 / x1.112; (1t) x0.940 / x1.039 / x1.156
#   the monitor: 0.55 / 0.61 / 0.35 switches per event (quiet rounds 0.80-0.94 /
#   0.54-0.71 / 0.24-0.25), 53 / 93 / 59 us of CPU per event (quiet rounds
#   72-109 / 67-115 / 52-73; the totals move with the host's other events).
# The wall-time and loop-CPU ratios at these loads do not resolve a change of
# this size; the monitor's own switches and CPU per event do.
#
# Where the open loop's remaining +10% goes (perf-tp, 2026-12-06 21:43-22:06,
# load 2.0-3.6; bench/monitor-source.sh's modes under monevents on the host,
# the loops' CPU time per iteration; `off` no program at all, `percall` the
# default rules (-R, each type's sys_exit_NAME tracepoint), `generic` the
# same through the tp_btf/sys_exit dispatcher (-G), `tp` an ftrace enable of
# syscalls/sys_exit_sync (no BPF; the loop never calls sync: only the slow
# path every call takes while any syscall tracepoint is on); monitor-source.sh
# calls these modes rules, generic and tponly: MODES="off tponly rules
# generic" SUSTAIN=0 bench/monitor-source.sh runs this A/B (best of RUNS).
# At 21:43, load 2.0-2.8, that script (3 rounds, best of 3): open CPU
# percall x1.068, generic x1.144; getppid x0.947 / x1.076; fork/exec CPU
# x1.055 / x1.016. At 21:56 (one run per mode per round, 6 rounds, modes
# rotated, medians of the per-round ratios and differences to off):
#   getppid   percall x0.978 (IQR x0.947..x1.014)  generic x1.136 (x1.109..x1.182), +156 ns a call
#   open CPU  percall x0.967 (IQR x0.832..x1.004)  generic x1.067 (x1.016..x1.106), +343 ns
#   fork/exec percall x0.958 (IQR x0.939..x1.002)  generic x1.142 (x0.950..x1.487)
# again at 21:58 (8 rounds, load 2.3-3.2; open CPU, difference to off):
#   tp +291 ns (x1.057), percall +407 ns (x1.084), generic +783 ns (x1.170)
#   (IQRs +-10-25%: the order holds, the sizes do not). At 22:04-22:06, load
#   2.4-3.6, 10 blocks, each mode's best of 5 short runs (200 k getppid, 20 k
#   opens) per block, medians over blocks of the ratio and difference to off:
#   getppid   tp x0.996 (IQR x0.970..x1.029), percall x1.025 (x0.901..x1.127),
#             generic x1.120 (x1.051..x1.184), +121 ns a call
#   open CPU  tp x1.012 (IQR x0.913..x1.038), +49 ns; percall x1.094
#             (x0.995..x1.235), +391 ns; generic x1.113 (x1.015..x1.164), +484 ns
# bpf_stats (an untimed run at 21:56; the counts are the host's): percall mon_x_openat
# 399 ns per run, 1.11 runs per open; generic mon_sys_exit 118 ns per run on
# every call (1.46 M runs for 1 M getppid + 100 k open/read/close): 1728 ns
# per open loop iteration with the getppids, ~350 ns per open/read/close.
# So the dispatcher is slower on every loop, getppid included (it runs on the
# calls no rule wants); the per-call tracepoints stay the default (issue 15's
# "How" asked for the dispatcher; measured, it loses: both designs put every
# call on the same slow path, and the dispatcher adds a program run, ~100 ns
# here, to each of the loop's three calls where the per-call design runs one
# program on the open only).
# perf record -a -g -e cpu-clock (Debian's perf 6.1 on 6.18 works; hardware
# events do not exist in this guest; with no syscall tracepoint on, a third
# of the loop's kernel samples land on pvm_irq_enable, the fast path's
# irq-enable, where the deferred timer interrupt is taken, so kernel samples
# are skewed and shares below are indicative), the open loop under percall,
# of the loop's samples: syscall_exit_work 3.3% (the slow path, all three
# calls), perf_syscall_exit + perf_trace_buf_alloc + the recursion context
# 2.4%, trace_call_bpf 2.9%, the programs (open_wanted, emit_sys,
# mon_x_openat) 3.8%: ~12% (the blocked A/B above says ~9%: syscall_exit_work is
# where the slow path re-enables interrupts, so it likely takes the samples
# pvm_irq_enable takes with no tracepoint on); the perf tracepoint machinery
# costs more than the program. Under generic: mon_sys_exit 5.4%, the filter
# 1.2%.
# The monitor's user space (bulkhead monitor, default rules): no fanotify
# mark (the guard is not running in monitor mode), two inotify fds (the
# state directories' container watch: create/moved_to, never opens), 17
# perf_event fds (the tracepoints). Its reader thread woke ~100 times a
# second idle and during the loop alike (293 voluntary switches in 3 s,
# 189 in the 1.7 s loop: the 10 ms ring poll, which sleeps only after 10
# empty reads, and this shared host's other processes' execs and exits keep
# it from being empty), ~11-14 ms of CPU a second (1.1-1.4% of a CPU, ~80 ns
# per open iteration when pro-rated); the other threads ~10 wakeups a
# second. What is left: the slow path alone is small here (tp: +1%, within
# noise, at load 2-3.6; perf19 saw about x1.04 at load 5-13); the
# open loop's +9% is the openat program's run (the filter: open_wanted,
# emit_sys's fd lookup) and the perf tracepoint machinery around it
# (perf_syscall_exit's record, trace_call_bpf), about 40/60 in the profile.
# The next step is an fexit program on the open's kernel function (no perf
# record, no trace_call_bpf; a trampoline instead), not done here: a first
# try (mon_x_openat as SEC("fexit/do_sys_openat2") calling emit_sys, not
# committed) did not load (the skeleton's load failed with -1, EPERM, as
# root; not diagnosed: the verifier log is the next thing to read), and
# do_sys_openat2 serves open, openat and openat2 alike, so one program
# would have to tell them apart (orig_ax). A check of the modes above at
# 22:23 (load 6.9, 2 rounds, best of 2) ran clean; its figures are noise.
#
#   REPS=8 N=50000 F=400 G=200000 FILES=16 FUNCS=8 bench/monitor.sh   (the defaults: ~3-4 min here)
. "$(dirname "$0")/lib.sh"
bench_init monitor
BULKHEAD=$(realpath "$BULKHEAD")

[ "$(id -u)" = 0 ] || bench_die "needs root (BPF, containers)"
for t in gcc make; do command -v $t >/dev/null || bench_die "$t is needed"; done
: "${REPS:=8}" "${N:=50000}" "${F:=400}" "${G:=200000}" "${FILES:=16}" "${FUNCS:=8}"
ALPINE="$TESTDATA/images/alpine-3.19.4.docker.tar"
[ -f "$ALPINE" ] || bench_die "no test image $ALPINE"
export BULKHEAD_RULES="$BENCH_ROOT/rules"
RULES="$BULKHEAD_RULES/monitor/default.yaml"
[ -f "$RULES" ] || bench_die "no default rules at $RULES"

W="$BENCH_TMP"
ROOT="$W/state"
MON=
TPS=
HOSTROOT=
cleanup() {
	local id
	if [ -n "$MON" ]; then kill -TERM "$MON" 2>/dev/null && wait "$MON" 2>/dev/null; fi
	for id in $(ls "$ROOT" 2>/dev/null); do "$BULKHEAD" --root "$ROOT" delete --force "$id" >/dev/null 2>&1; done
	umount "$ROOT" 2>/dev/null
	# the host's root: its own directory outside $W, read-only, detached
	# and removed with rmdir (never a recursive removal through it)
	if [ -n "$HOSTROOT" ]; then umount -l "$HOSTROOT" 2>/dev/null; rmdir "$HOSTROOT" 2>/dev/null; fi
	rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$ROOT"
mount -t tmpfs -o mode=0700 bench-state "$ROOT" || bench_die "cannot mount a tmpfs for the state root"

# ---- the workloads ----------------------------------------------------------------
# (1), (2): a container each (the monitor's CPU is read around each run); the
# open loop's container also times G getppid calls first: no tracepoint of the
# monitor is on getppid, so its on/off ratio is the noise floor of the run
for l in io fe; do
	if [ $l = io ]; then cmd="/syscall_loop $G $N"; else cmd="/forkexec_loop $F"; fi
	"$BULKHEAD" image bundle "$ALPINE" "$W/$l" -- $cmd >/dev/null 2>"$W/err" ||
		bench_die "image bundle: $(cat "$W/err")"
done
gcc -static -O2 -o "$W/io/rootfs/syscall_loop" bench/syscall_loop.c || bench_die "gcc"
gcc -static -O2 -o "$W/fe/rootfs/forkexec_loop" bench/forkexec_loop.c || bench_die "gcc"

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
# its container: the host's root, read-only, as the root; no cgroup file
# system inside (the build needs none)
HOSTROOT=$(mktemp -d /run/bulkhead-bench-root.XXXXXX) || bench_die "mktemp"
mount --bind / "$HOSTROOT" && mount -o remount,bind,ro "$HOSTROOT" ||
	bench_die "cannot bind-mount / read-only for the build's container"
"$BULKHEAD" image bundle "$ALPINE" "$W/bld" -- make -s -C /tmp/proj -j2 >/dev/null 2>"$W/err" ||
	bench_die "image bundle: $(cat "$W/err")"
python3 - "$W/bld/config.json" "$HOSTROOT" "$P" <<'PY' || bench_die "cannot write the build's bundle"
import json, sys
path, root, proj = sys.argv[1:]
c = json.load(open(path))
c["root"] = {"path": root, "readonly": True}
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"]
c["mounts"] += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "nodev", "mode=1777"]},
                {"destination": "/tmp/proj", "type": "bind", "source": proj, "options": ["rbind", "rw"]}]
c["process"]["env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp"]
json.dump(c, open(path, "w"))
PY

# ---- the arms ---------------------------------------------------------------------
stat_num() { sed -n "s/.*[ (]\([0-9][0-9]*\) $1.*/\1/p" "$W/mon.err" | head -1; }
# the context switches of all of PID's threads (voluntary + involuntary): each a
# wakeup or a preemption, costly on this PVM guest (issue 15)
ctxsw() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }'; }
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%d\n", ($12 + $13) * 1000 / hz }' "/proc/$1/stat"; }

MON_T0=
MON_S0=
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
	MON_T0=$(cpu_ms "$MON") # its start (loading and verifying the programs) apart
	MON_S0=$(ctxsw "$MON")
}

mon_stop() { # ROUND
	local cpu sw
	cpu=$(($(cpu_ms "$MON") - MON_T0))
	sw=$(($(ctxsw "$MON") - MON_S0))
	kill -TERM "$MON"
	wait "$MON" || bench_die "the monitor failed: $(cat "$W/mon.err")"
	MON=
	grep -q '^monitor: [0-9]* events' "$W/mon.err" || bench_die "no --stats from the monitor: $(cat "$W/mon.err")"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$(stat_num events)" "$(stat_num 'lost in the kernel')" \
		"$(stat_num 'not detected')" "$(stat_num alerts)" "$cpu" "$MON_T0" "$sw" >>"$W/mon.tsv"
	python3 -c 'import json, sys
for l in open(sys.argv[1]): print(json.loads(l)["rule"])' "$W/alerts.jsonl" >>"$W/rules.txt" ||
		bench_die "unreadable alerts in $W/alerts.jsonl"
}

# loop ARM L: container L (io or fe) run once; its output in $out, the
# monitor's CPU during it (ns per iteration; 0 with no monitor) appended to
# $W/ARM.Lmon: its CPU over the container's run, start and getppid included,
# pro-rated to the loop's share of the run's wall time
loop() {
	local c0=0 t0 id="m$$-$RANDOM$RANDOM" iters=$N
	[ "$2" = io ] || iters=$F
	[ -z "$MON" ] || c0=$(cpu_ms "$MON")
	t0=$(bench_now)
	out=$(cd "$W/$2" && "$BULKHEAD" --root "$ROOT" run "$id" 2>"$W/run.err") ||
		bench_die "$1: the $2 loop failed: $(tail -n 3 "$W/run.err")"
	if [ -n "$MON" ]; then
		# the loop's own wall time: io's ns per op (field 4) or fork/exec's us (field 2)
		echo "$out" | awk -v ms="$(($(cpu_ms "$MON") - c0))" -v n="$iters" -v run="$(($(bench_now) - t0))" \
			-v l="$2" '{ w = l == "io" ? $4 * n : $2 * 1000 * n; if (w > run) w = run
				printf "%.2f\n", ms * 1e6 * (w / run) / n }' >>"$W/$1.${2}mon"
	else
		echo 0 >>"$W/$1.${2}mon"
	fi
}

# arm ARM: the loops in their containers, then the build; figures appended to $W/ARM.*
arm() {
	local t0 out
	loop "$1" io
	set -- "$1" $out # getppid G io IO iocpu IOCPU
	[ "$2" = getppid ] && [ "$6" = iocpu ] || bench_die "$1: unexpected output of the open loop: $out"
	echo "$3" >>"$W/$1.gp"
	echo "$5" >>"$W/$1.io"
	echo "$7" >>"$W/$1.iocpu"
	loop "$1" fe
	set -- "$1" $out # forkexec FE fecpu FECPU
	[ "$2" = forkexec ] && [ "$4" = fecpu ] || bench_die "$1: unexpected output of the fork/exec loop: $out"
	echo "$3" >>"$W/$1.fe"
	echo "$5" >>"$W/$1.fecpu"
	make -s -C "$P" clean >/dev/null
	sync
	t0=$(bench_now)
	(cd "$W/bld" && "$BULKHEAD" --root "$ROOT" run "b$$-$RANDOM$RANDOM" >/dev/null 2>"$W/make.err") ||
		bench_die "$1: the build failed: $(tail -n 3 "$W/make.err")"
	awk -v n="$(($(bench_now) - t0))" 'BEGIN { printf "%.3f\n", n / 1e9 }' >>"$W/$1.build"
}

echo "monitor: bulkhead monitor --no-stdout --stats --file (alerts), rules $RULES"
echo "  $REPS interleaved rounds (off, on; on, off; ...); loops in bulkhead containers (alpine 3.19): getppid x $G"
echo "  then open/read/close x $N, fork/exec of busybox true x $F; build in a container whose root is the host's, read-only:"
echo "  make -j2 of $FILES+1 .c files ($FUNCS functions each), gcc -O2, from clean. $(nproc) CPUs, nothing pinned."
echo "  load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
on() { mon_start && arm on && mon_stop "$1"; }
for ((r = 1; r <= REPS; r++)); do
	if ((r % 2)); then arm off && on "$r"; else on "$r" && arm off; fi
	cut -d' ' -f1 /proc/loadavg >>"$W/load"
done
echo "  load average after:  $(cut -d' ' -f1-3 /proc/loadavg) (1-minute, after each round: $(tr '\n' ' ' <"$W/load"))"

# ---- the programs' own cost: one more on-arm, untimed, with bpf_stats_enabled
# (the stats' clock reads would inflate the timed rounds) ---------------------------
BPF_STATS=
bpf_snap() { # the monitor's programs: id run_time_ns run_cnt
	local f
	for f in /proc/"$MON"/fdinfo/*; do
		awk '/^prog_id:/ { i = $2 } /^run_time_ns:/ { t = $2 } /^run_cnt:/ { c = $2 }
			END { if (i) print i, t, c }' "$f" 2>/dev/null
	done | sort -u -k1,1n
}
if [ -w /proc/sys/kernel/bpf_stats_enabled ] && command -v bpftool >/dev/null; then
	old_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
	mon_start
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	bpf_snap >"$W/b0"
	loop stats io
	bpf_snap >"$W/b1"
	loop stats fe
	bpf_snap >"$W/b2"
	echo "$old_stats" >/proc/sys/kernel/bpf_stats_enabled
	bpftool -j prog show >"$W/progs.json" 2>/dev/null || echo '[]' >"$W/progs.json"
	mon_stop stats
	BPF_STATS=$(python3 - "$W" "$N" "$F" <<'PY'
import json, sys
w, n, f = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def snap(x):
    return {int(l.split()[0]): (int(l.split()[1]), int(l.split()[2])) for l in open(w + "/" + x) if l.strip()}
names = {p["id"]: p.get("name", "?") for p in json.load(open(w + "/progs.json"))}
b0, b1, b2 = snap("b0"), snap("b1"), snap("b2")
for label, a, b, iters, scale, unit in (("(1) open/read/close", b0, b1, n, 1, "ns"), ("(2) fork/exec", b1, b2, f, 1000, "us")):
    runs = []
    for i in b:
        t, c = b[i][0] - a.get(i, (0, 0))[0], b[i][1] - a.get(i, (0, 0))[1]
        if c:
            runs.append((t, c, names.get(i, str(i))))
    tot = sum(r[0] for r in runs)
    print("  %s: %.2f %s of BPF per iteration: %s" % (label, tot / iters / scale, unit,
          ", ".join("%s %.2f runs x %.0f ns" % (r[2], r[1] / iters, r[0] / r[1]) for r in sorted(runs, key=lambda r: -r[0]))))
PY
)
fi

# ---- the figures ------------------------------------------------------------------
med() { bench_median <"$W/$1"; }
ratios() { paste "$W/on.$1" "$W/off.$1" | awk '{ print $1 / $2 }' | sort -g; }
# ARM's loop CPU plus the monitor's CPU during it: the agent's whole cost, kernel and user space
tot() { paste "$W/$1.$2cpu" "$W/$1.$2mon" | awk -v u="$3" '{ printf "%.2f\n", $1 + $2 / u }' >"$W/$1.$2tot"; }
tot on io 1
tot off io 1
tot on fe 1000
tot off fe 1000
# min, q1, median, q3, max (nearest rank) of the sorted numbers on stdin
quart() { awk '{ a[NR] = $1 } END { printf "%s %s %s %s %s\n", a[1], a[int((NR + 3) / 4)], a[int((NR + 1) / 2)], a[int((3 * NR + 3) / 4)], a[NR] }'; }
# line LABEL FIG UNIT [TARGET(+%)]
line() {
	local on off q
	on=$(med "on.$2") off=$(med "off.$2") q=$(ratios "$2" | quart)
	awk -v l="$1" -v on="$on" -v off="$off" -v u="$3" -v q="$q" -v t="${4:-}" 'BEGIN {
		split(q, a, " "); r = a[3]; v = ""
		if (t != "") {
			v = sprintf("  %s (target <= +%d%%)", r <= 1 + t / 100 ? "PASS" : "MISS", t)
			if ((a[2] - 1 - t / 100) * (a[4] - 1 - t / 100) < 0) v = v ", the IQR straddles it"
		}
		printf "  %-34s on %9.2f %s  off %9.2f %s  x%.3f (%+.1f%%; IQR x%.3f..x%.3f, range x%.3f..x%.3f)%s\n",
			l, on, u, off, u, r, (r - 1) * 100, a[2], a[4], a[1], a[5], v }'
}
echo "(figures: medians of $REPS rounds; ratio on/off: the median of the rounds' ratios, then their"
echo " interquartile range and range)"
line "(0) getppid (no BPF: noise floor)" gp "ns "
line "(1) open/read/close, container" io "ns " 10
line "(2) fork/exec, container" fe "us " 10
line "(3) make -j2, container" build "s  " 5
echo "(the loops' own CPU time per iteration: user and system, the kernel's BPF work in their calls"
echo " included, the fork/exec children's too; less stretched than wall time by the machine's other load)"
line "(1c) open/read/close CPU, container" iocpu "ns " 10
line "(2c) fork/exec CPU, container" fecpu "us " 10
echo "(the same plus the monitor's CPU during each loop, its start apart: the agent's whole cost)"
line "(1t) open/read/close CPU + monitor" iotot "ns " 10
line "(2t) fork/exec CPU + monitor" fetot "us " 10
if [ -n "$BPF_STATS" ]; then
	echo "the monitor's programs as the kernel counts them (bpf_stats_enabled, one more on-arm, untimed):"
	echo "$BPF_STATS"
fi
echo "the monitor's tracepoints: $TPS"
echo "the monitor, each on-arm (round, events, lost in the kernel, not detected, alerts, CPU and context switches after its start):"
awk -F'\t' '{ printf "  round %s: %s events, %s lost, %s not detected, %s alerts, %.2f s CPU (%.0f us per event; its start %.2f s more), %d switches (%.2f per event)\n",
	$1, $2, $3, $4, $5, $6 / 1000, $2 ? $6 * 1000 / $2 : 0, $7 / 1000, $8, $2 ? $8 / $2 : 0 }' "$W/mon.tsv"
awk -F'\t' '$1 != "stats" { e += $2; l += $3; d += $4; a += $5; c += $6; w += $8 } END {
	printf "  total (timed rounds): %d events, %d lost in the kernel, %d not detected, %d alerts, %.0f us of CPU per event, %.2f context switches per event\n",
		e, l, d, a, e ? c * 1000 / e : 0, e ? w / e : 0 }' "$W/mon.tsv"
echo "the alerts by rule (all rounds):"
sort "$W/rules.txt" | uniq -c | sort -rn | sed 's/^ */  /'
exit 0
