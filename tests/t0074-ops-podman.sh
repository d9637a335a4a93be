#!/usr/bin/env bash
# stats, events and prune against Podman's Docker-compatible API
# (NOTES.md §13.2): CPU % of a 0.5-CPU busy loop where Docker's
# system-CPU formula is wrong, "remove" shown as destroy, labeled prune,
# and a real prune --all (the service is private to the test)
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/lib-podman.sh"

command -v podman >/dev/null || test_skip_all "no podman"
engine_ok || test_skip_all "no engine (the test image comes from it)"
trap podman_stop EXIT

pd() { docker -H "unix://$PODMAN_SOCK" "$@"; }

nd_int() {
	local secs=$1
	shift
	printf '#!/bin/sh\nexec timeout --preserve-status -s INT %s "%s" "$@"\n' "$secs" "$ND_BIN" >"$TRASH/nd-int"
	chmod +x "$TRASH/nd-int"
	(ND_BIN=$TRASH/nd-int && nd "$@")
}

labels() { # labels SERVICE RELEASE
	echo --label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label "nextdeploy.service=$1" --label "nextdeploy.release=$2"
}

test_expect_success 'setup: a podman service, a busy loop at 0.5 CPU, a 64 MiB web' '
	podman_start &&
	docker save "$ND_TEST_BUSYBOX" >bb.tar &&
	pd load -q -i bb.tar >/dev/null &&
	pd run -d --network none --cpus 0.5 --name "nd-$APP-busy-r1" $(labels busy r1) \
		"$ND_TEST_BUSYBOX" sh -c "while :; do :; done" >/dev/null &&
	pd run -d --network none -m 64m --name "nd-$APP-web-r1" $(labels web r1) \
		"$ND_TEST_BUSYBOX" sleep 300 >/dev/null &&
	pd run -d --network none --name "$APP-decoy" "$ND_TEST_BUSYBOX" sleep 300 >/dev/null &&
	nd_app_init &&
	export DOCKER_HOST=unix://$PODMAN_SOCK
'

test_expect_success 'stats --no-stream on Podman: ~50% CPU, the memory limit, no decoy' '
	export DOCKER_HOST=unix://$PODMAN_SOCK &&
	for i in 1 2 3; do
		nd stats --no-stream --json >s.json &&
		json_get s.json "sorted(c[\"name\"] for c in d)" >names &&
		echo "[\"nd-$APP-busy-r1\", \"nd-$APP-web-r1\"]" >want && test_cmp want names &&
		json_get s.json "[c[\"memory_limit\"] for c in d if c[\"service\"] == \"web\"]" >lim &&
		echo "[67108864]" >want && test_cmp want lim &&
		json_get s.json "[c[\"cpu_percent\"] for c in d if c[\"service\"] == \"busy\"][0]" >cpu &&
		say "# podman busy cpu: $(cat cpu)" &&
		if json_get s.json "40 <= [c[\"cpu_percent\"] for c in d if c[\"service\"] == \"busy\"][0] <= 60" | grep -q true; then
			return 0
		fi
	done &&
	return 1
'

test_expect_success 'events on Podman: create, start, die with its code, destroy' '
	export DOCKER_HOST=unix://$PODMAN_SOCK &&
	{ nd_int 6 events >ev.txt; echo $? >rc; } &
	sleep 1 &&
	test_expect_code 4 pd run --network none --name "nd-$APP-job-r1" $(labels job r1) "$ND_TEST_BUSYBOX" sh -c "exit 4" &&
	pd rm "nd-$APP-job-r1" >/dev/null &&
	pd run --rm --network none --name "$APP-decoy2" "$ND_TEST_BUSYBOX" true &&
	wait &&
	echo 130 >want && test_cmp want rc &&
	test_grep " container create nd-$APP-job-r1 service=job release=r1$" ev.txt &&
	test_grep " container start nd-$APP-job-r1 " ev.txt &&
	test_grep " container die nd-$APP-job-r1 service=job release=r1 exit_code=4$" ev.txt &&
	test_grep " container destroy nd-$APP-job-r1 " ev.txt &&
	test_grep -v "decoy|remove" ev.txt
