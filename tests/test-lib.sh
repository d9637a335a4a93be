# shellcheck shell=bash
# End-to-end test library, in the shape of git's t/test-lib.sh.
#
#   . "$(dirname "$0")/test-lib.sh"
#   test_expect_success 'ps lists the app' '
#       nd_app_init &&
#       nd ps >out &&
#       test_grep NAME out
#   '
#   test_done
#
# Each test script runs in its own trash folder (tests/trash/<script>), with
# its own app-name prefix ($APP, unique per run) so engine objects never
# collide; test_when_finished registers cleanup that runs even when the
# test fails. Never pipe nextdeploy's output in a test (a crash would be
# hidden): redirect to a file and inspect the file.
#
# Helpers:
#   nd ARGS...                run the binary (fails the test on a crash)
#   test_expect_success DESC BODY
#   test_expect_failure DESC BODY   (known breakage; does not count)
#   test_expect_code N CMD...   CMD must exit with N
#   test_must_fail CMD...       CMD must exit 1..125 (not a crash)
#   test_cmp EXPECTED ACTUAL    files equal (diff shown otherwise)
#   test_grep [-v] [-e] PATTERN FILE
#   test_when_finished CMD      cleanup after the current test
#   test_skip_all REASON        skip the whole script
#   nd_cleanup_app APP          remove every engine object labeled for APP
#   nd_wait_for SECONDS CMD...  poll CMD until it succeeds
#   json_get FILE EXPR          python3 -c json query (EXPR uses `d`)

set -u
TEST_NAME=$(basename "$0" .sh)
TEST_ROOT=$(cd "$(dirname "$0")" && pwd)
SRC_ROOT=$(cd "$TEST_ROOT/.." && pwd)
: "${NEXTDEPLOY_BIN:=$SRC_ROOT/nextdeploy}"
ND_BIN=$NEXTDEPLOY_BIN
TRASH=$TEST_ROOT/trash/$TEST_NAME
rm -rf "$TRASH"
mkdir -p "$TRASH"
cd "$TRASH" || exit 1

# a short, unique, valid app-name prefix for this run of this script
APP="ndt$(echo "$TEST_NAME" | sed -E 's/^t([0-9]+).*/\1/')-$$"
export APP

# deterministic environment
export NO_COLOR=1 LC_ALL=C.UTF-8 TZ=UTC
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_TLS
unset NEXTDEPLOY_TRACE CI_COLOR
export HOME=$TRASH/home
mkdir -p "$HOME"

test_count=0
test_failures=0
test_fixed=0
test_broken=0
test_cleanup=
ND_LAST_RC=0

say() { printf '%s\n' "$*"; }

# the binary, with crash detection: signals and sanitizer reports fail
nd() {
	local rc errf
	errf=$(mktemp "$TRASH/.nd-stderr.XXXXXX")
	if [ -n "${ND_VALGRIND:-}" ]; then
		valgrind -q --error-exitcode=126 --leak-check=full \
			--errors-for-leak-kinds=definite --trace-children=no \
			--suppressions="$SRC_ROOT/tests/sanitize/valgrind.supp" \
			"$ND_BIN" "$@" 2>"$errf"
	else
		"$ND_BIN" "$@" 2>"$errf"
	fi
	rc=$?
	ND_LAST_RC=$rc
	cat "$errf" >&2
	if grep -qE '^(==[0-9]+==ERROR: |SUMMARY: (Address|Undefined|Leak)Sanitizer|.*runtime error: |==[0-9]+== (Invalid|Conditional|Use of|Mismatched|Syscall param|Source and destination))' "$errf" 2>/dev/null; then
		say "# sanitizer/valgrind report from: nextdeploy $*" >&2
		echo "ND_CRASH" >>"$TRASH/.crashes"
	fi
	case $rc in
	132 | 133 | 134 | 135 | 136 | 137 | 139)
		# 130 (SIGINT) and 143 (SIGTERM) can be intended; these never are
		say "# nextdeploy $* died with status $rc" >&2
		echo "ND_CRASH" >>"$TRASH/.crashes"
		;;
	esac
	rm -f "$errf"
	return $rc
}

test_when_finished() {
	test_cleanup="{ $*
	} && (exit \"\$eval_ret\"); eval_ret=\$?; $test_cleanup"
}

# a function, so that test bodies can "return 1" from loops (as in git)
test_eval_() {
	eval "$1"
}

