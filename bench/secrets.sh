#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Secret + malware scanning benchmark: what the content scanners add to a
# scan of the large bench image, measured in the same run against
#   - the floor: `gzip -dc LAYER | tar -t`, layers in turn;
#   - the vulnerability-only scan (`--scanners vuln`), the same one walk.
# Figures: the ratio with/without (target: under 1.5x) and the throughput in
# MB/s of file content. BENCH_THREADS: thread counts (default "1 0"; 0 = one
# per CPU). Exits 0 either way (a miss prints MISSED).
. "$(dirname "$0")/lib.sh"
bench_init secrets
bench_image
: "${BENCH_THREADS:=1 0}"
export BULKHEAD_RULES="$BENCH_ROOT/rules"
export BULKHEAD_DB="$BENCH_TMP/db.sqlite"
# An empty advisory store is enough: the bench image has no package database.
mkdir -p "$BENCH_TMP/osv"
"$BULKHEAD" db import "$BENCH_TMP/osv" >/dev/null 2>&1 || true
"$BULKHEAD" --log-level info scan --scanners vuln,secret,malware --no-record --format json \
	"$IMAGE" >"$BENCH_TMP/scan.json" 2>"$BENCH_TMP/scan.err" || bench_die "bulkhead scan failed"
content_bytes=$(grep -oE 'files \([0-9]+ bytes\) searched' "$BENCH_TMP/scan.err" | grep -oE '[0-9]+' || echo 0)
cat "${blobs[@]}" >/dev/null

bench_best t_floor bench_floor "${blobs[@]}"
echo "image: $IMAGE (${#blobs[@]} gzip layers; $(nproc) CPUs); $((content_bytes / 1048576)) MiB of file content searched"
printf '  %-44s %8s s\n' "floor: gzip -dc LAYER | tar -t" "$t_floor"
for th in $BENCH_THREADS; do
	bench_best t_vuln "$BULKHEAD" scan --scanners vuln --no-record --threads "$th" "$IMAGE"
	bench_best t_all "$BULKHEAD" scan --scanners vuln,secret,malware --no-record --threads "$th" "$IMAGE"
	r=$(bench_ratio "$t_all" "$t_vuln")
	mbs=$(awk -v b="$content_bytes" -v t="$t_all" 'BEGIN { printf "%.0f", b / 1048576 / t }')
	printf '  threads=%-3s scan vuln %6s s, +secret,malware %6s s: %sx (target < 1.5x: %s), %s MB/s\n' \
		"$th" "$t_vuln" "$t_all" "$r" "$(bench_verdict "$r" "<" 1.5)" "$mbs"
done
printf '  peak RSS %s MiB\n' "$(bench_peak_mib)"
