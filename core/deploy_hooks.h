/* SPDX-License-Identifier: MIT */
#ifndef ND_DEPLOY_HOOKS_H
#define ND_DEPLOY_HOOKS_H

#include "core/common.h"
#include "core/error.h"
#include "core/kv.h"

/*
 * Deploy hooks: executables in <project dir>/.nextdeploy/hooks/ named
 * `pre-deploy` and `post-deploy` (the build has `pre-build`; the two may
 * be unified with core/hooks.{c,h} of the build later). A hook runs on the
 * client, directly (fork + exec of the file itself, no shell, no
 * arguments), in the project folder, with stdin from /dev/null and its
 * stdout sent to our stderr (our stdout carries data). It gets the
 * environment of nextdeploy plus the release's details:
 *
 *	NEXTDEPLOY_HOOK              pre-deploy | post-deploy
 *	NEXTDEPLOY_APP               the app
 *	NEXTDEPLOY_SERVICE           web
 *	NEXTDEPLOY_RELEASE           the release being deployed
 *	NEXTDEPLOY_IMAGE             the image reference
 *	NEXTDEPLOY_IMAGE_ID          its ID
 *	NEXTDEPLOY_PREVIOUS_RELEASE  the release live before (empty: none)
 *	NEXTDEPLOY_URL               where the app is served (may be empty
 *	                             before the first deploy)
 *	NEXTDEPLOY_ENGINE            the engine's address
 *	NEXTDEPLOY_ROLLBACK          1 for `rollback`, else 0
 *	NEXTDEPLOY_CONTAINERS        post-deploy: the live containers, space-separated
 *
 * Secrets are never passed to hooks.
 */
enum nd_hook_status {
	ND_HOOK_ABSENT = 0,     /* no such file */
	ND_HOOK_NOT_EXECUTABLE, /* present but not executable: skipped */
	ND_HOOK_RAN,
};

/*
 * Run the hook `name` when it exists. *status_out says what happened. A
 * hook that exits non-zero or dies is an ND_EGENERIC error (err->status is
 * its exit code); a hook that cannot be started is an error too.
 */
int nd_deploy_hook_run(enum nd_hook_status *status_out, const char *dir,
		       const char *name, const struct nd_kvlist *env,
		       struct nd_error *err);

#endif
