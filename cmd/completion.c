/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"

const struct nd_cmd_spec nd_completion_spec = {
	.usage = "bash|zsh|fish",
	.min_args = 1,
	.max_args = 1,
};

int cmd_completion(int argc, const char **argv, struct nd_ctx *ctx)
{
	ND_UNUSED(argc);
	ND_UNUSED(argv);
	return nd_cmd_not_implemented(ctx);
}
