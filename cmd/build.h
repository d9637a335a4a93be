/* SPDX-License-Identifier: MIT */
#ifndef ND_CMD_BUILD_H
#define ND_CMD_BUILD_H

#include "core/common.h"
#include "core/error.h"
#include "core/kv.h"
#include "core/opt.h"

/*
 * What build shares with the commands that build first (local run):
 * KEY[=VALUE] options (--build-arg, --label) into a list. need_value:
 * KEY alone is an error; else its value is NULL (taken from the
 * environment by the build). ND_EUSAGE naming `what` on a bad item.
 */
int nd_parse_kv_options(struct nd_kvlist *out, const struct nd_strlist *in,
			const char *what, bool need_value,
			struct nd_error *err);

/*
 * The option rows of the build step, the same in every command that builds
 * (build, local run), so that they mean and read the same.
 */
/* clang-format off */
#define ND_OPT_BUILD_ROWS(force, no_cache, pull, build_args, target)	\
	ND_OPT_BOOL_ROW(0, "force", force,				\
			"build even when an image of this release already exists"), \
	ND_OPT_BOOL_ROW(0, "no-cache", no_cache,			\
			"do not use the engine's layer cache"),		\
	ND_OPT_BOOL_ROW(0, "pull", pull,				\
			"always try to pull newer versions of the base images"), \
	ND_OPT_LIST_ROW(0, "build-arg", build_args, "KEY[=VALUE]",	\
			ND_ARG_KEYVALUE,				\
			"a build argument, over build.args; KEY alone takes its value from the environment"), \
	ND_OPT_STRING_ROW(0, "target", target, "STAGE", ND_ARG_TEXT,	\
			  "build up to this stage of a multi-stage Dockerfile")
/* clang-format on */

#endif
