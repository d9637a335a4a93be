/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of prune's planner on a canned engine state
 * (tests/data/prune/engine.json: apps shop and blog, and decoys;
 * tests/data/prune/stages.json: build stage images and markers).
 */
#include "tests/unit/unit.h"
#include "core/buf.h"
#include "docker/prune.h"

#include <cjson/cJSON.h>

static cJSON *engine, *stages;
static double now;

static const cJSON *part(const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(engine, k);
}

static void input(struct nd_prune_input *in)
{
	memset(in, 0, sizeof(*in));
	in->containers = part("containers");
	in->managed_containers = part("containers");
	in->images = part("images");
	in->all_images = part("all_images");
	in->networks = part("networks");
	in->volumes = part("volumes");
	in->df = part("df");
}

static void opts(struct nd_prune_opts *o, const char *app, long keep)
{
	memset(o, 0, sizeof(*o));
	o->app = app;
	o->keep = keep;
	o->margin_before = now - 3600;
	o->containers = o->images = o->networks = o->volumes = true;
}

/* "kind:name:reason" of every item, sorted by nothing: plan order. */
static char *list_of(const struct nd_prune_item *v, size_t n)
{
	struct nd_buf b = ND_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		nd_buf_addf(&b, "%s%s:%s:%s", i ? " " : "",
			    nd_prune_kind_name(v[i].kind), v[i].name,
			    v[i].reason);
	return nd_buf_detach(&b, NULL);
}

static char *plan_str(const struct nd_prune_input *in,
		      const struct nd_prune_opts *o, bool kept)
{
	struct nd_prune_plan p = ND_PRUNE_PLAN_INIT;
	char *s;

	nd_prune_plan_make(&p, in, o);
	s = kept ? list_of(p.keep, p.nkeep) : list_of(p.remove, p.nremove);
	nd_prune_plan_release(&p);
	return s;
}

static bool mentions_decoy(const char *s)
{
	return strstr(s, "decoy") || strstr(s, "stranger") ||
	       strstr(s, ":other:") || strstr(s, "shop:base");
}

TEST(project_keep_3)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	char *s;

	input(&in);
	opts(&o, "shop", 3);
	s = plan_str(&in, &o, false);
	CHECK_STR(s, "container:nd-shop-web-r1:exited "
		     "container:nd-shop-web-r4:never started "
		     "image:shop:r1:old release "
		     "image:<none>:dangling "
		     "network:nd-shop-old:unused "
		     "volume:shop-data:unused "
		     "volume:shop-cache:unused");
	CHECK(!mentions_decoy(s));
	CHECK(!strstr(s, "blog"));
	free(s);
	s = plan_str(&in, &o, true);
	CHECK_STR(s, "image:shop:r2:live release "
		     "image:shop:r3:used by a container "
		     "image:shop:r4:recent release "
		     "image:shop:r5:recent release "
		     "image:shop:r6:recent release "
		     "image:shop-worker:r6:recent release "
		     "image:<none>:dangling, younger than the safety margin "
		     "image:shop:r0:has child images");
	free(s);
}

TEST(details_of_items)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	struct nd_prune_plan p = ND_PRUNE_PLAN_INIT;
	size_t i;

	input(&in);
	opts(&o, "shop", 0);
	nd_prune_plan_make(&p, &in, &o);
	for (i = 0; i < p.nremove; i++) {
		const struct nd_prune_item *it = &p.remove[i];

		if (!strcmp(it->name, "shop:r3") ||
		    !strcmp(it->name, "shop:r2"))
			UNIT_FAIL("%s removed", it->name);
		if (!strcmp(it->name, "shop:r4")) {
			/* the bytes only it holds, from /system/df */
			CHECK_INT((long long)it->size, 10000);
			CHECK_STR(it->release, "r4");
			CHECK_STR(it->app, "shop");
			CHECK_INT(it->refs.nr, 1);
		}
		if (!strcmp(it->name, "shop:r1"))
			CHECK_INT((long long)it->size, -1); /* unknown */
		if (!strcmp(it->name, "shop-cache"))
			CHECK_INT((long long)it->size, 4096);
		if (!strcmp(it->name, "nd-shop-web-r1"))
			CHECK_INT((long long)it->size, 0);
	}
	nd_prune_plan_release(&p);
}

