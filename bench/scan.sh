#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Scan benchmark: a warm-store `bulkhead scan --scanners vuln` of the large
# bench image and of debian-app, against the floor (`gzip -dc LAYER | tar -t`
# over the same layers) measured in the same run; the import rate of the real
# advisory data into a cold store; the peak RSS of the scans.
# Targets: scan <= 1.3x the floor; peak RSS < 100 MiB. Exits 0 either way.
. "$(dirname "$0")/lib.sh"
bench_init scan
bench_image
[ -d "$TESTDATA/vulndb" ] || bench_die "no advisory data at $TESTDATA/vulndb"
DB="$BENCH_TMP/db.sqlite"

t0=$(bench_now)
"$BULKHEAD" --db "$DB" db import "$TESTDATA/vulndb" >"$BENCH_TMP/import.out" 2>&1 ||
	bench_die "import failed"
t_import=$(awk -v n=$(($(bench_now) - t0)) 'BEGIN { printf "%.3f", n / 1e9 }')
records=$(grep -oE 'imported [0-9]+ records' "$BENCH_TMP/import.out" | grep -oE '[0-9]+' || echo 0)

mkdir -p "$BENCH_TMP/app"
tar -xf "$TESTDATA/images/debian-app.oci.tar" -C "$BENCH_TMP/app"
mapfile -t app < <(bench_blobs "$BENCH_TMP/app")
cat "${blobs[@]}" "${app[@]}" >/dev/null

bench_best f_big bench_floor "${blobs[@]}"
bench_best f_app bench_floor "${app[@]}"
bench_best s_big "$BULKHEAD" --db "$DB" scan --scanners vuln --no-record "$IMAGE"
bench_best s_app "$BULKHEAD" --db "$DB" scan --scanners vuln --no-record "oci:$BENCH_TMP/app"
r_big=$(bench_ratio "$s_big" "$f_big")
r_app=$(bench_ratio "$s_app" "$f_app")

echo "machine: $(nproc) CPUs; best of $RUNS, wall seconds"
printf '  %-44s %8s s   %s records/s\n' "import $records records (cold store)" "$t_import" \
	"$(awk -v r="$records" -v t="$t_import" 'BEGIN { printf "%.0f", r / t }')"
printf '  %-44s %8s s\n' "floor: bench image" "$f_big"
printf '  %-44s %8s s   %sx floor (target <= 1.3x: %s)\n' "scan bench image (warm store)" "$s_big" \
	"$r_big" "$(bench_verdict "$r_big" "<=" 1.3)"
printf '  %-44s %8s s\n' "floor: debian-app" "$f_app"
printf '  %-44s %8s s   %sx floor (target <= 1.3x: %s)\n' "scan debian-app (warm store)" "$s_app" \
	"$r_app" "$(bench_verdict "$r_app" "<=" 1.3)"
printf '  %-44s %8s MiB (target < 100: %s)\n' "peak RSS of the scans" "$(bench_peak_mib)" \
	"$(bench_verdict "$(bench_peak_mib)" "<" 100)"
