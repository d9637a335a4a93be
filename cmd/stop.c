/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "cmd/deploy_common.h"
#include "core/project.h"
#include "docker/api.h"

#include <cjson/cJSON.h>

/* clang-format off */
static const char *const stop_sections[] = {
	"EXIT STATUS",
	"0 success (also when nothing was running); 1 a container could not "
	"be stopped (the others were); 2 usage or project-file error; 3 "
	"engine unreachable.",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_stop_spec = {
	.usage = "[OPTIONS]",
	.description =
		"Stop the app's running containers, found by their "
		"nextdeploy.app label: its proxy nd-<app>-proxy first (no new "
		"requests), then the release's containers, each with "
		"deploy.stop_timeout to exit before it is killed. Nothing is "
		"removed: 'nextdeploy start' brings the live release back. The "
		"shared edge proxy keeps running for the other apps. A "
		"container that cannot be stopped is reported, the others are "
		"still stopped, and the exit status is 1.",
	.min_args = 0,
	.max_args = 0,
	.examples = (const struct nd_example[]){
		{ "nextdeploy stop", "stop the app" },
		{ NULL, NULL },
	},
	.sections = stop_sections,
};
/* clang-format on */

int cmd_stop(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_app_state st = ND_APP_STATE_INIT;
	struct nd_error err = ND_ERROR_INIT;
	struct nd_bulk b = { "stop", "stopped", 0, 0, NULL, NULL };
	int t = (int)((nd_project_stop_timeout_ms(ctx->project) + 999) / 1000);
	const cJSON *c;
	int code;

	ND_UNUSED(argc);
	ND_UNUSED(argv);
	if ((code = nd_ops_load_state(ctx, &st)))
		return code;
	/* the proxy first, so that no request reaches a stopping release */
	for (int pass = 0; pass < 2; pass++) {
		cJSON_ArrayForEach(c, st.containers) {
			const char *svc = nd_json_label(c, "nextdeploy.service");
			bool proxy = nd_streq(svc, "proxy");

			if (!nd_streq(nd_json_str(c, "State"), "running") ||
			    nd_streq(svc, "lock") || proxy != (pass == 0))
				continue;
			nd_bulk_item(&b, nd_container_name(c),
				     nd_container_stop(ctx->engine,
						       nd_json_str(c, "Id"), t,
						       &err),
				     &err);
		}
	}
	if (!b.ok && !b.failed)
		nd_msg_info("nothing of '%s' is running", ctx->project->app);
	nd_app_state_release(&st);
	return b.failed ? ND_EXIT_FAIL : ND_EXIT_OK;
}