TEST(keep_0_still_keeps_live_used_and_parents)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	char *s;

	input(&in);
	opts(&o, "shop", 0);
	o.containers = o.networks = o.volumes = false;
	s = plan_str(&in, &o, false);
	/* r1's container stays (containers not planned): r1 is used */
	CHECK_STR(s, "image:shop:r6:old release image:shop-worker:r6:old release "
		     "image:<none>:dangling");
	free(s);
	s = plan_str(&in, &o, true);
	CHECK_CONTAINS(s, "image:shop:r1:used by a container");
	CHECK_CONTAINS(s, "image:shop:r2:live release");
	/* used by a never-started container (kept by the margin) */
	CHECK_CONTAINS(s, "image:shop:r4:used by a container");
	/* used by an unlabeled container: still kept */
	CHECK_CONTAINS(s, "image:shop:r5:used by a container");
	free(s);
}

TEST(multi_tag_release_lists_every_tag)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	struct nd_prune_plan p = ND_PRUNE_PLAN_INIT;
	struct nd_strvec gone = ND_STRVEC_INIT;
	size_t i;
	bool seen = false;

	/* the never-started r3 container gone (dry run of its removal):
	 * r3, with two tags, is an old release nobody uses */
	nd_strvec_push(&gone, "1313131313131313131313131313131313131313131313131313131313131313");
	input(&in);
	in.gone = &gone;
	opts(&o, "shop", 3);
	o.containers = false;
	nd_prune_plan_make(&p, &in, &o);
	for (i = 0; i < p.nremove; i++) {
		if (strcmp(p.remove[i].name, "shop:r3"))
			continue;
		seen = true;
		CHECK_INT(p.remove[i].refs.nr, 2);
		CHECK_STR(p.remove[i].refs.items[1],
			  "registry.example.com/shop:r3");
	}
	CHECK(seen);
	nd_prune_plan_release(&p);
	nd_strvec_release(&gone);
}

TEST(all_apps_never_decoys)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	char *s;

	input(&in);
	opts(&o, NULL, 1);
	s = plan_str(&in, &o, false);
	CHECK_CONTAINS(s, "container:nd-blog-web-r1:dead");
	CHECK_CONTAINS(s, "image:blog:r1:old release");
	CHECK(!strstr(s, "image:blog:r2"));
	CHECK_CONTAINS(s, "network:nd-blog:unused");
	CHECK_CONTAINS(s, "volume:blog-data:unused");
	CHECK(!strstr(s, "network:nd-shop:"));
	CHECK(!mentions_decoy(s));
	free(s);
	/* keep 0, every kind: still no decoy */
	opts(&o, NULL, 0);
	o.margin_before = now + 1;
	s = plan_str(&in, &o, false);
	CHECK(!mentions_decoy(s));
	CHECK(!strstr(s, "decoy-vol") && !strstr(s, "decoy-net"));
	free(s);
}

TEST(until_limits_every_kind)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	char *s;
	double t = cJSON_GetObjectItemCaseSensitive(engine, "now")->valuedouble -
		   86400;

	input(&in);
	opts(&o, "shop", 0);
	o.until = t + 250;
	s = plan_str(&in, &o, false);
	/* created before T+250 only; networks and volumes are newer */
	CHECK_STR(s, "container:nd-shop-web-r1:exited image:shop:r1:old release "
		     "image:<none>:dangling");
	free(s);
	s = plan_str(&in, &o, true);
	CHECK_CONTAINS(s, "image:shop:r6:newer than --until");
	CHECK_CONTAINS(s, "image:shop-worker:r6:newer than --until");
	free(s);
}

TEST(margin_zero_removes_recent_dangling)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	char *s;

	input(&in);
	opts(&o, "shop", 3);
	o.margin_before = now + 1; /* --min-age 0s */
	o.networks = o.volumes = false;
	s = plan_str(&in, &o, false);
	CHECK_STR(s, "container:nd-shop-web-r1:exited "
		     "container:nd-shop-web-r3:never started "
		     "container:nd-shop-web-r4:never started "
		     "image:shop:r1:old release image:shop:r3:old release "
		     "image:<none>:dangling image:<none>:dangling");
	free(s);
}

TEST(podman_bare_image_ids)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	cJSON *copy = cJSON_Duplicate(part("containers"), 1);
	cJSON *c;
	char *s;

	/* Podman may list ImageID without "sha256:" */
	cJSON_ArrayForEach(c, copy) {
		cJSON *img = cJSON_GetObjectItemCaseSensitive(c, "ImageID");

		if (cJSON_IsString(img) && !strncmp(img->valuestring, "sha256:", 7)) {
			char *bare = nd_strdup(img->valuestring + 7);

			cJSON_SetValuestring(img, bare);
			free(bare);
		}
	}
	input(&in);
	in.containers = copy;
	opts(&o, "shop", 0);
	o.containers = false;
	s = plan_str(&in, &o, true);
	CHECK_CONTAINS(s, "image:shop:r1:used by a container");
	CHECK_CONTAINS(s, "image:shop:r3:used by a container");
	free(s);
	cJSON_Delete(copy);
}

