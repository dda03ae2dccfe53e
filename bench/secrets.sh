#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Secret + malware scanning benchmark: how much the content scanners add to
# a scan of the large bench image (the one bench/image-read.sh builds from
# this machine's /usr), measured in the same run against
#   - the floor: `gzip -dc LAYER | tar -t`, layers in turn (as image-read.sh);
#   - the baseline: the same walk without the content consumer (what a
#     vulnerability-only scan reads).
# Figures: the ratio with/without (target: under 1.5x), and the throughput in
# MB/s of file content searched (whole run, and the scanners' own share).
#
#   bench/secrets.sh               (from the repository root, after make)
#
# Until `bulkhead scan --scanners` exists the walks are run by a small driver,
# bench/secrets_driver.c, built here against libbulkhead.a; once it does,
# `bulkhead scan --scanners vuln` and `--scanners vuln,secret,malware` are
# timed instead (BENCH_DRIVER=1 keeps the driver).
#
# Environment:
#   BULKHEAD          the binary (default ./bulkhead)
#   BENCH_DIR         where the image is kept (default /var/tmp/bulkhead-bench)
#   BENCH_THREADS     thread counts to measure (default "1 0"; 0 = one per CPU)
# Each timing is the best of 3 runs with the blobs in the page cache; CPU
# time (user+sys) is shown beside wall time, since a busy machine moves walls.
# Exits 0 whether or not the target is met (a miss prints MISSED); exits 1
# only when the benchmark cannot run.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
: "${BULKHEAD:=./bulkhead}"
: "${BENCH_DIR:=/var/tmp/bulkhead-bench}"
: "${BENCH_THREADS:=1 0}"
IMAGE="$BENCH_DIR/usr-oci"
RUNS=3
export BULKHEAD_RULES="$root/rules"

die() { echo "secrets: $*" >&2; exit 1; }
[ -f libbulkhead.a ] || die "no libbulkhead.a (run make first)"
[ -d rules ] || die "no rules/ directory"

# ---- the image: built by image-read.sh ----------------------------------------

if [ ! -f "$IMAGE/index.json" ]; then
	echo "no bench image yet: running bench/image-read.sh to build it"
	BENCH_DIR="$BENCH_DIR" bench/image-read.sh >/dev/null || die "bench/image-read.sh failed"
fi
[ -f "$IMAGE/index.json" ] || die "no image at $IMAGE"
PY="$(command -v python3)" || die "python3 is needed"
mapfile -t blobs < <("$PY" - "$IMAGE" <<'EOF'
import json, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"].split(":")[1]))
for l in m["layers"]:
    print(d + "/blobs/sha256/" + l["digest"].split(":")[1])
EOF
)
[ "${#blobs[@]}" -gt 0 ] || die "no layers in $IMAGE"

# ---- what runs the walks ---------------------------------------------------------

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bench-secrets.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mode=driver
if [ "${BENCH_DRIVER:-0}" != 1 ] && [ -x "$BULKHEAD" ] &&
	"$BULKHEAD" scan --help 2>&1 | grep -q -- '--scanners'; then
	mode=scan
	export BULKHEAD_DB="$tmp/db.sqlite"
	# An empty advisory store is enough: the bench image has no package database.
	mkdir -p "$tmp/osv"
	"$BULKHEAD" db import "$tmp/osv" >/dev/null 2>&1 || true
	if ! "$BULKHEAD" scan --scanners vuln --no-record --format json "$IMAGE" >/dev/null 2>"$tmp/err"; then
		echo "bulkhead scan failed ($(head -n 1 "$tmp/err")); using the driver"
		mode=driver
	fi
fi
if [ "$mode" = driver ]; then
	libs="$(pkg-config --libs jansson yaml-0.1 libcrypto libarchive libzstd libisal sqlite3 libcurl \
		libseccomp libcap zlib libhs libpcre2-8 yara) -lpthread -lm"
	# shellcheck disable=SC2086
	${CC:-cc} -std=gnu11 -O2 -D_GNU_SOURCE -Iinclude -o "$tmp/driver" bench/secrets_driver.c \
		libbulkhead.a $libs || die "building bench/secrets_driver.c failed"
fi

