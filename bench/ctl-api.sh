#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# API latency over 10,000 workloads: `bulkhead serve` on SQLite and on a
# PostgreSQL 15 this script starts (initdb as nobody, a unix socket) is
# loaded through the API with $NODES nodes of $PER workloads each (10,000 by
# default) and $EVENTS events; then each list endpoint with its paging and
# filters is asked $N times on one keep-alive HTTPS connection: p50 and p99
# in ms. The anchor, in the same run, is the same SQL with the same values
# run directly on the same database: SQLite by python's sqlite3 in-process,
# PostgreSQL by psql (\timing, the query's own time). Ratio = API / SQL
# (what HTTP, TLS, authentication, JSON and the store's layer add).
# Exits 0 either way.
. "$(dirname "$0")/lib.sh"
bench_init ctl-api
: "${NODES:=100}"
: "${PER:=100}"
: "${EVENTS:=50000}"
: "${N:=100}"
. "$(dirname "$0")/ctl-lib.sh"
ctl_init

# measure: load through the API, then time the lists; writes $W/queries.json
# (each: name, path, sql, params) and prints "name p50 p99" lines
measure() {
	python3 - "$PORT" "$W/cert.pem" "$NODES" "$PER" "$EVENTS" "$N" "$W/queries.json" <<'PY'
import http.client, json, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
nodes, per, events, n, qout = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
ctx = ssl.create_default_context(cafile=ca)
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
def call(method, path, tok, body=None):
    for attempt in (0, 1):
        try:
            c.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
            r = c.getresponse(); data = r.read(); break
        except (ConnectionError, ssl.SSLError, http.client.HTTPException):
            c.close()
            if attempt: raise
    if r.status not in (200, 201):
        raise SystemExit("%s %s: %d %s" % (method, path, r.status, data[:200]))
    return json.loads(data)
c.request("POST", "/api/v1/login", body=json.dumps({"user": "bench", "password": "bench-password"}),
          headers={"Content-Type": "application/json"})
admin = json.loads(c.getresponse().read())["token"]
per_node_ev = events // nodes
sevs = ["INFO", "WARNING", "ERROR", "CRITICAL"]
for i in range(nodes):
    name = "n%d" % i
    tok = call("POST", "/api/v1/tokens", admin, {"node": name})["token"]
    call("POST", "/api/v1/agent/register", tok, {"node": name, "agent_version": "bench"})
    call("POST", "/api/v1/agent/workloads", tok, {"node": name, "workloads": [
        {"id": "%064x" % (i * per + k), "name": "%s-c%d" % (name, k), "image": "docker.io/library/app:%d" % (k % 10),
         "pod": "pod-%d" % k, "namespace": "ns-%d" % (k % 5)} for k in range(per)]})
    seq = 1
    while seq <= per_node_ev:
        m = min(100, per_node_ev - seq + 1)
        call("POST", "/api/v1/agent/events", tok, {"node": name, "first_seq": seq, "events": [
            {"ts": 1700000000 + i * per_node_ev + seq + k, "kind": "alert", "rule": "rule-%d" % ((seq + k) % 20),
             "severity": sevs[(seq + k) % 4], "workload": "%s-c%d" % (name, (seq + k) % per),
             "data": {"output": "event %d of %s" % (seq + k, name)}} for k in range(m)]})
        seq += m
mid = call("GET", "/api/v1/events?limit=1&after=%d" % (events // 2), admin)["items"][0]["id"]
def ev(node=None, sev=None, rule=None, wl=None, since=None, until=None, after=0, limit=100):
    # as bh_ctl_event_list writes it: a condition for each filter given
    sql, p = "SELECT id, node, seq, ts, kind, rule, severity, workload, event_json FROM events WHERE id > ?", [after]
    for col, op, v in (("node", "=", node), ("severity", "=", sev), ("rule", "=", rule),
                       ("workload", "=", wl), ("ts", ">=", since), ("ts", "<=", until)):
        if v is not None:
            sql += " AND %s %s ?" % (col, op); p.append(v)
    return sql + " ORDER BY id LIMIT ?", p + [limit + 1]
# as bh_ctl_workload_page writes it (lease17): paged by (node, id)
WLC = ("SELECT node, container_id, name, image, digest, pod, namespace, started, gone"
       " FROM workloads WHERE ")
WLT = " AND (? = 1 OR gone IS NULL) ORDER BY node, container_id LIMIT ?"
wmid = call("GET", "/api/v1/workloads?limit=%d" % (nodes * per // 2), admin)["next"]
wn, wc = wmid.split("/", 1)
NODES_SQL = ("SELECT n.name, n.registered, n.last_seen, n.agent_version, n.policy_version,"
             " (SELECT COUNT(*) FROM events e WHERE e.node = n.name),"
             " (SELECT MAX(seq) FROM events e WHERE e.node = n.name) FROM nodes n ORDER BY n.name")
qs = [
    ("events page 1", "/api/v1/events?limit=100") + ev(),
    ("events deep page", "/api/v1/events?limit=100&after=%d" % mid) + ev(after=mid),
    ("events severity", "/api/v1/events?severity=CRITICAL&limit=100") + ev(sev="CRITICAL"),
    ("events rule+page", "/api/v1/events?rule=rule-7&limit=100&after=%d" % mid) + ev(rule="rule-7", after=mid),
    ("events workload", "/api/v1/events?workload=n42-c7&limit=50") + ev(wl="n42-c7", limit=50),
    ("events node+time", "/api/v1/events?node=n42&since=2023-11-14T22:13:20Z&limit=100") +
    ev(node="n42", since=1700000000),
    ("workloads node", "/api/v1/workloads?node=n42", WLC + "node = ?" + WLT, ["n42", 0, 501]),
    ("workloads page 1", "/api/v1/workloads", WLC + "1 = 1" + WLT, [0, 501]),
    ("workloads deep page", "/api/v1/workloads?cursor=" + wmid.replace("/", "%2F"),
     WLC + "(node > ? OR (node = ? AND container_id > ?))" + WLT, [wn, wn, wc, 0, 501]),
    ("nodes", "/api/v1/nodes", NODES_SQL, []),
]
json.dump([{"name": a, "path": b, "sql": s, "params": p} for a, b, s, p in qs], open(qout, "w"))
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]
for name, path, _, _ in qs:
    for _ in range(5): call("GET", path, admin)
    t = []
    for _ in range(n):
        t0 = time.perf_counter(); call("GET", path, admin); t.append((time.perf_counter() - t0) * 1000)
    print("%s\t%.3f\t%.3f" % (name, pct(t, 50), pct(t, 99)))
PY
}

# anchor_sqlite DB: the same SQL in-process; "name p50 p99" lines
anchor_sqlite() {
	python3 - "$1" "$W/queries.json" "$N" <<'PY'
import json, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1]); n = int(sys.argv[3])
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]
for q in json.load(open(sys.argv[2])):
    for _ in range(5): db.execute(q["sql"], q["params"]).fetchall()
    t = []
    for _ in range(n):
        t0 = time.perf_counter(); db.execute(q["sql"], q["params"]).fetchall(); t.append((time.perf_counter() - t0) * 1000)
    print("%s\t%.3f\t%.3f" % (q["name"], pct(t, 50), pct(t, 99)))
PY
}

