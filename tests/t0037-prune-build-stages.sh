#!/usr/bin/env bash
# build labels the stages of a synthesized Dockerfile (nextdeploy.stage):
# a rebuild with changed sources leaves the first build's stage image
# dangling and labeled, prune removes it (and the old release, --keep 1)
# and keeps the newest stage image as the build cache, which the next
# rebuild then reuses (npm ci from the cache); the release image never
# carries nextdeploy.stage
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_NODE" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_NODE (tests/setup/images.sh)"
trap 'nd_cleanup_app "$APP"' EXIT

# the app's dangling build stage images, oldest first
stages() {
	docker images --filter "label=nextdeploy.app=$APP" \
		--filter label=nextdeploy.stage=build --filter dangling=true \
		--format '{{.CreatedAt}} {{.ID}}' | sort | awk '{ print $NF }'
}

label_of() { # label_of IMAGE KEY
	docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1"
}

build() { # build OUT: the release built, its JSON in OUT.json
	nd -v build --progress=plain --json >"$1.json" 2>"$1.err" || {
		tail -20 "$1.err" >&2
		return 1
	}
	json_get "$1.json" 'd["image"]' >"$1.image"
}

test_expect_success 'setup: the node fixture on the offline node image' '
	cp -a "$TEST_ROOT/data/apps/node-lockfile" app &&
	cd app &&
	printf "build:\n  base_image: %s\n" "$ND_TEST_NODE" | nd_app_init
'

test_expect_success 'the first build leaves one labeled build stage image' '
	cd app &&
	build ../b1 &&
	stages >../s1 &&
	test $(wc -l <../s1) = 1 &&
	s1=$(cat ../s1) &&
	test "$(label_of $s1 nextdeploy.managed)" = true &&
	test "$(label_of $s1 nextdeploy.app)" = "$APP" &&
	test "$(label_of $s1 nextdeploy.stage)" = build &&
	# the release image starts from a new FROM: no stage label
	img=$(cat ../b1.image) &&
	test "$(label_of $img nextdeploy.app)" = "$APP" &&
	test -n "$(label_of $img nextdeploy.release)" &&
	docker image inspect -f "{{json .Config.Labels}}" $img >../labels.json &&
	test "$(json_get ../labels.json "\"nextdeploy.stage\" in d")" = false
'

test_expect_success 'a rebuild with a changed source: a new release, the old stage dangling' '
	cd app &&
	echo "// changed" >>index.js &&
	build ../b2 &&
	! test "$(cat ../b1.image)" = "$(cat ../b2.image)" &&
	stages >../s12 &&
	test $(wc -l <../s12) = 2 &&
	test "$(head -1 ../s12)" = "$(cat ../s1)" &&
	tail -1 ../s12 >../s2 &&
	# the dependency install came from the cache: only COPY . . changed
	test_grep "Using cache" ../b2.err
'

test_expect_success 'prune keeps it for the margin, then removes it (and the old release)' '
	cd app &&
	nd prune --keep 1 --dry-run --json >../p0.json &&
	json_get ../p0.json "[i[\"reason\"] for i in d[\"kept\"] if i[\"id\"].startswith(\"sha256:$(cat ../s1)\")]" >v &&
	echo "[\"dangling, younger than the safety margin\"]" >want && test_cmp want v &&
	nd prune --keep 1 --min-age 0s --dry-run --json >../p1.json &&
	json_get ../p1.json "sorted(i[\"reason\"] for i in d[\"removed\"])" >v &&
	echo "[\"build stage (dangling)\", \"old release\"]" >want && test_cmp want v &&
	json_get ../p1.json "[i[\"reason\"] for i in d[\"kept\"] if i[\"id\"].startswith(\"sha256:$(cat ../s2)\")]" >v &&
	echo "[\"build cache\"]" >want && test_cmp want v &&
	nd prune --keep 1 --min-age 0s >../p2.out &&
	test_grep "^image +<none> +$(cat ../s1) +build stage \(dangling\)" ../p2.out &&
	test_grep "^image +$(cat ../b1.image) .* old release" ../p2.out &&
	test_must_fail docker image inspect "$(cat ../s1)" >/dev/null 2>&1 &&
	test_must_fail docker image inspect "$(cat ../b1.image)" >/dev/null 2>&1 &&
	docker image inspect "$(cat ../s2)" "$(cat ../b2.image)" >/dev/null &&
	stages >v && test_cmp ../s2 v
'

test_expect_success 'the kept stage is the cache of the next rebuild' '
	cd app &&
	echo "// changed again" >>index.js &&
	build ../b3 &&
	test_grep -e "Step [0-9]+/[0-9]+ : RUN npm ci" ../b3.err &&
	sed -n "/RUN npm ci/,/Step/p" ../b3.err >npmci &&
	test_grep "Using cache" npmci &&
	# again exactly one older stage to prune, the newest kept
	nd prune --keep 1 --min-age 0s --json >../p3.json &&
	json_get ../p3.json "[i[\"id\"][7:19] for i in d[\"removed\"] if i[\"reason\"] == \"build stage (dangling)\"]" >v &&
	echo "[\"$(cat ../s2)\"]" >want && test_cmp want v &&
	test $(stages | wc -l) = 1
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP" &&
	test -z "$(docker images -q --filter "label=nextdeploy.app=$APP")"
'

test_done
