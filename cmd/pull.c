/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "cmd/transfer_common.h"
#include "core/project.h"
#include "docker/api.h"
#include "docker/transfer.h"

#include <cjson/cJSON.h>

static const char *opt_registry;
static struct nd_strlist opt_services = ND_STRLIST_INIT;

/* clang-format off */
static const struct nd_opt pull_opts[] = {
	ND_OPT_STRING_ROW(0, "registry", &opt_registry, "HOST[:PORT][/PATH]",
			  ND_ARG_TEXT,
			  "pull from this registry prefix instead of image.registry"),
	ND_OPT_LIST_ROW(0, "service", &opt_services, "NAME", ND_ARG_TEXT,
			"a compose app: pull the image of this service (<image.name>-NAME)"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const struct nd_arg pull_args[] = {
	{ "RELEASE", ND_ARG_TEXT, NULL, true, false,
	  "the release tag to pull (default: image.tag when it is set, else latest)" },
	ND_ARG_END,
};
/* clang-format on */

/* clang-format off */
static const char *const pull_sections[] = {
	"RELEASES",
	"'nextdeploy push' publishes a release as <registry>/<image.name>:"
	"RELEASE (and as :latest with --latest); the image keeps the labels "
	"'nextdeploy build' gave it. After a pull, 'nextdeploy releases' "
	"lists it and 'nextdeploy run --release RELEASE' deploys it. When "
	"the pulled tag is not the image's release (latest, say), the image "
	"is also tagged <registry>/<image.name>:<release> on the engine, and "
	"the release is named in the output. An image without this app's "
	"nextdeploy.app label is pulled, with a warning: 'run' will not see "
	"it.",
	"CREDENTIALS",
	"As for 'nextdeploy push' (see nextdeploy-push(1)): "
	"DOCKER_AUTH_CONFIG, then the credential helper of credHelpers or "
	"credsStore, then auths in $DOCKER_CONFIG/config.json (else "
	"~/.docker/config.json); anonymous when there are none. The engine "
	"does the pulling: the registry must be reachable from the engine, "
	"and a plain-HTTP registry must be allowed there (Docker allows "
	"127.0.0.0/8; Podman needs it marked insecure in registries.conf).",
	"OUTPUT",
	"Progress on stderr: a line per layer redrawn in place on a "
	"terminal, plain lines in a pipe or when CI is set. On stdout the "
	"pulled reference (<registry>/<name>:RELEASE), one per image. With "
	"-q only that. With --json one document: image, repository, tag, "
	"release (the image's nextdeploy.release label, or null), image_id, "
	"digest, up_to_date, and images (the same fields per image: one, or "
	"one per --service).",
	"EXIT STATUS",
	"0 pulled (or already up to date); 1 the pull failed (no such "
	"release in the registry, the registry refused the credentials or "
	"wanted some, or is unreachable); 2 usage or project-file error (no "
	"registry: set image.registry or pass --registry; a malformed "
	"config.json); 3 engine unreachable; 130 interrupted.",
	"ENVIRONMENT",
	"DOCKER_AUTH_CONFIG: credentials in config.json's form, tried first. "
	"CI: plain progress lines.",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_pull_spec = {
	.usage = "[OPTIONS] [RELEASE]",
	.description =
		"Pull a release of the app from its registry onto the engine: "
		"<registry>/<image.name>:RELEASE, with the registry "
		"credentials of the docker CLI's config.json (auths, "
		"credsStore, credHelpers) or DOCKER_AUTH_CONFIG. The registry "
		"is image.registry, or --registry. RELEASE defaults to "
		"image.tag when the project sets one, else latest. This is "
		"the other half of 'nextdeploy push': a CI job builds and "
		"pushes release R, a server pulls R and runs it with "
		"'nextdeploy run --release R'.",
	.opts = pull_opts,
	.args = pull_args,
	.min_args = 0,
	.max_args = 1,
	.examples = (const struct nd_example[]){
		{ "nextdeploy pull 3f2a1c9 && nextdeploy run --release 3f2a1c9",
		  "fetch a release a CI job pushed, then deploy it" },
		{ "nextdeploy pull", "pull image.tag, else latest" },
		{ "nextdeploy -H ssh://deploy@prod pull 3f2a1c9",
		  "make a remote engine pull the release" },
		{ "nextdeploy pull --registry ghcr.io/acme --json 3f2a1c9",
		  "from another registry, with a JSON result" },
		{ NULL, NULL },
	},
	.sections = pull_sections,
};
/* clang-format on */

struct pulled {
	char *repo;
	char *image_id;
	char *release; /* the label, or NULL */
	bool up_to_date;
	struct nd_transfer_result res;
};

static void pulled_release(struct pulled *p)
{
	free(p->repo);
	free(p->image_id);
	free(p->release);
	nd_transfer_result_release(&p->res);
}

static cJSON *pulled_json(const struct pulled *p, const char *tag)
{
	cJSON *o = cJSON_CreateObject();
	char *img = nd_xprintf("%s:%s", p->repo, tag);

	cJSON_AddStringToObject(o, "image", img);
	cJSON_AddStringToObject(o, "repository", p->repo);
	cJSON_AddStringToObject(o, "tag", tag);
	if (p->release)
		cJSON_AddStringToObject(o, "release", p->release);
	else
		cJSON_AddNullToObject(o, "release");
	cJSON_AddStringToObject(o, "image_id", p->image_id ? p->image_id : "");
	if (p->res.digest)
		cJSON_AddStringToObject(o, "digest", p->res.digest);
	else
		cJSON_AddNullToObject(o, "digest");
	cJSON_AddBoolToObject(o, "up_to_date", p->up_to_date);
	free(img);
	return o;
}

/*
 * After the pull: the image's labels. Warn when it is not this app's;
 * tag it with its release when it was pulled under another tag.
 */
static int inspect_pulled(struct nd_engine *e, const struct nd_project *proj,
			  struct pulled *p, const char *tag,
			  struct nd_error *err)
{
	char *ref = nd_xprintf("%s:%s", p->repo, tag);
	cJSON *img = NULL;
	const cJSON *cfg;
	const char *app, *rel;
	int r;

	if ((r = nd_image_inspect(e, ref, &img, err)) < 0)
		goto done;
	cfg = cJSON_GetObjectItemCaseSensitive(img, "Config");
	p->image_id = nd_strdup(nd_json_str(img, "Id") ?: "");
	if (!p->res.digest) {
		/* Podman's stream has no "Digest:" line: RepoDigests has it */
		const cJSON *d;
		size_t rl = strlen(p->repo);

		cJSON_ArrayForEach(
			d, cJSON_GetObjectItemCaseSensitive(img, "RepoDigests"))
			if (cJSON_IsString(d) &&
			    !strncmp(d->valuestring, p->repo, rl) &&
			    d->valuestring[rl] == '@') {
				p->res.digest = nd_strdup(d->valuestring + rl +
							  1);
				break;
			}
	}
	app = nd_json_label(cfg, "nextdeploy.app");
	rel = nd_json_label(cfg, "nextdeploy.release");
	if (!nd_streq(app, proj->app)) {
		nd_msg_warning(
			"'%s' is not an image of '%s' (its nextdeploy.app label is %s%s%s): 'nextdeploy run' will not deploy it",
			ref, proj->app, app ? "'" : "", app ? app : "missing",
			app ? "'" : "");
		goto done;
	}
	if (rel && nd_image_tag_valid(rel)) {
		p->release = nd_strdup(rel);
		if (strcmp(rel, tag) &&
		    (r = nd_image_tag(e, p->image_id, p->repo, rel, err)) < 0)
			nd_error_wrap(err, "tagging '%s:%s'", p->repo, rel);
	}
done:
	cJSON_Delete(img);
	free(ref);
	return r;
}

int cmd_pull(int argc, const char **argv, struct nd_ctx *ctx)
{
	const struct nd_project *proj = ctx->project;
	struct nd_error err = ND_ERROR_INIT;
	struct nd_xfer x = ND_XFER_INIT;
	struct pulled *list = NULL;
	size_t n = 0, want = 0;
	const char *tag;
	char *missing = NULL;
	int code = 0;

	tag = argc == 1 ? argv[0] :
	      proj->image.tag && strcmp(proj->image.tag, "auto") ?
			  proj->image.tag :
			  "latest";
	if (!nd_image_tag_valid(tag)) {
		nd_msg_error("invalid release '%s'", tag);
		code = ND_EXIT_USAGE;
		goto done;
	}
	for (size_t i = 0; i < opt_services.nr; i++)
		if (!nd_app_name_valid(opt_services.items[i])) {
			nd_msg_error("invalid service name '%s'",
				     opt_services.items[i]);
			code = ND_EXIT_USAGE;
			goto done;
		}
	want = opt_services.nr ? opt_services.nr : 1;
	list = nd_calloc(want, sizeof(*list));
	for (; n < want; n++) {
		struct pulled *p = &list[n];
		struct nd_transfer_opts to = { NULL, nd_xfer_on_msg, &x };
		char *suffix = opt_services.nr ?
				       nd_xprintf("-%s", opt_services.items[n]) :
				       NULL;
		int r = nd_xfer_repository(&p->repo, NULL, opt_registry, proj,
					   suffix, &err);

		free(suffix);
		if (r < 0)
			goto fail;
		nd_xfer_release(&x);
		if (nd_xfer_begin(&x, ctx->engine, p->repo, &err) < 0)
			goto fail;
		to.registry_auth = x.auth;
		nd_msg_info("pulling %s:%s", p->repo, tag);
		nd_xfer_progress_start(&x);
		r = nd_image_pull(ctx->engine, p->repo, tag, &to, &p->res, &err);
		nd_xfer_progress_done(&x);
		if (r < 0) {
			free(missing);
			missing = nd_xprintf(
				"is '%s:%s' in the registry? it is published with 'nextdeploy push %s'",
				p->repo, tag,
				strcmp(tag, "latest") ? tag : "--latest");
			nd_xfer_hint(&err, &x, missing);
			goto fail;
		}
		p->up_to_date = p->res.status &&
				nd_starts_with(p->res.status,
					       "Image is up to date");
		if (inspect_pulled(ctx->engine, proj, p, tag, &err) < 0)
			goto fail;
		if (p->release && strcmp(p->release, tag))
			nd_msg_info("pulled %s:%s (release %s)%s", p->repo, tag,
				    p->release,
				    p->up_to_date ? ", up to date" : "");
		else
			nd_msg_info("pulled %s:%s%s", p->repo, tag,
				    p->up_to_date ? " (up to date)" : "");
	}
	if (nd_out.json) {
		cJSON *o = pulled_json(&list[0], tag), *arr;

		arr = cJSON_AddArrayToObject(o, "images");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, pulled_json(&list[i], tag));
		nd_json_print(o);
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%s:%s\n", list[i].repo, tag);
	}
	goto done;
fail:
	nd_xfer_progress_done(&x);
	nd_error_report(&err);
	code = nd_error_exit_code(&err);
done:
	for (size_t i = 0; i < want; i++)
		pulled_release(&list[i]);
	free(list);
	free(missing);
	nd_xfer_release(&x);
	nd_error_release(&err);
	nd_strlist_release(&opt_services);
	return code;
}