TEST(empty_and_broken_input)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	cJSON *junk = cJSON_Parse("[1, \"x\", {\"Id\": 5}, {\"Labels\": 7}, null]");
	char *s;

	memset(&in, 0, sizeof(in));
	opts(&o, "shop", 3);
	s = plan_str(&in, &o, false);
	CHECK_STR(s, "");
	free(s);
	in.containers = in.images = in.all_images = in.networks = junk;
	in.volumes = junk;
	s = plan_str(&in, &o, false);
	CHECK_STR(s, "");
	free(s);
	cJSON_Delete(junk);
}

TEST(only_containers_named_by_nextdeploy)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	char *s;

	input(&in);
	opts(&o, "shop", 0);
	o.margin_before = now + 1; /* even with --min-age 0s */
	s = plan_str(&in, &o, false);
	/* the deploy lock and a build step's container (it inherited the
	 * labels) are never removed */
	CHECK(!strstr(s, "nd-shop-lock"));
	CHECK(!strstr(s, "quirky_wozniak"));
	free(s);
	/* the edge proxy is nextdeploy-proxy, app _edge */
	opts(&o, NULL, 3);
	o.images = o.networks = o.volumes = false;
	s = plan_str(&in, &o, false);
	CHECK_CONTAINS(s, "container:nextdeploy-proxy:exited");
	CHECK(!strstr(s, "nd-shop-lock") && !strstr(s, "quirky"));
	free(s);
}

/* --- build stages and markers (stages.json) --- */

static const cJSON *spart(const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(stages, k);
}

static void stage_input(struct nd_prune_input *in)
{
	memset(in, 0, sizeof(*in));
	in->containers = spart("containers");
	in->images = spart("images");
	in->all_images = spart("all_images");
	in->networks = spart("networks");
	in->volumes = spart("volumes");
}

/* "name-or-id-prefix:reason" of the images, plan order */
static char *images_of(const struct nd_prune_item *v, size_t n)
{
	struct nd_buf b = ND_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *id = v[i].id;

		if (v[i].kind != ND_PRUNE_IMAGE)
			continue;
		if (!strncmp(id, "sha256:", 7))
			id += 7;
		nd_buf_addf(&b, "%s%s:%s", b.len ? " " : "",
			    strcmp(v[i].name, "<none>") ? v[i].name : "",
			    v[i].reason);
		if (!strcmp(v[i].name, "<none>")) {
			/* the canned IDs are one pair of hex digits repeated */
			char *t = nd_xprintf("%.2s:%s", id, v[i].reason);
			size_t cut = b.len - strlen(v[i].reason) - 1;

			b.buf[cut] = '\0';
			b.len = cut;
			nd_buf_adds(&b, t);
			free(t);
		}
	}
	return nd_buf_detach(&b, NULL);
}

static char *stage_plan(const struct nd_prune_input *in,
			const struct nd_prune_opts *o, bool kept)
{
	struct nd_prune_plan p = ND_PRUNE_PLAN_INIT;
	char *s;

	nd_prune_plan_make(&p, in, o);
	s = kept ? images_of(p.keep, p.nkeep) : images_of(p.remove, p.nremove);
	nd_prune_plan_release(&p);
	return s;
}

TEST(stage_images_newest_is_the_cache)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	char *s;

	stage_input(&in);
	opts(&o, "shop", 1);
	s = stage_plan(&in, &o, false);
	/* older build stages go, each with its stage named; the plain
	 * dangling image as before; blog, the unmanaged and the tagged
	 * stage image are never candidates */
	CHECK_STR(s, "shop:r1:old release c1:build stage (dangling) "
		     "c2:build stage (dangling) d1:dangling");
	free(s);
	s = stage_plan(&in, &o, true);
	/* the newest of each app and stage is the build cache; the margin
	 * is still the first reason for young ones */
	CHECK_STR(s, "shop:r2:recent release c3:build cache c4:build cache "
		     "c5:dangling, younger than the safety margin "
		     "c6:dangling, younger than the safety margin");
	free(s);
	/* --min-age 0s: the older deps stage goes, the newest stays */
	o.margin_before = now + 1;
	s = stage_plan(&in, &o, false);
	CHECK_CONTAINS(s, "c5:deps stage (dangling)");
	CHECK(!strstr(s, "c6:"));
	free(s);
	/* every app: blog's older stage goes, its newest stays */
	opts(&o, NULL, 1);
	s = stage_plan(&in, &o, false);
	CHECK_CONTAINS(s, "e1:build stage (dangling)");
	CHECK(!strstr(s, "e2:") && !strstr(s, "f1:") && !strstr(s, "mine:"));
	free(s);
	s = stage_plan(&in, &o, true);
	CHECK_CONTAINS(s, "e2:build cache");
	free(s);
}

