# SPDX-License-Identifier: Apache-2.0
#
# runc_run and runc_run_late for monitor-rules.test, monitor-rules-more.test and
# monitor-mntapi.test,
# after monitor-lib.sh (mkbundle makes the bundle this copies). Their own file:
# tests/uses-tools counts a tool named by any helper a test sources, so runc
# here would put every test of monitor-lib.sh in `make check-bare`.
#
#   . "$(dirname "$0")/monitor-lib.sh"
#   . "$(dirname "$0")/monitor-runc.sh"
#
# runc_run NAME: the same in runc, with no padding: the monitor learns a runc container
# from its state directory (the state written at create lists again at once, an id not
# known yet lists again too) and keeps one gone for 10 s (the grace list), so the events
# of its first and last milliseconds are its own (monitor-short.test runs one-action
# containers). Before, the workload waited 0.5 s before and 1 s after.
# runc_run_late NAME: its workload starts after 0.5 s, for the guard (protect): runc
# cannot ask the rendezvous, the guard watches a runc container from the rescan its
# state's write causes (50-200 ms on a loaded host): what runs before is not decided
# (bulkhead-monitor(1)).
runc_run() { runc_run_pad "" "$1"; }
runc_run_late() { runc_run_pad "sleep 0.5; " "$1"; }
# runc_run_pad PREFIX NAME: runc_run with PREFIX before the workload's script
runc_run_pad() {
	RUNC_IDS+=("r$2-$SFX")
	mkdir -p "$T/r$2"
	python3 - "$T/$2/config.json" "$T/r$2/config.json" "$1" <<'PY2'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"][2] = sys.argv[3] + c["process"]["args"][2]
json.dump(c, open(sys.argv[2], "w"))
PY2
	"${MON_WRAP[@]}" timeout 30 runc run -b "$T/r$2" "r$2-$SFX" >"$T/r$2.out" 2>"$T/r$2.err" </dev/null
}

