# SPDX-License-Identifier: Apache-2.0
#
# What the benchmarks share. Source it from a bench script:
#   . "$(dirname "$0")/lib.sh"; bench_init NAME
# Every figure is measured against an anchor in the same run, best of
# $RUNS runs with the input in the page cache.

# bench_init NAME: strict mode, repository root as cwd, defaults.
bench_init() {
	set -euo pipefail
	BENCH_NAME="$1"
	BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
	cd "$BENCH_ROOT"
	: "${BULKHEAD:=./bulkhead}"
	: "${TESTDATA:=../shared/data}"
	: "${BENCH_DIR:=/var/tmp/bulkhead-bench}"
	: "${RUNS:=3}"
	export BULKHEAD TESTDATA BENCH_DIR
	IMAGE="$BENCH_DIR/usr-oci"
	BENCH_TMP="$(mktemp -d "${TMPDIR:-/tmp}/bench-$BENCH_NAME.XXXXXX")"
	trap 'rm -rf "$BENCH_TMP"' EXIT
	[ -x "$BULKHEAD" ] || bench_die "no bulkhead binary at $BULKHEAD (run make, or set BULKHEAD)"
	command -v python3 >/dev/null || bench_die "python3 is needed"
	[ -x /usr/bin/time ] || bench_die "/usr/bin/time is needed (Debian package time)"
	bench_peak_kib=0
}

bench_die() {
	echo "$BENCH_NAME: $*" >&2
	exit 1
}

# bench_image: the large multi-layer image bench/image-read.sh builds from
# this machine's /usr (built on first use), and its blobs in ${blobs[@]}.
bench_image() {
	if [ ! -f "$IMAGE/index.json" ] || [ "${BENCH_REBUILD:-0}" = 1 ]; then
		echo "the bench image is not built yet: running bench/image-read.sh first"
		bench/image-read.sh >/dev/null || bench_die "bench/image-read.sh failed"
	fi
	mapfile -t blobs < <(bench_blobs "$IMAGE")
	[ "${#blobs[@]}" -gt 0 ] || bench_die "no layers in $IMAGE"
}

# bench_blobs DIR: the layer blobs of an OCI layout directory, in order.
bench_blobs() {
	python3 - "$1" <<'PY'
import json, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"].split(":")[1]))
for l in m["layers"]:
    print(d + "/blobs/sha256/" + l["digest"].split(":")[1])
PY
}

# bench_floor BLOB...: the anchor: decompress and list each layer in turn.
bench_floor() {
	local b
	for b in "$@"; do gzip -dc "$b" | tar -t >/dev/null; done
}

