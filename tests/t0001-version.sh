#!/usr/bin/env bash
# version: client and engine, text and JSON, and without an engine
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'version prints client and engine' '
	nd version >out &&
	test_grep "^Client:" out &&
	test_grep "^Engine:" out &&
	test_grep "API version: +1\.[0-9]+ \(minimum" out
'

test_expect_success 'version --json is one JSON document with the negotiated version' '
	nd version --json >out.json &&
	json_get out.json "d[\"client\"][\"version\"]" >v &&
	test_grep "^[0-9]+\.[0-9]+\.[0-9]+" v &&
	json_get out.json "d[\"engine\"][\"negotiated_api_version\"]" >api &&
	docker version --format "{{.Server.APIVersion}}" >want &&
	test_cmp want api
'

test_expect_success '--version and version --client need no engine' '
	nd --version >out &&
	test_grep "^nextdeploy version " out &&
	nd -H unix:///nonexistent.sock version --client >out2 &&
	test_grep "^Client:" out2
'

test_expect_success 'the API version is negotiated, not hard-coded' '
	nd_app_init &&
	NEXTDEPLOY_TRACE=1 nd ps 2>trace >/dev/null &&
	test_grep "> HEAD /_ping HTTP" trace &&
	api=$(docker version --format "{{.Server.APIVersion}}") &&
	test_grep "> GET /v$api/containers/json" trace
'

test_done
