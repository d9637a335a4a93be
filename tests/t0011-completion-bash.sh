#!/usr/bin/env bash
# completion bash: the real completion function driven through COMP_WORDS /
# COMP_CWORD / COMP_LINE, with service names and release tags from a real
# engine. Options and choices are checked against the command table.
. "$(dirname "$0")/test-lib.sh"

SCRIPT=$SRC_ROOT/completions/nextdeploy.bash
test -f "$SCRIPT" || test_skip_all "no $SCRIPT (make docs)"
nd __docs table >"$TRASH/table.json" || test_skip_all "no __docs table"

# `nextdeploy` on PATH is the binary under test (the script runs
# ${COMP_WORDS[0]} for service names and release tags)
mkdir -p "$TRASH/bin"
ln -sf "$ND_BIN" "$TRASH/bin/nextdeploy"
export PATH="$TRASH/bin:$PATH"

# shellcheck source=/dev/null
. "$SCRIPT"

# comp WORD... : complete the last word; the candidates go to ./out, sorted
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_nextdeploy nextdeploy "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>comp.err || return 1
	test ! -s comp.err || { cat comp.err >&2; return 1; }
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort >out
}

# the expected words, one per line, sorted, into ./want
want() { printf '%s\n' "$@" | sed '/^$/d' | sort >want; }

# py EXPR: evaluate over the table (t) and print lines
py() {
	python3 - "$TRASH/table.json" "$1" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
def words(opts):
    r = []
    for o in opts:
        if o["hidden"]:
            continue
        if "short" in o: r.append("-" + o["short"])
        if "long" in o: r.append("--" + o["long"])
    return r
def cmd(path):
    return [c for c in t["commands"] if c["path"] == path][0]
def after(path):
    own = cmd(path)["options"]
    names = set(words(own))
    return words(own) + [w for o in t["global_options"] if not o["hidden"]
                         for w in words([o]) if not (set(words([o])) & names)]
for line in eval(sys.argv[2]):
    print(line)
PY
}

test_expect_success 'bash -n accepts the script; it defines the function' '
	bash -n "$SCRIPT" &&
	complete -p nextdeploy >spec &&
	test_grep "_nextdeploy nextdeploy" spec
'

test_expect_success 'nd completion bash prints a script that loads on its own' '
	nd completion bash >c.bash &&
	bash --norc -c ". ./c.bash && complete -p nextdeploy" >spec &&
	test_grep "_nextdeploy nextdeploy" spec &&
	test_expect_code 2 nd completion tcsh 2>err &&
	test_grep "^error: unknown shell .tcsh." err
'

test_expect_success 'the first word completes to the visible commands' '
	comp nextdeploy "" &&
	py "[c[\"path\"] for c in t[\"commands\"] if \" \" not in c[\"path\"]]" >want &&
	sort -o want want &&
	test_cmp want out &&
	test_grep -v "^__" out
'

test_expect_success 'nextdeploy lo<TAB> -> local logs' '
	comp nextdeploy lo &&
	want local logs && test_cmp want out &&
	comp nextdeploy bui && want build && test_cmp want out
'

test_expect_success 'global options before the command' '
	comp nextdeploy - &&
	py "words(t[\"global_options\"])" | sort >want &&
	test_cmp want out
'

test_expect_success 'every command offers its options and the global ones' '
	py "[c[\"path\"] for c in t[\"commands\"]]" >paths &&
	while read -r p; do
		comp nextdeploy $p - &&
		py "after(\"$p\")" | sort >want &&
		test_cmp want out || { echo "# nextdeploy $p -<TAB>" >&2; return 1; }
	done <paths
'

test_expect_success 'global options also complete after other options' '
	comp nextdeploy --json ps --a && want --all && test_cmp want out &&
	comp nextdeploy -H unix:///x.sock ver && want version && test_cmp want out
'

test_expect_success 'choice values of options and arguments come from the table' '
	py "[c[\"path\"] + \"|\" + (\"--\" + o[\"long\"] if \"long\" in o else \"-\" + o[\"short\"]) + \"|\" + \" \".join(o[\"choices\"]) for c in t[\"commands\"] for o in c[\"options\"] if o[\"kind\"] == \"choice\" and not o[\"hidden\"]]" >opt-choices &&
	while IFS="|" read -r p o ch; do
		comp nextdeploy $p $o "" && want $ch && test_cmp want out || return 1
	done <opt-choices &&
	py "[c[\"path\"] + \"|\" + \" \".join(c[\"args\"][0][\"choices\"]) for c in t[\"commands\"] if c[\"args\"] and c[\"args\"][0][\"kind\"] == \"choice\"]" >arg-choices &&
	test_grep "^completion\\|bash zsh fish\$" arg-choices &&
	while IFS="|" read -r p ch; do
		comp nextdeploy $p "" && want $ch && test_cmp want out || return 1
	done <arg-choices &&
	comp nextdeploy completion z && want zsh && test_cmp want out
'

test_expect_success 'subcommands: local <TAB>, help local <TAB>, help <TAB>' '
	comp nextdeploy local "" && want run && test_cmp want out &&
	comp nextdeploy help local "" && want run && test_cmp want out &&
	comp nextdeploy help "" && test_grep "^build\$" out && test_grep "^local\$" out &&
	comp nextdeploy local run --n && py "[w for w in after(\"local run\") if w.startswith(\"--n\")]" | sort >want &&
	test_cmp want out
