# shellcheck shell=bash
# Helpers for the local run tests (t0050-t0054), sourced after test-lib.sh.
#
#   lr_app DIR [YAML...]      a project in DIR: the test app of
#                             tests/data/local/web, app $APP, port 8080, a
#                             fast health check; extra YAML lines appended
#   lr_start DIR ARGS...      `nextdeploy -C DIR local run ARGS` in the
#                             background; stdout in lr.out, stderr in lr.err
#   lr_ready [SECS]           wait until it printed its URL; the URL in $URL
#   lr_stop SIGNAL WANT_RC    signal it, wait, check the exit status and that
#                             no sanitizer complained
#   lr_wait WANT_RC           wait for it to end by itself (30 s at most)
#   lr_left                   local containers and networks of $APP (names)

ND_LOCAL_DATA=$SRC_ROOT/tests/data/local

lr_app() {
	local dir=$1
	shift
	mkdir -p "$dir" &&
	cp "$ND_LOCAL_DATA/web/Dockerfile" "$ND_LOCAL_DATA/web/run.sh" "$dir/" &&
	{
		printf 'app: %s\n' "$APP"
		printf 'deploy:\n  port: 8080\n  stop_timeout: 5s\n'
		printf '  healthcheck: { path: /health, interval: 200ms }\n'
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$dir/nextdeploy.yml"
}

lr_start() {
	local dir=$1
	shift
	# the old files go first: the redirections below happen in the
	# background, after lr_ready may have looked
	rm -f lr.out lr.err
	: >lr.err
	"$ND_BIN" -C "$dir" local run "$@" >lr.out 2>lr.err &
	echo $! >lr.pid
}

lr_alive() { kill -0 "$(cat lr.pid)" 2>/dev/null; }

lr_ready() {
	local secs=${1:-60}
	nd_wait_for "$secs" grep -q " is ready at http" lr.err || {
		echo "# not ready:" >&2
		cat lr.err >&2
		return 1
	}
	URL=$(sed -n 's/.* is ready at \(http[^ ]*\).*/\1/p' lr.err | tail -n 1)
	test -n "$URL"
}

lr_check_rc_() {
	local rc=$1 want=$2
	if grep -qE '^(==[0-9]+==ERROR: |SUMMARY: (Address|Undefined|Leak)Sanitizer|.*runtime error: )' lr.err; then
		cat lr.err >&2
		return 1
	fi
	if [ "$rc" != "$want" ]; then
		echo "# exit status $rc, wanted $want" >&2
		cat lr.err >&2
		return 1
	fi
}

lr_stop() {
	local pid rc
	pid=$(cat lr.pid)
	kill -s "$1" "$pid" || return 1
	wait "$pid"
	rc=$?
	lr_check_rc_ "$rc" "$2"
}

lr_wait() {
	local pid rc i=0
	pid=$(cat lr.pid)
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 150 ]; then
			echo "# did not end by itself" >&2
			kill -9 "$pid"
			break
		fi
		sleep 0.2
	done
	wait "$pid"
	rc=$?
	lr_check_rc_ "$rc" "$1"
}

# never leave it running
lr_kill() { kill -9 "$(cat lr.pid 2>/dev/null)" 2>/dev/null; return 0; }

lr_left() {
	docker ps -a --filter "label=nextdeploy.app=$APP" --filter label=nextdeploy.local=true --format '{{.Names}}'
	docker network ls --filter "label=nextdeploy.app=$APP" --filter label=nextdeploy.local=true --format '{{.Name}}'
}

lr_cleanup_() { lr_kill; nd_cleanup_app "$APP"; }
trap lr_cleanup_ EXIT
