#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The packet engine's speed over a capture file (issue 16): `bulkhead net
# inspect --pcap` over a large pcap against two anchors reading the same file
# in the same run: `tcpdump -r F -w /dev/null` (read and write back, no
# dissection) and `tshark -r F -q -z conv,tcp` (Wireshark's dissection and
# conversation table: the closest tool to what inspect does). Medians of
# REPS interleaved rounds; packets/s, MB/s and the ratios. Also the cost of
# the per-flow packet rings (`--capture-dir`: every packet copied into its
# flow's ring; no alert in this file, so no file is written) against the
# same command without them, in the same rounds.
#
# The file is made here (deterministic): FLOWS TCP connections between
# many hosts on Ethernet, each a handshake, SEGS data segments of 1448 bytes
# each way (every 7th pair out of order), FIN both ways; and as many DNS-like
# UDP exchanges. With no protocol parser built in yet, flows are identified
# as unknown after their first bytes and their reassembly stops there: this
# measures decoding, flows, and identification's first step.
#
#   FLOWS=2000 SEGS=30 REPS=3 bench/net-inspect.sh
set -u
: "${BULKHEAD:=$(cd "$(dirname "$0")/.." && pwd)/bulkhead}"
FLOWS=${FLOWS:-2000}
SEGS=${SEGS:-30}
REPS=${REPS:-3}
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
W=$(mktemp -d "${TMPDIR:-/tmp}/bh-bench-net.XXXXXX")
trap 'rm -rf "$W"' EXIT

PYTHONPATH="$(dirname "$0")" "$PY" - "$W/big.pcap" "$FLOWS" "$SEGS" <<'PYEOF'
import struct, sys
from pcapgen import Pcap, tcp, udp, DNS_QUESTION
out, flows, segs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
f = Pcap(out)
pkt = f.pkt
payload = bytes(range(256)) * 6
payload = payload[:1448]
for i in range(flows):
    c = bytes([10, 1, (i >> 8) & 255, i & 255]); s = bytes([10, 2, 0, i % 50])
    cp, sp = 20000 + i % 40000, 80
    cs, ss = 1000, 5000
    pkt(c, s, 6, tcp(cp, sp, cs, 0, 0x02)); pkt(s, c, 6, tcp(sp, cp, ss, cs + 1, 0x12))
    pkt(c, s, 6, tcp(cp, sp, cs + 1, ss + 1, 0x10))
    cs += 1; ss += 1
    for k in range(segs):
        a = (c, s, 6, tcp(cp, sp, cs, ss, 0x18, payload))
        b = (s, c, 6, tcp(sp, cp, ss, cs + 1448, 0x18, payload))
        if k % 7 == 3:
            pkt(*b); pkt(*a)
        else:
            pkt(*a); pkt(*b)
        cs += 1448; ss += 1448
    pkt(c, s, 6, tcp(cp, sp, cs, ss, 0x11)); pkt(s, c, 6, tcp(sp, cp, ss, cs + 1, 0x11))
    pkt(c, s, 6, tcp(cp, sp, cs + 1, ss + 1, 0x10))
    q = struct.pack(">HHHHHH", i & 0xFFFF, 0x100, 1, 0, 0, 0) + DNS_QUESTION
    pkt(c, s, 17, udp(30000 + i % 30000, 53, q))
    pkt(s, c, 17, udp(53, 30000 + i % 30000, q + bytes(16)))
f.close()
PYEOF
F="$W/big.pcap"
SIZE=$(stat -c %s "$F")
PKTS=$("$BULKHEAD" net inspect --pcap "$F" 2>&1 >/dev/null | sed -n 's/^net inspect: \([0-9]*\) packets.*/\1/p')
[ -n "$PKTS" ] || { echo "net-inspect: bulkhead net inspect failed"; exit 1; }

. "$(dirname "$0")/lib.sh" # bench_time_of, bench_median, bench_now

HAVE_TD=0; command -v tcpdump >/dev/null && HAVE_TD=1
HAVE_TS=0; command -v tshark >/dev/null && HAVE_TS=1
: >"$W/bh"; : >"$W/td"; : >"$W/ts"; : >"$W/ring"
for _ in $(seq "$REPS"); do
	bench_time_of "$BULKHEAD" net inspect --pcap "$F" >>"$W/bh"
	bench_time_of "$BULKHEAD" net inspect --pcap "$F" --capture-dir "$W/cap" >>"$W/ring"
	[ $HAVE_TD = 1 ] && bench_time_of tcpdump -r "$F" -w /dev/null >>"$W/td"
	[ $HAVE_TS = 1 ] && bench_time_of tshark -r "$F" -q -z conv,tcp >>"$W/ts"
done
BH=$(bench_median <"$W/bh")
rate() { awk -v n="$1" -v b="$2" -v ns="$3" 'BEGIN {printf "%.0f packets/s, %.1f MB/s (%.3f s)", n / (ns / 1e9), b / 1e6 / (ns / 1e9), ns / 1e9}'; }
echo "net-inspect: $PKTS packets, $((SIZE / 1000000)) MB, $FLOWS TCP flows of $((SEGS * 2)) data segments + $FLOWS UDP; median of $REPS"
echo "  bulkhead net inspect:         $(rate "$PKTS" "$SIZE" "$BH")"
RING=$(bench_median <"$W/ring")
echo "  ... with per-flow rings:        $(rate "$PKTS" "$SIZE" "$RING")"
awk -v a="$RING" -v b="$BH" 'BEGIN {printf "  ratio: with rings is %.2fx the time without (anchor: inspect without rings)\n", a / b}'
[ -z "$(ls -A "$W/cap" 2>/dev/null)" ] || echo "  (unexpected: capture files were written)"
if [ $HAVE_TD = 1 ]; then
	TD=$(bench_median <"$W/td")
	echo "  anchor tcpdump -r -w /dev/null: $(rate "$PKTS" "$SIZE" "$TD")"
	awk -v a="$TD" -v b="$BH" 'BEGIN {printf "  ratio: inspect is %.2fx the speed of tcpdump -r\n", a / b}'
else
	echo "  anchor tcpdump: SKIP: tcpdump is missing"
fi
if [ $HAVE_TS = 1 ]; then
	TS=$(bench_median <"$W/ts")
	echo "  anchor tshark -z conv,tcp:     $(rate "$PKTS" "$SIZE" "$TS")"
	awk -v a="$TS" -v b="$BH" 'BEGIN {printf "  ratio: inspect is %.2fx the speed of tshark -z conv,tcp\n", a / b}'
else
	echo "  anchor tshark: SKIP: tshark is missing"
fi
