#!/usr/bin/env bash
# local run beside a real deployment of the same app on the same engine:
# the deployment keeps serving and is untouched (containers, proxy,
# network, record), a redeploy meanwhile does not stop the local run, a
# second local run is refused, and the leftovers of a killed one are removed
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/local-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"

# the deployment's objects: name, ID, running (local ones left out)
snapshot() {
	docker ps -a --filter "label=nextdeploy.app=$APP" --format '{{.Names}} {{.ID}} {{.State}}' |
		grep -v -- "-local" | sort
	docker network ls --filter "label=nextdeploy.app=$APP" --format '{{.Name}} {{.ID}}' |
		grep -v -- "-local" | sort
}

test_expect_success 'setup: the app, deployed with nextdeploy run' '
	lr_app app \
		"  publish: 0" \
		"  proxy: { image: $ND_TEST_CADDY }" &&
	sed -i "s/^ARG REL=one/ARG REL=live/" app/Dockerfile &&
	nd -C app run --build >out 2>err &&
	sed -n "s/^built $APP:\([0-9a-f]*\) in .*/\1/p" err >live.rel &&
	test -s live.rel &&
	live=$(grep -E "^http://" out | tail -n 1) &&
	echo "$live" >live.url &&
	curl -fsS --max-time 3 "$live" >body &&
	echo "local live" >want && test_cmp want body &&
	snapshot >before &&
	# the local source differs from the deployed one
	sed -i "s/^ARG REL=live/ARG REL=mine/" app/Dockerfile
'

test_expect_success 'local run serves its own build while the deployment keeps serving' '
	test_when_finished lr_kill &&
	lr_start app &&
	lr_ready &&
	curl -fsS --max-time 3 "$URL" >body &&
	echo "local mine" >want && test_cmp want body &&
	curl -fsS --max-time 3 "$(cat live.url)" >body &&
	echo "local live" >want && test_cmp want body &&
	test "$URL" != "$(cat live.url)" &&
	nd -C app ps >ps &&
	test_grep "nd-$APP-local-web" ps &&
	test_grep "nd-$APP-proxy" ps &&

	# a second local run of the app is refused, and changes nothing
	test_expect_code 1 nd -C app local run >out2 2>err2 &&
	test_grep "error: a local run of .$APP. is running already \(nd-$APP-local-web, pid [0-9]+ on " err2 &&
	lr_alive &&
	curl -fsS --max-time 3 "$URL" >body &&
	echo "local mine" >want && test_cmp want body &&

	# a redeploy meanwhile drains the old containers of web, not local-web
	nd -C app run --release "$(cat live.rel)" >out 2>err &&
	test_grep "drained and stopped 1 old container" err &&
	curl -fsS --max-time 3 "$URL" >body &&
	echo "local mine" >want && test_cmp want body &&
	lr_alive &&
	snapshot >before &&

	lr_stop INT 130 &&
	lr_left >left && test ! -s left &&
	snapshot >after &&
	test_cmp before after &&
	curl -fsS --max-time 3 "$(cat live.url)" >body &&
	echo "local live" >want && test_cmp want body &&
	nd -C app releases >releases &&
	test_grep "^$(cat live.rel) .*live" releases
'

test_expect_success 'the leftovers of a killed local run are removed by the next one' '
	test_when_finished lr_kill &&
	lr_start app &&
	lr_ready &&
	kill -9 "$(cat lr.pid)" && wait "$(cat lr.pid)"
	docker inspect -f "{{.State.Running}}" "nd-$APP-local-web" >state &&
	echo true >want && test_cmp want state &&
	lr_start app &&
	lr_ready &&
	test_grep "warning: removing nd-$APP-local-web, left running by a local run that is gone" lr.err &&
	lr_stop INT 130 &&
	lr_left >left && test ! -s left &&
	snapshot >after &&
	test_cmp before after
'

test_done
