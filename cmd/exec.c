/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"

const struct nd_cmd_spec nd_exec_spec = {
	.usage = "[OPTIONS] [SERVICE] [--] COMMAND [ARG...]",
	.min_args = 1,
	.max_args = -1,
};

int cmd_exec(int argc, const char **argv, struct nd_ctx *ctx)
{
	ND_UNUSED(argc);
	ND_UNUSED(argv);
	return nd_cmd_not_implemented(ctx);
}
