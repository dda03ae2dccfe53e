#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Scan benchmark (issue 5): a warm-store `bulkhead scan` of the large bench
# image and of debian-app, against the image-read floor (`gzip -dc LAYER |
# tar -t` over the same layers, one after the other) measured in the same
# run; the import rate of the real advisory data into a cold store; and the
# peak RSS of every run.
#
#   bench/scan.sh          (from the repository root)
#
# The large image is the one bench/image-read.sh builds (run first when it is
# not there). Targets: scan <= 1.3x the floor; peak RSS < 100 MB.
# Exits 0 whether or not the targets are met (a miss prints MISSED).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
: "${BULKHEAD:=./bulkhead}"
: "${TESTDATA:=../shared/data}"
: "${BENCH_DIR:=/var/tmp/bulkhead-bench}"
export BULKHEAD BENCH_DIR
IMAGE="$BENCH_DIR/usr-oci"
APP="$TESTDATA/images/debian-app.oci.tar"
RUNS=3

die() { echo "scan-bench: $*" >&2; exit 1; }
[ -x "$BULKHEAD" ] || die "no bulkhead binary at $BULKHEAD (run make, or set BULKHEAD)"
[ -d "$TESTDATA/vulndb" ] || die "no advisory data at $TESTDATA/vulndb"
if [ ! -f "$IMAGE/index.json" ]; then
	echo "the bench image is not built yet: running bench/image-read.sh first"
	bench/image-read.sh >/dev/null || die "bench/image-read.sh failed"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/scan-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
DB="$work/db.sqlite"

now() { date +%s%N; }
secs() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e9 }'; }
peak_kib=0
# timed VAR CMD...: best wall time of RUNS runs into VAR; peak RSS kept.
timed() {
	local var="$1" best="" t0 dt k i
	shift
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now)
		/usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>"$work/err" ||
			{ cat "$work/err" >&2; die "failed: $*"; }
		dt=$(($(now) - t0))
		k=$(tail -n 1 "$work/rss")
		[ "$k" -gt "$peak_kib" ] && peak_kib=$k
		if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then best=$dt; fi
	done
	printf -v "$var" '%s' "$(secs "$best")"
}
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (Debian package time)"

# Layer blobs of an OCI layout directory, in manifest order.
blobs_of() {
	python3 - "$1" <<'PY'
import json, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"].split(":")[1]))
for l in m["layers"]:
    print(d + "/blobs/sha256/" + l["digest"].split(":")[1])
PY
}
floor_of() {
	local b
	for b in "$@"; do gzip -dc "$b" | tar -t >/dev/null; done
}

# ---- import ------------------------------------------------------------------
records=0
t0=$(now)
"$BULKHEAD" --db "$DB" db import "$TESTDATA/vulndb" >"$work/import.out" 2>&1 || die "import failed"
t_import=$(secs $(($(now) - t0)))
records=$(grep -oE 'imported [0-9]+ records' "$work/import.out" | grep -oE '[0-9]+' || echo 0)
rate=$(awk -v r="$records" -v t="$t_import" 'BEGIN { printf "%.0f", r / t }')

# ---- scans -------------------------------------------------------------------
mkdir -p "$work/app"
tar -xf "$APP" -C "$work/app"
mapfile -t big < <(blobs_of "$IMAGE")
mapfile -t app < <(blobs_of "$work/app")
cat "${big[@]}" "${app[@]}" >/dev/null

best=""
for ((i = 0; i < RUNS; i++)); do
	t0=$(now); floor_of "${big[@]}"; dt=$(($(now) - t0))
	if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then best=$dt; fi
done
f_big=$(secs "$best")
best=""
for ((i = 0; i < RUNS; i++)); do
	t0=$(now); floor_of "${app[@]}"; dt=$(($(now) - t0))
	if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then best=$dt; fi
done
f_app=$(secs "$best")

timed s_big "$BULKHEAD" --db "$DB" scan --no-record "$IMAGE"
timed s_app "$BULKHEAD" --db "$DB" scan --no-record "oci:$work/app"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v l="$2" 'BEGIN { exit !(r <= l) }' && echo met || echo MISSED; }
r_big=$(ratio "$s_big" "$f_big")
r_app=$(ratio "$s_app" "$f_app")
rss_mb=$(awk -v k="$peak_kib" 'BEGIN { printf "%.1f", k / 1024 }')

echo "machine: $(nproc) CPUs; best of $RUNS, wall seconds"
printf '  %-48s %8s s\n' "import $records records (cold store)" "$t_import"
printf '  %-48s %8s records/s\n' "import rate" "$rate"
printf '  %-48s %8s s\n' "floor: bench image (gzip -dc | tar -t)" "$f_big"
printf '  %-48s %8s s   %sx floor (target <= 1.3x: %s)\n' "scan bench image (warm store)" "$s_big" "$r_big" "$(verdict "$r_big" 1.3)"
printf '  %-48s %8s s\n' "floor: debian-app" "$f_app"
printf '  %-48s %8s s   %sx floor (target <= 1.3x: %s)\n' "scan debian-app (warm store)" "$s_app" "$r_app" "$(verdict "$r_app" 1.3)"
printf '  %-48s %8s MiB (target < 100: %s)\n' "peak RSS of the scans" "$rss_mb" "$(verdict "$rss_mb" 100)"