'

test_expect_success 'prune on Podman: the stopped labeled container only' '
	export DOCKER_HOST=unix://$PODMAN_SOCK &&
	pd run --network none --name "nd-$APP-web-r0" $(labels web r0) "$ND_TEST_BUSYBOX" true &&
	pd run --network none --name "$APP-decoy3" "$ND_TEST_BUSYBOX" true &&
	nd prune --json >p.json &&
	json_get p.json "[(i[\"type\"], i[\"name\"]) for i in d[\"removed\"]]" >v &&
	echo "[[\"container\", \"nd-$APP-web-r0\"]]" >want && test_cmp want v &&
	pd container inspect "$APP-decoy3" >/dev/null &&
	pd container inspect "$APP-decoy" >/dev/null &&
	pd container inspect "nd-$APP-web-r1" >/dev/null
'

# This Podman service is the test's own, so a real --all (which on the
# shared Docker engine would reach other tests' objects) is safe here;
# Podman tags what it builds docker.io/library/NAME (NOTES.md §13.2).
test_expect_success 'prune --all on Podman: both apps, never the decoys' '
	export DOCKER_HOST=unix://$PODMAN_SOCK DOCKER_BUILDKIT=0 &&
	other=other-$APP &&
	mkdir -p c && printf "FROM %s\nCOPY f /f\n" "$ND_TEST_BUSYBOX" >c/Dockerfile &&
	for a in "$APP:r8" "$APP:r9" "$other:b1" "$other:b2"; do
		echo "$a" >c/f &&
		pd build -q --label nextdeploy.managed=true --label "nextdeploy.app=${a%%:*}" \
			--label nextdeploy.service=web --label "nextdeploy.release=${a#*:}" \
			-t "$a" c >/dev/null 2>&1 && sleep 1.1 || return 1
	done &&
	echo decoy >c/f && pd build -q -t "$APP-decoy:1" c >/dev/null 2>&1 &&
	pd run --network none --name "nd-$other-web-b1" --label nextdeploy.managed=true \
		--label "nextdeploy.app=$other" "$other:b1" true &&
	for a in "$APP" "$other"; do
		pd network create --label nextdeploy.managed=true --label "nextdeploy.app=$a" "nd-$a" >/dev/null &&
		pd volume create --label nextdeploy.managed=true --label "nextdeploy.app=$a" "nd-$a-data" >/dev/null || return 1
	done &&
	pd network create "$APP-decoy" >/dev/null &&
	pd volume create "$APP-decoy" >/dev/null &&
	nd prune --all --keep 1 --volumes --json >all.json &&
	json_get all.json "sorted(i[\"type\"] + \" \" + i[\"name\"] for i in d[\"removed\"])" >v &&
	cat >want <<-EOF &&
	["container nd-$other-web-b1", "image docker.io/library/$APP:r8", "image docker.io/library/$other:b1", "network nd-$APP", "network nd-$other", "volume nd-$APP-data", "volume nd-$other-data"]
	EOF
	test_cmp want v &&
	json_get all.json "d[\"failed\"]" >v && echo "[]" >want && test_cmp want v &&
	pd image inspect "$APP:r9" >/dev/null && test_must_fail pd image inspect "$APP:r8" >/dev/null 2>&1 && pd image inspect "$other:b2" >/dev/null &&
	test_must_fail pd image inspect "$other:b1" >/dev/null 2>&1 &&
	pd image inspect "$APP-decoy:1" >/dev/null &&
	pd network inspect "$APP-decoy" >/dev/null &&
	pd volume inspect "$APP-decoy" >/dev/null &&
	pd container inspect "$APP-decoy" >/dev/null &&
	pd container inspect "$APP-decoy3" >/dev/null &&
	pd container inspect "nd-$APP-busy-r1" >/dev/null
'

test_done
