#!/usr/bin/env bash
# local run ending without Ctrl-C: a process that exits by itself ends the
# session with its status; one that dies before it is healthy, or an app
# that fails its health check, ends it with 1 and the reason; a failing
# build runs nothing; everything is removed in every case
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/local-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

test_expect_success 'an app that exits by itself: its status, after its last lines' '
	test_when_finished lr_kill &&
	lr_app exit7 "  env: { MODE: exit7 }" &&
	lr_start exit7 &&
	lr_wait 7 &&
	test_grep "^web \| exiting with 7$" lr.out &&
	test_grep " is ready at http" lr.err &&
	test_grep "^nd-$APP-local-web exited with status 7$" lr.err &&
	lr_left >left && test ! -s left
'

test_expect_success 'a worker that exits ends the session and stops the web process' '
	test_when_finished lr_kill &&
	lr_app worker "build:" "  labels:" \
		"    nextdeploy.processes: '"'"'{\"worker\":[\"sh\",\"-c\",\"sleep 3; echo worker done; exit 3\"]}'"'"'" &&
	lr_start worker &&
	lr_wait 3 &&
	test_grep "^worker \| worker done$" lr.out &&
	test_grep "^web    \| bye from web$" lr.out &&
	test_grep "^nd-$APP-local-worker exited with status 3$" lr.err &&
	lr_left >left && test ! -s left
'

test_expect_success 'an app that exits before it is healthy: 1 and the reason' '
	test_when_finished lr_kill &&
	lr_app early &&
	sed -i "s|interval: 200ms }|interval: 200ms, start_period: 30s }|" early/nextdeploy.yml &&
	sed -i "s|^CMD .*|CMD [\"sh\", \"-c\", \"echo about to fail; exit 5\"]|" early/Dockerfile &&
	lr_start early &&
	lr_wait 1 &&
	test_grep "^web \| about to fail$" lr.out &&
	test_grep "^error: nd-$APP-local-web exited with status 5 before it was healthy$|^error: nd-$APP-local-web failed its health check: the container exited with status 5$" lr.err &&
	test_grep -v " is ready at " lr.err &&
	lr_left >left && test ! -s left
'

test_expect_success 'an app that fails its health check: 1, the reason and the probe output' '
	test_when_finished lr_kill &&
	lr_app sick &&
	sed -i "s|healthcheck: { path: /health, interval: 200ms }|healthcheck: { path: /missing, interval: 200ms, retries: 3 }|" sick/nextdeploy.yml &&
	lr_start sick &&
	lr_wait 1 &&
	test_grep "^error: nd-$APP-local-web failed its health check: 3 health checks failed \(deploy.healthcheck.path\)$" lr.err &&
	test_grep "^last health check output:$" lr.err &&
	test_grep "404" lr.err &&
	test_grep "^web    \| web up on 8080$|^web \| web up on 8080$" lr.out &&
	test_grep "bye from web" lr.out &&
	lr_left >left && test ! -s left
'

test_expect_success 'a failing build runs nothing' '
	lr_app broken &&
	echo "RUN echo failing-step && exit 9" >>broken/Dockerfile &&
	test_expect_code 1 nd -C broken local run >out 2>err &&
	test_grep "^error: " err &&
	test_grep "failing-step" err &&
	test_grep -v "running $APP" err &&
	lr_left >left && test ! -s left
'

test_done
