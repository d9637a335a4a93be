#!/usr/bin/env bash
# build and prune markers on the engine (labeled volumes): a build holds
# one while it runs and removes it on every path (success, failure,
# SIGINT, SIGTERM); a build waits for a running prune of its app (or of
# every app) and goes on when it ends; stale markers (this host, process
# gone) are ignored and removed by the next prune; a marker is never one
# of the project's volumes (prune --volumes, down --volumes); the same on
# Podman
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"
trap 'nd_cleanup_app "$APP"' EXIT

# start the binary in the background (pid in $pid), SIGINT at its default
start_bg() {
	local out=$1
	shift
	python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$ND_BIN" "$@" >"$out.out" 2>"$out.err" &
	pid=$!
}

markers() { # markers [KIND]: the app's marker volumes
	docker volume ls -q --filter "label=nextdeploy.app=$APP" \
		--filter "label=nextdeploy.marker${1:+=$1}"
}

# fake_marker NAME KIND APP HOST PID: a marker as another process made it
fake_marker() {
	docker volume create --label nextdeploy.managed=true \
		--label "nextdeploy.app=$3" --label "nextdeploy.marker=$2" \
		--label "nextdeploy.marker.host=$4" --label "nextdeploy.marker.pid=$5" \
		--label "nextdeploy.marker.started=$(date +%s)" "$1" >/dev/null
}

dead_pid() {
	sh -c 'echo $$' # a process that has ended
}

now() { date +%s.%N; }
secs() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

test_expect_success 'setup: a Dockerfile app with a slow step' '
	printf "app: %s\ndeploy:\n  port: 8080\n" "$APP" >nextdeploy.yml &&
	cat >Dockerfile <<-EOF
	FROM $ND_TEST_BUSYBOX
	ARG SLOW=0
	RUN echo "$APP \$SLOW" >/x && echo sleep""ing-now && sleep \$SLOW
	EOF
'

test_expect_success 'a build holds a marker while it runs, with who holds it' '
	start_bg b1 build --force --progress=plain --build-arg SLOW=4 &&
	nd_wait_for 30 grep -q "^sleeping-now" b1.err || { kill $pid; return 1; }
	markers build >m &&
	test $(wc -l <m) = 1 &&
	grep -qE "^nd-$APP-build-[0-9a-f]{12}\$" m &&
	docker volume inspect -f "{{json .Labels}}" "$(cat m)" >labels.json &&
	test "$(json_get labels.json "d[\"nextdeploy.managed\"]")" = true &&
	test "$(json_get labels.json "d[\"nextdeploy.app\"]")" = "$APP" &&
	test "$(json_get labels.json "d[\"nextdeploy.marker.host\"]")" = "$(hostname)" &&
	test "$(json_get labels.json "d[\"nextdeploy.marker.pid\"]")" = "$pid" &&
	json_get labels.json "abs(int(d[\"nextdeploy.marker.started\"]) - $(date +%s)) < 30" >v &&
	echo true >want && test_cmp want v &&
	json_get labels.json "d[\"nextdeploy.marker.process\"]" >v &&
	grep -qE "^$(cat /proc/sys/kernel/random/boot_id):[0-9]+:[0-9]+\$" v &&
	# never a project volume, even with --volumes and no margin
	nd prune --volumes --min-age 0s >p.out 2>p.err &&
	test_grep "a build of .$APP. is running \(pid $pid on $(hostname), started " p.err &&
	nd prune --all --volumes --dry-run --json >pall.json &&
	json_get pall.json "[i[\"name\"] for i in d[\"removed\"] if i[\"type\"] == \"volume\"]" >v &&
	test_grep -v "$APP" v &&
	test "$(markers build)" = "$(cat m)" &&
	wait $pid &&
	test -z "$(markers)"
'

