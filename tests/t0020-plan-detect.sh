#!/usr/bin/env bash
# nextdeploy plan on every fixture app: --json holds the decisions (kind,
# versions, commands, port, probe, images, reasons with files, labels), the
# human output shows the table and the Dockerfile, no engine is needed, and
# bad input is a clear error with the right exit code.
. "$(dirname "$0")/test-lib.sh"

APPS=$TEST_ROOT/data/apps

# plan_of NAME [YAML...]: copy the fixture, plan --json into NAME.json
plan_of() {
	local name=$1
	shift
	rm -rf "$name" && cp -a "$APPS/$name" "$name" &&
	(cd "$name" && printf '%s\n' "$@" | nd_app_init "$APP" &&
		nd -H unix://$TRASH/no-engine.sock plan --json >"../$name.json")
}

# check NAME PYTHON-EXPR: the expression over d (the plan) must be true
check() {
	local v
	v=$(json_get "$1.json" "$2") || return 1
	if [ "$v" != true ]; then
		echo "# $1: $2 is false" >&2
		python3 -m json.tool "$1.json" | head -60 >&2
		return 1
	fi
}

test_expect_success 'node without dependencies' '
	plan_of node-nodeps &&
	check node-nodeps "d[\"buildpack\"] == \"nixpacks\" and d[\"kind\"] == \"node\"" &&
	check node-nodeps "d[\"versions\"] == {\"node\": \"20.11.1\"}" &&
	check node-nodeps "d[\"start_argv\"] == [\"node\", \"server.js\"] and d[\"port\"] == 3000" &&
	check node-nodeps "d[\"probe\"] == \"node\" and d[\"labels\"][\"nextdeploy.probe\"] == \"node\"" &&
	check node-nodeps "{\"what\": \"node version\", \"value\": \"20.11.1\", \"file\": \".nvmrc\", \"key\": None} in d[\"reasons\"]" &&
	check node-nodeps "d[\"dockerfile\"].startswith(\"# Synthesized by nextdeploy\")"
'

test_expect_success 'node with a lockfile: npm ci from package-lock.json, engines range' '
	plan_of node-lockfile &&
	check node-lockfile "d[\"package_manager\"] == \"npm\" and d[\"commands\"][\"install\"] == \"npm ci --omit=dev\"" &&
	check node-lockfile "any(r[\"what\"] == \"package manager\" and r[\"file\"] == \"package-lock.json\" for r in d[\"reasons\"])" &&
	check node-lockfile "d[\"versions\"][\"node\"] == \"18\" and d[\"base_image\"] == \"node:18-bookworm\""
'

test_expect_success 'static sites, with and without a build step' '
	plan_of static-html &&
	check static-html "d[\"buildpack\"] == \"static\" and d[\"probe\"] == \"wget\" and d[\"port\"] == 8080" &&
	plan_of static-build &&
	check static-build "d[\"kind\"] == \"static\" and d[\"language\"] == \"node\" and d[\"output_dir\"] == \"dist\"" &&
	check static-build "d[\"commands\"][\"build\"] == \"npm run build\"" &&
	plan_of static-spa &&
	check static-spa "d[\"spa\"] and d[\"output_dir\"] == \"public\"" &&
	plan_of node-vite &&
	check node-vite "d[\"framework\"] == \"vite\" and d[\"kind\"] == \"static\" and d[\"package_manager\"] == \"yarn\""
'

test_expect_success 'python, go, rust' '
	plan_of python-stdlib &&
	check python-stdlib "d[\"versions\"][\"python\"] == \"3.11.4\" and d[\"probe\"] == \"python\" and d[\"port\"] == 8000" &&
	plan_of python-requirements &&
	check python-requirements "d[\"release_argv\"] == [\"python\", \"-c\", \"print(\\\"migrating\\\")\"]" &&
	check python-requirements "d[\"labels\"][\"nextdeploy.processes\"] == \"{\\\"worker\\\":[\\\"python\\\",\\\"-c\\\",\\\"import time; time.sleep(3600)\\\"]}\"" &&
	plan_of go-mod &&
	check go-mod "d[\"kind\"] == \"go\" and d[\"versions\"][\"go\"] == \"1.19\" and d[\"runtime_image\"] == \"busybox:1.36.1\"" &&
	plan_of rust-cargo &&
	check rust-cargo "d[\"kind\"] == \"rust\" and d[\"start_argv\"] == [\"/usr/local/bin/rust-cargo\"]"
'

test_expect_success 'the app'"'"'s own Dockerfile, and compose' '
	plan_of dockerfile-ignore &&
	check dockerfile-ignore "d[\"buildpack\"] == \"dockerfile\" and d[\"dockerfile\"] is None" &&
	check dockerfile-ignore "d[\"dockerfile_path\"] == \"Dockerfile\" and d[\"port\"] == 8081" &&
	plan_of compose-app &&
	check compose-app "[s[\"name\"] for s in d[\"services\"]] == [\"web\", \"cache\"]" &&
	check compose-app "d[\"services\"][0][\"context\"] == \"web\" and d[\"services\"][1][\"image\"] == \"redis:7-alpine\""
'

test_expect_success 'project keys override detection, and the plan says so' '
	plan_of node-nodeps "build:" "  base_image: $ND_TEST_NODE" "  start: node server.js --port \$PORT" "deploy:" "  port: 4000" &&
	check node-nodeps "d[\"base_image\"] == \"$ND_TEST_NODE\" and d[\"runtime_image\"] == \"$ND_TEST_NODE\"" &&
	check node-nodeps "d[\"start_argv\"] == [\"/bin/sh\", \"-c\", \"exec node server.js --port \$PORT\"]" &&
	check node-nodeps "{\"what\": \"port\", \"value\": \"4000\", \"file\": \"nextdeploy.yml\", \"key\": \"deploy.port\"} in d[\"reasons\"]" &&
	check node-nodeps "\"EXPOSE 4000\" in d[\"dockerfile\"]"
'

test_expect_success 'human output: decisions with their files, then the Dockerfile' '
	(cd node-lockfile && nd plan >../out) &&
	test_grep "^buildpack nixpacks, kind node \(node 18\)" out &&
	test_grep "^package manager +npm +package-lock.json" out &&
	test_grep "^start \(exec form\) \[\"node\", \"index.js\"\]" out &&
	test_grep "^  nextdeploy.probe=node" out &&
	test_grep "^FROM node:18-bookworm-slim AS runtime" out &&
	(cd node-lockfile && nd plan --dockerfile >../Dockerfile.out) &&
	test "$(head -1 Dockerfile.out | cut -c1-27)" = "# Synthesized by nextdeploy"
'

test_expect_success 'errors: nothing to detect (1), a bad manifest (2), a bad key (2)' '
	mkdir -p empty && (cd empty && nd_app_init &&
		test_expect_code 1 nd plan 2>../err) &&
	test_grep "cannot tell what kind of app" err &&
	test_grep "hint: looked for" err &&
	mkdir -p badjson && (cd badjson && nd_app_init && printf "{\n  \"main\": oops\n}\n" >package.json &&
		test_expect_code 2 nd plan 2>../err) &&
	test_grep "error: package.json:2:" err &&
	mkdir -p badstart && (cd badstart && printf "{\"main\":\"a.js\"}" >package.json && : >a.js &&
		printf "app: x\nbuild:\n  start: \"node \\\\u0007a.js\"\n" >nextdeploy.yml &&
		test_expect_code 2 nd plan 2>../err) &&
	test_grep "nextdeploy.yml:3:10: .*control character" err &&
	mkdir -p badproc && (cd badproc && nd_app_init && printf "{\"main\":\"a.js\"}" >package.json && : >a.js &&
		printf "web node a.js\n" >Procfile &&
		test_expect_code 2 nd plan 2>../err) &&
	test_grep "error: Procfile:1:4: expected" err &&
	(cd empty && printf "app: x\nsource:\n  git: file://$TRASH/no-such-repo\n" >nextdeploy.yml &&
		test_expect_code 1 nd plan 2>../err) &&
	test_grep "no-such-repo" err
'

test_expect_success 'plan -h works without a project and documents the rules' '
	(cd empty && rm -f nextdeploy.yml && nd plan -h >../help) &&
	test_grep "usage: nextdeploy plan" help &&
	test_grep -e "--dockerfile" help
'

test_done
