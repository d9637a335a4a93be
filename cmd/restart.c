/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "cmd/deploy_common.h"

/* clang-format off */
static const char *const restart_sections[] = {
	"EXIT STATUS",
	"0 success; 1 a container could not be restarted (the others were), "
	"or nothing was ever deployed; 2 usage or project-file error; 3 "
	"engine unreachable.",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_restart_spec = {
	.usage = "[OPTIONS]",
	.description =
		"Restart the live release's containers one after the other "
		"(each gets deploy.stop_timeout to exit), then the app's proxy, "
		"waiting until it serves. With several replicas the proxy "
		"sends requests to the others while one restarts; with one, "
		"requests wait or fail while it restarts -- for a restart "
		"without downtime, deploy again with 'nextdeploy run'. Stopped "
		"containers are started.",
	.min_args = 0,
	.max_args = 0,
	.examples = (const struct nd_example[]){
		{ "nextdeploy restart", "restart the app's containers" },
		{ NULL, NULL },
	},
	.sections = restart_sections,
};
/* clang-format on */

int cmd_restart(int argc, const char **argv, struct nd_ctx *ctx)
{
	ND_UNUSED(argc);
	ND_UNUSED(argv);
	return nd_ops_start_live(ctx, true);
}
