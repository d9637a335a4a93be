/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/signals.h"
#include "core/kv.h"
#include "core/marker.h"
#include "core/project.h"
#include "core/units.h"
#include "docker/api.h"
#include "docker/prune.h"
#include "docker/stats.h"

#include <cjson/cJSON.h>
#include <time.h>

static long keep_n = 3;
static bool prune_all;
static const char *until_arg;
static const char *min_age_arg = "1h";
static bool with_volumes;
static bool dry_run;

/* clang-format off */
static const struct nd_opt prune_opts[] = {
	ND_OPT_INT_ROW(0, "keep", &keep_n, "N",
		       "release images to keep per app, newest first (default 3; the live release is kept besides)"),
	ND_OPT_BOOL_ROW(0, "all", &prune_all,
			"every nextdeploy-managed app on the engine, not only this project's (no project file needed)"),
	ND_OPT_STRING_ROW(0, "until", &until_arg, "TIME", ND_ARG_TIME,
			  "only objects created before TIME: RFC 3339, a date, Unix seconds, or a duration ago (24h)"),
	ND_OPT_STRING_ROW(0, "min-age", &min_age_arg, "DURATION", ND_ARG_DURATION,
			  "keep dangling build images (build stages too) and never-started containers younger than this (default 1h)"),
	ND_OPT_BOOL_ROW(0, "volumes", &with_volumes,
			"also remove the project's volumes that no container uses (their data is lost)"),
	ND_OPT_BOOL_ROW('n', "dry-run", &dry_run,
			"list what would be removed, remove nothing"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const char *const prune_sections[] = {
	"WHAT IS REMOVED",
	"Only objects with the labels nextdeploy.managed=true and "
	"nextdeploy.app=APP (with --all: any app) are ever looked at as "
	"candidates; nothing else is touched, whatever the options. Every "
	"object is removed explicitly, by ID, after the decision was made.\n\n"
	"Containers: stopped (exited or dead) ones, and ones that were "
	"created but never started once they are older than --min-age (a "
	"deploy creates a container an instant before it starts it); only "
	"those named as nextdeploy names its containers (nd-APP-..., and "
	"nextdeploy-... for the shared edge proxy), and never the deploy lock "
	"(nd-APP-lock, nextdeploy.service=lock). A container inherits the "
	"labels of its image, so a labeled container with another name was "
	"not made by nextdeploy: a step of a build whose Dockerfile labels a "
	"stage, or a release image started by hand (docker run shop:r1). It "
	"is left alone, and its image stays, being in use.\n\n"
	"Release images (tagged, with a nextdeploy.release label): per app, "
	"releases are ordered by the creation time of their newest image; "
	"the --keep newest stay, and so does the live release, which is the "
	"release of any running container of the app (the same labels the "
	"deploy uses). An image any container uses, running or stopped, "
	"labeled or not, stays, and so does one with child images. A tag is "
	"removed only while it still names the image being pruned.\n\n"
	"Dangling build images (no tag left, with the labels; a rebuild that "
	"moves a tag leaves one): removed once older than --min-age. A "
	"classic multi-stage build refers to its earlier stages' untagged "
	"images by ID, and a build's result is untagged until its last step "
	"is done; removing one while the build runs fails it (at COPY "
	"--from), so recent ones are kept.\n\n"
	"Build stage images: the Dockerfiles nextdeploy synthesizes label "
	"every stage but the final one nextdeploy.managed=true, "
	"nextdeploy.app=APP and nextdeploy.stage=STAGE (build, site), so the "
	"untagged image each stage leaves (the dependency install, the "
	"layer cache of the next rebuild) is the project's. The newest one "
	"of each app and stage is kept as the build cache: it is what makes "
	"the next rebuild fast. Older ones are removed like any dangling "
	"image (reason \"STAGE stage (dangling)\"), once older than "
	"--min-age. A Dockerfile of your own can label its stages the same "
	"way.\n\n"
	"Running builds: a build that hits the layer cache reuses a stage "
	"image made long ago, so no age margin protects it. Builds and "
	"prunes therefore exclude each other through markers on the engine "
	"(see MARKERS): while a build of an app runs, on this machine or "
	"any other using the engine, none of that app's images is removed; "
	"they are kept with the reason \"a build is running\", and prune "
	"says which build (host, pid) on standard error. Containers and "
	"networks are pruned as usual. The --min-age margin stays, for builds "
	"that leave no marker (a docker build of a Dockerfile that labels "
	"its stages).\n\n"
	"Networks with the labels that no container, running or stopped, is "
	"attached to (the project network nd-APP once the app is down).\n\n"
	"Volumes, only with --volumes: those with the labels that no "
	"container mounts, named ones included; never a marker.\n\n"
	"--until limits every kind to objects created before that time.",
	"MARKERS",
	"A marker is a volume labeled nextdeploy.managed=true, "
	"nextdeploy.app=APP (_all for a prune --all), nextdeploy.marker=build "
	"or prune, and nextdeploy.marker.host, .pid, .started and .process "
	"(who made it). A build makes nd-APP-build-HEX before it sends its "
	"context and removes it when it ends, however it ends; a prune makes "
	"nd-APP-prune-HEX (nextdeploy-prune-HEX with --all) before it looks "
	"for builds, and removes it at the end (a --dry-run makes none). "
	"Each makes its own marker before it looks for the other's, so of a "
	"build and a prune that start at the same moment at least one sees "
	"the other: the build waits for the prune to finish, or the prune "
	"keeps the build's images.\n\n"
	"A marker is stale when it is older than 6 hours (a build's) or 10 "
	"minutes (a prune's), measured on the engine's clock, or when it was "
	"made on this host (same host name, boot and pid namespace) by a "
	"process that no longer runs (killed with SIGKILL, say). A stale "
	"marker is ignored, and prune removes it, reported as a volume with "
	"the reason \"stale build marker (...)\". Markers are never the "
	"project's volumes: prune --volumes and down --volumes leave them "
	"alone.",
	"OUTPUT",
	"A table of what was removed (KIND, NAME, ID, REASON, SIZE), then the "
	"space reclaimed: for containers their writable layer, for images "
	"the bytes no other image shares (so the figure can be lower than "
	"what is freed when several pruned images share layers), for "
	"volumes their size. With -v the images that were kept are listed "
	"on stderr with the reason.\n\n"
	"With --json one document: dry_run, removed (type, id, name, app, "
	"release, reason, size, tags), kept (images, with the reason), "
	"failed (type, id, name, error), running_builds (app, marker, host, "
	"pid, started: the builds whose app was left alone) and "
	"space_reclaimed (bytes). With --dry-run, removed lists what would "
	"be removed.",
	"EXIT STATUS",
	"0 when everything chosen was removed (or nothing had to be); 1 when "
	"some object could not be removed: the others are removed, each "
	"failure is reported as a warning; 2 on a usage or project-file "
	"error; 3 when the engine is unreachable; 130 after SIGINT, 143 "
	"after SIGTERM (prune stops after the object at hand and removes its "
	"marker first).",
	NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_prune_spec = {
	.usage = "[OPTIONS]",
	.description =
		"Remove what the project no longer needs: stopped "
		"containers, release images beyond the --keep newest (never "
		"the live one, never one a container uses), dangling build "
		"images and build stage images (the newest of each stage is "
		"kept as the build cache), and the project network once "
		"nothing uses it; volumes only with --volumes. Only objects "
		"carrying nextdeploy's labels are ever removed, and never the "
		"images of an app while a build of it runs (on any machine "
		"using the engine). --dry-run shows the same list without "
		"removing anything.",
	.opts = prune_opts,
	.max_args = 0,
	.examples = (const struct nd_example[]){
		{ "nextdeploy prune --dry-run", "what would be removed" },
		{ "nextdeploy prune --keep 1", "keep only the newest release (and the live one)" },
		{ "nextdeploy prune --all --until 168h", "every app's leftovers older than a week" },
		{ "nextdeploy prune --volumes --json", "also unused volumes; report as JSON" },
		{ NULL, NULL },
	},
	.sections = prune_sections,
};
/* clang-format on */

struct prune {
	struct nd_engine *e;
	struct nd_filters f; /* managed=true (+ app): every listing of ours */
	struct nd_prune_opts o;
	struct nd_marker mine;	   /* this prune's marker (core/marker.h) */
	struct nd_strvec building; /* apps with a live build marker, or "*" */
	cJSON *out_removed, *out_kept, *out_failed, *out_builds;
	struct nd_table t;
	double reclaimed;
	size_t nremoved;
	int failures;
};

static char *short_id(const char *id)
{
	if (nd_starts_with(id, "sha256:"))
		id += 7;
	return nd_strndup(id, 12);
}

/* GET path (+ filters) as JSON. */
static int list(struct prune *pr, const char *path, bool filtered, cJSON **out,
		struct nd_error *err)
{
	struct nd_buf b = ND_BUF_INIT;
	int r;

	nd_buf_adds(&b, path);
	if (filtered)
		nd_filters_append_query(&pr->f, &b,
					strchr(path, '?') ? '&' : '?');
	r = nd_engine_get_json(pr->e, b.buf, out, err);
	nd_buf_release(&b);
	return r;
}

static cJSON *item_json(const struct nd_prune_item *it, bool removed)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;

	cJSON_AddStringToObject(o, "type", nd_prune_kind_name(it->kind));
	cJSON_AddStringToObject(o, "id", it->id);
	cJSON_AddStringToObject(o, "name", it->name);
	if (it->app)
		cJSON_AddStringToObject(o, "app", it->app);
	else
		cJSON_AddNullToObject(o, "app");
	if (it->release)
		cJSON_AddStringToObject(o, "release", it->release);
	else
		cJSON_AddNullToObject(o, "release");
	cJSON_AddStringToObject(o, "reason", it->reason);
	if (removed) {
		cJSON *tags = cJSON_AddArrayToObject(o, "tags");

		if (it->size >= 0)
			cJSON_AddNumberToObject(o, "size", it->size);
		else
			cJSON_AddNullToObject(o, "size");
		for (i = 0; i < it->refs.nr; i++)
			cJSON_AddItemToArray(
				tags, cJSON_CreateString(it->refs.items[i]));
	}
	return o;
}

static void report_removed(struct prune *pr, const struct nd_prune_item *it)
{
	pr->nremoved++;
	if (it->size > 0)
		pr->reclaimed += it->size;
	if (nd_out.json) {
		cJSON_AddItemToArray(pr->out_removed, item_json(it, true));
	} else {
		char size[32] = "";
		char *sid = it->kind == ND_PRUNE_VOLUME ? nd_strdup("-") :
							  short_id(it->id);
		char *reason;

		if (it->kind != ND_PRUNE_IMAGE || !it->release)
			reason = nd_strdup(it->reason);
		else if (!strcmp(it->reason, "dangling"))
			reason = nd_xprintf("dangling (was %s)", it->release);
		else
			reason = nd_xprintf("%s %s", it->reason, it->release);

		if (it->size >= 0)
			nd_stats_fmt_si(size, sizeof(size), it->size);
		else if (it->kind != ND_PRUNE_NETWORK)
			snprintf(size, sizeof(size), "?");
		nd_table_row(&pr->t, nd_prune_kind_name(it->kind), it->name,
			     sid, reason, size, NULL);
		free(sid);
		free(reason);
	}
}

static void report_failed(struct prune *pr, const struct nd_prune_item *it,
			  const struct nd_error *err)
{
	pr->failures++;
	nd_msg_warning("cannot remove %s '%s': %s",
		       nd_prune_kind_name(it->kind), it->name,
		       err->msg ? err->msg : "unknown error");
	if (nd_out.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "type", nd_prune_kind_name(it->kind));
		cJSON_AddStringToObject(o, "id", it->id);
		cJSON_AddStringToObject(o, "name", it->name);
		cJSON_AddStringToObject(o, "error", err->msg ? err->msg : "");
		cJSON_AddItemToArray(pr->out_failed, o);
	}
}

static bool same_image(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	if (nd_starts_with(a, "sha256:"))
		a += 7;
	if (nd_starts_with(b, "sha256:"))
		b += 7;
	return !strcmp(a, b);
}

/*
 * Untag each tag only while it still names this image (a build may have
 * moved it to a new image since the listing), then remove the image by ID.
 */
static int remove_image(struct prune *pr, const struct nd_prune_item *it,
			struct nd_error *err)
{
	size_t i;
	int r;

	for (i = 0; i < it->refs.nr; i++) {
		const char *ref = it->refs.items[i];
		cJSON *info = NULL;

		r = nd_image_inspect(pr->e, ref, &info, err);
		if (r == ND_ENOTFOUND) {
			nd_error_release(err);
			continue;
		}
		if (r < 0)
			return r;
		r = same_image(nd_json_str(info, "Id"), it->id) ? 0 : 1;
		cJSON_Delete(info);
		if (r)
			continue; /* moved to another image: not ours to drop */
		if ((r = nd_image_remove(pr->e, ref, false, NULL, err)) < 0 &&
		    r != ND_ENOTFOUND)
			return r;
		nd_error_release(err);
	}
	r = nd_image_remove(pr->e, it->id, false, NULL, err);
	if (r == ND_ENOTFOUND && it->refs.nr) {
		/* the last untag removed it */
		nd_error_release(err);
		return 0;
	}
	return r;
}

static void execute(struct prune *pr, const struct nd_prune_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->nremove; i++) {
		const struct nd_prune_item *it = &plan->remove[i];
		struct nd_error err = ND_ERROR_INIT;
		int r = 0;

		/* a signal was deferred (our marker is held): stop here */
		if (nd_signal_caught())
			return;
		if (!dry_run) {
			switch (it->kind) {
			case ND_PRUNE_CONTAINER:
				r = nd_container_remove(pr->e, it->id, false,
							false, &err);
				break;
			case ND_PRUNE_IMAGE:
				r = remove_image(pr, it, &err);
				break;
			case ND_PRUNE_NETWORK:
				r = nd_network_remove(pr->e, it->id, &err);
				break;
			case ND_PRUNE_VOLUME:
				r = nd_volume_remove(pr->e, it->name, false,
						     &err);
				break;
			}
		}
		if (r == ND_ENOTFOUND)
			nd_msg_debug("%s '%s' was already gone",
				     nd_prune_kind_name(it->kind), it->name);
		else if (r < 0)
			report_failed(pr, it, &err);
		else
			report_removed(pr, it);
		nd_error_release(&err);
	}
	for (i = 0; i < plan->nkeep; i++) {
		const struct nd_prune_item *it = &plan->keep[i];

		if (nd_out.json)
			cJSON_AddItemToArray(pr->out_kept, item_json(it, false));
		else
			nd_msg_debug("keeping %s %s%s%s (%s)",
				     nd_prune_kind_name(it->kind), it->name,
				     it->release ? ", release " : "",
				     it->release ? it->release : "",
				     it->reason);
	}
}

