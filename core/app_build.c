/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/app_build.h"
#include "core/buf.h"
#include "core/context.h"
#include "core/hooks.h"
#include "core/ignore.h"
#include "core/project.h"
#include "core/source.h"
#include "buildpacks/plan.h"
#include "docker/api.h"
#include "docker/engine.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SECRET_FILE_CAP ((size_t)64 << 10)
#define DOCKERFILE_CAP ((size_t)1 << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *nd_app_image_repo(const struct nd_project *p)
{
	const char *name = nd_project_image_name(p);

	if (p->image.registry) {
		size_t n = strlen(p->image.registry);

		while (n && p->image.registry[n - 1] == '/')
			n--;
		return nd_xprintf("%.*s/%s", (int)n, p->image.registry, name);
	}
	return nd_strdup(name);
}

static char *read_capped(const char *path, size_t cap, bool *too_big)
{
	struct nd_buf b = ND_BUF_INIT_CAP(cap);
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*too_big = false;
	if (fd < 0)
		return NULL;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (nd_buf_add(&b, chunk, (size_t)n) < 0) {
			*too_big = true;
			break;
		}
	close(fd);
	if (n < 0 || *too_big) {
		nd_buf_release(&b);
		return NULL;
	}
	return nd_buf_detach(&b, NULL);
}

void nd_app_secret_values(const struct nd_project *p, struct nd_strvec *out)
{
	size_t i;

	for (i = 0; i < p->deploy.nsecrets; i++) {
		const struct nd_secret *s = &p->deploy.secrets[i];
		char *v = NULL;

		if (s->from_env) {
			const char *e = getenv(s->from_env);

			v = e ? nd_strdup(e) : NULL;
		} else if (s->from_file) {
			char *path = s->from_file[0] == '/' ?
					     nd_strdup(s->from_file) :
					     nd_xprintf("%s/%s", p->dir,
							s->from_file);
			bool big;

			v = read_capped(path, SECRET_FILE_CAP, &big);
			free(path);
			/* a file's final newline is not part of the value */
			if (v) {
				size_t n = strlen(v);

				while (n && (v[n - 1] == '\n' || v[n - 1] == '\r'))
					v[--n] = '\0';
			}
		}
		if (v && strlen(v) >= 3)
			nd_strvec_push_nodup(out, v);
		else
			free(v);
	}
}

void nd_app_build_result_release(struct nd_app_build_result *res)
{
	if (!res)
		return;
	free(res->image);
	free(res->repo);
	free(res->release);
	free(res->image_id);
	free(res->buildpack);
	free(res->dockerfile);
	free(res->commit);
	free(res->source_url);
	free(res->content_hash);
	memset(res, 0, sizeof(*res));
}

/* --- the operation --- */

struct ab {
	struct nd_engine *e;
	const struct nd_project *p;
	const struct nd_app_build_opts *o;
	struct nd_source *src;
	struct nd_plan *plan;
	struct nd_context *ctx;
	struct nd_strvec secrets;
	struct nd_kvlist args;
	struct nd_kvlist labels;
	char *ctx_dir;
	char *hash;
	uint64_t sent;
};

static void ev(struct ab *b, enum nd_app_build_event_kind kind,
	       const char *text)
{
	struct nd_app_build_event e = { kind, text, NULL, NULL };

	if (b->o->on_event)
		b->o->on_event(&e, b->o->ud);
}

static void on_clone(const struct nd_source_progress *pr, void *ud)
{
	struct ab *b = ud;
	struct nd_app_build_event e = { ND_AB_CLONE, NULL, pr, NULL };

	if (b->o->on_event)
		b->o->on_event(&e, b->o->ud);
}

static void on_build(const struct nd_build_event *be, void *ud)
{
	struct ab *b = ud;
	struct nd_app_build_event e = { ND_AB_BUILD, NULL, NULL, be };

	if (b->o->on_event)
		b->o->on_event(&e, b->o->ud);
}

