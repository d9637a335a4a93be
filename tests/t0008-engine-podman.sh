#!/usr/bin/env bash
# Podman's Docker-compatible API: version, doctor and ps against a real
# `podman system service` (TESTBED.md §1, NOTES.md §13)
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/lib-podman.sh"

command -v podman >/dev/null || test_skip_all "no podman"
trap podman_stop EXIT

test_expect_success 'setup: a podman service and a labeled container' '
	podman_start &&
	docker save "$ND_TEST_BUSYBOX" >bb.tar &&
	docker -H unix://$PODMAN_SOCK load -q -i bb.tar >/dev/null &&
	docker -H unix://$PODMAN_SOCK run -d --network none --name "nd-$APP-web-r1" \
		--label nextdeploy.managed=true --label nextdeploy.app=$APP \
		--label nextdeploy.service=web --label nextdeploy.release=r1 \
		"$ND_TEST_BUSYBOX" sleep 300 >/dev/null &&
	docker -H unix://$PODMAN_SOCK run -d --network none --name "$APP-decoy" "$ND_TEST_BUSYBOX" sleep 300 >/dev/null &&
	nd_app_init
'

test_expect_success 'version says Podman and negotiates' '
	nd -H unix://$PODMAN_SOCK version --json >v.json &&
	json_get v.json "d[\"engine\"][\"runtime\"]" >rt &&
	echo podman >want && test_cmp want rt &&
	json_get v.json "d[\"engine\"][\"name\"]" >name &&
	echo "Podman Engine" >want && test_cmp want name
'

test_expect_success 'doctor recognises Podman' '
	nd -H unix://$PODMAN_SOCK doctor >out &&
	test_grep "\[ok\] runtime +Podman 4\." out &&
	test_grep "Podman: health checks run through exec probes" out
'

test_expect_success 'ps lists the labeled container by name (no leading slash)' '
	DOCKER_HOST=unix://$PODMAN_SOCK nd ps >out &&
	test_grep "^nd-$APP-web-r1 +web +r1 " out &&
	test_grep -v decoy out &&
	DOCKER_HOST=unix://$PODMAN_SOCK nd ps --json >out.json &&
	json_get out.json "[c[\"name\"] for c in d]" >names &&
	echo "[\"nd-$APP-web-r1\"]" >want && test_cmp want names
'

test_expect_success 'a missing image on Podman is a not-found error, not a crash' '
	printf "deploy:\n  proxy: { image: nd-test/absent:1 }\n" >>nextdeploy.yml &&
	DOCKER_HOST=unix://$PODMAN_SOCK nd doctor >out &&
	test_grep "proxy image +nd-test/absent:1 is not on the engine" out
'

test_expect_success 'release tags complete on Podman (one label filter per query)' '
	mkdir -p rel && printf "FROM %s\n" "$ND_TEST_BUSYBOX" >rel/Dockerfile &&
	docker -H unix://$PODMAN_SOCK build -q -t "$APP:r7" --label nextdeploy.managed=true \
		--label nextdeploy.app=$APP --label nextdeploy.release=r7 rel >/dev/null &&
	nd -H unix://$PODMAN_SOCK __complete releases >rels &&
	echo r7 >want && test_cmp want rels
'

test_done
