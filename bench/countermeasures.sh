#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The SP 800-190 countermeasure view (GET /api/v1/countermeasures, counted
# from the store at each request) on a SQLite store seeded with $WORKLOADS
# running workloads, $IMAGES images of 10 findings each and $EVENTS events
# of the last two days. The figure is the request's time (curl, HTTPS, a
# token; best of $RUNS); the anchor, in the same run, is SQLite itself
# (python's sqlite3) running the same count queries, taken from the compiled
# table (build/rel/src/ctl/counter.o) with every `?` bound to now.
# Exits 0 either way.
. "$(dirname "$0")/lib.sh"
bench_init countermeasures
: "${WORKLOADS:=10000}"
: "${IMAGES:=1000}"
: "${EVENTS:=50000}"
: "${COUNTER_O:=build/rel/src/ctl/counter.o}"
command -v openssl >/dev/null || bench_die "openssl is needed"
command -v curl >/dev/null || bench_die "curl is needed"
[ -f "$COUNTER_O" ] || bench_die "no $COUNTER_O (make first, or set COUNTER_O)"
W="$BENCH_TMP"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-keyout "$W/key.pem" -out "$W/cert.pem" -subj /CN=localhost \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null || bench_die "openssl failed"
printf 'bench-password\n' | "$BULKHEAD" serve user add bench --role reader --db "$W/c.sqlite" >/dev/null
python3 - "$W/c.sqlite" "$WORKLOADS" "$IMAGES" "$EVENTS" <<'PY'
import random, sqlite3, sys, time
db, nw, ni, ne = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
random.seed(17)
c = sqlite3.connect(db); now = int(time.time())
c.execute("INSERT INTO nodes VALUES ('n1', ?, ?, '1', NULL)", (now, now))
imgs = ['sha256:%064x' % i for i in range(ni)]
c.executemany("INSERT INTO images (repository, digest, first_seen, scanned_at, max_severity)"
              " VALUES (?, ?, ?, ?, ?)", [('r%d' % i, d, now, now - random.randint(0, 20 * 86400),
                                          random.randint(-1, 4)) for i, d in enumerate(imgs)])
c.executemany("INSERT INTO image_vulns VALUES (?, ?, 'p', '1', NULL, ?)",
              [(d, 'CVE-%d' % j, random.randint(0, 4)) for d in imgs for j in range(10)])
c.executemany("INSERT INTO workloads (node, container_id, digest, report) VALUES ('n1', ?, ?, 1)",
              [('c%d' % i, random.choice(imgs + ['sha256:' + 'f' * 64])) for i in range(nw)])
c.executemany("INSERT INTO events (node, seq, ts, kind, rule, severity, workload, event_json)"
              " VALUES ('n1', ?, ?, 'alert', ?, ?, 'c1', '{}')",
              [(i, now - random.randint(0, 2 * 86400), 'r%d' % (i % 20),
                random.choice(['CRITICAL', 'WARNING', 'ERROR'])) for i in range(1, ne + 1)])
c.commit()
PY
"$BULKHEAD" --log-level info serve --listen 127.0.0.1:0 --tls-cert "$W/cert.pem" --tls-key "$W/key.pem" \
	--db "$W/c.sqlite" --workers 2 >"$W/serve.log" 2>&1 &
SPID=$!
trap 'kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; rm -rf "$BENCH_TMP"' EXIT
PORT=
for _ in $(seq 1 200); do
	PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$W/serve.log")
	[ -n "$PORT" ] && break
	sleep 0.05
done
[ -n "$PORT" ] || bench_die "serve did not start: $(tail -3 "$W/serve.log")"
TOK=$(curl -sS --cacert "$W/cert.pem" -H 'Content-Type: application/json' \
	--data '{"user":"bench","password":"bench-password"}' "https://127.0.0.1:$PORT/api/v1/login" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
api=
for _ in $(seq 1 "$RUNS"); do
	t=$(curl -sS -o "$W/out.json" -w '%{time_total}' --cacert "$W/cert.pem" \
		-H "Authorization: Bearer $TOK" "https://127.0.0.1:$PORT/api/v1/countermeasures")
	api=$(python3 -c "print(min(x for x in [$t, ${api:-1e9}]))")
done
strings -n 20 "$COUNTER_O" | grep '^SELECT COUNT' >"$W/q.txt"
direct=$(python3 - "$W/c.sqlite" "$W/q.txt" "$RUNS" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1]); qs = [l.rstrip('\n') for l in open(sys.argv[2])]
best = 1e9
for _ in range(int(sys.argv[3])):
    now = int(time.time()); t = time.perf_counter()
    for q in qs:
        c.execute(q, [now] * q.count('?')).fetchall()
    best = min(best, time.perf_counter() - t)
print('%.4f' % best)
PY
)
echo "countermeasures: $WORKLOADS workloads, $IMAGES images, $EVENTS events: API $api s, SQLite alone $direct s ($(wc -l <"$W/q.txt") queries), ratio $(python3 -c "print('%.2f' % ($api / $direct))")x; load $(cut -d' ' -f1 /proc/loadavg)"
