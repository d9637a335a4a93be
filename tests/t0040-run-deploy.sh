#!/usr/bin/env bash
# run: a first deploy and a redeploy, the engine objects they make (names,
# labels, env, env_file, resources, restart policy, replicas, volumes), the
# JSON result, releases, hooks, stop/start/restart and down.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/deploy-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"

test_expect_success 'setup: two releases and a project' '
	nd_mk_release "$APP" r1 web --label nextdeploy.port=8080 --label nextdeploy.probe=wget &&
	nd_mk_release "$APP" r2 web --label nextdeploy.port=8080 --label nextdeploy.probe=wget &&
	printf "FROM_FILE=yes\nGREETING=from-the-file\n" >.env &&
	nd_app_init <<-EOF
	deploy:
	  publish: 0
	  replicas: 2
	  env: { GREETING: hello }
	  env_file: .env
	  volumes: { data: /data }
	  resources: { memory: 64m, cpus: 0.5 }
	  restart: on-failure:2
	  stop_timeout: 1s
	  healthcheck: { path: /health, interval: 300ms }
	  proxy: { image: $ND_TEST_CADDY }
	EOF
'

test_expect_success 'run deploys a release and prints its URL' '
	test_when_finished "true" &&
	nd run --release r1 >out 2>err &&
	url=$(nd_url_of out) &&
	echo "$url" >url &&
	test_grep "^http://127\.0\.0\.1:[0-9]+/$" url &&
	nd_get "$url" >body && echo "release r1" >want && test_cmp want body &&
	test_grep "nd-$APP-web-r1 is healthy \(deploy.healthcheck.path\)" err &&
	test_grep "nd-$APP-web-r1-2 is healthy" err &&
	test_grep "proxy nd-$APP-proxy serves r1" err &&
	test_grep "release r1 of $APP is live at $url" err
'

