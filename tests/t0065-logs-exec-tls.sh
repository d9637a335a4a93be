#!/usr/bin/env bash
# logs and exec over tcp+TLS (a second dockerd with mutual TLS): the stdin
# half-close of exec -i is a TLS close_notify there (SSL_shutdown), never a
# shutdown() under the session; -it through a pty; logs -f over TLS
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/lib-dockerd.sh"

engine_ok || test_skip_all "no engine"
command -v openssl >/dev/null || test_skip_all "no openssl"
command -v dockerd >/dev/null || test_skip_all "no dockerd"
python3 -c "import pty" 2>/dev/null || test_skip_all "no python3"

PORT=2376
CERTS=$TRASH/certs
EXTRA_SOCK=$(extra_dockerd_sock tlsx)
IP=$(extra_dockerd_ip tlsx)
trap 'extra_dockerd_stop tlsx' EXIT
export ND_BIN

# the docker CLI on the extra engine, and nextdeploy over TLS to it
dx() { docker -H "unix://$EXTRA_SOCK" "$@"; }
tls_env() { export DOCKER_HOST=tcp://$IP:$PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$CERTS; }
mk() { # mk NAME SERVICE RELEASE CMD...
	local name=$1 svc=$2 rel=$3
	shift 3
	dx run -d --network none --name "$name" \
		--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label "nextdeploy.service=$svc" --label "nextdeploy.release=$rel" \
		"$ND_TEST_BUSYBOX" "$@" >/dev/null
}

test_expect_success 'setup: certificates, a TLS dockerd, a container' '
	extra_dockerd_start_tls tlsx "$CERTS" &&
	docker save "$ND_TEST_BUSYBOX" | dx load -q >/dev/null &&
	nd_app_init &&
	mk "nd-$APP-web-r1" web r1 sh -c "echo out1; echo err1 >&2; head -c 40000 /dev/zero | tr \"\\0\" x; echo; sleep 300"
'

test_expect_success 'exec -i over TLS: stdin EOF is a close_notify, the output still arrives' '
	tls_env &&
	echo hi | nd exec -i -- cat >out &&
	echo hi >want && test_cmp want out &&
	head -c 300000 /dev/urandom >in.bin &&
	nd exec -i -- sh -c "cat >/tmp/in; md5sum </tmp/in; exit 4" <in.bin >out;
	test $? = 4 &&
	md5sum <in.bin >want && test_cmp want out
'

test_expect_success 'exec over TLS: exit codes and separate streams' '
	tls_env &&
	nd exec -- sh -c "echo o; echo e >&2; exit 7" >out 2>err;
	test $? = 7 &&
	echo o >want && test_cmp want out &&
	echo e >want && test_cmp want err &&
	test_expect_code 127 nd exec -- no-such 2>err
'

test_expect_success 'exec -it over TLS through a pty: session, resize, exit code, terminal restored' '
	tls_env &&
	mkdir -p s && cp nextdeploy.yml s/ &&
	(cd s && python3 "$TEST_ROOT/lib/pty-exec.py" session >driver.out 2>&1) ||
	{ cat s/driver.out s/nd.err >&2; false; } &&
	echo 3 >want && test_cmp want s/rc &&
	test_cmp s/before s/after &&
	! grep -qE "(ERROR: |runtime error: )" s/nd.err
'

test_expect_success 'logs over TLS: the bytes of each stream' '
	tls_env &&
	nd logs >out 2>err &&
	{ echo out1; head -c 40000 /dev/zero | tr "\0" x; echo; } >want &&
	test_cmp want out &&
	echo err1 >want && test_cmp want err
'

test_expect_success 'logs -f over TLS picks up a new release' '
	tls_env &&
	{ "$ND_BIN" logs -f web >fo 2>fe & } &&
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null; true" &&
	nd_wait_for 15 grep -q "^out1$" fo &&
	mk "nd-$APP-web-r2" web r2 sh -c "echo r2-hello; sleep 300" &&
	nd_wait_for 15 grep -q "^r2-hello$" fo &&
	kill -INT $pid && { wait $pid; test $? = 130; } &&
	! grep -qE "(ERROR: |runtime error: )" fe
'

test_done
