#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Scan benchmark: warm-store scans of the large bench image, with every
# scanner on (the default) and with --scanners vuln, on 1 and 2 threads,
# against the floor of a verified read of the same layers, measured in the
# same run (bench_verified_floor: isa-l's `igzip -dc` of every layer plus
# SHA-256 of the compressed and of the uncompressed bytes, each
# single-threaded); the import rate of the real advisory data into a cold
# store; the peak RSS of each scan.
# Targets: scan <= 1.1x the floor on 1 thread, <= 0.75x on 2; peak RSS with
# every scanner on < 80 MiB. Best of $RUNS (default 5: the machine may be
# shared). Exits 0 either way (a miss prints MISSED).
. "$(dirname "$0")/lib.sh"
: "${RUNS:=5}"
bench_init scan
bench_image
[ -d "$TESTDATA/vulndb" ] || bench_die "no advisory data at $TESTDATA/vulndb"
DB="$BENCH_TMP/db.sqlite"
export BULKHEAD_RULES="$BENCH_ROOT/rules"

t0=$(bench_now)
"$BULKHEAD" --db "$DB" db import "$TESTDATA/vulndb" >"$BENCH_TMP/import.out" 2>&1 ||
	bench_die "import failed"
t_import=$(awk -v n=$(($(bench_now) - t0)) 'BEGIN { printf "%.3f", n / 1e9 }')
records=$(grep -oE 'imported [0-9]+ records' "$BENCH_TMP/import.out" | grep -oE '[0-9]+' || echo 0)

bench_verified_floor floor "${blobs[@]}"
cat "${blobs[@]}" >/dev/null
bench_best s_all1 "$BULKHEAD" --db "$DB" scan --no-record --threads 1 "$IMAGE"
bench_best s_all2 "$BULKHEAD" --db "$DB" scan --no-record --threads 2 "$IMAGE"
bench_best s_vul1 "$BULKHEAD" --db "$DB" scan --scanners vuln --no-record --threads 1 "$IMAGE"
bench_best s_vul2 "$BULKHEAD" --db "$DB" scan --scanners vuln --no-record --threads 2 "$IMAGE"

row() { # LABEL SECONDS TARGET-OP TARGET
	local r
	r=$(bench_ratio "$2" "$floor")
	printf '  %-48s %8s s   %5sx floor (target %s %s: %s)\n' "$1" "$2" "$r" "$3" "$4" \
		"$(bench_verdict "$r" "$3" "$4")"
}
rss_all=$((s_all1_kib > s_all2_kib ? s_all1_kib : s_all2_kib))
rss_vul=$((s_vul1_kib > s_vul2_kib ? s_vul1_kib : s_vul2_kib))
echo "image: $IMAGE (${#blobs[@]} gzip layers); machine: $(nproc) CPUs; best of $RUNS, wall seconds"
printf '  %-48s %8s s   %s records/s\n' "import $records records (cold store)" "$t_import" \
	"$(awk -v r="$records" -v t="$t_import" 'BEGIN { printf "%.0f", r / t }')"
printf '  %-48s %8s s\n' "floor: igzip -dc, every layer" "$floor_dec"
printf '  %-48s %8s s\n' "floor: SHA-256 of the blobs" "$floor_hc"
printf '  %-48s %8s s\n' "floor: SHA-256 of the uncompressed tars" "$floor_hu"
printf '  %-48s %8s s   (SHA-256 by %s)\n' "floor: the sum" "$floor" "$floor_tool"
row "scan, every scanner, --threads 1" "$s_all1" "<=" 1.1
row "scan, every scanner, --threads 2" "$s_all2" "<=" 0.75
row "scan --scanners vuln --threads 1" "$s_vul1" "<=" 1.1
row "scan --scanners vuln --threads 2" "$s_vul2" "<=" 0.75
printf '  %-48s %8s MiB (--threads 1: %s, 2: %s; target < 80: %s)\n' \
	"peak RSS, every scanner" "$(bench_mib "$rss_all")" "$(bench_mib "$s_all1_kib")" \
	"$(bench_mib "$s_all2_kib")" "$(bench_verdict "$(bench_mib "$rss_all")" "<" 80)"
printf '  %-48s %8s MiB (--threads 1: %s, 2: %s)\n' "peak RSS, --scanners vuln" \
	"$(bench_mib "$rss_vul")" "$(bench_mib "$s_vul1_kib")" "$(bench_mib "$s_vul2_kib")"
