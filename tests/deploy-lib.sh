# shellcheck shell=bash
# Helpers for the deploy tests (t0040-t0059), sourced after test-lib.sh.
#
#   nd_mk_release APP REL KIND [--label K=V ...]
#	build the image APP:REL from tests/data/deploy/KIND, labeled as
#	`nextdeploy build` labels images (app, release, service, managed) plus
#	the extra labels given
#   nd_url_of FILE            the URL nextdeploy printed (stdout file)
#   nd_get URL                the body of a GET (curl, 3 s)
#   nd_lock_container APP     the name of the app's lock container

ND_DEPLOY_DATA=$SRC_ROOT/tests/data/deploy

nd_mk_release() {
	local app=$1 rel=$2 kind=$3
	shift 3
	DOCKER_BUILDKIT=0 docker build -q --build-arg "REL=$rel" \
		--label nextdeploy.managed=true --label "nextdeploy.app=$app" \
		--label "nextdeploy.release=$rel" --label nextdeploy.service=web \
		"$@" -t "$app:$rel" "$ND_DEPLOY_DATA/$kind" >/dev/null 2>"$TRASH/.build.err" || {
		cat "$TRASH/.build.err" >&2
		return 1
	}
}

nd_url_of() {
	grep -E '^https?://' "$1" | tail -n 1
}

nd_get() {
	curl -fsS --max-time 3 "$1"
}

# docker inspect -f FORMAT CONTAINER
nd_inspect() {
	docker inspect -f "$1" "$2"
}

# A proxy container reloads without resetting queued connections: on a
# kernel with tcp_migrate_req (5.14+) nextdeploy sets it in the proxy's
# network namespace (see bench/proxy-reload.sh); older kernels get nothing.
nd_check_proxy_sysctls() {
	local kv want=1
	kv=$(docker info --format '{{.KernelVersion}}') || return 1
	case $kv in
	[0-4].*|5.[0-9].*|5.1[0-3].*) want= ;;
	esac
	test "$(nd_inspect '{{index .HostConfig.Sysctls "net.ipv4.tcp_migrate_req"}}' "$1")" = "$want" || return 1
	test -z "$want" ||
	test "$(docker exec "$1" cat /proc/sys/net/ipv4/tcp_migrate_req)" = 1
}

# Whatever happens to the tests, remove the engine objects of the apps in
# ND_CLEANUP_APPS (default: $APP) when the script ends.
ND_CLEANUP_APPS=${ND_CLEANUP_APPS:-$APP}
nd_cleanup_all_() {
	local a
	for a in $ND_CLEANUP_APPS; do
		nd_cleanup_app "$a"
	done
}
trap nd_cleanup_all_ EXIT
