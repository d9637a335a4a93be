#!/usr/bin/env bash
# ssh:// engines: nextdeploy runs `ssh HOST docker system dial-stdio` for each
# connection through a private unix-socket relay (TESTBED.md §4)
. "$(dirname "$0")/test-lib.sh"

[ -x /usr/sbin/sshd ] || test_skip_all "no sshd (openssh-server)"
command -v docker >/dev/null || test_skip_all "no docker CLI for dial-stdio"

S=$TRASH/ssh
trap 'sshd_stop "$S"' EXIT
. "$TEST_ROOT/lib-sshd.sh"

test_expect_success 'setup: an sshd on 127.0.0.1 and an ssh wrapper on PATH' '
	sshd_start "$S" && nd_app_init
'

# the tests run in subshells: give them what sshd_start set
SSHD_PORT=$((22000 + $$ % 1000))
PORT=$SSHD_PORT
export PATH=$S/bin:$PATH

test_expect_success 'version over ssh:// names the engine and negotiates' '
	nd -H ssh://root@127.0.0.1:$PORT version --json >v.json &&
	json_get v.json "d[\"engine\"][\"negotiated_api_version\"]" >api &&
	docker version --format "{{.Server.APIVersion}}" >want && test_cmp want api
'

test_expect_success 'ps over ssh:// sees what the local socket sees' '
	docker run -d --name "nd-$APP-web-r1" --label nextdeploy.managed=true \
		--label nextdeploy.app=$APP --label nextdeploy.service=web \
		"$ND_TEST_BUSYBOX" sleep 60 >/dev/null &&
	test_when_finished "docker rm -f nd-$APP-web-r1 >/dev/null" &&
	nd ps -q >local.ids &&
	DOCKER_HOST=ssh://root@127.0.0.1:$PORT nd ps -q >ssh.ids &&
	test_cmp local.ids ssh.ids && test $(wc -l <ssh.ids) = 1
'

test_expect_success 'a remote socket path in the URL is passed to dial-stdio' '
	nd -H ssh://root@127.0.0.1:$PORT/var/run/docker.sock doctor >out &&
	test_grep "\[ok\] reachable" out
'

test_expect_success 'the relay leaves nothing behind' '
	nd -H ssh://root@127.0.0.1:$PORT ps >/dev/null &&
	! ls -d /tmp/nextdeploy-ssh-* 2>/dev/null | grep -q . &&
	! pgrep -f "dial-stdio" >/dev/null
'

test_expect_success 'an ssh host that refuses: exit 3 naming the host' '
	test_expect_code 3 nd -H ssh://root@127.0.0.1:1 ps 2>err &&
	test_grep "ssh://root@127.0.0.1:1" err
'

test_expect_success 'bad ssh URLs are usage errors' '
	test_expect_code 2 nd -H "ssh://user:pw@host" ps 2>err &&
	test_grep "password in the URL" err &&
	test_expect_code 2 nd -H "ssh://" ps 2>err
'

test_done
