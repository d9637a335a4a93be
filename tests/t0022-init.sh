#!/usr/bin/env bash
# nextdeploy init: detects the app here, writes a commented nextdeploy.yml
# that loads back (plan and ps accept it), refuses to overwrite without
# --force, prints with --stdout, names the app from its manifest.
. "$(dirname "$0")/test-lib.sh"

APPS=$TEST_ROOT/data/apps

test_expect_success 'init writes a commented file from the detection, and it loads' '
	cp -a "$APPS/node-lockfile" app1 &&
	(cd app1 && nd init 2>../err) &&
	test_grep "wrote nextdeploy.yml: app .node-lockfile., node 18, port 3000" err &&
	test_grep "^app: node-lockfile$" app1/nextdeploy.yml &&
	test_grep "^  port: 3000 +# detected from|^  port: 3000 +# the default" app1/nextdeploy.yml &&
	test_grep "^#   package manager: npm \(package-lock.json\)" app1/nextdeploy.yml &&
	test_grep "^  # install: npm ci --omit=dev" app1/nextdeploy.yml &&
	test_grep "^  # base_image: node:18-bookworm" app1/nextdeploy.yml &&
	(cd app1 && nd plan --json >../plan.json) &&
	test "$(json_get plan.json "d[\"kind\"]")" = node &&
	(cd app1 && nd -H unix://$TRASH/none.sock ps 2>../err; test $? = 3)
'

test_expect_success 'init refuses to overwrite, --force replaces, --stdout prints' '
	echo "app: mine" >app1/nextdeploy.yml &&
	(cd app1 && test_expect_code 1 nd init 2>../err) &&
	test_grep "nextdeploy.yml. exists already" err &&
	test_grep "hint: use --force" err &&
	test "$(cat app1/nextdeploy.yml)" = "app: mine" &&
	(cd app1 && nd init --stdout >../printed) &&
	test "$(cat app1/nextdeploy.yml)" = "app: mine" &&
	test_grep "^app: node-lockfile$" printed &&
	(cd app1 && nd init --force --name shop 2>/dev/null) &&
	test_grep "^app: shop$" app1/nextdeploy.yml &&
	! ls app1/nextdeploy.yml.tmp* 2>/dev/null
'

test_expect_success 'init names the app from Cargo.toml, go.mod, or the folder' '
	cp -a "$APPS/rust-cargo" r && (cd r && nd init 2>/dev/null) &&
	test_grep "^app: rust-cargo$" r/nextdeploy.yml &&
	test_grep "^  port: 8080" r/nextdeploy.yml &&
	cp -a "$APPS/go-mod" g && (cd g && nd init 2>/dev/null) &&
	test_grep "^app: go-mod$" g/nextdeploy.yml &&
	mkdir "My Site!" && cp -a "$APPS/static-html/." "My Site!/" &&
	(cd "My Site!" && nd init 2>/dev/null) &&
	test_grep "^app: my-site$" "My Site!/nextdeploy.yml" &&
	test_grep "detected: static" "My Site!/nextdeploy.yml" &&
	cp -a "$APPS/dockerfile-ignore" d && (cd d && nd init 2>/dev/null) &&
	test_grep "^  port: 8081 +# detected from Dockerfile" d/nextdeploy.yml &&
	(cd d && nd plan --json >../d.json) &&
	test "$(json_get d.json "d[\"buildpack\"]")" = dockerfile
'

test_expect_success 'init with nothing to detect still writes a loadable file, with a warning' '
	mkdir empty && (cd empty && nd init 2>../err) &&
	test_grep "warning: cannot tell what kind of app" err &&
	test_grep "^app: empty$" empty/nextdeploy.yml &&
	test_grep "^  buildpack: auto" empty/nextdeploy.yml &&
	(cd empty && test_expect_code 1 nd plan 2>/dev/null)
'

test_expect_success 'init: bad --name and a broken manifest are errors (2)' '
	mkdir n && (cd n && test_expect_code 2 nd init --name "Bad Name" 2>../err) &&
	test_grep "invalid app name" err &&
	test ! -e n/nextdeploy.yml &&
	mkdir b && printf "[package\nname=" >b/Cargo.toml &&
	printf "{\"main\": }" >b/package.json &&
	(cd b && test_expect_code 2 nd init 2>../err) &&
	test_grep "package.json:1:" err &&
	test ! -e b/nextdeploy.yml
'

test_done
