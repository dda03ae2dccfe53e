#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The network policy's cost in the packet engine (issue 16): `bulkhead net
# inspect --pcap F --policy P` against the anchor `net inspect --pcap F` (the
# same engine, no policy) over the same file in the same run. Medians of REPS
# interleaved rounds; the added time per flow and per decision, and the ratio.
#
# The file is made here (deterministic): FLOWS HTTP connections on Ethernet
# from 256 clients to 50 servers (handshake, one GET of a path among 8, a
# response, FIN both ways) and as many DNS query/answer pairs. The policy:
# NGROUPS groups by CIDR (the clients' and servers' at the end of the list)
# in protect, and RULES rules whose first RULES-3 never match (other groups,
# ports, L7 fields), then an HTTP rule (methods, hosts, paths), a DNS rule
# and a deny: every flow walks every rule at each of its decisions (L3/L4,
# app, each record).
#
#   FLOWS=5000 RULES=64 NGROUPS=32 REPS=5 bench/net-policy.sh
set -u
: "${BULKHEAD:=$(cd "$(dirname "$0")/.." && pwd)/bulkhead}"
FLOWS=${FLOWS:-5000}
RULES=${RULES:-64}
NGROUPS=${NGROUPS:-32}
REPS=${REPS:-5}
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
W=$(mktemp -d "${TMPDIR:-/tmp}/bh-bench-netpol.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$W"' EXIT

PYTHONPATH="$(dirname "$0")" "$PY" - "$W/http.pcap" "$W/policy.yaml" "$FLOWS" "$RULES" "$NGROUPS" <<'PYEOF'
import struct, sys
from pcapgen import Pcap, tcp, udp, DNS_QUESTION
out, pol, flows, nrules, ngroups = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
f = Pcap(out)
pkt = f.pkt
for i in range(flows):
    c = bytes([10, 1, (i >> 8) & 255, i & 255]); s = bytes([10, 2, 0, i % 50])
    cp, sp = 20000 + i % 40000, 80
    req = ("GET /api/v%d/items/%d HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: b\r\n\r\n" % (i % 8, i)).encode()
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    cs, ss = 1000, 5000
    pkt(c, s, 6, tcp(cp, sp, cs, 0, 0x02)); pkt(s, c, 6, tcp(sp, cp, ss, cs + 1, 0x12))
    pkt(c, s, 6, tcp(cp, sp, cs + 1, ss + 1, 0x10))
    cs += 1; ss += 1
    pkt(c, s, 6, tcp(cp, sp, cs, ss, 0x18, req)); cs += len(req)
    pkt(s, c, 6, tcp(sp, cp, ss, cs, 0x18, resp)); ss += len(resp)
    pkt(c, s, 6, tcp(cp, sp, cs, ss, 0x11)); pkt(s, c, 6, tcp(sp, cp, ss, cs + 1, 0x11))
    pkt(c, s, 6, tcp(cp, sp, cs + 1, ss + 1, 0x10))
    q = struct.pack(">HHHHHH", i & 0xFFFF, 0x100, 1, 0, 0, 0) + DNS_QUESTION
    a = struct.pack(">HHHHHH", i & 0xFFFF, 0x8180, 1, 1, 0, 0) + DNS_QUESTION + b"\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4" + s
    pkt(c, s, 17, udp(30000 + i % 30000, 53, q))
    pkt(s, c, 17, udp(53, 30000 + i % 30000, a))
f.close()
p = open(pol, "w")
p.write("apiVersion: bulkhead.dev/v1alpha1\nkind: Policy\nspec:\n  rules:\n")
for g in range(ngroups - 2):
    p.write("  - {name: g%d, kind: networkGroup, cidrs: [172.16.%d.0/24], mode: protect}\n" % (g, g))
p.write("  - {name: clients, kind: networkGroup, cidrs: [10.1.0.0/16], mode: protect}\n")
p.write("  - {name: servers, kind: networkGroup, cidrs: [10.2.0.0/16], mode: protect}\n")
for r in range(nrules - 3):
    k = r % 4
    if k == 0:
        p.write("  - {name: r%d, kind: network, verdict: allow, from: [g%d], to: [g%d], ports: [%d]}\n" % (r, r % (ngroups - 2), (r + 1) % (ngroups - 2), 1000 + r))
    elif k == 1:
        p.write("  - {name: r%d, kind: network, verdict: allow, from: [clients], to: [servers], ports: [%d], apps: [redis]}\n" % (r, 6000 + r))
    elif k == 2:
        p.write("  - {name: r%d, kind: network, verdict: allow, fromCidrs: [192.168.%d.0/24], httpPaths: [/x%d/]}\n" % (r, r % 256, r))
    else:
        p.write("  - {name: r%d, kind: network, verdict: deny, from: [g%d], toNames: [\"*.evil%d.example\"]}\n" % (r, r % (ngroups - 2), r))
p.write("  - {name: web, kind: network, verdict: allow, from: [clients], to: [servers], ports: [80], apps: [http], httpMethods: [GET, HEAD], httpHosts: [\"*.example.com\"], httpPaths: [/api/]}\n")
p.write("  - {name: dns, kind: network, verdict: allow, from: [clients], to: [servers], protocol: udp, ports: [53], dnsNames: [\"*.example.com\"]}\n")
p.write("  - {name: no-admin, kind: network, verdict: deny, to: [servers], httpPaths: [/admin/]}\n")
p.close()
PYEOF
F="$W/http.pcap"
P="$W/policy.yaml"
"$BULKHEAD" net inspect --pcap "$F" --policy "$P" >"$W/flows" 2>"$W/err"
rc=$?
DENIED=$(sed -n 's/^net inspect: policy: \([0-9]*\) flows alerted, \([0-9]*\) denied/\1 \2/p' "$W/err")
ALLOWED=$(grep -c '"verdict":"allow"' "$W/flows")
[ "$rc" = 0 ] && [ "$DENIED" = "0 0" ] && [ "$ALLOWED" = $((FLOWS * 2)) ] ||
	{ echo "net-policy: the policy did not allow every flow (rc $rc, $ALLOWED allowed, alerted/denied: $DENIED)"; cat "$W/err"; exit 1; }

. "$(dirname "$0")/lib.sh" # bench_time_of, bench_median, bench_now
: >"$W/none"; : >"$W/pol"
for _ in $(seq "$REPS"); do
	bench_time_of "$BULKHEAD" net inspect --pcap "$F" >>"$W/none"
	bench_time_of "$BULKHEAD" net inspect --pcap "$F" --policy "$P" >>"$W/pol"
done
NONE=$(bench_median <"$W/none")
POL=$(bench_median <"$W/pol")
NF=$((FLOWS * 2))
# decisions: TCP flows 3 (start, app, the request), UDP flows 2 (start, app) + 1 (the query)
ND=$((FLOWS * 3 + FLOWS * 3))
echo "net-policy: $NF flows ($FLOWS HTTP + $FLOWS DNS), $ND decisions, $NGROUPS groups, $RULES rules; median of $REPS"
awk -v a="$NONE" -v b="$POL" -v nf="$NF" -v nd="$ND" 'BEGIN {
	printf "  anchor net inspect, no policy:  %.3f s (%.0f flows/s)\n", a / 1e9, nf / (a / 1e9)
	printf "  net inspect --policy:           %.3f s (%.0f flows/s)\n", b / 1e9, nf / (b / 1e9)
	printf "  added: %.2f us per flow, %.2f us per decision\n", (b - a) / 1e3 / nf, (b - a) / 1e3 / nd
	printf "  ratio: with the policy %.2fx the time of the engine without\n", b / a
}'