/* Containers: listed, decided, removed (or, dry run, remembered as gone). */
static int containers_phase(struct prune *pr, struct nd_strvec *gone,
			    struct nd_error *err)
{
	struct nd_prune_input in = { 0 };
	struct nd_prune_plan plan = ND_PRUNE_PLAN_INIT;
	struct nd_prune_opts o = pr->o;
	cJSON *sized = NULL;
	size_t i;
	int r;

	if ((r = list(pr, "/containers/json?all=1&size=1", true, &sized, err)) <
	    0)
		goto done;
	/* only labeled containers can be candidates: the sized list is it */
	in.containers = sized;
	in.managed_containers = sized;
	o.images = o.networks = o.volumes = false;
	nd_prune_plan_make(&plan, &in, &o);
	for (i = 0; i < plan.nremove; i++)
		nd_strvec_push(gone, plan.remove[i].id);
	execute(pr, &plan);
done:
	nd_prune_plan_release(&plan);
	cJSON_Delete(sized);
	return r;
}

static int rest_phase(struct prune *pr, const struct nd_strvec *gone,
		      struct nd_error *err)
{
	struct nd_prune_input in = { 0 };
	struct nd_prune_plan plan = ND_PRUNE_PLAN_INIT;
	struct nd_prune_opts o = pr->o;
	cJSON *containers = NULL, *images = NULL, *all_images = NULL;
	cJSON *networks = NULL, *volumes = NULL, *df = NULL;
	size_t i;
	int r;

