#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Advisory import benchmark: records per second that `bulkhead db import`
# stores from the PyPA advisory tree (OSV YAML) + GHSA npm + Debian 12 host
# (OSV JSON) into a new (cold) database, against two anchors measured in the
# same run on the same files:
#   parse  python3 reading every file and parsing it with the json module and
#          PyYAML's libyaml loader (CSafeLoader): the parsing floor with the
#          same YAML parser bulkhead uses, without validation or storage;
#   cat    reading the bytes (`cat`): the I/O floor.
# Each figure is the best of 3 runs with the files in the page cache.
#
#   bench/import.sh            (from the repository root)
#
# Environment: BULKHEAD (default ./bulkhead), TESTDATA (default ../shared/data).
# Exits 0 with the figures; 1 when the benchmark cannot run.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
: "${BULKHEAD:=./bulkhead}"
: "${TESTDATA:=../shared/data}"
RUNS=3
V="$TESTDATA/vulndb"
SETS=("$V/pypa" "$V/ghsa-npm" "$V/debian12-host")

die() { echo "import: $*" >&2; exit 1; }
[ -x "$BULKHEAD" ] || die "no bulkhead binary at $BULKHEAD (run make, or set BULKHEAD)"
for d in "${SETS[@]}"; do [ -d "$d" ] || die "no $d (set TESTDATA)"; done
command -v python3 >/dev/null || die "python3 is needed for the anchor"
python3 -c 'import yaml' 2>/dev/null || die "python3's yaml module is needed (Debian: python3-yaml)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bh-bench-import.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
find "${SETS[@]}" -type f \( -name '*.json' -o -name '*.yaml' -o -name '*.yml' \) ! -name '.*' | sort >"$tmp/files"
nfiles=$(wc -l <"$tmp/files")
bytes=$(xargs -a "$tmp/files" -d '\n' cat | wc -c)
xargs -a "$tmp/files" -d '\n' cat >/dev/null # warm the page cache

calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
best() { # best CMD...: the shortest of $RUNS wall-clock times, in seconds
	local b="" t0 t1 d
	for _ in $(seq 1 $RUNS); do
		t0=$EPOCHREALTIME
		"$@" >/dev/null
		t1=$EPOCHREALTIME
		d=$(calc "$t1 - $t0")
		if [ -z "$b" ] || [ "$(calc "$d < $b")" = 1.000000 ]; then b=$d; fi
	done
	echo "$b"
}

run_import() {
	rm -f "$tmp"/db.sqlite*
	"$BULKHEAD" --db "$tmp/db.sqlite" db import --format json "${SETS[@]}" >"$tmp/import.json"
}
run_parse() {
	python3 - "$tmp/files" <<'PY'
import json, sys, yaml
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
n = 0
for path in open(sys.argv[1]).read().splitlines():
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".json"):
        json.loads(data)
    else:
        yaml.load(data, Loader=Loader)
    n += 1
print(n)
PY
}
run_cat() { xargs -a "$tmp/files" -d '\n' cat; }

t_import=$(best run_import)
records=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records"])' "$tmp/import.json")
t_parse=$(best run_parse)
t_cat=$(best run_cat)
loader=$(python3 -c 'import yaml; print("CSafeLoader (libyaml)" if hasattr(yaml, "CSafeLoader") else "SafeLoader (pure Python: no libyaml)")')
db_bytes=$(stat -c %s "$tmp/db.sqlite")

rate() { awk "BEGIN { printf \"%.0f\", $1 / $2 }"; }
printf 'input: %d files, %d records, %.1f MB (PyPA YAML + GHSA npm + Debian 12 host JSON)\n' \
	"$nfiles" "$records" "$(calc "$bytes / 1000000")"
printf '%-34s %8.3f s  %8s records/s\n' "bulkhead db import (cold store)" "$t_import" "$(rate "$records" "$t_import")"
printf '%-34s %8.3f s  %8s records/s   bulkhead / parse = %.2fx the time\n' "anchor: python3 parse only" \
	"$t_parse" "$(rate "$records" "$t_parse")" "$(calc "$t_import / $t_parse")"
printf '%-34s %8.3f s  %8s records/s   bulkhead / cat = %.1fx the time\n' "anchor: cat (read only)" \
	"$t_cat" "$(rate "$records" "$t_cat")" "$(calc "$t_import / $t_cat")"
printf 'python3 yaml loader: %s; store: %.1f MB\n' "$loader" "$(calc "$db_bytes / 1000000")"
