#!/usr/bin/env bash
# Throughput of `nextdeploy logs` against `docker logs` on the same log, in
# the same run: a labeled busybox container writes 200,000 lines (the
# producer of TESTBED.md §7), then both read it to /dev/null, alternately,
# RUNS times each (hyperfine when installed). Prints the medians and the
# ratio nextdeploy/docker (below 1.0: nextdeploy is faster). Not part of
# the test suite: timing on a shared machine is noisy.
#
#   bash bench/logs.sh [RUNS]        (NEXTDEPLOY_BIN, BENCH_IMAGE to override)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
ND=${NEXTDEPLOY_BIN:-$here/nextdeploy}
IMAGE=${BENCH_IMAGE:-nd-test/busybox:latest}
RUNS=${1:-7}
LINES=200000
app="ndbench-$$"
name="nd-$app-web-r1"
dir=$(mktemp -d)
cleanup() {
	docker rm -f "$name" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT

printf 'app: %s\n' "$app" >"$dir/nextdeploy.yml"
docker run -d --name "$name" --label nextdeploy.managed=true \
	--label "nextdeploy.app=$app" --label nextdeploy.service=web \
	--label nextdeploy.release=r1 "$IMAGE" \
	awk "BEGIN{for(i=1;i<=$LINES;i++) printf \"line %06d lorem ipsum dolor sit amet, consectetur adipiscing elit\\n\", i}" >/dev/null
docker wait "$name" >/dev/null

# both must see the same log before anything is timed
a=$(cd "$dir" && "$ND" logs | wc -l)
b=$(docker logs "$name" | wc -l)
if [ "$a" != "$LINES" ] || [ "$b" != "$LINES" ]; then
	echo "bench: expected $LINES lines, nextdeploy gave $a, docker $b" >&2
	exit 1
fi

if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N -w 1 -r "$RUNS" --export-json "$dir/h.json" \
		-n nextdeploy "$ND -C $dir logs" \
		-n docker "docker logs $name" >/dev/null
	python3 - "$dir/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
nd, dk = r["nextdeploy"]["median"], r["docker"]["median"]
print("nextdeploy logs  median %.0f ms" % (nd * 1000))
print("docker logs      median %.0f ms" % (dk * 1000))
print("ratio nextdeploy/docker: %.2f" % (nd / dk))
PY
	exit 0
fi

# no hyperfine: alternate the two, keep the medians
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
nd_t=() dk_t=()
for _ in $(seq "$RUNS"); do
	nd_t+=("$(ms "$ND" -C "$dir" logs)")
	dk_t+=("$(ms docker logs "$name")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
n=$(median "${nd_t[@]}")
d=$(median "${dk_t[@]}")
echo "nextdeploy logs  median $n ms  (${nd_t[*]})"
echo "docker logs      median $d ms  (${dk_t[*]})"
awk -v n="$n" -v d="$d" 'BEGIN{printf "ratio nextdeploy/docker: %.2f\n", n/d}'
