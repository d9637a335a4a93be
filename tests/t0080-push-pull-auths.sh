#!/usr/bin/env bash
# push and pull against a private registry with htpasswd auth, credentials
# from config.json's auths (the base64 "auth" field) and DOCKER_AUTH_CONFIG:
# push, --json, --latest, pull back after removing the local image, run the
# pulled release, missing and wrong credentials, no registry, a missing tag,
# progress as bars on a terminal and plain lines in a pipe or CI.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/deploy-lib.sh"
. "$TEST_ROOT/lib-registry.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" "$ND_TEST_CADDY" >/dev/null 2>&1 ||
	test_skip_all "no test images (tests/setup/images.sh)"
registry_available || test_skip_all "no docker-registry/htpasswd (tests/setup/engine.sh installs them)"

trap 'nd_cleanup_all_; registry_stop' EXIT
registry_start nduser ndpass || exit 1
export DOCKER_CONFIG=$TRASH/docker
mkdir -p "$DOCKER_CONFIG"
ESC=$(printf '\033')
REPO=$REG/team/$APP

# write_auths KEY USER PASS: config.json with one auths entry
write_auths() {
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$1" "$(registry_auth "$2" "$3")" \
		>"$DOCKER_CONFIG/config.json"
}

test_must_be_empty_() {
	if [ -s "$1" ]; then
		echo "# $1 is not empty:" >&2
		head -5 "$1" >&2
		return 1
	fi
}

