#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Event ingestion into the controller: $AGENTS simulated agents (python
# threads, one keep-alive HTTPS connection and one node token each, 500 by
# default; the request bodies encoded before the clock starts) POST
# $BATCHES batches of $BATCH events each to `bulkhead serve`
# (POST /api/v1/agent/events: parsed, one transaction per batch, each row
# INSERT ... ON CONFLICT (node, seq) DO NOTHING), into SQLite and into a
# PostgreSQL 15 this script starts (initdb as nobody, a unix socket). The
# figure is events/s; the anchor, in the same run, is the same database
# loading the same rows in bulk on its own: SQLite through python's sqlite3
# (executemany in one transaction, same table and indexes, same pragmas),
# PostgreSQL through psql's \copy into a table LIKE events INCLUDING ALL.
# Target: ingestion >= 0.5x the bulk load. Best of $RUNS runs. BASE=binary:
# an A/B in the same run (each run both arms, the order alternating).
# Exits 0 either way (a miss prints MISSED).
. "$(dirname "$0")/lib.sh"
bench_init ctl-ingest
: "${AGENTS:=500}"
: "${BATCHES:=4}"
: "${BATCH:=100}"
: "${STORES:=sqlite postgresql}" # the stores to run (an A/B of one: STORES=sqlite)
. "$(dirname "$0")/ctl-lib.sh"
ctl_init

# serve DB: the controller on DB (ctl_serve) and the admin's token in ADMIN
serve() {
	ctl_serve "$1"
	ADMIN=$(curl -sS --cacert "$W/cert.pem" -H 'Content-Type: application/json' \
		-d '{"user":"bench","password":"bench-password"}' "https://127.0.0.1:$PORT/api/v1/login" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
}

# post RUN: the agents post; prints events/s; rows in $W/rows.csv (node,seq,ts,kind,rule,severity,workload,json)
post() {
	python3 - "$PORT" "$W/cert.pem" "$ADMIN" "$AGENTS" "$BATCHES" "$BATCH" "$1" "$W/rows.csv" <<'PY'
import csv, http.client, json, ssl, sys, threading, time
port, ca, admin = int(sys.argv[1]), sys.argv[2], sys.argv[3]
agents, batches, size, run, rows_out = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], sys.argv[8]
ctx = ssl.create_default_context(cafile=ca)
def conn():
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
def call(c, method, path, tok, body):
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body)
    for attempt in (0, 1):
        try:
            c.request(method, path, body=body,
                      headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
            r = c.getresponse(); data = r.read()
            break
        except (ConnectionError, ssl.SSLError, http.client.HTTPException):
            # the server closes a connection idle for 30 s: made again once
            c.close()
            if attempt:
                raise
    if r.status not in (200, 201):
        raise SystemExit("%s %s: %d %s" % (method, path, r.status, data[:200]))
    return json.loads(data)
c = conn()
nodes = []
for i in range(agents):
    name = "r%s-n%d" % (run, i)
    tok = call(c, "POST", "/api/v1/tokens", admin, {"node": name})["token"]
    nodes.append((name, tok))
def event(node, seq):
    return {"ts": 1700000000 + seq, "kind": "alert", "rule": "Terminal shell in container",
            "severity": "WARNING" if seq % 2 else "CRITICAL", "workload": node + "-c%d" % (seq % 7),
            "data": {"output": "A shell was spawned in a container with an attached terminal (user=root shell=bash parent=runc pid=%d)" % seq,
                     "tags": ["container", "shell", "NIST_800-190_4.4.4"], "event": {"type": "execve", "proc": {"name": "bash", "pid": seq}}}}
# the bodies, made before the clock starts
work = []
for name, tok in nodes:
    bodies = [{"node": name, "first_seq": b * size + 1,
               "events": [event(name, b * size + 1 + k) for k in range(size)]} for b in range(batches)]
    # encoded before the clock starts too: the client's JSON is not the figure
    work.append((name, tok, [(b, json.dumps(b).encode()) for b in bodies]))
for name, tok in nodes:
    call(c, "POST", "/api/v1/agent/register", tok, {"node": name, "agent_version": "bench"})
errors = []
def agent(a, name, tok, bodies):
    try:
        for b, enc in bodies:
            ans = call(a, "POST", "/api/v1/agent/events", tok, enc)
            if ans["acked"] != b["first_seq"] + size - 1:
                errors.append("%s: acked %d" % (name, ans["acked"]))
    except BaseException as e:
        errors.append(str(e))
# each agent's connection made (TLS handshake) before the clock starts
conns = []
for w in work:
    a = conn(); a.connect(); conns.append(a)
ts = [threading.Thread(target=agent, args=(a,) + w) for a, w in zip(conns, work)]
t0 = time.monotonic()
for t in ts: t.start()
for t in ts: t.join()
dt = time.monotonic() - t0
if errors:
    raise SystemExit("errors: %s" % errors[:3])
with open(rows_out, "w", newline="") as f:
    w = csv.writer(f)
    for name, tok, bodies in work:
        for b, _ in bodies:
            for i, e in enumerate(b["events"]):
                w.writerow([name, b["first_seq"] + i, e["ts"], e["kind"], e["rule"], e["severity"], e["workload"],
                            json.dumps(e, separators=(",", ":"), sort_keys=True)])
print("%.0f" % (agents * batches * size / dt))
PY
}

