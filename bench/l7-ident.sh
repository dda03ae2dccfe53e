#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Protocol identification against tshark (issue 16's figure: >= 99% of the
# flows right, on standard and other ports). Real clients and servers in two
# network namespaces, each protocol on its standard port and on another one,
# recorded by tcpdump; `bulkhead net inspect --pcap` names each flow's app,
# tshark dissects the same file (`-T fields -e frame.protocols`, with `-d`
# decode-as for the other ports only: tshark decides by port, we do not), and
# the two are compared flow by flow. The anchor is tshark's dissection in the
# same run; the figure is the share of flows where our app is tshark's.
#
#   HTTP/1.1 (curl <-> python3 http.server), HTTP/2 prior knowledge (curl
#   --http2-prior-knowledge <-> nginx http2), TLS (curl <-> nginx), DNS over UDP
#   and TCP (dig <-> dnsmasq), MySQL (mariadb <-> mariadbd), Redis (redis-cli
#   <-> redis-server), SSH (ssh <-> sshd), PostgreSQL (psql <-> a hand-made
#   server), SMTP and FTP (python's smtplib and ftplib <-> hand-made servers),
#   Kafka and MongoDB (hand-made both sides: bench/l7_servers.py). The other
#   port of a real server is a socat forwarder in the server's namespace.
#
#   ROUNDS=3 bench/l7-ident.sh        (root; flows per protocol and port)
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
: "${BULKHEAD:=$HERE/../bulkhead}"
ROUNDS=${ROUNDS:-3}
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
[ "$(id -u)" -eq 0 ] || { echo "l7-ident: SKIP: needs root (network namespaces)"; exit 0; }
for t in ip tcpdump tshark curl socat; do
	command -v $t >/dev/null || { echo "l7-ident: SKIP: $t is missing"; exit 0; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/bh-bench-l7id.XXXXXX")
PIDS=()
NA="bhid-$$-a"
NB="bhid-$$-b"
cleanup() {
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
bg() { "$@" >>"$W/servers.log" 2>&1 & PIDS+=($!); }
A() { ip netns exec "$NA" "$@"; }
BX() { bg ip netns exec "$NB" "$@"; }

ip netns add "$NA" && ip netns add "$NB" || { echo "l7-ident: SKIP: no netns"; exit 0; }
ip link add "bhi$$a" netns "$NA" type veth peer name "bhi$$b" netns "$NB"
ip -n "$NA" link set lo up
ip -n "$NB" link set lo up
ip -n "$NA" addr add 10.78.0.1/24 dev "bhi$$a"
ip -n "$NB" addr add 10.78.0.2/24 dev "bhi$$b"
ip -n "$NB" addr add 10.78.0.3/24 dev "bhi$$b"
ip -n "$NA" link set "bhi$$a" up
ip -n "$NB" link set "bhi$$b" up
S=10.78.0.2
H2=10.78.0.3 # nginx's h2c on port 80 (HTTP/1.1 has 10.78.0.2:80)

# ---- servers ----
declare -A HAVE
fwd() { BX socat "TCP-LISTEN:$1,bind=$S,fork,reuseaddr" "TCP:$S:$2"; }
mkdir -p "$W/www" && echo hello >"$W/www/index.html"
for p in 80 9080; do (cd "$W/www" && BX "$PY" -m http.server "$p" --bind "$S"); done
HAVE[http]=1
if command -v nginx >/dev/null && command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=bench.test -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
	cat >"$W/nginx.conf" <<NGX
daemon off; master_process off; worker_processes 1; pid $W/nginx.pid; error_log $W/nginx.err;
events { worker_connections 256; }
http {
	access_log off; client_body_temp_path $W/nb; proxy_temp_path $W/np; fastcgi_temp_path $W/nf;
	uwsgi_temp_path $W/nu; scgi_temp_path $W/ns;
	server { listen $H2:80 http2; listen $S:9081 http2; location / { return 200 "h2\n"; } }
	server { listen $S:443 ssl; listen $S:9443 ssl; ssl_certificate $W/cert.pem;
		ssl_certificate_key $W/key.pem; location / { return 200 "tls\n"; } }
}
NGX
	BX nginx -c "$W/nginx.conf" -e "$W/nginx.err"
	HAVE[http2]=1 HAVE[tls]=1
fi
if command -v dnsmasq >/dev/null && command -v dig >/dev/null; then
	for p in 53 9053; do
		BX dnsmasq --no-daemon --no-resolv --no-hosts --user=root --group=root \
			--listen-address=$S --bind-interfaces --port=$p --pid-file="$W/dm$p.pid" \
			--address=/bench.test/10.1.2.3
	done
	HAVE[dns]=1
fi
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
	BX redis-server --bind $S --port 6379 --save '' --appendonly no --protected-mode no --dir "$W"
	fwd 9379 6379
	HAVE[redis]=1
fi
if command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null; then
	mariadb-install-db --no-defaults --user=root --datadir="$W/my" --auth-root-authentication-method=normal \
		>"$W/myinit.log" 2>&1 &&
		BX mariadbd --no-defaults --user=root --datadir="$W/my" --socket="$W/my.sock" \
			--pid-file="$W/my.pid" --bind-address=$S --port=3306 --skip-log-bin --skip-grant-tables &&
		fwd 9306 3306 && HAVE[mysql]=1
fi
if command -v sshd >/dev/null || [ -x /usr/sbin/sshd ]; then
	ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"
	for p in 22 9022; do
		BX /usr/sbin/sshd -D -e -f /dev/null -h "$W/hostkey" -o ListenAddress=$S -p $p \
			-o PidFile="$W/sshd$p.pid"
	done
	HAVE[ssh]=1
fi
for pr in "smtp 25 9025" "ftp 21 9021" "pgsql 5432 9432" "kafka 9092 19092" "mongo 27017 9017"; do
	set -- $pr
	BX "$PY" "$HERE/l7_servers.py" serve "$1" $S "$2"
	BX "$PY" "$HERE/l7_servers.py" serve "$1" $S "$3"
done
HAVE[smtp]=1 HAVE[ftp]=1 HAVE[kafka]=1 HAVE[mongodb]=1
command -v psql >/dev/null && HAVE[postgresql]=1
sleep 3 # mariadbd and the rest start

# ---- traffic ----
ip netns exec "$NB" tcpdump -i "bhi$$b" --immediate-mode -U -s 0 -B 16384 -w "$W/id.pcap" \
	2>"$W/tcpdump.err" &
TD=$!
PIDS+=($TD)
for _ in $(seq 100); do grep -q listening "$W/tcpdump.err" && break; sleep 0.05; done
q() { timeout 10 ip netns exec "$NA" "$@" >/dev/null 2>&1; }
for _ in $(seq "$ROUNDS"); do
	for p in 80 9080; do q curl -s http://$S:$p/index.html; done
	if [ -n "${HAVE[http2]:-}" ]; then
		q curl -s --http2-prior-knowledge http://$H2:80/
		q curl -s --http2-prior-knowledge http://$S:9081/
		for p in 443 9443; do q curl -sk --resolve bench.test:$p:$S https://bench.test:$p/; done
	fi
	if [ -n "${HAVE[dns]:-}" ]; then
		for p in 53 9053; do
			q dig +tries=1 +time=2 -p $p @$S www.bench.test
			q dig +tcp +tries=1 +time=2 -p $p @$S www.bench.test
		done
	fi
	if [ -n "${HAVE[redis]:-}" ]; then
		for p in 6379 9379; do q redis-cli -h $S -p $p set k v; done
	fi
	if [ -n "${HAVE[mysql]:-}" ]; then
		for p in 3306 9306; do q mariadb -h $S -P $p -u bench -pwrong --skip-ssl -e 'select 1'; done
	fi
	if [ -n "${HAVE[ssh]:-}" ]; then
		for p in 22 9022; do
			q ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
				-o ConnectTimeout=5 -p $p bench@$S true
		done
	fi
	if [ -n "${HAVE[postgresql]:-}" ]; then
		for p in 5432 9432; do
			A env PGCONNECT_TIMEOUT=5 timeout 10 psql -h $S -p $p -U bench -d bench -c 'select 1' \
				>/dev/null 2>&1
		done
	fi
	for p in 25 9025; do
		q "$PY" -c 'import smtplib,sys
s=smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=5); s.ehlo("client.test")
s.sendmail("a@client.test", ["b@mail.test"], "Subject: bench\r\n\r\nhello\r\n"); s.quit()' $S $p
	done
	for p in 21 9021; do
		q "$PY" -c 'import ftplib,sys
f=ftplib.FTP(); f.connect(sys.argv[1], int(sys.argv[2]), timeout=5); f.login("bench", "pw"); f.pwd(); f.quit()' $S $p
	done
	for p in 9092 19092; do q "$PY" "$HERE/l7_servers.py" kafka $S $p; done
	for p in 27017 9017; do q "$PY" "$HERE/l7_servers.py" mongo $S $p; done
done
sleep 0.5
kill -INT $TD
wait $TD 2>/dev/null

# ---- ours and tshark's ----
T0=$(date +%s%N)
"$BULKHEAD" net inspect --pcap "$W/id.pcap" >"$W/ours.jsonl" 2>"$W/ours.err"
T1=$(date +%s%N)
# (27017 too: tshark 4.0 reads MongoDB's own port as TLS unless told; its
# 3 flows then differ, 75 of 78)
DA=(-d tcp.port==9080,http -d tcp.port==9081,http2 -d tcp.port==9443,tls -d udp.port==9053,dns
	-d tcp.port==9053,dns -d tcp.port==9306,mysql -d tcp.port==9432,pgsql -d tcp.port==9379,resp
	-d tcp.port==19092,kafka -d tcp.port==9017,mongo -d tcp.port==9022,ssh -d tcp.port==9025,smtp
	-d tcp.port==9021,ftp -d tcp.port==27017,mongo)
tshark -r "$W/id.pcap" "${DA[@]}" -T fields -E separator=/t -e ip.src -e ip.dst -e tcp.srcport \
	-e tcp.dstport -e udp.srcport -e udp.dstport -e frame.protocols >"$W/tshark.tsv" 2>"$W/tshark.err"
T2=$(date +%s%N)
"$PY" - "$W/ours.jsonl" "$W/tshark.tsv" <<'PYEOF'
import collections, json, sys
# tshark's protocol names, most specific first, as our apps
ORDER = [("http2", "http2"), ("tls", "tls"), ("ssh", "ssh"), ("mysql", "mysql"), ("pgsql", "postgresql"),
         ("mongo", "mongodb"), ("kafka", "kafka"), ("resp", "redis"), ("smtp", "smtp"), ("ftp", "ftp"),
         ("dns", "dns"), ("http", "http")]
theirs = collections.defaultdict(set)
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    if len(f) < 7 or not f[0]:
        continue
    sp, dp = (f[2], f[3]) if f[2] else (f[4], f[5])
    l4 = "tcp" if f[2] else "udp"
    key = (l4,) + tuple(sorted([f[0] + ":" + sp, f[1] + ":" + dp]))
    theirs[key].update(f[6].split(":"))
def app_of(protos):
    for t, ours in ORDER:
        if t in protos:
            return ours
    return "unknown"
per = collections.defaultdict(lambda: [0, 0])
right = total = 0
bad = []
for l in open(sys.argv[1]):
    f = json.loads(l)
    if f["l4"] not in ("tcp", "udp"):
        continue
    key = (f["l4"],) + tuple(sorted([f["src"], f["dst"]]))
    t = app_of(theirs.get(key, ()))
    if t == "unknown" and f["app"] == "unknown":
        continue  # neither saw an application (e.g. a handshake only)
    port = f["dst"].rsplit(":", 1)[1]
    k = "%s/%s %s" % (f["l4"], port, t)
    per[k][1] += 1
    total += 1
    if t == f["app"]:
        per[k][0] += 1
        right += 1
    else:
        bad.append("%s -> %s: ours %s, tshark %s" % (f["src"], f["dst"], f["app"], t))
for k in sorted(per, key=lambda k: (k.split()[1], int(k.split("/")[1].split()[0]))):
    print("  %-24s %d/%d" % (k, per[k][0], per[k][1]))
for b in bad[:20]:
    print("  differs: " + b)
pct = 100.0 * right / total if total else 0
print("l7-ident: %d of %d flows identified as tshark does: %.1f%% (target >= 99%%)" % (right, total, pct))
PYEOF
awk -v a="$((T1 - T0))" -v b="$((T2 - T1))" 'BEGIN {printf "  time: net inspect %.3f s, tshark %.3f s (ratio %.2fx)\n", a / 1e9, b / 1e9, b / a}'
missing=""
for p in http http2 tls dns redis mysql ssh postgresql; do [ -n "${HAVE[$p]:-}" ] || missing="$missing $p"; done
[ -z "$missing" ] || echo "  not measured (server or client missing):$missing"
