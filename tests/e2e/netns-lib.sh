# SPDX-License-Identifier: Apache-2.0
#
# Two network namespaces for the net tests (after lib.sh): $NA (client,
# 10.78.0.1, interface $IFA) and $NB (server, 10.78.0.2, interface $IFB)
# joined by a veth pair; A routes 10.79.0.0/24 through B (addresses no
# host owns: their packets still cross the wire). Removed at exit.
#
#   netns_pair || skip_all "..."
#   cap_start NAME [FILTER...]  tcpdump on B's side into $T/NAME.pcap, once listening
#   cap_stop NAME     stop it (SIGINT), wait for the file (several may run at once)
#   inspect NAME      bulkhead net inspect --pcap $T/NAME.pcap -> $T/NAME.jsonl
#   threats NAME      "src dst ids" of each flow (ids comma-joined, "-" for none)
#   count_with NAME ID   flows carrying threat ID
#   count_any NAME    flows carrying any threat

netns_pair() {
	NA="bhna-$$-a"
	NB="bhna-$$-b"
	IFA="bha$$a"
	IFB="bha$$b"
	ip netns add "$NA" && ip netns add "$NB" || return 1
	on_exit "ip netns del '$NA' 2>/dev/null; ip netns del '$NB' 2>/dev/null"
	ip link add "$IFA" netns "$NA" type veth peer name "$IFB" netns "$NB" || return 1
	ip -n "$NA" link set lo up
	ip -n "$NB" link set lo up
	ip -n "$NA" addr add 10.78.0.1/24 dev "$IFA"
	ip -n "$NB" addr add 10.78.0.2/24 dev "$IFB"
	ip -n "$NA" link set "$IFA" up
	ip -n "$NB" link set "$IFB" up
	ip -n "$NA" route add 10.79.0.0/24 via 10.78.0.2
	ip netns exec "$NA" ping -c 1 -W 2 10.78.0.2 >/dev/null 2>&1 || return 1
}

cap_start() {
	local name=$1 pid
	shift
	ip netns exec "$NB" tcpdump -i "$IFB" --immediate-mode -U -s 0 -B 16384 -Z root \
		-w "$T/$name.pcap" "$@" 2>"$T/$name.tcpdump" &
	pid=$!
	eval "_cap_$name=$pid"
	on_exit "kill $pid 2>/dev/null"
	for _ in $(seq 100); do grep -q listening "$T/$name.tcpdump" && break; sleep 0.05; done
}

cap_stop() {
	local pid
	eval "pid=\$_cap_$1"
	sleep 0.3
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

inspect() {
	"$BULKHEAD" net inspect --pcap "$T/$1.pcap" >"$T/$1.jsonl" 2>"$T/$1.err"
}

threats() {
	"$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    f=json.loads(l); print(f["src"], f["dst"], ",".join(sorted(t["id"] for t in f["threats"])) or "-")' \
		"$T/$1.jsonl"
}

count_with() {
	"$PY" -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) if sys.argv[2] in [t["id"] for t in json.loads(l)["threats"]]))' \
		"$T/$1.jsonl" "$2"
}

count_any() {
	"$PY" -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["threats"]))' "$T/$1.jsonl"
}

flows() { wc -l <"$T/$1.jsonl" | tr -d ' '; }
