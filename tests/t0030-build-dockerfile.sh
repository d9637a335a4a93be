#!/usr/bin/env bash
# build: a Dockerfile app; .dockerignore applied on the client, content-hash
# release tag, skip when built, --force, labels, build args, target,
# --no-cache, -q and --json
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

test_expect_success 'setup: a Dockerfile app with a .dockerignore' '
	mkdir -p app/src app/logs &&
	cd app &&
	cat >Dockerfile <<-EOF &&
	FROM $ND_TEST_BUSYBOX AS base
	ARG GREETING=none
	RUN echo "greeting=\$GREETING" >/greeting
	COPY . /ctx
	FROM base AS runner
	RUN touch /runner-stage
	FROM base AS final
	RUN touch /final-stage
	EOF
	printf "secret.txt\nlogs\n!logs/keep.log\n*.tmp\n" >.dockerignore &&
	echo "TOP SECRET" >secret.txt &&
	echo app >src/app.txt &&
	echo drop >logs/a.log &&
	echo keep >logs/keep.log &&
	echo tmp >x.tmp &&
	nd_app_init <<-EOF
	build:
	  args: { GREETING: from-project }
	  labels: { com.example.team: web }
	deploy:
	  port: 8080
	EOF
'

test_expect_success 'build: ignored files are absent, re-included ones present' '
	cd app &&
	nd build --json >../out.json 2>../err &&
	cd .. &&
	img=$(json_get out.json "d[\"image\"]") &&
	echo "$img" >image &&
	docker run --rm "$img" find /ctx -type f >files.raw &&
	sort files.raw >files &&
	cat >want <<-EOF &&
	/ctx/.dockerignore
	/ctx/Dockerfile
	/ctx/logs/keep.log
	/ctx/nextdeploy.yml
	/ctx/src/app.txt
	EOF
	test_cmp want files &&
	test_must_fail docker run --rm "$img" cat /ctx/secret.txt 2>/dev/null &&
	docker run --rm "$img" cat /greeting >greeting &&
	echo greeting=from-project >want && test_cmp want greeting &&
	docker run --rm "$img" ls /final-stage >/dev/null
'

test_expect_success 'the release tag is the content hash; --json is complete' '
	tag=$(json_get out.json "d[\"release\"]") &&
	hash=$(json_get out.json "d[\"content_hash\"]") &&
	echo "$tag" | grep -qE "^[0-9a-f]{12}\$" &&
	test "$tag" = "$(echo "$hash" | cut -c1-12)" &&
	test "$(cat image)" = "$APP:$tag" &&
	json_get out.json "sorted(d.keys())" >keys &&
	echo "[\"buildpack\", \"commit\", \"content_hash\", \"context_bytes\", \"dockerfile\", \"duration_seconds\", \"image\", \"image_id\", \"images\", \"release\", \"repository\", \"skipped\", \"source\", \"tag_source\"]" >want &&
	test_cmp want keys &&
	test "$(json_get out.json "d[\"skipped\"]")" = false &&
	test "$(json_get out.json "d[\"tag_source\"]")" = content &&
	test "$(json_get out.json "d[\"buildpack\"]")" = dockerfile &&
	test "$(json_get out.json "d[\"image_id\"]")" = "$(docker image inspect -f "{{.Id}}" "$(cat image)")" &&
	test_grep "^building $APP:$tag" err &&
	test_grep "^Step 1/" err
'

test_expect_success 'the image carries the label contract' '
	img=$(cat image) &&
	docker image inspect -f "{{json .Config.Labels}}" "$img" >labels.json &&
	tag=${img#*:} &&
	test "$(json_get labels.json "d[\"nextdeploy.managed\"]")" = true &&
	test "$(json_get labels.json "d[\"nextdeploy.app\"]")" = "$APP" &&
	test "$(json_get labels.json "d[\"nextdeploy.release\"]")" = "$tag" &&
	test "$(json_get labels.json "d[\"nextdeploy.service\"]")" = web &&
	test "$(json_get labels.json "d[\"nextdeploy.port\"]")" = 8080 &&
	nd -C app plan --json >plan.json &&
	test "$(json_get plan.json "d[\"buildpack\"]")" = dockerfile &&
	test "$(json_get labels.json "d[\"nextdeploy.probe\"]")" = "$(json_get plan.json "d[\"probe\"]")" &&
	test "$(json_get plan.json "d[\"port\"]")" = 8080 &&
	test "$(json_get labels.json "d[\"com.example.team\"]")" = web &&
	json_get labels.json "d[\"org.opencontainers.image.created\"]" >created &&
	grep -qE "^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\$" created &&
	test "$(json_get labels.json "\"org.opencontainers.image.revision\" in d")" = false
'

test_expect_success 'a second build of the same content is skipped with a note' '
	cd app &&
	nd build >../out2 2>../err2 &&
	cd .. &&
	test ! -s out2 &&
	test_grep "^$(cat image) is already built \\(same content\\); --force rebuilds it\$" err2 &&
	test_grep -v "^Step" err2
'

