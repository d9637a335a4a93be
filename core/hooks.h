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
 * The one hook runner, for the build (core/app_build.c: pre-build) and the
 * deploy (core/deploy.c: pre-deploy, post-deploy). The variables each
 * caller passes, besides NEXTDEPLOY_HOOK (the hook's name, always set):
 *
 *   pre-build    NEXTDEPLOY_APP, NEXTDEPLOY_RELEASE, NEXTDEPLOY_IMAGE,
 *                NEXTDEPLOY_SOURCE_DIR, NEXTDEPLOY_CONTEXT_DIR,
 *                NEXTDEPLOY_PROJECT_DIR, NEXTDEPLOY_COMMIT; runs in the
 *                source folder
 *   pre-deploy,  NEXTDEPLOY_APP, NEXTDEPLOY_SERVICE, NEXTDEPLOY_RELEASE,
 *   post-deploy  NEXTDEPLOY_IMAGE, NEXTDEPLOY_IMAGE_ID,
 *                NEXTDEPLOY_PREVIOUS_RELEASE (empty: none), NEXTDEPLOY_URL
 *                (may be empty before the first deploy), NEXTDEPLOY_ENGINE,
 *                NEXTDEPLOY_ROLLBACK (1 for rollback), NEXTDEPLOY_DEPLOY_ID,
 *                NEXTDEPLOY_CONTAINERS (post-deploy: the live containers,
 *                space-separated); run in the project folder
 *
 * Secrets are never passed to hooks. The hook gets SIGPIPE at its default
 * action and no blocked signals, whatever nextdeploy itself does with them.
 */

enum nd_hook_result {
	ND_HOOK_RAN = 0,	/* it ran and exited 0 */
	ND_HOOK_MISSING,	/* there is no such hook */
	ND_HOOK_NOT_EXECUTABLE, /* the file exists but is not executable:
				    ignored (git warns and goes on the same way) */
};

/* The hook's path: <project_dir>/.nextdeploy/hooks/<name> (malloc'd). */
char *nd_hook_path(const char *project_dir, const char *name);

/*
 * Run hook `name` of the project in project_dir, in the folder cwd (NULL:
 * project_dir), with env added to the environment (NEXTDEPLOY_HOOK is
 * added). *result_out says whether it ran (ND_HOOK_RAN also when it
 * failed). Errors: ND_EGENERIC when it fails ("the pre-deploy hook failed
 * with exit code 3"; err->status: its exit code, or 128+signal), or cannot
 * be started.
 */
int nd_hook_run(enum nd_hook_result *result_out, const char *project_dir,
		const char *name, const char *cwd, const struct nd_kvlist *env,
		struct nd_error *err);

#endif
