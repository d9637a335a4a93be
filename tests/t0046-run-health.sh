#!/usr/bin/env bash
# run: the ways a release is judged healthy, all run inside the new
# container through the Exec API: a path probed with node, python or
# wget (from the nextdeploy.probe label or found in the image),
# healthcheck.command, the image's HEALTHCHECK, "the port answers", and the
# grace period; an app listening on loopback only fails the gate.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/deploy-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" "$ND_TEST_NODE" "$ND_TEST_PYTHON" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"

project() { # project HEALTHCHECK-FLOW-MAPPING (or "")
	nd_app_init <<-EOF
	deploy:
	  publish: 0
	  stop_timeout: 1s
	  ${1:+healthcheck: $1}
	  proxy: { image: $ND_TEST_CADDY }
	EOF
}

test_expect_success 'setup' '
	nd_mk_release "$APP" node node --label nextdeploy.port=3000 --label nextdeploy.probe=node &&
	nd_mk_release "$APP" python python --label nextdeploy.port=8000 --label nextdeploy.probe=python &&
	nd_mk_release "$APP" found python --label nextdeploy.port=8000 &&
	nd_mk_release "$APP" hc hc --label nextdeploy.port=8080 &&
	nd_mk_release "$APP" listen broken --label nextdeploy.port=8080 &&
	nd_mk_release "$APP" grace web --label nextdeploy.port=8080 --label nextdeploy.probe=none &&
	nd_mk_release "$APP" loop loopback --label nextdeploy.port=8080 --label nextdeploy.probe=wget
'

test_expect_success 'a path, probed with node' '
	project "{ path: /health, interval: 200ms }" &&
	nd run --release node >out 2>err &&
	test_grep "nd-$APP-web-node is healthy \(deploy.healthcheck.path\)" err &&
	nd_url_of out >url &&
	nd_get "$(cat url)" >body && echo "release node" >want && test_cmp want body
'

test_expect_success 'a path, probed with python; a failing one shows the status' '
	nd run --release python >out 2>err &&
	test_grep "nd-$APP-web-python is healthy \(deploy.healthcheck.path\)" err &&
	project "{ path: /nope, interval: 200ms, retries: 2 }" &&
	test_expect_code 1 nd run --release python >out 2>err &&
	test_grep "\| HTTP 404" err
'

test_expect_success 'without a probe label, a probe program is found in the image' '
	project "{ path: /health, interval: 200ms }" &&
	nd -v run --release found >out 2>err &&
	test_grep "no curl in the image, trying wget" err &&
	test_grep "nd-$APP-web-found is healthy" err
'

test_expect_success 'healthcheck.command' '
	project "{ command: \"test -f /www/index.html\", interval: 200ms }" &&
	nd run --release found >out 2>err &&
	test_grep "healthy \(deploy.healthcheck.command\)" err &&
	project "{ command: [false], interval: 200ms, retries: 2 }" &&
	test_expect_code 1 nd run --release node >out 2>err &&
	test_grep "2 health checks failed \(deploy.healthcheck.command\)" err
'

test_expect_success 'the image HEALTHCHECK, run by nextdeploy' '
	project "" &&
	nd run --release hc >out 2>err &&
	test_grep "nd-$APP-web-hc is healthy \(the image.s HEALTHCHECK\)" err
'

test_expect_success 'no health check: the port answers (any HTTP status)' '
	nd run --release listen >out 2>err &&
	test_grep "nd-$APP-web-listen is healthy \(the app port answers HTTP\)" err
'

test_expect_success 'nextdeploy.probe=none: still running after the grace period' '
	project "{ start_period: 1s }" &&
	nd run --release grace >out 2>err &&
	test_grep "nd-$APP-web-grace is healthy \(still running after a grace period\)" err
'

test_expect_success 'an app listening on loopback only fails the gate' '
	test_when_finished "nd_cleanup_app $APP" &&
	project "{ path: /, interval: 200ms, retries: 3 }" &&
	test_expect_code 1 nd run --release loop >out 2>err &&
	test_grep "3 health checks failed" err &&
	test_grep "\| wget: can.t connect to remote host" err &&
	nd_get "$(cat url)" >body && echo "release grace" >want && test_cmp want body
'

test_done
