/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"

/* Two-level command: `nextdeploy local run` (git's OPT_SUBCOMMAND shape). */
/* clang-format off */
static const struct nd_command local_commands[] = {
	{ "run", cmd_local_run, ND_NEED_PROJECT | ND_NEED_ENGINE,
	  "build and run on the local engine, attached; Ctrl-C cleans up",
	  &nd_local_run_spec },
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_local_spec = {
	.usage = "COMMAND [OPTIONS]",
	.description = "Commands that work against the local engine only.",
	.min_args = 0,
	.max_args = 0,
	.subcommands = local_commands,
	.nsubcommands = ND_ARRAY_SIZE(local_commands),
};
/* clang-format on */

int cmd_local(int argc, const char **argv, struct nd_ctx *ctx)
{
	ND_UNUSED(argc);
	ND_UNUSED(argv);
	ND_UNUSED(ctx);
	BUG("'local' runs only through its subcommands");
}
