/* SPDX-License-Identifier: MIT */
/* The commented nextdeploy.yml that `init` writes from a plan. */
#include "core/common.h"
#include "buildpacks/plan.h"
#include "core/buf.h"
#include "core/project.h"

/* Comment text: one line, control characters replaced. */
static void comment_text(struct nd_buf *b, const char *s)
{
	for (; *s; s++)
		nd_buf_addch(b,
			     (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

/* "  # key: value   # detected: why" */
static void commented(struct nd_buf *b, const char *indent, const char *key,
		      const char *value, const char *why)
{
	size_t start = b->len;

	nd_buf_addf(b, "%s# %s: ", indent, key);
	comment_text(b, value);
	if (why) {
		size_t w = b->len - start;

		while (w++ < 44)
			nd_buf_addch(b, ' ');
		nd_buf_adds(b, " # ");
		comment_text(b, why);
	}
	nd_buf_addch(b, '\n');
}

static const char *reason_file(const struct nd_plan *plan, const char *what)
{
	size_t i;

	for (i = 0; i < plan->nreasons; i++)
		if (!strcmp(plan->reasons[i].what, what))
			return plan->reasons[i].file;
	return NULL;
}

static char *why(const struct nd_plan *plan, const char *what)
{
	const char *f = reason_file(plan, what);

	return f ? nd_xprintf("detected from %s", f) : nd_strdup("the default");
}

char *nd_plan_init_yaml(const struct nd_plan *plan, const char *app)
{
	struct nd_buf b = ND_BUF_INIT;
	char *w;
	size_t i;

	nd_buf_adds(
		&b,
		"# nextdeploy.yml, written by 'nextdeploy init' from what it detected here:\n");
	nd_buf_addf(&b, "#   a %s app", plan->kind);
	if (plan->language && strcmp(plan->language, plan->kind))
		nd_buf_addf(&b, " built with %s", plan->language);
	for (i = 0; i < plan->versions.nr; i++)
		nd_buf_addf(&b, "%s%s %s", i ? ", " : " (",
			    plan->versions.items[i].key,
			    plan->versions.items[i].value);
	if (plan->framework)
		nd_buf_addf(&b, "%s%s", plan->versions.nr ? ", " : " (",
			    plan->framework);
	if (plan->versions.nr || plan->framework)
		nd_buf_addch(&b, ')');
	nd_buf_addch(&b, '\n');
	for (i = 0; i < plan->nreasons; i++) {
		const struct nd_plan_reason *r = &plan->reasons[i];
		size_t start = b.len;

		nd_buf_adds(&b, "#   ");
		comment_text(&b, r->what);
		nd_buf_adds(&b, ": ");
		comment_text(&b, r->value);
		if (r->file) {
			nd_buf_adds(&b, " (");
			comment_text(&b, r->file);
			nd_buf_adds(&b, ")");
		}
		if (b.len - start > 200)
			nd_buf_truncate(&b, start + 200);
		nd_buf_addch(&b, '\n');
	}
	nd_buf_adds(
		&b,
		"# 'nextdeploy plan' shows the build plan and the Dockerfile; every key is\n"
		"# described in nextdeploy.yml(5). Uncomment a line to override detection.\n\n");
	nd_buf_addf(&b, "app: %s\n\n", app);

	nd_buf_adds(&b, "source:\n  path: .\n");
	nd_buf_adds(
		&b,
		"  # git: https://example.com/org/app.git   # or file:// or a local repository\n");
	nd_buf_adds(
		&b,
		"  # ref: main                              # branch, tag or commit\n");
	nd_buf_adds(&b, "  # subdir: apps/web\n\n");

	nd_buf_adds(&b, "build:\n");
	nd_buf_addf(
		&b,
		"  buildpack: auto                          # detected: %s\n",
		nd_buildpack_name(plan->buildpack));
	if (plan->dockerfile_path)
		commented(&b, "  ", "dockerfile", plan->dockerfile_path,
			  "detected");
	else
		commented(&b, "  ", "dockerfile", "Dockerfile", NULL);
	if (plan->compose_file)
		commented(&b, "  ", "compose_file", plan->compose_file,
			  "detected");
	commented(&b, "  ", "context", ".", NULL);
	if (plan->base_image) {
		w = why(plan, "base image");
		commented(&b, "  ", "base_image", plan->base_image, w);
		free(w);
	}
	if (plan->runtime_image) {
		w = why(plan, "runtime image");
		commented(&b, "  ", "runtime_image", plan->runtime_image, w);
		free(w);
	}
	if (plan->install_cmd) {
		w = why(plan, "install");
		commented(&b, "  ", "install", plan->install_cmd, w);
		free(w);
	}
	if (plan->build_cmd) {
		w = why(plan, "build");
		commented(&b, "  ", "command", plan->build_cmd, w);
		free(w);
	}
	if (plan->start_cmd && plan->dockerfile) {
		w = why(plan, "start");
		commented(&b, "  ", "start", plan->start_cmd, w);
		free(w);
	}
	if (plan->output_dir) {
		commented(&b, "  ", "output_dir", plan->output_dir, "detected");
	}
	commented(&b, "  ", "args", "{ NODE_ENV: production }", NULL);
	commented(&b, "  ", "target", "runtime", NULL);
	nd_buf_adds(&b, "\n");

	nd_buf_adds(&b, "image:\n");
	nd_buf_addf(&b, "  # name: %s\n", app);
	nd_buf_adds(
		&b,
		"  # tag: auto                               # short git commit, else a content hash\n");
	nd_buf_adds(&b, "  # registry: registry.example.com/team\n\n");

	nd_buf_adds(&b, "deploy:\n");
	if (plan->port) {
		size_t start = b.len;

		w = why(plan, "port");
		nd_buf_addf(&b, "  port: %d", plan->port);
		while (b.len - start < 43)
			nd_buf_addch(&b, ' ');
		nd_buf_adds(&b, "  # ");
		comment_text(&b, w);
		nd_buf_addch(&b, '\n');
		free(w);
	} else {
		nd_buf_adds(&b, "  # port: 3000\n");
	}
	nd_buf_adds(
		&b,
		"  # publish: 8080                           # host port; 0 = the engine picks\n");
	nd_buf_adds(&b, "  # replicas: 1\n");
	nd_buf_adds(&b, "  # env: { LOG_LEVEL: info }\n");
	nd_buf_adds(&b, "  # env_file: .env\n");
	nd_buf_adds(
		&b,
		"  # secrets: { DB_PASSWORD: { env: DB_PASSWORD } }   # or { file: ./secrets/db }\n");
	nd_buf_adds(&b, "  # volumes: { data: /var/lib/app }\n");
	nd_buf_adds(
		&b,
		"  # healthcheck: { path: /health, interval: 2s, timeout: 2s, retries: 15 }\n");
	nd_buf_adds(&b, "  # resources: { memory: 512m, cpus: 0.5 }\n");
	nd_buf_adds(&b, "  # restart: unless-stopped\n");
	nd_buf_adds(
		&b,
		"  # domains: [app.example.com]              # served by the edge proxy on 80/443\n");
	nd_buf_adds(
		&b,
		"  # tls: auto                               # auto | internal | off\n");
	return nd_buf_detach(&b, NULL);
}
