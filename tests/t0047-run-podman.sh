#!/usr/bin/env bash
# run on Podman's Docker-compatible API (TESTBED.md §1): a deploy, a
# failed release with the old one serving, the checks nextdeploy runs
# itself through exec (Podman's engine runs no HEALTHCHECK without
# systemd), rollback and down. (Zero downtime is not asserted here: with
# Podman 4.3's netavark, starting and stopping containers resets
# connections to published ports and briefly stalls aardvark-dns.)
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/lib-podman.sh"

command -v podman >/dev/null || test_skip_all "no podman"
engine_ok || test_skip_all "no engine (the test images come from it)"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"
trap podman_stop EXIT

DATA=$SRC_ROOT/tests/data/deploy
pd() { docker -H "unix://$PODMAN_SOCK" "$@"; }
mk() { # mk REL KIND [--label ...]
	local rel=$1 kind=$2
	shift 2
	pd build -q --build-arg "REL=$rel" --label nextdeploy.managed=true \
		--label "nextdeploy.app=$APP" --label "nextdeploy.release=$rel" \
		--label nextdeploy.service=web "$@" -t "$APP:$rel" "$DATA/$kind" \
		>/dev/null 2>build.err || { cat build.err >&2; return 1; }
}

test_expect_success 'setup: a podman service with the test images' '
	podman_start &&
	docker save "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" >images.tar &&
	pd load -q -i images.tar >/dev/null &&
	rm images.tar &&
	mk r1 web --label nextdeploy.port=8080 --label nextdeploy.probe=wget &&
	mk r2 broken --label nextdeploy.port=8080 --label nextdeploy.probe=wget &&
	mk r3 hc --label nextdeploy.port=8080 &&
	nd_app_init <<-EOF
	deploy:
	  publish: 0
	  stop_timeout: 1s
	  healthcheck: { path: /index.html, interval: 250ms, retries: 4 }
	  proxy: { image: $ND_TEST_CADDY }
	EOF
'

test_expect_success 'deploy on Podman' '
	DOCKER_HOST=unix://$PODMAN_SOCK nd run --release r1 >out 2>err &&
	nd_url_of() { grep -E "^https?://" "$1" | tail -n 1; } &&
	nd_url_of out >url &&
	test_grep "^http://127\.0\.0\.1:[0-9]+/$" url &&
	curl -fsS --max-time 3 "$(cat url)" >body &&
	echo "release r1" >want && test_cmp want body &&
	test "$(pd inspect -f "{{index .Config.Labels \"nextdeploy.release\"}}" nd-$APP-web-r1)" = r1 &&
	case $(uname -r) in
	[0-4].*|5.[0-9].*|5.1[0-3].*) ;;
	*) test "$(pd exec nd-$APP-proxy cat /proc/sys/net/ipv4/tcp_migrate_req)" = 1 ;;
	esac
'

test_expect_success 'a failing release on Podman: old release serves, exit 1' '
	test_expect_code 1 env DOCKER_HOST=unix://$PODMAN_SOCK "$ND_BIN" run --release r2 >out 2>err &&
	test_grep "nd-$APP-web-r2: 4 health checks failed" err &&
	test_grep "\| broken release is starting" err &&
	curl -fsS --max-time 3 "$(cat url)" >body &&
	echo "release r1" >want && test_cmp want body
'

# Podman's builder stores images in OCI format, which has no HEALTHCHECK:
# nextdeploy checks the port itself, and healthcheck.command runs through exec.
test_expect_success 'without a configured check, the port is probed; healthcheck.command on Podman' '
	sed -i "/healthcheck:/d" nextdeploy.yml &&
	DOCKER_HOST=unix://$PODMAN_SOCK nd run --release r3 >out 2>err &&
	test_grep "nd-$APP-web-r3 is healthy \((the app port answers HTTP|the image.s HEALTHCHECK)\)" err &&
	curl -fsS --max-time 3 "$(cat url)" >body &&
	echo "release r3" >want && test_cmp want body &&
	printf "  healthcheck: { command: [test, -f, /www/index.html], interval: 250ms }\n" >>nextdeploy.yml &&
	DOCKER_HOST=unix://$PODMAN_SOCK nd run --release r1 >out 2>err &&
	test_grep "nd-$APP-web-r1 is healthy \(deploy.healthcheck.command\)" err
'

test_expect_success 'rollback and down on Podman' '
	DOCKER_HOST=unix://$PODMAN_SOCK nd rollback >out 2>err &&
	test_grep "rolling back $APP to release r3" err &&
	curl -fsS --max-time 3 "$(cat url)" >body &&
	echo "release r3" >want && test_cmp want body &&
	DOCKER_HOST=unix://$PODMAN_SOCK nd down >out 2>err &&
	test -z "$(pd ps -aq --filter label=nextdeploy.app=$APP)"
'

test_done
