#!/usr/bin/env bash
# doctor: findings against the real engine, JSON, and an unreachable engine
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'doctor checks the engine and succeeds' '
	nd doctor >out &&
	test_grep "\[ok\] reachable" out &&
	test_grep "\[ok\] API version +using 1\.[0-9]+" out &&
	test_grep "\[ok\] runtime +.*20\.10|\[ok\] runtime" out &&
	test_grep "\[ok\] socket +/var/run/docker.sock" out
'

test_expect_success 'doctor --json lists checks with a status each' '
	nd doctor --json >out.json &&
	json_get out.json "d[\"ok\"]" >ok &&
	echo true >want && test_cmp want ok &&
	json_get out.json "sorted(set(c[\"status\"] for c in d[\"checks\"]) - {\"ok\",\"info\",\"warning\",\"fail\"})" >bad &&
	echo "[]" >none && test_cmp none bad
'

test_expect_success 'doctor reports the project and its proxy image' '
	nd_app_init <<-EOF &&
	deploy:
	  proxy: { image: nd-test/no-such-image:1 }
	EOF
	nd doctor >out &&
	test_grep "\[ok\] project .*app .$APP." out &&
	test_grep "\[!!\] proxy image +nd-test/no-such-image:1 is not on the engine" out
'

test_expect_success 'doctor exits 3 with a hint when the engine is unreachable' '
	test_expect_code 3 nd -H unix://$TRASH/none.sock doctor >out &&
	test_grep "\[XX\] socket .*does not exist" out &&
	test_grep "hint: start the engine" out
'

test_expect_success 'doctor names where the engine came from' '
	DOCKER_HOST=unix:///var/run/docker.sock nd doctor >out &&
	test_grep "engine +unix:///var/run/docker.sock \(from DOCKER_HOST\)" out
'

test_done
