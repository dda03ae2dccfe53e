#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The monitor's kernel event source (issue 15), with tests/tools/monevents
# as the consumer (draining as fast as it can, -q):
#   (a) host overhead: an open/read/close loop and a fork/exec loop
#       (bench/syscall_loop.c, bench/forkexec_loop.c) with the source off,
#       exec-only (sched_process_exec/exit: no syscall tracepoint), with the
#       default rules' types and open filter (-R rules/monitor/default.yaml:
#       the loop's opens make no event) and with every syscall type and
#       every open (each type's sys_exit_NAME tracepoint): ratios to off,
#       measured in the same run, modes interleaved round by round
#       (MODES="off rules" runs fewer; off must be among them; mode rules32
#       is rules with the 32-bit calls' program attached (-C on: it runs on
#       every call of the host, even where the kernel runs no 32-bit call);
#       rulesno32 the same with -C off; mode generic is rules with
#       every type through the generic tp_btf/sys_exit dispatcher (-G:
#       one program on every call of the host, no per-call tracepoint);
#       mode tponly: no program, an ftrace enable of syscalls/sys_exit_sync
#       (the loops never call sync: the slow path every call takes while
#       any syscall tracepoint is on, alone);
#       mode oldrules
#       is rules with the monevents of another build, OLD=DIR: a before/after
#       of a change in the same run).
#   (b) sustained events/s: the open loop with openat events, the default
#       8 MiB ring: events delivered per second and the drops (must be 0);
#       then pushed past it: two loops at once and a 64 KiB ring: the drop
#       count the source reports (stats->lost). SUSTAIN=0 skips (b).
. "$(dirname "$0")/lib.sh"
bench_init monitor-source

[ "$(id -u)" = 0 ] || bench_die "needs root (BPF)"
: "${BUILD:=build/rel}"
MONEV="$BUILD/tests/tools/monevents"
[ -x "$MONEV" ] || bench_die "no $MONEV (make test-bins)"
case " ${MODES:-} " in *" oldrules "*) [ -x "${OLD:-}/tests/tools/monevents" ] || bench_die "oldrules: no \$OLD/tests/tools/monevents" ;; esac
N=${N:-200000}  # opens per run
G=${G:-2000000} # getppid calls per run
F=${F:-2000}    # fork/execs per run
RUNS=${RUNS:-3}  # runs per mode and round (the best kept)
ROUNDS=${ROUNDS:-2}
gcc -O2 -o "$BENCH_TMP/io" bench/syscall_loop.c || bench_die "gcc"
gcc -O2 -o "$BENCH_TMP/fe" bench/forkexec_loop.c || bench_die "gcc"
ALL=execve,procexit,open,openat,openat2,connect,accept,accept4,listen,setuid,setreuid,setresuid,setgid,setresgid,capset,unshare,setns,ptrace,mount,umount2,init_module,finit_module,bpf,memfd_create

MON=
start_mon() { # OUT ARGS...
	local out="$1" i
	shift
	"$MONEV" -q -t 3600 "$@" >"$out" 2>"$out.err" &
	MON=$!
	for i in $(seq 100); do
		grep -q ready "$out.err" 2>/dev/null && return 0
		sleep 0.1
	done
	bench_die "monevents did not start: $(cat "$out.err")"
}
stop_mon() { kill -TERM "$MON"; wait "$MON" || true; MON=; }
TPEN=
TPON= # set while this script has sys_exit_sync enabled
for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
	[ -e "$d/events/syscalls/sys_exit_sync/enable" ] && { TPEN="$d/events/syscalls/sys_exit_sync/enable"; break; }
done
case " ${MODES:-} " in *" tponly "*) [ -n "$TPEN" ] || bench_die "tponly: no tracefs with syscall events" ;; esac
trap '[ -n "$MON" ] && kill -TERM $MON; [ -n "$TPON" ] && echo 0 >"$TPEN"; rm -rf "$BENCH_TMP"' EXIT
stat_of() { tr '\t' '\n' <"$1" | sed -n "s/^$2=//p" | tail -1; }
best() { sort -g | head -1; }

# io_ns / fe_us: best of RUNS
io_ns() { for r in $(seq "$RUNS"); do "$BENCH_TMP/io" 1 "$N" | awk '{print $4, $6}'; done | best; }
gp_ns() { for r in $(seq "$RUNS"); do "$BENCH_TMP/io" "$G" 1 | awk '{print $2}'; done | best; }
fe_us() { for r in $(seq "$RUNS"); do "$BENCH_TMP/fe" "$F" | awk '{print $2, $4}'; done | best; }

