#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Image read benchmark: how fast `bulkhead image ls` reads a large multi-layer
# image, against the floor of decompressing and listing the same layers with
# `gzip -dc LAYER | tar -t` one after the other, measured in the same run.
#
#   bench/image-read.sh            (from the repository root)
#
# Environment:
#   BULKHEAD          the binary (default ./bulkhead)
#   TESTDATA          test data (default ../shared/data; not needed here)
#   BENCH_DIR         where the image is built once and kept (default /var/tmp/bulkhead-bench)
#   BENCH_LAYER_MAX   the most file content per layer (default 160M)
#   BENCH_REBUILD=1   build the image again
#
# The image is an OCI layout of 5 gzip layers taken from this machine's /usr,
# split by top-level directory (bin+sbin, include, libexec+lib32+..., share,
# lib), each cut at BENCH_LAYER_MAX of content: several hundred MB in all.
# Each timing is the best of 3 runs with the blobs in the page cache.
# Targets: bulkhead on 1 thread <= 1.2x the floor, on 2 threads < 1.0x.
# Exits 0 whether or not the targets are met (a miss prints MISSED); exits 1
# only when the benchmark cannot run.
. "$(dirname "$0")/lib.sh"
bench_init image-read
: "${BENCH_LAYER_MAX:=160M}"
MKIMAGE="$BENCH_ROOT/tests/tools/mkimage.py"
PY="$(python3 -c 'import sys; print(sys.executable)')"
[ -d /usr ] || bench_die "no /usr to build the image from"
die() { bench_die "$@"; }

# ---- the image, built once ------------------------------------------------

layers=(
	"dir:/usr,prefix=usr,include=bin+sbin,max_bytes=$BENCH_LAYER_MAX"
	"dir:/usr,prefix=usr,include=include,max_bytes=$BENCH_LAYER_MAX"
	"dir:/usr,prefix=usr,include=libexec+lib32+lib64+libx32+src+games+etc,max_bytes=$BENCH_LAYER_MAX"
	"dir:/usr,prefix=usr,include=share,max_bytes=$BENCH_LAYER_MAX"
	"dir:/usr,prefix=usr,include=lib,max_bytes=$BENCH_LAYER_MAX"
)
stamp="mkimage-v1 $(sha256sum "$MKIMAGE" | cut -c1-16) ${layers[*]}"

mkdir -p "$BENCH_DIR"
if [ "${BENCH_REBUILD:-0}" = 1 ] || [ ! -f "$IMAGE/index.json" ] ||
	[ "$(cat "$IMAGE.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "building $IMAGE from /usr (once; kept for later runs)..."
	rm -rf "$IMAGE" "$IMAGE.stamp"
	args=()
	for l in "${layers[@]}"; do args+=(--layer "$l"); done
	start=$(date +%s)
	"$PY" "$MKIMAGE" --format oci --ref bench --summary "${args[@]}" "$IMAGE" >"$IMAGE.summary.json" ||
		die "building the image failed"
	echo "$stamp" >"$IMAGE.stamp"
	echo "built in $(($(date +%s) - start))s"
fi

mapfile -t blobs < <(bench_blobs "$IMAGE")
[ "${#blobs[@]}" -gt 0 ] || die "no layers found in $IMAGE"

csize=0
for b in "${blobs[@]}"; do csize=$((csize + $(stat -c %s "$b"))); done
# Uncompressed bytes and tar entries: from mkimage's summary, else counted.
sums=$("$PY" -c '
import json, sys
ls = json.load(open(sys.argv[1]))["layers"]
print(sum(l["uncompressedSize"] for l in ls), sum(l["entries"] for l in ls))
' "$IMAGE.summary.json" 2>/dev/null || true)
if [ -n "$sums" ]; then
	read -r usize entries <<<"$sums"
else
	usize=0 entries=0
	for b in "${blobs[@]}"; do
		usize=$((usize + $(gzip -dc "$b" | wc -c)))
		entries=$((entries + $(gzip -dc "$b" | tar -t | wc -l)))
	done
fi
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
echo "image: $IMAGE"
echo "  ${#blobs[@]} gzip layers, $(mib "$csize") compressed, $(mib "$usize") uncompressed, $entries tar entries"
echo "  machine: $(nproc) CPUs, $(uname -r)"

# ---- timing -----------------------------------------------------------------

# A correct run first: the benchmark means nothing if bulkhead cannot read it.
"$BULKHEAD" image ls --threads 1 "$IMAGE" >/dev/null || die "bulkhead image ls failed on $IMAGE"
cat "${blobs[@]}" >/dev/null # page cache

bench_best t_floor bench_floor "${blobs[@]}"
bench_best t_one "$BULKHEAD" image ls --threads 1 "$IMAGE"
bench_best t_two "$BULKHEAD" image ls --threads 2 "$IMAGE"
r_one=$(bench_ratio "$t_one" "$t_floor")
r_two=$(bench_ratio "$t_two" "$t_floor")
v_one=$(bench_verdict "$r_one" "<=" 1.2)
v_two=$(bench_verdict "$r_two" "<" 1.0)

echo
echo "best of $RUNS, wall seconds:"
printf '  %-52s %8s s\n' "floor: gzip -dc LAYER | tar -t, layers in turn" "$t_floor"
printf '  %-52s %8s s   %sx floor   (target <= 1.2x: %s)\n' \
	"bulkhead image ls --threads 1" "$t_one" "$r_one" "$v_one"
printf '  %-52s %8s s   %sx floor   (target <  1.0x: %s)\n' \
	"bulkhead image ls --threads 2" "$t_two" "$r_two" "$v_two"
printf '  peak RSS of bulkhead: %s MiB\n' "$(bench_peak_mib)"
echo
if [ "$v_one" = met ] && [ "$v_two" = met ]; then
	echo "image-read: targets met"
else
	echo "image-read: MISSED target(s): 1 thread ${r_one}x (<= 1.2x) $v_one, 2 threads ${r_two}x (< 1.0x) $v_two"
fi
exit 0