	/* every container and image on the engine, only to see what is
	 * in use; the candidates come from the labeled listings */
	if ((r = list(pr, "/containers/json?all=1", false, &containers, err)) <
		    0 ||
	    (r = list(pr, "/images/json", true, &images, err)) < 0 ||
	    (r = list(pr, "/images/json?all=1", false, &all_images, err)) < 0 ||
	    (r = list(pr, "/networks", true, &networks, err)) < 0)
		goto done;
	if (o.volumes && (r = list(pr, "/volumes", true, &volumes, err)) < 0)
		goto done;
	in.containers = containers;
	in.images = images;
	in.all_images = all_images;
	in.networks = networks;
	in.volumes = volumes;
	in.gone = dry_run ? gone : NULL;
	in.building = &pr->building;
	o.containers = false;
	nd_prune_plan_make(&plan, &in, &o);
	/* sizes of images and volumes: /system/df, only when it matters */
	for (i = 0; i < plan.nremove; i++)
		if (plan.remove[i].kind == ND_PRUNE_IMAGE ||
		    plan.remove[i].kind == ND_PRUNE_VOLUME)
			break;
	if (i < plan.nremove) {
		struct nd_error dferr = ND_ERROR_INIT;

		if (nd_engine_df(pr->e, &df, &dferr) == 0) {
			in.df = df;
			nd_prune_plan_release(&plan);
			nd_prune_plan_make(&plan, &in, &o);
		} else {
			nd_msg_debug("no sizes: %s", dferr.msg);
		}
		nd_error_release(&dferr);
	}
	execute(pr, &plan);
done:
	nd_prune_plan_release(&plan);
	cJSON_Delete(containers);
	cJSON_Delete(images);
	cJSON_Delete(all_images);
	cJSON_Delete(networks);
	cJSON_Delete(volumes);
	cJSON_Delete(df);
	return r;
}

