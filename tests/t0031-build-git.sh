#!/usr/bin/env bash
# build: git sources (file:// and a plain path to a repository) at a branch,
# a tag, a commit, with subdir; the release tag is the short commit id; the
# private clone folder never outlives the command; source.path inside a
# work tree (clean, changed, ignored files)
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"
command -v git >/dev/null || test_skip_all "no git"

export TMPDIR=$TRASH/tmp
mkdir -p "$TMPDIR"
g() { git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main "$@"; }

# no clone folder may be left in $TMPDIR
no_leftovers() {
	if [ -n "$(ls -A "$TMPDIR")" ]; then
		echo "# left in $TMPDIR:" >&2
		ls -la "$TMPDIR" >&2
		return 1
	fi
}

project() { # project [extra yaml lines...]: proj/nextdeploy.yml
	mkdir -p proj
	{
		printf 'app: %s\n' "$APP"
		printf '%s\n' "$@"
	} >proj/nextdeploy.yml
}

test_expect_success 'setup: a repository with a tag, two branches and a subfolder' '
	g init -q repo &&
	(
		cd repo &&
		cat >Dockerfile <<-EOF &&
		FROM $ND_TEST_BUSYBOX
		COPY . /src
		RUN cat /src/version
		EOF
		mkdir web &&
		printf "FROM %s\nCOPY . /web\n" "$ND_TEST_BUSYBOX" >web/Dockerfile &&
		echo web >web/index.html &&
		echo v1 >version &&
		g add -A && g commit -q -m one && g tag v1 &&
		echo v2 >version &&
		g commit -q -am two &&
		g checkout -q -b feature &&
		echo feature >version &&
		g commit -q -am feature &&
		g checkout -q -b broken main &&
		printf "FROM %s\nRUN echo failing-step-output && exit 3\n" "$ND_TEST_BUSYBOX" >Dockerfile &&
		g commit -q -am broken &&
		g checkout -q main
	)
'

test_expect_success 'file:// at a tag: the tag is the short commit id' '
	project "source:" "  git: file://$TRASH/repo" "  ref: v1" &&
	nd -C proj build --json >out.json 2>err &&
	want=$(git -C repo rev-parse --short v1) &&
	test "$(json_get out.json "d[\"release\"]")" = "$want" &&
	test "$(json_get out.json "d[\"tag_source\"]")" = commit &&
	test "$(json_get out.json "d[\"commit\"]")" = "$(git -C repo rev-parse v1)" &&
	test_grep "^cloning file://$TRASH/repo at v1" err &&
	docker run --rm "$APP:$want" cat /src/version >v &&
	echo v1 >expect && test_cmp expect v &&
	test_must_fail docker run --rm "$APP:$want" ls /src/.git 2>/dev/null &&
	docker image inspect -f "{{index .Config.Labels \"org.opencontainers.image.revision\"}} {{index .Config.Labels \"org.opencontainers.image.source\"}}" "$APP:$want" >l &&
	echo "$(git -C repo rev-parse v1) file://$TRASH/repo" >expect && test_cmp expect l &&
	no_leftovers
'

test_expect_success 'plan on a git source plans the checkout at the ref' '
	mkdir -p planproj &&
	printf "app: %s\nsource:\n  git: file://%s/repo\n  ref: feature\n  subdir: web\n" "$APP" "$TRASH" >planproj/nextdeploy.yml &&
	nd -C planproj plan --json >plan.json &&
	test "$(json_get plan.json "d[\"buildpack\"]")" = dockerfile &&
	nd -C planproj plan >plan.txt &&
	test_grep "Dockerfile" plan.txt &&
	no_leftovers
'

test_expect_success 'the same commit again is skipped' '
	nd -C proj build 2>err &&
	test_grep "is already built \\(same commit\\)" err &&
	no_leftovers
'

test_expect_success 'a branch that is not the remote HEAD' '
	project "source:" "  git: file://$TRASH/repo" "  ref: feature" &&
	nd -C proj build --json >out.json 2>/dev/null &&
	want=$(git -C repo rev-parse --short feature) &&
	test "$(json_get out.json "d[\"release\"]")" = "$want" &&
	docker run --rm "$APP:$want" cat /src/version >v &&
	echo feature >expect && test_cmp expect v &&
	no_leftovers
'

test_expect_success 'a full and an abbreviated commit id; the default branch' '
	full=$(git -C repo rev-parse main~1) &&
	project "source:" "  git: file://$TRASH/repo" "  ref: $full" &&
	nd -C proj build --json >out.json 2>/dev/null &&
	test "$(json_get out.json "d[\"commit\"]")" = "$full" &&
	project "source:" "  git: file://$TRASH/repo" "  ref: $(git -C repo rev-parse --short=8 main)" &&
	nd -C proj build --json --force >out.json 2>/dev/null &&
	test "$(json_get out.json "d[\"commit\"]")" = "$(git -C repo rev-parse main)" &&
	project "source:" "  git: file://$TRASH/repo" &&
	nd -C proj build --json >out.json 2>/dev/null &&
	test "$(json_get out.json "d[\"release\"]")" = "$(git -C repo rev-parse --short main)" &&
	test "$(json_get out.json "d[\"skipped\"]")" = true &&
	no_leftovers
'

