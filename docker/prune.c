/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "docker/api.h"
#include "docker/prune.h"

#include <cjson/cJSON.h>

static const cJSON *member(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *label(const cJSON *obj, const char *k)
{
	return nd_json_str(member(obj, "Labels"), k);
}

/* The labels that make an object ours (and the app's). */
static bool ours(const cJSON *obj, const char *app)
{
	const char *a = label(obj, "nextdeploy.app");

	if (!nd_streq(label(obj, "nextdeploy.managed"), "true") || !a)
		return false;
	return !app || !strcmp(a, app);
}

/* Image IDs with or without "sha256:" (Podman lists bare ones). */
static const char *bare_id(const char *id)
{
	return id && nd_starts_with(id, "sha256:") ? id + 7 : id;
}

static bool before(double created, double limit)
{
	return limit <= 0 || (created > 0 && created < limit);
}

static struct nd_prune_item *push(struct nd_prune_item **v, size_t *n,
				  size_t *alloc)
{
	struct nd_prune_item *it;

	if (*n == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 16;
		*v = nd_realloc(*v, *alloc * sizeof(**v));
	}
	it = &(*v)[(*n)++];
	memset(it, 0, sizeof(*it));
	it->size = -1;
	return it;
}

static struct nd_prune_item *add(struct nd_prune_plan *p, bool remove,
				 enum nd_prune_kind kind, const char *id,
				 const char *name, const cJSON *obj,
				 const char *reason)
{
	struct nd_prune_item *it = remove ?
					   push(&p->remove, &p->nremove,
						&p->aremove) :
					   push(&p->keep, &p->nkeep, &p->akeep);

	it->kind = kind;
	it->id = nd_strdup(id);
	it->name = nd_strdup(name ? name : id);
	it->app = nd_strdup_or_null(label(obj, "nextdeploy.app"));
	it->release = nd_strdup_or_null(label(obj, "nextdeploy.release"));
	it->reason = nd_strdup(reason);
	return it;
}

/* --- what the remaining containers use --- */

struct usage {
	struct nd_strvec images;   /* image IDs */
	struct nd_strvec networks; /* names and IDs */
	struct nd_strvec volumes;  /* names */
	struct nd_strvec live;	   /* "app\nrelease" of running containers */
	struct nd_strvec removed;  /* containers planned for removal */
};

static void usage_release(struct usage *u)
{
	nd_strvec_release(&u->images);
	nd_strvec_release(&u->networks);
	nd_strvec_release(&u->volumes);
	nd_strvec_release(&u->live);
	nd_strvec_release(&u->removed);
}

static void usage_of(struct usage *u, const cJSON *c)
{
	const cJSON *nets = member(member(c, "NetworkSettings"), "Networks");
	const cJSON *n, *m;
	const char *img = nd_json_str(c, "ImageID");
	const char *state = nd_json_str(c, "State");

	if (img)
		nd_strvec_push(&u->images, bare_id(img));
	cJSON_ArrayForEach(n, nets) {
		const char *nid = nd_json_str(n, "NetworkID");

		if (n->string)
			nd_strvec_push(&u->networks, n->string);
		if (nid && *nid)
			nd_strvec_push(&u->networks, nid);
	}
	cJSON_ArrayForEach(m, member(c, "Mounts")) {
		const char *type = nd_json_str(m, "Type");
		const char *name = nd_json_str(m, "Name");

		if (nd_streq(type, "volume") && name)
			nd_strvec_push(&u->volumes, name);
	}
	/* the live release: any running container of the app with one */
	if (nd_streq(state, "running") &&
	    nd_streq(label(c, "nextdeploy.managed"), "true") &&
	    label(c, "nextdeploy.app") && label(c, "nextdeploy.release")) {
		char *k = nd_xprintf("%s\n%s", label(c, "nextdeploy.app"),
				     label(c, "nextdeploy.release"));

		nd_strvec_push_nodup(&u->live, k);
	}
}

/* --- containers --- */

/*
 * A container nextdeploy made has its deterministic name: nd-<app>-...
 * (releases, the per-app proxy, release commands), nextdeploy-... for the
 * shared edge proxy. One with the labels and another name inherited them
 * from its image: a build step of a Dockerfile that labels a stage, or a
 * `docker run` of a release image by hand. Neither is prune's to remove.
 */
static bool our_container(const cJSON *c)
{
	const char *name = nd_container_name(c);
	const char *app = label(c, "nextdeploy.app");
	char *prefix;
	bool ok;

	if (!name || !app)
		return false;
	if (!strcmp(app, "_edge"))
		return nd_starts_with(name, "nextdeploy-");
	prefix = nd_xprintf("nd-%s-", app);
	ok = nd_starts_with(name, prefix);
	free(prefix);
	return ok;
}

static double size_rw_of(const cJSON *sized, const char *id)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, sized)
		if (nd_streq(nd_json_str(c, "Id"), id))
			/* Docker leaves SizeRw out when it is 0 */
			return nd_json_num(c, "SizeRw", 0);
	return -1;
}

