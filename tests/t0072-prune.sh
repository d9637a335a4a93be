#!/usr/bin/env bash
# prune: by label only. Two apps' objects made with the docker CLI, and
# decoys without labels (container, image, volume, network) or without the
# managed label: --dry-run, --keep (creation order), the live release, an
# image a stopped container uses, --until, --json, --volumes, --min-age,
# --all (dry run: the engine is shared), usage errors
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"

OTHER=other-$APP
export DOCKER_BUILDKIT=0

# img APP RELEASE [TAG]: a release image with a few bytes of its own
img() {
	local app=$1 rel=$2 tag=${3:-$1:$2}
	mkdir -p "ctx-$app-$rel" &&
	printf 'FROM %s\nCOPY release /release\n' "$ND_TEST_BUSYBOX" >"ctx-$app-$rel/Dockerfile" &&
	echo "$rel $RANDOM" >"ctx-$app-$rel/release" &&
	docker build -q --label nextdeploy.managed=true --label "nextdeploy.app=$app" \
		--label nextdeploy.service=web --label "nextdeploy.release=$rel" \
		-t "$tag" "ctx-$app-$rel" >/dev/null 2>&1
}

labels() { # labels APP SERVICE RELEASE
	echo --label nextdeploy.managed=true --label "nextdeploy.app=$1" \
		--label "nextdeploy.service=$2" --label "nextdeploy.release=$3"
}

# the state of everything the test made, to compare before and after
snapshot() {
	{
		docker ps -a --format '{{.Names}} {{.Image}}' --filter "name=$APP" | sort
		docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}' | grep -E "$APP" | sort
		docker images -q --filter dangling=true --filter "label=nextdeploy.app=$APP" | sort
		docker volume ls -q | grep -E "$APP" | sort
		docker network ls --format '{{.Name}}' | grep -E "$APP" | sort
	} >"$1"
}

decoys_intact() {
	docker container inspect "$APP-decoy" >/dev/null &&
	docker container inspect "$APP-nomanaged" >/dev/null &&
	docker container inspect "$APP-keeper" >/dev/null &&
	docker container inspect "$APP-manual" >/dev/null &&
	docker image inspect "$APP-decoy:1" >/dev/null &&
	docker volume inspect "$APP-decoy" >/dev/null &&
	docker network inspect "$APP-decoy" >/dev/null
}

cleanup_all() {
	docker rm -f "$APP-decoy" "$APP-nomanaged" "$APP-keeper" "$APP-manual" >/dev/null 2>&1
	docker rmi -f "$APP-decoy:1" >/dev/null 2>&1
	docker volume rm -f "$APP-decoy" >/dev/null 2>&1
	docker network rm "$APP-decoy" >/dev/null 2>&1
	nd_cleanup_app "$APP"
	nd_cleanup_app "$OTHER"
}

test_expect_success 'setup: releases r1..r5, live r3, a stopped r2, a dangling image, decoys, another app' '
	for r in r1 r2; do img "$APP" $r && sleep 1.1 || return 1; done &&
	date +%s >t_mid && sleep 1.1 &&
	for r in r3 r4 r5; do img "$APP" $r && sleep 1.1 || return 1; done &&
	# the live release: a running container of r3, with a labeled volume
	docker volume create $(labels "$APP" web r3 | cut -d" " -f1-4) "nd-$APP-data" >/dev/null &&
	docker run -d --name "nd-$APP-web-r3" $(labels "$APP" web r3) \
		-v "nd-$APP-data:/data" "$APP:r3" sleep 600 >/dev/null &&
	# a stopped release container of r2 (prune removes it, then r2)
	docker run --name "nd-$APP-web-r2" $(labels "$APP" web r2) "$APP:r2" true &&
	# the project network and an unused labeled volume
	docker network create $(labels "$APP" web x | cut -d" " -f1-4) "nd-$APP" >/dev/null &&
	docker volume create $(labels "$APP" web x | cut -d" " -f1-4) "nd-$APP-cache" >/dev/null &&
	# r5 rebuilt: the first r5 image is left dangling (with the labels)
	docker image inspect -f "{{.Id}}" "$APP:r5" >dangling_id &&
	img "$APP" r5 &&
	# decoys: no labels at all
	mkdir -p decoy && printf "FROM %s\nCOPY f /f\n" "$ND_TEST_BUSYBOX" >decoy/Dockerfile &&
	echo decoy >decoy/f && docker build -q -t "$APP-decoy:1" decoy >/dev/null 2>&1 &&
	docker run --name "$APP-decoy" "$APP-decoy:1" true &&
	# a stopped container of r1 that opted out (a container inherits its
	# image'"'"'s labels; managed=false makes it not ours): r1 is in use
	docker run --name "$APP-keeper" --label nextdeploy.managed=false "$APP:r1" true &&
	# r1 run by hand: the container inherits all the labels of the image,
	# but nextdeploy did not make it (not named nd-APP-...)
	docker run --name "$APP-manual" "$APP:r1" true &&
	docker inspect -f "{{index .Config.Labels \"nextdeploy.managed\"}}" "$APP-manual" >inherited &&
	echo true >want && test_cmp want inherited &&
	docker volume create "$APP-decoy" >/dev/null &&
	docker network create "$APP-decoy" >/dev/null &&
	# the app label without managed=true: not ours either
	docker run --name "$APP-nomanaged" --label "nextdeploy.app=$APP" "$ND_TEST_BUSYBOX" true &&
	# another app: two releases, a stopped container, a network
	img "$OTHER" b1 && sleep 1.1 && img "$OTHER" b2 &&
	docker run --name "nd-$OTHER-web-b1" $(labels "$OTHER" web b1) "$OTHER:b1" true &&
	docker network create $(labels "$OTHER" web x | cut -d" " -f1-4) "nd-$OTHER" >/dev/null &&
	nd_app_init