'

test_expect_success 'files for -f/--file, folders for -C' '
	mkdir -p proj/sub && : >proj/app.yml && : >proj/apex.txt &&
	cd proj &&
	comp nextdeploy -f ap && want apex.txt app.yml && test_cmp want out &&
	comp nextdeploy --file ap && test_cmp want out &&
	comp nextdeploy --file = ap && test_cmp want out &&
	comp nextdeploy ps -f ap && want apex.txt app.yml && test_cmp want out &&
	comp nextdeploy -C "" && want sub && test_cmp want out
'

test_expect_success '--file=VALUE in one word (COMP_WORDBREAKS without =)' '
	mkdir -p w && : >w/nd.yml && cd w &&
	comp nextdeploy --file=n && want --file=nd.yml && test_cmp want out
'

mk() { # mk NAME SERVICE RELEASE
	docker run -d --name "$1" \
		--label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
		--label "nextdeploy.service=$2" --label "nextdeploy.release=$3" \
		"$ND_TEST_BUSYBOX" sleep 300 >/dev/null
}

mkimage() { # mkimage RELEASE: a labeled image (docker build; the CLI is test-only)
	printf "FROM %s\nLABEL nextdeploy.release=%s\n" "$ND_TEST_BUSYBOX" "$1" |
		docker build -q --label nextdeploy.managed=true --label "nextdeploy.app=$APP" \
			--label "nextdeploy.service=web" -t "nd-$APP:$1" - >/dev/null 2>&1
}

if engine_ok && docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1; then
	ENGINE=1
else
	ENGINE=
	say "# skipping the engine tests: no engine or no $ND_TEST_BUSYBOX" >&2
fi

if [ -n "$ENGINE" ]; then
test_expect_success 'setup: containers of two services, three releases' '
	mk "nd-$APP-api-r1" api r1 &&
	mk "nd-$APP-worker-r1" worker r1 &&
	docker run -d --name "$APP-decoy" --label nextdeploy.managed=true \
		--label "nextdeploy.app=other-$APP" --label nextdeploy.service=decoy \
		"$ND_TEST_BUSYBOX" sleep 300 >/dev/null &&
	mkimage r1 && sleep 1.1 && mkimage r2 && sleep 1.1 && mkimage r3 &&
	mkdir -p app && (cd app && nd_app_init)
'

test_expect_success 'service names come from the engine (plus web)' '
	cd app &&
	nd __complete services >svc 2>err && test ! -s err &&
	want api web worker && test_cmp want svc &&
	py "[c[\"path\"] for c in t[\"commands\"] if c[\"args\"] and c[\"args\"][0][\"kind\"] == \"service\"]" >svc-paths &&
	test_grep "^ps\$" svc-paths &&
	while read -r p; do
		comp nextdeploy $p "" && want api web worker && test_cmp want out || return 1
	done <svc-paths &&
	comp nextdeploy ps w && want web worker && test_cmp want out
'

test_expect_success 'the project is found through -f and -C given on the line' '
	comp nextdeploy -f app/nextdeploy.yml ps "" && want api web worker && test_cmp want out &&
	comp nextdeploy -C app ps a && want api && test_cmp want out
'

test_expect_success 'release tags come from the images, newest first' '
	cd app &&
	nd __complete releases >rel 2>err && test ! -s err &&
	printf "r3\nr2\nr1\n" >want && test_cmp want rel &&
	py "[c[\"path\"] + \"|\" + str(i) for c in t[\"commands\"] for i, a in enumerate(c[\"args\"]) if a[\"kind\"] == \"release\"]" >rel-paths &&
	while IFS="|" read -r p i; do
		test "$i" = 0 || continue
		comp nextdeploy $p "" && want r1 r2 r3 && test_cmp want out || return 1
	done <rel-paths &&
	cur=r COMPREPLY=() && COMP_WORDS=(nextdeploy) && _nextdeploy_values release &&
	printf "%s\n" "${COMPREPLY[@]}" >out && printf "r3\nr2\nr1\n" >want && test_cmp want out
'
fi

test_expect_success 'no project or no engine: quiet and fast, never an error' '
	mkdir -p none && cd none &&
	start=$(date +%s) &&
	nd __complete services >out 2>err && test ! -s out && test ! -s err &&
	cd .. && mkdir -p far && (cd far && nd_app_init) &&
	nd -C far -H unix:///nonexistent.sock __complete services >out 2>err &&
	test ! -s err && want web && test_cmp want out &&
	nd -C far -H ssh://nobody@203.0.113.1 __complete releases >out 2>err &&
	test ! -s out && test ! -s err &&
	test $(($(date +%s) - start)) -le 4
'

test_expect_success 'options end at the first argument where the command says so' '
	py "[c[\"path\"] for c in t[\"commands\"] if c[\"flags\"][\"stop_at_arg\"]]" >stop-paths &&
	while read -r p; do
		comp nextdeploy $p -- "" >/dev/null &&
		comp nextdeploy $p web - && want && test_cmp want out || return 1
	done <stop-paths
'

if [ -n "$ENGINE" ]; then
test_expect_success 'cleanup' '
	docker rm -f "$APP-decoy" >/dev/null &&
	nd_cleanup_app "$APP" &&
	cd app && nd __complete releases >out && test ! -s out
'
fi

test_done
