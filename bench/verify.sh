#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Verify benchmark: the warm latency of verifying a signed image on an OCI
# layout (its signatures beside it, everything in the page cache), in the
# library (bh_verify_image, in-process, median of many calls) and as the
# command, against anchors measured in the same run: the ECDSA P-256
# verification of the same payload alone (in-process), and `openssl dgst
# -sha256 -verify` of the same payload (a process doing only that).
# Target: library <= 1 ms. Exits 0 either way (a miss prints MISSED).
. "$(dirname "$0")/lib.sh"
bench_init verify
: "${N:=200}"
OCITAR="$TESTDATA/images/debian-app.oci.tar"
[ -f "$OCITAR" ] || bench_die "no $OCITAR (TESTDATA)"
command -v openssl >/dev/null || bench_die "openssl is needed"
[ -f libbulkhead.a ] || bench_die "no libbulkhead.a (run make)"

W="$BENCH_TMP"
mkdir -p "$W/img"
tar -xf "$OCITAR" -C "$W/img"
export BULKHEAD_PASSWORD=bench
(cd "$W" && "$BULKHEAD" key generate >/dev/null)
"$BULKHEAD" sign --key "$W/cosign.key" "oci:$W/img" >/dev/null
# the payload and its signature, for the anchors
python3 - "$W" <<'PY'
import json, base64, sys
w = sys.argv[1]; d = w + "/img"
idx = json.load(open(d + "/index.json"))
sig = [m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name", "").endswith(".sig")][0]
man = json.load(open(d + "/blobs/sha256/" + sig["digest"][7:]))
layer = man["layers"][0]
open(w + "/payload", "wb").write(open(d + "/blobs/sha256/" + layer["digest"][7:], "rb").read())
open(w + "/sig.der", "wb").write(base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"]))
PY
openssl dgst -sha256 -verify "$W/cosign.pub" -signature "$W/sig.der" "$W/payload" >/dev/null ||
	bench_die "openssl does not verify the signature"

${CC:-cc} -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -Isrc/base $(pkg-config --cflags jansson) \
	-o "$W/verify_latency" bench/verify_latency.c libbulkhead.a \
	$(pkg-config --libs jansson libseccomp) -lpthread -lm -ldl || bench_die "cannot build the driver"
read -r _ lib_med lib_min < <("$W/verify_latency" "oci:$W/img" "$W/cosign.pub" "$W/payload" "$W/sig.der" "$N" | grep '^verify_image')
read -r _ ec_med ec_min < <("$W/verify_latency" "oci:$W/img" "$W/cosign.pub" "$W/payload" "$W/sig.der" "$N" | grep '^ecdsa_verify')

ossl_verify() { openssl dgst -sha256 -verify "$W/cosign.pub" -signature "$W/sig.der" "$W/payload" >/dev/null; }
RUNS=${RUNS_CMD:-20}
bench_best t_cmd "$BULKHEAD" verify --key "$W/cosign.pub" "oci:$W/img"
bench_best t_ossl ossl_verify

verdict=$(bench_verdict "$lib_med" "<=" 1000)
echo "image: debian-app (OCI layout, 5 layers), signed once; $(nproc) CPUs"
echo "in-process, median (fastest) of $N warm calls, microseconds:"
printf '  %-52s %8s (%s) us   target <= 1000 us: %s\n' "bh_verify_image (open, .sig, payload, ECDSA)" \
	"$lib_med" "$lib_min" "$verdict"
printf '  %-52s %8s (%s) us   bh_verify_image is %sx this\n' "anchor: ECDSA P-256 verify of the payload alone" \
	"$ec_med" "$ec_min" "$(bench_ratio "$lib_med" "$ec_med")"
echo "commands, best of $RUNS, wall seconds:"
printf '  %-52s %8s s\n' "anchor: openssl dgst -sha256 -verify (same payload)" "$t_ossl"
printf '  %-52s %8s s   %sx openssl\n' "bulkhead verify --key cosign.pub oci:DIR" "$t_cmd" \
	"$(bench_ratio "$t_cmd" "$t_ossl")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (timings on a busy machine are noisy)"
