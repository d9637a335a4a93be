#!/usr/bin/env bash
# exec -it through a pseudo-terminal: raw mode (keys, Ctrl-C, echo from the
# remote only), resize on SIGWINCH, the exit code, and the local terminal
# restored on every way out: exit, Ctrl-D, signals, the container vanishing
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"
python3 -c "import pty" 2>/dev/null || test_skip_all "no python3"

export ND_BIN

mk() { # mk NAME SERVICE RELEASE
	docker run -d --name "$1" \
		--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label "nextdeploy.service=$2" --label "nextdeploy.release=$3" \
		"$ND_TEST_BUSYBOX" sleep 300 >/dev/null
}

# play a scenario in a fresh folder; the shell there leaves rc, before, after
play() { # play DIR SCENARIO [ARG]
	local dir=$1
	shift
	mkdir -p "$dir" && cp nextdeploy.yml "$dir/" &&
	(cd "$dir" && python3 "$TEST_ROOT/lib/pty-exec.py" "$@" >driver.out 2>&1)
	local rc=$?
	cat "$dir/driver.out" >&2
	if grep -qE '(==[0-9]+==ERROR: |SUMMARY: (Address|Undefined|Leak)Sanitizer|runtime error: )' \
		"$dir/nd.err" "$dir/transcript.txt" 2>/dev/null; then
		cat "$dir/nd.err" >&2
		return 1
	fi
	return $rc
}

restored() { # the terminal's settings after equal those before
	test -s "$1/before" && test_cmp "$1/before" "$1/after"
}

test_expect_success 'setup' '
	nd_app_init &&
	mk "nd-$APP-web-r1" web r1
'

test_expect_success 'an interactive session: echo, Ctrl-C, resize, exit code; terminal restored' '
	play s session &&
	echo 3 >want && test_cmp want s/rc &&
	restored s &&
	test ! -s s/nd.err
'

test_expect_success 'Ctrl-D ends the remote shell: exit 0, terminal restored' '
	play d eof &&
	echo 0 >want && test_cmp want d/rc &&
	restored d
'

test_expect_success 'SIGTERM, SIGHUP, SIGINT to nextdeploy: 130, terminal restored' '
	for sig in TERM HUP INT; do
		play "sig-$sig" signal "SIG$sig" &&
		echo 130 >want && test_cmp want "sig-$sig/rc" &&
		restored "sig-$sig" || return 1
	done
'

test_expect_success 'the container vanishes mid-session: terminal restored' '
	mk "nd-$APP-web-r2" web r2 &&
	play k kill "nd-$APP-web-r2" &&
	restored k &&
	rc=$(cat k/rc) &&
	# the shell was killed (137, as docker exec says), or the engine had
	# already forgotten the exec (125 and a message)
	{ test "$rc" = 137 || { test "$rc" = 125 && test -s k/nd.err; }; }
'

test_expect_success '-t without -i: output through a terminal, no input' '
	nd exec -t -- sh -c "echo hi; tty" >out </dev/null &&
	printf "hi\r\n" >want && head -c 4 out >got && test_cmp want got &&
	test_grep "^/dev/pts/" out
'

test_expect_success '-t with a missing command: 127' '
	test_expect_code 127 nd exec -t -- no-such-cmd >out 2>err &&
	test_grep "executable file not found" err
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP"
'

test_done
