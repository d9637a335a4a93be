# shellcheck shell=bash
# A private `podman system service` for tests (TESTBED.md §1): all state under
# one folder, cgroupfs and file events (no systemd here), and default ulimits
# within this sandbox's hard limits (CAP_SYS_RESOURCE is dropped, so Podman's
# default nofile/nproc of 1048576 cannot be set).
#
#   podman_start        sets PODMAN_SOCK; starts the service
#   pm ARGS...          the podman CLI on the same state (tests only; it
#                       cannot start containers here: its runc gets rlimit
#                       errors that the service does not — start them through
#                       the service, e.g. docker -H unix://$PODMAN_SOCK run)
#   podman_stop

PODMAN_DIR=/tmp/ndt-podman-$$
PODMAN_SOCK=$PODMAN_DIR/podman.sock

pm() {
	CONTAINERS_CONF=$PODMAN_DIR/containers.conf TMPDIR=$PODMAN_DIR/tmp \
	podman --root "$PODMAN_DIR/root" --runroot "$PODMAN_DIR/run" \
		--tmpdir "$PODMAN_DIR/tmp" --network-config-dir "$PODMAN_DIR/net" \
		--cgroup-manager cgroupfs --events-backend file "$@"
}

podman_start() {
	local i
	mkdir -p "$PODMAN_DIR/tmp" "$PODMAN_DIR/net"
	cat >"$PODMAN_DIR/containers.conf" <<-EOF
	[containers]
	default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$(( $(ulimit -Hu) < 32768 ? $(ulimit -Hu) : 32768 )):$(( $(ulimit -Hu) < 32768 ? $(ulimit -Hu) : 32768 ))"]
	EOF
	# the service's cwd must hold no Dockerfile (Podman issue #12054)
	# (cd, then a simple command: "a && b &" would background a subshell,
	# and $! would not be podman's pid)
	(cd "$PODMAN_DIR" || exit 1
		nohup env CONTAINERS_CONF="$PODMAN_DIR/containers.conf" \
		TMPDIR="$PODMAN_DIR/tmp" podman --root "$PODMAN_DIR/root" \
		--runroot "$PODMAN_DIR/run" --tmpdir "$PODMAN_DIR/tmp" \
		--network-config-dir "$PODMAN_DIR/net" --cgroup-manager cgroupfs \
		--events-backend file system service --time=0 "unix://$PODMAN_SOCK" \
		>"$PODMAN_DIR/service.log" 2>&1 &
		echo $! >"$PODMAN_DIR/pid")
	for i in $(seq 1 100); do
		curl -s --max-time 2 --unix-socket "$PODMAN_SOCK" http://d/_ping 2>/dev/null | grep -q OK && return 0
		sleep 0.1
	done
	tail -20 "$PODMAN_DIR/service.log" >&2
	return 1
}

podman_stop() {
	[ -d "$PODMAN_DIR" ] || return 0
	pm rm -af -t 0 >/dev/null 2>&1
	if [ -f "$PODMAN_DIR/pid" ] && kill "$(cat "$PODMAN_DIR/pid")" 2>/dev/null; then
		for _ in $(seq 1 50); do
			kill -0 "$(cat "$PODMAN_DIR/pid")" 2>/dev/null || break
			sleep 0.1
		done
	fi
	# every mount under the folder, deepest first (root/overlay is one,
	# and root itself is not a mount point)
	awk -v d="$PODMAN_DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts |
		sort -r | while read -r m; do umount "$m" 2>/dev/null; done
	rm -rf "$PODMAN_DIR" 2>/dev/null
	return 0
}
