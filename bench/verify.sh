#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Verify benchmark, in the library (bh_verify_image, in-process, median of
# many calls) and as the command, against anchors measured in the same run:
#   - an OCI layout (its signatures beside it, in the page cache), against
#     the ECDSA P-256 verification of the same payload alone (in-process) and
#     `openssl dgst -sha256 -verify` of it (a process doing only that);
#   - a registry image, on Debian's docker-registry started here on loopback
#     (TLS, htpasswd): cold (no cache: a new client per call, TLS handshake,
#     authentication, the manifest, the .sig tag, its payload, the
#     referrers) against `curl` fetching the same five documents over one
#     connection; warm (the verification cache) by digest (no network)
#     against the ECDSA floor and openssl, and by tag (one HEAD) against
#     `curl -I` of the tag.
# Targets: layout and warm <= 1 ms, cold <= 150 ms. Exits 0 either way (a
# miss prints MISSED); 1 when it cannot run.
. "$(dirname "$0")/lib.sh"
bench_init verify
: "${N:=200}"
: "${N_REG:=30}"
OCITAR="$TESTDATA/images/debian-app.oci.tar"
[ -f "$OCITAR" ] || bench_die "no $OCITAR (TESTDATA)"
command -v openssl >/dev/null || bench_die "openssl is needed"
[ -f libbulkhead.a ] || bench_die "no libbulkhead.a (run make)"

W="$BENCH_TMP"
mkdir -p "$W/img"
tar -xf "$OCITAR" -C "$W/img"
export BULKHEAD_PASSWORD=bench
"$BULKHEAD" key generate --output-key-prefix "$W/cosign" >/dev/null
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