# the registry's own view, with the right credentials
reg_tags() {
	curl -fsS -u nduser:ndpass "http://$REG/v2/team/$APP/tags/list"
}
reg_digest() {
	curl -fsS -u nduser:ndpass -o /dev/null -D - -I \
		-H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
		"http://$REG/v2/team/$APP/manifests/$1" |
		tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

test_expect_success 'setup: an app with image.registry, built by nextdeploy' '
	mkdir app && cd app &&
	cp "$ND_DEPLOY_DATA/web/Dockerfile" . &&
	nd_app_init <<-EOF &&
	build:
	  args: { REL: v1 }
	image:
	  registry: $REG/team
	deploy:
	  port: 8080
	  publish: 0
	  healthcheck: { path: /health, interval: 300ms }
	  proxy: { image: $ND_TEST_CADDY }
	EOF
	nd build --json >../build.json 2>../build.err &&
	cd .. &&
	json_get build.json "d[\"release\"]" >release &&
	test "$(json_get build.json "d[\"image\"]")" = "$REPO:$(cat release)"
'

test_expect_success 'push without credentials fails with the engine message and a hint' '
	cd app &&
	echo "{}" >"$DOCKER_CONFIG/config.json" &&
	test_expect_code 1 nd push >../out 2>../err &&
	test_grep "^error: pushing .$REPO:$(cat ../release).: no basic auth credentials" ../err &&
	test_grep "^hint: no credentials for $REG were found: log in with .docker login $REG." ../err &&
	test_must_be_empty_ ../out &&
	test_must_fail reg_tags >/dev/null 2>&1
'

test_expect_success 'push with a config.json auths entry (host-matched key, base64 auth)' '
	cd app && rel=$(cat ../release) &&
	write_auths "http://$REG/v2/" nduser ndpass &&
	nd -v push >../out 2>../err &&
	test_grep "^$REPO:$rel@sha256:[0-9a-f]{64}\$" ../out &&
	digest=$(sed "s/.*@//" ../out) &&
	test "$(reg_digest "$rel")" = "$digest" &&
	reg_tags >../tags && test_grep "\"$rel\"" ../tags &&
	test_grep "^debug: credentials for $REG: $DOCKER_CONFIG/config.json \(auths\) \(user .nduser.\)" ../err &&
	test_grep "^pushing $REPO:$rel\$" ../err &&
	test_grep ": Pushed\$" ../err &&
	test_grep "^pushed $REPO:$rel \($digest\)" ../err &&
	test_grep -v "ndpass" ../err &&
	test_grep -v "$ESC" ../err
'

test_expect_success 'push --json and --latest: one document with the digest' '
	cd app && rel=$(cat ../release) &&
	nd push --json --latest >../push.json 2>../err &&
	cd .. &&
	json_get push.json "sorted(d.keys())" >keys &&
	echo "[\"digest\", \"image\", \"images\", \"registry\", \"release\", \"repository\", \"size\", \"tag\", \"tags\"]" >want &&
	test_cmp want keys &&
	test "$(json_get push.json "d[\"image\"]")" = "$REPO:$rel" &&
	test "$(json_get push.json "d[\"repository\"]")" = "$REPO" &&
	test "$(json_get push.json "d[\"registry\"]")" = "$REG/team" &&
	test "$(json_get push.json "d[\"tag\"]")" = "$rel" &&
	test "$(json_get push.json "d[\"tags\"]")" = "[\"$rel\", \"latest\"]" &&
	test "$(json_get push.json "d[\"digest\"]")" = "$(reg_digest "$rel")" &&
	test "$(json_get push.json "d[\"size\"] > 0")" = true &&
	test "$(json_get push.json "d[\"images\"][0][\"service\"]")" = web &&
	test "$(json_get push.json "d[\"images\"][0][\"image_id\"]")" = "$(docker image inspect -f "{{.Id}}" "$REPO:$rel")" &&
	test "$(reg_digest latest)" = "$(reg_digest "$rel")" &&
	test_grep "Layer already exists" err &&
	test_grep "^pushing $REPO:latest\$" err
'

test_expect_success 'pull brings the release back after the local images are gone' '
	cd app && rel=$(cat ../release) &&
	nd_cleanup_app "$APP" &&
	test_must_fail docker image inspect "$REPO:$rel" >/dev/null 2>&1 &&
	nd pull "$rel" >../out 2>../err &&
	echo "$REPO:$rel" >../want && test_cmp ../want ../out &&
	test_grep "^pulling $REPO:$rel\$" ../err &&
	test_grep "^$rel: Pulling from team/$APP" ../err &&
	test_grep "^Digest: sha256:" ../err &&
	test_grep "^pulled $REPO:$rel\$" ../err &&
	test_grep -v "$ESC" ../err &&
	test "$(docker image inspect -f "{{index .Config.Labels \"nextdeploy.release\"}}" "$REPO:$rel")" = "$rel" &&
	nd releases -q >../rels && echo "$rel" >../want && test_cmp ../want ../rels
'

test_expect_success 'pull without a release takes latest and names the release it is' '
	cd app && rel=$(cat ../release) &&
	nd_cleanup_app "$APP" &&
	nd pull --json >../pull.json 2>../err &&
	test_grep "^pulled $REPO:latest \(release $rel\)" ../err &&
	test "$(json_get ../pull.json "d[\"image\"]")" = "$REPO:latest" &&
	test "$(json_get ../pull.json "d[\"release\"]")" = "$rel" &&
	test "$(json_get ../pull.json "d[\"digest\"]")" = "$(reg_digest latest)" &&
	test "$(json_get ../pull.json "d[\"up_to_date\"]")" = false &&
	test "$(json_get ../pull.json "d[\"image_id\"]")" = "$(docker image inspect -f "{{.Id}}" "$REPO:$rel")" &&
	nd pull --json >../pull2.json 2>../err &&
	test "$(json_get ../pull2.json "d[\"up_to_date\"]")" = true
'

test_expect_success 'the pulled release deploys with run --release' '
	cd app && rel=$(cat ../release) &&
	nd run --release "$rel" >../out 2>../err &&
	url=$(nd_url_of ../out) &&
	nd_get "$url" >../body && echo "release v1" >../want && test_cmp ../want ../body
'

test_expect_success 'a wrong password: push and pull exit 1 with the message and a hint' '
	cd app && rel=$(cat ../release) &&
	write_auths "$REG" nduser wrong &&
	test_expect_code 1 nd push >../out 2>../err &&
	test_grep "^error: pushing .$REPO:$rel.: unauthorized: authentication required" ../err &&
	test_grep "^hint: the registry refused the credentials for $REG from $DOCKER_CONFIG/config.json \(auths\); log in again with .docker login $REG." ../err &&
	test_expect_code 1 nd pull "$rel" >../out 2>../err &&
	test_grep "^error: pulling .$REPO:$rel.: unauthorized: authentication required" ../err &&
	test_grep "^hint: the registry refused the credentials" ../err &&
	test_expect_code 1 nd --json pull "$rel" >../err.json 2>/dev/null &&
	test "$(json_get ../err.json "d[\"error\"][\"code\"]")" = auth &&
	test_grep -v "wrong" ../err
'

test_expect_success 'DOCKER_AUTH_CONFIG comes before config.json' '
	cd app && rel=$(cat ../release) &&
	DOCKER_AUTH_CONFIG="{\"auths\":{\"$REG\":{\"auth\":\"$(registry_auth nduser ndpass)\"}}}" \
		nd -v push "$rel" >../out 2>../err &&
	test_grep "^debug: credentials for $REG: DOCKER_AUTH_CONFIG" ../err &&
	test_grep "^$REPO:$rel@sha256:" ../out &&
	DOCKER_AUTH_CONFIG="{\"auths\":{\"$REG\":{\"username\":\"nduser\",\"password\":\"ndpass\"}}}" \
		NEXTDEPLOY_TRACE=1 nd pull "$rel" >../out 2>../err &&
	test_grep "X-Registry-Auth: \*+" ../err &&
	test_grep -v "ndpass" ../err &&
	DOCKER_AUTH_CONFIG="{\"auths\":" test_expect_code 2 nd pull "$rel" >../out 2>../err &&
	test_grep "^error: registry credentials for .$REG.: DOCKER_AUTH_CONFIG is not valid JSON" ../err
'

test_expect_success 'a malformed config.json is a usage error naming the place' '
	cd app &&
	printf "{\n  \"auths\": {\n    \"%s\": {\"auth\": \"x\"},\n  }\n}\n" "$REG" >"$DOCKER_CONFIG/config.json" &&
	test_expect_code 2 nd push >../out 2>../err &&
	test_grep "^error: $DOCKER_CONFIG/config.json:4:[0-9]+: registry credentials for .$REG.: not valid JSON" ../err &&
	printf "{\"auths\":{\"%s\":{\"auth\":\"bm9jb2xvbg==\"}}}" "$REG" >"$DOCKER_CONFIG/config.json" &&
	test_expect_code 2 nd push >../out 2>../err &&
	test_grep "auths\[.$REG.\]: the auth field is not base64 of user:password \(no .:.\)" ../err
'

test_expect_success 'no registry: refused before anything; --registry gives one' '
	mkdir -p noreg && cd noreg && rel=$(cat ../release) &&
	cp ../app/Dockerfile . &&
	nd_app_init <<-EOF &&
	build:
	  args: { REL: v1 }
	EOF
	write_auths "$REG" nduser ndpass &&
	test_expect_code 2 nd push "$rel" >../out 2>../err &&
	test_grep "^error: no registry for .$APP.: image.registry is not set and --registry was not given" ../err &&
	test_grep "^hint: set image.registry" ../err &&
	test_expect_code 2 nd pull >../out 2>../err &&
	test_grep "^error: no registry for" ../err &&
	test_expect_code 2 nd push --registry "Bad Registry" >../out 2>../err &&
	test_grep "invalid registry .Bad Registry." ../err &&
	nd push --registry "$REG/other" "$rel" >../out 2>../err &&
	test_grep "^$REG/other/$APP:$rel@sha256:" ../out &&
	curl -fsS -u nduser:ndpass "http://$REG/v2/other/$APP/tags/list" >../tags &&
	test_grep "\"$rel\"" ../tags
'

test_expect_success 'push of a release that is not on the engine; pull of a tag that is not in the registry' '
	cd app &&
	test_expect_code 1 nd push nosuch >../out 2>../err &&
	test_grep "^error: .$APP. has no release .nosuch. on the engine" ../err &&
	test_expect_code 1 nd pull nosuch >../out 2>../err &&
	test_grep "^error: pulling .$REPO:nosuch.: manifest for $REPO:nosuch not found" ../err &&
	test_grep "^hint: is .$REPO:nosuch. in the registry\? it is published with .nextdeploy push nosuch." ../err &&
	test_expect_code 2 nd pull "bad tag" >../out 2>../err &&
	test_grep "invalid release" ../err
'

# on_tty ENV... -- ARGS...: the binary on a pseudo-terminal; output in tty.out
on_tty() {
	local envs=() q=
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	printf -v q '%q ' "$ND_BIN" "$@"
	env -u CI TERM=xterm "${envs[@]}" script -qec "$q" /dev/null >tty.out 2>&1 </dev/null
}

test_expect_success 'progress: bars on a terminal, plain lines with CI set or in a pipe' '
	command -v script >/dev/null || return 0
	cd app && rel=$(cat ../release) &&
	on_tty -- push "$rel" &&
	test_grep "pushed $REPO:$rel" tty.out &&
	test_grep "${ESC}\\[[0-9]+A${ESC}\\[2K" tty.out &&
	on_tty CI=true -- push "$rel" &&
	test_grep "pushed $REPO:$rel" tty.out &&
	test_grep -v "$ESC" tty.out &&
	test_grep ": Layer already exists" tty.out &&
	nd pull "$rel" >out 2>err &&
	test_grep -v "$ESC" err &&
	nd -q push "$rel" >out 2>err &&
	test_grep "^$REPO:$rel@sha256:" out &&
	test_must_be_empty_ err
'

test_done
