#!/usr/bin/env bash
# build from a private repository over ssh: libgit2 (with libssh2) clones
# ssh://... once the server's host key is in ~/.ssh/known_hosts (unknown or
# changed keys are refused, with the fingerprint), using the key in
# ssh-agent, or ~/.ssh/id_ed25519 without an agent; no key: a clear error
# and exit 1; never a clone folder left behind
. "$(dirname "$0")/test-lib.sh"

[ -x /usr/sbin/sshd ] || test_skip_all "no sshd (openssh-server)"
command -v git >/dev/null || test_skip_all "no git"
engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX"

S=$TRASH/ssh
. "$TEST_ROOT/lib-sshd.sh"
export TMPDIR=$TRASH/tmp
mkdir -p "$TMPDIR"
trap 'sshd_stop "$S"; [ -n "${SSH_AGENT_PID:-}" ] && kill "$SSH_AGENT_PID"; nd_cleanup_app "$APP"' EXIT
sshd_start "$S" >/dev/null 2>&1 || test_skip_all "cannot start sshd"
eval "$(ssh-agent -s)" >/dev/null
PORT=$SSHD_PORT
g() { git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main "$@"; }

test_expect_success 'setup: a bare repository reachable only over ssh' '
	g init -q work &&
	printf "FROM %s\nCOPY secret-plan.txt /\n" "$ND_TEST_BUSYBOX" >work/Dockerfile &&
	echo "over ssh" >work/secret-plan.txt &&
	(cd work && g add -A && g commit -q -m one) &&
	git clone -q --bare work repo.git &&
	mkdir -p proj &&
	printf "app: %s\nsource:\n  git: ssh://root@127.0.0.1:%s%s/repo.git\n" "$APP" "$PORT" "$TRASH" >proj/nextdeploy.yml
'

test_expect_success 'an unknown host key is refused with its fingerprint and a hint' '
	ssh-add -q "$SSHD_KEY" 2>/dev/null &&
	fp=$(ssh-keygen -lf "$S/host.pub" | cut -d" " -f2) &&
	test_expect_code 1 nd -C proj build 2>err &&
	# the fingerprint is base64: match it literally
	grep -qF "host key of [127.0.0.1]:$PORT is not in ~/.ssh/known_hosts (ssh-ed25519 $fp)" err &&
	test_grep "hint: .*ssh-keyscan -p $PORT 127.0.0.1 >> ~/.ssh/known_hosts" err &&
	test -z "$(ls -A "$TMPDIR")" &&
	ssh-add -D -q 2>/dev/null &&
	mkdir -p "$HOME/.ssh" &&
	printf "[127.0.0.1]:%s %s\n" "$PORT" "$(cut -d" " -f1,2 "$S/host.pub")" >"$HOME/.ssh/known_hosts"
'

test_expect_success 'no key anywhere: exit 1, an authentication error, no clone left' '
	(unset SSH_AUTH_SOCK; test_expect_code 1 nd -C proj build 2>err) &&
	test_grep "error: .*(auth|credentials|key)" err &&
	test -z "$(ls -A "$TMPDIR")"
'

test_expect_success 'with the key in ssh-agent: cloned and built' '
	ssh-add -q "$SSHD_KEY" 2>/dev/null &&
	nd -C proj build --json >out.json 2>err &&
	img=$(json_get out.json "d[\"image\"]") &&
	docker run --rm "$img" cat /secret-plan.txt >got &&
	echo "over ssh" >want && test_cmp want got &&
	test -z "$(ls -A "$TMPDIR")" &&
	ssh-add -D -q 2>/dev/null
'

test_expect_success 'without an agent, ~/.ssh/id_ed25519 is used' '
	mkdir -p "$HOME/.ssh" && cp "$SSHD_KEY" "$HOME/.ssh/id_ed25519" &&
	(unset SSH_AUTH_SOCK; nd -C proj build --force >/dev/null 2>err) &&
	test_grep "cloning ssh://root@127.0.0.1" err &&
	rm -f "$HOME/.ssh/id_ed25519"
'

test_expect_success 'a changed host key is refused loudly' '
	ssh-keygen -q -t ed25519 -N "" -f other <<<y >/dev/null 2>&1 &&
	cp "$HOME/.ssh/known_hosts" kh.saved &&
	printf "[127.0.0.1]:%s %s\n" "$PORT" "$(cut -d" " -f1,2 other.pub)" >"$HOME/.ssh/known_hosts" &&
	ssh-add -q "$SSHD_KEY" 2>/dev/null &&
	test_expect_code 1 nd -C proj build --force 2>err &&
	test_grep "host key of \[127.0.0.1\]:$PORT has CHANGED" err &&
	test -z "$(ls -A "$TMPDIR")" &&
	cp kh.saved "$HOME/.ssh/known_hosts"
'

test_done