static bool is_secret_name(const struct nd_project *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->deploy.nsecrets; i++)
		if (!strcmp(p->deploy.secrets[i].name, name))
			return true;
	return false;
}

static int make_args(struct ab *b, struct nd_error *err)
{
	const struct nd_project *p = b->p;
	size_t i;

	for (i = 0; i < p->build.args.nr; i++) {
		const struct nd_kv *kv = &p->build.args.items[i];

		if (is_secret_name(p, kv->key))
			return nd_error_set_at(err, ND_EPROJECT, p->path,
					       kv->line, kv->col,
					       "build arg '%s' is a deploy secret: secrets are never passed to builds (they would stay in the image's history)",
					       kv->key);
		nd_kvlist_set(&b->args, kv->key, kv->value);
	}
	for (i = 0; b->o->build_args && i < b->o->build_args->nr; i++) {
		const struct nd_kv *kv = &b->o->build_args->items[i];
		const char *v = kv->value ? kv->value : getenv(kv->key);

		if (is_secret_name(p, kv->key)) {
			nd_error_set(err, ND_EUSAGE,
				     "build arg '%s' is a deploy secret: secrets are never passed to builds",
				     kv->key);
			nd_error_hint(err, "read it at run time from the environment or /run/secrets instead");
			return ND_EUSAGE;
		}
		nd_kvlist_set(&b->args, kv->key, v);
	}
	return 0;
}

static void copy_labels(struct nd_kvlist *dst, const struct nd_kvlist *src)
{
	size_t i;

	for (i = 0; src && i < src->nr; i++)
		nd_kvlist_set(dst, src->items[i].key,
			      src->items[i].value ? src->items[i].value : "");
}

static void make_labels(struct ab *b, const char *release)
{
	struct nd_kvlist *l = &b->labels;
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	time_t t = epoch && *epoch ? (time_t)strtoll(epoch, NULL, 10) :
				     time(NULL);
	struct tm tm;
	char created[32];

	copy_labels(l, &b->plan->labels);
	if (!nd_kvlist_find(l, "nextdeploy.port") && b->plan->port > 0) {
		char port[16];

		snprintf(port, sizeof(port), "%d", b->plan->port);
		nd_kvlist_set(l, "nextdeploy.port", port);
	}
	if (!nd_kvlist_find(l, "nextdeploy.probe") && b->plan->probe)
		nd_kvlist_set(l, "nextdeploy.probe", b->plan->probe);
	if (b->src->url)
		nd_kvlist_set(l, "org.opencontainers.image.source",
			      b->src->url);
	if (b->src->commit)
		nd_kvlist_set(l, "org.opencontainers.image.revision",
			      b->src->commit);
	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	nd_kvlist_set(l, "org.opencontainers.image.created", created);
	copy_labels(l, &b->p->build.labels);
	copy_labels(l, b->o->labels);
	nd_kvlist_set(l, "nextdeploy.managed", "true");
	nd_kvlist_set(l, "nextdeploy.app", b->p->app);
	nd_kvlist_set(l, "nextdeploy.release", release);
	nd_kvlist_set(l, "nextdeploy.service",
		      b->o->service ? b->o->service : "web");
}