static void plan_containers(struct nd_prune_plan *p, struct usage *u,
			    const struct nd_prune_input *in,
			    const struct nd_prune_opts *o)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, in->containers) {
		const char *id = nd_json_str(c, "Id");
		const char *state = nd_json_str(c, "State");
		double created = nd_json_num(c, "Created", 0);
		const char *reason = NULL;
		struct nd_prune_item *it;

		if (!id || !state || !ours(c, o->app) || !our_container(c))
			continue;
		/* the deploy lock (nd-<app>-lock, created and never started)
		 * belongs to the deploy that holds it */
		if (nd_streq(label(c, "nextdeploy.service"), "lock"))
			continue;
		if (in->gone && nd_strvec_contains(in->gone, id))
			continue;
		if (!strcmp(state, "exited"))
			reason = "exited";
		else if (!strcmp(state, "dead"))
			reason = "dead";
		else if (!strcmp(state, "created") &&
			 before(created, o->margin_before))
			reason = "never started";
		if (!reason || !before(created, o->until))
			continue;
		it = add(p, true, ND_PRUNE_CONTAINER, id, nd_container_name(c),
			 c, reason);
		it->created = created;
		it->size = size_rw_of(in->managed_containers, id);
		nd_strvec_push(&u->removed, id);
	}
}

/* --- images --- */

struct release {
	const char *app, *release;
	double newest;
	bool keep;
	const char *why;
};

static int cmp_release(const void *a, const void *b)
{
	const struct release *x = a, *y = b;
	int c = strcmp(x->app, y->app);

	if (c)
		return c;
	if (x->newest != y->newest)
		return x->newest > y->newest ? -1 : 1; /* newest first */
	return strcmp(y->release, x->release);
}

static struct release *release_find(struct release *v, size_t n,
				    const char *app, const char *rel)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].app, app) && !strcmp(v[i].release, rel))
			return &v[i];
	return NULL;
}

/* The tags of an image summary, without Docker's "<none>:<none>". */
static void tags_of(struct nd_strvec *out, const cJSON *img)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, member(img, "RepoTags"))
		if (cJSON_IsString(t) && strcmp(t->valuestring, "<none>:<none>"))
			nd_strvec_push(out, t->valuestring);
}

static double image_size(const cJSON *df, const cJSON *img, const char *id)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, member(df, "Images")) {
		if (nd_streq(nd_json_str(d, "Id"), id)) {
			double size = nd_json_num(d, "Size", -1);
			double shared = nd_json_num(d, "SharedSize", -1);

			/* what only this image holds */
			return size >= 0 && shared >= 0 ? size - shared : size;
		}
	}
	/* without df: only when the engine computed the shared part */
	if (nd_json_num(img, "SharedSize", -1) >= 0)
		return nd_json_num(img, "Size", -1) -
		       nd_json_num(img, "SharedSize", 0);
	return -1;
}

static bool building(const struct nd_prune_input *in, const char *app)
{
	return in->building && app &&
	       (nd_strvec_contains(in->building, "*") ||
		nd_strvec_contains(in->building, app));
}

/* The newest dangling stage image of each app and stage: "app\nstage\nid". */
static void newest_stages(struct nd_strvec *out, const cJSON *images,
			  const struct nd_prune_opts *o)
{
	struct newest {
		char *key;
		const char *id;
		double created;
	} *v = NULL;
	size_t n = 0, i;
	const cJSON *img;

	cJSON_ArrayForEach(img, images) {
		struct nd_strvec tags = ND_STRVEC_INIT;
		const char *stage = label(img, "nextdeploy.stage");
		const char *id = nd_json_str(img, "Id");
		double created = nd_json_num(img, "Created", 0);
		char *key;

		tags_of(&tags, img);
		if (!id || !stage || tags.nr || !ours(img, o->app)) {
			nd_strvec_release(&tags);
			continue;
		}
		nd_strvec_release(&tags);
		key = nd_xprintf("%s\n%s", label(img, "nextdeploy.app"), stage);
		for (i = 0; i < n && strcmp(v[i].key, key); i++)
			;
		if (i == n) {
			v = nd_realloc(v, (n + 1) * sizeof(*v));
			v[n].key = key;
			v[n].id = id;
			v[n++].created = created;
			continue;
		}
		free(key);
		/* the same second: the greater ID, so the choice is stable */
		if (created > v[i].created ||
		    (created == v[i].created && strcmp(id, v[i].id) > 0)) {
			v[i].id = id;
			v[i].created = created;
		}
	}
	for (i = 0; i < n; i++) {
		nd_strvec_push_nodup(out, nd_xprintf("%s\n%s", v[i].key,
						     bare_id(v[i].id)));
		free(v[i].key);
	}
	free(v);
}

