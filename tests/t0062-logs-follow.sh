#!/usr/bin/env bash
# logs -f: keeps going across a redeploy (new release container) and a
# restart, picks up new services and replicas, waits for the first
# container, ends on Ctrl-C/SIGTERM with 130, or at --until
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

mk() { # mk NAME SERVICE RELEASE CMD...
	local name=$1 svc=$2 rel=$3
	shift 3
	docker run -d --name "$name" \
		--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label "nextdeploy.service=$svc" --label "nextdeploy.release=$rel" \
		"$ND_TEST_BUSYBOX" "$@" >/dev/null
}
counter() { # a container printing TAG-first, then TAG-1, TAG-2, ... every 0.2 s
	echo "echo $1-first; i=0; while true; do i=\$((i+1)); echo $1-\$i; sleep 0.2; done"
}

# The binary in the background (so we can signal it), with the crash and
# sanitizer checks that nd() does in the foreground.
bg_start() { # bg_start OUT ERR ARGS...
	local out=$1 err=$2
	shift 2
	"$ND_BIN" "$@" >"$out" 2>"$err" &
	echo $! >bg.pid
}
bg_stop() { # bg_stop SIGNAL WANT_RC ERR
	local pid rc
	pid=$(cat bg.pid)
	kill -s "$1" "$pid" || return 1
	wait "$pid"
	rc=$?
	if grep -qE '^(==[0-9]+==ERROR: |SUMMARY: (Address|Undefined|Leak)Sanitizer|.*runtime error: )' "$3"; then
		cat "$3" >&2
		return 1
	fi
	if [ "$rc" != "$2" ]; then
		say "# exit status $rc, wanted $2" >&2
		cat "$3" >&2
		return 1
	fi
}
bg_alive() { kill -0 "$(cat bg.pid)" 2>/dev/null; }
bg_kill() { kill -9 "$(cat bg.pid)" 2>/dev/null; return 0; }
has() { grep -q -e "$1" "$2"; }

test_expect_success 'setup' '
	nd_app_init &&
	mk "nd-$APP-web-r1" web r1 sh -c "$(counter r1)"
'

test_expect_success 'follow survives a redeploy and a restart; Ctrl-C ends it with 130' '
	test_when_finished bg_kill &&
	bg_start fo fe logs -f web &&
	nd_wait_for 15 has r1-3 fo &&
	mk "nd-$APP-web-r2" web r2 sh -c "$(counter r2)" &&
	nd_wait_for 15 has r2-2 fo &&
	docker rm -f "nd-$APP-web-r1" >/dev/null &&
	sleep 1 &&
	bg_alive &&
	n=$(grep -c "^r2-" fo) &&
	nd_wait_for 15 sh -c "test \$(grep -c \"^r2-\" fo) -gt $((n + 3))" &&
	docker restart -t 0 "nd-$APP-web-r2" >/dev/null &&
	nd_wait_for 15 sh -c "test \$(grep -c \"^r2-first\$\" fo) = 2" &&
	nd_wait_for 15 sh -c "tail -n 1 fo | grep -q \"^r2-[2-9]\"" &&
	bg_alive &&
	bg_stop INT 130 fe &&
	test_grep "^r1-first$" fo &&
	test $(grep -c "^r1-first$" fo) = 1 &&
	test $(grep -c "^r2-1$" fo) = 2 &&
	test_grep -v "[|]" fo &&
	test ! -s fe
'

test_expect_success 'follow several services: a new service and replica are picked up, prefixed' '
	test_when_finished bg_kill &&
	mk "nd-$APP-worker-r2" worker r2 sh -c "$(counter wk)" &&
	bg_start fo fe logs -f &&
	nd_wait_for 15 has "^worker-r2 | wk-2$" fo &&
	nd_wait_for 15 has "^web-r2    | r2-2$" fo &&
	mk "nd-$APP-web-r2-2" web r2 sh -c "$(counter rep)" &&
	nd_wait_for 15 has "^web-r2-2  | rep-first$" fo &&
	docker run -d --name "$APP-other" --label nextdeploy.managed=true --label "nextdeploy.app=o$APP" \
		--label nextdeploy.service=web "$ND_TEST_BUSYBOX" sh -c "echo other-app; sleep 300" >/dev/null &&
	test_when_finished "docker rm -f $APP-other >/dev/null" &&
	nd_wait_for 15 has "^web-r2-2  | rep-3$" fo &&
	bg_stop TERM 130 fe &&
	test_grep -v other-app fo
'

test_expect_success 'follow a SERVICE: other services are not picked up' '
	test_when_finished bg_kill &&
	bg_start fo fe logs -f worker &&
	nd_wait_for 15 has "^wk-2$" fo &&
	mk "nd-$APP-cron-r2" cron r2 sh -c "$(counter cron)" &&
	sleep 1.5 &&
	bg_stop INT 130 fe &&
	test_grep -v cron fo
'

test_expect_success 'without -f logs ends while the containers run' '
	nd logs worker >out &&
	test_grep "^wk-first$" out
'

test_expect_success 'follow with --until ends by itself at that time' '
	until=$(python3 -c "import datetime;print((datetime.datetime.utcnow()+datetime.timedelta(seconds=2)).strftime(\"%Y-%m-%dT%H:%M:%S.%fZ\"))") &&
	start=$(date +%s) &&
	nd logs -f --until "$until" worker >out &&
	test $(($(date +%s) - start)) -le 8 &&
	test_grep "^wk-first$" out
'

test_expect_success 'follow with nothing yet: waits for the first container' '
	test_when_finished bg_kill &&
	mkdir -p empty && cd empty && nd_app_init "e$APP" &&
	test_when_finished "nd_cleanup_app e$APP" &&
	bg_start ../fo ../fe logs -f &&
	sleep 1 && bg_alive &&
	docker run -d --name "nd-e$APP-web-r1" --label nextdeploy.managed=true --label "nextdeploy.app=e$APP" \
		--label nextdeploy.service=web --label nextdeploy.release=r1 "$ND_TEST_BUSYBOX" sh -c "echo hello-late; sleep 300" >/dev/null &&
	nd_wait_for 15 has "hello-late" ../fo &&
	bg_stop INT 130 ../fe
'

test_expect_success 'a broken pipe ends follow quietly' '
	"$ND_BIN" logs -f worker 2>fe | head -n 2 >out &&
	test $(wc -l <out) = 2 &&
	! grep -qE "(ERROR: |runtime error)" fe
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP"
'

test_done
