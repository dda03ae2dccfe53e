#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Workload: PostgreSQL 15 (initdb, then the server on 127.0.0.1:5432 and a
# socket in /tmp) under pgbench (scale 2, 4 clients on 2 threads, 1500
# transactions), then its own checks: pgbench's counts, no failed
# transaction, the tables' rows, a query of its own; exits 0 when every check
# passed. Runs as the postgres user (the server refuses root).
#   postgres.sh [work|new]  new: also CREATE TABLESPACE (the server makes a
#                           symbolic link, which the work never does), new=RC
set -u
MODE=${1:-work}
PGBIN=/usr/lib/postgresql/15/bin
W=/tmp/pg
fail=0
check() { # NAME OK?
	if [ "$2" = 0 ]; then echo "check $1 ok"; else echo "check $1 FAIL"; fail=1; fi
}
sql() { $PGBIN/psql -X -q -A -t -h 127.0.0.1 -U postgres -d postgres -c "$1"; }
mkdir -p $W || exit 1
$PGBIN/initdb -N -D $W/data -U postgres -A trust -E UTF8 --locale=C >$W/initdb.log 2>&1
check "initdb" $?
$PGBIN/pg_ctl -D $W/data -l $W/server.log -w -t 60 \
	-o "-c listen_addresses=127.0.0.1 -c port=5432 -k /tmp -c fsync=off -c shared_buffers=16MB -c jit=off" \
	start >/dev/null
check "the server starts" $?
$PGBIN/pgbench -h 127.0.0.1 -U postgres -i -s 2 -q postgres >$W/init.out 2>&1
check "pgbench -i" $?
$PGBIN/pgbench -h 127.0.0.1 -U postgres -c 4 -j 2 -t 375 postgres >$W/bench.out 2>&1
check "pgbench" $?
check "1500 transactions processed" \
	"$(grep -q '^number of transactions actually processed: 1500/1500' $W/bench.out && echo 0 || echo 1)"
check "no failed transaction" \
	"$(grep -Eq '^number of failed transactions: 0( |$)' $W/bench.out && echo 0 || echo 1)"
check "200000 accounts" "$([ "$(sql 'select count(*) from pgbench_accounts')" = 200000 ] && echo 0 || echo 1)"
check "1500 history rows" "$([ "$(sql 'select count(*) from pgbench_history')" = 1500 ] && echo 0 || echo 1)"
check "the balances add up" "$([ "$(sql 'select (select sum(abalance) from pgbench_accounts) = (select sum(delta) from pgbench_history)')" = t ] && echo 0 || echo 1)"
sql 'create table t (k int primary key, v text)' &&
	sql "insert into t select g, md5(g::text) from generate_series(1, 1000) g"
check "a table of its own" "$([ "$(sql 'select v from t where k = 7')" = "$(printf 7 | md5sum | cut -d' ' -f1)" ] && echo 0 || echo 1)"

if [ "$MODE" = new ]; then
	mkdir -p $W/ts
	sql "create tablespace ts location '$W/ts'" 2>$W/new.err
	echo "new=$?"
	cat $W/new.err
fi

$PGBIN/pg_ctl -D $W/data -m fast -w -t 60 stop >/dev/null
check "the server stops" $?
[ $fail = 0 ] && echo "RESULT ok" || echo "RESULT FAIL"
exit $fail
