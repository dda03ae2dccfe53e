#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# SBOM benchmark: how fast `bulkhead sbom` catalogs a large multi-layer image,
# against the floor of decompressing and listing the same layers with
# `gzip -dc LAYER | tar -t` one after the other, measured in the same run.
#
#   bench/sbom.sh            (from the repository root)
#
# The image is the one bench/image-read.sh builds (5 gzip layers cut from this
# machine's /usr: its ELF executables, Python metadata, jars and so on are
# what the catalogers read); this script runs image-read.sh first when the
# image is not there yet. Environment as for image-read.sh (BULKHEAD,
# BENCH_DIR, BENCH_LAYER_MAX, BENCH_REBUILD).
#
# Each timing is the best of 3 runs with the blobs in the page cache.
# Target: bulkhead sbom (default threads) <= 1.3x the floor; the 1-thread
# figure is printed beside it, and the plain walk's (`bulkhead image ls`,
# the same walk and merged view without the catalogers) for the cost of
# cataloging. Exits 0 whether or not the target is met (a
# miss prints MISSED); exits 1 only when the benchmark cannot run.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
: "${BULKHEAD:=./bulkhead}"
: "${BENCH_DIR:=/var/tmp/bulkhead-bench}"
export BULKHEAD BENCH_DIR
IMAGE="$BENCH_DIR/usr-oci"
RUNS=3

die() { echo "sbom-bench: $*" >&2; exit 1; }
[ -x "$BULKHEAD" ] || die "no bulkhead binary at $BULKHEAD (run make, or set BULKHEAD)"
command -v python3 >/dev/null || die "python3 is needed"

if [ ! -f "$IMAGE/index.json" ] || [ "${BENCH_REBUILD:-0}" = 1 ]; then
	echo "the image is not built yet: running bench/image-read.sh first"
	bench/image-read.sh || die "bench/image-read.sh failed"
	echo
fi
[ -f "$IMAGE/index.json" ] || die "no image at $IMAGE"

mapfile -t blobs < <(python3 - "$IMAGE" <<'EOF'
import json, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"].split(":")[1]))
for l in m["layers"]:
    print(d + "/blobs/sha256/" + l["digest"].split(":")[1])
EOF
)
[ "${#blobs[@]}" -gt 0 ] || die "no layers found in $IMAGE"

now() { date +%s%N; }
best3() { # best3 VAR CMD...: the best wall time of RUNS runs, in seconds
	local var="$1" best="" t0 t1 i dt
	shift
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now)
		"$@"
		t1=$(now)
		dt=$((t1 - t0))
		if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then best=$dt; fi
	done
	printf -v "$var" '%s' "$(awk -v n="$best" 'BEGIN { printf "%.3f", n / 1e9 }')"
}
floor() {
	local b
	for b in "${blobs[@]}"; do gzip -dc "$b" | tar -t >/dev/null; done
}
sbom() { "$BULKHEAD" sbom --format json "$@" "$IMAGE" >/dev/null 2>&1; }

# A correct run first, and what it found.
out="$(mktemp "${TMPDIR:-/tmp}/sbom-bench.XXXXXX")"
trap 'rm -f "$out"' EXIT
"$BULKHEAD" sbom --format json "$IMAGE" >"$out" 2>/dev/null || die "bulkhead sbom failed on $IMAGE"
found=$(python3 -c '
import json, sys, collections
d = json.load(open(sys.argv[1]))
c = collections.Counter(p["ecosystem"] for p in d["packages"])
print(len(d["packages"]), "packages:", ", ".join("%d %s" % (n, e) for e, n in c.most_common()),
      "|", len(d["warnings"]), "warnings")' "$out")
cat "${blobs[@]}" >/dev/null # page cache

walk() { "$BULKHEAD" image ls --threads 1 "$IMAGE" >/dev/null 2>&1; }

best3 t_floor floor
best3 t_def sbom
best3 t_one sbom --threads 1
best3 t_walk walk

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
r_def=$(ratio "$t_def" "$t_floor")
r_one=$(ratio "$t_one" "$t_floor")
r_walk=$(ratio "$t_walk" "$t_floor")
r_cost=$(ratio "$t_one" "$t_walk")
if awk -v r="$r_def" 'BEGIN { exit !(r <= 1.3) }'; then verdict=met; else verdict=MISSED; fi

echo "image: $IMAGE (${#blobs[@]} gzip layers; $(nproc) CPUs)"
echo "found: $found"
echo
echo "best of $RUNS, wall seconds:"
printf '  %-52s %8s s\n' "floor: gzip -dc LAYER | tar -t, layers in turn" "$t_floor"
printf '  %-52s %8s s   %sx floor   (target <= 1.3x: %s)\n' "bulkhead sbom (default threads)" \
	"$t_def" "$r_def" "$verdict"
printf '  %-52s %8s s   %sx floor\n' "bulkhead sbom --threads 1" "$t_one" "$r_one"
printf '  %-52s %8s s   %sx floor\n' "bulkhead image ls --threads 1 (the plain walk)" "$t_walk" \
	"$r_walk"
printf '  cataloging costs %sx the plain walk (1 thread each)\n' "$r_cost"
echo
if [ "$verdict" = met ]; then echo "sbom: target met"; else echo "sbom: MISSED target: ${r_def}x (<= 1.3x)"; fi
exit 0
