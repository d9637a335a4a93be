#!/usr/bin/env bash
# push and pull through Podman's Docker-compatible API (NOTES.md §13,
# TESTBED.md §1): a plain-HTTP registry needs registries.conf's insecure
# flag (a hint says so when it is missing), errors come in the stream on an
# HTTP 200 and are still told apart (auth, missing tag).
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/lib-podman.sh"
. "$TEST_ROOT/lib-registry.sh"

command -v podman >/dev/null || test_skip_all "no podman"
engine_ok || test_skip_all "no engine (the test image comes from it)"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 ||
	test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"
registry_available || test_skip_all "no docker-registry/htpasswd (tests/setup/engine.sh installs them)"

trap 'podman_stop; registry_stop' EXIT
registry_start nduser ndpass || exit 1
export DOCKER_CONFIG=$TRASH/docker
mkdir -p "$DOCKER_CONFIG"
# the service reads this: the test registry speaks plain HTTP
printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REG" >"$TRASH/registries.conf"
export CONTAINERS_REGISTRIES_CONF=$TRASH/registries.conf
REPO=$REG/$APP

pd() { docker -H "unix://$PODMAN_SOCK" "$@"; }

auths() {
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(registry_auth "$1" "$2")" \
		>"$DOCKER_CONFIG/config.json"
}

test_expect_success 'setup: a podman service and a release built on it' '
	podman_start &&
	docker save "$ND_TEST_BUSYBOX" >bb.tar &&
	pd load -q -i bb.tar >/dev/null &&
	mkdir app && cd app &&
	printf "FROM %s\nRUN echo podman >/x\nCMD [\"sleep\", \"300\"]\n" "$ND_TEST_BUSYBOX" >Dockerfile &&
	nd_app_init <<-EOF &&
	image:
	  registry: $REG
	  tag: p1
	deploy:
	  port: 8080
	EOF
	export DOCKER_HOST=unix://$PODMAN_SOCK &&
	nd build -q >../id 2>../err
'

test_expect_success 'push and pull on Podman with config.json credentials' '
	export DOCKER_HOST=unix://$PODMAN_SOCK && cd app &&
	auths nduser ndpass &&
	nd push >../push.out 2>../push.err &&
	test_grep "^$REPO:p1(@sha256:[0-9a-f]{64})?\$" ../push.out &&
	curl -fsS -u nduser:ndpass "http://$REG/v2/$APP/tags/list" >../tags &&
	test_grep "\"p1\"" ../tags &&
	pd rmi -f "$(cat ../id)" >/dev/null &&
	nd pull --json >../pull.json 2>../err &&
	test "$(json_get ../pull.json "d[\"release\"]")" = p1 &&
	test "$(json_get ../pull.json "d[\"digest\"]")" = "$(sed "s/.*@//" ../push.out)" &&
	test "$(pd image inspect -f "{{index .Config.Labels \"nextdeploy.app\"}}" "$REPO:p1")" = "$APP"
'

test_expect_success 'in-stream errors on Podman: a wrong password, a missing tag' '
	export DOCKER_HOST=unix://$PODMAN_SOCK && cd app &&
	auths nduser wrong &&
	test_expect_code 1 nd pull >../out 2>../err &&
	test_grep "^error: pulling .$REPO:p1.: .*(unauthorized|authentication required)" ../err &&
	test_grep "^hint: the registry refused the credentials for $REG" ../err &&
	auths nduser ndpass &&
	test_expect_code 1 nd pull nosuch >../out 2>../err &&
	test_grep "^error: pulling .$REPO:nosuch.: " ../err &&
	test_grep "^hint: is .$REPO:nosuch. in the registry" ../err
'

test_expect_success 'a plain-HTTP registry not marked insecure: the hint names registries.conf' '
	export DOCKER_HOST=unix://$PODMAN_SOCK && cd app &&
	port=${REG#*:} &&
	test_expect_code 1 nd pull --registry "localhost:$port" >../out 2>../err &&
	test_grep "server gave HTTP response to HTTPS client" ../err &&
	test_grep "^hint: localhost:$port speaks plain HTTP: Podman needs it in registries.conf" ../err
'

test_done
