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

#endif
