#!/usr/bin/env bash
# push and pull with credentials from a credential helper: a fake
# docker-credential-ndtest on PATH (answers for the test registry, "not
# found" for others, logs what it was asked), as credsStore and as
# credHelpers; the order credHelpers > credsStore > auths; a helper that is
# missing, fails, or has nothing.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/lib-registry.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 ||
	test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"
registry_available || test_skip_all "no docker-registry/htpasswd (tests/setup/engine.sh installs them)"

trap 'nd_cleanup_app "$APP"; registry_stop' EXIT
registry_start nduser ndpass || exit 1
export DOCKER_CONFIG=$TRASH/docker
mkdir -p "$DOCKER_CONFIG" "$TRASH/bin"
export PATH=$TRASH/bin:$PATH
REPO=$REG/$APP

# write_helper NAME USER SECRET [HOST]: docker-credential-NAME answers
# USER/SECRET for HOST (default $REG), "not found" for anything else; logs
# "<action> <stdin>|" (the | shows there was no newline)
write_helper() {
	local name=$1 user=$2 secret=$3 host=${4:-$REG}
	cat >"$TRASH/bin/docker-credential-$name" <<-EOF
	#!/bin/sh
	in=\$(cat; echo x); in=\${in%x}
	printf '%s %s|\n' "\$1" "\$in" >>"$TRASH/helper-$name.log"
	if [ "\$1" = get ] && [ "\$in" = "$host" ]; then
		printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "$host" "$user" "$secret"
		exit 0
	fi
	echo "credentials not found in native keychain"
	exit 1
	EOF
	chmod +x "$TRASH/bin/docker-credential-$name"
}

config() {
	printf '%s\n' "$1" >"$DOCKER_CONFIG/config.json"
}

test_expect_success 'setup: a built release, helpers' '
	write_helper ndtest nduser ndpass &&
	write_helper ndwrong nduser wrong &&
	write_helper ndnone nobody none other.example &&
	cat >"$TRASH/bin/docker-credential-ndbroken" <<-\EOF &&
	#!/bin/sh
	echo "the keychain is locked"
	exit 3
	EOF
	chmod +x "$TRASH/bin/docker-credential-ndbroken" &&
	mkdir app && cd app &&
	printf "FROM %s\nRUN echo helper >/x\nCMD [\"sleep\", \"300\"]\n" "$ND_TEST_BUSYBOX" >Dockerfile &&
	nd_app_init <<-EOF &&
	image:
	  registry: $REG
	  tag: h1
	deploy:
	  port: 8080
	EOF
	nd build -q >/dev/null 2>../build.err
'

test_expect_success 'credsStore: the helper gets the server URL on stdin without a newline' '
	cd app &&
	config "{\"credsStore\":\"ndtest\"}" &&
	nd -v push >../out 2>../err &&
	test_grep "^$REPO:h1@sha256:" ../out &&
	test_grep "^debug: credentials for $REG: docker-credential-ndtest \(credsStore\) \(user .nduser.\)" ../err &&
	echo "get $REG|" >../want && test_cmp ../want "$TRASH/helper-ndtest.log" &&
	test_grep -v ndpass ../err
'

test_expect_success 'credsStore hides auths: the helper is asked, auths is not' '
	cd app &&
	config "{\"credsStore\":\"ndtest\",\"auths\":{\"$REG\":{\"auth\":\"$(registry_auth nduser wrong)\"}}}" &&
	nd push >../out 2>../err &&
	config "{\"credsStore\":\"ndnone\",\"auths\":{\"$REG\":{\"auth\":\"$(registry_auth nduser ndpass)\"}}}" &&
	test_expect_code 1 nd push >../out 2>../err &&
	test_grep "^error: pushing .$REPO:h1.: no basic auth credentials" ../err &&
	test_grep "^hint: no credentials for $REG were found" ../err &&
	echo "get $REG|" >../want && test_cmp ../want "$TRASH/helper-ndnone.log"
'

test_expect_success 'credHelpers: the helper for the host, over credsStore' '
	cd app && rm -f "$TRASH"/helper-*.log &&
	config "{\"credsStore\":\"ndwrong\",\"credHelpers\":{\"$REG\":\"ndtest\",\"other.example\":\"ndbroken\"}}" &&
	nd -v push >../out 2>../err &&
	test_grep "^debug: credentials for $REG: docker-credential-ndtest \(credHelpers\)" ../err &&
	test_cmp ../want "$TRASH/helper-ndtest.log" &&
	! test -e "$TRASH/helper-ndwrong.log" &&
	nd_cleanup_app "$APP" &&
	nd pull >../out 2>../err &&
	echo "$REPO:h1" >../want && test_cmp ../want ../out &&
	test "$(docker image inspect -f "{{index .Config.Labels \"nextdeploy.release\"}}" "$REPO:h1")" = h1
'

test_expect_success 'a helper with wrong credentials: the registry refuses, the hint names the helper' '
	cd app &&
	config "{\"credHelpers\":{\"$REG\":\"ndwrong\"}}" &&
	test_expect_code 1 nd pull >../out 2>../err &&
	test_grep "^error: pulling .$REPO:h1.: unauthorized: authentication required" ../err &&
	test_grep "^hint: the registry refused the credentials for $REG from docker-credential-ndwrong \(credHelpers\)" ../err
'

test_expect_success 'a helper that fails or is missing: exit 1, its message, a hint' '
	cd app &&
	config "{\"credHelpers\":{\"$REG\":\"ndbroken\"}}" &&
	test_expect_code 1 nd push >../out 2>../err &&
	test_grep "^error: registry credentials for .$REG.: the credential helper .docker-credential-ndbroken. failed for .$REG. \(exit status 3\): the keychain is locked" ../err &&
	config "{\"credsStore\":\"ndabsent\"}" &&
	test_expect_code 1 nd pull >../out 2>../err &&
	test_grep "^error: registry credentials for .$REG.: the credential helper .docker-credential-ndabsent. is not installed \(not found on PATH\)" ../err &&
	test_grep "^hint: install docker-credential-ndabsent, or remove it from credsStore in .$DOCKER_CONFIG/config.json." ../err &&
	config "{\"credsStore\":\"../ndtest\"}" &&
	test_expect_code 2 nd pull >../out 2>../err &&
	test_grep "invalid credential helper name" ../err
'

test_done
