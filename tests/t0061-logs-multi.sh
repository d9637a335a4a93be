#!/usr/bin/env bash
# logs of several containers: which ones, interleaved lines with padded
# prefixes (plain when not a terminal, colored under a pty, never with
# NO_COLOR), SERVICE, --all, --no-prefix, --json, -t
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
talk() { # a container that says who it is on both streams, then waits
	echo "echo $1-out; echo $1-err >&2; echo $1-more; sleep 300"
}

test_expect_success 'setup: replicas, a worker, the proxy, an old release, a crashed service, a decoy' '
	nd_app_init &&
	mk "nd-$APP-web-r1" web r1 sh -c "$(talk w1)" &&
	mk "nd-$APP-web-r1-2" web r1 sh -c "$(talk w2)" &&
	mk "nd-$APP-worker-r1" worker r1 sh -c "$(talk wk)" &&
	mk "nd-$APP-proxy" proxy "" sh -c "$(talk px)" &&
	mk "nd-$APP-web-r0" web r0 sh -c "echo old-release" &&
	mk "nd-$APP-cron-r1" cron r1 sh -c "echo cron-crashed; exit 3" &&
	docker run -d --name "$APP-decoy" --label "nextdeploy.app=$APP" "$ND_TEST_BUSYBOX" sh -c "echo decoy; sleep 300" >/dev/null &&
	docker run -d --name "$APP-other" --label nextdeploy.managed=true --label "nextdeploy.app=o$APP" "$ND_TEST_BUSYBOX" sh -c "echo other; sleep 300" >/dev/null &&
	docker wait "nd-$APP-web-r0" "nd-$APP-cron-r1" >/dev/null &&
	nd_wait_for 10 sh -c "docker logs nd-$APP-proxy 2>&1 | grep -q px-more" &&
	nd_wait_for 10 sh -c "docker logs nd-$APP-web-r1-2 2>&1 | grep -q w2-more" &&
	nd_wait_for 10 sh -c "docker logs nd-$APP-worker-r1 2>&1 | grep -q wk-more"
'

test_expect_success 'all containers: prefixed lines, stdout and stderr apart' '
	nd logs >out 2>err &&
	cat >want.out <<-EOF &&
	cron-r1   | cron-crashed
	proxy     | px-out
	proxy     | px-more
	web-r1    | w1-out
	web-r1    | w1-more
	web-r1-2  | w2-out
	web-r1-2  | w2-more
	worker-r1 | wk-out
	worker-r1 | wk-more
	EOF
	cat >want.err <<-EOF &&
	proxy     | px-err
	web-r1    | w1-err
	web-r1-2  | w2-err
	worker-r1 | wk-err
	EOF
	sort -s -k1,1 out >got.out && test_cmp want.out got.out &&
	sort -s -k1,1 err >got.err && test_cmp want.err got.err
'

test_expect_success 'old release hidden unless --all; decoy and other apps never shown' '
	nd logs -a >out 2>err &&
	test_grep "^web-r0 +\| old-release$" out &&
	test_grep "^cron-r1 +\| cron-crashed$" out &&
	! grep -q -e decoy -e other out err
'

test_expect_success 'SERVICE: one container is passed through without prefix' '
	nd logs worker >out 2>err &&
	printf "wk-out\nwk-more\n" >want && test_cmp want out &&
	echo wk-err >want && test_cmp want err &&
	nd logs proxy >out &&
	printf "px-out\npx-more\n" >want && test_cmp want out
'

test_expect_success 'SERVICE with replicas: prefixed' '
	nd logs web >out 2>err &&
	test $(wc -l <out) = 4 &&
	test_grep "^web-r1   \| w1-out$" out &&
	test_grep "^web-r1-2 \| w2-more$" out &&
	test_grep "^web-r1   \| w1-err$" err &&
	test_grep -v worker out
'

test_expect_success 'a crashed service: its newest container is shown' '
	nd logs cron >out &&
	echo cron-crashed >want && test_cmp want out
'

