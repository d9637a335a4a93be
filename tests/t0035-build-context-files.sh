#!/usr/bin/env bash
# build: what the context carries into the image: symlinks as links (never
# followed out of the context), special files skipped with a warning, modes,
# a Dockerfile in an ignored folder, "*" with an exception
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

test_expect_success 'setup: links, a fifo, an executable' '
	mkdir -p links/sub &&
	(
		cd links &&
		printf "FROM %s\nCOPY . /ctx\n" "$ND_TEST_BUSYBOX" >Dockerfile &&
		echo inside >sub/file.txt &&
		printf "#!/bin/sh\necho run\n" >run.sh && chmod 0750 run.sh &&
		ln -s sub/file.txt rel-link &&
		ln -s "$TRASH/outside.txt" abs-link &&
		ln -s ../../outside.txt escape-link &&
		ln -s "$TRASH" dir-link &&
		mkfifo pipe &&
		nd_app_init
	) &&
	echo "HOST-ONLY-CONTENT" >outside.txt
'

test_expect_success 'links stay links; nothing outside the context is read' '
	nd -C links build --json >out.json 2>err &&
	img=$(json_get out.json "d[\"image\"]") &&
	docker run --rm "$img" sh -c "readlink /ctx/rel-link; readlink /ctx/abs-link; readlink /ctx/escape-link; readlink /ctx/dir-link; cat /ctx/rel-link" >links.out &&
	printf "%s\n" sub/file.txt "$TRASH/outside.txt" ../../outside.txt "$TRASH" inside >expect &&
	test_cmp expect links.out &&
	test_must_fail docker run --rm "$img" grep -r HOST-ONLY-CONTENT /ctx 2>/dev/null &&
	docker run --rm "$img" stat -c %a /ctx/run.sh >mode &&
	echo 750 >expect && test_cmp expect mode
'

test_expect_success 'a named pipe is skipped with a warning' '
	test_grep "^warning: skipped .pipe.: a named pipe cannot be sent in a build context" err &&
	test $(grep -c "named pipe" err) = 1 &&
	test_must_fail docker run --rm "$(json_get out.json "d[\"image\"]")" ls /ctx/pipe 2>/dev/null
'

test_expect_success 'a Dockerfile in an ignored folder is still sent, then left out' '
	mkdir -p dfsub/docker dfsub/src &&
	(
		cd dfsub &&
		printf "FROM %s\nCOPY . /ctx\n" "$ND_TEST_BUSYBOX" >docker/Dockerfile &&
		echo x >docker/other &&
		echo src >src/main.c &&
		printf "docker\n" >.dockerignore &&
		nd_app_init <<-EOF
		build:
		  dockerfile: docker/Dockerfile
		EOF
	) &&
	nd -C dfsub build --json >out.json 2>/dev/null &&
	docker run --rm "$(json_get out.json "d[\"image\"]")" find /ctx -type f >files.raw &&
	sort files.raw >files &&
	printf "%s\n" /ctx/.dockerignore /ctx/nextdeploy.yml /ctx/src/main.c >expect &&
	test_cmp expect files
'

test_expect_success '"*" then "!src": only src reaches the image, the build works' '
	printf "*\n!src\n" >dfsub/.dockerignore &&
	nd -C dfsub build --json >out.json 2>/dev/null &&
	docker run --rm "$(json_get out.json "d[\"image\"]")" find /ctx -type f >files &&
	echo /ctx/src/main.c >expect &&
	test_cmp expect files
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP"
'

test_done
