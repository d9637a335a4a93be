#!/usr/bin/env bash
# run: the deploy lock on the engine. A second deploy of the app is refused
# while one runs (with the holder's details), waits with --lock-wait, a
# stale lock is broken (automatically when its process is gone on this
# host, by hand with --break-lock), and Ctrl-C cleans up and releases it.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/deploy-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"

labels="--label nextdeploy.port=8080 --label nextdeploy.probe=wget"

# a lock container made by hand: fake_lock HOST PID
fake_lock() {
	docker create --name "nd-$APP-lock" --network none \
		--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label nextdeploy.service=lock --label "nextdeploy.lock.host=$1" \
		--label "nextdeploy.lock.pid=$2" --label nextdeploy.lock.user=ci \
		--label "nextdeploy.lock.started=$(date +%s)" \
		--label "nextdeploy.lock.command=nextdeploy run (by hand)" \
		"$APP:r1" true >/dev/null
}

# run nextdeploy in the background: bg_run NAME ARGS... (NAME.out, NAME.err,
# NAME.pid; NAME.rc once it ends)
bg_run() {
	local name=$1
	shift
	{
		"$ND_BIN" "$@" >"$name.out" 2>"$name.err" &
		echo $! >"$name.pid"
		wait $!
		echo $? >"$name.rc"
	} &
	nd_wait_for 10 test -s "$name.pid"
}

test_expect_success 'setup' '
	nd_mk_release "$APP" r1 web $labels &&
	nd_mk_release "$APP" r2 web $labels &&
	nd_mk_release "$APP" slow broken $labels &&
	nd_app_init <<-EOF &&
	deploy:
	  publish: 0
	  stop_timeout: 1s
	  healthcheck: { path: /health, interval: 200ms, retries: 100 }
	  proxy: { image: $ND_TEST_CADDY }
	EOF
	nd run --release r1 >out 2>err &&
	nd_url_of out >url
'

test_expect_success 'a concurrent deploy is refused while one holds the lock' '
	mkdir -p .nextdeploy/hooks &&
	printf "#!/bin/sh\ntouch \"\$PWD/hook-started\"\nsleep 4\n" >.nextdeploy/hooks/pre-deploy &&
	chmod +x .nextdeploy/hooks/pre-deploy &&
	test_when_finished "rm -rf .nextdeploy" &&
	bg_run first run --release r2 &&
	nd_wait_for 20 test -f hook-started &&
	test "$(nd_inspect "{{index .Config.Labels \"nextdeploy.lock.pid\"}}" nd-$APP-lock)" -gt 0 &&
	test "$(nd_inspect "{{.State.Status}}" nd-$APP-lock)" = created &&
	test_expect_code 1 nd run --release r1 >out 2>err &&
	test_grep "error: .$APP. is locked by another deploy \(pid [0-9]+ of [^ ]+ on $(hostname), since .*: nextdeploy run r2\)" err &&
	test_grep "hint: wait for it with --lock-wait" err &&
	nd run --release r1 --lock-wait 60s >out 2>err &&
	test_grep "waiting for the deploy lock, held by pid" err &&
	nd_wait_for 30 test -s first.rc &&
	test "$(cat first.rc)" = 0 &&
	nd_get "$(cat url)" >body && echo "release r1" >want && test_cmp want body &&
	test_must_fail docker inspect nd-$APP-lock >/dev/null 2>&1
'

test_expect_success '--lock-wait gives up after its time' '
	fake_lock other-host 1 &&
	test_when_finished "docker rm -f nd-$APP-lock >/dev/null 2>&1" &&
	test_expect_code 1 nd run --release r2 --lock-wait 1s >out 2>err &&
	test_grep "locked by another deploy \(pid 1 of ci on other-host, .*nextdeploy run \(by hand\)\) and the wait is over" err &&
	nd_get "$(cat url)" >body && echo "release r1" >want && test_cmp want body
'

test_expect_success 'a lock whose process is gone on this host is broken automatically' '
	sh -c "exit 0" & dead=$! && wait $dead &&
	fake_lock "$(hostname)" $dead &&
	nd run --release r2 >out 2>err &&
	test_grep "warning: broke a stale deploy lock \(its process is gone\): pid $dead of ci on $(hostname)" err &&
	nd_get "$(cat url)" >body && echo "release r2" >want && test_cmp want body &&
	test_must_fail docker inspect nd-$APP-lock >/dev/null 2>&1
'

test_expect_success '--break-lock breaks any lock' '
	fake_lock other-host 1 &&
	nd run --release r1 --break-lock >out 2>err &&
	test_grep "warning: broke the deploy lock held by pid 1 of ci on other-host" err &&
	nd_get "$(cat url)" >body && echo "release r1" >want && test_cmp want body &&
	test_must_fail docker inspect nd-$APP-lock >/dev/null 2>&1
'

test_expect_success 'down respects the lock' '
	fake_lock other-host 1 &&
	test_when_finished "docker rm -f nd-$APP-lock >/dev/null 2>&1" &&
	test_expect_code 1 nd down >out 2>err &&
	test_grep "locked by another deploy" err &&
	test "$(nd_inspect "{{.State.Running}}" nd-$APP-proxy)" = true
'

test_expect_success 'SIGINT during the health check: new containers removed, lock released, exit 130' '
	test_when_finished "nd_cleanup_app $APP" &&
	bg_run slow run --release slow &&
	nd_wait_for 20 docker inspect nd-$APP-web-slow &&
	nd_wait_for 20 test "$(nd_inspect "{{.State.Running}}" nd-$APP-web-slow)" = true &&
	sleep 0.5 &&
	kill -INT "$(cat slow.pid)" &&
	nd_wait_for 30 test -s slow.rc &&
	test "$(cat slow.rc)" = 130 &&
	test_grep "interrupted: removing the new containers" slow.err &&
	test_must_fail docker inspect nd-$APP-web-slow >/dev/null 2>&1 &&
	test_must_fail docker inspect nd-$APP-lock >/dev/null 2>&1 &&
	nd_get "$(cat url)" >body && echo "release r1" >want && test_cmp want body
'

test_done
