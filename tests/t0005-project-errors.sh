#!/usr/bin/env bash
# project-file errors through the real binary: file:line:col, exit 2,
# nothing contacted; and discovery upward / -f / -C
. "$(dirname "$0")/test-lib.sh"

DATA=$TEST_ROOT/data/project

test_expect_success 'every bad project file: exit 2 and file:line:col: message' '
	for f in "$DATA"/*.yml; do
		want=$(sed -n "1s/^# expect: //p" "$f") &&
		case "$want" in ok) continue ;; esac &&
		cp "$f" nextdeploy.yml &&
		test_expect_code 2 nd -H unix://$TRASH/never.sock ps 2>err || return 1
		line=${want%%: *}; msg=${want#*: } &&
		grep -qF "error: $TRASH/nextdeploy.yml:$line: $msg" err || {
			echo "# $(basename "$f"): want $line: $msg" >&2; cat err >&2; return 1; }
	done
'

test_expect_success 'the good project file is accepted' '
	cp "$DATA/01-ok-full.yml" nextdeploy.yml &&
	nd ps >out
'

test_expect_success 'unknown keys get a suggestion' '
	printf "app: x\ndeploy:\n  potr: 1\n" >nextdeploy.yml &&
	test_expect_code 2 nd ps 2>err &&
	test_grep "hint: did you mean .port.\?" err
'

test_expect_success 'the project file is found upward, or named with -f, or via -C' '
	mkdir -p proj/sub/deeper && printf "app: upward\n" >proj/nextdeploy.yml &&
	(cd proj/sub/deeper && nd ps --json >../../../out.json) &&
	nd -C proj/sub ps >/dev/null &&
	printf "app: named\n" >named.yml && nd ps -f named.yml >/dev/null &&
	test_expect_code 2 nd ps -f missing.yml 2>err &&
	test_grep "cannot open project file .missing.yml." err
'

test_expect_success 'no project file anywhere: exit 2 with a hint' '
	mkdir -p /tmp/nd-empty-$$ && (cd /tmp/nd-empty-$$ && test_expect_code 2 nd ps 2>"$TRASH/err") &&
	rmdir /tmp/nd-empty-$$ &&
	test_grep "no nextdeploy.yml in" err &&
	test_grep "hint: run .nextdeploy init." err
'

test_expect_success 'usage errors exit 2 and show the usage' '
	test_expect_code 2 nd ps --bogus 2>err &&
	test_grep "unknown option .--bogus." err &&
	test_grep "usage: nextdeploy ps" err &&
	test_expect_code 2 nd biuld 2>err &&
	test_grep "did you mean .build.\?" err &&
	test_expect_code 2 nd ps a b 2>err &&
	test_grep "too many arguments" err
'

test_expect_success 'nextdeploy.yml.example is a valid project file' '
	test_expect_code 3 nd -f "$SRC_ROOT/nextdeploy.yml.example" -H unix://$TRASH/none.sock ps 2>err &&
	test_grep "cannot connect to the engine" err
'

test_expect_success 'README: two set-up commands, and .ci/run runs the test one' '
	sed -n "/^## Set up/,/^## /p" "$SRC_ROOT/README.md" >setup &&
	test "$(grep -c "^make " setup)" = 2 &&
	test_grep "^make test " setup &&
	test_grep "^make test\$" "$SRC_ROOT/.ci/run"
'

test_done
