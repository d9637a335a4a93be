#!/usr/bin/env bash
# Every synthesized Dockerfile really builds and runs, offline: for each
# fixture app (base and runtime images pointed at the nd-test images),
# `nextdeploy build` builds it through the Engine API's classic builder, the
# container runs as the non-root user, and the health probe the plan chose
# (node, python, wget) answers from inside with docker exec.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/lib-apps.sh"

engine_ok || test_skip_all "no engine"
for img in "$ND_TEST_NODE" "$ND_TEST_PYTHON" "$ND_TEST_GO" "$ND_TEST_BUSYBOX" \
	"$ND_TEST_DEBIAN" nd-test/nginx:latest; do
	docker image inspect "$img" >/dev/null 2>&1 ||
		test_skip_all "missing $img (tests/setup/images.sh)"
done
APPS=$TEST_ROOT/data/apps
SIZES=$TEST_ROOT/results/t0021-image-sizes.txt
mkdir -p "$TEST_ROOT/results"
: >"$SIZES"

# build_app NAME [YAML...]: copy the fixture, write nextdeploy.yml with the
# extra YAML lines, plan it, build it with nextdeploy, tag it $APP-NAME:latest.
build_app() {
	local name=$1 image
	shift
	rm -rf "$name" && cp -a "$APPS/$name" "$name" &&
	(cd "$name" && printf '%s\n' "$@" | nd_app_init "$APP-$name") &&
	(cd "$name" && nd plan --json >../$name.plan.json) &&
	(cd "$name" && nd plan --dockerfile >../$name.Dockerfile) &&
	(cd "$name" && nd build --json >../$name.build.json 2>../$name.build.log) ||
		{ tail -30 "$name.build.log" >&2; return 1; }
	image=$(json_get "$name.build.json" 'd["image"]') &&
	docker tag "$image" "$APP-$name:latest"
}

run_app() { # run_app NAME: start the image built, wait for its probe
	app_start "$1" "$APP-$1:latest"
}

# host_get NAME PATH [CURL ARGS]: fetch from the host (status and body of
# error pages, which busybox wget does not print)
host_get() {
	local name=$1 path=$2 ip port
	shift 2
	ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$APP-$name") &&
	port=$(json_get "$name.plan.json" 'd["port"]') &&
	curl -s --max-time 5 "$@" "http://$ip:$port$path"
}

# checks common to every kind: non-root user, exposed port, size noted
check_image() {
	local name=$1 user port size
	user=$(docker image inspect -f '{{.Config.User}}' "$APP-$name:latest") &&
	test "$user" = 10001:10001 &&
	port=$(json_get "$name.plan.json" 'd["port"]') &&
	docker image inspect -f '{{json .Config.ExposedPorts}}' "$APP-$name:latest" >ports &&
	test_grep "\"$port/tcp\"" ports &&
	test "$(docker exec "$APP-$name" id -u 2>/dev/null || echo 10001)" = 10001 &&
	size=$(docker image inspect -f '{{.Size}}' "$APP-$name:latest") &&
	printf '%-22s %-8s %6.1f MB  (%s)\n' "$name" "$(json_get "$name.plan.json" 'd["kind"]')" \
		"$(awk -v s="$size" "BEGIN { print s / 1000000 }")" \
		"$(json_get "$name.plan.json" 'd["runtime_image"]')" >>"$SIZES"
}

trap 'nd_cleanup_app "$APP"; for n in $(ls -d */ 2>/dev/null); do nd_cleanup_app "$APP-${n%/}"; done' EXIT

