#!/usr/bin/env bash
# completion zsh and fish: syntax-checked by their shells, then exercised
# through each shell's real completion machinery (zsh in a zpty, fish with
# `complete -C`), including service names from a real engine.
. "$(dirname "$0")/test-lib.sh"

command -v zsh >/dev/null || test_skip_all "no zsh (apt-get install zsh)"
command -v fish >/dev/null || test_skip_all "no fish (apt-get install fish)"

ZSH_SCRIPT=$SRC_ROOT/completions/_nextdeploy
FISH_SCRIPT=$SRC_ROOT/completions/nextdeploy.fish
test -f "$ZSH_SCRIPT" && test -f "$FISH_SCRIPT" || test_skip_all "no completions (make docs)"

mkdir -p "$TRASH/bin" "$TRASH/fpath"
ln -sf "$ND_BIN" "$TRASH/bin/nextdeploy"
cp "$ZSH_SCRIPT" "$TRASH/fpath/_nextdeploy"
export PATH="$TRASH/bin:$PATH"

# zcomp LINE / fcomp LINE: the candidates, sorted, into ./out
zcomp() {
	zsh -f "$TEST_ROOT/lib/zsh-complete.zsh" "$TRASH/fpath" "$1" >out 2>zerr || return 1
}
fcomp() {
	fish --no-config -c "source $FISH_SCRIPT; complete -C\"\$argv[1]\"" "$1" >fout 2>ferr &&
	test ! -s ferr || { cat ferr >&2; return 1; }
	cut -f1 fout | sort >out
}
want() { printf '%s\n' "$@" | sed '/^$/d' | sort >want; }

test_expect_success 'zsh -n and fish --no-execute accept the scripts' '
	zsh -n "$ZSH_SCRIPT" &&
	fish --no-execute "$FISH_SCRIPT"
'

test_expect_success 'zsh: sourcing the script registers it with compdef' '
	zsh -fc "autoload -Uz compinit; compinit -u -D; source $ZSH_SCRIPT; print -r -- \${_comps[nextdeploy]}" >out &&
	echo _nextdeploy >want && test_cmp want out
'

test_expect_success 'zsh: commands, options, choices, subcommands, files' '
	nd_app_init &&
	zcomp "nextdeploy lo" && want local logs && test_cmp want out &&
	zcomp "nextdeploy completion " && want bash fish zsh && test_cmp want out &&
	zcomp "nextdeploy local " && want run && test_cmp want out &&
	zcomp "nextdeploy help local " && want run && test_cmp want out &&
	zcomp "nextdeploy ps --a" && want --all && test_cmp want out &&
	zcomp "nextdeploy --js" && want --json && test_cmp want out &&
	zcomp "nextdeploy local run --no-" && want --no-cache --no-color --no-hooks --no-log-prefix && test_cmp want out &&
	zcomp "nextdeploy -f nextd" && want nextdeploy.yml && test_cmp want out
'

test_expect_success 'fish: commands, options, choices, subcommands, files' '
	nd_app_init &&
	fcomp "nextdeploy lo" && want local logs && test_cmp want out &&
	fcomp "nextdeploy completion " && want bash fish zsh && test_cmp want out &&
	fcomp "nextdeploy local " && want run && test_cmp want out &&
	fcomp "nextdeploy help local " && want run && test_cmp want out &&
	fcomp "nextdeploy ps --a" && want --all && test_cmp want out &&
	fcomp "nextdeploy -H unix:///x.sock --js" && want --json && test_cmp want out &&
	fcomp "nextdeploy -f nextd" && want nextdeploy.yml && test_cmp want out
'

test_expect_success 'both: no engine means only the default service, quietly' '
	nd_app_init &&
	zcomp "nextdeploy -H unix:///nonexistent.sock ps " && want web && test_cmp want out &&
	fcomp "nextdeploy -H unix:///nonexistent.sock ps " && want web && test_cmp want out
'

if engine_ok && docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1; then
test_expect_success 'both: service names from the engine' '
	test_when_finished "nd_cleanup_app $APP" &&
	docker run -d --name "nd-$APP-api-r1" --label nextdeploy.managed=true \
		--label "nextdeploy.app=$APP" --label nextdeploy.service=api \
		--label nextdeploy.release=r1 "$ND_TEST_BUSYBOX" sleep 300 >/dev/null &&
	nd_app_init &&
	zcomp "nextdeploy ps " && want api web && test_cmp want out &&
	fcomp "nextdeploy ps " && want api web && test_cmp want out &&
	fcomp "nextdeploy ps a" && want api && test_cmp want out
'
fi

test_done