/* The context folder and the Dockerfile, from the plan. */
static int open_context(struct ab *b, struct nd_error *err)
{
	const struct nd_plan *plan = b->plan;
	char *want = nd_xprintf("%s/%s", b->src->dir,
				plan->context ? plan->context : ".");
	char *text = NULL, *dpath = NULL;
	size_t n = strlen(b->src->dir);
	int r = 0;

	b->ctx_dir = realpath(want, NULL);
	if (!b->ctx_dir || strncmp(b->ctx_dir, b->src->dir, n) ||
	    (b->ctx_dir[n] && b->ctx_dir[n] != '/')) {
		r = nd_project_error(b->p, err, "build.context",
				     "the build context '%s' is not a folder of the source",
				     plan->context ? plan->context : ".");
		goto done;
	}
	if (plan->dockerfile) {
		text = nd_strdup(plan->dockerfile);
	} else if (plan->dockerfile_path) {
		char *clean = nd_path_clean(plan->dockerfile_path);

		if (!strcmp(clean, "..") || nd_starts_with(clean, "../") ||
		    clean[0] == '/') {
			/* outside the context: sent under a generated name */
			char *path = clean[0] == '/' ? nd_strdup(clean) :
				     nd_xprintf("%s/%s", b->ctx_dir, clean);
			bool big;

			text = read_capped(path, DOCKERFILE_CAP, &big);
			if (!text) {
				if (big)
					r = nd_error_set(err, ND_EPROJECT,
							 "the Dockerfile '%s' is larger than 1 MiB",
							 path);
				else
					r = nd_error_errno(err, ND_EPROJECT,
							   "cannot read the Dockerfile '%s'",
							   path);
				free(path);
				free(clean);
				goto done;
			}
			free(path);
			free(clean);
		} else {
			char *path = nd_xprintf("%s/%s", b->ctx_dir, clean);
			struct stat st;

			if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
				r = nd_project_error(b->p, err, "build.dockerfile",
						     "no Dockerfile at '%s'", path);
				free(path);
				free(clean);
				goto done;
			}
			free(path);
			dpath = clean;
		}
	} else {
		BUG("a plan without a Dockerfile");
	}
	if ((r = nd_context_open(&b->ctx, b->ctx_dir, dpath, text, err)) < 0)
		goto done;
	/* a clone's own .git is how we fetched, not part of the source */
	if (b->src->tmpdir && !strcmp(b->ctx_dir, b->src->root))
		nd_strvec_push(&b->ctx->skip_top, ".git");
done:
	free(want);
	free(text);
	free(dpath);
	return r;
}

static void emit_warnings(struct ab *b, size_t *done)
{
	for (; *done < b->ctx->warnings.nr; (*done)++)
		ev(b, ND_AB_WARNING, b->ctx->warnings.items[*done]);
}

static int compute_hash(struct ab *b, struct nd_error *err)
{
	char hex[65];
	int r;

	if (b->hash)
		return 0;
	ev(b, ND_AB_HASH, NULL);
	if ((r = nd_context_hash(b->ctx, hex, NULL, err)) < 0)
		return nd_error_wrap(err, "hashing the build context");
	b->hash = nd_strdup(hex);
	return 0;
}

/*
 * Would the context sent differ from the commit? Yes when a path git status
 * shows (modified, deleted, untracked or ignored) is inside the context
 * and not left out by .dockerignore; a folder also when an exception
 * could bring back something inside it.
 */
static bool context_dirty(struct ab *b)
{
	const char *ctx_rel = b->ctx_dir + strlen(b->src->dir);
	size_t cl, i;

	if (*ctx_rel == '/')
		ctx_rel++;
	cl = strlen(ctx_rel);
	for (i = 0; i < b->src->changes.nr; i++) {
		const char *c = b->src->changes.items[i];
		size_t n = strlen(c);
		bool dir = n && c[n - 1] == '/', sent;
		char *q;

		if (cl) {
			/* a changed folder that holds the whole context */
			if (dir && n <= cl + 1 && !strncmp(ctx_rel, c, n - 1) &&
			    (ctx_rel[n - 1] == '/' || !ctx_rel[n - 1]))
				return true;
			if (strncmp(c, ctx_rel, cl) || c[cl] != '/')
				continue;
			c += cl + 1;
			n -= cl + 1;
		}
		q = nd_strndup(c, dir ? n - 1 : n);
		sent = !*q || !nd_ignore_match(&b->ctx->ignore, q) ||
		       (dir && nd_ignore_enter_dir(&b->ctx->ignore, q));
		free(q);
		if (sent)
			return true;
	}
	return false;
}

static int release_tag(struct ab *b, char **tag_out, const char **source_out,
		       struct nd_error *err)
{
	const struct nd_project *p = b->p;
	int r;

