# SPDX-License-Identifier: Apache-2.0
#
# End-to-end test helpers: TAP output, temporary directories cleaned on exit,
# and assertions on the real bulkhead binary ($BULKHEAD).
#
#   . "$(dirname "$0")/lib.sh"
#   expect_exit 2 "unknown command is a usage error" "$BULKHEAD" nosuch
#   t_done
#
# Every case prints one TAP line; skips say "# SKIP <reason>".

set -u
: "${BULKHEAD:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/bulkhead}"
: "${TESTDATA:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/../shared/data}"
export BULKHEAD TESTDATA NO_COLOR=1

_t_n=0
_t_failed=0
T="$(mktemp -d "${TMPDIR:-/tmp}/bh-e2e.XXXXXX")"
_t_cleanups=()
_t_exit() {
	local c
	for c in "${_t_cleanups[@]+"${_t_cleanups[@]}"}"; do eval "$c" || true; done
	rm -rf "$T"
}
trap _t_exit EXIT

# on_exit CMD: run CMD (a string) at exit, before the temporary dir goes.
on_exit() { _t_cleanups+=("$1"); }

t_ok() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1"; }
t_fail() {
	_t_n=$((_t_n + 1)); _t_failed=$((_t_failed + 1))
	echo "not ok $_t_n - $1"
	shift
	[ $# -gt 0 ] && printf '# %s\n' "$@"
	return 0
}
t_skip() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1 # SKIP $2"; }
t_done() { echo "1..$_t_n"; [ "$_t_failed" -eq 0 ]; }

# Under `make check-bare` (BH_BARE=1, optional tools hidden from PATH) a test
# runs only its cases that use or look up an optional tool (each SKIPs naming
# it there) and what those need; the rest ran in `make check` just before.
# bare_skip NAME: under BH_BARE, print one skip line for the section NAME and
# return 0, so the caller leaves the section out; elsewhere return 1 and print
# nothing. Wrap only a section that runs no optional tool, directly or through
# a helper, and that nothing after it needs:
#   if ! bare_skip "ls: the merged view"; then
#   	...
#   fi
# A left-out section counts as ONE skip (its cases are not run, so they are
# neither passes nor counted one by one).
bare_skip() {
	[ -n "${BH_BARE:-}" ] || return 1
	t_skip "$1" "BH_BARE: uses no optional tool, ran in make check"
}
# bare_skip_rest NAME: under BH_BARE, skip (as bare_skip) the rest of the
# test, from here to its end, and end it (t_done; exit); elsewhere do nothing.
bare_skip_rest() {
	bare_skip "$1" || return 0
	t_done
	exit
}

# run CMD...: run, capturing stdout in $T/out, stderr in $T/err, status in $rc.
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	return 0
}

# expect_exit CODE NAME CMD...: the command exits with CODE.
expect_exit() {
	local want="$1" name="$2"
	shift 2
	run "$@"
	if [ "$rc" -eq "$want" ]; then
		t_ok "$name"
	else
		t_fail "$name" "expected exit $want, got $rc: $*" "stderr: $(head -c 2000 "$T/err")"
	fi
}

# expect_out NAME PATTERN: the last run's stdout matches the grep -E PATTERN.
expect_out() {
	if grep -qE -- "$2" "$T/out"; then t_ok "$1"; else
		t_fail "$1" "stdout does not match /$2/" "$(head -c 2000 "$T/out")"; fi
}
# expect_err NAME PATTERN: the last run's stderr matches the grep -E PATTERN.
expect_err() {
	if grep -qE -- "$2" "$T/err"; then t_ok "$1"; else
		t_fail "$1" "stderr does not match /$2/" "$(head -c 2000 "$T/err")"; fi
}
# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else
		t_fail "$1" "want: $(printf %s "$2" | head -c 1000)" "got:  $(printf %s "$3" | head -c 1000)"; fi
}

# need CMD...: true when every command exists.
need() {
	local c
	for c in "$@"; do command -v "$c" >/dev/null 2>&1 || return 1; done
}
is_root() { [ "$(id -u)" -eq 0 ]; }

# stop_pid PID SECONDS: SIGTERM, then SIGKILL if it still runs after SECONDS
# (returns at once for an empty or gone PID; a child of ours is left to `wait`)
stop_pid() {
	local i
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	for i in $(seq $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	sleep 0.2
}
