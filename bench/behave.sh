#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Behaviour profiles: how many events per second bh_behave_observe judges
# against a learned profile in monitor mode (the monitor calls it for every
# event), against the rule engine's bh_rules_match with the default rules on
# the same events in the same run (the anchor: the other consumer of every
# event). 1 event in 100 falls outside the profile; observe's batched
# writes (a flush every 4096 events) are included.
#   bench/behave.sh            (N=200000 events, ROUNDS=5)
. "$(dirname "$0")/lib.sh"
bench_init behave
: "${N:=200000}" "${ROUNDS:=5}"
W="$BENCH_TMP"
[ -f libbulkhead.a ] || bench_die "no libbulkhead.a (run make)"
${CC:-cc} -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -Isrc/base $(pkg-config --cflags jansson) \
	-o "$W/behave_rate" bench/behave_rate.c libbulkhead.a \
	$(pkg-config --libs jansson libseccomp) -lpthread -lm -ldl || bench_die "cannot build the driver"
"$W/behave_rate" rules/monitor/default.yaml "$W/profiles.sqlite" "$N" "$ROUNDS" >"$W/out" 2>"$W/err" ||
	{ cat "$W/err" >&2; bench_die "the driver failed"; }
read -r _ r_rate r_matched < <(grep '^rules' "$W/out")
read -r _ o_rate o_outside < <(grep '^observe' "$W/out")
echo "$N events a round (exec, write, listen, accept, connect; 1 in 100 outside), best of $ROUNDS; $(nproc) CPUs"
printf '  %-58s %12s events/s  (%s rule matches)\n' "anchor: bh_rules_match, default rules" "$r_rate" "$r_matched"
printf '  %-58s %12s events/s  (%s outside)   %sx the anchor\n' "bh_behave_observe, learned profile in monitor" \
	"$o_rate" "$o_outside" "$(bench_ratio "$o_rate" "$r_rate")"
