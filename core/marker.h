/* SPDX-License-Identifier: MIT */
#ifndef ND_MARKER_H
#define ND_MARKER_H

#include "core/common.h"
#include "core/error.h"

struct cJSON;
struct nd_engine;

/*
 * Builds and prunes exclude each other through markers on the engine, so
 * that two CI jobs on two machines sharing one engine see each other with
 * no daemon of ours anywhere.
 *
 * Why: the classic builder refers to the images of earlier stages by ID
 * while a build runs, and a build that hits the layer cache reuses a stage
 * image made long ago. A prune that removed it at that moment would fail
 * the build at COPY --from; the age margin of prune cannot see that the
 * old image is in use again.
 *
 * A marker is a volume (no image needed, created in one atomic request,
 * listed by label), named nd-<app>-build-<12 hex> for a build,
 * nd-<app>-prune-<12 hex> for a prune of one app and
 * nextdeploy-prune-<12 hex> for a prune of every app (--all), labeled
 *
 *	nextdeploy.managed=true
 *	nextdeploy.app=<app>            (ND_MARKER_ALL_APPS for prune --all)
 *	nextdeploy.marker=build|prune
 *	nextdeploy.marker.host          the holder's host name
 *	nextdeploy.marker.pid           its process ID
 *	nextdeploy.marker.started       when it was made (Unix seconds)
 *	nextdeploy.marker.process       <boot id>:<pid namespace>:<process
 *	                                start time in clock ticks>: who the
 *	                                process is, exactly (see below)
 *
 * The protocol: a build creates its marker before it sends the context,
 * then looks for prune markers of its app (and of --all prunes) and waits
 * while one is live; a prune creates its marker first, then looks for
 * build markers, and keeps the images of every app with a live one. Each
 * side makes its marker before it looks for the other's, so of two that
 * run at the same time at least one sees the other: if the build's look
 * came before the prune made its marker, the prune's look comes later
 * still, after the build made its own (the engine's volume store is one
 * ordered database). Either the build waits for the prune to finish, or
 * the prune leaves the build's app alone, or both.
 *
 * Markers are not the project's volumes: prune --volumes and down
 * --volumes never remove one (nd_marker_volume() tells them apart), and
 * only a prune removes stale ones.
 *
 * Stale: a marker older than its bound (ND_MARKER_BUILD_MAX_S,
 * ND_MARKER_PRUNE_MAX_S), or made by a process of this very host (same
 * host name, boot and pid namespace) that no longer runs. A process that
 * died of SIGKILL, or of a second Ctrl-C, leaves its marker behind; on this
 * host it is stale at once, from elsewhere after the bound. Staleness is
 * only judged when the whole process identity matches: a CI job in a
 * container with the host's name (--network host) but its own pid
 * namespace is never judged by a pid that means nothing here, and after a
 * reboot old markers wait for their bound. A pid reused by another process
 * is told apart by its start time.
 */
#define ND_MARKER_BUILD_MAX_S (6 * 3600)
#define ND_MARKER_PRUNE_MAX_S (10 * 60)
/* nextdeploy.app of a prune of every app (not a valid app name) */
#define ND_MARKER_ALL_APPS "_all"

enum nd_marker_kind {
	ND_MARKER_BUILD,
	ND_MARKER_PRUNE,
};

/* A marker this process made. */
struct nd_marker {
	struct nd_engine *e;
	char *name;  /* NULL when none is held */
	double made; /* our clock when it was made (Unix seconds) */
};
#define ND_MARKER_INIT        \
	{                     \
		NULL, NULL, 0 \
	}

/* A marker as listed. */
struct nd_marker_info {
	char *name;
	enum nd_marker_kind kind;
	char *app;
	char *host;
	long pid;
	double started;	   /* Unix seconds */
	const char *stale; /* why it is stale ("its process is gone"), or
			      NULL while it is live */
};

struct nd_marker_list {
	struct nd_marker_info *v;
	size_t n;
};
#define ND_MARKER_LIST_INIT \
	{                   \
		NULL, 0     \
	}

/* Make a marker (app NULL: a prune of every app). */
int nd_marker_create(struct nd_marker *out, struct nd_engine *e,
		     enum nd_marker_kind kind, const char *app,
		     struct nd_error *err);
/* Remove it (idempotent; gone already is fine). */
int nd_marker_remove(struct nd_marker *m, struct nd_error *err);

/*
 * Every marker on the engine, with its staleness judged now. Ages are
 * measured on the engine's clock (each volume's CreatedAt), so that a
 * client whose clock is off does not misjudge them: with mine (a marker
 * this process holds, or NULL), the engine's "now" is taken from mine's
 * CreatedAt and the time since it was made; without, from our clock.
 */
int nd_markers_list(struct nd_marker_list *out, struct nd_engine *e,
		    const struct nd_marker *mine, struct nd_error *err);
void nd_marker_list_release(struct nd_marker_list *l);

/*
 * Does m concern a build of app (kind BUILD; app NULL: any app) or a
 * prune that a build of app must wait for (kind PRUNE: app's or every
 * app's)?
 */
bool nd_marker_concerns(const struct nd_marker_info *m,
			enum nd_marker_kind kind, const char *app);

/* Is this volume (summary or inspect) a marker? */
bool nd_marker_volume(const struct cJSON *vol);

/*
 * A marker volume's details, staleness judged at now (Unix seconds, the
 * engine's clock: compared with CreatedAt) against this process's host,
 * boot and pid namespace. false when vol is not a marker.
 */
bool nd_marker_parse(struct nd_marker_info *out, const struct cJSON *vol,
		     double now);
void nd_marker_info_release(struct nd_marker_info *m);

/* "pid 123 on ci-7, started 5 seconds ago" (malloc'd) */
char *nd_marker_describe(const struct nd_marker_info *m, double now);

#endif
