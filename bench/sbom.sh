#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# SBOM benchmark: how fast `bulkhead sbom` catalogs the large bench image
# (bench/image-read.sh builds it from this machine's /usr: its ELF
# executables, Python metadata, jars and so on are what the catalogers read),
# against the floor of `gzip -dc LAYER | tar -t` over the same layers, and
# against the plain walk (`bulkhead image ls`), measured in the same run.
# Target: sbom <= 1.3x the floor. Exits 0 either way (a miss prints MISSED).
. "$(dirname "$0")/lib.sh"
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
cat "${blobs[@]}" >/dev/null

bench_best t_floor bench_floor "${blobs[@]}"
bench_best t_def "$BULKHEAD" sbom --format json "$IMAGE"
bench_best t_one "$BULKHEAD" sbom --format json --threads 1 "$IMAGE"
bench_best t_walk "$BULKHEAD" image ls --threads 1 "$IMAGE"

r_def=$(bench_ratio "$t_def" "$t_floor")
verdict=$(bench_verdict "$r_def" "<=" 1.3)
echo "image: $IMAGE (${#blobs[@]} gzip layers; $(nproc) CPUs)"
echo "found: $found"
echo "best of $RUNS, wall seconds:"
printf '  %-48s %8s s\n' "floor: gzip -dc LAYER | tar -t, layers in turn" "$t_floor"
printf '  %-48s %8s s   %sx floor (target <= 1.3x: %s)\n' "bulkhead sbom (default threads)" \
	"$t_def" "$r_def" "$verdict"
printf '  %-48s %8s s   %sx floor\n' "bulkhead sbom --threads 1" "$t_one" "$(bench_ratio "$t_one" "$t_floor")"
printf '  %-48s %8s s   %sx floor\n' "bulkhead image ls --threads 1 (the plain walk)" "$t_walk" \
	"$(bench_ratio "$t_walk" "$t_floor")"
printf '  cataloging costs %sx the plain walk (1 thread each); peak RSS %s MiB\n' \
	"$(bench_ratio "$t_one" "$t_walk")" "$(bench_peak_mib)"