# ---- a registry on loopback ---------------------------------------------------------
reg_ok=0
if command -v docker-registry >/dev/null && command -v htpasswd >/dev/null && command -v curl >/dev/null; then
	reg_ok=1
	htpasswd -Bbn bench bench-pw >"$W/htpasswd" 2>/dev/null || bench_die "htpasswd failed"
	bench_registry "$W" "$W/htpasswd"
	P="$REG_PKI"
	R="$REG"
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$R" "$(printf bench:bench-pw | base64 -w0)" >"$W/auth.json"
	O=(--cacert "$P/ca.crt" --authfile "$W/auth.json")
	"$BULKHEAD" push "${O[@]}" "oci:$W/img" "$R/bench/app:1" >"$W/rdigest" 2>"$W/err" ||
		bench_die "push to the loopback registry failed: $(cat "$W/err")"
	RD=$(cat "$W/rdigest")
	"$BULKHEAD" sign "${O[@]}" --key "$W/cosign.key" "$R/bench/app:1" >/dev/null ||
		bench_die "sign in the registry failed"
	"$W/verify_latency" --registry "$P/ca.crt" "$W/auth.json" "$W/vcache" "$R/bench/app@$RD" \
		"$W/cosign.pub" "$N_REG" >"$W/lat.digest" || bench_die "the registry latency driver failed"
	"$W/verify_latency" --registry "$P/ca.crt" "$W/auth.json" "$W/vcache-tag" "$R/bench/app:1" \
		"$W/cosign.pub" "$N_REG" >"$W/lat.tag" || bench_die "the registry latency driver failed"
	read -r _ cold_med cold_min < <(grep '^cold' "$W/lat.digest")
	read -r _ warm_med warm_min < <(grep '^warm' "$W/lat.digest")
	read -r _ tag_med tag_min < <(grep '^warm' "$W/lat.tag")
	# the anchor of a cold verify: curl fetching what bulkhead fetches, over
	# one connection, credentials sent at once (bulkhead is asked for them first)
	ACC="Accept: application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json"
	PAYD=$(curl -s --cacert "$P/ca.crt" -u bench:bench-pw -H "$ACC" \
		"https://$R/v2/bench/app/manifests/sha256-${RD#sha256:}.sig" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
	curl_cold() {
		curl -s --cacert "$P/ca.crt" -u bench:bench-pw -H "$ACC" \
			-o /dev/null "https://$R/v2/bench/app/manifests/1" \
			-o /dev/null "https://$R/v2/bench/app/manifests/sha256-${RD#sha256:}.sig" \
			-o /dev/null "https://$R/v2/bench/app/blobs/$PAYD" \
			-o /dev/null "https://$R/v2/bench/app/referrers/$RD" \
			-o /dev/null "https://$R/v2/bench/app/manifests/sha256-${RD#sha256:}"
	}
	curl_head() {
		curl -s -I --cacert "$P/ca.crt" -u bench:bench-pw -H "$ACC" -o /dev/null \
			"https://$R/v2/bench/app/manifests/1"
	}
	bench_best t_curl curl_cold
	bench_best t_curlhead curl_head
	bench_best t_rcold "$BULKHEAD" verify --no-cache "${O[@]}" --key "$W/cosign.pub" "$R/bench/app:1"
	VC=(--db "$W/db.sqlite")
	"$BULKHEAD" "${VC[@]}" verify "${O[@]}" --key "$W/cosign.pub" "$R/bench/app@$RD" >/dev/null ||
		bench_die "verify in the registry failed"
	"$BULKHEAD" "${VC[@]}" verify "${O[@]}" --key "$W/cosign.pub" "$R/bench/app@$RD" |
		grep -q "verification cache" || bench_die "the warm command was not answered from the cache"
	bench_best t_rwarm "$BULKHEAD" "${VC[@]}" verify "${O[@]}" --key "$W/cosign.pub" "$R/bench/app@$RD"
	bench_best t_rwtag "$BULKHEAD" "${VC[@]}" verify "${O[@]}" --key "$W/cosign.pub" "$R/bench/app:1"
fi

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
if [ "$reg_ok" = 1 ]; then
	echo "the same image in a registry on loopback (docker-registry, TLS, htpasswd), signed once:"
	echo "in-process, median (fastest) of $N_REG calls, microseconds:"
	printf '  %-52s %8s (%s) us   target <= 150000 us: %s\n' "cold: no cache, a new client per call" \
		"$cold_med" "$cold_min" "$(bench_verdict "$cold_med" "<=" 150000)"
	printf '  %-52s %8s (%s) us   target <= 1000 us: %s; %sx the ECDSA floor\n' \
		"warm by digest: the cache, no network" "$warm_med" "$warm_min" \
		"$(bench_verdict "$warm_med" "<=" 1000)" "$(bench_ratio "$warm_med" "$ec_med")"
	printf '  %-52s %8s (%s) us   (a HEAD on a new connection)\n' "warm by tag: a HEAD, then the cache" \
		"$tag_med" "$tag_min"
	echo "commands, best of $RUNS, wall seconds:"
	printf '  %-52s %8s s\n' "anchor: curl of the same 5 documents, one connection" "$t_curl"
	printf '  %-52s %8s s   %sx curl\n' "bulkhead verify --no-cache REG/app:1 (cold)" "$t_rcold" \
		"$(bench_ratio "$t_rcold" "$t_curl")"
	printf '  %-52s %8s s\n' "anchor: curl -I of the tag" "$t_curlhead"
	printf '  %-52s %8s s   %sx curl -I\n' "bulkhead verify REG/app:1 (warm: HEAD + cache)" "$t_rwtag" \
		"$(bench_ratio "$t_rwtag" "$t_curlhead")"
	printf '  %-52s %8s s   %sx openssl\n' "bulkhead verify REG/app@DIGEST (warm: no network)" "$t_rwarm" \
		"$(bench_ratio "$t_rwarm" "$t_ossl")"
else
	echo "registry: skipped (docker-registry, htpasswd (apache2-utils) and curl are needed)"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (timings on a busy machine are noisy)"