	if (b->o->tag) {
		*tag_out = nd_strdup(b->o->tag);
		*source_out = "option";
		return 0;
	}
	if (p->image.tag && strcmp(p->image.tag, "auto")) {
		*tag_out = nd_strdup(p->image.tag);
		*source_out = "project";
		return 0;
	}
	if (b->src->short_commit && !context_dirty(b)) {
		*tag_out = nd_strdup(b->src->short_commit);
		*source_out = "commit";
		return 0;
	}
	if ((r = compute_hash(b, err)) < 0)
		return r;
	if (b->src->short_commit) {
		*tag_out = nd_xprintf("%s-dirty-%.8s", b->src->short_commit,
				      b->hash);
		*source_out = "commit-dirty";
	} else {
		*tag_out = nd_xprintf("%.12s", b->hash);
		*source_out = "content";
	}
	return 0;
}

/* Is <ref> this app's image of this release already? */
static int already_built(struct ab *b, const char *ref, const char *tag,
			 char **id_out, struct nd_error *err)
{
	struct nd_error ierr = ND_ERROR_INIT;
	cJSON *img = NULL;
	const cJSON *cfg;
	int r;

	r = nd_image_inspect(b->e, ref, &img, &ierr);
	if (r == ND_ENOTFOUND) {
		nd_error_release(&ierr);
		return 0;
	}
	if (r < 0) {
		nd_error_move(err, &ierr);
		return r;
	}
	cfg = cJSON_GetObjectItemCaseSensitive(img, "Config");
	if (nd_streq(nd_json_label(cfg, "nextdeploy.release"), tag) &&
	    nd_streq(nd_json_label(cfg, "nextdeploy.app"), b->p->app) &&
	    nd_json_str(img, "Id")) {
		*id_out = nd_strdup(nd_json_str(img, "Id"));
		r = 1;
	}
	cJSON_Delete(img);
	return r;
}

static int write_ctx(int fd, void *ud, struct nd_error *err)
{
	struct ab *b = ud;

	return nd_context_write_tar(b->ctx, fd, &b->sent, err);
}

int nd_app_build(struct nd_engine *e, const struct nd_project *p,
		 const struct nd_app_build_opts *o,
		 struct nd_app_build_result *res, struct nd_error *err)
{
	struct ab b = { 0 };
	struct nd_source_opts so = { on_clone, &b };
	struct nd_build_opts bo = { 0 };
	struct nd_build_log local_log = { 0 };
	struct nd_app_build_result out = { 0 };
	const char *tags[2];
	char *tag = NULL, *id = NULL;
	double t0 = now_s();
	size_t warned = 0;
	int r;

	b.e = e;
	b.p = p;
	b.o = o;
	nd_app_secret_values(p, &b.secrets);
	if ((r = make_args(&b, err)) < 0)
		goto done;

	if (p->source.git) {
		char *shown = nd_url_strip_credentials(p->source.git);
		char *what = p->source.ref ?
				     nd_xprintf("cloning %s at %s", shown, p->source.ref) :
				     nd_xprintf("cloning %s", shown);

		ev(&b, ND_AB_SOURCE, what);
		free(what);
		free(shown);
	}
	if ((r = nd_source_prepare(&b.src, p, &so, err)) < 0)
		goto done;
	if (!p->source.git) {
		char *what = nd_xprintf("using %s", b.src->dir);

		ev(&b, ND_AB_SOURCE, what);
		free(what);
	}
	if ((r = nd_plan_make(&b.plan, p, b.src->dir, err)) < 0)
		goto done;
	for (size_t i = 0; i < b.plan->warnings.nr; i++)
		ev(&b, ND_AB_WARNING, b.plan->warnings.items[i]);
	ev(&b, ND_AB_PLAN, b.plan->kind);
	if ((r = open_context(&b, err)) < 0)
		goto done;
	if ((r = release_tag(&b, &tag, &out.tag_source, err)) < 0)
		goto done;
	emit_warnings(&b, &warned);

