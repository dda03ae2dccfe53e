#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# SQL injection detector (src/net/sqli*.c) on HTTP parameter values:
#   - detection: the public corpus built from Debian's sqlmap package
#     (bench/sqli_corpus.py: every payload of data/xml/payloads/*.xml times
#     every compatible boundary of boundaries.xml, as sqlmap's agent builds
#     them; ~129k distinct values), target >= 99.5%;
#   - false positives: look-alikes from Debian text (bench/sqli_benign.py:
#     dictionary words with apostrophes and phrases of them with SQL's
#     English words, license texts, Debian changelogs, a list of shapes),
#     target <= 5%; and normal traffic (20000 URL query strings of searches,
#     names, dates, e-mails, URLs, JSON), target 0;
#   - throughput in MB/s over the attack and look-alike values, against an
#     anchor in the same run: `grep -ciE` with a regular-expression detector
#     of NeuVector's kind (the anchor regex below), over the same bytes.
# Needs: sqlmap (Debian package; SQLMAP_XML overrides its data/xml path),
# wamerican (/usr/share/dict/words), build/rel/tests/tools/netdetect
# (make test-bins). Exits 0 either way (a miss prints MISSED).
. "$(dirname "$0")/lib.sh"
bench_init sqli
: "${SQLMAP_XML:=/usr/share/sqlmap/data/xml}"
: "${NETDETECT:=build/rel/tests/tools/netdetect}"
[ -f "$SQLMAP_XML/boundaries.xml" ] || bench_die "no sqlmap data at $SQLMAP_XML (apt-get install sqlmap)"
[ -f /usr/share/dict/words ] || bench_die "no /usr/share/dict/words (apt-get install wamerican)"
[ -x "$NETDETECT" ] || bench_die "no $NETDETECT (make test-bins)"

att="$BENCH_TMP/attacks.txt" look="$BENCH_TMP/lookalikes.txt" traffic="$BENCH_TMP/traffic.txt"
python3 bench/sqli_corpus.py "$SQLMAP_XML" "$att" >/dev/null
python3 bench/sqli_benign.py "$look" "$traffic" >/dev/null
cat "$att" "$look" >"$BENCH_TMP/all.txt"

field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
read -r a_n a_d < <("$NETDETECT" value "$att" | awk '{ print $2, $4 }')
read -r l_n l_d < <("$NETDETECT" value "$look" | awk '{ print $2, $4 }')
read -r t_n t_d < <("$NETDETECT" query "$traffic" | awk '{ print $2, $4 }')
det=$(awk -v d="$a_d" -v n="$a_n" 'BEGIN { printf "%.3f", 100 * d / n }')
fp=$(awk -v d="$l_d" -v n="$l_n" 'BEGIN { printf "%.3f", 100 * d / n }')
echo "corpus: sqlmap $(dpkg-query -W -f '${Version}' sqlmap 2>/dev/null || echo '?') payloads x boundaries"
printf '  attacks detected     %6d / %6d = %7s%%  (target >= 99.5%%: %s)\n' "$a_d" "$a_n" "$det" \
	"$(bench_verdict "$det" ">=" 99.5)"
printf '  look-alikes flagged  %6d / %6d = %7s%%  (target <= 5%%: %s)\n' "$l_d" "$l_n" "$fp" \
	"$(bench_verdict "$fp" "<=" 5)"
printf '  traffic flagged      %6d / %6d query strings (target 0: %s)\n' "$t_d" "$t_n" \
	"$(bench_verdict "$t_d" "==" 0)"

# Throughput: our detector (three tokenizations per value) vs a regex set.
anchor_re="(union[[:space:]]+(all[[:space:]]+)?select|select.+from|(and|or)[[:space:]]+[0-9]+[[:space:]]*=[[:space:]]*[0-9]+|sleep[[:space:]]*\(|benchmark[[:space:]]*\(|waitfor[[:space:]]+delay|'[[:space:]]*(or|and)[[:space:]]+'|--|#|/\*|;[[:space:]]*(drop|insert|update|delete|select))"
bytes=$(stat -c %s "$BENCH_TMP/all.txt")
ours() { "$NETDETECT" value "$BENCH_TMP/all.txt" >/dev/null; }
anchor() { grep -ciE "$anchor_re" "$BENCH_TMP/all.txt" >/dev/null || true; }
bench_best t_ours ours
bench_best t_anchor anchor
anchor_hits_a=$(grep -ciE "$anchor_re" "$att" || true)
anchor_hits_l=$(grep -ciE "$anchor_re" "$look" || true)
mbs() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.1f", b / 1048576 / t }'; }
printf '  throughput: ours %s MB/s (%s s), anchor grep -ciE %s MB/s (%s s): %sx the anchor\n' \
	"$(mbs "$t_ours")" "$t_ours" "$(mbs "$t_anchor")" "$t_anchor" "$(bench_ratio "$t_anchor" "$t_ours")"
printf '  (the anchor regex detects %s / %s attacks and flags %s / %s look-alikes)\n' \
	"$anchor_hits_a" "$a_n" "$anchor_hits_l" "$l_n"
