#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# What the policy at create costs a container start, against crun, in the
# same run: median start-to-exit time of `run` of /bin/true (create, start,
# wait, delete) on the same bundle, state roots on a tmpfs, the runtimes
# interleaved run by run so that a change of load on the machine hits all
# alike:
#
#   none       bulkhead without a policy (no policy file: nothing is read)
#   workload   bulkhead --policy: three workload rules (enforce, warn, audit)
#              over the bundle's config.json
#   signature  bulkhead --policy: share/policy/examples' runtime rules plus an
#              imageSignature rule with a key file (the key parsed at every
#              create) and an imageProvenance rule, the image named by CRI-O
#              annotations in the bundle (the signature rule's scope leaves
#              it out: no registry is asked here; a cached verification is
#              bench/verify.sh's figure)
#   crun       crun on the same bundle, in a private mount namespace without
#              the cgroup2 mount (crun refuses this machine's hybrid layout)
#
# Targets: workload/none and signature/none <= 1.10; bulkhead with a policy
# not slower than crun. Prints MET or MISSED; exits 0 either way (1 only if it
# cannot run).
#
#   N=100 bench/create-policy.sh
set -u
: "${BULKHEAD:=$(cd "$(dirname "$0")/.." && pwd)/bulkhead}"
: "${TESTDATA:=$(cd "$(dirname "$0")/.." && pwd)/../shared/data}"
N=${N:-100}
SRC="$(cd "$(dirname "$0")/.." && pwd)"
IMAGE="$TESTDATA/images/alpine-3.19.4.docker.tar"

if [ "$(id -u)" != 0 ]; then
	echo "create-policy: SKIP: needs root (namespaces, cgroups, a tmpfs for the state roots)"
	exit 0
fi
[ -x "$BULKHEAD" ] || { echo "create-policy: no bulkhead binary at $BULKHEAD" >&2; exit 1; }
[ -f "$IMAGE" ] || { echo "create-policy: no test image $IMAGE" >&2; exit 1; }
have_crun=false
command -v crun >/dev/null && have_crun=true

. "$SRC/bench/lib.sh"
bench_state_tmpfs create-policy
ROOT_BH="$T/state/bulkhead" ROOT_CRUN="$T/state/crun"
export BULKHEAD_POLICY_DIR="$T/no-policy.d"

"$BULKHEAD" image bundle "$IMAGE" "$T/b" -- /bin/true >/dev/null || exit 1
python3 - "$T/b" <<'PY' || exit 1
import json, sys
d = sys.argv[1]
c = json.load(open(d + "/config.json"))
c["root"]["path"] = d + "/rootfs"
c["annotations"] = {"io.kubernetes.cri-o.ImageName": "other.example/app:1",
                    "io.kubernetes.cri-o.ImageRef": "other.example/app@sha256:" + "a" * 64}
json.dump(c, open(d + "/config.json", "w"))
PY
cat >"$T/workload.yaml" <<'EOF'
apiVersion: bulkhead.dev/v1alpha1
kind: Policy
spec:
  rules:
  - name: no-privileged
    kind: workload
    denyPrivileged: true
    denyHostNamespaces: true
    denyHostPaths: true
  - name: read-only-root
    kind: workload
    action: warn
    requireReadOnlyRoot: true
  - name: memory-limit
    kind: workload
    action: audit
    requireLimits: [memory]
EOF
cp "$SRC/share/policy/examples/keys/release.pub" "$T/release.pub"
cp "$SRC/share/policy/examples/runtime.yaml" "$T/runtime.yaml"
cat >"$T/signature.yaml" <<EOF
apiVersion: bulkhead.dev/v1alpha1
kind: Policy
spec:
  rules:
  - name: signed-by-release
    kind: imageSignature
    keys: [$T/release.pub]
    scope:
      images: ["registry.example.com/**"]
  - name: known-registries
    kind: imageProvenance
    action: warn
    registries: [registry.example.com, other.example]
EOF
for p in workload runtime signature; do
	"$BULKHEAD" policy validate "$T/$p.yaml" >/dev/null || { echo "create-policy: $p.yaml does not validate" >&2; exit 1; }
done

now_us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
median() { sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print "-"}'; }