	out.repo = nd_app_image_repo(p);
	out.image = nd_xprintf("%s:%s", out.repo, tag);
	out.release = nd_strdup(tag);
	out.buildpack = nd_strdup(b.plan->kind);
	out.dockerfile = nd_strdup(b.ctx->dockerfile);
	out.commit = nd_strdup_or_null(b.src->commit);
	out.source_url = nd_strdup_or_null(b.src->url);

	if (!o->force && !o->tag &&
	    (!p->image.tag || !strcmp(p->image.tag, "auto"))) {
		r = already_built(&b, out.image, tag, &id, err);
		if (r < 0) {
			nd_error_wrap(err, "looking for '%s'", out.image);
			goto done;
		}
		if (r == 1) {
			out.skipped = true;
			ev(&b, ND_AB_SKIPPED, out.image);
			goto finish;
		}
	}

	if (!o->no_hooks) {
		struct nd_kvlist env = ND_KVLIST_INIT;
		enum nd_hook_result hr;
		char *hp = nd_hook_path(p->dir, "pre-build");

		nd_kvlist_set(&env, "NEXTDEPLOY_APP", p->app);
		nd_kvlist_set(&env, "NEXTDEPLOY_RELEASE", tag);
		nd_kvlist_set(&env, "NEXTDEPLOY_IMAGE", out.image);
		nd_kvlist_set(&env, "NEXTDEPLOY_SOURCE_DIR", b.src->dir);
		nd_kvlist_set(&env, "NEXTDEPLOY_CONTEXT_DIR", b.ctx_dir);
		nd_kvlist_set(&env, "NEXTDEPLOY_PROJECT_DIR", p->dir);
		nd_kvlist_set(&env, "NEXTDEPLOY_COMMIT",
			      b.src->commit ? b.src->commit : "");
		if (!access(hp, F_OK))
			ev(&b, ND_AB_HOOK, "pre-build");
		r = nd_hook_run(&hr, p->dir, "pre-build", b.src->dir, &env, err);
		nd_kvlist_release(&env);
		if (r == 0 && hr == ND_HOOK_NOT_EXECUTABLE) {
			char *w = nd_xprintf("the hook '%s' was ignored because it is not executable",
					     hp);

			ev(&b, ND_AB_WARNING, w);
			free(w);
		}
		free(hp);
		if (r < 0)
			goto done;
	}

	make_labels(&b, tag);
	ev(&b, ND_AB_RELEASE, out.image);
	tags[0] = out.image;
	tags[1] = NULL;
	bo.tags = tags;
	bo.dockerfile = b.ctx->dockerfile;
	bo.buildargs = &b.args;
	bo.labels = &b.labels;
	bo.target = o->target ? o->target : b.plan->target;
	bo.nocache = o->no_cache;
	bo.pull = o->pull;
	bo.write_context = write_ctx;
	bo.context_ud = &b;
	bo.on_event = on_build;
	bo.ud = &b;
	bo.secrets = (const char *const *)b.secrets.items;
	r = nd_image_build(e, &bo, o->log ? o->log : &local_log, &id, err);
	emit_warnings(&b, &warned);
	if (r < 0)
		goto done;
	out.context_bytes = b.sent;
finish:
	out.image_id = id;
	id = NULL;
	out.content_hash = nd_strdup_or_null(b.hash);
	out.seconds = now_s() - t0;
	*res = out;
	memset(&out, 0, sizeof(out));
	r = 0;
done:
	nd_app_build_result_release(&out);
	nd_build_log_release(&local_log);
	nd_context_free(b.ctx);
	nd_plan_free(b.plan);
	nd_source_free(b.src);
	nd_strvec_release(&b.secrets);
	nd_kvlist_release(&b.args);
	nd_kvlist_release(&b.labels);
	free(b.ctx_dir);
	free(b.hash);
	free(tag);
	free(id);
	return r;
}
