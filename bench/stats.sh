#!/usr/bin/env bash
# Time `nextdeploy stats --no-stream` against `docker stats --no-stream` (the
# docker CLI) over N idle containers, in the same run, and print the ratio.
# Timing never runs in the test suite; run this by hand:
#
#   bash bench/stats.sh [N...]        (default: 10 20; 5 runs each)
#
# Needs the offline image nd-test/busybox:latest (tests/setup/images.sh).
# Everything it creates carries the label nextdeploy.app=ndbench-$$ and is
# removed at the end.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
ND=${NEXTDEPLOY_BIN:-$here/nextdeploy}
DOCKER=${DOCKER:-docker}
RUNS=${RUNS:-5}
APP=ndbench-$$
IMAGE=nd-test/busybox:latest
[ $# -gt 0 ] || set -- 10 20

work=$(mktemp -d)
cleanup() {
	$DOCKER ps -aq --filter "label=nextdeploy.app=$APP" | xargs -r $DOCKER rm -f >/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
printf 'app: %s\n' "$APP" >"$work/nextdeploy.yml"

now() { date +%s.%N; }

# median of the numbers on stdin
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "engine: $($DOCKER version --format '{{.Server.Version}} (API {{.Server.APIVersion}})'), docker CLI $($DOCKER version --format '{{.Client.Version}}'), $RUNS runs each, median"
printf '%-12s %12s %12s %8s\n' containers nextdeploy docker ratio
have=0
for n in "$@"; do
	while [ "$have" -lt "$n" ]; do
		have=$((have + 1))
		$DOCKER run -d --name "nd-$APP-web-r$have" \
			--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
			--label nextdeploy.service=web --label nextdeploy.release=r1 \
			"$IMAGE" sleep 3600 >/dev/null
	done
	names=$($DOCKER ps -q --filter "label=nextdeploy.app=$APP")
	sleep 2
	: >"$work/nd" && : >"$work/docker"
	for _ in $(seq "$RUNS"); do
		# alternate, so that both see the same engine state; a pause so
		# that neither starts right after the other's requests
		t0=$(now)
		(cd "$work" && "$ND" stats --no-stream >"$work/out.nd")
		t1=$(now)
		awk -v a="$t0" -v b="$t1" "BEGIN { print b - a }" >>"$work/nd"
		[ "$(wc -l <"$work/out.nd")" -eq $((n + 1)) ] || { echo "nextdeploy listed $(($(wc -l <"$work/out.nd") - 1)) of $n" >&2; exit 1; }
		sleep 1.5
		t0=$(now)
		# shellcheck disable=SC2086
		$DOCKER stats --no-stream $names >"$work/out.docker"
		t1=$(now)
		awk -v a="$t0" -v b="$t1" "BEGIN { print b - a }" >>"$work/docker"
		sleep 1.5
	done
	a=$(median <"$work/nd")
	b=$(median <"$work/docker")
	printf '%-12s %11.2fs %11.2fs %8.2f\n' "$n" "$a" "$b" "$(awk -v a="$a" -v b="$b" "BEGIN { print a / b }")"
done
