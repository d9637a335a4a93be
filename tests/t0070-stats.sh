#!/usr/bin/env bash
# stats: several containers, --no-stream table and JSON, SERVICE, the live
# table and JSON lines until Ctrl-C, CPU of a 0.5-CPU busy loop ≈ 50 %,
# memory limit shown, decoys never listed
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

# nd_int SECS ARGS...: run nextdeploy, send SIGINT after SECS (crash checks
# of nd() still apply: the wrapper keeps the binary's own status)
nd_int() {
	local secs=$1
	shift
	printf '#!/bin/sh\nexec timeout --preserve-status -s INT %s "%s" "$@"\n' "$secs" "$ND_BIN" >"$TRASH/nd-int"
	chmod +x "$TRASH/nd-int"
	(ND_BIN=$TRASH/nd-int && nd "$@")
}

mk() { # mk NAME SERVICE [docker run args...] -- CMD...
	local name=$1 svc=$2
	shift 2
	docker run -d --name "$name" \
		--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label "nextdeploy.service=$svc" --label nextdeploy.release=r1 \
		"$@" >/dev/null
}

test_expect_success 'setup: two web replicas (64 MiB), a busy worker (0.5 CPU), decoys' '
	mk "nd-$APP-web-r1" web -m 64m "$ND_TEST_BUSYBOX" sleep 300 &&
	mk "nd-$APP-web-r1-2" web -m 64m "$ND_TEST_BUSYBOX" sleep 300 &&
	mk "nd-$APP-worker-r1" worker --cpus 0.5 "$ND_TEST_BUSYBOX" sh -c "while :; do :; done" &&
	mk "nd-$APP-web-r0" web "$ND_TEST_BUSYBOX" sleep 300 &&
	docker stop -t 0 "nd-$APP-web-r0" >/dev/null &&
	docker run -d --name "$APP-decoy" "$ND_TEST_BUSYBOX" sleep 300 >/dev/null &&
	docker run -d --name "$APP-other" --label nextdeploy.managed=true \
		--label "nextdeploy.app=other-$APP" "$ND_TEST_BUSYBOX" sleep 300 >/dev/null &&
	nd_app_init
'

test_expect_success 'stats --no-stream: one table of the running containers' '
	nd stats --no-stream >out &&
	test_grep "^NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$" out &&
	test $(wc -l <out) = 4 &&
	test_grep "^nd-$APP-web-r1 +[0-9]+\.[0-9]{2}% +[0-9.]+[KMG]?i?B / 64MiB +[0-9]+\.[0-9]{2}% +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +1$" out &&
	test_grep "^nd-$APP-web-r1-2 " out &&
	test_grep "^nd-$APP-worker-r1 " out &&
	test_grep -v "web-r0" out &&
	test_grep -v "decoy" out &&
	test_grep -v "other" out
'

test_expect_success 'stats --no-stream --json: one array, stable keys, memory limit' '
	nd stats --no-stream --json >out.json &&
	json_get out.json "len(d)" >n && echo 3 >want && test_cmp want n &&
	json_get out.json "sorted(d[0].keys())" >keys &&
	echo "[\"block_read\", \"block_write\", \"cpu_percent\", \"id\", \"memory_limit\", \"memory_percent\", \"memory_usage\", \"name\", \"net_rx\", \"net_tx\", \"pids\", \"read\", \"release\", \"service\"]" >want &&
	test_cmp want keys &&
	json_get out.json "[c[\"memory_limit\"] for c in d if c[\"service\"] == \"web\"]" >lim &&
	echo "[67108864, 67108864]" >want && test_cmp want lim &&
	json_get out.json "all(isinstance(c[\"cpu_percent\"], (int, float)) for c in d)" >ok &&
	echo true >want && test_cmp want ok
'

# The machine is shared with other builds: the busy loop may get less than
# its half CPU now and then, so take up to five samples.
test_expect_success 'stats SERVICE: a busy loop limited to 0.5 CPU shows ~50%' '
	for i in 1 2 3 4 5; do
		nd stats --no-stream --json worker >w.json &&
		json_get w.json "[c[\"name\"] for c in d]" >names &&
		echo "[\"nd-$APP-worker-r1\"]" >want && test_cmp want names &&
		json_get w.json "d[0][\"cpu_percent\"]" >cpu &&
		say "# worker cpu: $(cat cpu)" &&
		if json_get w.json "40 <= d[0][\"cpu_percent\"] <= 60" | grep -q true; then
			return 0
		fi
	done &&
	return 1
'

test_expect_success 'stats SERVICE: text shows only that service' '
	nd stats --no-stream web >out &&
	test $(wc -l <out) = 3 &&
	test_grep -v worker out
'

test_expect_success 'stats: live tables until Ctrl-C, exit 130' '
	test_expect_code 130 nd_int 4 stats >live &&
	test $(grep -c "^NAME " live) -ge 2 &&
	test_grep "^nd-$APP-worker-r1 +[0-9]+\.[0-9]{2}%" live &&
	test_grep -v decoy live
'

test_expect_success 'stats --json live: one object per container and second' '
	test_expect_code 130 nd_int 4 stats --json web >live.jsonl &&
	test $(wc -l <live.jsonl) -ge 4 &&
	python3 -c "
import json, sys
names = set()
for line in open(\"live.jsonl\"):
    d = json.loads(line)
    names.add(d[\"name\"])
    assert d[\"memory_limit\"] == 67108864, d
print(json.dumps(sorted(names)))" >names &&
	echo "[\"nd-$APP-web-r1\", \"nd-$APP-web-r1-2\"]" >want && test_cmp want names
'

test_expect_success 'stats: a container that stops shows -- and disappears' '
	mk "nd-$APP-tmp-r1" tmp "$ND_TEST_BUSYBOX" sleep 300 &&
	{ nd_int 7 stats tmp >gone; echo $? >rc; } &
	sleep 3.5 &&
	docker stop -t 0 "nd-$APP-tmp-r1" >/dev/null &&
	wait &&
	echo 130 >want && test_cmp want rc &&
	test_grep "^nd-$APP-tmp-r1 +[0-9.]+%" gone &&
	test_grep "^nd-$APP-tmp-r1 +-- +-- / --" gone &&
	tail -n 3 gone >last &&
	test_grep -v "tmp-r1" last
'

test_expect_success 'stats: no running container is an empty table, exit 0' '
	nd stats --no-stream nosuch >out &&
	echo "NAME   CPU %   MEM USAGE / LIMIT   MEM %   NET I/O   BLOCK I/O   PIDS" >want &&
	test_cmp want out &&
	nd stats --no-stream --json nosuch >out.json &&
	echo "[]" >want && test_cmp want out.json
'

test_expect_success 'stats: usage errors exit 2' '
	test_expect_code 2 nd stats a b 2>err &&
	test_expect_code 2 nd stats --bogus 2>err &&
	test_grep "unknown option" err
'

test_expect_success 'cleanup' '
	docker rm -f "$APP-decoy" "$APP-other" >/dev/null &&
	nd_cleanup_app "$APP" &&
	nd_cleanup_app "other-$APP"
'

test_done
