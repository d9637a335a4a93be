/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "cmd/deploy_common.h"
#include "core/deploy_infra.h"
#include "core/deploy_lock.h"
#include "core/marker.h"
#include "core/project.h"
#include "docker/api.h"
#include "docker/deploy_api.h"

#include <cjson/cJSON.h>

static bool opt_volumes;
static const char *opt_lock_wait;

/* clang-format off */
static const struct nd_opt down_opts[] = {
	ND_OPT_BOOL_ROW(0, "volumes", &opt_volumes,
			"also remove the app's named volumes (deploy.volumes: their data is lost)"),
	ND_OPT_STRING_ROW(0, "lock-wait", &opt_lock_wait, "DURATION",
			  ND_ARG_DURATION,
			  "when a deploy of the app holds the lock, wait up to DURATION for it"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const char *const down_sections[] = {
	"EXIT STATUS",
	"0 success; 1 something could not be removed (the rest was), or a "
	"deploy holds the lock; 2 usage or project-file error; 3 engine "
	"unreachable.",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_down_spec = {
	.usage = "[OPTIONS]",
	.description =
		"Take the app down: remove all its containers (every release, "
		"the proxy nd-<app>-proxy, failed ones kept for inspection) and "
		"its network nd-<app>, and drop its routes from the shared "
		"edge proxy (which is removed when no app has domains any "
		"more). Named volumes are kept unless --volumes is given "
		"(a build's or prune's marker, labeled nextdeploy.marker, is "
		"never removed: see 'nextdeploy prune'); "
		"images are kept (see 'nextdeploy prune'). Takes the deploy "
		"lock, so it does not cut into a running deploy. What cannot be "
		"removed is reported, the rest is still removed, and the exit "
		"status is 1. With --json: one document, { app, removed: "
		"[names], failed: [{ name, message }] }.",
	.opts = down_opts,
	.min_args = 0,
	.max_args = 0,
	.examples = (const struct nd_example[]){
		{ "nextdeploy down", "remove the app's containers and network" },
		{ "nextdeploy down --volumes", "and its data volumes" },
		{ NULL, NULL },
	},
	.sections = down_sections,
};
/* clang-format on */

/* An image to make the lock container from: the app's, else none. */
static char *lock_image(struct nd_engine *e, const char *app)
{
	struct nd_error err = ND_ERROR_INIT;
	cJSON *list = NULL;
	char *id = NULL;

	if (nd_app_images_list(e, app, NULL, &list, &err) == 0 &&
	    cJSON_GetArraySize(list) > 0)
		id = nd_strdup_or_null(
			nd_json_str(cJSON_GetArrayItem(list, 0), "Id"));
	nd_error_release(&err);
	cJSON_Delete(list);
	return id;
}

static void on_lock(void *ud, enum nd_lock_event ev,
		    const struct nd_lock_holder *h)
{
	char *who = nd_lock_holder_describe(h);

	ND_UNUSED(ud);
	if (ev == ND_LOCK_WAITING)
		nd_msg_info("waiting for the deploy lock, held by %s", who);
	else
		nd_msg_warning(
			"broke a stale deploy lock (its process is gone): %s",
			who);
	free(who);
}

int cmd_down(int argc, const char **argv, struct nd_ctx *ctx)
{
	const char *app = ctx->project->app;
	struct nd_app_state st = ND_APP_STATE_INIT;
	struct nd_error err = ND_ERROR_INIT;
	struct nd_bulk b = { "remove", "removed", 0, 0, NULL, NULL };
	cJSON *doc = NULL;
	struct nd_lock lock = ND_LOCK_INIT;
	struct nd_lock_opts lo = { 0 };
	struct nd_deploy_ui ui = nd_deploy_cli_ui();
	char *net = nd_app_network(app), *lockname = nd_app_lock_name(app);
	char *image = NULL;
	bool had_domains;
	const cJSON *c;
	int code = 0, r;

	ND_UNUSED(argc);
	ND_UNUSED(argv);
	if ((code = nd_deploy_parse_lock_wait(opt_lock_wait, &lo.wait_ms)))
		goto done;
	if (nd_out.json) {
		doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "app", app);
		b.json_done = cJSON_AddArrayToObject(doc, "removed");
		b.json_failed = cJSON_AddArrayToObject(doc, "failed");
	}
	image = lock_image(ctx->engine, app);
	if (image) {
		lo.name = lockname;
		lo.app = app;
		lo.image = image;
		lo.command = "nextdeploy down";
		lo.on_event = on_lock;
		if (nd_lock_acquire(&lock, ctx->engine, &lo, &err) < 0) {
			nd_error_report(&err);
			code = nd_error_exit_code(&err);
			goto done;
		}
	}
	if ((code = nd_ops_load_state(ctx, &st)))
		goto done;
	had_domains = st.proxy && nd_json_label(st.proxy, "nextdeploy.domains");
	/* the proxy first: no request reaches a container being removed */
	for (int pass = 0; pass < 2; pass++) {
		cJSON_ArrayForEach(c, st.containers) {
			const char *svc = nd_json_label(c, "nextdeploy.service");
			const char *id = nd_json_str(c, "Id");

			if (nd_streq(svc, "proxy") != (pass == 0) ||
			    nd_streq(id, lock.id))
				continue;
			if (nd_streq(svc, "lock")) {
				/* another lock than ours: a dead deploy's */
				continue;
			}
			nd_bulk_item(&b, nd_container_name(c),
				     nd_container_remove(ctx->engine, id, true,
							 true, &err),
				     &err);
		}
	}
	r = nd_network_remove(ctx->engine, net, &err);
	if (r == ND_ENOTFOUND) {
		nd_error_release(&err);
	} else {
		nd_bulk_item(&b, net, r, &err);
	}
	if (opt_volumes) {
		struct nd_filters f = ND_FILTERS_INIT;
		cJSON *vols = NULL;

		nd_filters_project(&f, app);
		if (nd_volumes_list(ctx->engine, &f, &vols, &err) < 0) {
			nd_bulk_item(&b, "the volumes", -1, &err);
		} else {
			cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
						      vols, "Volumes")) {
				const char *name = nd_json_str(c, "Name");

				/* a running build's marker, not the app's data
				 * (core/marker.h) */
				if (name && !nd_marker_volume(c))
					nd_bulk_item(&b, name,
						     nd_volume_remove(
							     ctx->engine, name,
							     false, &err),
						     &err);
			}
		}
		cJSON_Delete(vols);
		nd_filters_release(&f);
	}
	if ((had_domains || ctx->project->deploy.domains.nr) &&
	    nd_edge_sync(ctx->engine, ctx->project, &ui, NULL, &err) < 0)
		nd_bulk_item(&b, "the edge route", -1, &err);
	if (!b.ok && !b.failed)
		nd_msg_info("nothing of '%s' to remove", app);
	code = b.failed ? ND_EXIT_FAIL : ND_EXIT_OK;
	if (doc) {
		nd_json_print(doc);
		doc = NULL;
	}
done:
	if (lock.id && nd_lock_release(&lock, &err) < 0) {
		nd_msg_warning("cannot release the deploy lock: %s", err.msg);
		code = ND_EXIT_FAIL;
	}
	cJSON_Delete(doc);
	nd_app_state_release(&st);
	nd_error_release(&err);
	free(net);
	free(lockname);
	free(image);
	return code;
}
