/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the pure parts of deploying: the health gate's plan and
 * probe command lines, the Caddyfiles, the live-release record.
 */
#include "tests/unit/unit.h"
#include "core/deploy_infra.h"
#include "core/deploy_probe.h"
#include "core/deploy_proxy.h"
#include "core/project.h"

#include <cjson/cJSON.h>

static struct nd_project *project(const char *yaml)
{
	struct nd_project *p = NULL;
	struct nd_error err = ND_ERROR_INIT;

	if (nd_project_parse(&p, "nextdeploy.yml", "/proj", yaml, strlen(yaml),
			     &err) < 0) {
		UNIT_FAIL("project: %s", err.msg);
		nd_error_release(&err);
	}
	return p;
}

static char *joined(const struct nd_strvec *v)
{
	struct nd_buf b = ND_BUF_INIT;

	for (size_t i = 0; i < v->nr; i++)
		nd_buf_addf(&b, "%s%s", i ? " " : "", v->items[i]);
	return nd_buf_detach(&b, NULL);
}

TEST(probe_kind_parse)
{
	enum nd_probe_kind k;

	CHECK_INT(nd_probe_kind_parse("node", &k), 0);
	CHECK_INT(k, ND_PROBE_NODE);
	CHECK_INT(nd_probe_kind_parse("none", &k), 0);
	CHECK_INT(k, ND_PROBE_NONE);
	CHECK_INT(nd_probe_kind_parse("/usr/local/bin/healthz", &k), 0);
	CHECK_INT(k, ND_PROBE_PATH);
	CHECK_INT(nd_probe_kind_parse("bash", &k), -1);
	CHECK_INT(nd_probe_kind_parse("/bin/x y", &k), -1);
	CHECK_INT(nd_probe_kind_parse("/", &k), -1);
	CHECK_INT(nd_probe_kind_parse(NULL, &k), -1);
}

TEST(probe_argv_keeps_the_url_out_of_scripts)
{
	const char *url = "http://10.0.0.2:3000/health?x='\"";
	struct nd_strvec v = ND_STRVEC_INIT;
	char *s;

	nd_probe_http_argv(&v, ND_PROBE_NODE, NULL, url, false, 2000);
	CHECK_INT(v.nr, 6);
	CHECK_STR(v.items[0], "node");
	CHECK_STR(v.items[1], "-e");
	CHECK(!strstr(v.items[2], "10.0.0.2"));
	CHECK_STR(v.items[3], url);
	CHECK_STR(v.items[4], "status");
	CHECK_STR(v.items[5], "2000");
	nd_strvec_release(&v);

	nd_probe_http_argv(&v, ND_PROBE_PYTHON, NULL, url, true, 1500);
	CHECK_STR(v.items[0], "python3");
	CHECK_STR(v.items[3], url);
	CHECK_STR(v.items[4], "any");
	nd_strvec_release(&v);

	nd_probe_http_argv(&v, ND_PROBE_CURL, NULL, "http://a/", false, 2000);
	s = joined(&v);
	CHECK_STR(s, "curl -fsS -o /dev/null -m 2.000 -- http://a/");
	free(s);
	nd_strvec_release(&v);

	nd_probe_http_argv(&v, ND_PROBE_CURL, NULL, "http://a/", true, 2000);
	CHECK_STR(v.items[1], "-sS");
	nd_strvec_release(&v);

	nd_probe_http_argv(&v, ND_PROBE_WGET, NULL, "http://a/", false, 2000);
	s = joined(&v);
	CHECK_STR(s, "wget -q -O /dev/null http://a/");
	free(s);
	nd_strvec_release(&v);

	nd_probe_http_argv(&v, ND_PROBE_PATH, "/bin/probe", "http://a/", false, 1);
	s = joined(&v);
	CHECK_STR(s, "/bin/probe http://a/");
	free(s);
	nd_strvec_release(&v);
}

TEST(probe_results)
{
	CHECK(nd_probe_http_passed(ND_PROBE_WGET, false, 0, ""));
	CHECK(!nd_probe_http_passed(ND_PROBE_WGET, false, 1,
				    "wget: server returned error: HTTP/1.1 404"));
	CHECK(nd_probe_http_passed(ND_PROBE_WGET, true, 1,
				   "wget: server returned error: HTTP/1.1 404"));
	CHECK(!nd_probe_http_passed(ND_PROBE_WGET, true, 1,
				    "wget: can't connect to remote host"));
	CHECK(nd_probe_http_passed(ND_PROBE_WGET, true, 8, ""));
	CHECK(!nd_probe_http_passed(ND_PROBE_NODE, true, 1, "ECONNREFUSED"));
	CHECK(!nd_probe_http_passed(ND_PROBE_CURL, true, 127, ""));
	CHECK(nd_probe_missing(126));
	CHECK(nd_probe_missing(127));
	CHECK(!nd_probe_missing(1));
}