test_expect_success 'a failing build removes its marker too' '
	mkdir -p bad &&
	printf "app: %s\ndeploy:\n  port: 8080\n" "$APP" >bad/nextdeploy.yml &&
	printf "FROM %s\nRUN echo $APP-bad && exit 3\n" "$ND_TEST_BUSYBOX" >bad/Dockerfile &&
	test_expect_code 1 nd -C bad build --progress=plain 2>bad.err &&
	test_grep "exit 3|non-zero code: 3" bad.err &&
	test -z "$(markers)"
'

# interrupt SIG: a build stopped in its slow step removes its marker,
# then dies of the signal
interrupt() {
	local sig=$1 want=$2 t0 t1
	start_bg int build --force --progress=plain --build-arg SLOW=30 &&
	nd_wait_for 30 grep -q "^sleeping-now" int.err &&
	test -n "$(markers build)" || { kill $pid; return 1; }
	t0=$(now)
	kill -$sig $pid
	wait $pid
	rc=$?
	t1=$(now)
	say "# SIG$sig: exit $rc after $(secs $t0 $t1)s"
	test "$rc" = "$want" &&
	test -z "$(markers)" &&
	# within the cancel poll (about a second) and the marker removal
	test "$(python3 -c "print($t1 - $t0 < 5)")" = True
}

test_expect_success 'SIGINT mid-build: exit 130, the marker removed' '
	interrupt INT 130 && interrupt INT 130
'

test_expect_success 'SIGTERM mid-build: exit 143, the marker removed' '
	interrupt TERM 143 && interrupt TERM 143
'

test_expect_success 'a running prune of the app: the build says so once, waits, then goes on' '
	fake_marker "nd-$APP-prune-fake00000001" prune "$APP" elsewhere 4242 &&
	start_bg w1 build --force --progress=plain --build-arg SLOW=0 &&
	nd_wait_for 10 grep -q "waiting for a prune" w1.err &&
	sleep 2 &&
	# still waiting: nothing sent yet
	kill -0 $pid &&
	test_grep -v "sent the build context" w1.err &&
	t0=$(now) &&
	docker volume rm "nd-$APP-prune-fake00000001" >/dev/null &&
	nd_wait_for 10 grep -q "sent the build context" w1.err &&
	t1=$(now) &&
	wait $pid &&
	say "# the build went on $(secs $t0 $t1)s after the prune marker went" &&
	test "$(python3 -c "print($t1 - $t0 < 2)")" = True &&
	test "$(grep -c "waiting for a prune" w1.err)" = 1 &&
	test_grep "^waiting for a prune of .$APP. to finish \(pid 4242 on elsewhere, started " w1.err &&
	test -z "$(markers)"
'

test_expect_success 'a running prune of every app (--all) makes it wait too' '
	fake_marker "nextdeploy-prune-$APP" prune _all elsewhere 4243 &&
	test_when_finished "docker volume rm -f nextdeploy-prune-$APP >/dev/null" &&
	start_bg w2 build --force --progress=plain --build-arg SLOW=0 &&
	nd_wait_for 10 grep -q "waiting for a prune of every app" w2.err &&
	docker volume rm "nextdeploy-prune-$APP" >/dev/null &&
	wait $pid &&
	test -z "$(markers)"
'

test_expect_success 'a stale prune marker (this host, process gone) is ignored, then removed by prune' '
	fake_marker "nd-$APP-prune-fake00000002" prune "$APP" "$(hostname)" "$(dead_pid)" &&
	t0=$(now) &&
	nd build --force --progress=plain --build-arg SLOW=0 2>s.err &&
	t1=$(now) &&
	test_grep -v "waiting for a prune" s.err &&
	say "# build with a stale prune marker: $(secs $t0 $t1)s" &&
	nd prune >s.out &&
	test_grep "^volume +nd-$APP-prune-fake00000002 +- +stale prune marker \(its process is gone\)" s.out &&
	test -z "$(markers)"
'

