#!/usr/bin/env bash
# build: a base image on a private registry with htpasswd auth is pulled
# with the credentials of config.json (X-Registry-Config), and only with
# them; only the registries the Dockerfile's FROM lines name are asked for
# (build args resolved); a credential that cannot be had is a warning;
# credentials never appear in the output or the trace.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/lib-registry.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_PYTHON" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"
registry_available || test_skip_all "no docker-registry/htpasswd (tests/setup/engine.sh installs them)"

cleanup() {
	nd_cleanup_app "$APP"
	nd_cleanup_app "$APP-df"
	docker rmi "$REG/base/python:3.11" "$REG/base/busybox:1" >/dev/null 2>&1
	registry_stop
}
trap cleanup EXIT
registry_start nduser ndpass || exit 1
export DOCKER_CONFIG=$TRASH/docker
mkdir -p "$DOCKER_CONFIG" "$TRASH/bin"
export PATH=$TRASH/bin:$PATH

# the base images exist in the registry only (not under that name locally)
forget_bases() {
	docker rmi "$REG/base/python:3.11" "$REG/base/busybox:1" >/dev/null 2>&1
	return 0
}

test_expect_success 'setup: base images pushed to the private registry with the docker CLI' '
	registry_docker_login nduser ndpass &&
	docker tag "$ND_TEST_PYTHON" "$REG/base/python:3.11" &&
	docker tag "$ND_TEST_BUSYBOX" "$REG/base/busybox:1" &&
	docker --config "$REG_DIR/cli" push -q "$REG/base/python:3.11" >/dev/null &&
	docker --config "$REG_DIR/cli" push -q "$REG/base/busybox:1" >/dev/null &&
	forget_bases &&
	cp -r "$SRC_ROOT/tests/data/apps/python-stdlib" py &&
	(cd py && nd_app_init <<-EOF
	build:
	  base_image: $REG/base/python:3.11
	EOF
	) &&
	cat >"$TRASH/bin/docker-credential-ndtest" <<-EOF &&
	#!/bin/sh
	in=\$(cat)
	echo "\$1 \$in" >>"$TRASH/helper.log"
	if [ "\$in" = "$REG" ]; then
		echo "{\"ServerURL\":\"$REG\",\"Username\":\"nduser\",\"Secret\":\"ndpass\"}"
		exit 0
	fi
	echo "credentials not found in native keychain"; exit 1
	EOF
	cat >"$TRASH/bin/docker-credential-ndbroken" <<-EOF &&
	#!/bin/sh
	echo "\$1 \$(cat)" >>"$TRASH/broken.log"
	echo "the keychain is locked"; exit 3
	EOF
	chmod +x "$TRASH/bin/docker-credential-ndtest" "$TRASH/bin/docker-credential-ndbroken"
'

test_expect_success 'without credentials the base image cannot be pulled' '
	cd py &&
	echo "{}" >"$DOCKER_CONFIG/config.json" &&
	test_expect_code 1 nd build >../out 2>../err &&
	test_grep "^error: the build failed at step 1/[0-9]+ .FROM $REG/base/python:3.11 AS build.: .*no basic auth credentials" ../err
'

test_expect_success 'with config.json auths the build pulls it and succeeds' '
	cd py &&
	printf "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}" "$REG" "$(registry_auth nduser ndpass)" >"$DOCKER_CONFIG/config.json" &&
	NEXTDEPLOY_TRACE=1 nd -v build --json >../build.json 2>../err &&
	img=$(json_get ../build.json "d[\"image\"]") &&
	docker image inspect "$img" >/dev/null &&
	docker image inspect "$REG/base/python:3.11" >/dev/null &&
	test_grep "X-Registry-Config: \*+" ../err &&
	test_grep -v "ndpass" ../err &&
	test_grep -v "$(registry_auth nduser ndpass)" ../err
'

test_expect_success 'FROM with a build arg: only that registry is asked, through credHelpers' '
	forget_bases && rm -f "$TRASH/helper.log" "$TRASH/broken.log" &&
	mkdir df && cd df &&
	cat >Dockerfile <<-\EOF &&
	ARG BASE_REG=nowhere.example
	FROM ${BASE_REG}/base/busybox:1 AS base
	RUN echo built >/built
	FROM base
	CMD ["cat", "/built"]
	EOF
	nd_app_init "$APP-df" &&
	echo "{\"credHelpers\":{\"$REG\":\"ndtest\",\"other.example\":\"ndbroken\"},\"credsStore\":\"ndbroken\"}" >"$DOCKER_CONFIG/config.json" &&
	nd build --build-arg "BASE_REG=$REG" --json >../df.json 2>../err &&
	echo "get $REG" >../want && test_cmp ../want "$TRASH/helper.log" &&
	! test -e "$TRASH/broken.log" &&
	docker run --rm "$(json_get ../df.json "d[\"image\"]")" >../ran &&
	echo built >../want && test_cmp ../want ../ran
'

test_expect_success 'a helper that fails: a warning, then the engine says what is missing' '
	forget_bases && cd df &&
	echo "{\"credHelpers\":{\"$REG\":\"ndbroken\"}}" >"$DOCKER_CONFIG/config.json" &&
	test_expect_code 1 nd build --force --build-arg "BASE_REG=$REG" >../out 2>../err &&
	test_grep "^warning: no registry credentials for the build: the credential helper .docker-credential-ndbroken. failed for .$REG. \(exit status 3\): the keychain is locked" ../err &&
	test_grep "^error: the build failed at step 2/[0-9]+ .FROM .[{]BASE_REG[}]/base/busybox:1 AS base.: .*no basic auth credentials" ../err
'

test_done