TEST(a_running_build_keeps_its_apps_images)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	struct nd_strvec b = ND_STRVEC_INIT;
	char *s;

	nd_strvec_push(&b, "shop");
	stage_input(&in);
	in.building = &b;
	opts(&o, NULL, 1);
	o.margin_before = now + 1; /* even with --min-age 0s */
	s = stage_plan(&in, &o, false);
	/* nothing of shop; blog's old stage still goes */
	CHECK_STR(s, "e1:build stage (dangling)");
	free(s);
	s = stage_plan(&in, &o, true);
	CHECK_CONTAINS(s, "shop:r1:a build is running");
	CHECK_CONTAINS(s, "c1:a build is running");
	CHECK_CONTAINS(s, "c2:a build is running");
	CHECK_CONTAINS(s, "c3:a build is running");
	CHECK_CONTAINS(s, "d1:a build is running");
	/* what is kept anyway keeps its own reason */
	CHECK_CONTAINS(s, "shop:r2:recent release");
	CHECK_CONTAINS(s, "e2:build cache");
	free(s);
	/* the margin is said first when both hold */
	o.margin_before = now - 3600;
	s = stage_plan(&in, &o, true);
	CHECK_CONTAINS(s, "c6:dangling, younger than the safety margin");
	CHECK_CONTAINS(s, "c1:a build is running");
	free(s);
	/* "*": it cannot be told which app builds: every app's kept */
	nd_strvec_release(&b);
	nd_strvec_push(&b, "*");
	o.margin_before = now + 1;
	s = stage_plan(&in, &o, false);
	CHECK_STR(s, "");
	free(s);
	/* another app's build changes nothing for shop */
	nd_strvec_release(&b);
	nd_strvec_push(&b, "blog");
	opts(&o, "shop", 1);
	o.margin_before = now + 1;
	s = stage_plan(&in, &o, false);
	CHECK_STR(s, "shop:r1:old release c1:build stage (dangling) "
		     "c2:build stage (dangling) c5:deps stage (dangling) "
		     "d1:dangling");
	free(s);
	nd_strvec_release(&b);
}

TEST(markers_are_never_project_volumes)
{
	struct nd_prune_input in;
	struct nd_prune_opts o;
	char *s;

	stage_input(&in);
	opts(&o, NULL, 1);
	o.images = false;
	o.until = now + 1;
	s = plan_str(&in, &o, false);
	CHECK_STR(s, "volume:nd-shop-data:unused");
	free(s);
}

int main(void)
{
	char *data = unit_read_file("../data/prune/engine.json", NULL);

	engine = data ? cJSON_Parse(data) : NULL;
	free(data);
	if (!engine) {
		printf("Bail out! cannot read ../data/prune/engine.json\n");
		return 1;
	}
	now = cJSON_GetObjectItemCaseSensitive(engine, "now")->valuedouble;
	data = unit_read_file("../data/prune/stages.json", NULL);
	stages = data ? cJSON_Parse(data) : NULL;
	free(data);
	if (!stages) {
		printf("Bail out! cannot read ../data/prune/stages.json\n");
		return 1;
	}
	RUN(project_keep_3);
	RUN(details_of_items);
	RUN(keep_0_still_keeps_live_used_and_parents);
	RUN(multi_tag_release_lists_every_tag);
	RUN(all_apps_never_decoys);
	RUN(until_limits_every_kind);
	RUN(margin_zero_removes_recent_dangling);
	RUN(podman_bare_image_ids);
	RUN(empty_and_broken_input);
	RUN(only_containers_named_by_nextdeploy);
	RUN(stage_images_newest_is_the_cache);
	RUN(a_running_build_keeps_its_apps_images);
	RUN(markers_are_never_project_volumes);
	cJSON_Delete(engine);
	cJSON_Delete(stages);
	return unit_done();
}
