#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Quarantine from a network alert (bulkhead net run --quarantine high): the
# time from the offending packet (an SQL injection read from the NFQUEUE) to
# the container frozen and its network cut, p50/p99 over N containers, each
# a bulkhead container in a network namespace the script makes (one after
# another in the same namespace, which `net run --netns` puts through), on
# a veth pair to an HTTP server in another namespace. Each container runs
# 2.5 s (the daemon's inventory has seen it) then sends the injection.
# Anchor, in the same run, interleaved: `bulkhead quarantine` of a container
# of the same kind in the same namespace, its record's apply time (the
# library's call alone, from the call to frozen and cut).
# Target: p99 <= 100 ms. Exits 0 either way (a miss prints MISSED). Needs root.
. "$(dirname "$0")/lib.sh"
bench_init net-quarantine
: "${N:=20}"
[ "$(id -u)" -eq 0 ] || bench_die "needs root (containers, network namespaces, netfilter)"
command -v ip >/dev/null && command -v iptables-nft >/dev/null || bench_die "needs ip and iptables-nft"
W="$BENCH_TMP"
ROOT="$W/state"
QS="$W/qs"
S="bnqb-$$-s"
G="bnqb-$$-g"
NET="10.$((RANDOM % 200 + 20)).$((RANDOM % 250))"
DPID=
SRV=
ids=()
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	for id in "${ids[@]+"${ids[@]}"}"; do
		"$BULKHEAD" --root "$ROOT" quarantine --state-dir "$QS" release "$id" >/dev/null 2>&1
		"$BULKHEAD" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
	done
	ip netns del "$S" 2>/dev/null
	ip netns del "$G" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

ip netns add "$S" && ip netns add "$G" || bench_die "cannot make network namespaces"
ip link add "bnqb$$g" netns "$G" type veth peer name "bnqb$$s" netns "$S" || bench_die "no veth"
ip -n "$S" addr add "$NET.1/24" dev "bnqb$$s"
ip -n "$G" addr add "$NET.2/24" dev "bnqb$$g"
for n in "$S" "$G"; do ip -n "$n" link set lo up; done
ip -n "$S" link set "bnqb$$s" up
ip -n "$G" link set "bnqb$$g" up
mkdir -p "$W/srv"
ip netns exec "$S" python3 tests/e2e/quarantine-peer.py serve "$NET.1" 8080 "$W/srv" >/dev/null 2>&1 &
SRV=$!

"$BULKHEAD" image bundle "$TESTDATA/images/alpine-3.19.4.docker.tar" "$W/b" -- /bin/true \
	>/dev/null || bench_die "cannot make the bundle"
mkb() { # DIR URL-AFTER-2.5s
	mkdir -p "$1"
	python3 - "$W/b/config.json" "$1/config.json" "$W/b/rootfs" "/run/netns/$G" "$2" <<'PY'
import json, sys
src, out, rootfs, netns, url = sys.argv[1:6]
c = json.load(open(src))
c["root"]["path"] = rootfs
c["process"]["args"] = ["/bin/sh", "-c",
    "sleep 2.5; while :; do wget -q -T 1 -O /dev/null \"%s\"; sleep 0.1; done" % url]
for ns in c["linux"]["namespaces"]:
    if ns["type"] == "network":
        ns["path"] = netns
json.dump(c, open(out, "w"))
PY
}
mkb "$W/attack" "http://$NET.1:8080/item?id=1'%20OR%20'1'='1"
mkb "$W/plain" "http://$NET.1:8080/"
start() { # ID BUNDLE
	ids+=("$1")
	"$BULKHEAD" --root "$ROOT" create --bundle "$2" "$1" >"$W/start.out" 2>&1 &&
		"$BULKHEAD" --root "$ROOT" start "$1" >>"$W/start.out" 2>&1
}
finish() { # ID
	"$BULKHEAD" --root "$ROOT" quarantine --state-dir "$QS" release "$1" >/dev/null 2>&1
	"$BULKHEAD" --root "$ROOT" delete --force "$1" >/dev/null 2>&1
}

"$BULKHEAD" net run --state-root "bulkhead:$ROOT" --netns "/run/netns/$G" --mode protect \
	--quarantine high --quarantine-dir "$QS" >"$W/live.out" 2>"$W/live.err" &
DPID=$!
for _ in $(seq 100); do grep -q ready "$W/live.err" && break; sleep 0.05; done
grep -q ready "$W/live.err" || bench_die "net run did not start: $(cat "$W/live.err")"

: >"$W/net.ms"
: >"$W/apply.ms"
: >"$W/anchor.ms"
for i in $(seq "$N"); do
	# the anchor: the command's quarantine of a running container, same namespace
	id="nqa-$$-$i"
	start "$id" "$W/plain" || bench_die "cannot start $id: $(cat "$W/start.out")"
	"$BULKHEAD" --root "$ROOT" quarantine --state-dir "$QS" "$id" >"$W/q.json" 2>/dev/null
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["apply_ns"] / 1e6)' "$W/q.json" \
		>>"$W/anchor.ms" 2>/dev/null || bench_die "no record from bulkhead quarantine"
	finish "$id"
	# the alert
	id="nqn-$$-$i"
	start "$id" "$W/attack" || bench_die "cannot start $id: $(cat "$W/start.out")"
	for _ in $(seq 200); do grep -q "quarantined $id" "$W/live.err" && break; sleep 0.05; done
	line=$(grep "quarantined $id" "$W/live.err") || bench_die "no quarantine of $id: $(tail -3 "$W/live.err")"
	echo "$line" | sed -n 's/.*; \([0-9.]*\) ms after the packet (apply \([0-9.]*\) ms).*/\1/p' >>"$W/net.ms"
	echo "$line" | sed -n 's/.*(apply \([0-9.]*\) ms).*/\1/p' >>"$W/apply.ms"
	finish "$id"
done
kill "$DPID" 2>/dev/null
wait "$DPID" 2>/dev/null
DPID=

pct() { # FILE: p50 p99 fastest
	python3 -c 'import sys
v = sorted(float(l) for l in open(sys.argv[1]) if l.strip())
q = lambda p: v[min(len(v) - 1, int(round(p * (len(v) - 1))))]
print("%.1f %.1f %.1f" % (q(0.5), q(0.99), v[0]))' "$1"
}
read -r a50 a99 amin < <(pct "$W/anchor.ms")
read -r n50 n99 nmin < <(pct "$W/net.ms")
read -r p50 p99 pmin < <(pct "$W/apply.ms")
echo "bulkhead containers (alpine) in a network namespace on a veth pair; net run --mode protect --quarantine high; $(nproc) CPUs, kernel $(uname -r)"
echo "milliseconds ($N each, interleaved):                                p50      p99  fastest"
printf '  %-62s %7s %8s %8s\n' "anchor: bulkhead quarantine, the record's apply time" "$a50" "$a99" "$amin"
printf '  %-62s %7s %8s %8s   %5sx the anchor (p50); p99 <= 100 ms: %s\n' \
	"SQL injection read from the queue -> frozen + cut" "$n50" "$n99" "$nmin" \
	"$(bench_ratio "$n50" "$a50")" "$(bench_verdict "$n99" "<=" 100)"
printf '  %-62s %7s %8s %8s   %5sx the anchor (p50)\n' \
	"  of which bh_quar_apply's own apply time" "$p50" "$p99" "$pmin" "$(bench_ratio "$p50" "$a50")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (timings on a busy machine are noisy)"
