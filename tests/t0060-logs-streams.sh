#!/usr/bin/env bash
# logs of one container: exact bytes on the right fd, long and partial
# lines, frames re-cut anywhere (a proxy in front of the real engine), a
# TTY container's raw stream, --tail, --timestamps, --since/--until
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

mk() { # mk NAME SERVICE RELEASE [docker run args...] -- CMD...
	local name=$1 svc=$2 rel=$3 args=()
	shift 3
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	docker run -d --name "$name" \
		--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label "nextdeploy.service=$svc" --label "nextdeploy.release=$rel" \
		"${args[@]}" "$ND_TEST_BUSYBOX" "$@" >/dev/null
}

# what the web container writes: stdout and stderr, with a 40,000-byte and
# a 50,000-byte line (the engine stores them in 16 KiB pieces), 2,000 short
# lines, and a last line without a newline on each stream
PRODUCER='echo "line one"; echo "err one" >&2
head -c 40000 /dev/zero | tr "\0" x; echo
head -c 50000 /dev/zero | tr "\0" z >&2; echo >&2
i=0; while [ $i -lt 2000 ]; do echo "n$i"; i=$((i+1)); done
printf "no-newline-at-end"; printf "err-partial" >&2'

start_proxy() {
	python3 "$TEST_ROOT/lib/reframe-proxy.py" "$TRASH/proxy.sock" /var/run/docker.sock "$1" \
		2>"$TRASH/proxy.err" &
	echo $! >"$TRASH/proxy.pid"
	nd_wait_for 10 test -S "$TRASH/proxy.sock"
}
stop_proxy() {
	kill "$(cat "$TRASH/proxy.pid")" 2>/dev/null
	wait "$(cat "$TRASH/proxy.pid")" 2>/dev/null
	rm -f "$TRASH/proxy.sock"
	return 0
}

test_expect_success 'setup: a finished container with long and partial lines' '
	nd_app_init &&
	sh -c "$PRODUCER" >expect.out 2>expect.err &&
	test $(wc -c <expect.out) -gt 50000 &&
	mk "nd-$APP-web-r1" web r1 -- sh -c "$PRODUCER" &&
	docker wait "nd-$APP-web-r1" >/dev/null
'

test_expect_success 'one container: stdout and stderr byte for byte, each on its own fd' '
	nd logs web >out 2>err &&
	test_cmp expect.out out &&
	test_cmp expect.err err &&
	nd logs >out2 2>err2 &&
	test_cmp expect.out out2 &&
	test_cmp expect.err err2
'

test_expect_success 'frames re-cut (0 B to 80 KiB) and split across reads: same bytes' '
	start_proxy 1 &&
	test_when_finished stop_proxy &&
	for seed in 1 2 3; do
		nd -H "unix://$TRASH/proxy.sock" logs >out 2>err &&
		test_cmp expect.out out &&
		test_cmp expect.err err || return 1
	done &&
	test ! -s proxy.err
'

test_expect_success 'line modes reassemble the same lines across frames' '
	start_proxy 5 &&
	test_when_finished stop_proxy &&
	nd --json logs >direct.json &&
	nd -H "unix://$TRASH/proxy.sock" --json logs >proxied.json &&
	test_cmp direct.json proxied.json &&
	python3 - <<-\EOF
	import json
	rows = [json.loads(l) for l in open("proxied.json")]
	out = "".join(r["line"] + "\n" for r in rows if r["stream"] == "stdout")
	err = "".join(r["line"] + "\n" for r in rows if r["stream"] == "stderr")
	assert out == open("expect.out").read() + "\n", "stdout lines differ"
	assert err == open("expect.err").read() + "\n", "stderr lines differ"
	assert all(r["time"].endswith("Z") and r["time"][:2] == "20" for r in rows)
	assert {r["container"] for r in rows} == {"nd-%s-web-r1" % __import__("os").environ["APP"]}
	assert {(r["service"], r["release"]) for r in rows} == {("web", "r1")}
	EOF
'