'

test_expect_success 'prune --dry-run lists and removes nothing' '
	snapshot before &&
	nd prune --dry-run --keep 2 >out &&
	snapshot after &&
	test_cmp before after &&
	test_grep "^WOULD REMOVE +NAME +ID +REASON +SIZE$" out &&
	test_grep "^container +nd-$APP-web-r2 +[0-9a-f]{12} +exited +[0-9.]+[kMG]?B$" out &&
	test_grep "^image +$APP:r2 +[0-9a-f]{12} +old release r2 +[0-9.]+[kMG]?B$" out &&
	test_grep "^network +nd-$APP +[0-9a-f]{12} +unused" out &&
	test_grep "^Space that would be reclaimed: [0-9.]+[kMG]?B$" out &&
	test_grep -v "decoy|nomanaged|keeper|manual|$OTHER" out &&
	# kept: the 2 newest (r5, r4), live r3, r1 (a stopped container uses
	# it), the recent dangling image; volumes need --volumes
	test_grep -v "$APP:r[1345] |<none>|volume" out
'

test_expect_success 'prune --dry-run --json: removed and kept with reasons' '
	nd prune --dry-run --keep 2 --json >out.json &&
	json_get out.json "d[\"dry_run\"]" >v && echo true >want && test_cmp want v &&
	json_get out.json "sorted(i[\"type\"] + \" \" + i[\"name\"] for i in d[\"removed\"])" >removed &&
	echo "[\"container nd-$APP-web-r2\", \"image $APP:r2\", \"network nd-$APP\"]" >want &&
	test_cmp want removed &&
	json_get out.json "sorted(i[\"name\"] + \" \" + i[\"reason\"] for i in d[\"kept\"])" >kept &&
	echo "[\"<none> dangling, younger than the safety margin\", \"$APP:r1 used by a container\", \"$APP:r3 live release\", \"$APP:r4 recent release\", \"$APP:r5 recent release\"]" >want &&
	test_cmp want kept &&
	json_get out.json "sorted(d[\"removed\"][0].keys())" >keys &&
	echo "[\"app\", \"id\", \"name\", \"reason\", \"release\", \"size\", \"tags\", \"type\"]" >want &&
	test_cmp want keys
'

test_expect_success 'prune --until: only what was created before' '
	nd prune --dry-run --keep 0 --until "$(cat t_mid)" --json >out.json &&
	json_get out.json "sorted(i[\"name\"] for i in d[\"removed\"])" >removed &&
	echo "[]" >want && test_cmp want removed &&
	json_get out.json "sorted(i[\"name\"] + \" \" + i[\"reason\"] for i in d[\"kept\"] if \"until\" in i[\"reason\"])" >kept &&
	echo "[\"$APP:r4 newer than --until\", \"$APP:r5 newer than --until\"]" >want &&
	test_cmp want kept &&
	test_expect_code 2 nd prune --until "not a time" 2>err &&
	test_grep "invalid --until value" err
'

