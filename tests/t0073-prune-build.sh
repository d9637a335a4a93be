#!/usr/bin/env bash
# prune never breaks a build running at the same time: a classic
# multi-stage build whose first stage carries the app's labels (as a
# synthesized Dockerfile may) leaves that stage's image untagged while the
# second stage runs, and COPY --from refers to it by ID. prune runs in a
# loop during the build and must leave it alone (the --min-age margin);
# the same loop with --min-age 0s breaks the build (so the test can fail).
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"
export DOCKER_BUILDKIT=0

# build_while_pruning TAG [PRUNE OPTIONS...]: the build's status in build.rc
build_while_pruning() {
	local tag=$1 pid n=0
	shift
	mkdir -p ctx &&
	cat >ctx/Dockerfile <<-EOF &&
	FROM $ND_TEST_BUSYBOX AS builder
	LABEL nextdeploy.managed=true nextdeploy.app=$APP
	RUN sleep 2 && echo "built $tag" >/artifact
	FROM $ND_TEST_BUSYBOX
	RUN sleep 3
	COPY --from=builder /artifact /artifact
	EOF
	{
		docker build --no-cache \
			--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
			--label nextdeploy.service=web --label "nextdeploy.release=$tag" \
			-t "$APP:$tag" ctx >build.log 2>&1
		echo $? >build.rc
	} &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		nd prune "$@" >>prune.log 2>&1 || return 1
		n=$((n + 1))
		sleep 0.2
	done
	wait $pid
	say "# $n prunes during the build; build status $(cat build.rc)"
	test $n -ge 5
}

test_expect_success 'setup' '
	nd_app_init
'

test_expect_success 'a multi-stage build succeeds while prune runs in a loop' '
	build_while_pruning m1 &&
	echo 0 >want && test_cmp want build.rc &&
	test_grep -v "warning|REMOVED" prune.log &&
	docker run --rm "$APP:m1" cat /artifact >out &&
	echo "built m1" >want && test_cmp want out
'

test_expect_success 'the builder stage image was a candidate: only the margin kept it' '
	nd prune --dry-run --min-age 0s --json >out.json &&
	json_get out.json "[i[\"reason\"] for i in d[\"removed\"]]" >v &&
	echo "[\"dangling\"]" >want && test_cmp want v &&
	nd prune --dry-run --json >out.json &&
	json_get out.json "[i[\"reason\"] for i in d[\"kept\"] if i[\"name\"] == \"<none>\"]" >v &&
	echo "[\"dangling, younger than the safety margin\"]" >want && test_cmp want v
'

test_expect_success 'without the margin the same build breaks at COPY --from' '
	rm -f prune.log &&
	build_while_pruning m2 --min-age 0s &&
	! test "$(cat build.rc)" = 0 &&
	test_grep "COPY --from=builder" build.log &&
	test_grep "No such image" build.log &&
	test_grep "^image +<none> .* dangling" prune.log &&
	# the build step containers inherit the stage'"'"'s labels, but are
	# not named nd-APP-...: never touched, even without the margin
	test_grep -v "^container|warning" prune.log
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP"
'

test_done