# run_walk THREADS content|base: one run; its driver line (or nothing) on stdout.
run_walk() {
	local t="$1" what="$2"
	if [ "$mode" = scan ]; then
		local sc=vuln
		[ "$what" = content ] && sc=vuln,secret,malware
		# The content line of --log-level info gives the bytes searched.
		"$BULKHEAD" --log-level info scan --scanners "$sc" --threads "$t" --no-record \
			--format json --output "$tmp/report.json" "$IMAGE" 2>&1 >/dev/null |
			sed -n 's/.*content: \([0-9]*\) files (\([0-9]*\) bytes) searched.*/0 \1 \2 0 0/p'
		return 0
	else
		local flag=""
		[ "$what" = content ] && flag=--content
		"$tmp/driver" --threads "$t" $flag "$IMAGE"
	fi
}

floor() {
	local b
	for b in "${blobs[@]}"; do gzip -dc "$b" | tar -t >/dev/null; done
}

# best3 NAME CMD...: best wall and CPU (user+sys, children included) seconds of
# RUNS runs into $NAME_wall and $NAME_cpu; the last run's stdout in $tmp/NAME.out.
best3() {
	local name="$1" bw="" bc="" i w u s c TIMEFORMAT='%R %U %S'
	shift
	for ((i = 0; i < RUNS; i++)); do
		{ time "$@" >"$tmp/$name.out" 2>/dev/null; } 2>"$tmp/time"
		read -r w u s <"$tmp/time"
		c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
		if [ -z "$bw" ] || awk -v a="$w" -v b="$bw" 'BEGIN { exit !(a < b) }'; then bw=$w; fi
		if [ -z "$bc" ] || awk -v a="$c" -v b="$bc" 'BEGIN { exit !(a < b) }'; then bc=$c; fi
	done
	printf -v "${name}_wall" '%s' "$bw"
	printf -v "${name}_cpu" '%s' "$bc"
}

cat "${blobs[@]}" >/dev/null
echo "image: $IMAGE (${#blobs[@]} gzip layers), $(nproc) CPUs, $(uname -r); walks run by: $mode"
best3 fl floor
printf '  %-46s %7s s wall\n' "floor: gzip -dc LAYER | tar -t" "$fl_wall"

verdicts=""
for t in $BENCH_THREADS; do
	best3 base run_walk "$t" base
	best3 with run_walk "$t" content
	bytes=0 files=0 yara=0
	read -r _ files bytes yara _ <"$tmp/with.out" || true
	: "${bytes:=0}" "${files:=0}" "${yara:=0}"
	r_wall=$(awk -v a="$with_wall" -v b="$base_wall" 'BEGIN { printf "%.2f", a / b }')
	r_cpu=$(awk -v a="$with_cpu" -v b="$base_cpu" 'BEGIN { printf "%.2f", a / b }')
	r_floor=$(awk -v a="$with_wall" -v b="$fl_wall" 'BEGIN { printf "%.2f", a / b }')
	v=$(awk -v r="$r_wall" -v c="$r_cpu" 'BEGIN { print (r < 1.5 || c < 1.5) ? "met" : "MISSED" }')
	label="threads $t"
	[ "$t" = 0 ] && label="threads $(nproc) (one per CPU)"
	echo
	echo "$label, best of $RUNS:"
	printf '  %-46s %7s s wall %7s s cpu\n' "walk without content scanners (baseline)" "$base_wall" "$base_cpu"
	printf '  %-46s %7s s wall %7s s cpu\n' "walk with secret + malware" "$with_wall" "$with_cpu"
	printf '  ratio with/baseline: %sx wall, %sx cpu (target < 1.5x: %s); %sx the floor\n' \
		"$r_wall" "$r_cpu" "$v" "$r_floor"
	if [ "$bytes" -gt 0 ]; then
		awk -v b="$bytes" -v f="$files" -v y="$yara" -v w="$with_wall" -v bw="$base_wall" \
			-v c="$with_cpu" -v bc="$base_cpu" 'BEGIN {
			mb = b / 1e6
			printf "  content searched: %.0f MB in %d files", mb, f
			if (y > 0) printf " (%d handed to YARA after the prefilter)", y
			printf "\n"
			printf "  throughput: %.0f MB/s of content for the whole scan;", mb / w
			if (c > bc) printf " the scanners alone %.0f MB/s of CPU", mb / (c - bc)
			printf "\n"
		}'
	fi
	verdicts="$verdicts $label: ${r_wall}x wall/${r_cpu}x cpu $v;"
done
echo
if [[ "$verdicts" == *MISSED* ]]; then
	echo "secrets: MISSED target(s):$verdicts"
else
	echo "secrets: target met:$verdicts"
fi
exit 0
