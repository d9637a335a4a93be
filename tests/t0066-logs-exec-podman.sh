#!/usr/bin/env bash
# logs and exec against Podman's Docker-compatible API (NOTES.md §13):
# octet-stream logs with seconds-only times, partial lines passed at once,
# live-only label events for -f, exec exit codes straight from Podman
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/lib-podman.sh"

command -v podman >/dev/null || test_skip_all "no podman"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"
python3 -c "import pty" 2>/dev/null || test_skip_all "no python3"
trap podman_stop EXIT
export ND_BIN

px() { docker -H "unix://$PODMAN_SOCK" "$@"; }
mk() { # mk NAME SERVICE RELEASE CMD...
	local name=$1 svc=$2 rel=$3
	shift 3
	px run -d --network none --name "$name" \
		--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label "nextdeploy.service=$svc" --label "nextdeploy.release=$rel" \
		"$ND_TEST_BUSYBOX" "$@" >/dev/null
}

test_expect_success 'setup: a podman service and a container' '
	podman_start &&
	docker save "$ND_TEST_BUSYBOX" >bb.tar &&
	px load -q -i bb.tar >/dev/null &&
	nd_app_init &&
	mk "nd-$APP-web-r1" web r1 sh -c "echo out1; echo err1 >&2; head -c 40000 /dev/zero | tr \"\\0\" x; echo; sleep 300" &&
	nd_wait_for 10 sh -c "docker -H unix://$PODMAN_SOCK logs nd-$APP-web-r1 2>&1 | grep -q xxx"
'

test_expect_success 'logs on Podman: the bytes of each stream' '
	export DOCKER_HOST=unix://$PODMAN_SOCK &&
	nd logs >out 2>err &&
	{ echo out1; head -c 40000 /dev/zero | tr "\0" x; echo; } >want &&
	test_cmp want out &&
	echo err1 >want && test_cmp want err &&
	nd --json logs >out.json &&
	python3 -c "
import json
rows = [json.loads(l) for l in open(\"out.json\")]
assert [r[\"line\"] for r in rows if r[\"stream\"] == \"stderr\"] == [\"err1\"], rows
assert all(r[\"time\"].endswith(\"Z\") for r in rows)
assert any(len(r[\"line\"]) == 40000 for r in rows)
"
'

test_expect_success 'exec on Podman: exit codes, streams, stdin, -e -u -w' '
	export DOCKER_HOST=unix://$PODMAN_SOCK &&
	nd exec -- sh -c "echo o; echo e >&2; exit 6" >out 2>err;
	test $? = 6 &&
	echo o >want && test_cmp want out &&
	echo e >want && test_cmp want err &&
	test_expect_code 127 nd exec -- no-such 2>err &&
	test_grep "not found" err &&
	test_expect_code 126 nd exec -- /etc/passwd 2>err &&
	echo hi | nd exec -i -- cat >out &&
	echo hi >want && test_cmp want out &&
	nd exec -e A=1 -u nobody -w /tmp -- sh -c "echo \$A; id -un; pwd" >out &&
	printf "1\nnobody\n/tmp\n" >want && test_cmp want out
'

test_expect_success 'exec -it on Podman through a pty' '
	export DOCKER_HOST=unix://$PODMAN_SOCK &&
	mkdir -p s && cp nextdeploy.yml s/ &&
	(cd s && python3 "$TEST_ROOT/lib/pty-exec.py" session >driver.out 2>&1) ||
	{ cat s/driver.out s/nd.err >&2; false; } &&
	echo 3 >want && test_cmp want s/rc &&
	test_cmp s/before s/after &&
	! grep -qE "(ERROR: |runtime error: )" s/nd.err
'

test_expect_success 'logs -f on Podman picks up a new release' '
	export DOCKER_HOST=unix://$PODMAN_SOCK &&
	{ "$ND_BIN" logs -f web >fo 2>fe & } &&
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null; true" &&
	nd_wait_for 15 grep -q "^out1$" fo &&
	sleep 0.5 &&
	mk "nd-$APP-web-r2" web r2 sh -c "echo r2-hello; sleep 300" &&
	nd_wait_for 15 grep -q "^r2-hello$" fo &&
	kill -INT $pid && { wait $pid; test $? = 130; } &&
	! grep -qE "(ERROR: |runtime error: )" fe
'

test_done
