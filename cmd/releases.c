/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/deploy.h"
#include "core/project.h"

#include <cjson/cJSON.h>
#include <time.h>

/* clang-format off */
static const char *const releases_sections[] = {
	"STATUS",
	"live: the release the app's proxy serves; stopped: the live "
	"release, but the app is stopped; failed: its last deploy failed "
	"(health check or release command); previous: it was live before. "
	"The record of which release is live is kept with the app's proxy "
	"(/etc/caddy/nextdeploy.json in nd-<app>-proxy), next to the "
	"configuration that decides it.",
	"EXIT STATUS",
	"0 success; 1 engine error; 2 usage or project-file error; 3 engine "
	"unreachable.",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_releases_spec = {
	.usage = "[OPTIONS]",
	.description =
		"List the app's releases: the images on the engine labeled "
		"nextdeploy.app=<app>, newest first, with their image, age, "
		"size and status (which one is live, which failed). With -q "
		"only the release tags are printed; with --json an array of "
		"objects (release, image, image_id, created, size, status, "
		"live).",
	.min_args = 0,
	.max_args = 0,
	.examples = (const struct nd_example[]){
		{ "nextdeploy releases", "the releases, which one is live" },
		{ "nextdeploy releases -q", "only the release tags" },
		{ "nextdeploy rollback $(nextdeploy releases -q | sed -n 3p)",
		  "go back two releases" },
		{ NULL, NULL },
	},
	.sections = releases_sections,
};
/* clang-format on */

int cmd_releases(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_app_state st = ND_APP_STATE_INIT;
	struct nd_error err = ND_ERROR_INIT;
	struct nd_release_info *list = NULL;
	struct nd_table t = ND_TABLE_INIT;
	size_t n = 0;
	cJSON *out = NULL;
	time_t now = time(NULL);
	int code = 0;

	ND_UNUSED(argc);
	ND_UNUSED(argv);
	if (nd_app_state_load(&st, ctx->engine, ctx->project->app, &err) < 0 ||
	    nd_releases_list(&list, &n, ctx->engine, ctx->project->app, &st,
			     &err) < 0) {
		nd_error_report(&err);
		code = nd_error_exit_code(&err);
		goto done;
	}
	if (nd_out.json) {
		out = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			time_t ct = (time_t)list[i].created;
			struct tm tm;
			char ts[32];

			gmtime_r(&ct, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
			cJSON_AddStringToObject(o, "release", list[i].release);
			cJSON_AddStringToObject(o, "image", list[i].image);
			cJSON_AddStringToObject(o, "image_id", list[i].image_id);
			cJSON_AddStringToObject(o, "created", ts);
			cJSON_AddNumberToObject(o, "size", list[i].size);
			cJSON_AddStringToObject(o, "status", list[i].status);
			cJSON_AddBoolToObject(o, "live",
					      !strcmp(list[i].status, "live"));
			cJSON_AddItemToArray(out, o);
		}
		nd_json_print(out);
		goto done;
	}
	if (nd_out.quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", list[i].release);
		goto done;
	}
	nd_table_columns(&t, "RELEASE", "IMAGE", "CREATED", "SIZE", "STATUS",
			 NULL);
	for (size_t i = 0; i < n; i++) {
		char age[64], size[32];

		nd_format_ago(age, sizeof(age),
			      difftime(now, (time_t)list[i].created));
		nd_format_bytes_decimal(size, sizeof(size), list[i].size);
		nd_table_row(&t, list[i].release, list[i].image, age, size,
			     *list[i].status ? list[i].status : "-", NULL);
		if (!strcmp(list[i].status, "live"))
			nd_table_color(&t, 4, nd_color(ND_C_GREEN));
		else if (!strcmp(list[i].status, "failed"))
			nd_table_color(&t, 4, nd_color(ND_C_RED));
	}
	nd_table_print(&t, stdout);
	if (!n)
		nd_msg_info(
			"'%s' has no releases on the engine (build one with 'nextdeploy build')",
			ctx->project->app);
done:
	nd_table_release(&t);
	nd_releases_free(list, n);
	nd_app_state_release(&st);
	nd_error_release(&err);
	return code;
}