static bool has_children(const cJSON *all_images, const char *id)
{
	const cJSON *i;

	cJSON_ArrayForEach(i, all_images) {
		const char *parent = nd_json_str(i, "ParentId");

		if (parent && *parent && nd_streq(bare_id(parent), bare_id(id)))
			return true;
	}
	return false;
}

static void plan_images(struct nd_prune_plan *p, const struct usage *u,
			const struct nd_prune_input *in,
			const struct nd_prune_opts *o)
{
	struct release *rels = NULL;
	struct nd_strvec caches = ND_STRVEC_INIT;
	size_t nrels = 0, arels = 0, i;
	const cJSON *img;

	newest_stages(&caches, in->images, o);

	/* the releases of each app, newest first */
	cJSON_ArrayForEach(img, in->images) {
		struct nd_strvec tags = ND_STRVEC_INIT;
		const char *app = label(img, "nextdeploy.app");
		const char *rel = label(img, "nextdeploy.release");
		double created = nd_json_num(img, "Created", 0);
		struct release *r;

		tags_of(&tags, img);
		if (ours(img, o->app) && rel && tags.nr) {
			r = release_find(rels, nrels, app, rel);
			if (!r) {
				if (nrels == arels) {
					arels = arels ? arels * 2 : 16;
					rels = nd_realloc(
						rels, arels * sizeof(*rels));
				}
				r = &rels[nrels++];
				memset(r, 0, sizeof(*r));
				r->app = app;
				r->release = rel;
			}
			if (created > r->newest)
				r->newest = created;
		}
		nd_strvec_release(&tags);
	}
	if (nrels > 1)
		qsort(rels, nrels, sizeof(*rels), cmp_release);
	for (i = 0; i < nrels; i++) {
		long rank = 0;
		char *k = nd_xprintf("%s\n%s", rels[i].app, rels[i].release);
		size_t j;

		for (j = i; j > 0 && !strcmp(rels[j - 1].app, rels[i].app); j--)
			rank++;
		if (nd_strvec_contains(&u->live, k)) {
			rels[i].keep = true;
			rels[i].why = "live release";
		} else if (rank < o->keep) {
			rels[i].keep = true;
			rels[i].why = "recent release";
		}
		free(k);
	}

	cJSON_ArrayForEach(img, in->images) {
		struct nd_strvec tags = ND_STRVEC_INIT;
		const char *id = nd_json_str(img, "Id");
		const char *rel = label(img, "nextdeploy.release");
		const char *stage = label(img, "nextdeploy.stage");
		const char *app = label(img, "nextdeploy.app");
		double created = nd_json_num(img, "Created", 0);
		const char *keep_why = NULL, *why;
		char *stage_why = NULL;
		struct nd_prune_item *it;
		bool dangling;

		if (!id || !ours(img, o->app))
			continue;
		tags_of(&tags, img);
		dangling = tags.nr == 0;
		if (!dangling && !rel) {
			/* tagged, ours, but no release: not prune's business */
			nd_strvec_release(&tags);
			continue;
		}
		if (dangling) {
			why = "dangling";
			if (stage) {
				char *k = nd_xprintf("%s\n%s\n%s", app, stage,
						     bare_id(id));

				why = stage_why = nd_xprintf(
					"%s stage (dangling)", stage);
				if (nd_strvec_contains(&caches, k))
					keep_why = "build cache";
				free(k);
			}
			if (!before(created, o->margin_before))
				keep_why =
					"dangling, younger than the safety margin";
			else if (building(in, app))
				keep_why = "a build is running";
		} else {
			struct release *r = release_find(
				rels, nrels, label(img, "nextdeploy.app"), rel);

			why = "old release";
			if (r && r->keep)
				keep_why = r->why;
			else if (building(in, app))
				keep_why = "a build is running";
		}
		if (!keep_why && nd_strvec_contains(&u->images, bare_id(id)))
			keep_why = "used by a container";
		if (!keep_why && has_children(in->all_images, id))
			keep_why = "has child images";
		if (!keep_why && !before(created, o->until))
			keep_why = "newer than --until";
		it = add(p, !keep_why, ND_PRUNE_IMAGE, id,
			 tags.nr ? tags.items[0] : "<none>", img,
			 keep_why ? keep_why : why);
		it->created = created;
		if (!keep_why) {
			size_t t;

			for (t = 0; t < tags.nr; t++)
				nd_strvec_push(&it->refs, tags.items[t]);
			it->size = image_size(in->df, img, id);
		}
		nd_strvec_release(&tags);
		free(stage_why);
	}
	nd_strvec_release(&caches);
	free(rels);
}

