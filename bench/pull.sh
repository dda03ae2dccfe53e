#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Registry benchmark, against Debian's docker-registry (distribution 2.8)
# started here on loopback over TLS (a CA made here), holding the large
# bench image of bench/image-read.sh:
#   - pull: `bulkhead pull` to an OCI layout (every blob verified, written,
#     renamed into place) against `curl` fetching the same blobs to files,
#     as many at a time (--parallel-max, the same as bulkhead's --threads),
#     over HTTP/2 and over HTTP/1.1, the faster the anchor, in the same run;
#     target: >= 0.8x curl's throughput;
#   - scan: `bulkhead scan` straight from the registry (layers streamed,
#     never on disk) against the same scan of the pulled OCI layout;
#     target: <= 1.2x.
# Also the push, once. Best of $RUNS runs. Exits 0 whether or not the
# targets are met (a miss prints MISSED); 1 when it cannot run.
. "$(dirname "$0")/lib.sh"
bench_init pull
bench_image
: "${THREADS:=4}"

# ---- a TLS registry on loopback -------------------------------------------------

bench_registry "$BENCH_TMP"
P="$REG_PKI"
R="$REG"
O=(--cacert "$P/ca.crt")

t0=$(bench_now)
"$BULKHEAD" push -q "${O[@]}" "$IMAGE" "$R/bench/usr:1" >"$BENCH_TMP/digest" ||
	bench_die "push failed"
t_push=$(awk -v n=$(($(bench_now) - t0)) 'BEGIN { printf "%.3f", n / 1e9 }')

# the blobs: config and layers, their digests from the manifest
mapfile -t digests < <(python3 - "$IMAGE" <<'PY'
import json, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"].split(":")[1]))
print(m["config"]["digest"])
for l in m["layers"]:
    print(l["digest"])
PY
)
bytes=0
for d in "${digests[@]}"; do bytes=$((bytes + $(stat -c %s "$IMAGE/blobs/sha256/${d#sha256:}"))); done
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')

# ---- pull: curl against bulkhead ---------------------------------------------------

curl_args=(-sS --no-progress-meter --fail --cacert "$P/ca.crt" --parallel --parallel-max "$THREADS")
for i in "${!digests[@]}"; do
	curl_args+=(-o "$BENCH_TMP/curl/$i" "https://$R/v2/bench/usr/blobs/${digests[$i]}")
done
curl_pull() {
	rm -rf "$BENCH_TMP/curl"
	mkdir -p "$BENCH_TMP/curl"
	curl "$@" "${curl_args[@]}" || bench_die "curl failed"
}
bulkhead_pull() {
	rm -rf "$BENCH_TMP/pulled"
	"$BULKHEAD" pull -q --threads "$THREADS" "${O[@]}" "$R/bench/usr:1" "$BENCH_TMP/pulled" \
		>/dev/null || bench_die "bulkhead pull failed"
}
# warm the registry's page cache
curl_pull
# the anchor: curl as it comes (HTTP/2, its transfers multiplexed) or over
# HTTP/1.1 (a connection each, as bulkhead), whichever is faster here
bench_best c_h2 curl_pull
bench_best c_h1 curl_pull --http1.1
c_pull=$(awk -v a="$c_h2" -v b="$c_h1" 'BEGIN { print (a < b ? a : b) }')
bench_best b_pull bulkhead_pull
tp_curl=$(awk -v m="$mib" -v t="$c_pull" 'BEGIN { printf "%.0f", m / t }')
tp_ours=$(awk -v m="$mib" -v t="$b_pull" 'BEGIN { printf "%.0f", m / t }')
r_pull=$(bench_ratio "$tp_ours" "$tp_curl")

# ---- scan: from the registry against from the layout --------------------------------

DB="$BENCH_TMP/db.sqlite"
bench_db "$DB"
bench_peak_kib=0
bench_best s_layout "$BULKHEAD" --db "$DB" scan --no-record --format json "oci:$BENCH_TMP/pulled"
layout_kib=$bench_peak_kib
bench_peak_kib=0
bench_best s_reg "$BULKHEAD" --db "$DB" scan --no-record --format json "${O[@]}" "$R/bench/usr:1"
r_scan=$(bench_ratio "$s_reg" "$s_layout")

echo "machine: $(nproc) CPUs; loopback TLS registry (docker-registry $(docker-registry --version 2>/dev/null | awk '{print $3}')); best of $RUNS, wall seconds"
echo "image: ${#digests[@]} blobs, $mib MiB"
printf '  %-46s %8s s   %s MiB/s\n' "push (once)" "$t_push" \
	"$(awk -v m="$mib" -v t="$t_push" 'BEGIN { printf "%.0f", m / t }')"
printf '  %-46s %8s s   %s MiB/s\n' "curl, $THREADS at a time, to files (HTTP/2)" "$c_h2" \
	"$(awk -v m="$mib" -v t="$c_h2" 'BEGIN { printf "%.0f", m / t }')"
printf '  %-46s %8s s   %s MiB/s\n' "curl, $THREADS at a time, to files (HTTP/1.1)" "$c_h1" \
	"$(awk -v m="$mib" -v t="$c_h1" 'BEGIN { printf "%.0f", m / t }')"
printf '  %-46s %8s s   %s MiB/s   %sx the faster curl (target >= 0.8x: %s)\n' \
	"bulkhead pull --threads $THREADS (verified, OCI layout)" "$b_pull" "$tp_ours" "$r_pull" \
	"$(bench_verdict "$r_pull" ">=" 0.8)"
printf '  %-46s %8s s   peak RSS %s MiB\n' "scan of the pulled OCI layout" "$s_layout" \
	"$(awk -v k="$layout_kib" 'BEGIN { printf "%.1f", k / 1024 }')"
printf '  %-46s %8s s   %sx layout (target <= 1.2x: %s)   peak RSS %s MiB\n' \
	"scan straight from the registry" "$s_reg" "$r_scan" "$(bench_verdict "$r_scan" "<=" 1.2)" \
	"$(bench_peak_mib)"
