/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "cmd/transfer_common.h"
#include "core/deploy.h"
#include "core/project.h"
#include "docker/api.h"
#include "docker/deploy_api.h"
#include "docker/transfer.h"

#include <cjson/cJSON.h>

static const char *opt_registry;
static bool opt_latest;

/* clang-format off */
static const struct nd_opt push_opts[] = {
	ND_OPT_STRING_ROW(0, "registry", &opt_registry, "HOST[:PORT][/PATH]",
			  ND_ARG_TEXT,
			  "push to this registry prefix instead of image.registry"),
	ND_OPT_BOOL_ROW(0, "latest", &opt_latest,
			"also push the release as the tag latest (what 'nextdeploy pull' fetches by default)"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const struct nd_arg push_args[] = {
	{ "RELEASE", ND_ARG_RELEASE, NULL, true, false,
	  "the release to push (default: the newest, the one 'nextdeploy run' would deploy)" },
	ND_ARG_END,
};
/* clang-format on */

/* clang-format off */
static const char *const push_sections[] = {
	"IMAGE NAMES",
	"The release's image (labeled nextdeploy.app=<app> and "
	"nextdeploy.release=RELEASE on the engine, as 'nextdeploy build' "
	"makes it) is tagged <registry>/<image.name>:RELEASE, then pushed. "
	"The labels travel with the image, so after 'nextdeploy pull "
	"RELEASE' on another engine 'nextdeploy run --release RELEASE' "
	"and 'nextdeploy releases' know it. A compose app's release has one "
	"image per built service; each is pushed as "
	"<registry>/<image.name>-<service>:RELEASE. With --latest each is "
	"also pushed as :latest (an explicit choice: latest is a moving "
	"tag, a release tag is not).",
	"CREDENTIALS",
	"As the docker CLI finds them, from $DOCKER_CONFIG/config.json (else "
	"~/.docker/config.json) and DOCKER_AUTH_CONFIG. For the registry's "
	"host: DOCKER_AUTH_CONFIG's auths; then the credential helper named "
	"in credHelpers for that host, else credsStore, run as "
	"docker-credential-<name> get (no shell, 30 s limit; \"credentials "
	"not found\" means none); else auths (the exact key, or a key whose "
	"host part matches, such as https://host/v2/). Docker Hub's key is "
	"https://index.docker.io/v1/. A user name <token> is an identity "
	"token. Without credentials the push goes out anonymous, and the "
	"registry decides. The credentials go to the engine only in the "
	"X-Registry-Auth header; nextdeploy never prints them (-v says where "
	"they came from, NEXTDEPLOY_TRACE redacts them).",
	"OUTPUT",
	"Progress on stderr: a line per layer redrawn in place on a "
	"terminal, plain lines in a pipe or when CI is set (byte counts "
	"left out). On stdout the pushed reference, pinned by its digest: "
	"<registry>/<name>:RELEASE@sha256:.... With -q only that. With "
	"--json one document: release, registry, image, repository, tag, "
	"digest, size (of the manifest), tags, and images (service, "
	"image_id, image, repository, tag, digest, size: one per image).",
	"EXIT STATUS",
	"0 pushed; 1 the push failed (the registry refused the credentials "
	"or wanted some, is unreachable, or the release is not on the "
	"engine); 2 usage or project-file error (no registry: set "
	"image.registry or pass --registry; a malformed config.json); 3 "
	"engine unreachable; 130 interrupted.",
	"ENVIRONMENT",
	"DOCKER_AUTH_CONFIG: credentials in config.json's form, tried first. "
	"CI: plain progress lines.",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_push_spec = {
	.usage = "[OPTIONS] [RELEASE]",
	.description =
		"Push a release of the app to its registry: tag the release's "
		"image as <registry>/<image.name>:RELEASE and push it with "
		"the registry credentials of the docker CLI's config.json "
		"(auths, credsStore, credHelpers) or DOCKER_AUTH_CONFIG. The "
		"registry is image.registry, or --registry. Without RELEASE "
		"the newest release is pushed. Another machine then runs "
		"'nextdeploy pull RELEASE' and 'nextdeploy run --release "
		"RELEASE'.",
	.opts = push_opts,
	.args = push_args,
	.min_args = 0,
	.max_args = 1,
	.examples = (const struct nd_example[]){
		{ "nextdeploy build && nextdeploy push",
		  "build the current source, push that release" },
		{ "nextdeploy push 3f2a1c9 --latest",
		  "push release 3f2a1c9, also as latest" },
		{ "nextdeploy push --registry ghcr.io/acme --json",
		  "push to another registry; a JSON result with the digest" },
		{ "DOCKER_AUTH_CONFIG=\"$REGISTRY_AUTH\" nextdeploy push -q",
		  "in CI: credentials from a variable, print only the reference" },
		{ NULL, NULL },
	},
	.sections = push_sections,
};
/* clang-format on */

/* One image of the release and where it goes. */
struct item {
	char *service;
	char *image_id;
	char *repo; /* <registry>/<name>[-<service>] */
	struct nd_transfer_result res;
};

/* "-<service>" when the image was built under <name>-<service> (compose). */
static const char *name_suffix(const cJSON *img, const char *name,
			       const char *release, const char *service,
			       char *buf, size_t n)
{
	const cJSON *t;
	const char *plain = NULL;

	snprintf(buf, n, "-%s", service);
	cJSON_ArrayForEach(t,
			   cJSON_GetObjectItemCaseSensitive(img, "RepoTags")) {
		const char *s = cJSON_IsString(t) ? t->valuestring : "";
		const char *slash = strrchr(s, '/');
		const char *colon = strrchr(s, ':');
		char *repo, *want;
		size_t rl, wl;

		if (!colon || (slash && colon < slash) ||
		    strcmp(colon + 1, release))
			continue;
		repo = nd_strndup(s, (size_t)(colon - s));
		rl = strlen(repo);
		want = nd_xprintf("%s%s", name, buf);
		wl = strlen(want);
		if (rl >= wl && !strcmp(repo + rl - wl, want) &&
		    (rl == wl || repo[rl - wl - 1] == '/')) {
			free(repo);
			free(want);
			return buf;
		}
		wl = strlen(name);
		if (rl >= wl && !strcmp(repo + rl - wl, name) &&
		    (rl == wl || repo[rl - wl - 1] == '/'))
			plain = "";
		free(repo);
		free(want);
	}
	if (plain)
		return plain;
	return strcmp(service, "web") ? buf : "";
}

/* The newest image of each service of the release. */
static int release_items(struct item **out, size_t *nout, struct nd_engine *e,
			 const struct nd_project *p, const char *release,
			 struct nd_error *err)
{
	cJSON *list = NULL;
	const cJSON *img;
	const cJSON **best = NULL;
	struct item *items = NULL;
	size_t n = 0;
	int r;

	if ((r = nd_app_images_list(e, p->app, release, &list, err)) < 0)
		return r;
	cJSON_ArrayForEach(img, list) {
		const char *svc = nd_json_label(img, "nextdeploy.service");
		size_t i;

		if (!svc)
			svc = "web";
		for (i = 0; i < n; i++)
			if (!strcmp(items[i].service, svc))
				break;
		if (i == n) {
			items = nd_realloc(items, (n + 1) * sizeof(*items));
			best = nd_realloc(best, (n + 1) * sizeof(*best));
			memset(&items[n], 0, sizeof(items[n]));
			items[n].service = nd_strdup(svc);
			best[n] = img;
			n++;
		} else if (nd_json_num(img, "Created", 0) >
			   nd_json_num(best[i], "Created", 0)) {
			best[i] = img;
		}
	}
	if (!n) {
		r = nd_error_set(err, ND_ENOTFOUND,
				 "'%s' has no release '%s' on the engine",
				 p->app, release);
		nd_error_hint(
			err,
			"see 'nextdeploy releases', or build it with 'nextdeploy build --tag %s'",
			release);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		char buf[256];
		const char *suffix = name_suffix(best[i],
						 nd_project_image_name(p),
						 release, items[i].service, buf,
						 sizeof(buf));

		items[i].image_id = nd_strdup(nd_json_str(best[i], "Id") ?: "");
		if ((r = nd_xfer_repository(&items[i].repo, NULL, opt_registry,
					    p, suffix, err)) < 0)
			goto done;
	}
	/* the app's own image first, then the services by name */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			bool swap = strcmp(items[j].service, "web") == 0 ||
				    (strcmp(items[j - 1].service, "web") &&
				     strcmp(items[j].service,
					    items[j - 1].service) < 0);
			struct item tmp;

			if (!swap)
				break;
			tmp = items[j];
			items[j] = items[j - 1];
			items[j - 1] = tmp;
		}
	*out = items;
	*nout = n;
	items = NULL;
	n = 0;
done:
	for (size_t i = 0; i < n; i++) {
		free(items[i].service);
		free(items[i].image_id);
		free(items[i].repo);
	}
	free(items);
	free(best);
	cJSON_Delete(list);
	return r;
}

static int newest_release(char **out, struct nd_engine *e, const char *app,
			  struct nd_error *err)
{
	struct nd_release_info *list = NULL;
	size_t n = 0;
	int r = nd_releases_list(&list, &n, e, app, NULL, err);

	if (r < 0)
		return r;
	if (!n) {
		r = nd_error_set(err, ND_ENOTFOUND,
				 "'%s' has no release on the engine to push",
				 app);
		nd_error_hint(err, "build one with 'nextdeploy build'");
	} else {
		*out = nd_strdup(list[0].release);
	}
	nd_releases_free(list, n);
	return r;
}

static void print_json(const char *release, const char *registry,
		       const struct item *items, size_t n)
{
	cJSON *o = cJSON_CreateObject(), *arr, *tags;

	cJSON_AddStringToObject(o, "release", release);
	cJSON_AddStringToObject(o, "registry", registry);
	{
		char *img = nd_xprintf("%s:%s", items[0].repo, release);

		cJSON_AddStringToObject(o, "image", img);
		free(img);
	}
	cJSON_AddStringToObject(o, "repository", items[0].repo);
	cJSON_AddStringToObject(o, "tag", release);
	if (items[0].res.digest)
		cJSON_AddStringToObject(o, "digest", items[0].res.digest);
	else
		cJSON_AddNullToObject(o, "digest");
	cJSON_AddNumberToObject(o, "size", items[0].res.size);
	tags = cJSON_AddArrayToObject(o, "tags");
	cJSON_AddItemToArray(tags, cJSON_CreateString(release));
	if (opt_latest)
		cJSON_AddItemToArray(tags, cJSON_CreateString("latest"));
	arr = cJSON_AddArrayToObject(o, "images");
	for (size_t i = 0; i < n; i++) {
		cJSON *im = cJSON_CreateObject();
		char *img = nd_xprintf("%s:%s", items[i].repo, release);

		cJSON_AddStringToObject(im, "service", items[i].service);
		cJSON_AddStringToObject(im, "image_id", items[i].image_id);
		cJSON_AddStringToObject(im, "image", img);
		cJSON_AddStringToObject(im, "repository", items[i].repo);
		cJSON_AddStringToObject(im, "tag", release);
		if (items[i].res.digest)
			cJSON_AddStringToObject(im, "digest",
						items[i].res.digest);
		else
			cJSON_AddNullToObject(im, "digest");
		cJSON_AddNumberToObject(im, "size", items[i].res.size);
		cJSON_AddItemToArray(arr, im);
		free(img);
	}
	nd_json_print(o);
}

static int push_one(struct nd_engine *e, struct nd_xfer *x, struct item *it,
		    const char *tag, struct nd_transfer_result *res,
		    struct nd_error *err)
{
	struct nd_transfer_opts to = { x->auth, nd_xfer_on_msg, x };
	int r;

	if ((r = nd_image_tag(e, it->image_id, it->repo, tag, err)) < 0) {
		nd_error_wrap(err, "tagging '%s:%s'", it->repo, tag);
		return r;
	}
	nd_msg_info("pushing %s:%s", it->repo, tag);
	nd_xfer_progress_start(x);
	r = nd_image_push(e, it->repo, tag, &to, res, err);
	nd_xfer_progress_done(x);
	if (r < 0)
		nd_xfer_hint(err, x, NULL);
	return r;
}

int cmd_push(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_xfer x = ND_XFER_INIT;
	struct item *items = NULL;
	size_t n = 0;
	char *release = NULL, *registry = NULL, *probe = NULL;
	int code = 0;

	if (argc == 1 && !nd_image_tag_valid(argv[0])) {
		nd_msg_error("invalid release '%s'", argv[0]);
		return ND_EXIT_USAGE;
	}
	/* the registry first: nothing to look up when there is none */
	if (nd_xfer_repository(&probe, &registry, opt_registry, ctx->project,
			       NULL, &err) < 0)
		goto fail;
	if (argc == 1)
		release = nd_strdup(argv[0]);
	else if (newest_release(&release, ctx->engine, ctx->project->app,
				&err) < 0)
		goto fail;
	if (release_items(&items, &n, ctx->engine, ctx->project, release,
			  &err) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];

		nd_xfer_release(&x);
		if (nd_xfer_begin(&x, ctx->engine, it->repo, &err) < 0 ||
		    push_one(ctx->engine, &x, it, release, &it->res, &err) < 0)
			goto fail;
		if (opt_latest) {
			struct nd_transfer_result lr = { 0 };
			int r = push_one(ctx->engine, &x, it, "latest", &lr,
					 &err);
			nd_transfer_result_release(&lr);
			if (r < 0)
				goto fail;
		}
		if (it->res.digest)
			nd_msg_info("pushed %s:%s (%s)", it->repo, release,
				    it->res.digest);
		else
			nd_msg_info("pushed %s:%s", it->repo, release);
	}
	if (nd_out.json) {
		print_json(release, registry, items, n);
	} else {
		for (size_t i = 0; i < n; i++)
			if (items[i].res.digest)
				printf("%s:%s@%s\n", items[i].repo, release,
				       items[i].res.digest);
			else
				printf("%s:%s\n", items[i].repo, release);
	}
	goto done;
fail:
	nd_xfer_progress_done(&x);
	nd_error_report(&err);
	code = nd_error_exit_code(&err);
done:
	for (size_t i = 0; i < n; i++) {
		free(items[i].service);
		free(items[i].image_id);
		free(items[i].repo);
		nd_transfer_result_release(&items[i].res);
	}
	free(items);
	nd_xfer_release(&x);
	nd_error_release(&err);
	free(release);
	free(registry);
	free(probe);
	return code;
}
