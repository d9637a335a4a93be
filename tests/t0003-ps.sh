#!/usr/bin/env bash
# ps: the project's containers by label, text, -q, --json, filters
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

mk() { # mk NAME SERVICE RELEASE [docker run args...]
	local name=$1 svc=$2 rel=$3
	shift 3
	docker run -d --name "$name" \
		--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label "nextdeploy.service=$svc" --label "nextdeploy.release=$rel" \
		"$@" "$ND_TEST_BUSYBOX" sleep 300 >/dev/null
}

test_expect_success 'setup: two services, a stopped container and a decoy' '
	mk "nd-$APP-web-r1" web r1 -p 127.0.0.1::8080 &&
	mk "nd-$APP-worker-r1" worker r1 &&
	mk "nd-$APP-web-r0" web r0 && docker stop -t 0 "nd-$APP-web-r0" >/dev/null &&
	docker run -d --name "$APP-decoy" --label "nextdeploy.app=$APP" "$ND_TEST_BUSYBOX" sleep 300 >/dev/null &&
	docker run -d --name "$APP-other" --label nextdeploy.managed=true --label nextdeploy.app=other-$APP "$ND_TEST_BUSYBOX" sleep 300 >/dev/null &&
	nd_app_init
'

test_expect_success 'ps lists the running managed containers of this app only' '
	nd ps >out &&
	test_grep "^NAME +SERVICE +RELEASE +IMAGE +STATE +HEALTH +PORTS +CREATED" out &&
	test_grep "^nd-$APP-web-r1 +web +r1 .*running .*127\.0\.0\.1:[0-9]+->8080/tcp" out &&
	test_grep "^nd-$APP-worker-r1 +worker +r1" out &&
	test_grep -v "web-r0" out &&
	test_grep -v "decoy" out &&
	test_grep -v "$APP-other" out
'

test_expect_success 'ps -a includes stopped ones; SERVICE filters' '
	nd ps -a web >out &&
	test_grep "nd-$APP-web-r0 .*exited" out &&
	test_grep "nd-$APP-web-r1" out &&
	test_grep -v worker out
'

test_expect_success 'ps -q prints only IDs' '
	nd ps -q >out &&
	test $(wc -l <out) = 2 &&
	test_grep -v "[^0-9a-f]" out &&
	id=$(docker inspect -f "{{.Id}}" "nd-$APP-web-r1" | cut -c1-12) &&
	test_grep "^$id\$" out
'

test_expect_success 'ps --json is an array with stable keys' '
	nd ps --json -a >out.json &&
	json_get out.json "len(d)" >n && echo 3 >want && test_cmp want n &&
	json_get out.json "sorted(d[0].keys())" >keys &&
	echo "[\"created\", \"health\", \"id\", \"image\", \"name\", \"ports\", \"release\", \"service\", \"state\", \"status\"]" >want &&
	test_cmp want keys &&
	json_get out.json "[p[\"private_port\"] for c in d for p in c[\"ports\"] if c[\"name\"].endswith(\"web-r1\")][0]" >port &&
	echo 8080 >want && test_cmp want port
'

test_expect_success 'cleanup' '
	docker rm -f "$APP-decoy" "$APP-other" >/dev/null &&
	nd_cleanup_app "$APP" &&
	nd ps -a -q >out && test ! -s out
'

test_done
