#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Quarantine end to end (issue 15's figure): from the violating OPERATION to
# quarantine complete (frozen and network cut), through the monitor's whole
# path: BPF -> ring buffer -> rules -> the quarantine action -> bh_quar_apply.
# `bulkhead monitor` runs with the default rules and
# --action "Read sensitive file=quarantine"; N times (default 50) a fresh
# bulkhead container (its own network namespace) runs bench/quarantine_op.c:
# after DELAY_MS it writes a CLOCK_REALTIME stamp into its root and opens
# /etc/shadow. The monitor's quarantine record stamps the event's kernel time
# (event_ns), the apply's call (apply_start_ns) and the instant both the freeze
# (freezer FROZEN, read back) and the cut (the nftables batch committed in the
# container's namespace, its thread joined) hold (contained_ns), all
# CLOCK_REALTIME. Each run is checked from outside afterwards: `quarantine
# list` sees it frozen and cut now (its freezer and the tables in its netns).
# Prints p50/p95/p99/max of: operation -> event, event -> apply's call,
# apply, and operation -> frozen + cut (target p99 <= 100 ms: met/MISSED), and
# the load average. bench/quarantine.sh keeps the in-process figures (apply
# alone, against the freeze alone). Exits 0 either way. Needs root and BPF.
. "$(dirname "$0")/lib.sh"
bench_init quarantine-e2e
: "${N:=50}"
: "${DELAY_MS:=400}"
[ "$(id -u)" -eq 0 ] || bench_die "needs root (BPF, cgroups, network namespaces)"
W="$BENCH_TMP"
QD="$W/quarantine"
RULE="Read sensitive file"
SFX="$$"
MON=
CUR=
cleanup() {
	if [ -n "$CUR" ]; then
		"$BULKHEAD" quarantine --state-dir "$QD" release "$CUR" >/dev/null 2>&1
		"$BULKHEAD" delete --force "$CUR" >/dev/null 2>&1
	fi
	[ -n "$MON" ] && kill -TERM "$MON" 2>/dev/null && wait "$MON" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

${CC:-cc} -O2 -static -o "$W/quarantine_op" bench/quarantine_op.c ||
	bench_die "cannot build the workload (static: glibc's libc.a is needed)"
"$BULKHEAD" image bundle "$TESTDATA/images/alpine-3.19.4.docker.tar" "$W/b" -- /qop "$DELAY_MS" /tmp/stamp \
	>/dev/null || bench_die "cannot make the bundle"
cp "$W/quarantine_op" "$W/b/rootfs/qop"
mkdir -p "$W/rec"

load0=$(cut -d' ' -f1-3 /proc/loadavg)
"$BULKHEAD" monitor --duration 900s --no-stdout --file "$W/alerts.json" --quarantine-dir "$QD" \
	--action "$RULE=quarantine" 2>"$W/mon.err" &
MON=$!
mark="/nonexistent/qe2e-mark-$SFX"
for _ in $(seq 200); do
	kill -0 "$MON" 2>/dev/null || bench_die "the monitor did not start: $(head -c 600 "$W/mon.err")"
	cat /etc/shadow "$mark" >/dev/null 2>&1 || true
	grep -qF "$mark" "$W/alerts.json" 2>/dev/null && break
	sleep 0.1
done
grep -qF "$mark" "$W/alerts.json" 2>/dev/null || bench_die "the monitor did not report a host read of /etc/shadow"

missed=0 notcut=0
for i in $(seq "$N"); do
	CUR="qe2e-$SFX-$i"
	rm -f "$W/b/rootfs/tmp/stamp"
	"$BULKHEAD" create --bundle "$W/b" "$CUR" >/dev/null && "$BULKHEAD" start "$CUR" >/dev/null ||
		bench_die "cannot start container $CUR"
	for _ in $(seq 500); do
		[ -f "$QD/$CUR.json" ] && break
		sleep 0.01
	done
	if [ -f "$QD/$CUR.json" ] && [ -f "$W/b/rootfs/tmp/stamp" ]; then
		cp "$QD/$CUR.json" "$W/rec/$i.json"
		cp "$W/b/rootfs/tmp/stamp" "$W/rec/$i.stamp"
		"$BULKHEAD" quarantine --state-dir "$QD" list --json >"$W/list.json"
		python3 -c 'import json,sys
r = [x for x in json.load(open(sys.argv[1])) if x["id"] == sys.argv[2]]
sys.exit(0 if r and r[0]["frozen"] and r[0]["cut"] and r[0]["exists"] else 1)' "$W/list.json" "$CUR" ||
			notcut=$((notcut + 1))
	else
		missed=$((missed + 1))
	fi
	"$BULKHEAD" quarantine --state-dir "$QD" release "$CUR" >/dev/null 2>&1 || true
	"$BULKHEAD" delete --force "$CUR" >/dev/null 2>&1 || true
	CUR=
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
kill -USR1 "$MON" 2>/dev/null || true
sleep 0.5

echo "quarantine end to end: $N bulkhead containers (alpine rootfs, own netns), the monitor with the default rules,"
echo "  \"$RULE\" -> quarantine; $(nproc) CPUs, kernel $(uname -r); load average before $load0, after $load1"
python3 - "$W/rec" "$N" "$missed" "$notcut" <<'PY'
import glob, json, math, os, sys
d, n, missed, notcut = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = {"op": [], "det": [], "apply": [], "total": []}
for f in glob.glob(os.path.join(d, "*.json")):
    r = json.load(open(f))
    s = int(open(f[:-5] + ".stamp").read())
    ev, a0, c = r.get("event_ns", 0), r.get("apply_start_ns", 0), r.get("contained_ns", 0)
    if not (ev and a0 and c):
        sys.exit("a record without its stamps: " + f)
    rows["op"].append((ev - s) / 1e6)
    rows["det"].append((a0 - ev) / 1e6)
    rows["apply"].append((c - a0) / 1e6)
    rows["total"].append((c - s) / 1e6)
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, math.ceil(p / 100 * len(v)) - 1))]
k = len(rows["total"])
print(f"  {k} of {n} runs quarantined ({missed} not quarantined within 5 s, {notcut} not seen frozen+cut by `quarantine list` after)")
if not k:
    sys.exit(0)
print(f"  {'milliseconds':52} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}")
for key, what in (("op", "operation (stamp) -> the event's kernel time"),
                  ("det", "event -> the action calls bh_quar_apply (ring, rules)"),
                  ("apply", "bh_quar_apply: call -> frozen + cut"),
                  ("total", "OPERATION -> FROZEN + CUT")):
    v = rows[key]
    print(f"  {what:52} {pct(v,50):7.2f} {pct(v,95):7.2f} {pct(v,99):7.2f} {max(v):7.2f}")
p99 = pct(rows["total"], 99)
ok = p99 <= 100 and missed == 0 and notcut == 0
print(f"  p99 operation -> frozen + cut {p99:.2f} ms <= 100 ms: {'PASS' if ok else 'MISS'}")
PY
grep '^monitor: [0-9]* events' "$W/mon.err" | tail -1 | sed 's/^/  /' || true
