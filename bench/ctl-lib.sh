# SPDX-License-Identifier: Apache-2.0
#
# What the controller's benchmarks share (ctl-api, ctl-ingest, ctl-flows): a
# throw-away TLS certificate for 127.0.0.1, `bulkhead serve` on a store with
# the admin "bench", and a PostgreSQL 15 of their own (initdb as nobody, a
# unix socket only). Source it after lib.sh's bench_init:
#   . "$(dirname "$0")/ctl-lib.sh"; ctl_init
PG_BIN=/usr/lib/postgresql/15/bin

# ctl_init: W (the work directory, $BENCH_TMP), $W/cert.pem and key.pem, and
# the trap that stops the controller and PostgreSQL at exit.
ctl_init() {
	command -v openssl >/dev/null || bench_die "openssl is needed"
	command -v curl >/dev/null || bench_die "curl is needed"
	W="$BENCH_TMP"
	chmod 755 "$W"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-keyout "$W/key.pem" -out "$W/cert.pem" -subj /CN=localhost \
		-addext subjectAltName=IP:127.0.0.1 2>/dev/null || bench_die "openssl failed"
	SPID=
	PGDIR=
	trap ctl_cleanup EXIT
}

ctl_cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	[ -n "$PGDIR" ] && runuser -u nobody -- $PG_BIN/pg_ctl -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$BENCH_TMP"
}

# ctl_serve DB: the controller on DB (a file or a postgresql:// URL) with the
# admin bench (password bench-password); sets SPID and PORT.
ctl_serve() {
	printf 'bench-password\n' | "$BULKHEAD" serve user add bench --role admin --db "$1" >/dev/null
	"$BULKHEAD" --log-level info serve --listen 127.0.0.1:0 --tls-cert "$W/cert.pem" \
		--tls-key "$W/key.pem" --db "$1" >"$W/serve.log" 2>&1 &
	SPID=$!
	PORT=
	for _ in $(seq 1 200); do
		PORT=$(sed -n 's/.*controller: serving on .* (port \([0-9]*\)).*/\1/p' "$W/serve.log")
		[ -n "$PORT" ] && break
		sleep 0.05
	done
	[ -n "$PORT" ] || bench_die "the controller did not start: $(cat "$W/serve.log")"
}

ctl_stop_serve() {
	kill "$SPID"
	wait "$SPID" 2>/dev/null || true
	SPID=
}

# ctl_pg_start [SERVER-OPTION...]: PostgreSQL 15 in $W/pg as nobody (e.g. -F:
# no fsync); sets PGDIR and PG_URL. Returns 1 when it is not installed.
ctl_pg_start() {
	[ -x $PG_BIN/initdb ] && id nobody >/dev/null 2>&1 || return 1
	PGDIR="$W/pg"
	mkdir -p "$PGDIR" && chown nobody "$PGDIR"
	(cd "$PGDIR" && runuser -u nobody -- $PG_BIN/initdb -D "$PGDIR/data" -A trust -U postgres --no-sync >/dev/null &&
		runuser -u nobody -- $PG_BIN/pg_ctl -D "$PGDIR/data" -l "$PGDIR/pg.log" -w -t 60 \
			-o "-k $PGDIR -c listen_addresses='' $*" start >/dev/null) || bench_die "postgresql did not start"
	PG_URL="postgresql:///postgres?host=$PGDIR&user=postgres"
}