# anchor_sqlite: the same rows loaded in bulk by SQLite itself, into the
# table and indexes the controller made in $W/ctl.sqlite (read from its
# sqlite_master: the A/B's arms each get their own schema); prints rows/s
anchor_sqlite() {
	python3 - "$W/rows.csv" "$W/anchor.sqlite" "$W/ctl.sqlite" <<'PY'
import csv, os, sqlite3, sys, time
rows = [tuple(r) for r in csv.reader(open(sys.argv[1]))]
rows = [(r[0], int(r[1]), int(r[2]), r[3], r[4], r[5], r[6], r[7]) for r in rows]
src = sqlite3.connect(sys.argv[3])
ddl = [r[0] for r in src.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'events'"
                                 " AND sql IS NOT NULL ORDER BY type DESC, name")]
src.close()
try: os.unlink(sys.argv[2])
except FileNotFoundError: pass
db = sqlite3.connect(sys.argv[2], isolation_level=None)
db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=8192;" + ";".join(ddl))
t0 = time.monotonic()
db.execute("BEGIN")
db.executemany("INSERT INTO events (node, seq, ts, kind, rule, severity, workload, event_json) VALUES (?,?,?,?,?,?,?,?)", rows)
db.execute("COMMIT")
print("%.0f" % (len(rows) / (time.monotonic() - t0)))
PY
}

# anchor_pg URL: the same rows by psql's \copy into a table like events
anchor_pg() {
	local psql=(runuser -u nobody -- $PG_BIN/psql -q -h "$PGDIR" -U postgres -d postgres -v ON_ERROR_STOP=1)
	cp "$W/rows.csv" "$PGDIR/rows.csv" && chmod 644 "$PGDIR/rows.csv"
	"${psql[@]}" -c 'DROP TABLE IF EXISTS events_anchor' -c 'CREATE TABLE events_anchor (LIKE events INCLUDING ALL)' >/dev/null
	python3 - "${psql[@]}" -c "\\copy events_anchor (node, seq, ts, kind, rule, severity, workload, event_json) FROM '$PGDIR/rows.csv' WITH (FORMAT csv)" <<PY
import subprocess, sys, time
t0 = time.monotonic()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
n = sum(1 for _ in open("$W/rows.csv"))
print("%.0f" % (n / (time.monotonic() - t0)))
PY
}

