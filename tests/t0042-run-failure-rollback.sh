#!/usr/bin/env bash
# run: a release that fails its health check (or exits, or whose release
# command fails) is stopped and kept, its logs and the check's output are
# printed, the live release keeps serving, exit 1; rollback goes back to
# the previous or a named release through the same gated path.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/deploy-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"

labels="--label nextdeploy.port=8080 --label nextdeploy.probe=wget"

test_expect_success 'setup: good, broken and crashing releases; r1 live' '
	nd_mk_release "$APP" r1 web $labels &&
	nd_mk_release "$APP" r2 broken $labels &&
	nd_mk_release "$APP" r3 crash $labels &&
	nd_mk_release "$APP" r4 web $labels &&
	nd_app_init <<-EOF &&
	deploy:
	  publish: 0
	  stop_timeout: 1s
	  healthcheck: { path: /health, interval: 200ms, retries: 5 }
	  proxy: { image: $ND_TEST_CADDY }
	EOF
	nd run --release r1 >out 2>err &&
	nd_url_of out >url
'

test_expect_success 'a failing health check: logs and probe output, old release serves, exit 1' '
	test_expect_code 1 nd run --release r2 >out 2>err &&
	test_grep "^nd-$APP-web-r2: 5 health checks failed \(deploy.healthcheck.path\)$" err &&
	test_grep "last log lines:" err &&
	test_grep "\| broken release is starting" err &&
	test_grep "\| cannot find /www/health" err &&
	test_grep "last health check output:" err &&
	test_grep "\| wget: server returned error: HTTP/1.1 404" err &&
	test_grep "^error: release .r2. failed its health check" err &&
	test_grep "^hint: release .r1. is still live" err &&
	test ! -s out &&
	nd_get "$(cat url)" >body && echo "release r1" >want && test_cmp want body &&
	test "$(nd_inspect "{{.State.Status}}" nd-$APP-web-r2)" = exited &&
	test "$(nd_inspect "{{.State.Running}}" nd-$APP-web-r1)" = true
'

test_expect_success 'a release that exits fails at once; --json carries the failure' '
	test_expect_code 1 nd run --json --release r3 >out.json 2>err &&
	json_get out.json "[d[\"status\"], d[\"previous_release\"], d[\"error\"][\"code\"]]" >got &&
	echo "[\"failed\", \"r1\", \"failed\"]" >want && test_cmp want got &&
	json_get out.json "d[\"failures\"][0][\"reason\"]" >got &&
	test_grep "^the container exited" got &&
	json_get out.json "d[\"failures\"][0][\"logs\"]" >got &&
	test_grep "fatal: no database configured" got &&
	nd_get "$(cat url)" >body && echo "release r1" >want && test_cmp want body
'

test_expect_success 'releases marks the failed ones' '
	nd releases >out &&
	test_grep "^r1 .* live$" out &&
	test_grep "^r2 .* failed$" out &&
	test_grep "^r3 .* failed$" out
'

test_expect_success 'rollback goes back to the release live before (not a failed one)' '
	nd run --release r4 >out 2>err &&
	nd_get "$(cat url)" >body && echo "release r4" >want && test_cmp want body &&
	nd rollback >out 2>err &&
	test_grep "rolling back $APP to release r1" err &&
	test_grep "nd-$APP-web-r1 is healthy" err &&
	nd_get "$(cat url)" >body && echo "release r1" >want && test_cmp want body &&
	test "$(nd_inspect "{{.State.Running}}" nd-$APP-web-r4)" = false
'

test_expect_success 'rollback RELEASE switches to that release' '
	nd rollback r4 >out 2>err &&
	nd_get "$(cat url)" >body && echo "release r4" >want && test_cmp want body &&
	nd releases >out &&
	test_grep "^r4 .* live$" out &&
	test_grep "^r1 .* previous$" out &&
	test_expect_code 1 nd rollback nope >out 2>err &&
	test_grep "has no release .nope." err &&
	test_expect_code 2 nd rollback "bad/name" >out 2>err
'

test_expect_success 'a failing release command stops the deploy before the switch' '
	nd_mk_release "$APP" r5 web $labels \
		--label "nextdeploy.release-command=[\"sh\",\"-c\",\"echo migrating the database; exit 4\"]" &&
	test_expect_code 1 nd run --release r5 >out 2>err &&
	test_grep "release .r5.: the release command exited with status 4" err &&
	test_grep "\| migrating the database" err &&
	test "$(nd_inspect "{{.State.ExitCode}}" nd-$APP-release-r5)" = 4 &&
	test_must_fail docker inspect nd-$APP-web-r5 >/dev/null 2>&1 &&
	nd_get "$(cat url)" >body && echo "release r4" >want && test_cmp want body
'

test_expect_success 'a release command that succeeds runs before the new containers' '
	test_when_finished "nd_cleanup_app $APP" &&
	nd_mk_release "$APP" r6 web $labels \
		--label "nextdeploy.release-command=[\"sh\",\"-c\",\"echo migrated\"]" &&
	nd run --release r6 >out 2>err &&
	test_grep "release command finished in nd-$APP-release-r6" err &&
	test_must_fail docker inspect nd-$APP-release-r6 >/dev/null 2>&1 &&
	nd_get "$(cat url)" >body && echo "release r6" >want && test_cmp want body
'

test_done
