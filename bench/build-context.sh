#!/usr/bin/env bash
# bench/build-context.sh - compare how long `nextdeploy build` and
# `docker build` (the CLI, classic builder) take to send the same build
# context to the same engine, in the same run, and print the ratios.
#
#   bench/build-context.sh [SIZE_MIB] [RUNS]      (default 512 MiB, 3 runs)
#
# The context (under $BENCH_DIR or a mktemp folder, removed at the end):
# half random data, half sparse files, plus 2000 small files, and a
# Dockerfile with only `FROM $BENCH_IMAGE` and `RUN true`, so the engine's
# own work is the same for both clients and small. Each client runs RUNS
# times, alternating; medians of wall time and peak RSS are reported, and
# nextdeploy's own "sent the build context" time. Not part of the test
# suite: numbers depend on the machine and are not committed anywhere.
#
# Environment: NEXTDEPLOY_BIN (default ./nextdeploy), DOCKER (default docker),
# BENCH_IMAGE (default nd-test/busybox:latest), BENCH_DIR.
set -euo pipefail

size_mib=${1:-512}
runs=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
nd=${NEXTDEPLOY_BIN:-$here/nextdeploy}
docker=${DOCKER:-docker}
image=${BENCH_IMAGE:-nd-test/busybox:latest}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
[ -x "$nd" ] || { echo "no nextdeploy binary at $nd (make)" >&2; exit 2; }
"$docker" image inspect "$image" >/dev/null 2>&1 || { echo "no image $image" >&2; exit 2; }

work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/nd-bench-XXXXXX")
app=ndbench-$$
cleanup() {
	"$docker" images -q --filter "label=nextdeploy.app=$app" | sort -u | xargs -r "$docker" rmi -f >/dev/null 2>&1 || true
	"$docker" rmi -f "$app-docker:bench" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

ctx=$work/ctx
mkdir -p "$ctx/small" "$work/proj"
printf 'FROM %s\nRUN true\n' "$image" >"$ctx/Dockerfile"
half=$((size_mib / 2))
head -c $((half * 1048576)) /dev/urandom >"$ctx/random.bin"
truncate -s $((size_mib - half))M "$ctx/sparse.bin"
for i in $(seq 1 2000); do echo "file $i" >"$ctx/small/f$i.txt"; done
printf 'app: %s\nsource:\n  path: ../ctx\n' "$app" >"$work/proj/nextdeploy.yml"
sync

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

: >"$work/nd.times"
: >"$work/docker.times"
: >"$work/nd.sent"
for r in $(seq 1 "$runs"); do
	/usr/bin/time -f '%e %M' -o "$work/t" "$nd" -f "$work/proj/nextdeploy.yml" \
		build --force --tag "bench-$r" --progress=plain >/dev/null 2>"$work/nd.err"
	cat "$work/t" >>"$work/nd.times"
	sed -n 's/^sent the build context: .* in \([0-9.]*\)s$/\1/p' "$work/nd.err" >>"$work/nd.sent"
	DOCKER_BUILDKIT=0 /usr/bin/time -f '%e %M' -o "$work/t" "$docker" build -q \
		-t "$app-docker:bench" "$ctx" >/dev/null 2>&1
	cat "$work/t" >>"$work/docker.times"
done

nd_s=$(awk '{ print $1 }' "$work/nd.times" | median)
nd_kb=$(awk '{ print $2 }' "$work/nd.times" | median)
dk_s=$(awk '{ print $1 }' "$work/docker.times" | median)
dk_kb=$(awk '{ print $2 }' "$work/docker.times" | median)
sent=$(median <"$work/nd.sent")

printf 'context: %d MiB (half random, half sparse) + 2000 small files; %d runs each, medians\n' "$size_mib" "$runs"
printf '%-22s %10s %14s\n' client "wall (s)" "peak RSS (MiB)"
printf '%-22s %10s %14.1f\n' "nextdeploy build" "$nd_s" "$(echo "$nd_kb / 1024" | bc -l)"
printf '%-22s %10s %14.1f\n' "docker build (classic)" "$dk_s" "$(echo "$dk_kb / 1024" | bc -l)"
printf 'nextdeploy: context sent in %ss (%.0f MiB/s)\n' "$sent" "$(echo "$size_mib / $sent" | bc -l)"
printf 'ratio nextdeploy/docker: wall %.2f, peak RSS %.2f\n' \
	"$(echo "$nd_s / $dk_s" | bc -l)" "$(echo "$nd_kb / $dk_kb" | bc -l)"
