#!/usr/bin/env bash
# output conventions shared by every command: colors only on a terminal and
# never with NO_COLOR/--no-color/--json/TERM=dumb (a real pty via script),
# "error:"/"hint:" on stderr, --json is valid JSON for every command that
# has it, -q prints one ID per line.
. "$(dirname "$0")/test-lib.sh"

command -v script >/dev/null || test_skip_all "no script(1) (util-linux)"

ESC=$(printf '\033')

# on_tty ENV... -- ARGS...: run the binary on a pseudo-terminal (stdout and
# stderr both), NO_COLOR unset unless given; output in ./tty.out
on_tty() {
	local envs=() q=
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	printf -v q '%q ' "$ND_BIN" "$@"
	env -u NO_COLOR TERM=xterm "${envs[@]}" script -qec "$q" /dev/null >tty.out 2>&1 </dev/null
	local rc=$?
	case $rc in 132 | 133 | 134 | 135 | 136 | 137 | 139)
		say "# nextdeploy $* died ($rc)" >&2; return 1 ;;
	esac
	return 0
}

test_expect_success 'a terminal gets colors: the error prefix is red' '
	on_tty -- biuld &&
	test_grep "${ESC}\\[31merror:${ESC}\\[0m .biuld. is not a nextdeploy command" tty.out &&
	test_grep "${ESC}\\[36mhint:" tty.out
'

test_expect_success 'NO_COLOR, --no-color and TERM=dumb turn colors off on a terminal' '
	on_tty NO_COLOR=1 -- biuld && test_grep "^error: .biuld." tty.out && test_grep -v "$ESC" tty.out &&
	on_tty -- --no-color biuld && test_grep "^error: " tty.out && test_grep -v "$ESC" tty.out &&
	on_tty -- biuld --no-color && test_grep -v "$ESC" tty.out &&
	on_tty TERM=dumb -- biuld && test_grep "^error: " tty.out && test_grep -v "$ESC" tty.out
'

test_expect_success 'an empty NO_COLOR does not count' '
	on_tty NO_COLOR= -- biuld && test_grep "$ESC" tty.out
'

test_expect_success 'no colors when not on a terminal, even without NO_COLOR' '
	(unset NO_COLOR; TERM=xterm; export TERM; test_expect_code 2 nd biuld >out 2>err) &&
	test_grep "^error: " err && test_grep -v "$ESC" err &&
	(unset NO_COLOR; TERM=xterm nd help >out 2>&1) && test_grep -v "$ESC" out
'

test_expect_success 'help on a terminal and in a pipe are the same text' '
	nd help ps >plain.out &&
	on_tty -- help ps && tr -d "\\r" <tty.out >tty.txt &&
	test_cmp plain.out tty.txt
'

if ! engine_ok || ! docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1; then
	test_done
fi

setup_app() {
	if ! docker inspect "nd-$APP-web-r1" >/dev/null 2>&1; then
		docker run -d --name "nd-$APP-web-r1" \
			--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
			--label nextdeploy.service=web --label nextdeploy.release=r1 \
			"$ND_TEST_BUSYBOX" sh -c "echo ready; exec sleep 300" >/dev/null || return 1
	fi
	docker start "nd-$APP-web-r1" >/dev/null 2>&1
	docker image inspect "nd-$APP:r1" >/dev/null 2>&1 ||
		printf "FROM %s\n" "$ND_TEST_BUSYBOX" |
		docker build -q --label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
			--label nextdeploy.service=web --label nextdeploy.release=r1 \
			-t "nd-$APP:r1" - >/dev/null 2>&1
}

test_expect_success 'setup: a project with a running container and a release image' '
	mkdir -p app && cd app &&
	nd_app_init <<-EOF &&
	build:
	  base_image: $ND_TEST_BUSYBOX
	deploy:
	  port: 8080
	  proxy:
	    image: $ND_TEST_CADDY
	EOF
	printf "FROM %s\nCMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/etc\"]\n" "$ND_TEST_BUSYBOX" >Dockerfile &&
	setup_app
