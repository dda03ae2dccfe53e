#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Monitor pipeline benchmark: events per second through `bulkhead monitor
# --replay` with the default rules, every event and alert to a JSON lines
# file and to the database (rules + outputs), against the anchor: the same
# replay read by the library's source alone (bench/monitor_read.c, no
# rules, no queues, no outputs), in the same run. N events (default
# 200000), a mix of recorded exec, open, connect and privilege events of
# which about 1 in 10 raises an alert. --no-drop: every item reaches both
# outputs, so the rate is what the slowest output sustains. Prints both
# rates, their ratio, and the monitor's counters (no drop anywhere).
. "$(dirname "$0")/lib.sh"
bench_init monitor-pipeline
: "${N:=200000}"
[ -f libbulkhead.a ] || bench_die "no libbulkhead.a (run make)"
W="$BENCH_TMP"
export BULKHEAD_RULES="$BENCH_ROOT/rules"

python3 - "$W/events.jsonl" "$N" <<'PY'
import json, sys
C = {"id": "0123456789abcdef0123", "name": "web", "image": "nginx:1.25"}
base = [
    {"type": "execve", "proc": {"name": "nginx", "pid": 10, "exe": "/usr/sbin/nginx", "args": ["-g", "daemon off;"],
                                "parents": [{"pid": 1, "name": "containerd-shim"}]}, "container": C},
    {"type": "openat", "res": 5, "proc": {"name": "nginx", "pid": 10}, "file": {"path": "/var/log/nginx/access.log", "flags": "O_WRONLY|O_APPEND"}, "container": C},
    {"type": "openat", "res": 6, "proc": {"name": "nginx", "pid": 10}, "file": {"path": "/usr/share/nginx/html/index.html", "flags": "O_RDONLY"}, "container": C},
    {"type": "connect", "res": 0, "proc": {"name": "curl", "pid": 11}, "net": {"proto": "tcp", "local": "10.0.0.2:40000", "remote": "10.0.0.9:5432"}, "container": C},
    {"type": "execve", "proc": {"name": "ls", "pid": 12, "args": ["-l", "/tmp"]}, "container": C},
    {"type": "procexit", "proc": {"name": "ls", "pid": 12}, "container": C},
    {"type": "openat", "res": 3, "proc": {"name": "cat", "pid": 13, "args": ["/etc/shadow"]}, "file": {"path": "/etc/shadow", "flags": "O_RDONLY"}, "container": C},
    {"type": "setuid", "proc": {"name": "sudo", "pid": 14}, "args": {"uid": 0}},
    {"type": "execve", "proc": {"name": "python3", "pid": 15, "args": ["app.py"]}, "container": C},
    {"type": "openat", "res": 7, "proc": {"name": "python3", "pid": 15}, "file": {"path": "/app/data.json", "flags": "O_RDONLY"}, "container": C},
]
n = int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    for i in range(n):
        e = dict(base[i % len(base)])
        e["time"] = 1700000000000000000 + i * 1000
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
PY

${CC:-cc} -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -Isrc/base $(pkg-config --cflags jansson) \
	-o "$W/monitor_read" bench/monitor_read.c libbulkhead.a \
	$(pkg-config --libs jansson libseccomp) -lpthread -lm -ldl || bench_die "cannot build the driver"
[ "$("$W/monitor_read" "$W/events.jsonl")" = "$N" ] || bench_die "the anchor did not read $N events"

read_only() { "$W/monitor_read" "$W/events.jsonl" >/dev/null; }
pipeline() {
	rm -f "$W/mon.sqlite"* "$W/events.out"*
	"$BULKHEAD" monitor --replay "$W/events.jsonl" --no-stdout --events \
		--file "$W/events.out" --rotate-size 1G --db "$W/mon.sqlite" --no-drop "$@"
}
bench_best anchor read_only
bench_best full pipeline
pipeline --stats 2>"$W/stats" || bench_die "the stats run failed"

rate() { awk -v n="$N" -v t="$1" 'BEGIN { printf "%.0f", n / t }'; }
echo "monitor pipeline: $N replayed events, default rules"
echo "  anchor (the replay source alone): $anchor s, $(rate "$anchor") events/s"
echo "  rules + file + database (events and alerts): $full s, $(rate "$full") events/s"
echo "  ratio (pipeline time / anchor time): $(bench_ratio "$full" "$anchor")"
sed 's/^/  /' "$W/stats"
