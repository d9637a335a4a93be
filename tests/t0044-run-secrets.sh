#!/usr/bin/env bash
# run: secrets reach the app at run time (env and /run/secrets/NAME, owned
# by the image's user, mode 0400) and appear nowhere else: not in the
# image's history or layers, not in nextdeploy's output, even with -v -v
# and NEXTDEPLOY_TRACE=2.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/deploy-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"

# values that cannot appear by accident; one has JSON-escaped characters
ENV_SECRET="s3cret-env-$$-Qx7vK9"
FILE_SECRET="s3cret-file-$$-\"quoted\"-Zp4"

test_expect_success 'setup' '
	nd_mk_release "$APP" r1 secret --label nextdeploy.port=8080 --label nextdeploy.probe=wget &&
	mkdir -p secrets &&
	printf "%s\n" "$FILE_SECRET" >secrets/api &&
	# enough variables that the secrets sit past the trace'"'"'s 2 KiB cut
	for i in $(seq 1 60); do echo "PAD_$i=padding-padding-padding-padding-$i"; done >pad.env &&
	nd_app_init <<-EOF
	deploy:
	  publish: 0
	  stop_timeout: 1s
	  healthcheck: { path: /, interval: 200ms }
	  env: { PLAIN: visible }
	  env_file: pad.env
	  secrets:
	    DB_PASSWORD: { env: ND_TEST_DB_PASSWORD }
	    API_KEY: { file: ./secrets/api }
	  proxy: { image: $ND_TEST_CADDY }
	EOF
'

test_expect_success 'deploy with -v -v and NEXTDEPLOY_TRACE=2' '
	ND_TEST_DB_PASSWORD=$ENV_SECRET NEXTDEPLOY_TRACE=2 nd -v -v run >out 2>err &&
	nd_url_of out >url &&
	nd_get "$(cat url)" >body && echo "release r1" >want && test_cmp want body &&
	cp err trace.err &&
	test_grep "trace: => " err &&
	test_grep "/containers/create" err &&
	test_grep "/archive\?path=%2F" err
'

test_expect_success 'the secrets reach the app at run time' '
	c=nd-$APP-web-r1 &&
	docker exec $c sh -c "echo \"\$DB_PASSWORD\"" >got &&
	printf "%s\n" "$ENV_SECRET" >want && test_cmp want got &&
	docker exec $c cat /run/secrets/API_KEY >got &&
	printf "%s" "$FILE_SECRET" >want && test_cmp want got &&
	docker exec $c cat /run/secrets/DB_PASSWORD >got &&
	printf "%s" "$ENV_SECRET" >want && test_cmp want got &&
	docker exec $c stat -c "%a %U" /run/secrets/API_KEY /run/secrets >got &&
	printf "400 nobody\n500 nobody\n" >want && test_cmp want got &&
	docker exec $c id -un >got && echo nobody >want && test_cmp want got
'

test_expect_success 'no secret in nextdeploy output, image history or layers' '
	for v in "$ENV_SECRET" "$FILE_SECRET"; do
		! grep -qF -- "$v" out &&
		! grep -qF -- "$v" err || { echo "# leaked: $v" >&2; return 1; }
	done &&
	! grep -qF -- "Qx7vK9" err &&
	! grep -qF -- "quoted" err &&
	docker history --no-trunc "$APP:r1" >history &&
	docker image inspect "$APP:r1" >image.json &&
	docker save "$APP:r1" -o image.tar &&
	for v in "$ENV_SECRET" "$FILE_SECRET" Qx7vK9 Zp4; do
		! grep -qF -- "$v" history &&
		! grep -qF -- "$v" image.json &&
		! grep -qaF -- "$v" image.tar || { echo "# in the image: $v" >&2; return 1; }
	done
'

test_expect_success 'a secret file that does not exist: exit 2 before any change' '
	test_when_finished "nd_cleanup_app $APP" &&
	rm secrets/api &&
	(
		export ND_TEST_DB_PASSWORD=x &&
		test_expect_code 2 nd run >out 2>err
	) &&
	test_grep "nextdeploy.yml:[0-9]+:[0-9]+: secret .API_KEY.: cannot read .*secrets/api.: No such file" err &&
	test "$(docker ps -aq --filter label=nextdeploy.app=$APP --filter label=nextdeploy.service=web | wc -l)" = 1
'

test_done