# stats NAME: where the controller's time went (its /metrics, ingest17), one line
stats() {
	curl -sS --cacert "$W/cert.pem" -H "Authorization: Bearer $ADMIN" "https://127.0.0.1:$PORT/metrics" |
		python3 -c '
import re, sys
m = {}
for l in sys.stdin:
    r = re.match(r"(bulkhead_(?:store|api_auth)_[a-z_]+)(?:\{phase=\"(\w+)\"\})? (\S+)$", l)
    if r: m[r.group(2) or r.group(1)] = float(r.group(3))
g = m.get("bulkhead_store_group_commits_total", 0)
print("  %s: groups %d (%.1f tx each), reader queries %d; seconds: queue %.2f run %.2f commit %.2f connection_wait %.2f auth %.2f" % (
    sys.argv[1], g, m.get("bulkhead_store_grouped_transactions_total", 0) / (g or 1),
    m.get("bulkhead_store_reader_queries_total", 0), m.get("queue", 0), m.get("run", 0), m.get("commit", 0),
    m.get("connection_wait", 0), m.get("bulkhead_api_auth_seconds_total", 0)))' "$1" >&2
}

best() { sort -n | tail -1; }
report() { # NAME OURS ANCHOR
	local ratio
	ratio=$(python3 -c "print('%.2f' % ($2 / $3))")
	printf '%-11s ingest %8s events/s   bulk load %8s rows/s   ratio %sx  %s\n' "$1" "$2" "$3" "$ratio" \
		"$(python3 -c "print('ok (>= 0.5x)' if $2 / $3 >= 0.5 else 'MISSED (< 0.5x)')")"
}

# the arms: this binary, and with BASE=path another (the A/B: each run both,
# their order alternating, each against its own anchor in the same run)
NEW=$BULKHEAD
arms=(new)
[ -n "${BASE:-}" ] && { [ -x "$BASE" ] || bench_die "BASE=$BASE: not an executable"; arms=(new base); }
arm_bin() { if [ "$1" = base ]; then echo "$BASE"; else echo "$NEW"; fi; }
arm_order() { if [ $(($1 % 2)) = 0 ] && [ ${#arms[@]} = 2 ]; then echo "${arms[1]} ${arms[0]}"; else echo "${arms[*]}"; fi; }

echo "ctl-ingest: $AGENTS agents x $BATCHES batches x $BATCH events, best of $RUNS; arms: ${arms[*]}${BASE:+ (base $BASE)}; load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
# ---- SQLite -----------------------------------------------------------------------------
declare -A ours anchor
[[ " $STORES " == *" sqlite "* ]] && for r in $(seq 1 "$RUNS"); do
	for arm in $(arm_order "$r"); do
		BULKHEAD=$(arm_bin "$arm")
		rm -f "$W/ctl.sqlite"*
		serve "$W/ctl.sqlite"
		ours[$arm]+="$(post "$r$arm") "
		stats "sqlite/$arm run $r"
		ctl_stop_serve
		anchor[$arm]+="$(anchor_sqlite) "
	done
done
[[ " $STORES " == *" sqlite "* ]] && for arm in "${arms[@]}"; do
	echo "sqlite/$arm runs: ingest ${ours[$arm]}, bulk load ${anchor[$arm]}"
	report "sqlite/$arm" "$(printf '%s\n' ${ours[$arm]} | best)" "$(printf '%s\n' ${anchor[$arm]} | best)"
done

# ---- PostgreSQL -------------------------------------------------------------------------
if [[ " $STORES " != *" postgresql "* ]]; then
	:
elif ctl_pg_start; then
	URL="$PG_URL"
	ours=(); anchor=()
	declare -A ours anchor
	for r in $(seq 1 "$RUNS"); do
		for arm in $(arm_order "$r"); do
			BULKHEAD=$(arm_bin "$arm")
			runuser -u nobody -- $PG_BIN/psql -q -h "$PGDIR" -U postgres -d postgres \
				-c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public' >/dev/null 2>&1
			serve "$URL"
			ours[$arm]+="$(post "$r$arm") "
			stats "pg/$arm run $r"
			ctl_stop_serve
			anchor[$arm]+="$(anchor_pg) "
		done
	done
	for arm in "${arms[@]}"; do
		echo "pg/$arm runs: ingest ${ours[$arm]}, bulk load ${anchor[$arm]}"
		report "pg/$arm" "$(printf '%s\n' ${ours[$arm]} | best)" "$(printf '%s\n' ${anchor[$arm]} | best)"
	done
else
	echo "postgresql: skipped (needs $PG_BIN/initdb, package postgresql-15)"
fi