test_expect_success 'prune --keep 2: removes the stopped container, r2 and the network' '
	nd prune --keep 2 >out &&
	test_grep "^REMOVED +NAME" out &&
	test_grep "^Total reclaimed space: [0-9.]+[kMG]?B$" out &&
	test_must_fail docker container inspect "nd-$APP-web-r2" >/dev/null 2>&1 &&
	test_must_fail docker image inspect "$APP:r2" >/dev/null 2>&1 &&
	test_must_fail docker network inspect "nd-$APP" >/dev/null 2>&1 &&
	for r in r1 r3 r4 r5; do docker image inspect "$APP:$r" >/dev/null || return 1; done &&
	docker image inspect "$(cat dangling_id)" >/dev/null &&
	docker volume inspect "nd-$APP-cache" >/dev/null &&
	decoys_intact &&
	docker image inspect "$OTHER:b1" >/dev/null &&
	docker container inspect "nd-$OTHER-web-b1" >/dev/null &&
	docker network inspect "nd-$OTHER" >/dev/null
'

test_expect_success 'prune again: nothing left to do at --keep 2' '
	nd prune --keep 2 --json >out.json &&
	json_get out.json "[len(d[\"removed\"]), d[\"space_reclaimed\"], d[\"failed\"]]" >v &&
	echo "[0, 0, []]" >want && test_cmp want v
'

test_expect_success 'prune --min-age 0s removes the dangling build image' '
	nd prune --keep 2 --min-age 0s --json >out.json &&
	json_get out.json "[(i[\"name\"], i[\"reason\"], i[\"id\"]) for i in d[\"removed\"]]" >v &&
	echo "[[\"<none>\", \"dangling\", \"$(cat dangling_id)\"]]" >want && test_cmp want v &&
	test_must_fail docker image inspect "$(cat dangling_id)" >/dev/null 2>&1 &&
	test_expect_code 2 nd prune --min-age soon 2>err &&
	test_grep "invalid --min-age value" err
'

test_expect_success 'prune --volumes: the unused labeled volume only' '
	nd prune --keep 2 --volumes >out &&
	test_grep "^volume +nd-$APP-cache +- +unused" out &&
	test_must_fail docker volume inspect "nd-$APP-cache" >/dev/null 2>&1 &&
	docker volume inspect "nd-$APP-data" >/dev/null &&
	decoys_intact
'

test_expect_success 'prune --keep 0: only the live release and the used one stay' '
	nd prune --keep 0 >out &&
	test_grep "^image +$APP:r4 " out &&
	test_grep "^image +$APP:r5 " out &&
	docker image inspect "$APP:r3" >/dev/null &&
	docker image inspect "$APP:r1" >/dev/null &&
	decoys_intact
'

# The engine is shared with other tests: a real --all would prune their
# objects too, so --all is checked as a dry run (the same decision).
test_expect_success 'prune --all --dry-run: the other app too, never a decoy' '
	nd prune --all --dry-run --keep 1 --json >out.json &&
	json_get out.json "sorted(i[\"type\"] + \" \" + i[\"name\"] for i in d[\"removed\"] if i[\"app\"] == \"$OTHER\")" >other &&
	echo "[\"container nd-$OTHER-web-b1\", \"image $OTHER:b1\", \"network nd-$OTHER\"]" >want &&
	test_cmp want other &&
	json_get out.json "[i for i in d[\"removed\"] if i[\"name\"] in (\"$APP-decoy\", \"$APP-decoy:1\", \"$APP-nomanaged\", \"$APP-keeper\", \"$APP-manual\")]" >bad &&
	echo "[]" >want && test_cmp want bad &&
	json_get out.json "all(i[\"app\"] for i in d[\"removed\"])" >v &&
	echo true >want && test_cmp want v &&
	decoys_intact
'

test_expect_success 'prune --all needs no project; without it a project is required' '
	empty=$(mktemp -d) &&
	test_when_finished "rm -rf \"$empty\"" &&
	(cd "$empty" && nd prune --all --dry-run --json) >all.json &&
	json_get all.json "d[\"dry_run\"]" >v && echo true >want && test_cmp want v &&
	(cd "$empty" && test_expect_code 2 nd prune) 2>err &&
	test_grep "no nextdeploy.yml" err &&
	test_expect_code 2 nd prune --keep=-1 2>err &&
	test_grep "keep" err
'

test_expect_success 'the decoys were never touched' '
	decoys_intact &&
	docker container inspect -f "{{.State.Status}}" "nd-$APP-web-r3" >st &&
	echo running >want && test_cmp want st
'

test_expect_success 'cleanup' '
	cleanup_all
'

test_done
