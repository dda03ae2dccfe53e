#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The live path's cost (issue 16, "Figures"): traffic between two network
# namespaces made here (a veth pair), the server's namespace put through
# `bulkhead net run`, against anchors measured in the same run:
#   no-queue    the plain kernel path (no daemon, no rules)
#   accept-all  `net run --accept-all`: the same NFQUEUE rules and socket,
#               every packet accepted unread (the minimal consumer)
#   full        `net run --no-offload`: every packet through the engine
#   offload     `net run`: flows the engine settles are connmarked and leave
#               the queue
#   rules       no daemon: conntrack and a chain made here like net run's in
#               its offloaded steady state (the give-up mark's two rules, a connection's first packet
#               sets both directions' connmark bits; the offloaded-direction
#               accepts, then the bare-ACK BPF rule): the cost of the kernel
#               rules and conntrack alone, the floor offload can reach
# Bulk: iperf3 (DUR seconds, one TCP stream; an unknown protocol, so its
# data is scanned for data leaks for its first MiB, then offloaded);
# medians of REPS interleaved rounds. Ratios: full/accept-all (target
# >= 0.7), offload/no-queue (target >= 0.9) and rules/no-queue. Requests: redis-benchmark
# (SET and GET, 50 clients) with no queue, with full inspection
# (--no-offload: both directions queued) and with offload (the replies,
# which the Redis dissector never parses, leave the queue once the flow is
# identified and decided; every request is still queued and inspected):
# requests/s and the added p99 latency (target <= 1 ms). Each run's summary
# line (packets, offloaded, the time packets were held from read to
# verdict) is printed as a comment.
#
# BASE=binary adds, in the same rounds, that build's full and offload runs
# of redis-benchmark (an A/B against an older bulkhead, each round both);
# ONLY=redis skips iperf3.
#
#   REPS=3 DUR=3 bench/net-live.sh
#   BASE=/tmp/bulkhead-old ONLY=redis REPS=5 bench/net-live.sh
set -u
: "${BULKHEAD:=$(cd "$(dirname "$0")/.." && pwd)/bulkhead}"
REPS=${REPS:-3}
DUR=${DUR:-3}
REQS=${REQS:-50000}
BASE=${BASE:-}
ONLY=${ONLY:-}
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
for t in ip iperf3 redis-server redis-benchmark iptables-nft; do
	command -v "$t" >/dev/null || { echo "net-live: $t is needed" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "net-live: needs root (network namespaces)" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/bh-bench-live.XXXXXX")
A="bhbl-$$-a"
B="bhbl-$$-b"
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -s "$W/iperf.pid" ] && kill "$(cat "$W/iperf.pid")" 2>/dev/null
	[ -s "$W/redis.pid" ] && kill "$(cat "$W/redis.pid")" 2>/dev/null
	sleep 0.2
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
# the machine's load, before and after: the figures are only as quiet as it
echo "# load at start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
ip netns add "$A" && ip netns add "$B" || exit 1
ip link add "bbl$$a" netns "$A" type veth peer name "bbl$$b" netns "$B" || exit 1
ip -n "$A" addr add 10.98.0.1/24 dev "bbl$$a"
ip -n "$B" addr add 10.98.0.2/24 dev "bbl$$b"
for n in "$A" "$B"; do ip -n "$n" link set lo up; done
ip -n "$A" link set "bbl$$a" up
ip -n "$B" link set "bbl$$b" up
SRV=10.98.0.2
ip netns exec "$B" iperf3 -s -B "$SRV" -D -I "$W/iperf.pid" >/dev/null 2>&1
ip netns exec "$B" redis-server --bind "$SRV" --port 6379 --save '' --appendonly no \
	--protected-mode no --daemonize yes --pidfile "$W/redis.pid" --dir "$W" >/dev/null
sleep 0.5

start() { # start ARGS...: net run on B, waits for ready ($BIN: another build)
	"${BIN:-$BULKHEAD}" net run --netns "/run/netns/$B" --queue 3 "$@" >"$W/flows" 2>"$W/err" &
	DPID=$!
	for i in $(seq 100); do grep -q ready "$W/err" && return 0; sleep 0.05; done
	echo "net-live: net run did not start: $(cat "$W/err")" >&2
	exit 1
}
rules() { # rules on|off: the steady-state chain of an offloaded run, no queue
	# the bare-segment program net run builds (live.c, bare_bytecode), IPv4
	local b4='11,177 0 0 0,80 0 0 12,84 0 0 240,116 0 0 2,12 0 0 0,7 0 0 0,40 0 0 2,28 0 0 0,21 0 1 0,6 0 0 1,6 0 0 0'
	if [ "$1" = on ]; then
		ip netns exec "$B" sh -c "iptables-nft -N BHBENCH &&
		iptables-nft -A BHBENCH -m mark --mark 0x800000/0x800000 -j CONNMARK --set-xmark 0x0/0x600000 &&
		iptables-nft -A BHBENCH -m mark --mark 0x800000/0x800000 -j ACCEPT &&
		iptables-nft -A BHBENCH -m connmark --mark 0x200000/0x200000 -m conntrack --ctdir ORIGINAL -j ACCEPT &&
		iptables-nft -A BHBENCH -m connmark --mark 0x400000/0x400000 -m conntrack --ctdir REPLY -j ACCEPT &&
		iptables-nft -A BHBENCH -p tcp --tcp-flags SYN,FIN,RST NONE -m connmark --mark 0x200000/0x200000 -m conntrack --ctdir REPLY -m bpf --bytecode '$b4' -j ACCEPT &&
		iptables-nft -A BHBENCH -j CONNMARK --set-xmark 0x200000/0x200000 &&
		iptables-nft -A BHBENCH -j ACCEPT &&
		iptables-nft -I INPUT ! -i lo -j BHBENCH && iptables-nft -I OUTPUT ! -o lo -j BHBENCH" ||
			{ echo "net-live: the rules anchor's chain" >&2; exit 1; }
	else
		ip netns exec "$B" sh -c "iptables-nft -D INPUT ! -i lo -j BHBENCH;
		iptables-nft -D OUTPUT ! -o lo -j BHBENCH; iptables-nft -F BHBENCH; iptables-nft -X BHBENCH"
	fi
}
stop() {
	[ -n "$DPID" ] || return 0
	kill "$DPID"
	wait "$DPID"
	DPID=
}
gbps() {
	ip netns exec "$A" iperf3 -c "$SRV" -t "$DUR" -J 2>/dev/null |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9)'
}
declare -A R
P=() Q=() O=() BQ=() BO=()
[ "$ONLY" = redis ] || for r in $(seq "$REPS"); do
	R[plain]+="$(gbps) "
	start --accept-all; R[accept]+="$(gbps) "; stop
	start --no-offload; R[full]+="$(gbps) "; stop
	start; R[offload]+="$(gbps) "; stop
	rules on; R[rules]+="$(gbps) "; rules off
	tail -1 "$W/err" | sed 's/^/# offload run: /'