test_expect_success 'the containers, network, volume and proxy carry the labels' '
	for c in nd-$APP-web-r1 nd-$APP-web-r1-2; do
		test "$(nd_inspect "{{.State.Running}}" $c)" = true &&
		test "$(nd_inspect "{{index .Config.Labels \"nextdeploy.managed\"}}" $c)" = true &&
		test "$(nd_inspect "{{index .Config.Labels \"nextdeploy.app\"}}" $c)" = "$APP" &&
		test "$(nd_inspect "{{index .Config.Labels \"nextdeploy.service\"}}" $c)" = web &&
		test "$(nd_inspect "{{index .Config.Labels \"nextdeploy.release\"}}" $c)" = r1 || return 1
	done &&
	test "$(nd_inspect "{{index .Config.Labels \"nextdeploy.service\"}}" nd-$APP-proxy)" = proxy &&
	test "$(docker network inspect -f "{{index .Labels \"nextdeploy.app\"}}" nd-$APP)" = "$APP" &&
	test "$(docker volume inspect -f "{{index .Labels \"nextdeploy.app\"}}" nd-$APP-data)" = "$APP" &&
	test_must_fail docker inspect nd-$APP-lock >/dev/null 2>&1
'

test_expect_success 'env, env_file, resources, restart policy and volumes reach the containers' '
	nd_inspect "{{range .Config.Env}}{{println .}}{{end}}" nd-$APP-web-r1 >env &&
	test_grep "^GREETING=hello$" env &&
	test_grep "^FROM_FILE=yes$" env &&
	test_grep "^PORT=8080$" env &&
	test_grep "^NEXTDEPLOY_APP=$APP$" env &&
	test_grep "^NEXTDEPLOY_SERVICE=web$" env &&
	test_grep "^NEXTDEPLOY_RELEASE=r1$" env &&
	test "$(nd_inspect "{{.HostConfig.Memory}}" nd-$APP-web-r1)" = 67108864 &&
	test "$(nd_inspect "{{.HostConfig.NanoCpus}}" nd-$APP-web-r1)" = 500000000 &&
	test "$(nd_inspect "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}" nd-$APP-web-r1)" = on-failure:2 &&
	test "$(nd_inspect "{{range .Mounts}}{{.Name}}:{{.Destination}}{{end}}" nd-$APP-web-r1)" = "nd-$APP-data:/data" &&
	test "$(nd_inspect "{{.HostConfig.NetworkMode}}" nd-$APP-web-r1)" = "nd-$APP"
'

test_expect_success 'run --json deploys the newest image and describes the result' '
	nd run --json >out.json 2>err &&
	json_get out.json "[d[\"status\"], d[\"release\"], d[\"previous_release\"]]" >got &&
	echo "[\"live\", \"r2\", \"r1\"]" >want && test_cmp want got &&
	json_get out.json "sorted(d.keys())" >keys &&
	echo "[\"app\", \"containers\", \"deploy_id\", \"failures\", \"health_check\", \"image\", \"image_id\", \"post_deploy_failed\", \"previous_release\", \"release\", \"service\", \"status\", \"timings_ms\", \"url\"]" >want &&
	test_cmp want keys &&
	json_get out.json "d[\"containers\"]" >got &&
	echo "[\"nd-$APP-web-r2\", \"nd-$APP-web-r2-2\"]" >want && test_cmp want got &&
	json_get out.json "sorted(k for k in d[\"timings_ms\"])" >got &&
	test_grep "health_gate" got && test_grep "switch" got &&
	test "$(json_get out.json "d[\"url\"]")" = "$(cat url)" &&
	nd_get "$(cat url)" >body && echo "release r2" >want && test_cmp want body &&
	test "$(nd_inspect "{{.State.Running}}" nd-$APP-web-r1)" = false &&
	test_grep "drained and stopped 2 old containers" err
'

test_expect_success 'releases lists the releases and which one is live' '
	nd releases >out &&
	test_grep "^RELEASE +IMAGE +CREATED +SIZE +STATUS" out &&
	test_grep "^r2 +$APP:r2 .* live$" out &&
	test_grep "^r1 +$APP:r1 .* previous$" out &&
	nd releases -q >out && printf "r2\nr1\n" >want && test_cmp want out &&
	nd releases --json >out.json &&
	json_get out.json "[(r[\"release\"], r[\"live\"]) for r in d]" >got &&
	echo "[[\"r2\", true], [\"r1\", false]]" >want && test_cmp want got
'

test_expect_success 'redeploying the live release replaces its containers' '
	old=$(nd_inspect "{{.Id}}" nd-$APP-web-r2) &&
	nd run --release r2 >out 2>err &&
	test_grep "created nd-$APP-web-r2-next" err &&
	new=$(nd_inspect "{{.Id}}" nd-$APP-web-r2) &&
	test "$old" != "$new" &&
	test "$(nd_inspect "{{.State.Running}}" nd-$APP-web-r2)" = true &&
	test_must_fail docker inspect nd-$APP-web-r2-next >/dev/null 2>&1 &&
	nd_get "$(cat url)" >body && echo "release r2" >want && test_cmp want body
'

test_expect_success 'hooks run with the release details; a failing pre-deploy stops the deploy' '
	mkdir -p .nextdeploy/hooks &&
	printf "#!/bin/sh\nenv | grep ^NEXTDEPLOY_ | sort >\"\$PWD/pre.env\"\n" >.nextdeploy/hooks/pre-deploy &&
	printf "#!/bin/sh\nenv | grep ^NEXTDEPLOY_ | sort >\"\$PWD/post.env\"\necho post-deploy says hi\n" >.nextdeploy/hooks/post-deploy &&
	chmod +x .nextdeploy/hooks/pre-deploy .nextdeploy/hooks/post-deploy &&
	nd run --release r1 >out 2>err &&
	test_grep "^NEXTDEPLOY_APP=$APP$" pre.env &&
	test_grep "^NEXTDEPLOY_RELEASE=r1$" pre.env &&
	test_grep "^NEXTDEPLOY_PREVIOUS_RELEASE=r2$" pre.env &&
	test_grep "^NEXTDEPLOY_IMAGE=$APP:r1$" pre.env &&
	test_grep "^NEXTDEPLOY_URL=$(cat url)$" pre.env &&
	test_grep "^NEXTDEPLOY_ROLLBACK=0$" pre.env &&
	test_grep "^NEXTDEPLOY_CONTAINERS=nd-$APP-web-r1 nd-$APP-web-r1-2$" post.env &&
	test_grep "post-deploy says hi" err &&
	test_grep -v "post-deploy says hi" out &&
	printf "#!/bin/sh\necho not today >&2\nexit 3\n" >.nextdeploy/hooks/pre-deploy &&
	test_expect_code 1 nd run --release r2 >out 2>err &&
	test_grep "not today" err &&
	test_grep "the pre-deploy hook failed with exit code 3" err &&
	test "$(nd_inspect "{{.State.Running}}" nd-$APP-web-r2)" = false &&
	nd_get "$(cat url)" >body && echo "release r1" >want && test_cmp want body &&
	chmod -x .nextdeploy/hooks/pre-deploy &&
	nd run --release r1 >out 2>err &&
	test_grep "the pre-deploy hook is not executable: ignored" err &&
	rm -r .nextdeploy
'

test_expect_success 'stop, start and restart' '
	nd stop >out 2>err &&
	test_grep "^stopped nd-$APP-proxy$" err &&
	test_grep "^stopped nd-$APP-web-r1$" err &&
	test_must_fail nd_get "$(cat url)" &&
	test "$(nd_inspect "{{.State.Running}}" nd-$APP-web-r1-2)" = false &&
	nd start >out 2>err &&
	nd_url_of out >url &&
	test_grep "^http://127\.0\.0\.1:[0-9]+/$" url &&
	nd_get "$(cat url)" >body && echo "release r1" >want && test_cmp want body &&
	test "$(nd_inspect "{{.State.Running}}" nd-$APP-web-r2)" = false &&
	nd restart >out 2>err &&
	test_grep "^restarted nd-$APP-web-r1-2$" err &&
	nd_url_of out >url &&
	nd_get "$(cat url)" >body && test_cmp want body
'

test_expect_success 'bad env_file and missing secrets are project errors; nothing changes' '
	cp nextdeploy.yml good.yml &&
	printf "GOOD=1\n  BAD LINE\n" >.env &&
	test_expect_code 2 nd run --release r2 >out 2>err &&
	test_grep "\.env:2:[0-9]+: " err &&
	printf "GOOD=1\n" >.env &&
	printf "  secrets: { TOKEN: { env: ND_TEST_UNSET_TOKEN } }\n" >>nextdeploy.yml &&
	test_expect_code 2 nd run --release r2 >out 2>err &&
	test_grep "nextdeploy.yml:[0-9]+:[0-9]+: secret .TOKEN.: the environment variable .ND_TEST_UNSET_TOKEN. is not set" err &&
	test "$(nd_inspect "{{.State.Running}}" nd-$APP-web-r2)" = false &&
	nd_get "$(cat url)" >body && echo "release r1" >want && test_cmp want body &&
	cp good.yml nextdeploy.yml
'

test_expect_success 'down removes containers and network, keeps volumes; --volumes removes them' '
	test_when_finished "nd_cleanup_app $APP" &&
	nd down --json >out.json 2>err &&
	test_grep "^removed nd-$APP-proxy$" err &&
	json_get out.json "[\"nd-$APP-proxy\" in d[\"removed\"], \"nd-$APP\" in d[\"removed\"], d[\"failed\"]]" >got &&
	echo "[true, true, []]" >want && test_cmp want got &&
	test -z "$(docker ps -aq --filter label=nextdeploy.app=$APP)" &&
	test_must_fail docker network inspect nd-$APP >/dev/null 2>&1 &&
	docker volume inspect nd-$APP-data >/dev/null &&
	nd down --volumes >out 2>err &&
	test_grep "^removed nd-$APP-data$" err &&
	test_must_fail docker volume inspect nd-$APP-data >/dev/null 2>&1 &&
	nd releases -q >out && printf "r2\nr1\n" >want && test_cmp want out
'

test_done
