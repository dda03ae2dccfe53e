#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Local engine benchmark, with the large bench image of bench/image-read.sh
# loaded into a private dockerd (started here as tests/e2e/engines.test does,
# overlay2, else vfs) and into a podman store (when podman is here):
#   - scan from docker-daemon: (the Engine API's archive streamed, never on
#     disk) against the scan of the docker-archive file of the same image
#     (what `docker save` writes), in the same run, with the peak RSS of
#     each: the stream costs memory within the sequential source's budget
#     (32 MiB of layers kept for later), not a layer's size;
#   - the engine's own export (curl of GET /images/ID/get to /dev/null): the
#     floor of any reader of the stream, which the daemon scan pays first;
#   - scan from containers-storage: (layers rebuilt from the store) against
#     the same file;
#   - unpack (layer order) from docker-daemon: against the file, once, with
#     the passes the stream took and the peak RSS.
# Best of $RUNS runs, wall seconds. Exits 0 whatever the figures; 1 when it
# cannot run (needs root, docker.io, curl).
. "$(dirname "$0")/lib.sh"
bench_init engines
bench_image
[ "$(id -u)" -eq 0 ] || bench_die "needs root (a private dockerd)"
command -v curl >/dev/null || bench_die "curl is needed"

# what tests/e2e/dockerd-lib.sh expects from tests/e2e/lib.sh
T="$BENCH_TMP"
is_root() { [ "$(id -u)" -eq 0 ]; }
need() {
	local c
	for c in "$@"; do command -v "$c" >/dev/null 2>&1 || return 1; done
}
. "$BENCH_ROOT/tests/e2e/dockerd-lib.sh"
dockerd_need || bench_die "$DOCKERD_WHY"
trap 'dockerd_stop >/dev/null 2>&1; rm -rf "$BENCH_TMP"' EXIT
driver=overlay2
if ! dockerd_start --storage-driver overlay2 >"$BENCH_TMP/start.log" 2>&1; then
	dockerd_stop >/dev/null 2>&1
	rm -rf "$D"
	driver=vfs
	dockerd_start --storage-driver vfs >"$BENCH_TMP/start.log" 2>&1 ||
		bench_die "a private dockerd could not start: $(tail -n 5 "$BENCH_TMP/start.log")"
fi
export DOCKER_HOST="unix://$DOCKER_SOCK"
set +o pipefail

# the image into the engine, and the file docker writes of it
"$BULKHEAD" pull -q "oci:$IMAGE" "docker-archive:$BENCH_TMP/in.tar:bench/usr:1" >/dev/null ||
	bench_die "bulkhead pull to a docker-archive failed"
"$DOCKER" -H "unix://$DOCKER_SOCK" load -q -i "$BENCH_TMP/in.tar" >/dev/null || bench_die "docker load failed"
rm -f "$BENCH_TMP/in.tar"
"$DOCKER" -H "unix://$DOCKER_SOCK" save -o "$BENCH_TMP/saved.tar" bench/usr:1 || bench_die "docker save failed"
ID=$(dk image inspect -f '{{.Id}}' bench/usr:1 | sed 's/^sha256://')
mib=$(awk -v b="$(stat -c %s "$BENCH_TMP/saved.tar")" 'BEGIN { printf "%.0f", b / 1048576 }')

DB="$BENCH_TMP/db.sqlite"
bench_db "$DB"
S=("$BULKHEAD" --db "$DB" scan --no-record --format json)

export_stream() {
	curl -sS --fail --unix-socket "$DOCKER_SOCK" -o /dev/null "http://localhost/images/$ID/get" ||
		bench_die "curl of the engine's archive failed"
}
cat "$BENCH_TMP/saved.tar" >/dev/null
bench_best e_daemon export_stream
bench_peak_kib=0
bench_best s_file "${S[@]}" "$BENCH_TMP/saved.tar"
bench_peak_kib=0
bench_best s_daemon "${S[@]}" "docker-daemon:bench/usr:1"
r_daemon=$(bench_ratio "$s_daemon" "$s_file")
r_over=$(bench_ratio "$s_daemon" "$(awk -v a="$s_file" -v b="$e_daemon" 'BEGIN { print a + b }')")

# unpack in layer order, once: passes and memory
/usr/bin/time -f %M -o "$BENCH_TMP/rss" "$BULKHEAD" --log-level debug image unpack \
	"docker-daemon:bench/usr:1" "$BENCH_TMP/u-daemon" >/dev/null 2>"$BENCH_TMP/u.err" ||
	bench_die "unpack from the engine failed: $(tail -n 3 "$BENCH_TMP/u.err")"
u_daemon_kib=$(tail -n 1 "$BENCH_TMP/rss")
u_passes=$(grep -c 'pass [0-9]* delivered' "$BENCH_TMP/u.err")
u_kept=$(sed -n 's/.*at most \([0-9]*\)).*/\1/p' "$BENCH_TMP/u.err" | sort -n | tail -n 1)
rm -rf "$BENCH_TMP/u-daemon"
/usr/bin/time -f %M -o "$BENCH_TMP/rss" "$BULKHEAD" image unpack "$BENCH_TMP/saved.tar" \
	"$BENCH_TMP/u-file" >/dev/null 2>&1 || bench_die "unpack of the file failed"
u_file_kib=$(tail -n 1 "$BENCH_TMP/rss")
rm -rf "$BENCH_TMP/u-file"

store=""
if command -v podman >/dev/null; then
	P=(podman --root "$BENCH_TMP/ps" --runroot "$BENCH_TMP/pr" --storage-driver overlay --tmpdir "$BENCH_TMP/pt")
	if "${P[@]}" load -q -i "$BENCH_TMP/saved.tar" >/dev/null 2>&1; then
		bench_peak_kib=0
		bench_best s_store "${S[@]}" "containers-storage:[overlay@$BENCH_TMP/ps]$ID"
		store=$(bench_ratio "$s_store" "$s_file")
	fi
fi

echo "machine: $(nproc) CPUs; dockerd $("$DOCKERD" --version | awk '{print $3}' | tr -d ,) ($driver); best of $RUNS, wall seconds"
echo "image: the bench image as docker saves it, $mib MiB, $(dk image inspect -f '{{len .RootFS.Layers}}' bench/usr:1) layers"
printf '  %-52s %8s s\n' "the engine's export alone (curl to /dev/null)" "$e_daemon"
printf '  %-52s %8s s   peak RSS %s MiB\n' "scan of the docker-archive file (docker save)" "$s_file" \
	"$(bench_mib "$s_file_kib")"
printf '  %-52s %8s s   %sx the file, %sx file + export   peak RSS %s MiB\n' \
	"scan from docker-daemon: (streamed)" "$s_daemon" "$r_daemon" "$r_over" "$(bench_mib "$s_daemon_kib")"
[ -n "$store" ] && printf '  %-52s %8s s   %sx the file   peak RSS %s MiB\n' \
	"scan from containers-storage: (the store)" "$s_store" "$store" "$(bench_mib "$s_store_kib")"
printf '  %-52s %8s   peak RSS %s MiB (the file: %s MiB), %s pass(es), at most %s MiB kept\n' \
	"unpack (layer order) from docker-daemon:, once" "" "$(bench_mib "$u_daemon_kib")" \
	"$(bench_mib "$u_file_kib")" "$u_passes" "$(bench_mib "$(( ${u_kept:-0} / 1024 ))")"