# bench_verified_floor VAR BLOB...: the real floor of a verified scan, the
# work no reader of these layers can skip, each part single-threaded and
# timed best of $RUNS in this run: isa-l's `igzip -dc` of every layer, plus
# SHA-256 of the compressed blobs and of the uncompressed tars (the blob
# digests and the diff_ids), with whichever of `openssl dgst -sha256` and
# `sha256sum` is faster here. Sets VAR (seconds, the sum) and VAR_dec,
# VAR_hc, VAR_hu (the parts) and VAR_tool (the hashing program chosen).
bench_verified_floor() {
	local var="$1" i dec hc hu hs ho tool
	shift
	command -v igzip >/dev/null || bench_die "igzip is needed for the floor (Debian package isal)"
	command -v openssl >/dev/null || bench_die "openssl is needed for the floor"
	mkdir -p "$BENCH_TMP/floor"
	local tars=()
	for ((i = 1; i <= $#; i++)); do
		igzip -dc "${!i}" >"$BENCH_TMP/floor/$i.tar" || bench_die "igzip -dc ${!i} failed"
		tars+=("$BENCH_TMP/floor/$i.tar")
	done
	cat "$@" "${tars[@]}" >/dev/null
	_bench_igzip() { local b; for b in "$@"; do igzip -dc "$b" >/dev/null; done; }
	_bench_openssl() { openssl dgst -sha256 -r "$@" >/dev/null; }
	_bench_sha256sum() { sha256sum "$@" >/dev/null; }
	bench_best dec _bench_igzip "$@"
	bench_best ho _bench_openssl "$@" "${tars[@]}"
	bench_best hs _bench_sha256sum "$@" "${tars[@]}"
	tool=sha256sum
	if awk -v a="$ho" -v b="$hs" 'BEGIN { exit !(a <= b) }'; then tool=openssl; fi
	bench_best hc "_bench_$tool" "$@"
	bench_best hu "_bench_$tool" "${tars[@]}"
	[ "$tool" = openssl ] && tool="openssl dgst -sha256"
	rm -rf "$BENCH_TMP/floor"
	printf -v "${var}_dec" '%s' "$dec"
	printf -v "${var}_hc" '%s' "$hc"
	printf -v "${var}_hu" '%s' "$hu"
	printf -v "${var}_tool" '%s' "$tool"
	printf -v "$var" '%s' "$(awk -v a="$dec" -v b="$hc" -v c="$hu" 'BEGIN { printf "%.3f", a + b + c }')"
}

bench_now() { date +%s%N; }
# bench_time_of CMD...: the nanoseconds CMD took (its output discarded)
bench_time_of() {
	local t0 t1
	t0=$(bench_now)
	"$@" >/dev/null 2>&1
	t1=$(bench_now)
	echo $((t1 - t0))
}

# bench_best VAR CMD...: the best wall time of $RUNS runs, in seconds, into
# VAR. A bulkhead command (the first word is $BULKHEAD) also has its peak RSS
# kept in $bench_peak_kib (the most of every run so far) and in VAR_kib (the
# most of these runs); a failing run stops the benchmark.
bench_best() {
	local var="$1" best="" t0 dt k i peak=0
	shift
	for ((i = 0; i < RUNS; i++)); do
		t0=$(bench_now)
		if [ "$1" = "$BULKHEAD" ]; then
			/usr/bin/time -f %M -o "$BENCH_TMP/rss" "$@" >/dev/null 2>"$BENCH_TMP/err" ||
				{ cat "$BENCH_TMP/err" >&2; bench_die "failed: $*"; }
			k=$(tail -n 1 "$BENCH_TMP/rss")
			[ "$k" -gt "$bench_peak_kib" ] && bench_peak_kib=$k
			[ "$k" -gt "$peak" ] && peak=$k
		else
			"$@"
		fi
		dt=$(($(bench_now) - t0))
		if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then best=$dt; fi
	done
	printf -v "$var" '%s' "$(awk -v n="$best" 'BEGIN { printf "%.3f", n / 1e9 }')"
	printf -v "${var}_kib" '%s' "$peak"
}

# bench_mib KIB: KiB as MiB with one decimal.
bench_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# bench_ratio A B: A / B with two decimals.
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# bench_verdict VALUE OP LIMIT: "met" or "MISSED".
bench_verdict() {
	if awk -v r="$1" -v l="$3" "BEGIN { exit !(r $2 l) }"; then echo met; else echo MISSED; fi
}

bench_peak_mib() { awk -v k="$bench_peak_kib" 'BEGIN { printf "%.1f", k / 1024 }'; }

# bench_registry DIR [HTPASSWD]: Debian's docker-registry (distribution 2.8)
# on loopback over TLS, a CA made here (DIR/pki), its storage in DIR/storage,
# basic authentication from the HTPASSWD file when one is given; stopped on
# exit. Sets REG (127.0.0.1:PORT), REG_PKI (ca.crt, srv.crt, srv.key) and
# REGPID. Dies when it cannot start.
bench_registry() {
	local dir="$1" htpasswd="${2:-}" port t
	for t in docker-registry openssl curl; do
		command -v "$t" >/dev/null || bench_die "$t is needed (Debian: docker-registry, openssl, curl)"
	done
	REG_PKI="$dir/pki"
	mkdir -p "$REG_PKI" "$dir/storage"
	(
		cd "$REG_PKI" &&
			openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
				-out ca.crt -days 2 -subj "/CN=bulkhead bench CA" &&
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key \
				-out srv.csr -subj "/CN=127.0.0.1" &&
			printf 'subjectAltName=IP:127.0.0.1\n' >srv.ext &&
			openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt \
				-days 2 -extfile srv.ext
	) >"$dir/pki.log" 2>&1 || bench_die "openssl failed: $(tail -n 3 "$dir/pki.log")"
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	{
		echo "version: 0.1"
		echo "log: {level: error, accesslog: {disabled: true}}"
		echo "storage: {filesystem: {rootdirectory: $dir/storage}}"
		if [ -n "$htpasswd" ]; then echo "auth: {htpasswd: {realm: bench, path: $htpasswd}}"; fi
		echo "http:"
		echo "  addr: 127.0.0.1:$port"
		echo "  tls: {certificate: $REG_PKI/srv.crt, key: $REG_PKI/srv.key}"
	} >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
	REGPID=$!
	trap 'kill $REGPID 2>/dev/null; wait $REGPID 2>/dev/null || true; rm -rf "$BENCH_TMP"' EXIT
	REG="127.0.0.1:$port"
	for _ in $(seq 1 100); do
		curl -s -o /dev/null --cacert "$REG_PKI/ca.crt" "https://$REG/v2/" && return 0
		sleep 0.1
	done
	bench_die "the registry did not start: $(tail -n 3 "$dir/registry.log")"
}

# bench_db DB: an advisory database to scan with: the Debian 12 advisories of
# TESTDATA when there, else one placeholder record (the scan's work without
# matches).
bench_db() {
	if [ -d "$TESTDATA/vulndb/debian12/osv" ]; then
		"$BULKHEAD" --db "$1" db import "$TESTDATA/vulndb/debian12/osv" >/dev/null 2>&1 ||
			bench_die "db import failed"
	else
		echo '{"id":"BH-BENCH-0","modified":"2024-01-01T00:00:00Z","affected":[]}' >"$BENCH_TMP/x.json"
		"$BULKHEAD" --db "$1" db import "$BENCH_TMP/x.json" >/dev/null 2>&1 || bench_die "db import failed"
	fi
}

# bench_state_tmpfs NAME: T, a new temporary directory removed on exit, with
# a tmpfs at $T/state for the runtimes' state roots (the runtime benchmarks,
# which run as root and need no bench_init).
bench_state_tmpfs() {
	T=$(mktemp -d)
	trap 'umount "$T/state" 2>/dev/null; rm -rf "$T"' EXIT
	mkdir -p "$T/state"
	mount -t tmpfs -o mode=0700 bench-state "$T/state" || {
		echo "$1: cannot mount a tmpfs" >&2
		exit 1
	}
}

# bench_median: the median of the numbers on stdin, one a line ("-" when none).
bench_median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "-" }'; }

# bench_wait_tp PID TP [SECONDS]: wait until process PID holds a BPF link
# attached to the tracepoint TP (its /proc fdinfo names it), at most SECONDS
# (default 30). Fails when PID exits first or time runs out.
bench_wait_tp() {
	local pid="$1" tp="$2" i
	for ((i = 0; i < ${3:-30} * 10; i++)); do
		[ -d "/proc/$pid" ] || return 1
		grep -qs -x "tp_name:[[:space:]]*$tp" /proc/"$pid"/fdinfo/* && return 0
		sleep 0.1
	done
	return 1
}

# bench_cpu_s PID: the CPU time (user + system, seconds) process PID has used so far.
bench_cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
		"/proc/$1/stat"
}
