#!/usr/bin/env bash
# run: redeploys under load lose no request. A client sends requests back
# to back to the published port while three releases are deployed one
# after the other (two replicas each); every request must succeed, and
# the answers must come from each release in turn.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/deploy-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"
command -v python3 >/dev/null || test_skip_all "no python3"

test_expect_success 'setup: four releases, the first one live' '
	for r in r1 r2 r3 r4; do
		nd_mk_release "$APP" $r web --label nextdeploy.port=8080 --label nextdeploy.probe=wget || return 1
	done &&
	nd_app_init <<-EOF &&
	deploy:
	  publish: 0
	  replicas: 2
	  stop_timeout: 1s
	  healthcheck: { path: /health, interval: 250ms }
	  proxy: { image: $ND_TEST_CADDY }
	EOF
	nd run --release r1 >out 2>err &&
	nd_url_of out >url &&
	nd_get "$(cat url)" >body && echo "release r1" >want && test_cmp want body &&
	nd_check_proxy_sysctls nd-$APP-proxy
'

test_expect_success 'three redeploys under load: zero failed requests' '
	test_when_finished "touch stop; wait" &&
	python3 "$ND_DEPLOY_DATA/load.py" "$(cat url)" 90 load.out stop &
	sleep 1 &&
	for r in r2 r3 r4; do
		nd run --release $r >out.$r 2>err.$r || return 1
		test_grep "proxy nd-$APP-proxy re-pointed to $r \(caddy reload\)" err.$r || return 1
		sleep 1
	done &&
	touch stop && wait &&
	cat load.out >&2 &&
	test_grep "^failed 0$" load.out &&
	total=$(sed -n "s/^total //p" load.out) &&
	test "$total" -ge 200 &&
	for r in r1 r2 r3 r4; do
		test_grep "^body release $r [0-9]+$" load.out || return 1
	done &&
	nd_get "$(cat url)" >body && echo "release r4" >want && test_cmp want body
'

test_expect_success 'two replicas of the last release run, the old ones are stopped' '
	test_when_finished "nd_cleanup_app $APP" &&
	test "$(docker ps -q --filter label=nextdeploy.app=$APP --filter label=nextdeploy.release=r4 | wc -l)" = 2 &&
	test "$(docker ps -q --filter label=nextdeploy.app=$APP --filter label=nextdeploy.service=web | wc -l)" = 2
'

test_done
