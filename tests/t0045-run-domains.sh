#!/usr/bin/env bash
# run with deploy.domains: two apps behind the one shared edge proxy
# (nextdeploy-proxy), routed by host name over HTTPS with `tls: internal`,
# on one pair of host ports; down drops an app's routes, and the edge proxy
# goes when no app has domains any more.
. "$(dirname "$0")/test-lib.sh"
ND_CLEANUP_APPS="$APP-a $APP-b _edge"
. "$TEST_ROOT/deploy-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"
# the edge proxy is one per engine: never touch one this test did not make
docker inspect nextdeploy-proxy >/dev/null 2>&1 &&
	test_skip_all "an edge proxy nextdeploy-proxy already runs on this engine"

A=$APP-a
B=$APP-b
HTTP_PORT=$((21000 + $$ % 2000))
HTTPS_PORT=$((HTTP_PORT + 2000))
labels="--label nextdeploy.port=8080 --label nextdeploy.probe=wget"

edge_cleanup() {
	nd_cleanup_app "$A"
	nd_cleanup_app "$B"
	nd_cleanup_app _edge
}

# GET https://HOST:HTTPS_PORT/ through the edge, trusting anything (tls internal)
https_get() {
	curl -fsS -k --max-time 5 --resolve "$1:$HTTPS_PORT:127.0.0.1" "https://$1:$HTTPS_PORT/"
}

project() { # project APP DOMAIN
	mkdir -p "$1" &&
	cat >"$1/nextdeploy.yml" <<-EOF
	app: $1
	deploy:
	  stop_timeout: 1s
	  healthcheck: { path: /health, interval: 200ms }
	  domains: [$2]
	  tls: internal
	  proxy: { image: $ND_TEST_CADDY, http_port: $HTTP_PORT, https_port: $HTTPS_PORT }
	EOF
}

test_expect_success 'setup: two apps with domains' '
	nd_mk_release "$A" a1 web $labels &&
	nd_mk_release "$A" a2 web $labels &&
	nd_mk_release "$B" b1 web $labels &&
	project "$A" "a.$APP.test" &&
	project "$B" "b.$APP.test"
'

test_expect_success 'two apps share the edge proxy, routed by host name over HTTPS' '
	test_when_finished "test \$eval_ret = 0 || edge_cleanup" &&
	nd -C "$A" run --release a1 >out 2>err &&
	test_grep "edge proxy nextdeploy-proxy routes a.$APP.test" err &&
	echo "https://a.$APP.test:$HTTPS_PORT/" >want && nd_url_of out >got && test_cmp want got &&
	nd -C "$B" run >out 2>err &&
	nd_wait_for 10 https_get "a.$APP.test" &&
	https_get "a.$APP.test" >body && echo "release a1" >want && test_cmp want body &&
	https_get "b.$APP.test" >body && echo "release b1" >want && test_cmp want body &&
	test "$(docker ps -q --filter name=^/nextdeploy-proxy\$ | wc -l)" = 1 &&
	test "$(nd_inspect "{{index .Config.Labels \"nextdeploy.app\"}}" nextdeploy-proxy)" = _edge &&
	nd_check_proxy_sysctls nextdeploy-proxy &&
	test -z "$(docker port nd-$A-proxy)" &&
	test -z "$(docker port nd-$B-proxy)" &&
	test_must_fail https_get "unknown.$APP.test"
'

test_expect_success 'a redeploy behind the edge proxy switches the release' '
	test_when_finished "test \$eval_ret = 0 || edge_cleanup" &&
	nd -C "$A" run --release a2 >out 2>err &&
	https_get "a.$APP.test" >body && echo "release a2" >want && test_cmp want body &&
	https_get "b.$APP.test" >body && echo "release b1" >want && test_cmp want body &&
	test_grep "proxy nd-$A-proxy re-pointed to a2" err
'

test_expect_success 'down removes an app from the edge; the last one removes the edge' '
	test_when_finished "edge_cleanup" &&
	nd -C "$A" down >out 2>err &&
	test_must_fail https_get "a.$APP.test" &&
	https_get "b.$APP.test" >body && echo "release b1" >want && test_cmp want body &&
	nd -C "$B" down >out 2>err &&
	test_grep "removed the edge proxy nextdeploy-proxy" err &&
	test_must_fail docker inspect nextdeploy-proxy >/dev/null 2>&1 &&
	docker volume inspect nextdeploy-proxy-data >/dev/null
'

test_done