done
[ "$ONLY" = redis ] || {
med() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A M
for k in plain accept full offload rules; do M[$k]=$(echo "${R[$k]}" | med); done
printf "iperf3, one TCP stream, %s s, median of %s rounds (Gbit/s)\n" "$DUR" "$REPS"
for k in plain accept full offload rules; do printf '  %-10s %6.2f   [%s]\n' "$k" "${M[$k]}" "${R[$k]% }"; done
"$PY" - "${M[full]}" "${M[accept]}" "${M[offload]}" "${M[plain]}" "${M[rules]}" <<'PYEOF'
import sys
full, acc, off, plain, rules = map(float, sys.argv[1:])
print("  full inspection / accept-all consumer: %.2f (target >= 0.7)" % (full / acc))
print("  offload / no queue:                    %.2f (target >= 0.9)" % (off / plain))
print("  rules alone (conntrack) / no queue:    %.2f; offload / rules alone: %.2f" % (rules / plain, off / rules))
PYEOF
}

rb() { # requests/s and p99 ms of SET and GET, averaged
	ip netns exec "$A" redis-benchmark -h "$SRV" -t set,get -n "$REQS" -c 50 --csv 2>/dev/null |
		"$PY" -c 'import csv,sys
rows=[r for r in csv.DictReader(sys.stdin)]
print("%.0f %.3f" % (sum(float(r["rps"]) for r in rows)/len(rows), sum(float(r["p99_latency_ms"]) for r in rows)/len(rows)))'
}
for r in $(seq "$REPS"); do
	P+=("$(rb)")
	start --no-offload; Q+=("$(rb)"); stop
	tail -1 "$W/err" | sed 's/^/# full run: /'
	start; O+=("$(rb)"); stop
	tail -1 "$W/err" | sed 's/^/# offload run: /'
	if [ -n "$BASE" ]; then
		BIN=$BASE start --no-offload; BQ+=("$(rb)"); stop
		BIN=$BASE start; BO+=("$(rb)"); stop
		tail -1 "$W/err" | sed 's/^/# BASE offload run: /'
	fi
done
"$PY" - "${P[@]}" -- "${Q[@]}" -- "${O[@]}" -- "${BQ[@]}" -- "${BO[@]}" <<'PYEOF'
import sys, statistics as st
a = sys.argv[1:]; i = a.index("--"); j = a.index("--", i + 1)
k = a.index("--", j + 1); m = a.index("--", k + 1)
p, q, o, bq, bo = a[:i], a[i + 1:j], a[j + 1:k], a[k + 1:m], a[m + 1:]
med = lambda v, k: st.median(float(x.split()[k]) for x in v)
print("redis-benchmark SET+GET, 50 clients, median of %d rounds:" % len(p))
print("  no queue:        %8.0f req/s  p99 %.3f ms" % (med(p, 0), med(p, 1)))
print("  full inspection: %8.0f req/s  p99 %.3f ms" % (med(q, 0), med(q, 1)))
print("  offload:         %8.0f req/s  p99 %.3f ms" % (med(o, 0), med(o, 1)))
print("  full: ratio %.2f; added p99 %.3f ms (target <= 1 ms)" % (med(q, 0) / med(p, 0), med(q, 1) - med(p, 1)))
print("  offload (replies leave the queue, every request inspected): ratio %.2f; added p99 %.3f ms (target <= 1 ms)" % (med(o, 0) / med(p, 0), med(o, 1) - med(p, 1)))
if bq:
    print("  BASE full:       %8.0f req/s  p99 %.3f ms (added %.3f)" % (med(bq, 0), med(bq, 1), med(bq, 1) - med(p, 1)))
    print("  BASE offload:    %8.0f req/s  p99 %.3f ms (added %.3f)" % (med(bo, 0), med(bo, 1), med(bo, 1) - med(p, 1)))
PYEOF
echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