test_expect_success 'an ignored file does not change the tag; a sent one does' '
	cd app &&
	echo "changed secret" >secret.txt &&
	echo more >logs/a.log &&
	nd build --json >../out3.json 2>/dev/null &&
	test "$(json_get ../out3.json "d[\"skipped\"]")" = true &&
	chmod +x src/app.txt &&
	nd build --json >../out4.json 2>/dev/null &&
	test "$(json_get ../out4.json "d[\"skipped\"]")" = false &&
	test "$(json_get ../out4.json "d[\"release\"]")" != "$(json_get ../out.json "d[\"release\"]")"
'

test_expect_success 'other build args make the same release build again, then skip' '
	nd -C app build --build-arg GREETING=other --json >o1.json 2>o1.err &&
	test "$(json_get o1.json "d[\"skipped\"]")" = false &&
	test_grep "warning: release .* was built before with other build args" o1.err &&
	test "$(json_get o1.json "d[\"release\"]")" = "$(json_get out4.json "d[\"release\"]")" &&
	docker run --rm "$(json_get o1.json "d[\"image\"]")" cat /greeting >g &&
	echo greeting=other >expect && test_cmp expect g &&
	nd -C app build --build-arg GREETING=other --json >o2.json 2>/dev/null &&
	test "$(json_get o2.json "d[\"skipped\"]")" = true &&
	nd -C app build --no-cache --json >o3.json 2>/dev/null &&
	test "$(json_get o3.json "d[\"skipped\"]")" = false
'

test_expect_success '--force rebuilds; -v shows the cache; --no-cache does not use it' '
	cd app &&
	nd build --force -v >/dev/null 2>../err5 &&
	test_grep "Using cache" ../err5 &&
	test_grep -v "already built" ../err5 &&
	nd build --force --no-cache -v >/dev/null 2>../err6 &&
	test_grep -v "Using cache" ../err6 &&
	test_grep "^built $APP:" ../err6
'

test_expect_success '--build-arg, --target, --label and --tag pass through' '
	cd app &&
	nd build --tag custom-1 --target runner --build-arg GREETING=bonjour \
		--label com.example.extra=yes --json >../out7.json 2>/dev/null &&
	cd .. &&
	test "$(json_get out7.json "d[\"image\"]")" = "$APP:custom-1" &&
	test "$(json_get out7.json "d[\"tag_source\"]")" = option &&
	docker run --rm "$APP:custom-1" cat /greeting >greeting &&
	echo greeting=bonjour >want && test_cmp want greeting &&
	docker run --rm "$APP:custom-1" ls /runner-stage >/dev/null &&
	test_must_fail docker run --rm "$APP:custom-1" ls /final-stage 2>/dev/null &&
	docker image inspect -f "{{index .Config.Labels \"com.example.extra\"}} {{index .Config.Labels \"nextdeploy.release\"}}" "$APP:custom-1" >l &&
	echo "yes custom-1" >want && test_cmp want l
'

test_expect_success '--pull and --no-cache reach the engine; an unknown target is its error' '
	NEXTDEPLOY_TRACE=1 test_expect_code 1 nd -C app build --pull --no-cache --target nope 2>err &&
	test_grep "^trace: > POST /v1\.[0-9]+/build\?version=1&rm=1&forcerm=1&t=$APP%3A[0-9a-f]{12}&dockerfile=Dockerfile&target=nope&nocache=1&pull=1&buildargs=" err &&
	test_grep "^trace: > X-Registry-Config: \*+" err &&
	test_grep "^error: the engine refused the build: failed to reach build target nope" err
'

test_expect_success 'a given tag is rebuilt, not skipped' '
	cd app &&
	nd build --tag custom-1 --target runner --json >../out8.json 2>/dev/null &&
	test "$(json_get ../out8.json "d[\"skipped\"]")" = false
'

test_expect_success '-q prints only the image ID' '
	cd app &&
	nd build -q >../id 2>../err9 &&
	cd .. &&
	test $(wc -l <id) = 1 &&
	grep -qE "^sha256:[0-9a-f]{64}\$" id &&
	test ! -s err9
'

test_expect_success 'bad options and a bad .dockerignore are usage errors' '
	cd app &&
	test_expect_code 2 nd build --tag "bad tag" 2>../e1 &&
	test_grep "invalid tag" ../e1 &&
	test_expect_code 2 nd build --label nextdeploy.app=x 2>../e2 &&
	test_grep "is set by nextdeploy" ../e2 &&
	test_expect_code 2 nd build --label novalue 2>../e3 &&
	printf "ok\n!\n" >.dockerignore &&
	test_expect_code 2 nd build 2>../e4 &&
	test_grep "^error: .*/app/\\.dockerignore:2(:[0-9]+)?: illegal exclusion pattern" ../e4 &&
	printf "[a-\n" >.dockerignore &&
	test_expect_code 2 nd build 2>../e5 &&
	test_grep "\\.dockerignore:1(:[0-9]+)?: syntax error in pattern" ../e5
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP" &&
	test -z "$(docker images -q --filter "label=nextdeploy.app=$APP")"
'

test_done
