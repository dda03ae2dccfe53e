#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Measured launch against an swtpm this script starts (never the machine's TPM):
#
#   1. container start with measurement on vs off: median wall time of `run`
#      with /bin/true, N runs each (default 30), interleaved in rounds, on the
#      same bundle, one with org.bulkhead.measure=true (PCR 16 extended, one
#      event-log line appended with fsync). The anchor is the unmeasured run;
#      the figure is the added time per container. Target <= 20 ms.
#   2. quote + verify: median of `attest quote` then `attest verify` (a log of
#      the N measured launches), against tpm2-tools' tpm2_quote then
#      tpm2_checkquote on the same swtpm when installed (the anchor).
#      Target <= 100 ms.
#
#   3. a long event log: the measured start with a log of ~32 MiB (100000
#      entries) against the same with the short log of part 1, interleaved:
#      only the last entry is read, so the added time should be noise; next
#      to it the time of one whole read of that log (wc -l), the floor of
#      what every launch paid when the log was counted.
#   4. the TPM part of a create alone, each sample a fresh process
#      (bench/tpm_extend.c, built here): the process alone (the anchor), the
#      ESAPI open + extend + close (the create path before), the extend on the
#      TCTI (the create path now), interleaved; added time over the anchor.
#
# Prints MET or MISSED for each and exits 0 either way (1 only if it cannot run).
# Run it under flock /tmp/bh-bpf.lock on a shared machine (it starts containers).
#
#   N=30 bench/tpm.sh
set -u
SRC="$(cd "$(dirname "$0")/.." && pwd)"
: "${BULKHEAD:=$SRC/bulkhead}"
: "${TESTDATA:=$SRC/../shared/data}"
N=${N:-30}
IMAGE="$TESTDATA/images/alpine-3.19.4.docker.tar"
B="$BULKHEAD"

[ "$(id -u)" = 0 ] || { echo "tpm: SKIP: needs root (containers)"; exit 0; }
command -v swtpm >/dev/null || { echo "tpm: SKIP: swtpm is not installed"; exit 0; }
[ -x "$B" ] || { echo "tpm: no bulkhead binary at $B" >&2; exit 1; }
[ -f "$IMAGE" ] || { echo "tpm: no test image $IMAGE" >&2; exit 1; }

. "$SRC/bench/lib.sh"
bench_state_tmpfs tpm
SWPID=
trap 'kill "$SWPID" 2>/dev/null; umount "$T/state" 2>/dev/null; rm -rf "$T"' EXIT
port=$(python3 -c 'import socket
for _ in range(50):
    a, b = socket.socket(), socket.socket()
    try:
        a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]; b.bind(("127.0.0.1", p + 1))
        print(p); break
    except OSError: pass
    finally: a.close(); b.close()')
mkdir -p "$T/tpmstate"
swtpm socket --tpm2 --server type=tcp,port="$port" --ctrl type=tcp,port=$((port + 1)) \
	--tpmstate dir="$T/tpmstate" --flags not-need-init,startup-clear &
SWPID=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
export BULKHEAD_TPM_TCTI="swtpm:host=127.0.0.1,port=$port" TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
export BULKHEAD_MEASURE_LOG="$T/state/measure.log"

"$B" image bundle "$IMAGE" "$T/base" -- /bin/true >/dev/null || exit 1
bundle() {
	cp -a "$T/base" "$T/$1"
	python3 - "$T/$1" "$2" <<'PY' || exit 1
import json, sys
d = sys.argv[1]
c = json.load(open(d + "/config.json"))
c["root"]["path"] = d + "/rootfs"
if sys.argv[2] == "on":
    c.setdefault("annotations", {})["org.bulkhead.measure"] = "true"
json.dump(c, open(d + "/config.json", "w"))
PY
}
bundle off off
bundle on on
ms() { awk -v n="$1" 'BEGIN { printf "%.2f", n / 1e6 }'; }

# ---- 1. start with measurement on vs off ----
: >"$T/t-off" && : >"$T/t-on"
"$B" --root "$T/state" run --bundle "$T/on" warm-$$ >/dev/null || { echo "tpm: a measured run failed" >&2; exit 1; }
"$B" --root "$T/state" run --bundle "$T/off" warm2-$$ >/dev/null
for i in $(seq "$N"); do
	for k in off on; do
		t0=$(bench_now)
		"$B" --root "$T/state" run --bundle "$T/$k" "$k-$i-$$" >/dev/null 2>&1 || { echo "tpm: run $k failed" >&2; exit 1; }
		echo $(($(bench_now) - t0)) >>"$T/t-$k"
	done
done
off=$(bench_median <"$T/t-off")
on=$(bench_median <"$T/t-on")
added=$((on - off))
echo "container start (run /bin/true), median of $N, load $(cut -d' ' -f1-3 /proc/loadavg):"
echo "  measurement off (anchor) $(ms "$off") ms, on $(ms "$on") ms: added $(ms "$added") ms per container" \
	"(ratio $(bench_ratio "$on" "$off")); target <= 20 ms: $(bench_verdict "$(ms "$added")" '<=' 20)"

# ---- 2. quote + verify ----
mkdir -p "$T/q" "$T/tt"
: >"$T/qv" && : >"$T/anchor"
have_tt=false
if command -v tpm2_createprimary >/dev/null && command -v tpm2_checkquote >/dev/null; then
	tpm2_createprimary -Q -C o -G ecc256:ecdsa-sha256:null -c "$T/tt/ak.ctx" \
		-a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign" &&
		tpm2_readpublic -Q -c "$T/tt/ak.ctx" -f pem -o "$T/tt/ak.pem" && have_tt=true
	tpm2_flushcontext -t >/dev/null 2>&1
