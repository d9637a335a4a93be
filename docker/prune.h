/* SPDX-License-Identifier: MIT */
#ifndef ND_PRUNE_H
#define ND_PRUNE_H

#include "core/common.h"
#include "core/kv.h"

struct cJSON;

/*
 * What `prune` removes, decided from engine listings without touching
 * anything (so --dry-run and the real run share one decision, and the
 * decision is unit-tested on canned listings).
 *
 * Only objects carrying nextdeploy.managed=true and, unless every app is
 * asked for (app NULL), nextdeploy.app=<app> are ever candidates; the
 * planner checks the labels itself even though the listings were already
 * filtered by the engine. Everything else in the listings is only looked at
 * to see what is in use.
 *
 * - Containers named as nextdeploy names them (nd-<app>-..., the edge
 *   proxy's nextdeploy-...): exited or dead ones; "created" ones (never
 *   started) only when older than the safety margin, since a deploy
 *   creates a container an instant before it starts it. Never the deploy
 *   lock (nextdeploy.service=lock), never a labeled container with another
 *   name (it inherited the labels from its image: a build step, or a
 *   release image run by hand).
 * - Release images (tagged, with a nextdeploy.release label): per app, the
 *   releases are ordered by their newest image's creation time; the keep
 *   newest are kept, and so is the live release: the release of any
 *   running container of the app that carries nextdeploy.release. An
 *   image used by any container (running or not, labeled or not) or with
 *   child images is kept as well.
 * - Dangling images (no tag left) with the labels: kept when younger than
 *   the safety margin. A classic multi-stage build refers to its earlier
 *   stages' untagged images by ID; deleting one mid-build fails the build
 *   at COPY --from, so recent untagged images are left alone.
 * - Build stage images (dangling, with nextdeploy.stage: the synthesized
 *   Dockerfiles label every stage but the final one): the newest of each
 *   app and stage is kept as the build cache (what makes the next rebuild
 *   fast); older ones go like any dangling image, reason "<stage> stage
 *   (dangling)".
 * - While a build of an app runs (in->building, from the build markers of
 *   core/marker.h), none of that app's images is removed: the build may
 *   be reusing any of them from the layer cache, however old, and refers
 *   to its stages by ID. Kept with the reason "a build is running".
 * - Networks with the labels that no container (running or not) is
 *   attached to.
 * - Volumes with the labels that no container mounts, only when asked;
 *   never a marker (nextdeploy.marker: core/marker.h).
 * - `until`: only objects created before it.
 */
enum nd_prune_kind {
	ND_PRUNE_CONTAINER,
	ND_PRUNE_IMAGE,
	ND_PRUNE_NETWORK,
	ND_PRUNE_VOLUME,
};

struct nd_prune_item {
	enum nd_prune_kind kind;
	char *id; /* container/image/network ID; volume name */
	char *name; /* container name, first tag or "<none>", network/volume name */
	char *app;
	char *release; /* images: the release label */
	char *reason;  /* why removed ("exited", "old release", ...) or kept */
	struct nd_strvec refs; /* images: the tags to remove */
	double size;	       /* bytes freed; < 0 when unknown */
	double created;	       /* Unix seconds; 0 when unknown */
};

struct nd_prune_plan {
	struct nd_prune_item *remove;
	size_t nremove, aremove;
	/* release and dangling images kept, with the reason (reported) */
	struct nd_prune_item *keep;
	size_t nkeep, akeep;
};
#define ND_PRUNE_PLAN_INIT             \
	{                              \
		NULL, 0, 0, NULL, 0, 0 \
	}

struct nd_prune_input {
	/* every container on the engine (GET /containers/json?all=1) */
	const struct cJSON *containers;
	/* the labeled ones with sizes (?all=1&size=1), or NULL */
	const struct cJSON *managed_containers;
	/* images with the labels (GET /images/json) */
	const struct cJSON *images;
	/* every image (?all=1), for parent/child links; may be NULL */
	const struct cJSON *all_images;
	/* networks and volumes with the labels; volumes may be NULL */
	const struct cJSON *networks;
	const struct cJSON *volumes; /* the {"Volumes":[...]} answer */
	/* GET /system/df, for image and volume sizes; may be NULL */
	const struct cJSON *df;
	/* containers to treat as already removed (--dry-run), or NULL */
	const struct nd_strvec *gone;
	/* apps with a build running, "*" for every app (it cannot be told),
	 * or NULL */
	const struct nd_strvec *building;
};

struct nd_prune_opts {
	const char *app; /* NULL: every nextdeploy-managed app */
	long keep;	 /* releases to keep per app (besides the live one) */
	double until;	 /* only objects created before; 0: no limit */
	double margin_before; /* dangling images and never-started
			       * containers created after this are kept */
	bool containers;      /* plan containers */
	bool images;	      /* plan images */
	bool networks;	      /* plan networks */
	bool volumes;	      /* plan volumes */
};

/* Decide. Never fails: what cannot be understood is left alone. */
void nd_prune_plan_make(struct nd_prune_plan *out,
			const struct nd_prune_input *in,
			const struct nd_prune_opts *opts);
void nd_prune_plan_release(struct nd_prune_plan *plan);

const char *nd_prune_kind_name(enum nd_prune_kind kind);

#endif