# anchor_pg: the same SQL by psql, each query's time as \timing reports it
anchor_pg() {
	python3 - "$W/queries.json" "$N" "$PGDIR" "$PG_BIN" <<'PY'
import json, re, subprocess, sys
qs = json.load(open(sys.argv[1])); n = int(sys.argv[2]); pgdir, pgbin = sys.argv[3], sys.argv[4]
def lit(v):
    if v is None: return "NULL"
    if isinstance(v, int): return str(v)
    return "'" + v.replace("'", "''") + "'"
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]
for q in qs:
    it = iter(q["params"])
    sql = re.sub(r"\?", lambda m: lit(next(it)), q["sql"])
    script = "\\timing on\n\\o /dev/null\n" + (sql + ";\n") * (n + 5)
    out = subprocess.run(["runuser", "-u", "nobody", "--", pgbin + "/psql", "-q", "-h", pgdir, "-U", "postgres",
                          "-d", "postgres", "-X"], input=script, capture_output=True, text=True, check=True).stdout
    t = [float(x) for x in re.findall(r"Time: ([0-9.]+) ms", out)][5:]
    print("%s\t%.3f\t%.3f" % (q["name"], pct(t, 50), pct(t, 99)))
PY
}

report() { # STORE API-FILE ANCHOR-FILE
	python3 - "$1" "$2" "$3" <<'PY'
import sys
store, a, b = sys.argv[1], sys.argv[2], sys.argv[3]
api = [l.rstrip("\n").split("\t") for l in open(a)]
sql = {l.split("\t")[0]: l.rstrip("\n").split("\t") for l in open(b)}
for name, p50, p99 in api:
    s = sql[name]
    print("%-10s %-18s API p50 %8.2f ms p99 %8.2f ms   SQL p50 %7.2f ms p99 %7.2f ms   p99 ratio %6.1fx"
          % (store, name, float(p50), float(p99), float(s[1]), float(s[2]), float(p99) / max(float(s[2]), 0.001)))
PY
}

echo "ctl-api: $((NODES * PER)) workloads on $NODES nodes, $EVENTS events, $N requests per list; load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
rm -f "$W/ctl.sqlite"*
ctl_serve "$W/ctl.sqlite"
measure >"$W/api-sqlite.txt"
ctl_stop_serve
anchor_sqlite "$W/ctl.sqlite" >"$W/sql-sqlite.txt"
report sqlite "$W/api-sqlite.txt" "$W/sql-sqlite.txt"

if ctl_pg_start -F; then
	ctl_serve "$PG_URL"
	measure >"$W/api-pg.txt"
	ctl_stop_serve
	runuser -u nobody -- $PG_BIN/psql -q -h "$PGDIR" -U postgres -d postgres -c 'ANALYZE' >/dev/null
	anchor_pg >"$W/sql-pg.txt"
	report postgresql "$W/api-pg.txt" "$W/sql-pg.txt"
else
	echo "postgresql: skipped (needs $PG_BIN/initdb, package postgresql-15)"
fi
