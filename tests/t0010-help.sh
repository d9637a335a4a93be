#!/usr/bin/env bash
# help, man pages and the checked-in generated files: contract tests over the
# whole command table (git t0012/t0450). Nothing here names one command's
# options: everything is read from `nextdeploy __docs table`, so the tests
# keep working as specs grow.
. "$(dirname "$0")/test-lib.sh"

command -v man >/dev/null || test_skip_all "no man (apt-get install man-db groff-base)"

# the command table as JSON, read once into files: paths (one per line),
# and per path its synopsis, man page name, flags and option words
nd __docs table >"$TRASH/table.json" || test_skip_all "no __docs table"
python3 - "$TRASH/table.json" "$TRASH/t" <<'PY' || test_skip_all "cannot read the table"
import json, os, sys
t = json.load(open(sys.argv[1]))
d = sys.argv[2]
os.makedirs(d, exist_ok=True)
def words(opts):
    return "\n".join(("--" + o["long"]) if "long" in o else ("-" + o["short"])
                     for o in opts if not o["hidden"])
open(d + "/paths", "w").write("".join(c["path"] + "\n" for c in t["commands"]))
open(d + "/global-opts", "w").write(words(t["global_options"]) + "\n")
for c in t["commands"]:
    k = d + "/" + c["path"].replace(" ", "_")
    os.makedirs(k, exist_ok=True)
    open(k + "/synopsis", "w").write(c["synopsis"] + "\n")
    open(k + "/man", "w").write(c["man"] + "\n")
    open(k + "/json", "w").write("1\n" if c["flags"]["json"] else "")
    open(k + "/subcommands", "w").write(" ".join(c["subcommands"]) + "\n")
    open(k + "/opts", "w").write(words(c["options"]) + "\n" if c["options"] else "")
PY
table() { # table paths | table field PATH FIELD | table opts PATH ('' = global)
	case $1 in
	paths) cat "$TRASH/t/paths" ;;
	field) cat "$TRASH/t/$(echo "$2" | tr " " _)/$3" ;;
	opts) if [ -z "$2" ]; then cat "$TRASH/t/global-opts"; else cat "$TRASH/t/$(echo "$2" | tr " " _)/opts"; fi ;;
	esac
}

man_text() { # man_text FILE WIDTH: the rendered page, plain text
	MANWIDTH=$2 MAN_KEEP_FORMATTING= man -l "$1" 2>/dev/null | col -bx
}

test_expect_success 'the table lists every command of the help overview' '
	nd help >overview &&
	table paths >paths &&
	test $(wc -l <paths) -ge 20 &&
	while read -r p; do
		case "$p" in *" "*) continue ;; esac
		test_grep "^  $p  " overview || return 1
	done <paths &&
	test_grep "^  local  " overview
'

test_expect_success 'hidden commands are not in help, completion or the man pages' '
	nd help >overview &&
	test_grep -v "__" overview &&
	for h in $(json_get table.json "\" \".join(d[\"hidden\"])"); do
		test ! -e "$SRC_ROOT/man/nextdeploy-$h.1" || return 1
	done
'

