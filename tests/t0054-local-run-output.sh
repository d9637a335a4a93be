#!/usr/bin/env bash
# local run's output: prefixes colored per process on a terminal (under
# script(1)), plain when the output is a file or a pipe even without
# NO_COLOR, none with --no-log-prefix; stdout and stderr kept apart
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/local-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"
command -v script >/dev/null || test_skip_all "no script(1)"

ESC=$(printf "\033")

test_expect_success 'setup: an app with a worker that ends the session' '
	lr_app app "build:" "  labels:" \
		"    nextdeploy.processes: '"'"'{\"worker\":[\"sh\",\"-c\",\"echo worker-out; echo worker-err >&2; sleep 3; exit 4\"]}'"'"'"
'

test_expect_success 'on a terminal: each process its own colored prefix' '
	test_when_finished "nd_cleanup_app $APP" &&
	(unset NO_COLOR && export TERM=xterm &&
	 test_expect_code 4 script -qefc "\"$ND_BIN\" -C app local run" typescript >/dev/null 2>&1) &&
	tr -d "\r" <typescript >ts &&
	test_grep "^${ESC}\[36mweb    \|${ESC}\[0m web up on 8080$" ts &&
	test_grep "^${ESC}\[33mworker \|${ESC}\[0m worker-out$" ts &&
	test_grep "^${ESC}\[33mworker \|${ESC}\[0m worker-err$" ts &&
	test_grep "is ready at ${ESC}\[1mhttp://127\.0\.0\.1:[0-9]+/${ESC}\[0m" ts &&
	lr_left >left && test ! -s left
'

test_expect_success 'into files: plain prefixes, stdout and stderr apart, even without NO_COLOR' '
	(unset NO_COLOR && export TERM=xterm &&
	 test_expect_code 4 nd -C app local run >out 2>err) &&
	test_grep -v "$ESC" out &&
	test_grep -v "$ESC" err &&
	test_grep "^web    \| web up on 8080$" out &&
	test_grep "^worker \| worker-out$" out &&
	test_grep "^worker \| worker-err$" err &&
	test_grep -v "\\| worker-err" out &&
	test_grep -v "\\| worker-out" err &&
	test_grep "^web    \| a line on stderr$" err
'

test_expect_success '--no-log-prefix: the lines as the processes wrote them' '
	test_expect_code 4 nd -C app local run --no-log-prefix >out 2>err &&
	test_grep "^web up on 8080$" out &&
	test_grep "^worker-out$" out &&
	test_grep "^worker-err$" err &&
	test_grep -v " \| " out
'

test_done
