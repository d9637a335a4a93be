#!/usr/bin/env bash
# run against a remote engine over tcp+TLS (TESTBED.md §3): the health
# check runs inside the container through the Exec API (the client cannot
# reach the container's address), the proxy's configuration travels through
# the archive API, and the URL names the engine's host.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/lib-dockerd.sh"

command -v openssl >/dev/null || test_skip_all "no openssl"
command -v dockerd >/dev/null || test_skip_all "no dockerd"
engine_ok || test_skip_all "no engine (the test images come from it)"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"

PORT=2376
CERTS=$TRASH/certs
EXTRA_SOCK=$(extra_dockerd_sock rtls)
IP=$(extra_dockerd_ip rtls)
trap 'extra_dockerd_stop rtls' EXIT

remote() { docker -H "unix://$EXTRA_SOCK" "$@"; }

test_expect_success 'setup: a TLS dockerd with the test images and two releases' '
	extra_dockerd_start_tls rtls "$CERTS" &&
	docker save "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" | remote load -q >/dev/null &&
	for r in r1 r2; do
		DOCKER_BUILDKIT=0 remote build -q --build-arg REL=$r \
			--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
			--label "nextdeploy.release=$r" --label nextdeploy.service=web \
			--label nextdeploy.port=8080 --label nextdeploy.probe=wget \
			-t "$APP:$r" "$SRC_ROOT/tests/data/deploy/web" >/dev/null 2>build.err ||
		{ cat build.err >&2; return 1; }
	done &&
	nd_app_init <<-EOF
	deploy:
	  publish: 18480
	  stop_timeout: 1s
	  healthcheck: { path: /health, interval: 250ms }
	  proxy: { image: $ND_TEST_CADDY }
	EOF
'

export DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$CERTS

test_expect_success 'deploy to the remote engine; the URL names its host' '
	nd -H tcp://$IP:$PORT run --release r1 >out 2>err &&
	echo "http://$IP:18480/" >want && test_cmp want out &&
	test_grep "nd-$APP-web-r1 is healthy \(deploy.healthcheck.path\)" err &&
	curl -fsS --max-time 5 "http://$IP:18480/" >body &&
	echo "release r1" >want && test_cmp want body
'

test_expect_success 'a redeploy on the remote engine switches the proxy' '
	nd -H tcp://$IP:$PORT run --release r2 >out 2>err &&
	test_grep "re-pointed to r2 \(caddy reload\)" err &&
	curl -fsS --max-time 5 "http://$IP:18480/" >body &&
	echo "release r2" >want && test_cmp want body &&
	nd -H tcp://$IP:$PORT releases >out &&
	test_grep "^r2 .* live$" out &&
	nd -H tcp://$IP:$PORT down >out 2>err &&
	test -z "$(remote ps -aq --filter label=nextdeploy.app=$APP)"
'

test_done