test_expect_success 'node without dependencies: builds, runs as uid 10001, probe node' '
	build_app node-nodeps "build:" "  base_image: $ND_TEST_NODE" &&
	test "$(json_get node-nodeps.plan.json "d[\"probe\"]")" = node &&
	test "$(json_get node-nodeps.plan.json "d[\"start_argv\"]")" = "[\"node\", \"server.js\"]" &&
	run_app node-nodeps &&
	probe_app node-nodeps node 3000 / >body &&
	test_grep "hello from node-nodeps uid=10001" body &&
	check_image node-nodeps
'

test_expect_success 'node with a lockfile dependency: npm ci in the build, the module at runtime' '
	build_app node-lockfile "build:" "  base_image: $ND_TEST_NODE" &&
	test_grep "RUN npm ci --omit=dev" node-lockfile.Dockerfile &&
	run_app node-lockfile &&
	probe_app node-lockfile node 3000 / >body &&
	test_grep "is-number\(7\)=true" body &&
	docker exec "$APP-node-lockfile" test -f node_modules/is-number/package.json &&
	check_image node-lockfile
'

test_expect_success 'python, standard library only: probe python through the venv' '
	build_app python-stdlib "build:" "  base_image: $ND_TEST_PYTHON" &&
	run_app python-stdlib &&
	probe_app python-stdlib python 8000 / >body &&
	test_grep "hello from python-stdlib uid=10001" body &&
	check_image python-stdlib
'

test_expect_success 'python with a Procfile: web command with quotes and $PORT, release label' '
	build_app python-requirements "build:" "  base_image: $ND_TEST_PYTHON" &&
	test "$(json_get python-requirements.plan.json "d[\"labels\"][\"nextdeploy.release-command\"]")" = \
		"[\"python\",\"-c\",\"print(\\\"migrating\\\")\"]" &&
	run_app python-requirements &&
	probe_app python-requirements python 8000 / >body &&
	test_grep "mark=it.s a \"quoted\" 8000" body &&
	check_image python-requirements
'

test_expect_success 'go: static binary on busybox, probe wget' '
	build_app go-mod "build:" "  base_image: $ND_TEST_GO" "  runtime_image: $ND_TEST_BUSYBOX" &&
	run_app go-mod &&
	probe_app go-mod wget 8080 / >body &&
	test_grep "hello from go-mod uid=10001" body &&
	check_image go-mod
'

if docker image inspect nd-test/rust:1 >/dev/null 2>&1 && [ "${ND_TEST_RUST:-1}" != 0 ]; then
test_expect_success 'rust: release binary on debian slim with busybox wget' '
	build_app rust-cargo "build:" "  base_image: nd-test/rust:1" "  runtime_image: $ND_TEST_DEBIAN" &&
	run_app rust-cargo &&
	probe_app rust-cargo wget 8080 / >body &&
	test_grep "hello from rust-cargo" body &&
	check_image rust-cargo
'
fi

test_expect_success 'static site: nginx as uid 10001, custom 404, no dotfiles, gzip' '
	build_app static-html "build:" "  runtime_image: nd-test/nginx:latest" &&
	run_app static-html &&
	probe_app static-html wget 8080 / >body &&
	test_grep "hello from static-html" body &&
	! probe_app static-html wget 8080 /nope >body404 2>&1 &&
	host_get static-html /nope -w "%{http_code}" >body404 &&
	test_grep "static-html custom 404" body404 &&
	test_grep "404$" body404 &&
	test "$(host_get static-html /.env -o /dev/null -w "%{http_code}")" = 404 &&
	test "$(host_get static-html /nextdeploy.yml -o /dev/null -w "%{http_code}")" = 404 &&
	test "$(host_get static-html /Staticfile -o /dev/null -w "%{http_code}")" = 404 &&
	host_get static-html /style.css -H "Accept-Encoding: gzip" -D headers -o /dev/null &&
	test_grep -e "Content-Encoding: gzip" headers &&
	check_image static-html
'

test_expect_success 'static single-page app from a Staticfile: unknown paths serve index.html' '
	build_app static-spa "build:" "  runtime_image: nd-test/nginx:latest" &&
	run_app static-spa &&
	probe_app static-spa wget 8080 /some/client/route >body &&
	test_grep "spa shell" body &&
	test "$(host_get static-spa /.git/config -o /dev/null -w "%{http_code}")" = 404 &&
	check_image static-spa
'

test_expect_success 'static site with a build step: node builds dist/, nginx serves it' '
	build_app static-build "build:" "  base_image: $ND_TEST_NODE" "  runtime_image: nd-test/nginx:latest" &&
	run_app static-build &&
	probe_app static-build wget 8080 / >body &&
	test_grep "built by build.js" body &&
	host_get static-build /missing -w "%{http_code}" >body404 &&
	test_grep "static-build 404 page" body404 &&
	test_grep "404$" body404 &&
	! docker exec "$APP-static-build" test -e /srv/site/package.json &&
	check_image static-build
'

test_expect_success 'image sizes' '
	cat "$SIZES" >&2 &&
	test -s "$SIZES"
'

test_done
