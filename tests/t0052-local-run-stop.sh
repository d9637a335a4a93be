#!/usr/bin/env bash
# local run stopping a process that ignores SIGTERM: after Ctrl-C it waits
# deploy.stop_timeout, then kills; a second Ctrl-C kills at once; the
# containers and the network are removed either way
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/local-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

test_expect_success 'setup: an app that ignores SIGTERM, with a long stop timeout' '
	lr_app app "  env: { MODE: stubborn }" &&
	sed -i "s/stop_timeout: 5s/stop_timeout: 60s/" app/nextdeploy.yml
'

test_expect_success 'a second Ctrl-C kills what the first one is stopping' '
	test_when_finished lr_kill &&
	lr_start app &&
	lr_ready &&
	kill -INT "$(cat lr.pid)" &&
	nd_wait_for 10 grep -q "ignoring SIGTERM" lr.out &&
	nd_wait_for 10 grep -q "^stopping (Ctrl-C again kills)$" lr.err &&
	sleep 1 &&
	lr_alive &&
	docker inspect -f "{{.State.Running}}" "nd-$APP-local-web" >state &&
	echo true >want && test_cmp want state &&
	start=$(date +%s) &&
	lr_stop INT 130 &&
	test $(($(date +%s) - start)) -le 5 &&
	test_grep "^killing$" lr.err &&
	lr_left >left && test ! -s left
'

test_expect_success 'without a second Ctrl-C, the stop timeout ends it' '
	test_when_finished lr_kill &&
	sed -i "s/stop_timeout: 60s/stop_timeout: 2s/" app/nextdeploy.yml &&
	lr_start app &&
	lr_ready &&
	start=$(date +%s) &&
	lr_stop TERM 143 &&
	elapsed=$(($(date +%s) - start)) &&
	test $elapsed -ge 2 && test $elapsed -le 8 &&
	test_grep "still running after 2s: killing" lr.err &&
	lr_left >left && test ! -s left
'

test_done