TEST(image_healthcheck)
{
	struct nd_strvec v = ND_STRVEC_INIT;
	cJSON *t;
	char *s;

	t = cJSON_Parse("[\"CMD\",\"test\",\"-f\",\"/ready\"]");
	CHECK_INT(nd_probe_from_image_healthcheck(&v, t), 0);
	s = joined(&v);
	CHECK_STR(s, "test -f /ready");
	free(s);
	nd_strvec_release(&v);
	cJSON_Delete(t);

	t = cJSON_Parse("[\"CMD-SHELL\",\"curl -f localhost || exit 1\"]");
	CHECK_INT(nd_probe_from_image_healthcheck(&v, t), 0);
	CHECK_INT(v.nr, 3);
	CHECK_STR(v.items[0], "/bin/sh");
	CHECK_STR(v.items[2], "curl -f localhost || exit 1");
	nd_strvec_release(&v);
	cJSON_Delete(t);

	t = cJSON_Parse("[\"NONE\"]");
	CHECK_INT(nd_probe_from_image_healthcheck(&v, t), 1);
	cJSON_Delete(t);
	t = cJSON_Parse("[\"CMD\"]");
	CHECK_INT(nd_probe_from_image_healthcheck(&v, t), 1);
	cJSON_Delete(t);
	CHECK_INT(nd_probe_from_image_healthcheck(&v, NULL), 1);
	CHECK_INT(v.nr, 0);
}

static void plan_case(const char *yaml, const char *image_json, long port,
		      enum nd_gate_mode mode, const char *source,
		      size_t nkinds, enum nd_probe_kind first)
{
	struct nd_project *p = project(yaml);
	cJSON *img = cJSON_Parse(image_json);
	struct nd_gate_plan g;
	struct nd_error err = ND_ERROR_INIT;

	if (!p)
		return;
	if (nd_gate_plan_make(&g, p, img, port, &err) < 0) {
		UNIT_FAIL("plan: %s", err.msg);
	} else {
		CHECK_INT(g.mode, mode);
		CHECK_STR(g.source, source);
		CHECK_INT(g.nkinds, nkinds);
		if (nkinds)
			CHECK_INT(g.kinds[0], first);
		nd_gate_plan_release(&g);
	}
	nd_error_release(&err);
	cJSON_Delete(img);
	nd_project_free(p);
}

TEST(gate_plan_precedence)
{
	const char *labeled = "{\"Config\":{\"Labels\":{\"nextdeploy.probe\":\"node\"},"
			      "\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"]}}}";
	const char *bare = "{\"Config\":{}}";
	const char *hc = "{\"Config\":{\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"x\"]}}}";
	const char *none = "{\"Config\":{\"Labels\":{\"nextdeploy.probe\":\"none\"}}}";

	plan_case("app: a\ndeploy: { healthcheck: { command: [true] } }\n",
		  labeled, 3000, ND_GATE_COMMAND, "deploy.healthcheck.command",
		  1, ND_PROBE_NODE);
	plan_case("app: a\ndeploy: { healthcheck: { path: /up } }\n", labeled,
		  3000, ND_GATE_HTTP, "deploy.healthcheck.path", 1,
		  ND_PROBE_NODE);
	plan_case("app: a\ndeploy: { healthcheck: { path: /up } }\n", bare, 3000,
		  ND_GATE_HTTP, "deploy.healthcheck.path", 4, ND_PROBE_CURL);
	plan_case("app: a\ndeploy: { healthcheck: { path: /up } }\n", none, 3000,
		  ND_GATE_HTTP, "deploy.healthcheck.path", 4, ND_PROBE_CURL);
	plan_case("app: a\n", labeled, 3000, ND_GATE_COMMAND,
		  "the image's HEALTHCHECK", 1, ND_PROBE_NODE);
	plan_case("app: a\n", hc, 3000, ND_GATE_COMMAND,
		  "the image's HEALTHCHECK", 4, ND_PROBE_CURL);
	plan_case("app: a\n", bare, 3000, ND_GATE_LISTEN,
		  "the app port answers HTTP", 4, ND_PROBE_CURL);
	plan_case("app: a\n", none, 3000, ND_GATE_GRACE,
		  "still running after a grace period", 0, ND_PROBE_NONE);
}

