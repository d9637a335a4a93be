/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/deploy_probe.h"
#include "core/project.h"

#include <cjson/cJSON.h>

/*
 * The probe one-liners. The URL, the mode and the timeout arrive as argv
 * elements after the script, so no outside text is ever part of a script.
 */
static const char node_probe[] =
	"const [u,m,t]=process.argv.slice(1);"
	"const q=require('http').get(u,{timeout:+t},r=>{r.resume();"
	"if(m==='any'||r.statusCode<400)process.exit(0);"
	"console.error('HTTP '+r.statusCode);process.exit(1)});"
	"q.on('timeout',()=>{console.error('timed out after '+t+'ms');q.destroy()});"
	"q.on('error',e=>{console.error(e.message);process.exit(1)})";

static const char python_probe[] =
	"import sys,urllib.request as q,urllib.error as e\n"
	"u,m,t=sys.argv[1],sys.argv[2],float(sys.argv[3])/1000\n"
	"try:\n"
	"    q.urlopen(u,timeout=t).read(1)\n"
	"except e.HTTPError as x:\n"
	"    if m!='any':\n"
	"        print('HTTP %d'%x.code,file=sys.stderr);sys.exit(1)\n"
	"except Exception as x:\n"
	"    print(x,file=sys.stderr);sys.exit(1)\n";

void nd_gate_plan_release(struct nd_gate_plan *g)
{
	if (!g)
		return;
	nd_strvec_release(&g->argv);
	free(g->source);
	free(g->path);
	free(g->probe_path);
	memset(g, 0, sizeof(*g));
}

int nd_probe_kind_parse(const char *s, enum nd_probe_kind *out)
{
	static const struct {
		const char *name;
		enum nd_probe_kind k;
	} kinds[] = {
		{ "none", ND_PROBE_NONE },     { "curl", ND_PROBE_CURL },
		{ "wget", ND_PROBE_WGET },     { "node", ND_PROBE_NODE },
		{ "python", ND_PROBE_PYTHON },
	};

	if (!s)
		return -1;
	for (size_t i = 0; i < ND_ARRAY_SIZE(kinds); i++)
		if (!strcmp(s, kinds[i].name)) {
			*out = kinds[i].k;
			return 0;
		}
	if (s[0] == '/' && s[1]) {
		for (const char *c = s; *c; c++)
			if ((unsigned char)*c <= ' ' || *c == 0x7f)
				return -1;
		*out = ND_PROBE_PATH;
		return 0;
	}
	return -1;
}

const char *nd_probe_kind_name(enum nd_probe_kind k)
{
	switch (k) {
	case ND_PROBE_CURL:
		return "curl";
	case ND_PROBE_WGET:
		return "wget";
	case ND_PROBE_NODE:
		return "node";
	case ND_PROBE_PYTHON:
		return "python";
	case ND_PROBE_PATH:
		return "path";
	default:
		return "none";
	}
}

void nd_probe_http_argv(struct nd_strvec *out, enum nd_probe_kind k,
			const char *probe_path, const char *url,
			bool any_status, int64_t timeout_ms)
{
	char t[32];

	snprintf(t, sizeof(t), "%lld", (long long)timeout_ms);
	switch (k) {
	case ND_PROBE_CURL: {
		char secs[32];

		snprintf(secs, sizeof(secs), "%.3f", timeout_ms / 1000.0);
		nd_strvec_push(out, "curl");
		nd_strvec_push(out, any_status ? "-sS" : "-fsS");
		nd_strvec_push(out, "-o");
		nd_strvec_push(out, "/dev/null");
		nd_strvec_push(out, "-m");
		nd_strvec_push(out, secs);
		nd_strvec_push(out, "--");
		nd_strvec_push(out, url);
		break;
	}
	case ND_PROBE_WGET:
		/* busybox `wget -T` segfaults: the exec timeout bounds it */
		nd_strvec_push(out, "wget");
		nd_strvec_push(out, "-q");
		nd_strvec_push(out, "-O");
		nd_strvec_push(out, "/dev/null");
		nd_strvec_push(out, url);
		break;
	case ND_PROBE_NODE:
		nd_strvec_push(out, "node");
		nd_strvec_push(out, "-e");
		nd_strvec_push(out, node_probe);
		nd_strvec_push(out, url);
		nd_strvec_push(out, any_status ? "any" : "status");
		nd_strvec_push(out, t);
		break;
	case ND_PROBE_PYTHON:
		nd_strvec_push(out, "python3");
		nd_strvec_push(out, "-c");
		nd_strvec_push(out, python_probe);
		nd_strvec_push(out, url);
		nd_strvec_push(out, any_status ? "any" : "status");
		nd_strvec_push(out, t);
		break;
	case ND_PROBE_PATH:
		nd_strvec_push(out, probe_path ? probe_path : "/bin/false");
		nd_strvec_push(out, url);
		break;
	case ND_PROBE_NONE:
		BUG("an HTTP probe of kind none");
	}
}

bool nd_probe_http_passed(enum nd_probe_kind k, bool any_status, long exit_code,
			  const char *err_text)
{
	if (exit_code == 0)
		return true;
	if (!any_status || nd_probe_missing(exit_code))
		return false;
	/* an HTTP error status still means the port answers */
	if (k == ND_PROBE_WGET)
		return exit_code == 8 || /* GNU wget: server error response */
		       (err_text && strstr(err_text, "server returned error"));
	return false;
}

