#!/usr/bin/env bash
# tcp+TLS engines: DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, -H tcp://, docker
# contexts; a second dockerd with mutual TLS (TESTBED.md §3)
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/lib-dockerd.sh"

command -v openssl >/dev/null || test_skip_all "no openssl"
command -v dockerd >/dev/null || test_skip_all "no dockerd"

PORT=2376
CERTS=$TRASH/certs
EXTRA_SOCK=$(extra_dockerd_sock tls)
IP=$(extra_dockerd_ip tls)
trap 'extra_dockerd_stop tls' EXIT

other_ca() { # a CA that did not sign the server, with our client cert
	mkdir -p "$TRASH/other" && cd "$TRASH/other" &&
	openssl genrsa -out ca-key.pem 2048 2>/dev/null &&
	openssl req -x509 -new -key ca-key.pem -sha256 -days 2 -subj /CN=other-ca -out ca.pem &&
	cp "$CERTS/cert.pem" "$CERTS/key.pem" .
}

test_expect_success 'setup: certificates and a TLS dockerd' '
	extra_dockerd_start_tls tls "$CERTS" &&
	(other_ca) &&
	nd_app_init
'

test_expect_success 'DOCKER_TLS_VERIFY + DOCKER_CERT_PATH + -H tcp://: version and ps' '
	DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$CERTS nd -H tcp://$IP:$PORT version --json >v.json &&
	json_get v.json "d[\"engine\"][\"host\"]" >host &&
	echo "tcp://$IP:$PORT" >want && test_cmp want host &&
	DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$CERTS nd -H tcp://$IP:$PORT ps >out &&
	test_grep "^NAME" out
'

test_expect_success 'DOCKER_HOST=tcp:// with TLS from the environment, and the trace says https' '
	DOCKER_HOST=tcp://$IP:$PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$CERTS NEXTDEPLOY_TRACE=1 nd ps 2>trace >out &&
	test_grep "GET /v1\.[0-9]+/containers/json" trace && test_grep "SSL connection using|TLSv1" trace
'

test_expect_success 'the same containers are seen over TLS as over the extra unix socket' '
	docker -H unix://$EXTRA_SOCK run -d --name ndt-tls-c --label nextdeploy.managed=true \
		--label nextdeploy.app=$APP --label nextdeploy.service=web --network none \
		"$ND_TEST_BUSYBOX" sleep 60 2>/dev/null ||
	{ docker save "$ND_TEST_BUSYBOX" | docker -H unix://$EXTRA_SOCK load >/dev/null &&
	  docker -H unix://$EXTRA_SOCK run -d --name ndt-tls-c --label nextdeploy.managed=true \
		--label nextdeploy.app=$APP --label nextdeploy.service=web --network none \
		"$ND_TEST_BUSYBOX" sleep 60 >/dev/null; } &&
	DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$CERTS nd -H tcp://$IP:$PORT ps -q >tls.ids &&
	nd -H unix://$EXTRA_SOCK ps -q >unix.ids &&
	test_cmp unix.ids tls.ids && test $(wc -l <tls.ids) = 1
'

test_expect_success 'no client certificate: exit 3' '
	mkdir -p nocert && cp "$CERTS/ca.pem" nocert/ &&
	DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$TRASH/nocert test_expect_code 3 nd -H tcp://$IP:$PORT ps 2>err &&
	test_grep "cannot connect to the engine at tcp://$IP:$PORT" err
'

test_expect_success 'a server certificate from another CA: exit 3 (verification on)' '
	DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$TRASH/other test_expect_code 3 nd -H tcp://$IP:$PORT ps 2>err &&
	test_grep "cannot connect" err
'

test_expect_success 'DOCKER_TLS_VERIFY=0 still verifies (any non-empty value does)' '
	DOCKER_TLS_VERIFY=0 DOCKER_CERT_PATH=$TRASH/other test_expect_code 3 nd -H tcp://$IP:$PORT ps 2>err
'

test_expect_success 'plain http to the TLS port fails clearly' '
	test_expect_code 3 nd -H tcp://$IP:$PORT ps 2>err &&
	test_grep "error: .*tcp://$IP:$PORT" err
'

test_expect_success 'a docker context with TLS files is used (DOCKER_CONTEXT)' '
	name=ndt-ctx &&
	h=$(printf %s "$name" | sha256sum | cut -d" " -f1) &&
	mkdir -p "$HOME/.docker/contexts/meta/$h" "$HOME/.docker/contexts/tls/$h/docker" &&
	printf "{\"Name\":\"%s\",\"Metadata\":{},\"Endpoints\":{\"docker\":{\"Host\":\"tcp://%s:%s\",\"SkipTLSVerify\":false}}}" "$name" "$IP" "$PORT" \
		>"$HOME/.docker/contexts/meta/$h/meta.json" &&
	cp "$CERTS/ca.pem" "$CERTS/cert.pem" "$CERTS/key.pem" "$HOME/.docker/contexts/tls/$h/docker/" &&
	DOCKER_CONTEXT=$name nd doctor >out &&
	test_grep "engine +tcp://$IP:$PORT \(from context ndt-ctx\)" out &&
	test_grep "\[ok\] reachable" out &&
	printf "{\"currentContext\":\"%s\"}" "$name" >"$HOME/.docker/config.json" &&
	nd ps -q >ids && test_cmp tls.ids ids &&
	DOCKER_CONTEXT=nope test_expect_code 2 nd ps 2>err &&
	test_grep "docker context .nope. not found" err
'

test_done
