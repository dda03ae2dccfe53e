#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Data-leak matcher (src/net/dlp.c), cards and SSNs, fed as one flow
# direction in TCP-sized segments:
#   - detection: valid numbers of the six brands (bench/dlp_gen.py cards:
#     every brand's prefixes and lengths, Luhn-valid, 200 each, each bare,
#     space- and dash-grouped), fed in segments of 1 byte (so every number
#     is split at every position), 7 bytes and 1460 bytes; target 100%;
#   - false positives on a million random digit strings (one a line, length
#     uniform in 1..40), target <= 0.1%, and on a million uniform 16-digit
#     strings (the floor: ~2.7% of those ARE valid card numbers, prefix,
#     length and Luhn, so any checker that follows the brands flags them);
#   - throughput in MB/s over text with numbers in it (Debian's license
#     texts and changelogs, the random digit lines), against
#     `grep -cE '[0-9]{13,19}'` over the same bytes in the same run.
# Needs build/rel/tests/tools/netdetect (make test-bins). Exits 0 either way.
. "$(dirname "$0")/lib.sh"
bench_init dlp
: "${NETDETECT:=build/rel/tests/tools/netdetect}"
[ -x "$NETDETECT" ] || bench_die "no $NETDETECT (make test-bins)"

cards="$BENCH_TMP/cards.txt"
n_cards=$(python3 bench/dlp_gen.py cards "$cards" 200)
python3 bench/dlp_gen.py random "$BENCH_TMP/random.txt" 1000000 >/dev/null
python3 bench/dlp_gen.py random16 "$BENCH_TMP/random16.txt" 1000000 >/dev/null

matches() { "$NETDETECT" dlp "$@" | awk '{ print $4 }'; }
echo "cards: $n_cards valid numbers (every brand's prefixes x lengths, bare, space- and dash-grouped)"
for seg in 1 7 1460; do
	m=$(matches "$cards" "$seg")
	pct=$(awk -v m="$m" -v n="$n_cards" 'BEGIN { printf "%.3f", 100 * m / n }')
	printf '  segments of %4s bytes: %5s / %s detected = %s%% (target 100%%: %s)\n' "$seg" "$m" \
		"$n_cards" "$pct" "$(bench_verdict "$pct" ">=" 100)"
done
m=$(matches "$BENCH_TMP/random.txt")
pct=$(awk -v m="$m" 'BEGIN { printf "%.3f", 100 * m / 1000000 }')
printf '  random digit strings, length 1..40: %s / 1000000 flagged = %s%% (target <= 0.1%%: %s)\n' \
	"$m" "$pct" "$(bench_verdict "$pct" "<=" 0.1)"
m=$(matches "$BENCH_TMP/random16.txt")
pct=$(awk -v m="$m" 'BEGIN { printf "%.3f", 100 * m / 1000000 }')
printf '  random 16-digit strings (the floor):  %s / 1000000 flagged = %s%%\n' "$m" "$pct"

# Throughput: text with numbers in it, about 64 MiB.
text="$BENCH_TMP/text.txt"
{
	cat /usr/share/common-licenses/* 2>/dev/null || true
	zcat /usr/share/doc/*/changelog.Debian.gz 2>/dev/null | head -n 200000 || true
	cat "$BENCH_TMP/random.txt" "$cards"
} >"$BENCH_TMP/seed.txt"
while [ "$(stat -c %s "$text" 2>/dev/null || echo 0)" -lt $((64 << 20)) ]; do
	cat "$BENCH_TMP/seed.txt" >>"$text"
done
bytes=$(stat -c %s "$text")
cat "$text" >/dev/null
ours() { "$NETDETECT" dlp "$text" 1460 >/dev/null; }
anchor() { grep -cE '[0-9]{13,19}' "$text" >/dev/null || true; }
bench_best t_ours ours
bench_best t_anchor anchor
inner=$("$NETDETECT" dlp "$text" 1460 | awk '{ print $6 }')
mbs() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.0f", b / 1048576 / t }'; }
printf '  throughput over %s MiB: ours %s MB/s (%s s wall, %s s in the matcher), anchor grep -cE %s MB/s (%s s): %sx the anchor\n' \
	"$((bytes >> 20))" "$(mbs "$t_ours")" "$t_ours" "$inner" "$(mbs "$t_anchor")" "$t_anchor" \
	"$(bench_ratio "$t_anchor" "$t_ours")"