int nd_probe_from_image_healthcheck(struct nd_strvec *out, const cJSON *test)
{
	const cJSON *first = cJSON_GetArrayItem(test, 0), *it;
	int n = cJSON_GetArraySize(test);

	if (!cJSON_IsArray(test) || !cJSON_IsString(first) || n < 2)
		return 1;
	if (!strcmp(first->valuestring, "CMD-SHELL")) {
		const cJSON *cmd = cJSON_GetArrayItem(test, 1);

		if (!cJSON_IsString(cmd) || !*cmd->valuestring)
			return 1;
		nd_strvec_push(out, "/bin/sh");
		nd_strvec_push(out, "-c");
		nd_strvec_push(out, cmd->valuestring);
		return 0;
	}
	if (strcmp(first->valuestring, "CMD"))
		return 1; /* NONE, or something we do not know */
	for (it = first->next; it; it = it->next)
		if (!cJSON_IsString(it))
			return 1;
	for (it = first->next; it; it = it->next)
		nd_strvec_push(out, it->valuestring);
	return 0;
}

static const cJSON *image_config(const cJSON *image)
{
	return cJSON_GetObjectItemCaseSensitive(image, "Config");
}

static void autodetect_kinds(struct nd_gate_plan *g)
{
	g->kinds[0] = ND_PROBE_CURL;
	g->kinds[1] = ND_PROBE_WGET;
	g->kinds[2] = ND_PROBE_NODE;
	g->kinds[3] = ND_PROBE_PYTHON;
	g->nkinds = 4;
	g->kind_from_label = false;
}

int nd_gate_plan_make(struct nd_gate_plan *out, const struct nd_project *p,
		      const cJSON *image, long port, struct nd_error *err)
{
	const cJSON *cfg = image_config(image);
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(cfg, "Labels");
	const char *label = cJSON_IsObject(labels) ?
				    cJSON_GetStringValue(
					    cJSON_GetObjectItemCaseSensitive(
						    labels,
						    "nextdeploy.probe")) :
				    NULL;
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(cfg, "Healthcheck");
	struct nd_gate_plan g = { 0 };
	enum nd_probe_kind kind = ND_PROBE_NONE;

	g.interval_ms = p->deploy.healthcheck.interval_ms ?
				p->deploy.healthcheck.interval_ms :
				ND_GATE_DEFAULT_INTERVAL_MS;
	g.timeout_ms = p->deploy.healthcheck.timeout_ms ?
			       p->deploy.healthcheck.timeout_ms :
			       ND_GATE_DEFAULT_TIMEOUT_MS;
	g.retries = p->deploy.healthcheck.retries ?
			    p->deploy.healthcheck.retries :
			    ND_GATE_DEFAULT_RETRIES;
	g.start_period_ms = p->deploy.healthcheck.start_period_ms;
	g.grace_ms = g.start_period_ms ? g.start_period_ms :
					 ND_GATE_DEFAULT_GRACE_MS;
	g.port = port;

	if (label) {
		if (nd_probe_kind_parse(label, &kind) < 0)
			return nd_error_set(
				err, ND_EGENERIC,
				"the image's label nextdeploy.probe='%s' is not node, python, wget, curl, none or an absolute path",
				label);
		if (kind != ND_PROBE_NONE) {
			g.kinds[0] = kind;
			g.nkinds = 1;
			g.kind_from_label = true;
			if (kind == ND_PROBE_PATH)
				g.probe_path = nd_strdup(label);
		}
	} else {
		autodetect_kinds(&g);
	}

	if (p->deploy.healthcheck.command.nr) {
		g.mode = ND_GATE_COMMAND;
		for (size_t i = 0; i < p->deploy.healthcheck.command.nr; i++)
			nd_strvec_push(&g.argv,
				       p->deploy.healthcheck.command.items[i]);
		g.source = nd_strdup("deploy.healthcheck.command");
	} else if (p->deploy.healthcheck.command_shell) {
		g.mode = ND_GATE_COMMAND;
		nd_strvec_push(&g.argv, "/bin/sh");
		nd_strvec_push(&g.argv, "-c");
		nd_strvec_push(&g.argv, p->deploy.healthcheck.command_shell);
		g.source = nd_strdup("deploy.healthcheck.command");
	} else if (p->deploy.healthcheck.path) {
		g.mode = ND_GATE_HTTP;
		g.path = nd_strdup(p->deploy.healthcheck.path);
		g.source = nd_strdup("deploy.healthcheck.path");
		if (!g.nkinds) {
			/* the label says none, yet a path is asked for: try all */
			autodetect_kinds(&g);
		}
	} else if (nd_probe_from_image_healthcheck(
			   &g.argv,
			   cJSON_GetObjectItemCaseSensitive(hc, "Test")) == 0) {
		g.mode = ND_GATE_COMMAND;
		g.source = nd_strdup("the image's HEALTHCHECK");
	} else if (g.nkinds && port > 0) {
		g.mode = ND_GATE_LISTEN;
		g.path = nd_strdup("/");
		g.source = nd_strdup("the app port answers HTTP");
	} else {
		g.mode = ND_GATE_GRACE;
		g.source = nd_strdup("still running after a grace period");
	}
	*out = g;
	return 0;
}
