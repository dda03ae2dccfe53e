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
#   mon_stop NAME                    SIGTERM, wait; status in $rc
#
# runc_run (monitor-runc) and the engines' scenarios, mon_window and mon_want
# (monitor-scenarios) are in helpers of their own, sourced after this one by the
# tests that use them: tests/uses-tools counts every tool a helper names (runc
# there; busybox's wget in a container's script) and every helper a file names,
# even in a comment (so this one names them without their .sh); a test of this
# file alone runs no optional tool, and `make check-bare` leaves it out.

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
