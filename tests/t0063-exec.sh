#!/usr/bin/env bash
# exec without a terminal: exit codes (the command's, 126/127, 125 for
# exec's own failures, 2 for usage), stdout/stderr apart and exact, -e -u
# -w, stdin from a pipe with -i, SERVICE vs COMMAND, replicas and --index
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

mk() { # mk APP NAME SERVICE RELEASE [CMD...]
	local app=$1 name=$2 svc=$3 rel=$4
	shift 4
	[ $# -gt 0 ] || set -- sleep 300
	docker run -d --name "$name" \
		--label nextdeploy.managed=true --label "nextdeploy.app=$app" \
		--label "nextdeploy.service=$svc" --label "nextdeploy.release=$rel" \
		"$ND_TEST_BUSYBOX" "$@" >/dev/null
}
hostname_of() { docker inspect -f '{{.Config.Hostname}}' "$1"; }

test_expect_success 'setup: web with two replicas, an older release, a worker, a stopped service' '
	nd_app_init &&
	mk "$APP" "nd-$APP-web-r0" web r0 &&
	sleep 1.1 &&
	mk "$APP" "nd-$APP-web-r1" web r1 &&
	mk "$APP" "nd-$APP-web-r1-2" web r1 &&
	mk "$APP" "nd-$APP-worker-r1" worker r1 &&
	mk "$APP" "nd-$APP-cron-r1" cron r1 true &&
	docker wait "nd-$APP-cron-r1" >/dev/null
'

test_expect_success 'exit codes of the command are passed through' '
	nd exec -- true &&
	test_expect_code 3 nd exec -- sh -c "exit 3" &&
	test_expect_code 42 nd exec web sh -c "exit 42"
'

test_expect_success 'a missing command: 127; not executable: 126; with a message' '
	test_expect_code 127 nd exec -- no-such-cmd >out 2>err &&
	test ! -s out &&
	test_grep "^error: cannot run .no-such-cmd. in .nd-$APP-web-r1.: exec: \"no-such-cmd\": executable file not found" err &&
	test_expect_code 127 nd exec -- /no/such/path 2>err &&
	test_expect_code 126 nd exec -- /etc/passwd 2>err &&
	test_grep "permission denied" err &&
	test_expect_code 126 nd exec -w /no/such/dir -- ls 2>err &&
	test_grep "chdir to cwd" err
'

test_expect_success 'output that merely starts like the engine error is the command'"'"'s' '
	nd exec -- sh -c "echo \"OCI runtime exec failed: not really\"; exit 126" >out 2>err;
	test $? = 126 &&
	echo "OCI runtime exec failed: not really" >want && test_cmp want out
'

test_expect_success 'exec itself failing: 125' '
	test_expect_code 125 nd exec cron -- true 2>err &&
	test_grep "service .cron. of .$APP. has no running container" err &&
	test_grep "^hint: .nd-$APP-cron-r1. is exited" err &&
	test_expect_code 125 nd exec nosuch -- true 2>err &&
	test_grep "no service .nosuch." err &&
	test_expect_code 125 nd exec wrker -- true 2>err &&
	test_grep "did you mean .worker." err &&
	test_expect_code 125 nd exec --index 3 -- true 2>err &&
	test_grep "out of range: service .web. has 2 running containers" err
'

test_expect_success 'usage errors: 2' '
	test_expect_code 2 nd exec web 2>err &&
	test_grep "no command to run in .web." err &&
	test_expect_code 2 nd exec -- 2>err &&
	test_expect_code 2 nd exec -it -- sh </dev/null 2>err &&
	test_grep "the input is not a terminal" err &&
	test_expect_code 2 nd exec -e =x -- true 2>err &&
	test_expect_code 2 nd exec --bogus true 2>err
'

test_expect_success 'stdout and stderr arrive apart, byte for byte' '
	nd exec -- sh -c "echo out1; echo err1 >&2; printf out-partial; printf err-partial >&2" >out 2>err &&
	printf "out1\nout-partial" >want && test_cmp want out &&
	printf "err1\nerr-partial" >want && test_cmp want err
'

test_expect_success 'large output in many frames: exact' '
	nd exec -- sh -c "head -c 300000 /dev/zero | tr \"\\0\" x; echo; seq 1 20000; head -c 70000 /dev/zero | tr \"\\0\" e >&2" >out 2>err &&
	{ head -c 300000 /dev/zero | tr "\0" x; echo; seq 1 20000; } >want &&
	test_cmp want out &&
	head -c 70000 /dev/zero | tr "\0" e >want && test_cmp want err
'

test_expect_success '-e, -u, -w' '
	LOCAL_ONE=from-here &&
	export LOCAL_ONE &&
	unset NOT_SET_HERE &&
	nd exec -e A=1 -e "B=x y" -e LOCAL_ONE -e NOT_SET_HERE -u nobody -w /tmp -- \
		sh -c "echo \"\$A|\$B|\$LOCAL_ONE|\${NOT_SET_HERE-unset}\"; id -un; pwd" >out &&
	printf "1|x y|from-here|unset\nnobody\n/tmp\n" >want &&
	test_cmp want out &&
	nd exec --user=1234:5 --workdir=/etc --env=C=3 -- sh -c "id -u; id -g; pwd; echo \$C" >out &&
	printf "1234\n5\n/etc\n3\n" >want && test_cmp want out
'

test_expect_success 'stdin from a pipe with -i; its end ends the command' '
	echo hi | nd exec -i -- cat >out &&
	echo hi >want && test_cmp want out &&
	head -c 500000 /dev/urandom >in.bin &&
	nd exec -i -- sh -c "cat >/tmp/in.bin; md5sum </tmp/in.bin" <in.bin >out &&
	md5sum <in.bin >want && test_cmp want out &&
	echo | test_expect_code 5 nd exec -i -- sh -c "cat >/dev/null; exit 5" &&
	nd exec -i -- wc -c </dev/null >out &&
	echo 0 >want && test_cmp want out
'

test_expect_success 'without -i the command gets no input' '
	echo hi | nd exec -- cat >out &&
	test ! -s out
'

test_expect_success 'SERVICE or COMMAND' '
	w1=$(hostname_of "nd-$APP-web-r1") && wk=$(hostname_of "nd-$APP-worker-r1") &&
	nd exec worker hostname >out && echo "$wk" >want && test_cmp want out &&
	nd exec worker -- hostname >out && test_cmp want out &&
	nd exec hostname >out && echo "$w1" >want && test_cmp want out &&
	nd exec -- hostname >out && test_cmp want out &&
	test_expect_code 127 nd exec -- worker 2>err &&
	test_grep "cannot run .worker. in .nd-$APP-web-r1." err &&
	nd exec web ls -d /etc >out && echo /etc >want && test_cmp want out &&
	nd exec -u nobody worker -- id -un >out && echo nobody >want && test_cmp want out
'

test_expect_success 'replicas: the newest release, the first replica, or --index N' '
	nd exec hostname >out && hostname_of "nd-$APP-web-r1" >want && test_cmp want out &&
	nd exec --index 2 hostname >out && hostname_of "nd-$APP-web-r1-2" >want && test_cmp want out &&
	nd exec --index=1 web hostname >out && hostname_of "nd-$APP-web-r1" >want && test_cmp want out
'

test_expect_success 'the default service without web: the only one besides the proxy' '
	mkdir solo && cd solo && nd_app_init "s$APP" &&
	test_when_finished "nd_cleanup_app s$APP" &&
	mk "s$APP" "nd-s$APP-api-r1" api r1 &&
	mk "s$APP" "nd-s$APP-proxy" proxy "" &&
	nd exec hostname >out && hostname_of "nd-s$APP-api-r1" >want && test_cmp want out &&
	mk "s$APP" "nd-s$APP-jobs-r1" jobs r1 &&
	test_expect_code 2 nd exec hostname 2>err &&
	test_grep "has several services and no .web.: name one" err &&
	test_grep "^hint: its services: " err
'

test_expect_success 'no containers at all: 125' '
	mkdir none && cd none && nd_app_init "n$APP" &&
	test_expect_code 125 nd exec -- true 2>err &&
	test_grep "has no containers" err
'

test_expect_success 'a stopped container: 125' '
	docker stop -t 0 "nd-$APP-worker-r1" >/dev/null &&
	test_expect_code 125 nd exec worker -- true 2>err &&
	test_grep "has no running container" err
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP"
'

test_done