test_expect_success 'CMD -h works for every command with no project and no engine' '
	mkdir empty &&
	table paths >paths &&
	while read -r p; do
		syn=$(table field "$p" synopsis) &&
		(cd empty && nd -H unix:///nonexistent.sock $p -h >../h.out 2>../h.err) ||
			{ echo "# $p -h failed" >&2; return 1; }
		test ! -s h.err || { cat h.err >&2; return 1; }
		test "$(head -n1 h.out)" = "usage: $syn" ||
			{ echo "# $p: $(head -n1 h.out) != usage: $syn" >&2; return 1; }
		# --help and "help CMD" give the same text
		(cd empty && nd $p --help >../h2.out && nd help $p >../h3.out) &&
		test_cmp h.out h2.out && test_cmp h.out h3.out || return 1
	done <paths
'

test_expect_success 'help is readable at 80 columns' '
	table paths >paths &&
	nd help >all.out &&
	while read -r p; do nd help $p >>all.out || return 1; done <paths &&
	awk "length > 80 { print FILENAME \": \" \$0; bad = 1 } END { exit bad }" all.out
'

test_expect_success 'help lists every option of every command' '
	table paths >paths &&
	while read -r p; do
		nd help $p >h.out &&
		for o in $(table opts "$p") $(table opts ""); do
			grep -qe "$o\\b" h.out ||
				{ echo "# $p: $o missing from help" >&2; return 1; }
		done
	done <paths
'

test_expect_success 'every command has a man page whose SYNOPSIS is the -h usage' '
	table paths >paths &&
	while read -r p; do
		m=$SRC_ROOT/man/$(table field "$p" man).1 &&
		test -f "$m" || { echo "# no man page $m" >&2; return 1; }
		man_text "$m" 200 >page &&
		syn=$(sed -n "/^SYNOPSIS/,/^[A-Z]/p" page | sed "1d;\$d" | tr -s " \n" "  " | sed "s/^ *//;s/ *\$//") &&
		test "$syn" = "$(table field "$p" synopsis)" ||
			{ echo "# $m: SYNOPSIS \"$syn\"" >&2; return 1; }
	done <paths
'

test_expect_success 'every option, global option and exit code is in the man page' '
	table paths >paths &&
	while read -r p; do
		m=$SRC_ROOT/man/$(table field "$p" man).1 &&
		man_text "$m" 80 >page &&
		sed -n "/^OPTIONS/,/^GLOBAL OPTIONS/p" page >opts &&
		for o in $(table opts "$p"); do
			grep -qe "$o\\b" opts || { echo "# $m: no $o" >&2; return 1; }
		done &&
		sed -n "/^GLOBAL OPTIONS/,/^[A-Z]/p" page >gopts &&
		for o in $(table opts ""); do
			grep -qe "$o\\b" gopts || { echo "# $m: no global $o" >&2; return 1; }
		done &&
		for code in 0 1 2 3 130; do
			sed -n "/^EXIT STATUS/,/^[A-Z]/p" page | grep -q "^       $code " ||
				{ echo "# $m: no exit status $code" >&2; return 1; }
		done &&
		for v in DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_CONTEXT DOCKER_CONFIG NO_COLOR CI NEXTDEPLOY_TRACE; do
			sed -n "/^ENVIRONMENT/,/^[A-Z]/p" page | grep -q "^       $v" ||
				{ echo "# $m: no $v" >&2; return 1; }
		done &&
		if test -n "$(table field "$p" json)"; then
			test_grep "backward compatible" page || return 1
		fi
	done <paths
'

test_expect_success 'man renders every page without warnings (MANWIDTH=80 man --warnings -l)' '
	n=0 &&
	for m in "$SRC_ROOT"/man/*.1 "$SRC_ROOT"/man/*.5; do
		MANWIDTH=80 man --warnings -l "$m" >/dev/null 2>warn ||
			{ echo "# man failed on $m" >&2; return 1; }
		test ! -s warn || { echo "# $m:" >&2; cat warn >&2; return 1; }
		n=$((n + 1))
	done &&
	test $n -ge 24
'

test_expect_success 'nextdeploy(1) lists every command and nextdeploy.yml(5) every key' '
	man_text "$SRC_ROOT/man/nextdeploy.1" 80 >page &&
	table paths >paths &&
	while read -r p; do
		test_grep "^       $p( |\$)" page || return 1
	done <paths &&
	man_text "$SRC_ROOT/man/nextdeploy.yml.5" 80 >yml &&
	for k in app source.git build.buildpack image.tag deploy.port deploy.healthcheck.path deploy.proxy.image; do
		test_grep "$k" yml || return 1
	done &&
	test_grep "^VALIDATION" yml && test_grep "^EXAMPLE" yml
'

test_expect_success 'the example in nextdeploy.yml(5) is a valid project file' '
	sed -n "/^\\.SH EXAMPLE/,/^\\.SH/p" "$SRC_ROOT/man/nextdeploy.yml.5" |
		sed -n "/^\\.nf/,/^\\.fi/p" | sed "1d;\$d" |
		sed -e "s/\\\\-/-/g" -e "s/\\\\e/\\\\/g" -e "s/^\\\\&//" >ex.yml &&
	test_grep "^app: shop" ex.yml &&
	test_grep "^  healthcheck|^  # healthcheck" ex.yml &&
	test_expect_code 3 nd -f ex.yml -H unix:///nonexistent.sock ps 2>err &&
	test_grep "unreachable|cannot connect|nonexistent" err
'

test_expect_success 'the checked-in man pages are what the table generates (make docs)' '
	nd __docs man gen &&
	diff -r "$SRC_ROOT/man" gen >diff.out ||
		{ cat diff.out >&2; echo "# run make docs and commit" >&2; return 1; }
'

test_expect_success 'the checked-in completion scripts are what the table generates' '
	nd completion bash >c.bash && test_cmp "$SRC_ROOT/completions/nextdeploy.bash" c.bash &&
	nd completion zsh >c.zsh && test_cmp "$SRC_ROOT/completions/_nextdeploy" c.zsh &&
	nd completion fish >c.fish && test_cmp "$SRC_ROOT/completions/nextdeploy.fish" c.fish
'

test_expect_success 'every implemented command is exercised by an e2e test' '
	table paths >paths &&
	while read -r p; do
		f=$SRC_ROOT/cmd/$(echo "$p" | tr " " _).c &&
		test -f "$f" || { echo "# no $f" >&2; return 1; }
		# stubs say so; they get their tests with their implementation
		grep -q "return nd_cmd_not_implemented(" "$f" && continue
		case "$p" in *" "*) ;; *) test -z "$(table field "$p" subcommands | tr -d "[]")" || continue ;; esac
		grep -lE "\\bnd( [^|;&]*)? $p\\b" "$TEST_ROOT"/t[0-9]*.sh |
			grep -v "t0010-help.sh" >/dev/null ||
			{ echo "# no e2e test runs nextdeploy $p" >&2; return 1; }
	done <paths
'

test_expect_success 'typos get suggestions: commands, subcommands, options, help' '
	test_expect_code 2 nd biuld 2>err &&
	test_grep "^error: .biuld. is not a nextdeploy command" err &&
	test_grep "^hint: did you mean .build.\\?" err &&
	test_expect_code 2 nd local rnu 2>err &&
	test_grep "^hint: did you mean .local run.\\?" err &&
	test_expect_code 2 nd help biuld 2>err &&
	test_grep "^hint: did you mean .build.\\?" err &&
	test_expect_code 2 nd completion bsah 2>err &&
	test_grep "^hint: did you mean .bash.\\?" err &&
	test_expect_code 2 nd --jsno version 2>err &&
	test_grep "^hint: did you mean .--json.\\?" err &&
	test_expect_code 2 nd xyzzyq 2>err &&
	test_grep "^hint: see .nextdeploy help." err
'

test_expect_success 'every option of every command suggests itself when misspelt' '
	table paths >paths &&
	mkdir -p empty &&
	while read -r p; do
		for o in $(table opts "$p"); do
			case "$o" in --??*) ;; *) continue ;; esac
			typo="${o}x" &&
			(cd empty && test_expect_code 2 nd $p "$typo" 2>../err) &&
			grep -q "^hint: did you mean .$o.?" err ||
				{ echo "# $p $typo:" >&2; cat err >&2; return 1; }
		done
	done <paths
'

test_expect_success 'usage errors print the usage line and a hint, exit 2' '
	test_expect_code 2 nd version extra 2>err &&
	test_grep "^error: too many arguments" err &&
	test_grep "^usage: nextdeploy version" err &&
	test_grep "^hint: see .nextdeploy help version." err &&
	test_expect_code 2 nd >out &&
	test_grep "^usage: nextdeploy" out &&
	nd -h >out && test_grep "^Commands:" out
'

test_done
