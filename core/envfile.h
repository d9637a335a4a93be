/* SPDX-License-Identifier: MIT */
#ifndef ND_ENVFILE_H
#define ND_ENVFILE_H

#include "core/common.h"
#include "core/error.h"
#include "core/kv.h"

/*
 * Env files (`deploy.env_file`), in the dialect docker compose reads:
 *
 *	# a comment line
 *	KEY=value              unquoted: trimmed; " #..." starts a comment
 *	export KEY=value       the "export " prefix is allowed
 *	KEY="a \"b\"\n c"      double quotes: \n \r \t \\ \" \$ escapes,
 *	                       may span lines
 *	KEY='literal $x'       single quotes: literal, may span lines
 *	KEY=                   empty value
 *
 * Keys are [A-Za-z_][A-Za-z0-9_.-]*. There is no ${VAR} interpolation:
 * values are taken as written. A line without '=', a bad key, an
 * unterminated quote or text after a closing quote is an error naming
 * file:line:col. Later keys replace earlier ones.
 */
int nd_envfile_parse(struct nd_kvlist *out, const char *name, const char *data,
		     size_t len, struct nd_error *err);
int nd_envfile_load(struct nd_kvlist *out, const char *path,
		    struct nd_error *err);

/* Is s a valid environment variable name? */
bool nd_env_name_valid(const char *s);

#endif
