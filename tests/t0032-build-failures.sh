#!/usr/bin/env bash
# build: a failing step (exit 1, the step and its last lines), errors before
# the stream, the pre-build hook (env, output, failure), secrets refused as
# build args and masked in the output
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

images_of_app() {
	docker images -q --filter "label=nextdeploy.app=$APP" | sort -u | wc -l
}

test_expect_success 'a failing RUN step: exit 1, the step and its last output lines' '
	mkdir fail && (
		cd fail &&
		cat >Dockerfile <<-EOF &&
		FROM $ND_TEST_BUSYBOX
		RUN for i in \$(seq 1 30); do echo "out-line-\$i"; done; echo "to-stderr" >&2; exit 7
		EOF
		nd_app_init
	) &&
	test_expect_code 1 nd -C fail build >out 2>err &&
	test ! -s out &&
	test_grep "^error: the build failed at step 2/[0-9]+ .RUN for i in" err &&
	test_grep "returned a non-zero code: 7\$" err &&
	test_grep "^last output of step 2/[0-9]+:\$" err &&
	test_grep "^  \\| out-line-30\$" err &&
	test_grep "^to-stderr\$" err &&
	test $(grep -c "^  | " err) = 12 &&
	test_grep -v "^  \\| out-line-3\$" err &&
	test_grep -v "Removing intermediate" err &&
	test "$(images_of_app)" = 0
'

test_expect_success '--json: the error document on stdout, exit 1' '
	test_expect_code 1 nd -C fail build --json >out.json 2>err &&
	json_get out.json "d[\"error\"][\"message\"]" >msg &&
	test_grep "failed at step 2/" msg
'

test_expect_success 'a Dockerfile error before the stream: exit 1 with the engine message' '
	mkdir parse && (
		cd parse &&
		printf "FROM %s\nBOGUS x\n" "$ND_TEST_BUSYBOX" >Dockerfile &&
		nd_app_init
	) &&
	test_expect_code 1 nd -C parse build 2>err &&
	test_grep "^error: the engine refused the build: .*(unknown instruction|BOGUS)" err
'

test_expect_success 'setup: an app with a pre-build hook' '
	mkdir -p hooked/.nextdeploy/hooks && (
		cd hooked &&
		printf "FROM %s\nCOPY . /ctx\n" "$ND_TEST_BUSYBOX" >Dockerfile &&
		cat >.nextdeploy/hooks/pre-build <<-\EOF &&
		#!/bin/sh
		echo "HOOK-STDOUT $NEXTDEPLOY_HOOK"
		echo "HOOK-STDERR" >&2
		printf "%s\n" "$NEXTDEPLOY_APP" "$NEXTDEPLOY_RELEASE" "$NEXTDEPLOY_IMAGE" \
			"$NEXTDEPLOY_SOURCE_DIR" "$NEXTDEPLOY_PROJECT_DIR" "$(pwd)" >../hook.env
		echo generated >generated.txt
		exit "${HOOK_EXIT:-0}"
		EOF
		chmod +x .nextdeploy/hooks/pre-build &&
		printf ".nextdeploy\n" >.dockerignore &&
		nd_app_init
	)
'

test_expect_success 'the hook runs before the build, with the release in its environment' '
	nd -C hooked build --json >out.json 2>err &&
	img=$(json_get out.json "d[\"image\"]") &&
	dir=$(cd hooked && pwd) &&
	printf "%s\n" "$APP" "${img#*:}" "$img" "$dir" "$dir" "$dir" >expect &&
	test_cmp expect hook.env &&
	test_grep "^running the pre-build hook" err &&
	test_grep "^HOOK-STDOUT pre-build\$" err &&
	test_grep "^HOOK-STDERR\$" err &&
	docker run --rm "$img" cat /ctx/generated.txt >g &&
	echo generated >expect && test_cmp expect g
'

test_expect_success 'a failing hook stops the build with exit 1' '
	rm -f hooked/generated.txt hook.env &&
	echo change >hooked/change.txt &&
	before=$(images_of_app) &&
	HOOK_EXIT=4 test_expect_code 1 nd -C hooked build 2>err &&
	test_grep "^error: the pre-build hook failed with exit code 4" err &&
	test_grep "^hint: the hook is .*/\\.nextdeploy/hooks/pre-build" err &&
	test_grep -v "^Step" err &&
	test "$(images_of_app)" = "$before"
'

test_expect_success '--no-hooks skips it; a hook that is not executable is ignored with a warning' '
	rm -f hook.env &&
	nd -C hooked build --no-hooks 2>err &&
	test ! -e hook.env &&
	test_grep -v "running the pre-build hook" err &&
	echo again >hooked/change.txt &&
	chmod -x hooked/.nextdeploy/hooks/pre-build &&
	nd -C hooked build 2>err &&
	test ! -e hook.env &&
	test_grep "^warning: the hook .*pre-build. was ignored because it is not executable" err
'

test_expect_success 'setup: an app with deploy secrets' '
	mkdir sec && (
		cd sec &&
		printf "file-secret-value\n" >db.txt &&
		cat >Dockerfile <<-EOF &&
		FROM $ND_TEST_BUSYBOX
		RUN echo "the password is hunter2-env-secret" && echo "and file-secret-value too"
		EOF
		nd_app_init <<-EOF
		deploy:
		  secrets:
		    DB_PASSWORD: { env: ND_TEST_DB_PASSWORD }
		    API_KEY: { file: ./db.txt }
		EOF
	)
'

test_expect_success 'secret values are masked in the build output' '
	ND_TEST_DB_PASSWORD=hunter2-env-secret nd -C sec build -v 2>err &&
	test_grep "the password is \\*\\*\\*\$" err &&
	test_grep "and \\*\\*\\* too" err &&
	test_grep -v "hunter2-env-secret" err &&
	test_grep -v "file-secret-value" err
'

test_expect_success 'secret values are masked in a failure message and its last lines' '
	printf "FROM %s\nRUN echo hunter2-env-secret && exit 2\n" "$ND_TEST_BUSYBOX" >sec/Dockerfile &&
	ND_TEST_DB_PASSWORD=hunter2-env-secret test_expect_code 1 nd -C sec build 2>err &&
	test_grep "failed at step 2/[0-9]+ .RUN echo \\*\\*\\* && exit 2" err &&
	test_grep "^  \\| \\*\\*\\*\$" err &&
	test_grep -v "hunter2-env-secret" err
'

test_expect_success 'a build arg named in deploy.secrets is refused' '
	test_expect_code 2 nd -C sec build --build-arg DB_PASSWORD=x 2>err &&
	test_grep "build arg .DB_PASSWORD. is a deploy secret" err &&
	cat >>sec/nextdeploy.yml <<-EOF &&
	build:
	  args:
	    API_KEY: nope
	EOF
	test_expect_code 2 nd -C sec build 2>err &&
	test_grep "^error: .*nextdeploy.yml:[0-9]+:[0-9]+: build arg .API_KEY. is a deploy secret" err
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP"
'

test_done
