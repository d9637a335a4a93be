/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"

const struct nd_cmd_spec nd_start_spec = {
	.usage = "[OPTIONS] [SERVICE]",
	.min_args = 0,
	.max_args = 1,
};

int cmd_start(int argc, const char **argv, struct nd_ctx *ctx)
{
	ND_UNUSED(argc);
	ND_UNUSED(argv);
	return nd_cmd_not_implemented(ctx);
}
