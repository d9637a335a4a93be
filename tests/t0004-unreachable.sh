#!/usr/bin/env bash
# an engine that is not there: exit 3 with a message naming what was tried
. "$(dirname "$0")/test-lib.sh"

nd_app_init

test_expect_success 'a missing socket: exit 3, socket named, hint' '
	test_expect_code 3 nd -H unix://$TRASH/missing.sock ps 2>err &&
	test_grep "^error: cannot connect to the engine at unix://$TRASH/missing.sock" err &&
	test_grep "No such file or directory" err &&
	test_grep "^hint: " err
'

test_expect_success 'DOCKER_HOST is honoured and named' '
	DOCKER_HOST=unix://$TRASH/nope.sock test_expect_code 3 nd ps 2>err &&
	test_grep "unix://$TRASH/nope.sock" err
'

test_expect_success 'a socket nobody listens on: connection refused' '
	python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$TRASH/dead.sock" &&
	test_expect_code 3 nd -H unix://$TRASH/dead.sock ps 2>err &&
	test_grep "connection refused" err
'

test_expect_success 'a tcp port nobody listens on: exit 3, URL named' '
	test_expect_code 3 nd -H tcp://127.0.0.1:1 ps 2>err &&
	test_grep "tcp://127.0.0.1:1" err
'

test_expect_success 'TLS with no certificates: exit 3' '
	DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$TRASH/nocerts test_expect_code 3 nd -H tcp://127.0.0.1:1 ps 2>err &&
	test_grep "cannot connect" err
'

test_expect_success 'a malformed host is a usage error (exit 2)' '
	test_expect_code 2 nd -H "http://x" ps 2>err &&
	test_grep "invalid engine host" err
'

test_expect_success 'JSON mode reports the error as JSON on stdout' '
	test_expect_code 3 nd --json -H unix://$TRASH/missing.sock ps >out.json 2>err &&
	json_get out.json "d[\"error\"][\"code\"]" >code &&
	echo engine_unreachable >want && test_cmp want code
'

test_done