echo "== (a) overhead on the host, best of $RUNS per mode and round, $ROUNDS rounds (load average $(cut -d' ' -f1-3 /proc/loadavg))"
declare -A IO FE LOST GP
: "${MODES:=off exec rules full}"
ALLMODES=$MODES
for r in $(seq "$ROUNDS"); do
	for mode in $MODES; do
		case $mode in
		off) ;;
		exec) start_mon "$BENCH_TMP/$mode" ;;
		rules) start_mon "$BENCH_TMP/$mode" -R rules/monitor/default.yaml ;;
		rules32) start_mon "$BENCH_TMP/$mode" -R rules/monitor/default.yaml -C on ;;
		rulesno32) start_mon "$BENCH_TMP/$mode" -R rules/monitor/default.yaml -C off ;;
		generic) start_mon "$BENCH_TMP/$mode" -R rules/monitor/default.yaml -G ;;
		tponly) TPON=1 && echo 1 >"$TPEN" ;;
		oldrules) MONEV="$OLD/tests/tools/monevents" start_mon "$BENCH_TMP/$mode" -R rules/monitor/default.yaml ;;
		full) start_mon "$BENCH_TMP/$mode" -T "$ALL" ;;
		esac
		GP[$mode]="${GP[$mode]:-}
$(gp_ns)"
		IO[$mode]="${IO[$mode]:-}
$(io_ns)"
		FE[$mode]="${FE[$mode]:-}
$(fe_us)"
		if [ "$mode" = tponly ]; then echo 0 >"$TPEN"; TPON=; fi
		if [ -n "$MON" ]; then stop_mon; LOST[$mode]=$((${LOST[$mode]:-0} + $(stat_of "$BENCH_TMP/$mode" lost))); fi
	done
	MODES=$(echo $MODES | tr ' ' '\n' | tac | tr '\n' ' ') # the other order next round
done
for mode in $ALLMODES; do
	# best wall time of the runs, and the CPU time of that run
	read -r io ioc <<<"$(grep . <<<"${IO[$mode]}" | best)"
	read -r fe fec <<<"$(grep . <<<"${FE[$mode]}" | best)"
	gp=$(grep . <<<"${GP[$mode]}" | best)
	[ "$mode" = off ] && { IO0=$io; FE0=$fe; IOC0=$ioc; FEC0=$fec; GP0=$gp; }
	printf '%-9s getppid %6.1f ns (x%.3f)   ' "$mode" "$gp" "$(echo "$gp / $GP0" | bc -l)"
	printf 'open/read/close %8.1f ns (x%.3f; CPU %8.1f ns x%.3f)   fork/exec %8.1f us (x%.3f; CPU %7.1f us x%.3f)   lost %s\n' \
		"$io" "$(echo "$io / $IO0" | bc -l)" "$ioc" "$(echo "$ioc / $IOC0" | bc -l)" \
		"$fe" "$(echo "$fe / $FE0" | bc -l)" "$fec" "$(echo "$fec / $FEC0" | bc -l)" "${LOST[$mode]:-0}"
done
echo "   (load average after: $(cut -d' ' -f1-3 /proc/loadavg))"

[ "${SUSTAIN:-1}" = 0 ] && exit 0
echo "== (b) sustained events/s (openat events of the open loop)"
sustain() { # LABEL LOOPS MONARGS...
	local label="$1" loops="$2" t0 t1 ev lost i pids=()
	shift 2
	start_mon "$BENCH_TMP/s" -T openat "$@"
	t0=$(date +%s.%N)
	for i in $(seq "$loops"); do
		"$BENCH_TMP/io" 1 "$((N * 2))" >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	t1=$(date +%s.%N)
	sleep 0.5
	stop_mon
	ev=$(stat_of "$BENCH_TMP/s" events)
	lost=$(stat_of "$BENCH_TMP/s" lost)
	printf '%-32s %9.0f events/s delivered (%s events in %.2f s), lost %s (%.1f%% of produced)\n' \
		"$label" "$(echo "$ev / ($t1 - $t0)" | bc -l)" "$ev" "$(echo "$t1 - $t0" | bc -l)" "$lost" \
		"$(echo "100 * $lost / ($ev + $lost)" | bc -l)"
}
sustain "1 loop, 8 MiB ring" 1
sustain "2 loops, 8 MiB ring" 2
sustain "2 loops, 64 KiB ring (pushed past)" 2 -r 65536
