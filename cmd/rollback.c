/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "cmd/deploy_common.h"
#include "core/project.h"
#include "core/signals.h"

static const char *opt_lock_wait;
static bool opt_break_lock;

/* clang-format off */
static const struct nd_opt rollback_opts[] = {
	ND_OPT_STRING_ROW(0, "lock-wait", &opt_lock_wait, "DURATION",
			  ND_ARG_DURATION,
			  "when another deploy of the app holds the lock, wait up to DURATION for it (default: fail at once)"),
	ND_OPT_BOOL_ROW(0, "break-lock", &opt_break_lock,
			"remove the app's deploy lock first, whoever holds it (after a crashed deploy)"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const struct nd_arg rollback_args[] = {
	{ "RELEASE", ND_ARG_RELEASE, NULL, true, false,
	  "the release to switch to (default: the one live before the current one)" },
	ND_ARG_END,
};
/* clang-format on */

/* clang-format off */
static const char *const rollback_sections[] = {
	"EXIT STATUS",
	"0 the release is live; 1 the deploy failed (the current release "
	"keeps serving) or there is no previous release; 2 usage or "
	"project-file error; 3 engine unreachable; 130 interrupted.",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_rollback_spec = {
	.usage = "[OPTIONS] [RELEASE]",
	.description =
		"Switch back to the previous release (the one live before the "
		"current one, from the history kept with the app's proxy), or "
		"to RELEASE. The release's image must still be on the engine "
		"(see 'nextdeploy releases'). It goes through the same path as "
		"'nextdeploy run': new containers from the current project "
		"file's settings, the health check, the zero-downtime switch, "
		"the hooks (with NEXTDEPLOY_ROLLBACK=1), the lock. Output and "
		"--json are those of 'nextdeploy run'.",
	.opts = rollback_opts,
	.args = rollback_args,
	.min_args = 0,
	.max_args = 1,
	.examples = (const struct nd_example[]){
		{ "nextdeploy rollback", "back to the release live before" },
		{ "nextdeploy rollback 3f2a1c9", "switch to release 3f2a1c9" },
		{ NULL, NULL },
	},
	.sections = rollback_sections,
};
/* clang-format on */

int cmd_rollback(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_app_state st = ND_APP_STATE_INIT;
	struct nd_deploy_opts o = { 0 };
	struct nd_error err = ND_ERROR_INIT;
	char *target = NULL;
	int code;

	if (argc == 1 && !nd_image_tag_valid(argv[0])) {
		nd_msg_error("invalid release '%s'", argv[0]);
		return ND_EXIT_USAGE;
	}
	if ((code = nd_deploy_parse_lock_wait(opt_lock_wait, &o.lock_wait_ms)))
		return code;
	if (argc == 1) {
		target = nd_strdup(argv[0]);
	} else if (nd_app_state_load(&st, ctx->engine, ctx->project->app,
				     &err) < 0 ||
		   nd_rollback_target(&target, ctx->engine, ctx->project->app,
				      &st, &err) < 0) {
		nd_error_report(&err);
		code = nd_error_exit_code(&err);
		goto done;
	}
	if (st.have_record && nd_streq(st.rec.release, target) &&
	    st.proxy_running)
		nd_msg_info("release %s is already live; deploying it again",
			    target);
	nd_msg_info("rolling back %s to release %s", ctx->project->app, target);
	o.release = target;
	o.rollback = true;
	o.break_lock = opt_break_lock;
	code = nd_cli_deploy(ctx, &o);
done:
	nd_app_state_release(&st);
	nd_error_release(&err);
	free(target);
	return code;
}