test_expect_success 'a plain path to the repository, with subdir' '
	project "source:" "  git: ../repo" "  ref: v1" "  subdir: web" &&
	nd -C proj build --json >out.json 2>/dev/null &&
	want=$(git -C repo rev-parse --short v1) &&
	test "$(json_get out.json "d[\"release\"]")" = "$want" &&
	test "$(json_get out.json "d[\"skipped\"]")" = true &&
	nd -C proj build --force --json >out.json 2>/dev/null &&
	docker run --rm "$APP:$want" find /web -type f >files &&
	echo /web/index.html >expect && echo /web/Dockerfile >>expect &&
	sort files >f1 && sort expect >f2 && test_cmp f2 f1 &&
	no_leftovers
'

test_expect_success 'git config url.<base>.insteadOf applies' '
	git config --global "url.file://$TRASH/.insteadOf" "local-mirror:" &&
	test_when_finished "rm -f \"$HOME/.gitconfig\"" &&
	project "source:" "  git: local-mirror:repo" "  ref: feature" &&
	nd -C proj build --json >out.json 2>/dev/null &&
	test "$(json_get out.json "d[\"commit\"]")" = "$(git -C repo rev-parse feature)" &&
	no_leftovers
'

test_expect_success 'a failing build removes the clone too, and exits 1' '
	project "source:" "  git: file://$TRASH/repo" "  ref: broken" &&
	test_expect_code 1 nd -C proj build 2>err &&
	test_grep "failed at step 2/[0-9]+ .RUN echo failing-step-output" err &&
	test_grep "  \\| failing-step-output" err &&
	no_leftovers
'

test_expect_success 'an unknown ref, an unknown repository, an unset token variable' '
	project "source:" "  git: file://$TRASH/repo" "  ref: nope" &&
	test_expect_code 1 nd -C proj build 2>err &&
	test_grep "has no branch, tag or commit .nope." err &&
	test_grep "nextdeploy.yml:4" err &&
	project "source:" "  git: file://$TRASH/missing" &&
	test_expect_code 1 nd -C proj build 2>err &&
	test_grep "cannot clone .file://$TRASH/missing" err &&
	project "source:" "  git: ./not-here" &&
	test_expect_code 2 nd -C proj build 2>err &&
	test_grep "no git repository at" err &&
	project "source:" "  git: https://example.invalid/x.git" "  token_env: ND_TEST_NO_SUCH_TOKEN" &&
	test_expect_code 2 nd -C proj build 2>err &&
	test_grep "ND_TEST_NO_SUCH_TOKEN., which is not set" err &&
	no_leftovers
'

test_expect_success 'source.path in a clean work tree: the short commit id' '
	g init -q wt &&
	(
		cd wt &&
		printf "FROM %s\nCOPY . /src\n" "$ND_TEST_BUSYBOX" >Dockerfile &&
		printf "*.log\n" >.gitignore &&
		echo one >file.txt &&
		printf "app: %s\n" "$APP" >nextdeploy.yml &&
		g add -A && g commit -q -m one
	) &&
	nd -C wt build --json >out.json 2>/dev/null &&
	test "$(json_get out.json "d[\"release\"]")" = "$(git -C wt rev-parse --short HEAD)" &&
	test "$(json_get out.json "d[\"tag_source\"]")" = commit
'

test_expect_success 'a changed work tree gets a dirty tag, stable for the same changes' '
	short=$(git -C wt rev-parse --short HEAD) &&
	echo two >wt/file.txt &&
	nd -C wt build --json >out.json 2>/dev/null &&
	tag=$(json_get out.json "d[\"release\"]") &&
	echo "$tag" | grep -qE "^$short-dirty-[0-9a-f]{8}\$" &&
	test "$(json_get out.json "d[\"tag_source\"]")" = commit-dirty &&
	nd -C wt build --json >out.json 2>/dev/null &&
	test "$(json_get out.json "d[\"skipped\"]")" = true &&
	test "$(json_get out.json "d[\"release\"]")" = "$tag" &&
	echo one >wt/file.txt &&
	nd -C wt build --json >out.json 2>/dev/null &&
	test "$(json_get out.json "d[\"release\"]")" = "$short" &&
	test "$(json_get out.json "d[\"skipped\"]")" = true
'

test_expect_success 'an ignored file that is sent makes it dirty; .dockerignore it and it is clean' '
	short=$(git -C wt rev-parse --short HEAD) &&
	echo debug >wt/debug.log &&
	nd -C wt build --json >out.json 2>/dev/null &&
	json_get out.json "d[\"release\"]" | grep -qE "^$short-dirty-" &&
	echo "*.log" >wt/.dockerignore &&
	(cd wt && g add .dockerignore && g commit -q -m ignore) &&
	nd -C wt build --json >out.json 2>/dev/null &&
	test "$(json_get out.json "d[\"release\"]")" = "$(git -C wt rev-parse --short HEAD)"
'

test_expect_success 'a folder git ignores has no commit: a content hash' '
	mkdir -p wt/out &&
	echo "out/" >>wt/.gitignore &&
	(cd wt && g commit -q -am "ignore out") &&
	printf "FROM %s\n" "$ND_TEST_BUSYBOX" >wt/out/Dockerfile &&
	printf "app: %s\nsource:\n  path: out\n" "$APP" >wt/nextdeploy.yml &&
	nd -C wt build --json >out.json 2>/dev/null &&
	test "$(json_get out.json "d[\"tag_source\"]")" = content &&
	test "$(json_get out.json "d[\"commit\"] is None")" = true
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP" &&
	no_leftovers
'

test_done