'

test_expect_success 'tables get colors only on a terminal' '
	cd app &&
	on_tty -- ps && test_grep "${ESC}\\[32mrunning" tty.out &&
	on_tty NO_COLOR=1 -- ps && test_grep "running" tty.out && test_grep -v "$ESC" tty.out &&
	on_tty -- --json ps && test_grep -v "$ESC" tty.out &&
	nd ps >out && test_grep -v "$ESC" out
'

# the commands flagged ND_HAS_JSON / ND_HAS_QUIET_IDS, with arguments for
# their required positionals: "path|arg arg"
nd __docs table >table.json
python3 - table.json <<'PY' >cmds
import json, sys
t = json.load(open(sys.argv[1]))
for c in t["commands"]:
    args = []
    for a in c["args"][:c["min_args"]]:
        args.append({"service": "web", "release": "r1",
                     "choice": (a.get("choices") or ["x"])[0]}.get(a["kind"], "x"))
    # streams that would run until interrupted get an end
    args += {"events": ["--since", "1m", "--until", "0s"],
             "stats": ["--no-stream"]}.get(c["path"], [])
    print("%s|%s|%d|%d" % (c["path"], " ".join(args), c["flags"]["json"],
                           c["flags"]["quiet_ids"]))
PY

# run_cmd OPTS PATH ARGS: run with a time limit (streams are cut after 15 s,
# by SIGINT as Ctrl-C would; then ./interrupted exists)
run_cmd() {
	local rc
	rm -f interrupted
	# shellcheck disable=SC2086
	timeout -s INT 15 "$ND_BIN" $1 $2 $3 >out 2>err </dev/null
	rc=$?
	case $rc in 124 | 130) : >interrupted ;; esac
	case $rc in 132 | 133 | 134 | 135 | 136 | 137 | 139)
		say "# nextdeploy $1 $2 $3 died ($rc)" >&2; return 2 ;;
	esac
	if grep -q "is not implemented yet" err; then
		say "# skipped: $2 is not implemented yet" >&2
		return 1
	fi
	return 0
}

test_expect_success '--json gives valid JSON for every command that has it' '
	cd app &&
	n=0 &&
	while IFS="|" read -r p args json quiet; do
		test "$json" = 1 || continue
		setup_app || return 1
		run_cmd --json "$p" "$args"; rc=$?
		test $rc = 2 && return 1
		test $rc = 1 && continue
		# a stream cut by the time limit may have had nothing to say yet
		test -f interrupted && ! test -s out && continue
		python3 -c "
import json, sys
s = open(\"out\").read()
if not s.strip():
    sys.exit(\"no output\")
try:
    json.loads(s)
except ValueError:
    for i, l in enumerate(s.splitlines()):
        if l.strip():
            json.loads(l)   # JSON lines: every line a document
" || { echo "# $p --json is not JSON:" >&2; head -20 out >&2; return 1; }
		test_grep -v "$ESC" out || return 1
		n=$((n + 1))
	done <../cmds &&
	echo "# $n commands checked" >&2 &&
	test $n -ge 3
'

test_expect_success '-q prints one ID per line for every command that lists objects' '
	cd app &&
	while IFS="|" read -r p args json quiet; do
		test "$quiet" = 1 || continue
		setup_app || return 1
		run_cmd -q "$p" "$args"; rc=$?
		test $rc = 2 && return 1
		test $rc = 1 && continue
		test -f interrupted && ! test -s out && continue
		test -s out || { echo "# $p -q printed nothing" >&2; return 1; }
		test_grep -v "[[:space:]]" out || return 1
	done <../cmds
'

test_expect_success 'errors: on stderr with an error: prefix, and as JSON with --json' '
	mkdir -p none && cd none &&
	test_expect_code 2 nd ps >out 2>err &&
	test ! -s out && test_grep "^error: " err &&
	test_expect_code 2 nd --json ps >out 2>err &&
	test_grep "^error: " err &&
	json_get out "d[\"error\"][\"code\"]" >code && test -s code
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP"
'

test_done