TEST(gate_plan_timing_and_bad_label)
{
	struct nd_project *p = project(
		"app: a\ndeploy: { healthcheck: { path: /h, interval: 1s, timeout: 3s, retries: 4, start_period: 7s } }\n");
	cJSON *img = cJSON_Parse("{\"Config\":{\"Labels\":{\"nextdeploy.probe\":\"perl\"}}}");
	cJSON *ok = cJSON_Parse("{\"Config\":{}}");
	struct nd_gate_plan g;
	struct nd_error err = ND_ERROR_INIT;

	CHECK_INT(nd_gate_plan_make(&g, p, img, 80, &err), ND_EGENERIC);
	CHECK_CONTAINS(err.msg, "nextdeploy.probe='perl'");
	nd_error_release(&err);
	CHECK_INT(nd_gate_plan_make(&g, p, ok, 80, &err), 0);
	CHECK_INT(g.interval_ms, 1000);
	CHECK_INT(g.timeout_ms, 3000);
	CHECK_INT(g.retries, 4);
	CHECK_INT(g.start_period_ms, 7000);
	CHECK_INT(g.grace_ms, 7000);
	CHECK_STR(g.path, "/h");
	nd_gate_plan_release(&g);
	nd_project_free(p);
	p = project("app: a\n");
	CHECK_INT(nd_gate_plan_make(&g, p, ok, 80, &err), 0);
	CHECK_INT(g.interval_ms, ND_GATE_DEFAULT_INTERVAL_MS);
	CHECK_INT(g.timeout_ms, ND_GATE_DEFAULT_TIMEOUT_MS);
	CHECK_INT(g.retries, ND_GATE_DEFAULT_RETRIES);
	CHECK_INT(g.grace_ms, ND_GATE_DEFAULT_GRACE_MS);
	nd_gate_plan_release(&g);
	nd_project_free(p);
	cJSON_Delete(img);
	cJSON_Delete(ok);
}

TEST(caddy_app_config)
{
	struct nd_buf b = ND_BUF_INIT;
	struct nd_strvec up = ND_STRVEC_INIT;

	nd_strvec_push(&up, "nd-shop-1a2b3c4d-1:3000");
	nd_strvec_push(&up, "nd-shop-1a2b3c4d-2:3000");
	nd_caddy_app_config(&b, "shop", "r7", &up);
	CHECK_CONTAINS(b.buf, "serving release 'r7'");
	CHECK_CONTAINS(b.buf, "\tauto_https off\n");
	CHECK_CONTAINS(b.buf, ":80 {\n\treverse_proxy nd-shop-1a2b3c4d-1:3000 nd-shop-1a2b3c4d-2:3000 {\n");
	CHECK_CONTAINS(b.buf, "\t\tlb_policy round_robin\n");
	CHECK_CONTAINS(b.buf, "\t\tlb_try_duration 5s\n");
	nd_buf_release(&b);
	nd_strvec_release(&up);
}

TEST(caddy_edge_config)
{
	struct nd_buf b = ND_BUF_INIT;
	struct nd_edge_site s[3] = { { 0 } };
	const char *p1, *p2;

	s[0].app = nd_strdup("web");
	s[0].upstream = nd_strdup("nd-web-proxy:80");
	nd_strvec_push(&s[0].domains, "example.com");
	nd_strvec_push(&s[0].domains, "www.example.com");
	s[0].tls = ND_TLS_AUTO;
	s[1].app = nd_strdup("api");
	s[1].upstream = nd_strdup("nd-api-proxy:80");
	nd_strvec_push(&s[1].domains, "api.test");
	s[1].tls = ND_TLS_INTERNAL;
	s[2].app = nd_strdup("plain");
	s[2].upstream = nd_strdup("nd-plain-proxy:80");
	nd_strvec_push(&s[2].domains, "plain.test");
	s[2].tls = ND_TLS_OFF;
	nd_caddy_edge_config(&b, s, 3);
	CHECK_CONTAINS(b.buf, "\tskip_install_trust\n");
	CHECK_CONTAINS(b.buf, "example.com, www.example.com {\n\treverse_proxy nd-web-proxy:80 {");
	CHECK_CONTAINS(b.buf, "api.test {\n\ttls internal\n\treverse_proxy nd-api-proxy:80 {");
	CHECK_CONTAINS(b.buf, "http://plain.test {\n\treverse_proxy nd-plain-proxy:80");
	/* sorted by app: the same set of apps gives the same text */
	p1 = strstr(b.buf, "# app api");
	p2 = strstr(b.buf, "# app web");
	CHECK(p1 && p2 && p1 < p2);
	nd_buf_release(&b);
	for (int i = 0; i < 3; i++)
		nd_edge_site_release(&s[i]);
	nd_caddy_edge_config(&b, NULL, 0);
	CHECK(!strstr(b.buf, "skip_install_trust"));
	CHECK_CONTAINS(b.buf, "admin localhost:2019");
	nd_buf_release(&b);
}

