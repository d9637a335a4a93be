#!/usr/bin/env bash
# run --build: build the current source (core/app_build.h), then deploy
# the release it made; unchanged source is not built again.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/deploy-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"

test_expect_success 'setup: an app with its own Dockerfile' '
	mkdir app &&
	cp "$ND_DEPLOY_DATA/web/Dockerfile" app/ &&
	(cd app && nd_app_init <<-EOF
	build: { buildpack: dockerfile, args: { REL: one } }
	deploy:
	  port: 8080
	  publish: 0
	  stop_timeout: 1s
	  healthcheck: { path: /health, interval: 250ms }
	  proxy: { image: $ND_TEST_CADDY }
	EOF
	)
'

test_expect_success 'run --build builds, then deploys the release it built' '
	nd -C app run --build >out 2>err &&
	test_grep "Step 1/[0-9]+ : FROM $ND_TEST_BUSYBOX" err &&
	test_grep "^built $APP:[0-9a-f]{12} in " err &&
	rel=$(sed -n "s/^built $APP:\([0-9a-f]*\) in .*/\1/p" err) &&
	test_grep "deploying $APP release $rel " err &&
	nd_url_of out >url &&
	nd_get "$(cat url)" >body && echo "release one" >want && test_cmp want body &&
	nd -C app releases -q >got && echo "$rel" >want && test_cmp want got
'

test_expect_success 'run --build again: nothing to build, the same release is redeployed' '
	nd -C app run --build >out 2>err &&
	test_grep "is built already" err &&
	test_grep "created nd-$APP-web-[0-9a-f]{12}-next" err &&
	nd_get "$(cat url)" >body && echo "release one" >want && test_cmp want body
'

test_expect_success 'run --build with a failing build deploys nothing' '
	echo "RUN exit 7" >>app/Dockerfile &&
	test_expect_code 1 nd -C app run --build >out 2>err &&
	test_grep "error: " err &&
	test_grep -v "deploying" err &&
	nd_get "$(cat url)" >body && echo "release one" >want && test_cmp want body
'

test_done
