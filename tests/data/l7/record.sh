#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Record the real exchanges tests/unit/test_l7_*.c replay, once, as root:
# real servers on loopback (unusual ports), real clients, tcpdump, then
# tshark writes one line per TCP segment with a payload: "C <hex>" from the
# client, "S <hex>" from the server, "--" between two connections. Needs redis-server/redis-tools,
# mariadb-server/client, postgresql (initdb, postgres, psql, pgbench),
# openssh-server/client, tcpdump, tshark. Not run by the tests.
set -eu
out=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/l7rec.XXXXXX)
chmod 755 "$tmp"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	rm -rf "$tmp"
}
trap cleanup EXIT

cap() { # port name command...: capture the command's traffic with the server on port
	local port=$1 name=$2
	shift 2
	tcpdump -i lo -U -s 0 -w "$tmp/$name.pcap" "tcp port $port" 2>/dev/null &
	local tp=$!
	sleep 1
	"$@" || true
	sleep 1
	kill "$tp"
	wait "$tp" 2>/dev/null || true
	tshark -r "$tmp/$name.pcap" -Y "tcp.len > 0" -T fields -e tcp.stream -e tcp.srcport \
		-e tcp.payload |
		awk -v p="$port" -v max="${MAXHEX:-0}" '
			NR > 1 && $1 != s { print "--" }
			{ s = $1 }
			!max || length($3) <= max { print ($2 == p ? "S" : "C"), $3 }' >"$out/$name.conv"
}

waitport() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "no server on $1" >&2
	return 1
}

# Redis 7: RESP2 and RESP3 (HELLO 3), a pipeline, the CONFIG SET dir attack
redis-server --port 16379 --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" >/dev/null &
pids="$pids $!"
waitport 16379
# (redis-cli reading stdin first asks COMMAND DOCS: its long answer is left
# out of the file, the dissector does not read replies)
MAXHEX=2000 cap 16379 redis sh -c 'printf "SET greeting hello\nGET greeting\nCONFIG GET dir\nCONFIG SET dir /tmp\n" |
	redis-cli -p 16379 >/dev/null'
cap 16379 redis-resp3 redis-cli -3 -p 16379 PING

# MariaDB 10.11 (no TLS configured): login with a database, queries, USE, a
# 20000-byte statement (recorded cut at 16 KiB)
mariadb-install-db --no-defaults --datadir="$tmp/my" --user=root >/dev/null 2>&1
mariadbd --no-defaults --datadir="$tmp/my" --user=root --port=13306 --bind-address=127.0.0.1 \
	--socket="$tmp/my.sock" --skip-grant-tables >/dev/null 2>&1 &
pids="$pids $!"
waitport 13306
big=$(head -c 20000 /dev/zero | tr '\0' a)
cap 13306 mysql mariadb --no-defaults -h 127.0.0.1 -P 13306 -u app -D mysql \
	-e "SELECT user, host FROM user WHERE user = 'x'; USE test; SELECT LENGTH('$big')" >/dev/null

# PostgreSQL 15: sslmode=prefer (SSLRequest answered N), startup, a simple
# query; pgbench -M extended for Parse
mkdir "$tmp/pg" "$tmp/pgs"
chown nobody "$tmp/pg" "$tmp/pgs"
runuser -u nobody -- initdb -D "$tmp/pg" -U postgres -A trust >/dev/null
runuser -u nobody -- postgres -D "$tmp/pg" -p 15432 -k "$tmp/pgs" -c listen_addresses=127.0.0.1 \
	>/dev/null 2>&1 &
pids="$pids $!"
waitport 15432
cap 15432 postgresql sh -c 'PGSSLMODE=prefer psql -X -h 127.0.0.1 -p 15432 -U postgres -d postgres \
	-c "SELECT datname FROM pg_database WHERE datname = '"'"'x'"'"'" >/dev/null'
printf '\\set n 7\nSELECT :n + 1;\n' >"$tmp/pgb.sql"
cap 15432 postgresql-extended env PGSSLMODE=disable pgbench -n -M extended -t 1 -f "$tmp/pgb.sql" \
	-h 127.0.0.1 -p 15432 -U postgres postgres

# OpenSSH 9.2: identification lines and KEXINIT both ways (the login fails)
ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey"
mkdir -p /run/sshd
/usr/sbin/sshd -D -p 12222 -o ListenAddress=127.0.0.1 -h "$tmp/hostkey" -o PidFile=none \
	-o PasswordAuthentication=no &
pids="$pids $!"
waitport 12222
cap 12222 ssh ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-p 12222 nobody@127.0.0.1 true