test_expect_success 'a build running elsewhere keeps the app images; a stale build marker does not' '
	mkdir -p dctx &&
	printf "FROM %s\nRUN echo $APP-dangling >/d\n" "$ND_TEST_BUSYBOX" >dctx/Dockerfile &&
	docker build -q --label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label nextdeploy.stage=build dctx >dangling.id &&
	# and a newer one of the same stage: the older is not the cache
	printf "FROM %s\nRUN echo $APP-dangling-2 >/d\n" "$ND_TEST_BUSYBOX" >dctx/Dockerfile &&
	sleep 1 &&
	docker build -q --label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label nextdeploy.stage=build dctx >newer.id &&
	old=$(cut -c8-19 dangling.id) &&
	fake_marker "nd-$APP-build-fake00000003" build "$APP" elsewhere 4244 &&
	nd prune --min-age 0s --json >k.json 2>k.err &&
	json_get k.json "[i[\"reason\"] for i in d[\"kept\"] if i[\"id\"][7:19] == \"$old\"]" >v &&
	echo "[\"a build is running\"]" >want && test_cmp want v &&
	json_get k.json "[(b[\"host\"], b[\"pid\"]) for b in d[\"running_builds\"]]" >v &&
	echo "[[\"elsewhere\", 4244]]" >want && test_cmp want v &&
	test_grep "a build of .$APP. is running \(pid 4244 on elsewhere" k.err &&
	docker volume rm "nd-$APP-build-fake00000003" >/dev/null &&
	fake_marker "nd-$APP-build-fake00000004" build "$APP" "$(hostname)" "$(dead_pid)" &&
	nd prune --min-age 0s --json >r.json &&
	json_get r.json "sorted(i[\"reason\"] for i in d[\"removed\"] if i[\"reason\"] != \"dangling\")" >v &&
	echo "[\"build stage (dangling)\", \"stale build marker (its process is gone)\"]" >want &&
	test_cmp want v &&
	json_get r.json "d[\"running_builds\"]" >v && echo "[]" >want && test_cmp want v &&
	test_must_fail docker image inspect "$old" >/dev/null 2>&1 &&
	test -z "$(markers)"
'

test_expect_success 'down --volumes removes the data volumes, never a live marker' '
	docker volume create --label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		"nd-$APP-data" >/dev/null &&
	fake_marker "nd-$APP-build-fake00000005" build "$APP" elsewhere 4245 &&
	nd down --volumes >d.out &&
	test_must_fail docker volume inspect "nd-$APP-data" >/dev/null 2>&1 &&
	test "$(markers)" = "nd-$APP-build-fake00000005" &&
	docker volume rm "nd-$APP-build-fake00000005" >/dev/null
'

if command -v podman >/dev/null; then
	. "$TEST_ROOT/lib-podman.sh"
	trap 'nd_cleanup_app "$APP"; podman_stop' EXIT
	pd() { docker -H "unix://$PODMAN_SOCK" "$@"; }

	test_expect_success 'Podman: a build holds its marker there and removes it; prune sees it' '
		podman_start &&
		docker save "$ND_TEST_BUSYBOX" >bb.tar &&
		pd load -q -i bb.tar >/dev/null &&
		export DOCKER_HOST=unix://$PODMAN_SOCK &&
		start_bg pb build --force --progress=plain --build-arg SLOW=4 &&
		nd_wait_for 60 grep -q "^sleeping-now" pb.err || { kill $pid; return 1; }
		pd volume ls -q --filter label=nextdeploy.marker=build >m &&
		grep -qE "^nd-$APP-build-[0-9a-f]{12}\$" m &&
		nd prune --min-age 0s --json >pp.json 2>pp.err &&
		json_get pp.json "[b[\"app\"] for b in d[\"running_builds\"]]" >v &&
		echo "[\"$APP\"]" >want && test_cmp want v &&
		test_grep -v "warning" pp.err &&
		wait $pid &&
		test -z "$(pd volume ls -q --filter label=nextdeploy.marker)"
	'
fi

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP" &&
	test -z "$(markers)"
'

test_done