/* --- networks and volumes --- */

static void plan_networks(struct nd_prune_plan *p, const struct usage *u,
			  const struct nd_prune_input *in,
			  const struct nd_prune_opts *o)
{
	const cJSON *n;

	cJSON_ArrayForEach(n, in->networks) {
		const char *id = nd_json_str(n, "Id");
		const char *name = nd_json_str(n, "Name");
		double created = nd_parse_rfc3339(nd_json_str(n, "Created"));
		struct nd_prune_item *it;

		if (!id || !name || !ours(n, o->app))
			continue;
		if (nd_strvec_contains(&u->networks, name) ||
		    nd_strvec_contains(&u->networks, id))
			continue;
		/* Podman lists attached containers here too */
		if (cJSON_GetArraySize(member(n, "Containers")) > 0)
			continue;
		if (!before(created, o->until))
			continue;
		it = add(p, true, ND_PRUNE_NETWORK, id, name, n, "unused");
		it->created = created;
	}
}

static double volume_size(const cJSON *df, const char *name)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, member(df, "Volumes"))
		if (nd_streq(nd_json_str(v, "Name"), name))
			return nd_json_num(member(v, "UsageData"), "Size", -1);
	return -1;
}

static void plan_volumes(struct nd_prune_plan *p, const struct usage *u,
			 const struct nd_prune_input *in,
			 const struct nd_prune_opts *o)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, member(in->volumes, "Volumes")) {
		const char *name = nd_json_str(v, "Name");
		double created = nd_parse_rfc3339(nd_json_str(v, "CreatedAt"));
		struct nd_prune_item *it;

		/* a marker is a running build's or prune's (core/marker.h) */
		if (!name || !ours(v, o->app) ||
		    nd_json_str(member(v, "Labels"), "nextdeploy.marker") ||
		    nd_strvec_contains(&u->volumes, name))
			continue;
		if (!before(created, o->until))
			continue;
		it = add(p, true, ND_PRUNE_VOLUME, name, name, v, "unused");
		it->created = created;
		it->size = volume_size(in->df, name);
	}
}

void nd_prune_plan_make(struct nd_prune_plan *out,
			const struct nd_prune_input *in,
			const struct nd_prune_opts *o)
{
	struct nd_prune_plan p = ND_PRUNE_PLAN_INIT;
	struct usage u = { ND_STRVEC_INIT, ND_STRVEC_INIT, ND_STRVEC_INIT,
			   ND_STRVEC_INIT, ND_STRVEC_INIT };
	const cJSON *c;

	if (o->containers)
		plan_containers(&p, &u, in, o);
	/* what the containers that stay use */
	cJSON_ArrayForEach(c, in->containers) {
		const char *id = nd_json_str(c, "Id");

		if (!id || nd_strvec_contains(&u.removed, id) ||
		    (in->gone && nd_strvec_contains(in->gone, id)))
			continue;
		usage_of(&u, c);
	}
	if (o->images)
		plan_images(&p, &u, in, o);
	if (o->networks)
		plan_networks(&p, &u, in, o);
	if (o->volumes)
		plan_volumes(&p, &u, in, o);
	usage_release(&u);
	*out = p;
}

static void item_release(struct nd_prune_item *it)
{
	free(it->id);
	free(it->name);
	free(it->app);
	free(it->release);
	free(it->reason);
	nd_strvec_release(&it->refs);
}

void nd_prune_plan_release(struct nd_prune_plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nremove; i++)
		item_release(&p->remove[i]);
	for (i = 0; i < p->nkeep; i++)
		item_release(&p->keep[i]);
	free(p->remove);
	free(p->keep);
	*p = (struct nd_prune_plan)ND_PRUNE_PLAN_INIT;
}

const char *nd_prune_kind_name(enum nd_prune_kind kind)
{
	switch (kind) {
	case ND_PRUNE_CONTAINER:
		return "container";
	case ND_PRUNE_IMAGE:
		return "image";
	case ND_PRUNE_NETWORK:
		return "network";
	case ND_PRUNE_VOLUME:
		return "volume";
	}
	return "object";
}