fi
for i in $(seq "$N"); do
	nonce=$(printf '%08x' "$i")
	t0=$(bench_now)
	"$B" attest quote --nonce "$nonce" --out "$T/q" >/dev/null &&
		"$B" attest verify --log "$BULKHEAD_MEASURE_LOG" --quote "$T/q/quote.msg" --ak "$T/q/ak.pem" \
			--nonce "$nonce" >/dev/null || { echo "tpm: quote/verify failed" >&2; exit 1; }
	echo $(($(bench_now) - t0)) >>"$T/qv"
	if $have_tt; then
		t0=$(bench_now)
		tpm2_quote -Q -c "$T/tt/ak.ctx" -l sha256:16 -q "$nonce" -m "$T/tt/q.msg" -s "$T/tt/q.sig" \
			-o "$T/tt/pcrs.out" -g sha256 &&
			tpm2_checkquote -u "$T/tt/ak.pem" -m "$T/tt/q.msg" -s "$T/tt/q.sig" -f "$T/tt/pcrs.out" \
				-g sha256 -q "$nonce" >/dev/null || { echo "tpm: tpm2-tools failed" >&2; exit 1; }
		tpm2_flushcontext -t >/dev/null 2>&1 # tpm2_quote loaded the key again: no resource manager
		echo $(($(bench_now) - t0)) >>"$T/anchor"
	fi
done
qv=$(bench_median <"$T/qv")
echo "quote + verify ($(wc -l <"$BULKHEAD_MEASURE_LOG") log entries), median of $N:"
if $have_tt; then
	an=$(bench_median <"$T/anchor")
	echo "  tpm2_quote + tpm2_checkquote (anchor) $(ms "$an") ms, bulkhead $(ms "$qv") ms" \
		"(ratio $(bench_ratio "$qv" "$an")); target <= 100 ms: $(bench_verdict "$(ms "$qv")" '<=' 100)"
else
	echo "  bulkhead $(ms "$qv") ms (no tpm2-tools: no anchor); target <= 100 ms: $(bench_verdict "$(ms "$qv")" '<=' 100)"
fi

# ---- 3. a long event log: only its tail is read ----
python3 - "$T/state/big.log" <<'PY'
import json, sys
e = json.loads(open(sys.argv[1].replace("big.log", "measure.log")).readline())
with open(sys.argv[1], "w") as f:
    for i in range(100000):
        e["recnum"] = i
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
PY
: >"$T/t-short" && : >"$T/t-big" && : >"$T/t-wc"
for i in $(seq "$N"); do
	for k in short big; do
		log="$BULKHEAD_MEASURE_LOG"
		[ "$k" = big ] && log="$T/state/big.log"
		t0=$(bench_now)
		BULKHEAD_MEASURE_LOG="$log" "$B" --root "$T/state" run --bundle "$T/on" "l$k-$i-$$" >/dev/null 2>&1 ||
			{ echo "tpm: run with the $k log failed" >&2; exit 1; }
		echo $(($(bench_now) - t0)) >>"$T/t-$k"
	done
	t0=$(bench_now)
	wc -l <"$T/state/big.log" >/dev/null
	echo $(($(bench_now) - t0)) >>"$T/t-wc"
done
short=$(bench_median <"$T/t-short")
big=$(bench_median <"$T/t-big")
wcl=$(bench_median <"$T/t-wc")
echo "measured start with a $(($(stat -c %s "$T/state/big.log") >> 20)) MiB log ($(wc -l <"$T/state/big.log") entries), median of $N, load $(cut -d' ' -f1-3 /proc/loadavg):"
echo "  short log (anchor) $(ms "$short") ms, long log $(ms "$big") ms: added $(ms $((big - short))) ms" \
	"(one whole read of that log, wc -l: $(ms "$wcl") ms)"

# ---- 4. the TPM part of a create alone: ESAPI vs the TCTI ----
if ${CC:-cc} -O2 -std=gnu11 -D_GNU_SOURCE -I"$SRC/include" -I"$SRC/src" -I"$SRC/src/base" \
	$(pkg-config --cflags jansson tss2-esys 2>/dev/null) -o "$T/tpm_extend" "$SRC/bench/tpm_extend.c" \
	"$SRC/build/rel/libbulkhead-internal.a" $(pkg-config --libs jansson libseccomp) -lpthread -lm -ldl 2>"$T/cc.err"; then
	read -r none esapi tcti < <("$T/tpm_extend" "$BULKHEAD_TPM_TCTI" "$((N * 3))" | awk '{ v[$1] = $2 } END { print v["none"], v["esapi"], v["tcti"] }')
	us() { awk -v n="$1" 'BEGIN { printf "%.2f", n / 1e3 }'; }
	echo "the TPM part of a create (PCR 16 extend in a fresh process), median of $((N * 3)), load $(cut -d' ' -f1-3 /proc/loadavg):"
	echo "  process alone (anchor) $(us "$none") ms; ESAPI (before) +$(us $((esapi - none))) ms;" \
		"TCTI (now) +$(us $((tcti - none))) ms (ratio of the added times $(bench_ratio $((tcti - none)) $((esapi - none))))"
else
	echo "tpm: part 4 skipped: cannot build bench/tpm_extend.c (build/rel/libbulkhead-internal.a built? make bench makes it): $(head -c 300 "$T/cc.err")"
fi
exit 0
