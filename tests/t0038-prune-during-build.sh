#!/usr/bin/env bash
# prune never breaks a nextdeploy build running at the same time, even when
# the build reuses an OLD stage image from the layer cache (older than any
# age margin, and not the newest of its stage): the build's marker on the
# engine makes prune keep the app's images ("a build is running"). The
# control shows what the marker prevents: that same stage image removed in
# the middle of the build fails it at COPY --from.
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

# the app's dangling build stage images, "ID CREATED" newest last
stage_of_src() { # stage_of_src TEXT: the stage image built from that src.txt
	local id
	for id in $(docker images -q --filter "label=nextdeploy.app=$APP" \
		--filter label=nextdeploy.stage=build --filter dangling=true); do
		if [ "$(docker run --rm "$id" cat /artifact)" = "$1" ]; then
			echo "$id"
			return 0
		fi
	done
	return 1
}

build_src() { # build_src TEXT [BUILD OPTIONS]
	local text=$1
	shift
	echo "$text" >src.txt &&
	nd -v build --progress=plain "$@" >build.out 2>build.err || {
		tail -20 build.err >&2
		return 1
	}
}

test_expect_success 'setup: a Dockerfile app whose build stage is labeled as nextdeploy labels them' '
	printf "app: %s\ndeploy:\n  port: 8080\n" "$APP" >nextdeploy.yml &&
	cat >Dockerfile <<-EOF &&
	FROM $ND_TEST_BUSYBOX AS build
	LABEL nextdeploy.managed="true" nextdeploy.app="$APP" nextdeploy.stage="build"
	COPY src.txt /src.txt
	RUN cp /src.txt /artifact
	FROM $ND_TEST_BUSYBOX
	ARG SLOW=0
	RUN echo $APP >/app && sleep \$SLOW
	COPY --from=build /artifact /artifact
	EOF
	build_src one &&
	build_src two &&
	stage_of_src one >s_one &&
	stage_of_src two >s_two &&
	! test "$(cat s_one)" = "$(cat s_two)"
'

test_expect_success 'control: the reused stage image removed mid-build fails the build' '
	echo one >src.txt &&
	start_bg ctl -v build --progress=plain --build-arg SLOW=5 &&
	nd_wait_for 30 grep -q "/app && sleep" ctl.err &&
	# the stage came from the cache: it is the old image
	sed -n "/COPY src.txt/,/FROM/p" ctl.err >steps &&
	test_grep "Using cache" steps &&
	docker rmi "$(cat s_one)" >/dev/null || {
		kill $pid
		return 1
	}
	wait $pid
	rc=$?
	cat ctl.err >&2
	test "$rc" = 1 &&
	test_grep "COPY --from=build" ctl.err &&
	test_grep "No such image" ctl.err &&
	test -z "$(docker volume ls -q --filter "label=nextdeploy.app=$APP" --filter label=nextdeploy.marker)"
'

test_expect_success 'setup: one again (now the newest stage), two is old and not the cache' '
	build_src one &&
	stage_of_src one >s_one &&
	nd prune --min-age 0s --dry-run --json >p.json &&
	json_get p.json "[i[\"reason\"] for i in d[\"removed\"] if i[\"id\"][7:19] == \"$(cat s_two)\"]" >v &&
	echo "[\"build stage (dangling)\"]" >want && test_cmp want v
'

test_expect_success 'prune in a loop during a build that reuses the old stage: the build succeeds' '
	echo two >src.txt &&
	start_bg b -v build --progress=plain --json --build-arg SLOW=6 &&
	# from the build marker on: before it the stage image was fair game
	nd_wait_for 30 sh -c "docker volume ls -q --filter label=nextdeploy.app=$APP --filter label=nextdeploy.marker=build | grep -q ." || {
		kill $pid
		return 1
	}
	n=0
	while kill -0 $pid 2>/dev/null; do
		nd prune --min-age 0s --json >prune-$n.json 2>prune-$n.err || return 1
		n=$((n + 1))
		sleep 0.2
	done
	wait $pid
	rc=$?
	say "# $n prunes during the build; build status $rc"
	cat b.err >&2
	test "$rc" = 0 &&
	test $n -ge 5 &&
	sed -n "/COPY src.txt/,/FROM/p" b.err >steps &&
	test_grep "Using cache" steps &&
	docker image inspect "$(cat s_two)" >/dev/null &&
	docker run --rm "$(json_get b.out "d[\"image\"]")" cat /artifact >out &&
	echo two >want && test_cmp want out &&
	# every prune that ran while the marker was there reported the build
	# and kept the stage image; none removed anything of the app
	for f in prune-*.json; do
		json_get $f "[i[\"reason\"] for i in d[\"removed\"] if i[\"type\"] == \"image\"]" >v &&
		echo "[]" >want && test_cmp want v || return 1
	done &&
	json_get prune-0.json "[b[\"app\"] for b in d[\"running_builds\"]]" >v &&
	echo "[\"$APP\"]" >want && test_cmp want v &&
	json_get prune-0.json "[i[\"reason\"] for i in d[\"kept\"] if i[\"id\"][7:19] == \"$(cat s_two)\"]" >v &&
	echo "[\"a build is running\"]" >want && test_cmp want v &&
	test_grep "a build of .$APP. is running \(pid [0-9]+ on " prune-0.err
'

test_expect_success 'after the build, prune removes what it may' '
	test -z "$(docker volume ls -q --filter "label=nextdeploy.app=$APP" --filter label=nextdeploy.marker)" &&
	nd prune --min-age 0s --json >after.json &&
	json_get after.json "d[\"running_builds\"]" >v &&
	echo "[]" >want && test_cmp want v &&
	json_get after.json "[i[\"reason\"] for i in d[\"removed\"] if i[\"id\"][7:19] == \"$(cat s_two)\"]" >v &&
	echo "[\"build stage (dangling)\"]" >want && test_cmp want v &&
	json_get after.json "[i[\"reason\"] for i in d[\"kept\"] if i[\"id\"][7:19] == \"$(cat s_one)\"]" >v &&
	echo "[\"build cache\"]" >want && test_cmp want v &&
	test_must_fail docker image inspect "$(cat s_two)" >/dev/null 2>&1
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP"
'

test_done
