#!/usr/bin/env bash
# build: the fixture apps of every kind built with `nextdeploy build` (the
# synthesized Dockerfile travels under a generated name), offline on the
# nd-test images, then run and probed the way the plan says; plan --json is
# checked against the image's labels for each
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/lib-apps.sh"

engine_ok || test_skip_all "no engine"
for img in "$ND_TEST_NODE" "$ND_TEST_PYTHON" "$ND_TEST_GO" "$ND_TEST_BUSYBOX" nd-test/nginx:latest; do
	docker image inspect "$img" >/dev/null 2>&1 ||
		test_skip_all "missing $img (tests/setup/images.sh)"
done
APPS=$TEST_ROOT/data/apps
trap 'nd_cleanup_app "$APP"' EXIT

# build_app NAME [YAML...]: copy the fixture, plan it, build it with
# nextdeploy (image $APP-NAME), check the labels against the plan
build_app() {
	local name=$1 img
	shift
	rm -rf "$name" && cp -a "$APPS/$name" "$name" &&
	(cd "$name" && { printf 'image:\n  name: %s\n' "$APP-$name"; printf '%s\n' "$@"; } | nd_app_init) &&
	nd -C "$name" plan --json >"$name.plan.json" &&
	nd -C "$name" build --json >"$name.build.json" 2>"$name.build.err" || {
		tail -30 "$name.build.err" >&2
		return 1
	}
	test "$(json_get "$name.build.json" 'd["skipped"]')" = false &&
	test "$(json_get "$name.build.json" 'd["buildpack"]')" = "$(json_get "$name.plan.json" 'd["kind"]')" &&
	img=$(json_get "$name.build.json" 'd["image"]') &&
	test "$img" = "$APP-$name:$(json_get "$name.build.json" 'd["release"]')" &&
	docker image inspect -f '{{json .Config.Labels}}' "$img" >"$name.labels.json" &&
	test "$(json_get "$name.labels.json" 'd["nextdeploy.app"]')" = "$APP" &&
	test "$(json_get "$name.labels.json" 'd["nextdeploy.port"]')" = "$(json_get "$name.plan.json" 'd["port"]')" &&
	test "$(json_get "$name.labels.json" 'd["nextdeploy.probe"]')" = "$(json_get "$name.plan.json" 'd["probe"]')" &&
	# what the plan asks for, every label of it
	json_get "$name.plan.json" 'all(k in __import__("json").load(open("'"$name.labels.json"'")) for k in d.get("labels", {}))' >has &&
	test "$(cat has)" = true &&
	echo "$img" >"$name.image"
}

# the synthesized Dockerfile never reaches the image
no_generated_dockerfile() {
	local name=$1 img
	img=$(cat "$name.image") &&
	docker run --rm --user 0 --entrypoint find "$img" / -xdev -name ".nextdeploy.Dockerfile*" >found 2>/dev/null &&
	test ! -s found
}

run_app() { # run_app NAME: start the image built, wait for its probe
	app_start "$1" "$(cat "$1.image")"
}

body_of() { # body_of NAME: the page at /
	probe_app "$1" "$(json_get "$1.plan.json" 'd["probe"]')" \
		"$(json_get "$1.plan.json" 'd["port"]')" /
}

test_expect_success 'node without dependencies' '
	build_app node-nodeps "build:" "  base_image: $ND_TEST_NODE" &&
	test "$(json_get node-nodeps.plan.json "d[\"probe\"]")" = node &&
	no_generated_dockerfile node-nodeps &&
	run_app node-nodeps &&
	body_of node-nodeps >body &&
	test_grep "hello from node-nodeps" body
'

test_expect_success 'the same node app again is skipped' '
	nd -C node-nodeps build --json >again.json 2>again.err &&
	test "$(json_get again.json "d[\"skipped\"]")" = true &&
	test_grep "already built \\(same content\\)" again.err
'

test_expect_success 'node with a lockfile dependency (npm ci in the build)' '
	build_app node-lockfile "build:" "  base_image: $ND_TEST_NODE" &&
	run_app node-lockfile &&
	body_of node-lockfile >body &&
	test_grep "is-number\(7\)=true" body
'

test_expect_success 'python, standard library only' '
	build_app python-stdlib "build:" "  base_image: $ND_TEST_PYTHON" &&
	test "$(json_get python-stdlib.plan.json "d[\"probe\"]")" = python &&
	run_app python-stdlib &&
	body_of python-stdlib >body &&
	test_grep "hello from python-stdlib" body
'

test_expect_success 'go: a static binary on busybox' '
	build_app go-mod "build:" "  base_image: $ND_TEST_GO" "  runtime_image: $ND_TEST_BUSYBOX" &&
	no_generated_dockerfile go-mod &&
	run_app go-mod &&
	body_of go-mod >body &&
	test_grep "hello from go-mod" body
'

test_expect_success 'static site without a build step' '
	build_app static-html "build:" "  runtime_image: nd-test/nginx:latest" &&
	run_app static-html &&
	body_of static-html >body &&
	test_grep "hello from static-html" body
'

test_expect_success 'static site with a build step' '
	build_app static-build "build:" "  base_image: $ND_TEST_NODE" "  runtime_image: nd-test/nginx:latest" &&
	run_app static-build &&
	body_of static-build >body &&
	test_grep "built by build.js" body
'

test_expect_success 'a Dockerfile app: .dockerignored files are absent from the image' '
	build_app dockerfile-ignore &&
	test "$(json_get dockerfile-ignore.plan.json "d[\"kind\"]")" = dockerfile &&
	test "$(json_get dockerfile-ignore.build.json "d[\"dockerfile\"]")" = Dockerfile &&
	img=$(cat dockerfile-ignore.image) &&
	docker run --rm "$img" ls -a /www >files &&
	test_grep "^index.html\$" files &&
	test_grep -v "^secret.txt\$" files &&
	test_grep -v "^server.key\$" files &&
	run_app dockerfile-ignore &&
	body_of dockerfile-ignore >body &&
	test -s body
'

test_expect_success 'compose: one image per service with a build, labeled with its name' '
	rm -rf compose-app && cp -a "$APPS/compose-app" compose-app &&
	sed -i "s|^FROM .*|FROM $ND_TEST_NODE|" compose-app/web/Dockerfile &&
	(cd compose-app && printf "image:\n  name: %s\n" "$APP-compose" | nd_app_init) &&
	nd -C compose-app build --json >compose.json 2>compose.err &&
	test "$(json_get compose.json "len(d[\"images\"])")" = 1 &&
	test "$(json_get compose.json "d[\"images\"][0][\"service\"]")" = web &&
	img=$(json_get compose.json "d[\"images\"][0][\"image\"]") &&
	test "$img" = "$APP-compose-web:$(json_get compose.json "d[\"release\"]")" &&
	docker image inspect -f "{{index .Config.Labels \"nextdeploy.service\"}} {{index .Config.Labels \"nextdeploy.port\"}}" "$img" >l &&
	echo "web 3000" >expect && test_cmp expect l &&
	nd -C compose-app build 2>again.err &&
	test_grep "^$img is already built" again.err
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP" &&
	test -z "$(docker images -q --filter "label=nextdeploy.app=$APP")"
'

test_done