test_expect_success '--tail N counts lines per container, over both streams' '
	nd logs -n 5 web >out 2>err &&
	cat out err >both &&
	n=$(cat out err | grep -c "") &&
	test "$n" -ge 4 && test "$n" -le 5 &&
	printf "n1999\nno-newline-at-end" >want &&
	tail -c $(wc -c <want) out >got && test_cmp want got &&
	test_grep -v "line one" out &&
	nd logs --tail=0 >out 2>err &&
	test ! -s out && test ! -s err &&
	nd logs --tail all >out 2>err &&
	test_cmp expect.out out
'

test_expect_success 'bad --tail, --since, --until values are usage errors' '
	test_expect_code 2 nd logs -n -3 2>err &&
	test_grep "invalid --tail value" err &&
	test_expect_code 2 nd logs --since yesterday 2>err &&
	test_grep "invalid --since value .yesterday." err &&
	test_grep "^hint: use RFC 3339" err &&
	test_expect_code 2 nd logs --until 10x 2>err &&
	test_expect_code 2 nd logs --since 2020-01-02 --until 2020-01-01 2>err &&
	test_grep "is not after" err
'

test_expect_success 'setup: a container that logs over a few seconds' '
	mk "nd-$APP-clock-r1" clock r1 -- sh -c "echo early; sleep 2.2; echo late" &&
	docker wait "nd-$APP-clock-r1" >/dev/null &&
	docker logs -t "nd-$APP-clock-r1" >ts.txt &&
	t_early=$(sed -n 1p ts.txt | cut -d" " -f1) &&
	t_late=$(sed -n 2p ts.txt | cut -d" " -f1) &&
	echo "$t_early" >t_early && echo "$t_late" >t_late
'

test_expect_success '-t starts each line with the engine timestamp' '
	nd logs -n 1 clock >out &&
	echo late >want && test_cmp want out &&
	nd logs -t clock >out &&
	test $(wc -l <out) = 2 &&
	test_grep "^$(cat t_early) early$" out &&
	test_grep "^$(cat t_late) late$" out
'

test_expect_success '--since and --until with RFC 3339 times' '
	mid=$(python3 -c "
import datetime,sys
a=datetime.datetime.fromisoformat(open(\"t_early\").read().strip()[:26])
b=datetime.datetime.fromisoformat(open(\"t_late\").read().strip()[:26])
print((a+(b-a)/2).strftime(\"%Y-%m-%dT%H:%M:%S.%fZ\"))") &&
	nd logs --since "$mid" clock >out &&
	echo late >want && test_cmp want out &&
	nd logs --until "$mid" clock >out &&
	echo early >want && test_cmp want out &&
	nd logs --since "${mid%Z}+00:00" --until 2099-01-01T00:00:00Z clock >out &&
	echo late >want && test_cmp want out
'

test_expect_success '--since with a relative duration' '
	nd logs --since 1h clock >out &&
	printf "early\nlate\n" >want && test_cmp want out &&
	sleep 1.2 &&
	nd logs --since 1s clock >out &&
	test ! -s out &&
	nd logs --until 1s clock >out &&
	test_cmp want out
'

test_expect_success 'a TTY container: its raw stream, both outputs merged, untouched' '
	mk "nd-$APP-tty-r1" tty r1 -t -- sh -c "echo out1; echo err1 >&2; printf \"a\\tb\\r\\n\"" &&
	docker wait "nd-$APP-tty-r1" >/dev/null &&
	nd logs tty >out 2>err &&
	printf "out1\r\nerr1\r\na\tb\r\r\n" >want &&
	test_cmp want out &&
	test ! -s err &&
	start_proxy 9 &&
	test_when_finished stop_proxy &&
	nd -H "unix://$TRASH/proxy.sock" logs tty >out2 &&
	test_cmp want out2
'

test_expect_success 'NO_COLOR and a non-terminal: no escape sequences anywhere' '
	nd logs >out 2>err &&
	! grep -q "$(printf "\033")" out &&
	! grep -q "$(printf "\033")" err
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP" &&
	nd logs >out 2>err &&
	test ! -s out
'

test_done
