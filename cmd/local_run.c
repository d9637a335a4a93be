/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"

const struct nd_cmd_spec nd_local_run_spec = {
	.usage = "[OPTIONS]",
	.min_args = 0,
	.max_args = 0,
};

int cmd_local_run(int argc, const char **argv, struct nd_ctx *ctx)
{
	ND_UNUSED(argc);
	ND_UNUSED(argv);
	return nd_cmd_not_implemented(ctx);
}