test_run_() {
	test_cleanup=:
	rm -f "$TRASH/.crashes"
	(
		cd "$TRASH" || exit 1
		eval_ret=0
		test_eval_ "$1"
		eval_ret=$?
		eval "$test_cleanup"
		exit $eval_ret
	) </dev/null
	local rc=$?
	if [ -s "$TRASH/.crashes" ]; then
		return 1
	fi
	return $rc
}

test_expect_success() {
	local desc=$1 body=$2
	test_count=$((test_count + 1))
	say "# --- $desc" >&2
	if test_run_ "$body"; then
		say "ok $test_count - $desc"
	else
		test_failures=$((test_failures + 1))
		say "not ok $test_count - $desc"
		printf '%s\n' "$body" | sed 's/^/#\t/'
	fi
}

test_expect_failure() {
	local desc=$1 body=$2
	test_count=$((test_count + 1))
	if test_run_ "$body"; then
		test_fixed=$((test_fixed + 1))
		say "ok $test_count - $desc # TODO known breakage vanished"
	else
		test_broken=$((test_broken + 1))
		say "not ok $test_count - $desc # TODO known breakage"
	fi
}

test_skip_all() {
	say "1..0 # SKIP $*"
	exit 0
}

test_done() {
	say "1..$test_count"
	if [ "$test_failures" -gt 0 ]; then
		say "# failed $test_failures of $test_count"
		exit 1
	fi
	exit 0
}

test_expect_code() {
	local want=$1
	shift
	"$@"
	local got=$?
	if [ "$got" != "$want" ]; then
		say "# test_expect_code: command exited $got, wanted $want: $*" >&2
		return 1
	fi
	return 0
}

test_must_fail() {
	"$@"
	local got=$?
	if [ "$got" -eq 0 ]; then
		say "# test_must_fail: command succeeded: $*" >&2
		return 1
	fi
	if [ "$got" -gt 125 ] && [ "$got" -ne 130 ]; then
		say "# test_must_fail: command died ($got): $*" >&2
		return 1
	fi
	return 0
}

test_cmp() {
	if ! cmp -s "$1" "$2"; then
		diff -u "$1" "$2" >&2
		return 1
	fi
}

test_grep() {
	local neg=
	if [ "$1" = -v ]; then
		neg=1
		shift
	fi
	[ "$1" = -e ] && shift
	local pat=$1 file=$2
	if [ -n "$neg" ]; then
		if grep -qE -- "$pat" "$file"; then
			say "# test_grep: '$pat' unexpectedly found in $file:" >&2
			grep -nE -- "$pat" "$file" | head -5 >&2
			return 1
		fi
	else
		if ! grep -qE -- "$pat" "$file"; then
			say "# test_grep: '$pat' not found in $file:" >&2
			head -40 "$file" >&2
			return 1
		fi
	fi
}

json_get() {
	python3 - "$1" "$2" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
r = eval(sys.argv[2], {"d": d, "len": len, "any": any, "all": all, "sorted": sorted})
print(r if not isinstance(r, (dict, list, bool)) else json.dumps(r))
PY
}

nd_wait_for() {
	local secs=$1 i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -gt $((secs * 5)) ] && return 1
		sleep 0.2
	done
}

# Remove every engine object labeled for an app (tests only use the docker CLI
# to set up and inspect; the product never does).
nd_cleanup_app() {
	local app=$1
	docker ps -aq --filter "label=nextdeploy.app=$app" | xargs -r docker rm -f >/dev/null 2>&1
	docker images -q --filter "label=nextdeploy.app=$app" | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
	docker volume ls -q --filter "label=nextdeploy.app=$app" | xargs -r docker volume rm -f >/dev/null 2>&1
	docker network ls -q --filter "label=nextdeploy.app=$app" | xargs -r docker network rm >/dev/null 2>&1
	return 0
}

# Write a minimal project: nd_app_init [APPNAME] (default $APP), extra YAML on stdin if given
nd_app_init() {
	local name=${1:-$APP}
	printf 'app: %s\n' "$name" >nextdeploy.yml
	if [ ! -t 0 ]; then cat >>nextdeploy.yml; fi
}

engine_ok() {
	curl -s --max-time 5 --unix-socket /var/run/docker.sock http://d/_ping 2>/dev/null | grep -q OK
}

# The offline images made by tests/setup/images.sh
ND_TEST_DEBIAN=nd-test/debian:bookworm
ND_TEST_BUSYBOX=nd-test/busybox:latest
ND_TEST_NODE=nd-test/node:18
ND_TEST_PYTHON=nd-test/python:3.11
ND_TEST_GO=nd-test/go:1.19
ND_TEST_CADDY=nd-test/caddy:2
