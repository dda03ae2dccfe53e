#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# SBOM benchmark: how fast `bulkhead sbom` catalogs the large bench image
# (bench/image-read.sh builds it from this machine's /usr: its ELF
# executables, Python metadata, jars and so on are what the catalogers read),
# against the floor of a verified read of the same layers (bench_verified_floor:
# `igzip -dc` plus SHA-256 of the compressed and of the uncompressed bytes,
# each single-threaded) and against the plain walk (`bulkhead image ls`),
# measured in the same run.
# Targets, as for bench/scan.sh: <= 1.1x the floor on 1 thread, <= 0.75x on
# 2. Best of $RUNS (default 5). Exits 0 either way (a miss prints MISSED).
. "$(dirname "$0")/lib.sh"
: "${RUNS:=5}"
bench_init sbom
bench_image

"$BULKHEAD" sbom --format json "$IMAGE" >"$BENCH_TMP/sbom.json" 2>/dev/null ||
	bench_die "bulkhead sbom failed on $IMAGE"
found=$(python3 -c '
import json, sys, collections
d = json.load(open(sys.argv[1]))
c = collections.Counter(p["ecosystem"] for p in d["packages"])
print(len(d["packages"]), "packages:", ", ".join("%d %s" % (n, e) for e, n in c.most_common()),
      "|", len(d["warnings"]), "warnings")' "$BENCH_TMP/sbom.json")

bench_verified_floor floor "${blobs[@]}"
cat "${blobs[@]}" >/dev/null
bench_best t_one "$BULKHEAD" sbom --format json --threads 1 "$IMAGE"
bench_best t_two "$BULKHEAD" sbom --format json --threads 2 "$IMAGE"
bench_best t_walk "$BULKHEAD" image ls --threads 1 "$IMAGE"

r_one=$(bench_ratio "$t_one" "$floor")
r_two=$(bench_ratio "$t_two" "$floor")
echo "image: $IMAGE (${#blobs[@]} gzip layers; $(nproc) CPUs)"
echo "found: $found"
echo "best of $RUNS, wall seconds:"
printf '  %-48s %8s s   (SHA-256 by %s)\n' "floor: igzip -dc + SHA-256 of blobs and tars" "$floor" \
	"$floor_tool"
printf '  %-48s %8s s   %sx floor (target <= 1.1x: %s)\n' "bulkhead sbom --threads 1" "$t_one" \
	"$r_one" "$(bench_verdict "$r_one" "<=" 1.1)"
printf '  %-48s %8s s   %sx floor (target <= 0.75x: %s)\n' "bulkhead sbom --threads 2" "$t_two" \
	"$r_two" "$(bench_verdict "$r_two" "<=" 0.75)"
printf '  %-48s %8s s   %sx floor\n' "bulkhead image ls --threads 1 (the plain walk)" "$t_walk" \
	"$(bench_ratio "$t_walk" "$floor")"
printf '  cataloging costs %sx the plain walk (1 thread each); peak RSS %s MiB\n' \
	"$(bench_ratio "$t_one" "$t_walk")" "$(bench_peak_mib)"
