/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/app_build.h"
#include "core/buf.h"
#include "core/signals.h"
#include "core/context.h"
#include "core/hooks.h"
#include "core/ignore.h"
#include "core/marker.h"
#include "core/project.h"
#include "core/registry_auth.h"
#include "core/source.h"
#include "buildpacks/plan.h"
#include "docker/api.h"
#include "docker/engine.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <openssl/evp.h>
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

				while (n &&
				       (v[n - 1] == '\n' || v[n - 1] == '\r'))
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
	for (size_t i = 0; i < res->nimages; i++) {
		free(res->images[i].service);
		free(res->images[i].image);
		free(res->images[i].image_id);
	}
	free(res->images);
	memset(res, 0, sizeof(*res));
}

/* --- the operation --- */

/* One image to build: the app's, or one per built compose service. */
struct target {
	const char *service;
	int port;
	char *ctx_dir;
	struct nd_context *ctx;
	char *repo;
	char *image; /* repo:tag */
	char *id;
	uint64_t sent;
	size_t warned;
	struct nd_kvlist labels;
};

struct ab {
	struct nd_engine *e;
	const struct nd_project *p;
	const struct nd_app_build_opts *o;
	struct nd_source *src;
	struct nd_plan *plan;
	struct target *t;
	size_t nt;
	struct nd_strvec secrets;
	struct nd_kvlist args;
	char *hash;
	char config[13];	 /* nextdeploy.build-config */
	struct nd_marker marker; /* the build marker (core/marker.h) */
	bool deferred;		 /* signals deferred while it is held */
};