# All four in one private mount namespace without the cgroup2 mount (crun
# refuses this machine's hybrid layout; bulkhead runs the same either way),
# one run of each per iteration, their order rotating, so that load on the
# machine falls on all four alike.
runs() { # N
	unshare -m bash -c '
		umount /sys/fs/cgroup/unified 2>/dev/null
		cd "$2" || exit 1
		T=$1 BH=$3 RB=$4 RC=$5 N=$6 have_crun=$7
		one() { # NAME CMD...
			local f=$1 s e
			shift
			s=${EPOCHREALTIME/./}
			if "$@" "r$$-$RANDOM$RANDOM" >/dev/null 2>>"$T/t.$f.err"; then
				e=${EPOCHREALTIME/./}
				echo $((10#$e - 10#$s)) >>"$T/t.$f"
			else
				echo x >>"$T/t.$f.fail"
			fi
		}
		for ((i = 0; i < N; i++)); do
			for ((j = 0; j < 4; j++)); do
				case $(((i + j) % 4)) in
				0) one none "$BH" --root "$RB" run ;;
				1) one workload "$BH" --root "$RB" --policy "$T/workload.yaml" run ;;
				2) one signature "$BH" --root "$RB" --policy "$T/runtime.yaml" --policy "$T/signature.yaml" run ;;
				3) $have_crun && one crun crun --root "$RC" run ;;
				esac
			done
		done' create-policy "$T" "$T/b" "$BULKHEAD" "$ROOT_BH" "$ROOT_CRUN" "$1" "$have_crun"
}

echo "== run /bin/true: median of $N runs each (interleaved run by run), state roots on tmpfs"
echo "   bulkhead $("$BULKHEAD" version 2>/dev/null | head -1)"
$have_crun && echo "   $(crun --version | head -1)" || echo "   crun: not installed"
runs 3 # warm-up: page cache, the bundle, the verification cache
rm -f "$T"/t.*
runs "$N"
for f in none workload signature crun; do
	[ -s "$T/t.$f.fail" ] &&
		echo "  $f: $(wc -l <"$T/t.$f.fail") runs failed: $(sort -u "$T/t.$f.err" | head -3)"
done
printf '  %-34s %10s %6s\n' "" "median µs" runs
declare -A med
for f in none workload signature crun; do
	[ -s "$T/t.$f" ] || { med[$f]=-; continue; }
	med[$f]=$(median <"$T/t.$f")
	printf '  %-34s %10s %6s\n' "$f" "${med[$f]}" "$(wc -l <"$T/t.$f")"
done
ratio() { # NAME A B TARGET
	if [ "$2" = - ] || [ "$3" = - ]; then
		echo "  $1: no figure"
		return
	fi
	awk -v n="$1" -v a="$2" -v b="$3" -v t="$4" 'BEGIN {
		printf "  %-34s %.3f  target <= %.2f: %s\n", n, a / b, t, a / b <= t ? "MET" : "MISSED" }'
}
ratio "workload policy / no policy" "${med[workload]}" "${med[none]}" 1.10
ratio "signature policy / no policy" "${med[signature]}" "${med[none]}" 1.10
ratio "workload policy / crun" "${med[workload]}" "${med[crun]}" 1.00
ratio "signature policy / crun" "${med[signature]}" "${med[crun]}" 1.00
# the policy's own part of a create, from the runtime's debug log (reading,
# composing, compiling the files, finding the image, evaluating)
echo
echo "== the policy step alone (bulkhead --debug: \"decided in\"), median of 20 creates each"
cd "$T/b" || exit 1
for p in workload signature; do
	args=(--policy "$T/workload.yaml")
	[ $p = signature ] && args=(--policy "$T/runtime.yaml" --policy "$T/signature.yaml")
	for ((i = 0; i < 20; i++)); do
		"$BULKHEAD" --debug --root "$ROOT_BH" "${args[@]}" run "d$$-$i" 2>&1 >/dev/null |
			sed -n 's/.*decided in \([0-9]*\) µs.*/\1/p'
	done | median | awk -v p="$p" -v none="${med[none]}" '{
		printf "  %-34s %6d µs  (%.1f%% of a run without policy)\n", p, $1, none == "-" ? 0 : 100 * $1 / none }'
done
exit 0