TEST(kernel_at_least)
{
	CHECK(nd_kernel_at_least("5.14.0", 5, 14));
	CHECK(nd_kernel_at_least("6.1.0-13-amd64", 5, 14));
	CHECK(nd_kernel_at_least("5.15.90.1-microsoft-standard-WSL2", 5, 14));
	CHECK(nd_kernel_at_least("10.0", 5, 14));
	CHECK(!nd_kernel_at_least("5.10.0-26-amd64", 5, 14));
	CHECK(!nd_kernel_at_least("5.9", 5, 14));
	CHECK(!nd_kernel_at_least("4.19.0", 5, 14));
	CHECK(!nd_kernel_at_least("", 5, 14));
	CHECK(!nd_kernel_at_least(NULL, 5, 14));
	CHECK(!nd_kernel_at_least("6", 5, 14));
	CHECK(!nd_kernel_at_least("v6.1", 5, 14));
}

TEST(record_roundtrip)
{
	struct nd_deploy_record r = { 0 }, back;
	struct nd_error err = ND_ERROR_INIT;
	char *json;

	r.app = nd_strdup("shop");
	r.release = nd_strdup("r2");
	r.deploy_id = nd_strdup("0badf00d");
	r.service = nd_strdup("web");
	r.image = nd_strdup("shop:r2");
	r.image_id = nd_strdup("sha256:abc");
	r.port = 3000;
	r.deployed_at = 1795472533;
	nd_strvec_push(&r.containers, "nd-shop-web-r2");
	nd_strvec_push(&r.upstreams, "nd-shop-0badf00d-1:3000");
	nd_strvec_push(&r.history, "r2");
	nd_strvec_push(&r.history, "r1");
	nd_strvec_push(&r.failed, "r3");
	json = nd_record_json(&r);
	CHECK_INT(nd_record_parse(&back, json, strlen(json), &err), 0);
	CHECK_STR(back.release, "r2");
	CHECK_STR(back.deploy_id, "0badf00d");
	CHECK_STR(back.image_id, "sha256:abc");
	CHECK_INT(back.port, 3000);
	CHECK_INT((long long)back.deployed_at, 1795472533);
	CHECK_INT(back.history.nr, 2);
	CHECK_STR(back.history.items[1], "r1");
	CHECK_STR(back.failed.items[0], "r3");
	CHECK_STR(back.upstreams.items[0], "nd-shop-0badf00d-1:3000");
	nd_record_release(&back);
	free(json);
	nd_record_release(&r);
	CHECK_INT(nd_record_parse(&back, "[1]", 3, &err), ND_EGENERIC);
	nd_error_release(&err);
}

TEST(record_lists)
{
	struct nd_strvec v = ND_STRVEC_INIT;

	nd_record_list_push(&v, "r1", 3);
	nd_record_list_push(&v, "r2", 3);
	nd_record_list_push(&v, "r3", 3);
	nd_record_list_push(&v, "r1", 3); /* moves to the front */
	CHECK_INT(v.nr, 3);
	CHECK_STR(v.items[0], "r1");
	CHECK_STR(v.items[1], "r3");
	CHECK_STR(v.items[2], "r2");
	CHECK(v.items[3] == NULL);
	nd_record_list_push(&v, "r4", 3); /* the oldest drops out */
	CHECK_INT(v.nr, 3);
	CHECK_STR(v.items[0], "r4");
	CHECK_STR(v.items[2], "r3");
	CHECK(v.items[3] == NULL);
	nd_record_list_remove(&v, "r1");
	CHECK_INT(v.nr, 2);
	CHECK_STR(v.items[1], "r3");
	CHECK(v.items[2] == NULL);
	nd_record_list_remove(&v, "absent");
	CHECK_INT(v.nr, 2);
	nd_strvec_release(&v);
}

int main(void)
{
	RUN(probe_kind_parse);
	RUN(probe_argv_keeps_the_url_out_of_scripts);
	RUN(probe_results);
	RUN(image_healthcheck);
	RUN(gate_plan_precedence);
	RUN(gate_plan_timing_and_bad_label);
	RUN(caddy_app_config);
	RUN(caddy_edge_config);
	RUN(kernel_at_least);
	RUN(record_roundtrip);
	RUN(record_lists);
	return unit_done();
}