static void ev(struct ab *b, enum nd_app_build_event_kind kind, const char *text)
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
			return nd_error_set_at(
				err, ND_EPROJECT, p->path, kv->line, kv->col,
				"build arg '%s' is a deploy secret: secrets are never passed to builds (they would stay in the image's history)",
				kv->key);
		nd_kvlist_set(&b->args, kv->key, kv->value);
	}
	for (i = 0; b->o->build_args && i < b->o->build_args->nr; i++) {
		const struct nd_kv *kv = &b->o->build_args->items[i];
		const char *v = kv->value ? kv->value : getenv(kv->key);

		if (is_secret_name(p, kv->key)) {
			nd_error_set(
				err, ND_EUSAGE,
				"build arg '%s' is a deploy secret: secrets are never passed to builds",
				kv->key);
			nd_error_hint(
				err,
				"read it at run time from the environment or /run/secrets instead");
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

static void make_labels(struct ab *b, struct target *t, const char *release)
{
	struct nd_kvlist *l = &t->labels;
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	time_t now = epoch && *epoch ? (time_t)strtoll(epoch, NULL, 10) :
				       time(NULL);
	struct tm tm;
	char created[32];

	copy_labels(l, &b->plan->labels);
	if (t->port > 0) {
		char port[16];

		snprintf(port, sizeof(port), "%d", t->port);
		if (b->nt > 1 || !nd_kvlist_find(l, "nextdeploy.port"))
			nd_kvlist_set(l, "nextdeploy.port", port);
	}
	if (!nd_kvlist_find(l, "nextdeploy.probe") && b->plan->probe)
		nd_kvlist_set(l, "nextdeploy.probe", b->plan->probe);
	if (b->src->url)
		nd_kvlist_set(l, "org.opencontainers.image.source", b->src->url);
	if (b->src->commit)
		nd_kvlist_set(l, "org.opencontainers.image.revision",
			      b->src->commit);
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	nd_kvlist_set(l, "org.opencontainers.image.created", created);
	copy_labels(l, &b->p->build.labels);
	copy_labels(l, b->o->labels);
	nd_kvlist_set(l, "nextdeploy.managed", "true");
	nd_kvlist_set(l, "nextdeploy.app", b->p->app);
	nd_kvlist_set(l, "nextdeploy.release", release);
	nd_kvlist_set(l, "nextdeploy.service", t->service);
	nd_kvlist_set(l, "nextdeploy.build-config", b->config);
}

/*
 * A target's context folder (relative to the source folder) and its
 * Dockerfile: synthesized text, or a path relative to the context (read
 * and sent under a generated name when it lies outside).
 */
static int open_context(struct ab *b, struct target *t, const char *context,
			const char *df_text, const char *df_path,
			const char *key, struct nd_error *err)
{
	char *want = nd_xprintf("%s/%s", b->src->dir, context ? context : ".");
	char *text = NULL, *dpath = NULL;
	size_t n = strlen(b->src->dir);
	int r = 0;

	t->ctx_dir = realpath(want, NULL);
	if (!t->ctx_dir || strncmp(t->ctx_dir, b->src->dir, n) ||
	    (t->ctx_dir[n] && t->ctx_dir[n] != '/')) {
		r = nd_project_error(
			b->p, err, key,
			"the build context '%s' is not a folder of the source",
			context ? context : ".");
		goto done;
	}
	if (df_text) {
		text = nd_strdup(df_text);
	} else if (df_path) {
		char *clean = nd_path_clean(df_path);

		if (!strcmp(clean, "..") || nd_starts_with(clean, "../") ||
		    clean[0] == '/') {
			/* outside the context: sent under a generated name */
			char *path = clean[0] == '/' ?
					     nd_strdup(clean) :
					     nd_xprintf("%s/%s", t->ctx_dir,
							clean);
			bool big;

			text = read_capped(path, DOCKERFILE_CAP, &big);
			if (!text) {
				if (big)
					r = nd_error_set(
						err, ND_EPROJECT,
						"the Dockerfile '%s' is larger than 1 MiB",
						path);
				else
					r = nd_error_errno(
						err, ND_EPROJECT,
						"cannot read the Dockerfile '%s'",
						path);
			}
			free(path);
			free(clean);
			if (r < 0)
				goto done;
		} else {
			char *path = nd_xprintf("%s/%s", t->ctx_dir, clean);
			struct stat st;

			if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
				r = nd_project_error(b->p, err,
						     "build.dockerfile",
						     "no Dockerfile at '%s'",
						     path);
			free(path);
			if (r < 0) {
				free(clean);
				goto done;
			}
			dpath = clean;
		}
	} else {
		r = nd_error_set(err, ND_EPROJECT,
				 "the build plan has no Dockerfile for '%s'",
				 t->service);
		goto done;
	}
	if ((r = nd_context_open(&t->ctx, t->ctx_dir, dpath, text, err)) < 0)
		goto done;
	/* a clone's own .git is how we fetched, not part of the source */
	if (b->src->tmpdir && !strcmp(t->ctx_dir, b->src->root))
		nd_strvec_push(&t->ctx->skip_top, ".git");
done:
	free(want);
	free(text);
	free(dpath);
	return r;
}

/* The images to build: the app's, or the compose services with a build. */
static int make_targets(struct ab *b, struct nd_error *err)
{
	const struct nd_plan *plan = b->plan;
	char *repo = nd_app_image_repo(b->p);
	size_t i;
	int r = 0;

	if (plan->buildpack == ND_BP_COMPOSE) {
		b->t = nd_calloc(plan->nservices + 1, sizeof(*b->t));
		for (i = 0; i < plan->nservices && r == 0; i++) {
			const struct nd_plan_service *s = &plan->services[i];
			struct target *t;

			if (!s->context)
				continue; /* an image from a registry */
			t = &b->t[b->nt++];
			t->service = s->name;
			t->port = s->port;
			t->repo = nd_xprintf("%s-%s", repo, s->name);
			r = open_context(b, t, s->context, NULL,
					 s->dockerfile ? s->dockerfile :
							 "Dockerfile",
					 "build.compose_file", err);
		}
		if (r == 0 && !b->nt)
			r = nd_error_set(
				err, ND_EPROJECT,
				"no service of '%s' has a build section: there is nothing to build",
				plan->compose_file ? plan->compose_file :
						     "the compose file");
	} else {
		struct target *t;

		b->t = nd_calloc(1, sizeof(*b->t));
		t = &b->t[b->nt++];
		t->service = b->o->service ? b->o->service : "web";
		t->port = plan->port;
		t->repo = nd_strdup(repo);
		r = open_context(b, t, plan->context, plan->dockerfile,
				 plan->dockerfile_path, "build.context", err);
	}
	free(repo);
	return r;
}

static void emit_warnings(struct ab *b)
{
	size_t i;

	for (i = 0; i < b->nt; i++)
		for (; b->t[i].warned < b->t[i].ctx->warnings.nr;
		     b->t[i].warned++)
			ev(b, ND_AB_WARNING,
			   b->t[i].ctx->warnings.items[b->t[i].warned]);
}

/*
 * The content hash: of the one context, or for compose of every built
 * service's name and context hash, in order.
 */
static int compute_hash(struct ab *b, struct nd_error *err)
{
	char hex[65];
	size_t i;
	int r;

	if (b->hash)
		return 0;
	ev(b, ND_AB_HASH, NULL);
	if (b->nt == 1) {
		if ((r = nd_context_hash(b->t[0].ctx, hex, NULL, err)) < 0)
			return nd_error_wrap(err, "hashing the build context");
		b->hash = nd_strdup(hex);
		return 0;
	} else {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		unsigned char d[EVP_MAX_MD_SIZE];
		unsigned int n = 0, k;
		char all[2 * EVP_MAX_MD_SIZE + 1];

		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		for (i = 0; i < b->nt; i++) {
			if ((r = nd_context_hash(b->t[i].ctx, hex, NULL, err)) <
			    0) {
				EVP_MD_CTX_free(md);
				return nd_error_wrap(
					err,
					"hashing the build context of '%s'",
					b->t[i].service);
			}
			EVP_DigestUpdate(md, b->t[i].service,
					 strlen(b->t[i].service) + 1);
			EVP_DigestUpdate(md, hex, 65);
		}
		EVP_DigestFinal_ex(md, d, &n);
		EVP_MD_CTX_free(md);
		for (k = 0; k < n; k++)
			snprintf(all + k * 2, 3, "%02x", d[k]);
		b->hash = nd_strdup(all);
	}
	return 0;
}

/*
 * Would a context sent differ from the commit? Yes when a path git status
 * shows (modified, deleted, untracked or ignored) is inside the context
 * and not left out by .dockerignore; a folder also when an exception
 * could bring back something inside it.
 */
static bool context_dirty(struct ab *b, const struct target *t)
{
	const char *ctx_rel = t->ctx_dir + strlen(b->src->dir);
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
		sent = !*q || !nd_ignore_match(&t->ctx->ignore, q) ||
		       (dir && nd_ignore_enter_dir(&t->ctx->ignore, q));
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
	bool dirty = false;
	size_t i;
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
	for (i = 0; i < b->nt && !dirty; i++)
		dirty = context_dirty(b, &b->t[i]);
	if (b->src->short_commit && !dirty) {
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

/*
 * What shapes the image besides the source: the Dockerfile (name and, when
 * not a context file, text), the target stage, the build args and the
 * labels asked for. Recorded as nextdeploy.build-config, so that a release
 * whose image was built another way is built again.
 */
static void config_hash(struct ab *b)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, k;
	const char *target = b->o->target ? b->o->target :
			     b->nt == 1	  ? b->plan->target :
					    NULL;
	const struct nd_kvlist *lists[3] = { &b->args, &b->p->build.labels,
					     b->o->labels };
	size_t i, j;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < b->nt; i++) {
		const struct nd_context *c = b->t[i].ctx;

		EVP_DigestUpdate(md, b->t[i].service,
				 strlen(b->t[i].service) + 1);
		EVP_DigestUpdate(md, c->dockerfile, strlen(c->dockerfile) + 1);
		if (c->dockerfile_text)
			EVP_DigestUpdate(md, c->dockerfile_text,
					 strlen(c->dockerfile_text) + 1);
	}
	EVP_DigestUpdate(md, "target\0", 7);
	if (target)
		EVP_DigestUpdate(md, target, strlen(target) + 1);
	for (i = 0; i < ND_ARRAY_SIZE(lists); i++) {
		EVP_DigestUpdate(md, "list\0", 5);
		for (j = 0; lists[i] && j < lists[i]->nr; j++) {
			const struct nd_kv *kv = &lists[i]->items[j];

			EVP_DigestUpdate(md, kv->key, strlen(kv->key) + 1);
			if (kv->value)
				EVP_DigestUpdate(md, kv->value,
						 strlen(kv->value) + 1);
			else
				EVP_DigestUpdate(md, "\1", 1);
		}
	}
	EVP_DigestFinal_ex(md, d, &n);
	EVP_MD_CTX_free(md);
	for (k = 0; k < 6 && k < n; k++)
		snprintf(b->config + k * 2, 3, "%02x", d[k]);
}

/*
 * Is t's image this app's image of this release already? 1 yes, 2 it is
 * this release but built with another configuration (build args, target,
 * labels), 0 no.
 */
static int already_built(struct ab *b, struct target *t, const char *tag,
			 struct nd_error *err)
{
	struct nd_error ierr = ND_ERROR_INIT;
	cJSON *img = NULL;
	const cJSON *cfg;
	int r;

	r = nd_image_inspect(b->e, t->image, &img, &ierr);
	if (r == ND_ENOTFOUND) {
		nd_error_release(&ierr);
		return 0;
	}
	if (r < 0) {
		nd_error_move(err, &ierr);
		return nd_error_wrap(err, "looking for '%s'", t->image);
	}
	cfg = cJSON_GetObjectItemCaseSensitive(img, "Config");
	if (nd_streq(nd_json_label(cfg, "nextdeploy.release"), tag) &&
	    nd_streq(nd_json_label(cfg, "nextdeploy.app"), b->p->app) &&
	    nd_streq(nd_json_label(cfg, "nextdeploy.service"), t->service) &&
	    nd_json_str(img, "Id")) {
		if (nd_streq(nd_json_label(cfg, "nextdeploy.build-config"),
			     b->config)) {
			nd_str_replace(&t->id, nd_json_str(img, "Id"));
			r = 1;
		} else {
			r = 2;
		}
	}
	cJSON_Delete(img);
	return r;
}

static int write_ctx(int fd, void *ud, struct nd_error *err)
{
	struct target *t = ud;

	return nd_context_write_tar(t->ctx, fd, &t->sent, err);
}

static int run_hook(struct ab *b, const char *tag, struct nd_error *err)
{
	const struct nd_project *p = b->p;
	struct nd_kvlist env = ND_KVLIST_INIT;
	enum nd_hook_result hr;
	char *hp = nd_hook_path(p->dir, "pre-build");
	int r;

	nd_kvlist_set(&env, "NEXTDEPLOY_APP", p->app);
	nd_kvlist_set(&env, "NEXTDEPLOY_RELEASE", tag);
	nd_kvlist_set(&env, "NEXTDEPLOY_IMAGE", b->t[0].image);
	nd_kvlist_set(&env, "NEXTDEPLOY_SOURCE_DIR", b->src->dir);
	nd_kvlist_set(&env, "NEXTDEPLOY_CONTEXT_DIR", b->t[0].ctx_dir);
	nd_kvlist_set(&env, "NEXTDEPLOY_PROJECT_DIR", p->dir);
	nd_kvlist_set(&env, "NEXTDEPLOY_COMMIT",
		      b->src->commit ? b->src->commit : "");
	if (!access(hp, F_OK))
		ev(b, ND_AB_HOOK, "pre-build");
	r = nd_hook_run(&hr, p->dir, "pre-build", b->src->dir, &env, err);
	if (r == 0 && hr == ND_HOOK_NOT_EXECUTABLE) {
		char *w = nd_xprintf(
			"the hook '%s' was ignored because it is not executable",
			hp);

		ev(b, ND_AB_WARNING, w);
		free(w);
	}
	nd_kvlist_release(&env);
	free(hp);
	return r;
}

/*
 * X-Registry-Config: the credentials (core/registry_auth.h) of the
 * registries the Dockerfile's FROM and COPY --from images come from, so
 * that a base image on a private registry can be pulled; every known
 * credential when a reference holds a variable that cannot be resolved,
 * as the docker CLI always does. NULL ("e30=") when nothing is configured.
 * A credential that cannot be had is a warning: a public base still builds.
 */
static char *registry_config(struct ab *b, const struct target *t)
{
	struct nd_docker_config cfg = ND_DOCKER_CONFIG_INIT;
	struct nd_error err = ND_ERROR_INIT;
	struct nd_strvec hosts = ND_STRVEC_INIT;
	struct nd_buf failed = ND_BUF_INIT;
	char *text = NULL, *hdr = NULL, *w;
	bool unresolved = true, big;

	if (nd_docker_config_load(&cfg, &err) < 0) {
		w = nd_xprintf("no registry credentials for the build: %s",
			       err.msg);
		ev(b, ND_AB_WARNING, w);
		free(w);
		goto done;
	}
	if (!cfg.file && !cfg.env)
		goto done;
	if (t->ctx->dockerfile_text) {
		text = nd_strdup(t->ctx->dockerfile_text);
	} else {
		char *path = nd_xprintf("%s/%s", t->ctx->dir,
					t->ctx->dockerfile);

		text = read_capped(path, DOCKERFILE_CAP, &big);
		free(path);
	}
	if (text)
		nd_dockerfile_registries(&hosts, &unresolved, text, &b->args);
	hdr = nd_registry_config_header(&cfg, &hosts, unresolved, &failed);
	for (char *line = failed.buf, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		w = nd_xprintf("no registry credentials for the build: %s",
			       line);
		ev(b, ND_AB_WARNING, w);
		free(w);
	}
done:
	free(text);
	nd_strvec_release(&hosts);
	nd_buf_release(&failed);
	nd_error_release(&err);
	nd_docker_config_release(&cfg);
	return hdr;
}

static int build_target(struct ab *b, struct target *t, const char *tag,
			struct nd_error *err)
{
	struct nd_build_opts bo = { 0 };
	struct nd_build_log local_log = { 0 };
	const char *tags[2] = { t->image, NULL };
	char *id = NULL, *regcfg;
	int r;

	make_labels(b, t, tag);
	ev(b, ND_AB_RELEASE, t->image);
	bo.tags = tags;
	bo.dockerfile = t->ctx->dockerfile;
	bo.buildargs = &b->args;
	bo.labels = &t->labels;
	bo.target = b->o->target ? b->o->target :
		    b->nt == 1	 ? b->plan->target :
				   NULL;
	bo.nocache = b->o->no_cache;
	bo.pull = b->o->pull;
	bo.write_context = write_ctx;
	bo.context_ud = t;
	bo.on_event = on_build;
	bo.ud = b;
	bo.secrets = (const char *const *)b->secrets.items;
	regcfg = registry_config(b, t);
	bo.registry_config = regcfg;
	bo.cancel = nd_signal_flag();
	if (b->o->log)
		nd_build_log_release(b->o->log);
	r = nd_image_build(b->e, &bo, b->o->log ? b->o->log : &local_log, &id,
			   err);
	if (regcfg)
		explicit_bzero(regcfg, strlen(regcfg));
	free(regcfg);
	nd_build_log_release(&local_log);
	emit_warnings(b);
	if (r < 0) {
		if (b->nt > 1)
			nd_error_wrap(err, "service '%s'", t->service);
		return r;
	}
	free(t->id);
	t->id = id;
	return 0;
}

/* --- the build marker --- */

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Wait while a prune of the app (or of every app) runs: it may have
 * decided to remove this app's dangling images before our marker existed
 * (core/marker.h). Bounded: a prune takes seconds, and one still running
 * after ND_BUILD_PRUNE_WAIT_S is stuck, not worth failing the build for.
 */
static int wait_for_prunes(struct ab *b, struct nd_error *err)
{
	double t0 = now_s();
	bool said = false;

	for (;;) {
		struct nd_marker_list l = ND_MARKER_LIST_INIT;
		struct nd_error lerr = ND_ERROR_INIT;
		const struct nd_marker_info *m = NULL;
		size_t i;
		char *who, *whose, *text;
		bool over;

		if (nd_markers_list(&l, b->e, &b->marker, &lerr) < 0) {
			text = nd_xprintf("cannot look for a running prune: %s",
					  lerr.msg);
			ev(b, ND_AB_WARNING, text);
			free(text);
			nd_error_release(&lerr);
			return 0;
		}
		for (i = 0; i < l.n && !m; i++)
			if (!l.v[i].stale &&
			    nd_marker_concerns(&l.v[i], ND_MARKER_PRUNE,
					       b->p->app))
				m = &l.v[i];
		if (!m) {
			nd_marker_list_release(&l);
			return 0;
		}
		who = nd_marker_describe(m, (double)time(NULL));
		whose = strcmp(m->app, ND_MARKER_ALL_APPS) ?
				nd_xprintf("'%s'", m->app) :
				nd_strdup("every app");
		over = now_s() - t0 >= ND_BUILD_PRUNE_WAIT_S;
		if (over)
			text = nd_xprintf(
				"a prune of %s still runs after %d seconds (%s): building anyway",
				whose, ND_BUILD_PRUNE_WAIT_S, who);
		else if (!said)
			text = nd_xprintf(
				"waiting for a prune of %s to finish (%s)",
				whose, who);
		else
			text = NULL;
		if (text)
			ev(b, over ? ND_AB_WARNING : ND_AB_WAITING, text);
		said = true;
		free(text);
		free(who);
		free(whose);
		nd_marker_list_release(&l);
		if (over)
			return 0;
		for (i = 0; i < 5; i++) {
			if (nd_signal_caught())
				return nd_error_set(err, ND_EINTERRUPTED,
						    "interrupted");
			sleep_ms(100);
		}
	}
}

/*
 * Before the context goes out: the marker that tells prunes a build of
 * this app runs, then a wait for prunes that started first. From here on
 * a signal is deferred until the marker is removed (core/signals.h). A
 * marker the engine refuses is a warning: the build goes on, protected
 * only by prune's age margin.
 */
static int mark_build(struct ab *b, struct nd_error *err)
{
	struct nd_error merr = ND_ERROR_INIT;

	nd_signals_defer_begin();
	b->deferred = true;
	if (nd_marker_create(&b->marker, b->e, ND_MARKER_BUILD, b->p->app,
			     &merr) < 0) {
		char *text = nd_xprintf(
			"cannot mark the build on the engine (%s): a prune running meanwhile may remove the stage images it reuses",
			merr.msg);

		ev(b, ND_AB_WARNING, text);
		free(text);
		nd_error_release(&merr);
		return 0;
	}
	return wait_for_prunes(b, err);
}

/* On every path: the marker goes, then a deferred signal is raised. */
static void unmark_build(struct ab *b)
{
	struct nd_error merr = ND_ERROR_INIT;

	if (b->marker.name) {
		char *name = nd_strdup(b->marker.name);

		if (nd_marker_remove(&b->marker, &merr) < 0) {
			char *text = nd_xprintf(
				"cannot remove the build marker '%s': %s", name,
				merr.msg);

			ev(b, ND_AB_WARNING, text);
			free(text);
		}
		free(name);
		nd_error_release(&merr);
	}
	if (b->deferred) {
		b->deferred = false;
		nd_signals_defer_end();
	}
}

static void free_targets(struct ab *b)
{
	size_t i;

	for (i = 0; i < b->nt; i++) {
		free(b->t[i].ctx_dir);
		nd_context_free(b->t[i].ctx);
		free(b->t[i].repo);
		free(b->t[i].image);
		free(b->t[i].id);
		nd_kvlist_release(&b->t[i].labels);
	}
	free(b->t);
}

int nd_app_build(struct nd_engine *e, const struct nd_project *p,
		 const struct nd_app_build_opts *o,
		 struct nd_app_build_result *res, struct nd_error *err)
{
	struct ab b = { 0 };
	struct nd_source_opts so = { on_clone, &b };
	struct nd_app_build_result out = { 0 };
	char *tag = NULL;
	double t0 = now_s();
	size_t i;
	bool derived;
	int r;

	b.e = e;
	b.p = p;
	b.o = o;
	nd_app_secret_values(p, &b.secrets);
	if ((r = make_args(&b, err)) < 0)
		goto done;

	if (p->source.git) {
		char *shown = nd_url_strip_credentials(p->source.git);
		char *what = p->source.ref ? nd_xprintf("cloning %s at %s",
							shown, p->source.ref) :
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
	for (i = 0; i < b.plan->warnings.nr; i++)
		ev(&b, ND_AB_WARNING, b.plan->warnings.items[i]);
	ev(&b, ND_AB_PLAN, b.plan->kind);
	if ((r = make_targets(&b, err)) < 0)
		goto done;
	if ((r = release_tag(&b, &tag, &out.tag_source, err)) < 0)
		goto done;
	emit_warnings(&b);
	for (i = 0; i < b.nt; i++)
		b.t[i].image = nd_xprintf("%s:%s", b.t[i].repo, tag);

	/* a derived tag names the content: built already means done */
	config_hash(&b);
	derived = !o->tag && (!p->image.tag || !strcmp(p->image.tag, "auto"));
	out.skipped = derived && !o->force && !o->no_cache && !o->pull;
	for (i = 0; i < b.nt && derived; i++) {
		if ((r = already_built(&b, &b.t[i], tag, err)) < 0)
			goto done;
		if (r == 2) {
			/* the same release tag would name another image */
			char *w = nd_xprintf(
				"release %s was built before with other build args, target or labels: %s will name the new image (containers running the old one keep it; --tag gives a build a name of its own)",
				tag, b.t[i].image);

			ev(&b, ND_AB_WARNING, w);
			free(w);
		}
		out.skipped = out.skipped && r == 1;
	}
	r = 0;
	if (out.skipped) {
		for (i = 0; i < b.nt; i++)
			ev(&b, ND_AB_SKIPPED, b.t[i].image);
		goto finish;
	}
	if (!o->no_hooks && (r = run_hook(&b, tag, err)) < 0)
		goto done;
	if ((r = mark_build(&b, err)) < 0)
		goto done;
	for (i = 0; i < b.nt; i++) {
		if (nd_signal_caught()) {
			r = nd_error_set(err, ND_EINTERRUPTED, "interrupted");
			goto done;
		}
		if ((r = build_target(&b, &b.t[i], tag, err)) < 0)
			goto done;
		out.context_bytes += b.t[i].sent;
	}
finish:
	out.repo = nd_strdup(b.t[0].repo);
	out.image = nd_strdup(b.t[0].image);
	out.image_id = nd_strdup(b.t[0].id);
	out.release = nd_strdup(tag);
	out.buildpack = nd_strdup(b.plan->kind);
	out.dockerfile = nd_strdup(b.t[0].ctx->dockerfile);
	out.commit = nd_strdup_or_null(b.src->commit);
	out.source_url = nd_strdup_or_null(b.src->url);
	out.content_hash = nd_strdup_or_null(b.hash);
	out.images = nd_calloc(b.nt, sizeof(*out.images));
	for (i = 0; i < b.nt; i++) {
		out.images[i].service = nd_strdup(b.t[i].service);
		out.images[i].image = nd_strdup(b.t[i].image);
		out.images[i].image_id = nd_strdup(b.t[i].id);
	}
	out.nimages = b.nt;
	out.seconds = now_s() - t0;
	*res = out;
	memset(&out, 0, sizeof(out));
	r = 0;
done:
	nd_app_build_result_release(&out);
	free_targets(&b);
	nd_plan_free(b.plan);
	nd_source_free(b.src);
	nd_strvec_release(&b.secrets);
	nd_kvlist_release(&b.args);
	free(b.hash);
	free(tag);
	/* last: a deferred signal is raised here, after all of the above */
	unmark_build(&b);
	return r;
}