test_expect_success 'a crashed service with replicas: all of its newest release' '
	mk "nd-$APP-batch-r1" batch r1 sh -c "echo batch-r1" &&
	sleep 1.1 &&
	mk "nd-$APP-batch-r2" batch r2 sh -c "echo batch-r2-one" &&
	mk "nd-$APP-batch-r2-2" batch r2 sh -c "echo batch-r2-two" &&
	docker wait "nd-$APP-batch-r1" "nd-$APP-batch-r2" "nd-$APP-batch-r2-2" >/dev/null &&
	nd logs batch >out &&
	printf "batch-r2   | batch-r2-one\nbatch-r2-2 | batch-r2-two\n" >want &&
	sort out >got && test_cmp want got &&
	nd logs -a batch >out &&
	test_grep "^batch-r1 +\| batch-r1$" out &&
	docker rm -f "nd-$APP-batch-r1" "nd-$APP-batch-r2" "nd-$APP-batch-r2-2" >/dev/null
'

test_expect_success 'unknown SERVICE: an error naming the services' '
	test_expect_code 1 nd logs wbe >out 2>err &&
	test_grep "has no containers of service .wbe." err &&
	test_grep "^hint: its services: .*web" err &&
	test ! -s out
'

test_expect_success '--no-prefix: plain lines' '
	nd logs --no-prefix web >out &&
	sort out >got &&
	printf "w1-more\nw1-out\nw2-more\nw2-out\n" >want && test_cmp want got
'

test_expect_success '-t with prefixes: the time after the prefix' '
	nd logs -t web >out &&
	test_grep "^web-r1   \| 20[0-9-]+T[0-9:.]+Z w1-out$" out
'

test_expect_success '--json: one object per line, every stream' '
	nd --json logs >out.json 2>err &&
	test ! -s err &&
	python3 - <<-\EOF
	import json, os
	app = os.environ["APP"]
	rows = [json.loads(l) for l in open("out.json")]
	assert all(sorted(r) == ["container", "line", "release", "service", "stream", "time"] for r in rows), rows[0]
	got = sorted((r["container"], r["service"], r["release"], r["stream"], r["line"]) for r in rows)
	want = sorted([
	    ("nd-%s-cron-r1" % app, "cron", "r1", "stdout", "cron-crashed"),
	    ("nd-%s-proxy" % app, "proxy", "", "stdout", "px-out"),
	    ("nd-%s-proxy" % app, "proxy", "", "stdout", "px-more"),
	    ("nd-%s-proxy" % app, "proxy", "", "stderr", "px-err"),
	] + [("nd-%s-%s" % (app, n), s, "r1", st, "%s-%s" % (p, l))
	     for n, s, p in (("web-r1", "web", "w1"), ("web-r1-2", "web", "w2"), ("worker-r1", "worker", "wk"))
	     for st, l in (("stdout", "out"), ("stdout", "more"), ("stderr", "err"))])
	assert got == want, got
	EOF
'

test_expect_success 'colored prefixes on a terminal, one color per container' '
	TERM=xterm env -u NO_COLOR script -qec "$ND_BIN logs web" /dev/null >tty.out &&
	tr -d "\r" <tty.out >clean &&
	esc=$(printf "\033") &&
	grep -q "^${esc}\[3[0-9]mweb-r1   |${esc}\[0m w1-out$" clean &&
	grep -q "^${esc}\[3[0-9]mweb-r1-2 |${esc}\[0m w2-out$" clean &&
	c1=$(grep "w1-out" clean | cut -c1-5) && c2=$(grep "w2-out" clean | cut -c1-5) &&
	test "$c1" != "$c2"
'

test_expect_success 'no color under a terminal with NO_COLOR or --no-color' '
	TERM=xterm NO_COLOR=1 script -qec "$ND_BIN logs web" /dev/null >tty.out &&
	! grep -q "$(printf "\033")" tty.out &&
	tr -d "\r" <tty.out >clean &&
	test_grep "^web-r1   \| w1-out$" clean &&
	TERM=xterm env -u NO_COLOR script -qec "$ND_BIN --no-color logs web" /dev/null >tty.out &&
	! grep -q "$(printf "\033")" tty.out
'

test_expect_success 'no containers at all: nothing, exit 0' '
	nd_app_init "e$APP" &&
	nd logs >out 2>err &&
	test ! -s out &&
	nd_app_init
'

test_expect_success 'cleanup' '
	docker rm -f "$APP-decoy" "$APP-other" >/dev/null &&
	nd_cleanup_app "$APP"
'

test_done
