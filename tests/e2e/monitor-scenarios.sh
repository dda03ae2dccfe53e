# SPDX-License-Identifier: Apache-2.0
#
# The default rules' scenarios for engines whose containers run a script
# (monitor-docker.test, monitor-podman.test), after monitor-lib.sh. Their own
# file: tests/uses-tools counts a tool named by any helper a test sources, and
# the wget of the curlsh scenario (busybox's, in the alpine container) would
# put every test of monitor-lib.sh in `make check-bare`.
#
#   . "$(dirname "$0")/monitor-lib.sh"
#   . "$(dirname "$0")/monitor-scenarios.sh"
#
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
# mon_py_killed WHO N MON RULE CID: the protect run N's python was killed (py-rc=137 in
# $T/N.log, no "survived"); else the failure shows its alert of RULE for CID in MON's
# output (action, action_error, times) and what MON said of kills, so a late or failed
# kill names itself
mon_py_killed() {
	local got
	got=$(grep -o 'py-rc=[0-9]*\|survived' "$T/$2.log" | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" = py-rc=137 ]; then t_ok "$1"; return 0; fi
	t_fail "$1" "got: $got; the alert: $(grep -F "\"rule\":\"$4\"" "$T/$3.json" | grep -F "$5" | head -1 |
		cut -c1-900); the monitor on kills: $(grep -i kill "$T/$3.err" | tail -3 | cut -c1-400)"
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