/*
 * The builds running now (live build markers) and the markers left by
 * builds and prunes that died (stale ones, removed like any leftover).
 * Called after our own marker exists: a build that starts later waits for
 * us (core/marker.h). When the markers cannot be read, or ours could not
 * be made, no app's images are removed this time ("*").
 */
static void builds_phase(struct prune *pr)
{
	struct nd_prune_plan stale = ND_PRUNE_PLAN_INIT;
	struct nd_marker_list l = ND_MARKER_LIST_INIT;
	struct nd_error err = ND_ERROR_INIT;
	double now = (double)time(NULL);
	size_t i;

	if (nd_markers_list(&l, pr->e, &pr->mine, &err) < 0) {
		nd_msg_warning(
			"cannot look for running builds (%s): no image is removed this time",
			err.msg);
		nd_strvec_push(&pr->building, "*");
		nd_error_release(&err);
		return;
	}
	for (i = 0; i < l.n; i++) {
		const struct nd_marker_info *m = &l.v[i];
		struct nd_prune_item *it;

		if (pr->mine.name && !strcmp(m->name, pr->mine.name))
			continue;
		if (pr->o.app && strcmp(m->app, pr->o.app))
			continue;
		if (!m->stale && m->kind == ND_MARKER_BUILD) {
			char *who = nd_marker_describe(m, now);

			if (!nd_strvec_contains(&pr->building, m->app))
				nd_strvec_push(&pr->building, m->app);
			nd_msg_info(
				"a build of '%s' is running (%s): its images are kept",
				m->app, who);
			if (pr->out_builds) {
				cJSON *o = cJSON_CreateObject();

				cJSON_AddStringToObject(o, "app", m->app);
				cJSON_AddStringToObject(o, "marker", m->name);
				cJSON_AddStringToObject(o, "host",
							m->host ? m->host : "");
				cJSON_AddNumberToObject(o, "pid",
							(double)m->pid);
				cJSON_AddNumberToObject(o, "started",
							m->started);
				cJSON_AddItemToArray(pr->out_builds, o);
			}
			free(who);
			continue;
		}
		if (!m->stale)
			continue; /* another prune: nothing to do with us */
		stale.remove = nd_realloc(stale.remove,
					  (stale.nremove + 1) *
						  sizeof(*stale.remove));
		it = &stale.remove[stale.nremove++];
		memset(it, 0, sizeof(*it));
		it->kind = ND_PRUNE_VOLUME;
		it->id = nd_strdup(m->name);
		it->name = nd_strdup(m->name);
		it->app = nd_strdup(m->app);
		it->reason = nd_xprintf("stale %s marker (%s)",
					m->kind == ND_MARKER_BUILD ? "build" :
								     "prune",
					m->stale);
		it->size = 0;
		it->created = m->started;
	}
	stale.aremove = stale.nremove;
	execute(pr, &stale);
	nd_prune_plan_release(&stale);
	nd_marker_list_release(&l);
}

