# shellcheck shell=bash
# A private registry for the pull/push tests (TESTBED.md §2): Debian's
# docker-registry (distribution 2.8) with htpasswd (bcrypt) auth, on
# 127.0.0.1 at a free port, every file under the trash folder, stopped by
# its pid. dockerd treats 127.0.0.0/8 as an insecure (plain HTTP) registry
# without any configuration.
#
#   registry_available          docker-registry and htpasswd are installed
#   registry_start USER PASS    start it; sets REG (127.0.0.1:PORT), REG_DIR
#   registry_stop               stop it (call from a trap EXIT)
#   registry_auth USER PASS     base64 of USER:PASS (config.json's "auth")
#   registry_docker_login USER PASS
#                               a docker CLI config (in $REG_DIR/cli) logged
#                               in, for setting up with the docker CLI

registry_available() {
	command -v docker-registry >/dev/null 2>&1 && command -v htpasswd >/dev/null 2>&1
}

registry_auth() {
	printf '%s:%s' "$1" "$2" | base64 -w0
}

registry_start() {
	local user=$1 pass=$2 port try
	REG_DIR=$TRASH/registry
	mkdir -p "$REG_DIR/data"
	htpasswd -Bbc "$REG_DIR/htpasswd" "$user" "$pass" 2>/dev/null || return 1
	for try in 1 2 3; do
		port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		cat >"$REG_DIR/config.yml" <<-EOF
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: $REG_DIR/data
		  delete:
		    enabled: true
		http:
		  addr: 127.0.0.1:$port
		auth:
		  htpasswd:
		    realm: nd-test
		    path: $REG_DIR/htpasswd
		EOF
		docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 </dev/null &
		echo $! >"$REG_DIR/pid"
		REG=127.0.0.1:$port
		export REG REG_DIR
		for _ in $(seq 1 50); do
			if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REG/v2/" 2>/dev/null)" = 401 ]; then
				return 0
			fi
			kill -0 "$(cat "$REG_DIR/pid")" 2>/dev/null || break
			sleep 0.1
		done
		registry_stop
	done
	echo "# the registry did not start:" >&2
	tail -5 "$REG_DIR/log" >&2
	return 1
}

registry_stop() {
	local pid
	[ -f "${REG_DIR:-/nonexistent}/pid" ] || return 0
	pid=$(cat "$REG_DIR/pid")
	rm -f "$REG_DIR/pid"
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 30); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	return 0
}

registry_docker_login() {
	mkdir -p "$REG_DIR/cli"
	printf '%s' "$2" | docker --config "$REG_DIR/cli" login -u "$1" --password-stdin "$REG" >/dev/null 2>&1
}
