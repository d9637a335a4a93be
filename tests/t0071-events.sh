#!/usr/bin/env bash
# events: the project's container and network events, live until Ctrl-C,
# replayed with --since/--until, --json, --exec; decoys never shown
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

# nd_int SECS ARGS...: run nextdeploy, send SIGINT after SECS
nd_int() {
	local secs=$1
	shift
	printf '#!/bin/sh\nexec timeout --preserve-status -s INT %s "%s" "$@"\n' "$secs" "$ND_BIN" >"$TRASH/nd-int"
	chmod +x "$TRASH/nd-int"
	(ND_BIN=$TRASH/nd-int && nd "$@")
}

# the project's life: a network, a container with a health check that
# exits 3, then removal; an unlabeled decoy and another app's container
life() {
	docker network create --label nextdeploy.managed=true \
		--label "nextdeploy.app=$APP" "nd-$APP" >/dev/null &&
	docker run -d --name "nd-$APP-web-r1" --network "nd-$APP" \
		--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label nextdeploy.service=web --label nextdeploy.release=r1 \
		--health-cmd true --health-interval 1s \
		"$ND_TEST_BUSYBOX" sh -c "sleep 3.5; exit 3" >/dev/null &&
	docker run -d --name "$APP-decoy" "$ND_TEST_BUSYBOX" true >/dev/null &&
	docker run -d --name "$APP-other" --label nextdeploy.managed=true \
		--label "nextdeploy.app=other-$APP" "$ND_TEST_BUSYBOX" true >/dev/null &&
	docker wait "nd-$APP-web-r1" >/dev/null &&
	docker rm "nd-$APP-web-r1" "$APP-decoy" >/dev/null &&
	docker rm -f "$APP-other" >/dev/null &&
	docker network rm "nd-$APP" >/dev/null
}

cleanup() {
	docker rm -f "$APP-decoy" "$APP-other" >/dev/null 2>&1
	nd_cleanup_app "$APP"
	nd_cleanup_app "other-$APP"
}

# replay FILE [-C DIR] ARGS...: a fresh life, then at once `events --since
# <its start> --until <now+1> ARGS` into FILE. Docker keeps only its last
# 256 events, and other tests fill that quickly on a shared engine: when the
# start of the life is already gone from the replay, live it again (3 tries).
replay() {
	local file=$1 t0 i
	shift
	for i in 1 2 3; do
		t0=$(date +%s.%N) &&
		life &&
		nd "$@" --since "$t0" --until "$(($(date +%s) + 1))" >"$file" || return 1
		grep -qE " network create nd-$APP$| container create $APP-other$|\"type\":\"network\",\"action\":\"create\"" "$file" && return 0
		say "# the engine forgot the start of the life already (try $i)"
	done
	return 1
}

# check_life FILE: the readable lines of one life, in order, no decoys
check_life() {
	grep -E " (container|network) " "$1" | sed -E 's/^[0-9T:.-]+Z //' >seen &&
	cat >want <<-EOF &&
	network create nd-$APP
	container create nd-$APP-web-r1 service=web release=r1
	network connect nd-$APP container=nd-$APP-web-r1
	container start nd-$APP-web-r1 service=web release=r1
	container health_status nd-$APP-web-r1 service=web release=r1 health=healthy
	container die nd-$APP-web-r1 service=web release=r1 exit_code=3
	network disconnect nd-$APP container=nd-$APP-web-r1
	container destroy nd-$APP-web-r1 service=web release=r1
	network destroy nd-$APP
	EOF
	test_cmp want seen &&
	test_grep -v "decoy|other|exec_" "$1"
}

test_expect_success 'setup' '
	nd_app_init
'

test_expect_success 'events follows the project live until Ctrl-C (130)' '
	test_when_finished cleanup &&
	{ nd_int 9 events >live.txt; echo $? >rc; } &
	sleep 1 &&
	life &&
	wait &&
	echo 130 >want && test_cmp want rc &&
	check_life live.txt
'

test_expect_success 'events --since/--until replays the window and ends (0)' '
	test_when_finished cleanup &&
	replay replay.txt events &&
	check_life replay.txt
'

test_expect_success 'events --since with a duration, --until 0s' '
	test_when_finished cleanup &&
	life &&
	nd events --since 30s --until 0s >dur.txt &&
	test_grep " container die nd-$APP-web-r1 service=web release=r1 exit_code=3$" dur.txt &&
	test_grep " network destroy nd-$APP$" dur.txt
'

test_expect_success 'events --json: one object per line, stable keys' '
	test_when_finished cleanup &&
	replay replay.jsonl events --json &&
	python3 -c "
import json
keys = None
die = None
n = 0
for line in open(\"replay.jsonl\"):
    d = json.loads(line)
    n += 1
    k = sorted(d)
    assert keys in (None, k), (keys, k)
    keys = k
    if d[\"action\"] == \"die\":
        die = d
print(n, \" \".join(keys))
print(die[\"name\"], die[\"service\"], die[\"release\"], die[\"exit_code\"], die[\"time\"][-1], len(die[\"time\"]))
" >out &&
	cat >want <<-EOF &&
	9 action app container detail exit_code health id image name release service signal time type
	nd-$APP-web-r1 web r1 3 Z 30
	EOF
	test_cmp want out
'

test_expect_success 'events --exec also shows the health-check execs' '
	test_when_finished cleanup &&
	replay exec.txt events --exec &&
	test_grep " container exec_start nd-$APP-web-r1 service=web release=r1 detail=/bin/sh -c true" exec.txt &&
	test_grep " container exec_die nd-$APP-web-r1 " exec.txt
'

test_expect_success 'events: another app sees only its own container' '
	test_when_finished cleanup &&
	mkdir -p sub && printf "app: other-%s\n" "$APP" >sub/nextdeploy.yml &&
	replay other.txt -C sub events &&
	test_grep " container create $APP-other$" other.txt &&
	test_grep " container destroy $APP-other$" other.txt &&
	test_grep -v "nd-$APP|decoy" other.txt
'

test_expect_success 'events: bad times are usage errors (2)' '
	test_expect_code 2 nd events --since yesterday 2>err &&
	test_grep "invalid --since value .yesterday." err &&
	test_expect_code 2 nd events --since 1m --until 10m 2>err &&
	test_grep "later than --until" err &&
	test_expect_code 2 nd events extra 2>err
'

test_done
