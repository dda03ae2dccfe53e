#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# What a per-container vTPM (org.bulkhead.vtpm=true) adds to a container's
# run: swtpm started and waited for, its EK made and certified by the host
# TPM (an swtpm this script starts), swtpm stopped at delete. The anchor is
# the same bundle without the annotation, run in the same script; the
# median of $N runs each (default 15), and `attest vtpm-verify` (median of
# $N). Needs root, swtpm and the alpine test image. Exits 0 either way.
. "$(dirname "$0")/lib.sh"
bench_init vtpm
: "${N:=15}"
command -v swtpm >/dev/null || bench_die "swtpm is not installed"
[ "$(id -u)" -eq 0 ] || bench_die "needs root (it runs containers)"
IMG="$TESTDATA/images/alpine-3.19.4.docker.tar"
[ -r "$IMG" ] || bench_die "no $IMG"
T="$BENCH_TMP"
mkdir -p "$T/host" "$T/state"
swtpm socket --tpm2 --server type=unixio,path="$T/host/tpm.sock" \
	--ctrl type=unixio,path="$T/host/tpm.sock.ctrl" --tpmstate dir="$T/host" \
	--flags not-need-init,startup-clear >/dev/null 2>&1 &
HPID=$!
trap 'kill $HPID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ -S "$T/host/tpm.sock" ] && break; sleep 0.1; done
export BULKHEAD_TPM_TCTI="swtpm:path=$T/host/tpm.sock"
"$BULKHEAD" image bundle "$IMG" "$T/plain" -- /bin/true >/dev/null
cp -a "$T/plain" "$T/vtpm"
python3 - "$T/vtpm/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.setdefault("annotations", {})["org.bulkhead.vtpm"] = "true"
json.dump(c, open(sys.argv[1], "w"))
PY
"$BULKHEAD" attest vtpm-ca --out "$T" >/dev/null # the host key made once, as on a host
one() { "$BULKHEAD" --root "$T/state" run --bundle "$T/$1" "b$2" >/dev/null 2>&1 || bench_die "run $1 failed"; }
"$BULKHEAD" --root "$T/state" create --bundle "$T/vtpm" keep >/dev/null
cp "$T/state/keep/vtpm/run/ek.crt" "$T/ek.crt"
"$BULKHEAD" --root "$T/state" delete --force keep
for ((i = 0; i < N; i++)); do
	bench_time_of one plain "p$i" >>"$T/plain.ns"
	bench_time_of one vtpm "v$i" >>"$T/vtpm.ns"
	bench_time_of "$BULKHEAD" attest vtpm-verify --ek-cert "$T/ek.crt" --host-key "$T/host-key.pem" >>"$T/verify.ns"
done
p=$(bench_median <"$T/plain.ns")
v=$(bench_median <"$T/vtpm.ns")
q=$(bench_median <"$T/verify.ns")
ms() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e6 }'; }
echo "run /bin/true with a vTPM: $(ms "$v") ms (median of $N); anchor, without: $(ms "$p") ms"
echo "added by the vTPM (swtpm up, EK certified by the host TPM, swtpm stopped): $(ms $((v - p))) ms; ratio $(bench_ratio "$v" "$p")"
echo "attest vtpm-verify: $(ms "$q") ms (median of $N)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
