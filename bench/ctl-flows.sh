#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Flow ingestion into the controller (flows17): $AGENTS simulated agents
# (python threads, one keep-alive HTTPS connection and node token each) POST
# $BATCHES batches of 4 flows records of $EDGES edges each to `bulkhead serve`
# (POST /api/v1/agent/flows: parsed, one transaction per batch, each edge an
# upsert summed by (minute, node, edge)) into SQLite. The figure is edges/s;
# the anchor, in the same run, is SQLite loading the same rows in bulk on its
# own (python's sqlite3, executemany of the same upsert in one transaction
# into the same table). Exits 0 either way.
. "$(dirname "$0")/lib.sh"
bench_init ctl-flows
: "${AGENTS:=20}"
: "${BATCHES:=10}"
: "${EDGES:=60}"
. "$(dirname "$0")/ctl-lib.sh"
ctl_init
ctl_serve "$W/c.sqlite"
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$PORT" "$W/cert.pem" "$AGENTS" "$BATCHES" "$EDGES" "$W/c.sqlite" "$W/anchor.sqlite" <<'PY'
import http.client, json, sqlite3, ssl, sys, threading, time
port, ca = int(sys.argv[1]), sys.argv[2]
agents, batches, edges = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
db, anchor = sys.argv[6], sys.argv[7]
ctx = ssl.create_default_context(cafile=ca)
def call(c, path, tok, body):
    c.request("POST", path, body=json.dumps(body),
              headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    r = c.getresponse(); data = r.read()
    if r.status not in (200, 201):
        raise SystemExit("%s: %d %s" % (path, r.status, data[:200]))
    return json.loads(data)
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
admin = call(c, "/api/v1/login", "", {"user": "bench", "password": "bench-password"})["token"]
toks = [call(c, "/api/v1/tokens", admin, {"node": "n%d" % i})["token"] for i in range(agents)]
now = int(time.time())
def rec(a, b, r):
    return {"kind": "flows", "ts": now, "edges": [{"src": "w%d-%d" % (a, e % 30), "dst": "d%d" % ((b * 4 + r + e) % 500),
            "port": 5432, "l4": "tcp", "app": "postgresql", "bytes": 100 + e, "packets": 4, "conns": 1,
            "allowed": 1, "threats": ["BH-NET-SQLI"] if e % 50 == 0 else []} for e in range(edges)]}
bodies = [[{"node": "n%d" % a, "first_seq": b * 4 + 1, "records": [rec(a, b, r) for r in range(4)]}
           for b in range(batches)] for a in range(agents)]
def agent(a):
    k = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    call(k, "/api/v1/agent/register", toks[a], {"node": "n%d" % a, "agent_version": "bench"})
    for b in bodies[a]:
        call(k, "/api/v1/agent/flows", toks[a], b)
t0 = time.time()
ts = [threading.Thread(target=agent, args=(a,)) for a in range(agents)]
[t.start() for t in ts]; [t.join() for t in ts]
t1 = time.time()
total = agents * batches * 4 * edges
stored = sqlite3.connect(db).execute("select count(*) from flow_seqs").fetchone()[0]
# the anchor: the same upserts by SQLite alone, one transaction
s = sqlite3.connect(anchor)
s.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
s.execute(sqlite3.connect(db).execute("select sql from sqlite_master where name='flows'").fetchone()[0])
rows = [(now - now % 60, b["node"], e["src"], e["dst"], 5432, "tcp", "postgresql", 0, 0, e["bytes"], 4, 1, 1, 0, now)
        for bs in bodies for b in bs for r in b["records"] for e in r["edges"]]
a0 = time.time()
with s:
    s.executemany("INSERT INTO flows (bucket, node, src, dst, port, l4, app, src_peer, dst_peer, bytes, packets,"
                  " conns, allowed, denied, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                  " ON CONFLICT (bucket, node, src, dst, port, l4, app) DO UPDATE SET bytes = flows.bytes + excluded.bytes,"
                  " conns = flows.conns + excluded.conns", rows)
a1 = time.time()
api, bulk = total / (t1 - t0), total / (a1 - a0)
print("flows ingest: %d agents, %d edges in %d records (%d stored) in %.2f s: %.0f edges/s" %
      (agents, total, agents * batches * 4, stored, t1 - t0, api))
print("anchor (sqlite3 executemany, one transaction): %.0f edges/s; ratio %.2fx" % (bulk, api / bulk))
PY
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
