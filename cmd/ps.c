/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/project.h"
#include "docker/api.h"

#include <cjson/cJSON.h>
#include <time.h>

static bool show_all;

/* clang-format off */
static const struct nd_opt ps_opts[] = {
	ND_OPT_BOOL_ROW('a', "all", &show_all,
			"also list stopped containers (failed releases kept for inspection, stopped services)"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const struct nd_arg ps_args[] = {
	{ "SERVICE", ND_ARG_SERVICE, NULL, true, false,
	  "only this service's containers (web, proxy, ...)" },
	ND_ARG_END,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_ps_spec = {
	.usage = "[OPTIONS] [SERVICE]",
	.description = "List the project's containers, found by their "
		       "nextdeploy.app label: name, service, release, image, "
		       "state, health, published ports and age. Only running "
		       "containers are listed unless --all is given. With -q "
		       "only the container IDs are printed, one per line; with "
		       "--json an array of objects (id, name, service, release, "
		       "image, state, status, health, ports, created).",
	.opts = ps_opts,
	.args = ps_args,
	.max_args = 1,
	.examples = (const struct nd_example[]){
		{ "nextdeploy ps", "the running containers of the project" },
		{ "nextdeploy ps -a web", "all containers of the web service" },
		{ "nextdeploy ps -q", "only their IDs" },
		{ NULL, NULL },
	},
};
/* clang-format on */

/* Docker's Status text carries the health: "Up 3 minutes (healthy)". */
static const char *health_of(const cJSON *c)
{
	const char *status = nd_json_str(c, "Status");

	if (!status)
		return "";
	if (strstr(status, "(healthy)"))
		return "healthy";
	if (strstr(status, "(unhealthy)"))
		return "unhealthy";
	if (strstr(status, "(health: starting)"))
		return "starting";
	return "";
}

static void ports_text(struct nd_buf *b, const cJSON *c, cJSON *json_out)
{
	const cJSON *ports = cJSON_GetObjectItemCaseSensitive(c, "Ports");
	const cJSON *p;

	cJSON_ArrayForEach(p, ports) {
		double priv = nd_json_num(p, "PrivatePort", 0);
		double pub = nd_json_num(p, "PublicPort", 0);
		const char *ip = nd_json_str(p, "IP");
		const char *type = nd_json_str(p, "Type");

		if (json_out) {
			cJSON *o = cJSON_CreateObject();

			if (ip)
				cJSON_AddStringToObject(o, "ip", ip);
			cJSON_AddNumberToObject(o, "private_port", priv);
			if (pub)
				cJSON_AddNumberToObject(o, "public_port", pub);
			cJSON_AddStringToObject(o, "type", type ? type : "tcp");
			cJSON_AddItemToArray(json_out, o);
		}
		/* the engine lists IPv4 and IPv6 bindings separately */
		if (ip && strchr(ip, ':'))
			continue;
		if (b->len)
			nd_buf_adds(b, ", ");
		if (pub)
			nd_buf_addf(b, "%s:%.0f->%.0f/%s", ip ? ip : "0.0.0.0",
				    pub, priv, type ? type : "tcp");
		else
			nd_buf_addf(b, "%.0f/%s", priv, type ? type : "tcp");
	}
}

int cmd_ps(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_filters f = ND_FILTERS_INIT;
	struct nd_error err = ND_ERROR_INIT;
	struct nd_table t = ND_TABLE_INIT;
	cJSON *list = NULL, *out = NULL;
	const cJSON *c;
	int code = 0;
	time_t now = time(NULL);

	nd_filters_project(&f, ctx->project->app);
	if (argc == 1) {
		char *l = nd_xprintf("nextdeploy.service=%s", argv[0]);

		nd_filters_add(&f, "label", l);
		free(l);
	}
	if (nd_containers_list(ctx->engine, show_all, &f, &list, &err) < 0) {
		nd_error_wrap(&err, "listing the containers of '%s'",
			      ctx->project->app);
		nd_error_report(&err);
		code = nd_error_exit_code(&err);
		goto done;
	}
	if (nd_out.json)
		out = cJSON_CreateArray();
	else if (!nd_out.quiet)
		nd_table_columns(&t, "NAME", "SERVICE", "RELEASE", "IMAGE",
				 "STATE", "HEALTH", "PORTS", "CREATED", NULL);
	cJSON_ArrayForEach(c, list) {
		const char *id = nd_json_str(c, "Id");
		const char *state = nd_json_str(c, "State");
		const char *service = nd_json_label(c, "nextdeploy.service");
		const char *release = nd_json_label(c, "nextdeploy.release");
		double created = nd_json_num(c, "Created", 0);
		struct nd_buf ports = ND_BUF_INIT;
		char age[64];

		if (!id)
			continue;
		if (nd_out.quiet && !nd_out.json) {
			printf("%.12s\n", id);
			continue;
		}
		if (out) {
			cJSON *o = cJSON_CreateObject();
			cJSON *pj = cJSON_CreateArray();
			char ts[32];
			time_t ct = (time_t)created;
			struct tm tm;

			cJSON_AddStringToObject(o, "id", id);
			cJSON_AddStringToObject(o, "name", nd_container_name(c));
			cJSON_AddStringToObject(o, "service",
						service ? service : "");
			cJSON_AddStringToObject(o, "release",
						release ? release : "");
			cJSON_AddStringToObject(o, "image",
						nd_json_str(c, "Image") ?: "");
			cJSON_AddStringToObject(o, "state", state ? state : "");
			cJSON_AddStringToObject(o, "status",
						nd_json_str(c, "Status") ?: "");
			cJSON_AddStringToObject(o, "health", health_of(c));
			ports_text(&ports, c, pj);
			cJSON_AddItemToObject(o, "ports", pj);
			gmtime_r(&ct, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
			cJSON_AddStringToObject(o, "created", ts);
			cJSON_AddItemToArray(out, o);
		} else {
			ports_text(&ports, c, NULL);
			nd_format_ago(age, sizeof(age),
				      difftime(now, (time_t)created));
			nd_table_row(&t, nd_container_name(c),
				     service ? service : "-",
				     release ? release : "-",
				     nd_json_str(c, "Image") ?: "",
				     state ? state : "", health_of(c),
				     ports.buf, age, NULL);
			if (state && !strcmp(state, "running"))
				nd_table_color(&t, 4, nd_color(ND_C_GREEN));
			else if (state && (!strcmp(state, "exited") ||
					   !strcmp(state, "dead")))
				nd_table_color(&t, 4, nd_color(ND_C_RED));
			if (!strcmp(health_of(c), "unhealthy"))
				nd_table_color(&t, 5, nd_color(ND_C_RED));
		}
		nd_buf_release(&ports);
	}
	if (out) {
		nd_json_print(out);
		out = NULL;
	} else if (!nd_out.quiet) {
		nd_table_print(&t, stdout);
		if (!t.nrows && nd_out.tty_err)
			nd_msg_info(
				"no %scontainers for '%s'%s",
				show_all ? "" : "running ", ctx->project->app,
				show_all ?
					"" :
					" (use --all to include stopped ones)");
	}
done:
	cJSON_Delete(list);
	cJSON_Delete(out);
	nd_table_release(&t);
	nd_filters_release(&f);
	nd_error_release(&err);
	return code;
}
