#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The application-layer dissectors' throughput in process (bench/l7_rate.c):
# HTTP/1.1 pipelined requests with chunked responses, HTTP/2 with HPACK and
# DATA, DNS over UDP, fed in 1448-byte pieces (a datagram per call for DNS);
# the anchor, in the same run, is a memcpy of the same pieces into a ring.
#   bench/l7.sh            (MB=64 per protocol, ROUNDS=3)
. "$(dirname "$0")/lib.sh"
bench_init l7
: "${MB:=64}" "${ROUNDS:=3}"
W="$BENCH_TMP"
[ -f libbulkhead.a ] || bench_die "no libbulkhead.a (run make)"
${CC:-cc} -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -Isrc/base $(pkg-config --cflags jansson) \
	-o "$W/l7_rate" bench/l7_rate.c libbulkhead.a \
	$(pkg-config --libs jansson libseccomp) -lpthread -lm -ldl || bench_die "cannot build the driver"
"$W/l7_rate" "$MB" "$ROUNDS" >"$W/out" 2>"$W/err" || { cat "$W/err" >&2; bench_die "the driver failed"; }
echo "$MB MB a protocol, best of $ROUNDS; $(nproc) CPUs"
while read -r name rate anchor _; do
	printf '  %-6s %8s MB/s   anchor (memcpy of the same pieces) %8s MB/s   %sx the anchor\n' \
		"$name" "$rate" "$anchor" "$(bench_ratio "$rate" "$anchor")"
done <"$W/out"
