#!/usr/bin/env bash
# Run the unit tests (TAP binaries in $UNIT_DIR) and the end-to-end tests
# (tests/t[0-9]*.sh), and end with one line "N passed, N failed".
#
#   tests/run.sh [--unit | --e2e] [PATTERN...]
#
# Each test file's output is kept in tests/results/<name>.out; the tail of a
# failing one is printed. Exit status: 0 when nothing failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
mode=all
patterns=()
for a in "$@"; do
	case "$a" in
	--unit) mode=unit ;;
	--e2e) mode=e2e ;;
	*) patterns+=("$a") ;;
	esac
done
: "${NEXTDEPLOY_BIN:=$here/../nextdeploy}"
: "${UNIT_DIR:=$here/../build/tests/unit}"
export NEXTDEPLOY_BIN
mkdir -p results
passed=0
failed=0
failed_files=()

matches() {
	[ ${#patterns[@]} -eq 0 ] && return 0
	for p in "${patterns[@]}"; do
		case "$1" in *"$p"*) return 0 ;; esac
	done
	return 1
}

# count TAP lines of one file's output
tally() {
	local out=$1 name=$2 rc=$3 p f
	p=$(grep -a -c '^ok ' "$out")
	f=$(grep -a -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# died without reporting a failure (crash, missing plan)
		f=1
		echo "not ok - $name exited with status $rc" >>"$out"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		failed_files+=("$name")
		printf '%-44s %3d passed, %3d FAILED\n' "$name" "$p" "$f"
		grep -a -E '^(not ok|#)' "$out" | tail -n 40 | sed 's/^/    /'
	else
		printf '%-44s %3d passed\n' "$name" "$p"
	fi
}

if [ "$mode" != e2e ]; then
	for t in "$UNIT_DIR"/t-*; do
		[ -x "$t" ] || continue
		name=unit/$(basename "$t")
		matches "$name" || continue
		out=results/unit-$(basename "$t").out
		(cd "$here/unit" && "$t") >"$out" 2>&1
		tally "$out" "$name" $?
	done
fi

if [ "$mode" != unit ]; then
	for t in "$here"/t[0-9]*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		matches "$name" || continue
		out=results/$name.out
		start=$(date +%s)
		bash "$t" >"$out" 2>&1 </dev/null
		rc=$?
		# a test that deletes the main engine's bridge breaks every later
		# one: name it, fail it, and put the bridge back (TESTBED.md §8)
		if command -v ip >/dev/null && ! ip link show docker0 >/dev/null 2>&1; then
			echo "not ok - $name left the engine without its docker0 bridge" >>"$out"
			bash "$here/setup/engine.sh" >/dev/null 2>&1
		fi
		tally "$out" "$name ($(($(date +%s) - start))s)" $rc
	done
fi

if [ ${#failed_files[@]} -gt 0 ]; then
	echo "failed: ${failed_files[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
