/* SPDX-License-Identifier: MIT */
#ifndef ND_HOOKS_H
#define ND_HOOKS_H

#include "core/common.h"
#include "core/error.h"
#include "core/kv.h"

/*
 * Project hooks (SPEC.md): executables in <project folder>/.nextdeploy/
 * hooks/, named pre-build, pre-deploy, post-deploy. A hook is run directly
 * (execve, no shell, no arguments) in cwd, with the environment of
 * nextdeploy plus the NEXTDEPLOY_* variables given, stdin from /dev/null,
 * and both its stdout and stderr on our stderr (stdout stays for data:
 * --json, -q). A hook that exits non-zero, or dies, fails the operation.
 *
 * The variables the callers pass (see each caller): NEXTDEPLOY_HOOK (its
 * name), NEXTDEPLOY_APP, NEXTDEPLOY_RELEASE, NEXTDEPLOY_IMAGE,
 * NEXTDEPLOY_SOURCE_DIR, NEXTDEPLOY_PROJECT_DIR, NEXTDEPLOY_COMMIT.
 */

enum nd_hook_result {
	ND_HOOK_RAN = 0,         /* it ran and exited 0 */
	ND_HOOK_MISSING,         /* there is no such hook */
	ND_HOOK_NOT_EXECUTABLE,  /* the file exists but is not executable:
				    ignored (git warns and goes on the same way) */
};

/* The hook's path: <project_dir>/.nextdeploy/hooks/<name> (malloc'd). */
char *nd_hook_path(const char *project_dir, const char *name);

/*
 * Run hook `name` of the project in project_dir, in the folder cwd (NULL:
 * project_dir), with env added to the environment (NEXTDEPLOY_HOOK is
 * added). *result_out says whether it ran. Errors: ND_EGENERIC when it
 * fails (err->status: its exit code, or 128+signal), or cannot be started.
 */
int nd_hook_run(enum nd_hook_result *result_out, const char *project_dir,
		const char *name, const char *cwd, const struct nd_kvlist *env,
		struct nd_error *err);

#endif