static int parse_args(struct prune *pr, struct nd_error *err)
{
	struct timespec ts;
	double now;
	int64_t ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if (keep_n < 0)
		return nd_error_set(
			err, ND_EUSAGE,
			"--keep expects a number of releases (0 or more), got %ld",
			keep_n);
	pr->o.keep = keep_n;
	if (until_arg && nd_parse_time(until_arg, now, &pr->o.until) < 0) {
		nd_error_set(err, ND_EUSAGE, "invalid --until value '%s'",
			     until_arg);
		nd_error_hint(
			err,
			"use RFC 3339 (2026-11-23T10:00:00Z), a date "
			"(2026-11-23), Unix seconds, or a duration ago (24h)");
		return ND_EUSAGE;
	}
	if (until_arg && pr->o.until <= 0)
		pr->o.until = 1e-6; /* before everything */
	if (nd_parse_duration_ms(min_age_arg, &ms) < 0 || ms < 0) {
		nd_error_set(err, ND_EUSAGE, "invalid --min-age value '%s'",
			     min_age_arg);
		nd_error_hint(err, "use a duration: 30m, 1h, 0s");
		return ND_EUSAGE;
	}
	pr->o.margin_before = now - (double)ms / 1000.0;
	return 0;
}

int cmd_prune(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_strvec gone = ND_STRVEC_INIT;
	struct prune pr = { 0 };
	bool deferred = false;
	int code = 0;

	ND_UNUSED(argc);
	ND_UNUSED(argv);
	pr.e = ctx->engine;
	pr.t = (struct nd_table)ND_TABLE_INIT;
	pr.mine = (struct nd_marker)ND_MARKER_INIT;
	if (parse_args(&pr, &err) < 0)
		goto fail;
	if (!prune_all) {
		if ((code = nd_ctx_want_project(ctx)))
			goto done;
		pr.o.app = ctx->project->app;
		nd_filters_project(&pr.f, pr.o.app);
	} else {
		nd_filters_add(&pr.f, "label", "nextdeploy.managed=true");
	}
	pr.o.containers = pr.o.images = pr.o.networks = true;
	pr.o.volumes = with_volumes;
	if (nd_out.json) {
		pr.out_removed = cJSON_CreateArray();
		pr.out_kept = cJSON_CreateArray();
		pr.out_failed = cJSON_CreateArray();
		pr.out_builds = cJSON_CreateArray();
	} else {
		nd_table_columns(&pr.t, dry_run ? "WOULD REMOVE" : "REMOVED",
				 "NAME", "ID", "REASON", "SIZE", NULL);
	}
	/*
	 * Our marker first, then the look for builds (core/marker.h): from
	 * here a signal is deferred until the marker is removed. A dry run
	 * removes nothing and makes none.
	 */
	if (!dry_run) {
		struct nd_error merr = ND_ERROR_INIT;

		nd_signals_install(ND_SIG_DIE);
		nd_signals_defer_begin();
		deferred = true;
		if (nd_marker_create(&pr.mine, pr.e, ND_MARKER_PRUNE, pr.o.app,
				     &merr) < 0) {
			nd_msg_warning(
				"cannot mark the prune on the engine (%s): no image is removed this time",
				merr.msg);
			nd_strvec_push(&pr.building, "*");
			nd_error_release(&merr);
		}
	}
	builds_phase(&pr);
	if (containers_phase(&pr, &gone, &err) < 0 ||
	    (!nd_signal_caught() && rest_phase(&pr, &gone, &err) < 0)) {
		nd_error_wrap(&err, "pruning %s",
			      prune_all ? "every app" : pr.o.app);
		goto fail;
	}
	if (nd_signal_caught())
		goto done; /* interrupted: the marker goes, then the signal */
	if (nd_out.json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddBoolToObject(doc, "dry_run", dry_run);
		cJSON_AddItemToObject(doc, "removed", pr.out_removed);
		cJSON_AddItemToObject(doc, "kept", pr.out_kept);
		cJSON_AddItemToObject(doc, "failed", pr.out_failed);
		cJSON_AddItemToObject(doc, "running_builds", pr.out_builds);
		cJSON_AddNumberToObject(doc, "space_reclaimed", pr.reclaimed);
		pr.out_removed = pr.out_kept = pr.out_failed = NULL;
		pr.out_builds = NULL;
		nd_json_print(doc);
	} else {
		char size[32];

		if (pr.nremoved)
			nd_table_print(&pr.t, stdout);
		else
			nd_msg_info("nothing to remove%s",
				    prune_all ? "" : " for this project");
		nd_stats_fmt_si(size, sizeof(size), pr.reclaimed);
		printf("%s: %s\n",
		       dry_run ? "Space that would be reclaimed" :
				 "Total reclaimed space",
		       size);
	}
	if (pr.failures)
		code = ND_EXIT_FAIL;
	goto done;
fail:
	nd_error_report(&err);
	code = nd_error_exit_code(&err);
done:
	if (pr.mine.name) {
		char *name = nd_strdup(pr.mine.name);

		nd_error_release(&err);
		if (nd_marker_remove(&pr.mine, &err) < 0) {
			nd_msg_warning("cannot remove the prune marker '%s': %s",
				       name, err.msg);
			if (!code)
				code = ND_EXIT_FAIL;
		}
		free(name);
	}
	cJSON_Delete(pr.out_removed);
	cJSON_Delete(pr.out_kept);
	cJSON_Delete(pr.out_failed);
	cJSON_Delete(pr.out_builds);
	nd_table_release(&pr.t);
	nd_filters_release(&pr.f);
	nd_strvec_release(&gone);
	nd_strvec_release(&pr.building);
	nd_error_release(&err);
	/* last: a signal deferred meanwhile is raised now */
	if (deferred)
		nd_signals_defer_end();
	return code;
}
