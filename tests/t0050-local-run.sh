#!/usr/bin/env bash
# local run: build, run attached with the output streaming prefixed, the
# URL once healthy, env and secrets as run gives them, a Procfile worker
# beside the web process; Ctrl-C (130) and SIGTERM (143) stop and remove
# everything it made; --keep keeps it; a fixed --port
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/local-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

test_expect_success 'setup: an app with a worker process and a secret' '
	lr_app app \
		"  env: { GREETING: hello }" \
		"  secrets: { TOKEN: { env: LR_TOKEN } }" \
		"  volumes: { data: /data }" \
		"build:" \
		"  labels:" \
		"    nextdeploy.processes: '"'"'{\"worker\":[\"sh\",\"-c\",\"trap \\\"echo worker stops; exit 0\\\" TERM; echo working; while true; do sleep 0.2; done\"]}'"'"'"
'

test_expect_success 'it builds, streams prefixed output, serves, and Ctrl-C removes it all (130)' '
	test_when_finished lr_kill &&
	LR_TOKEN=s3cr3t-value lr_start app &&
	lr_ready &&
	curl -fsS --max-time 3 "$URL" >body &&
	echo "local one" >want && test_cmp want body &&
	case "$URL" in http://127.0.0.1:*/) ;; *) false ;; esac &&
	test_grep "^built $APP:[0-9a-f]{12} in " lr.err &&
	test_grep "^running $APP release [0-9a-f]{12} .* as nd-$APP-local-web and its processes" lr.err &&
	nd_wait_for 10 grep -q "^worker | working$" lr.out &&
	test_grep "^web    \| web up on 8080$" lr.out &&
	test_grep "^web    \| secret file: s3cr3t-value, env: hello$" lr.out &&
	test_grep "^web    \| a line on stderr$" lr.err &&
	test_grep -v "a line on stderr" lr.out &&
	test_grep -v "s3cr3t-value" lr.err &&
	docker inspect -f "{{index .Config.Labels \"nextdeploy.service\"}} {{index .Config.Labels \"nextdeploy.local\"}} {{.HostConfig.RestartPolicy.Name}}" "nd-$APP-local-web" >labels &&
	echo "local-web true no" >want && test_cmp want labels &&
	docker inspect -f "{{range .Mounts}}{{.Name}}{{end}}" "nd-$APP-local-web" >mounts &&
	echo "nd-$APP-local-data" >want && test_cmp want mounts &&
	lr_left | sort >left &&
	printf "%s\n" "nd-$APP-local" "nd-$APP-local-web" "nd-$APP-local-worker" >want && test_cmp want left &&
	lr_stop INT 130 &&
	test_grep "^web    \| bye from web$" lr.out &&
	test_grep "^worker \| worker stops$" lr.out &&
	test_grep "^stopping \(Ctrl-C again kills\)$" lr.err &&
	lr_left >left && test ! -s left &&
	docker volume inspect "nd-$APP-local-data" >/dev/null
'

test_expect_success 'SIGTERM stops it the same way, with 143; the build is skipped' '
	test_when_finished lr_kill &&
	LR_TOKEN=x lr_start app &&
	lr_ready &&
	test_grep "is built already" lr.err &&
	lr_stop TERM 143 &&
	test_grep "bye from web" lr.out &&
	lr_left >left && test ! -s left
'

test_expect_success '--port publishes on that port; --keep keeps the stopped containers' '
	test_when_finished lr_kill &&
	port=$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])") &&
	LR_TOKEN=x lr_start app --port "127.0.0.1:$port" --keep &&
	lr_ready &&
	test "$URL" = "http://127.0.0.1:$port/" &&
	curl -fsS --max-time 3 "$URL" >body &&
	echo "local one" >want && test_cmp want body &&
	lr_stop INT 130 &&
	test_grep "kept the stopped containers and the network nd-$APP-local" lr.err &&
	docker inspect -f "{{.State.Running}}" "nd-$APP-local-web" >state &&
	echo false >want && test_cmp want state &&
	LR_TOKEN=x lr_start app &&
	lr_ready &&
	test "$URL" != "http://127.0.0.1:$port/" &&
	lr_stop INT 130 &&
	lr_left >left && test ! -s left
'

test_expect_success 'usage and project errors change nothing' '
	test_expect_code 2 nd -C app local run --port nope 2>err &&
	test_grep "invalid --port .nope." err &&
	test_expect_code 2 nd -C app local run --port 70000 2>err &&
	test_expect_code 2 nd -C app local run --release "bad tag" 2>err &&
	(unset LR_TOKEN && test_expect_code 2 nd -C app local run 2>err) &&
	test_grep "LR_TOKEN" err &&
	test_grep -v "^building" err &&
	lr_left >left && test ! -s left
'

test_done
