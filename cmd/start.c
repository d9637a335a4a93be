/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "cmd/deploy_common.h"
#include "core/deploy_infra.h"
#include "core/project.h"
#include "docker/api.h"

#include <cjson/cJSON.h>

/* clang-format off */
static const char *const start_sections[] = {
	"EXIT STATUS",
	"0 success; 1 a container could not be started (the others were), "
	"or nothing was ever deployed; 2 usage or project-file error; 3 "
	"engine unreachable.",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_start_spec = {
	.usage = "[OPTIONS]",
	.description =
		"Start the app again after 'nextdeploy stop': the live "
		"release's containers (as recorded with the app's proxy), then "
		"the proxy, waiting until it serves; with deploy.domains also "
		"the edge proxy's route. Old and failed releases stay stopped. "
		"Prints the URL. To deploy, use 'nextdeploy run'.",
	.min_args = 0,
	.max_args = 0,
	.examples = (const struct nd_example[]){
		{ "nextdeploy start", "start the stopped app" },
		{ NULL, NULL },
	},
	.sections = start_sections,
};
/* clang-format on */

int nd_ops_start_live(struct nd_ctx *ctx, bool restart)
{
	struct nd_app_state st = ND_APP_STATE_INIT;
	struct nd_error err = ND_ERROR_INIT;
	struct nd_bulk b = { restart ? "restart" : "start",
			     restart ? "restarted" : "started",
			     0,
			     0,
			     NULL,
			     NULL };
	int t = (int)((nd_project_stop_timeout_ms(ctx->project) + 999) / 1000);
	struct nd_deploy_ui ui = nd_deploy_cli_ui();
	const char *pid;
	char *url;
	int code, r;

	if ((code = nd_ops_load_state(ctx, &st)))
		return code;
	if (!st.have_record) {
		nd_msg_error("'%s' has no live release to %s",
			     ctx->project->app, b.verb);
		nd_msg_hint("deploy one with 'nextdeploy run'");
		nd_app_state_release(&st);
		return ND_EXIT_FAIL;
	}
	for (size_t i = 0; i < st.rec.containers.nr; i++) {
		const char *name = st.rec.containers.items[i];

		r = restart ? nd_container_restart(ctx->engine, name, t, &err) :
			      nd_container_start(ctx->engine, name, &err);
		nd_bulk_item(&b, name, r, &err);
	}
	pid = nd_json_str(st.proxy, "Id");
	if (restart || !st.proxy_running) {
		r = restart ? nd_container_restart(ctx->engine, pid, 5, &err) :
			      nd_container_start(ctx->engine, pid, &err);
		if (r == 0)
			r = nd_infra_proxy_wait_ready(ctx->engine, pid,
						      ND_PROXY_READY_MS, NULL,
						      &err);
		nd_bulk_item(&b, nd_container_name(st.proxy), r, &err);
	}
	if (ctx->project->deploy.domains.nr &&
	    nd_edge_sync(ctx->engine, ctx->project, &ui, NULL, &err) < 0) {
		nd_msg_warning("%s", err.msg);
		nd_error_release(&err);
		b.failed++;
	}
	{
		/* the proxy as it is now: with publish 0 its port is new */
		cJSON *now = NULL;

		if (nd_container_inspect(ctx->engine, pid, &now, &err) < 0)
			nd_error_release(&err);
		url = nd_app_url(ctx->engine, ctx->project, now);
		cJSON_Delete(now);
	}
	if (url && !b.failed) {
		printf("%s\n", url);
		nd_msg_info("release %s of %s is %s at %s", st.rec.release,
			    ctx->project->app,
			    restart ? "restarted" : "serving", url);
	}
	free(url);
	nd_app_state_release(&st);
	return b.failed ? ND_EXIT_FAIL : ND_EXIT_OK;
}

int cmd_start(int argc, const char **argv, struct nd_ctx *ctx)
{
	ND_UNUSED(argc);
	ND_UNUSED(argv);
	return nd_ops_start_live(ctx, false);
}
