#!/usr/bin/env bash
# build: Ctrl-C (SIGINT) and SIGTERM in the middle of a clone and of a build
# remove the private clone folder, and the exit status says so
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"
command -v git >/dev/null || test_skip_all "no git"

export TMPDIR=$TRASH/tmp
mkdir -p "$TMPDIR"
g() { git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main "$@"; }

no_leftovers() {
	if [ -n "$(ls -A "$TMPDIR")" ]; then
		echo "# left in $TMPDIR:" >&2
		ls -la "$TMPDIR" >&2
		return 1
	fi
}

# start the binary in the background with SIGINT at its default action,
# pid in $pid: a non-interactive shell starts background jobs with SIGINT
# ignored, and so does everything started from a shell that was itself in
# the background (an ignored signal is inherited through exec)
start_bg() {
	python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$ND_BIN" "$@" >bg.out 2>bg.err &
	pid=$!
}

# wait for the background command; its status in $rc
wait_bg() {
	local i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 150 ]; then
			kill -9 "$pid"
			echo "# did not stop" >&2
			break
		fi
		sleep 0.1
	done
	wait "$pid"
	rc=$?
	cat bg.err >&2
	echo >&2
}

test_expect_success 'setup: a repository that takes seconds to clone, one with a slow build' '
	g init -q big &&
	(
		cd big &&
		for i in $(seq 1 24); do head -c 1048576 /dev/urandom >blob$i || return 1; done &&
		printf "FROM %s\n" "$ND_TEST_BUSYBOX" >Dockerfile &&
		g add -A && g commit -q -m big
	) &&
	g init -q slow &&
	(
		cd slow &&
		printf "FROM %s\nRUN echo sleep\"\"ing-now && sleep 60\n" "$ND_TEST_BUSYBOX" >Dockerfile &&
		g add -A && g commit -q -m slow
	) &&
	mkdir pbig pslow &&
	printf "app: %s\nsource:\n  git: file://%s/big\n" "$APP" "$TRASH" >pbig/nextdeploy.yml &&
	printf "app: %s\nsource:\n  git: file://%s/slow\n" "$APP" "$TRASH" >pslow/nextdeploy.yml
'

test_expect_success 'SIGINT in the middle of a clone: exit 130, the clone folder is gone' '
	start_bg -C pbig build --progress=plain &&
	nd_wait_for 20 sh -c "ls -d \"$TMPDIR\"/nextdeploy-src-*/.git" &&
	sleep 0.3 &&
	kill -0 $pid &&
	kill -INT $pid &&
	wait_bg &&
	test "$rc" = 130 &&
	test_grep -v "^Step" bg.err &&
	no_leftovers
'

test_expect_success 'SIGTERM in the middle of a clone: exit 143, the clone folder is gone' '
	start_bg -C pbig build --progress=plain &&
	nd_wait_for 20 sh -c "ls -d \"$TMPDIR\"/nextdeploy-src-*/.git" &&
	sleep 0.3 &&
	kill -TERM $pid &&
	wait_bg &&
	test "$rc" = 143 &&
	no_leftovers
'

test_expect_success 'SIGINT in the middle of a build step: exit 130, the clone folder is gone' '
	start_bg -C pslow build --no-cache --progress=plain &&
	nd_wait_for 30 grep -q "^sleeping-now" bg.err &&
	test -n "$(ls -A "$TMPDIR")" &&
	kill -INT $pid &&
	wait_bg &&
	test "$rc" = 130 &&
	no_leftovers &&
	test -z "$(docker images -q --filter "label=nextdeploy.app=$APP")"
'

test_expect_success 'the live view on a terminal is cleared on SIGINT' '
	start_bg -C pslow build --no-cache --progress=tty &&
	nd_wait_for 30 grep -q "sleeping-now" bg.err &&
	kill -INT $pid &&
	wait_bg &&
	test "$rc" = 130 &&
	tail -c 16 bg.err | tr "\\033" E >tail &&
	test_grep "E\\[J\$" tail &&
	no_leftovers
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP" &&
	no_leftovers
'

test_done
