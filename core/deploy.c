/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/deploy.h"
#include "core/deploy_int.h"
#include "core/buf.h"
#include "core/deploy_infra.h"
#include "core/deploy_lock.h"
#include "core/deploy_probe.h"
#include "core/deploy_secrets.h"
#include "core/envfile.h"
#include "core/hooks.h"
#include "core/output.h"
#include "core/project.h"
#include "docker/api.h"
#include "docker/deploy_api.h"
#include "docker/exec.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

/* --- reporting --- */

static void note(struct deploy *d, int level, const char *fmt, ...)
	ND_PRINTF(3, 4);
static void note(struct deploy *d, int level, const char *fmt, ...)
{
	va_list ap;
	struct nd_buf b = ND_BUF_INIT;

	if (!d->o->ui.note)
		return;
	va_start(ap, fmt);
	nd_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	d->o->ui.note(d->o->ui.ud, level, b.buf);
	nd_buf_release(&b);
}

static void step(struct deploy *d, double since_ms, const char *fmt, ...)
	ND_PRINTF(3, 4);
static void step(struct deploy *d, double since_ms, const char *fmt, ...)
{
	va_list ap;
	struct nd_buf b = ND_BUF_INIT;

	if (!d->o->ui.step)
		return;
	va_start(ap, fmt);
	nd_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	d->o->ui.step(d->o->ui.ud, b.buf, nd_now_ms() - since_ms);
	nd_buf_release(&b);
}

static void timing(struct deploy *d, const char *name, double since_ms)
{
	struct nd_deploy_result *r = d->res;

	if (r->ntimings < ND_ARRAY_SIZE(r->timings)) {
		r->timings[r->ntimings].name = name;
		r->timings[r->ntimings].ms = nd_now_ms() - since_ms;
		r->ntimings++;
	}
}

static bool interrupted(const struct deploy *d)
{
	return d->o->interrupted && *d->o->interrupted;
}

static int check_interrupt(struct deploy *d, struct nd_error *err)
{
	if (interrupted(d))
		return nd_error_set(err, ND_EINTERRUPTED, "interrupted");
	return 0;
}

/* --- result --- */

void nd_deploy_result_release(struct nd_deploy_result *r)
{
	if (!r)
		return;
	free(r->app);
	free(r->service);
	free(r->release);
	free(r->image);
	free(r->image_id);
	free(r->previous);
	free(r->url);
	free(r->deploy_id);
	free(r->gate);
	nd_strvec_release(&r->containers);
	for (size_t i = 0; i < r->nfailures; i++) {
		free(r->failures[i].container);
		free(r->failures[i].reason);
		free(r->failures[i].logs);
		free(r->failures[i].probe);
	}
	free(r->failures);
	memset(r, 0, sizeof(*r));
}

static void add_opt_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

cJSON *nd_deploy_result_json(const struct nd_deploy_result *r)
{
	cJSON *o = cJSON_CreateObject(), *a, *t;

	add_opt_str(o, "app", r->app);
	add_opt_str(o, "service", r->service);
	add_opt_str(o, "release", r->release);
	add_opt_str(o, "image", r->image);
	add_opt_str(o, "image_id", r->image_id);
	add_opt_str(o, "previous_release", r->previous);
	add_opt_str(o, "url", r->url);
	add_opt_str(o, "deploy_id", r->deploy_id);
	add_opt_str(o, "health_check", r->gate);
	cJSON_AddStringToObject(o, "status",
				r->live	     ? "live" :
				r->nfailures ? "failed" :
					       "not_deployed");
	cJSON_AddBoolToObject(o, "post_deploy_failed", r->hook_failed);
	a = cJSON_AddArrayToObject(o, "containers");
	for (size_t i = 0; i < r->containers.nr; i++)
		cJSON_AddItemToArray(
			a, cJSON_CreateString(r->containers.items[i]));
	t = cJSON_AddObjectToObject(o, "timings_ms");
	for (size_t i = 0; i < r->ntimings; i++)
		cJSON_AddNumberToObject(t, r->timings[i].name,
					(double)(long)(r->timings[i].ms + 0.5));
	cJSON_AddNumberToObject(t, "total", (double)(long)(r->total_ms + 0.5));
	a = cJSON_AddArrayToObject(o, "failures");
	for (size_t i = 0; i < r->nfailures; i++) {
		cJSON *f = cJSON_CreateObject();

		add_opt_str(f, "container", r->failures[i].container);
		add_opt_str(f, "reason", r->failures[i].reason);
		add_opt_str(f, "logs", r->failures[i].logs);
		add_opt_str(f, "probe_output", r->failures[i].probe);
		cJSON_AddItemToArray(a, f);
	}
	return o;
}

static void add_failure(struct deploy *d, const char *container,
			const char *reason, const char *logs, const char *probe)
{
	struct nd_deploy_result *r = d->res;
	struct nd_deploy_failure *f;

	r->failures = nd_realloc(r->failures,
				 (r->nfailures + 1) * sizeof(*r->failures));
	f = &r->failures[r->nfailures++];
	f->container = nd_strdup_or_null(container);
	f->reason = nd_strdup_or_null(reason);
	f->logs = logs && *logs ? nd_strdup(logs) : NULL;
	f->probe = probe && *probe ? nd_strdup(probe) : NULL;
}

/* --- step 1: what to deploy --- */

static char *random_id(void)
{
	unsigned char b[4] = { 0 };
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b)) {
		unsigned long x = (unsigned long)time(NULL) ^
				  (unsigned long)getpid();

		memcpy(b, &x, sizeof(b));
	}
	if (fd >= 0)
		close(fd);
	return nd_xprintf("%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
}

static const char *first_tag(const cJSON *img)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(img, "RepoTags"))
		if (cJSON_IsString(t) && strcmp(t->valuestring, "<none>:<none>"))
			return t->valuestring;
	return NULL;
}

static double image_created(struct nd_engine *e, const char *id)
{
	struct nd_error err = ND_ERROR_INIT;
	cJSON *img = NULL;
	double t = 0;

	if (id && nd_image_inspect(e, id, &img, &err) == 0)
		t = nd_parse_rfc3339(nd_json_str(img, "Created"));
	nd_error_release(&err);
	cJSON_Delete(img);
	return t;
}

/*
 * The image to deploy: labeled for the app (and the release, when asked
 * for), the newest. (`run --build` built it just before: cmd/run.c.)
 */
static int find_image(struct deploy *d, struct nd_error *err)
{
	cJSON *list = NULL;
	const cJSON *img, *best = NULL;
	const char *rel, *tag;
	int r;

	if ((r = nd_app_images_list(d->e, d->app, d->o->release, &list, err)) <
	    0)
		goto done;
	cJSON_ArrayForEach(img, list) {
		if (!nd_json_label(img, "nextdeploy.release"))
			continue;
		if (!best || nd_json_num(img, "Created", 0) >
				     nd_json_num(best, "Created", 0)) {
			best = img;
		} else if (nd_json_num(img, "Created", 0) ==
			   nd_json_num(best, "Created", 0)) {
			/* built in the same second: inspect has nanoseconds */
			if (image_created(d->e, nd_json_str(img, "Id")) >
			    image_created(d->e, nd_json_str(best, "Id")))
				best = img;
		}
	}
	if (!best) {
		if (d->o->release) {
			r = nd_error_set(
				err, ND_ENOTFOUND,
				"'%s' has no release '%s' on the engine",
				d->app, d->o->release);
			nd_error_hint(err, "see 'nextdeploy releases'");
		} else {
			r = nd_error_set(
				err, ND_ENOTFOUND,
				"'%s' has no image to deploy on the engine",
				d->app);
			nd_error_hint(err, "build one with 'nextdeploy build'");
		}
		goto done;
	}
	if ((r = nd_image_inspect(d->e, nd_json_str(best, "Id"), &d->image,
				  err)) < 0)
		goto done;
	d->image_id = nd_strdup(nd_json_str(d->image, "Id") ?: "");
	tag = first_tag(d->image);
	d->image_ref = nd_strdup(tag ? tag : d->image_id);
	rel = nd_json_label(d->image, "nextdeploy.release");
	d->release = nd_strdup(rel);
	if (!nd_image_tag_valid(d->release)) {
		r = nd_error_set(
			err, ND_EGENERIC,
			"the image '%s' has an invalid nextdeploy.release label '%s'",
			d->image_ref, d->release);
		goto done;
	}
	d->service = nd_strdup(nd_json_label(d->image, "nextdeploy.service") ?:
				       "web");
	if (!nd_app_name_valid(d->service)) {
		r = nd_error_set(
			err, ND_EGENERIC,
			"the image '%s' has an invalid nextdeploy.service label '%s'",
			d->image_ref, d->service);
		goto done;
	}
done:
	cJSON_Delete(list);
	return r;
}

/* deploy.port, else the image's nextdeploy.port, else its one EXPOSE, else 3000 */
static long app_port(const struct nd_project *p, const cJSON *image)
{
	const char *l = nd_json_label(image, "nextdeploy.port");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(image, "Config"),
		"ExposedPorts");
	long port = 0;
	int ntcp = 0;
	const cJSON *it;

	if (p->deploy.port)
		return p->deploy.port;
	if (l && (port = strtol(l, NULL, 10)) > 0 && port < 65536)
		return port;
	cJSON_ArrayForEach(it, exp) {
		if (it->string && strstr(it->string, "/tcp")) {
			ntcp++;
			port = strtol(it->string, NULL, 10);
		}
	}
	if (ntcp == 1 && port > 0 && port < 65536)
		return port;
	return 3000;
}

static int build_env(struct deploy *d, struct nd_error *err)
{
	const struct nd_project *p = d->p;
	int r;

	if (p->deploy.env_file) {
		char *path = p->deploy.env_file[0] == '/' ?
				     nd_strdup(p->deploy.env_file) :
				     nd_xprintf("%s/%s", p->dir,
						p->deploy.env_file);

		r = nd_envfile_load(&d->env, path, err);
		free(path);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < p->deploy.env.nr; i++)
		nd_kvlist_set(&d->env, p->deploy.env.items[i].key,
			      p->deploy.env.items[i].value);
	if (!nd_kvlist_find(&d->env, "PORT")) {
		char port[16];

		snprintf(port, sizeof(port), "%ld", d->port);
		nd_kvlist_set(&d->env, "PORT", port);
	}
	for (size_t i = 0; i < d->secrets.nr; i++)
		if (nd_kvlist_find(&d->env, d->secrets.items[i].name))
			return nd_project_error(
				p, err, "deploy.secrets",
				"'%s' is both a secret and a variable of 'env_file'",
				d->secrets.items[i].name);
	return 0;
}

/* --- hooks --- */

static int run_hook(struct deploy *d, const char *name, struct nd_error *err)
{
	struct nd_kvlist env = ND_KVLIST_INIT;
	enum nd_hook_result st;
	struct nd_buf names = ND_BUF_INIT;
	double t = nd_now_ms();
	int r;

	nd_kvlist_set(&env, "NEXTDEPLOY_APP", d->app);
	nd_kvlist_set(&env, "NEXTDEPLOY_SERVICE", d->service);
	nd_kvlist_set(&env, "NEXTDEPLOY_RELEASE", d->release);
	nd_kvlist_set(&env, "NEXTDEPLOY_IMAGE", d->image_ref);
	nd_kvlist_set(&env, "NEXTDEPLOY_IMAGE_ID", d->image_id);
	nd_kvlist_set(&env, "NEXTDEPLOY_PREVIOUS_RELEASE",
		      d->res->previous ? d->res->previous : "");
	nd_kvlist_set(&env, "NEXTDEPLOY_URL", d->res->url ? d->res->url : "");
	nd_kvlist_set(&env, "NEXTDEPLOY_ENGINE", d->e->host);
	nd_kvlist_set(&env, "NEXTDEPLOY_ROLLBACK", d->o->rollback ? "1" : "0");
	nd_kvlist_set(&env, "NEXTDEPLOY_DEPLOY_ID", d->deploy_id);
	for (size_t i = 0; i < d->res->containers.nr; i++)
		nd_buf_addf(&names, "%s%s", i ? " " : "",
			    d->res->containers.items[i]);
	nd_kvlist_set(&env, "NEXTDEPLOY_CONTAINERS", names.buf);
	r = nd_hook_run(&st, d->p->dir, name, NULL, &env, err);
	if (st == ND_HOOK_NOT_EXECUTABLE)
		note(d, ND_V_WARNING,
		     "the %s hook is not executable: ignored (chmod +x .nextdeploy/hooks/%s)",
		     name, name);
	else if (st == ND_HOOK_RAN && r == 0)
		step(d, t, "%s hook", name);
	nd_kvlist_release(&env);
	nd_buf_release(&names);
	return r;
}

/* --- containers --- */

static void add_restart_policy(cJSON *hc, const char *policy)
{
	cJSON *rp = cJSON_AddObjectToObject(hc, "RestartPolicy");
	const char *colon = strchr(policy, ':');

	if (colon) {
		char *name = nd_strndup(policy, (size_t)(colon - policy));

		cJSON_AddStringToObject(rp, "Name", name);
		cJSON_AddNumberToObject(rp, "MaximumRetryCount",
					(double)strtol(colon + 1, NULL, 10));
		free(name);
	} else {
		cJSON_AddStringToObject(rp, "Name", policy);
	}
}

/*
 * A container of the release: the image, env and secrets, labels,
 * resources, restart policy, volumes, and the project network with the
 * per-deploy alias the proxy dials. cmd: NULL for the image's own.
 */
cJSON *nd_dp_container_config(struct deploy *d, const char *service,
			      const char *alias, int replica, const cJSON *cmd,
			      const char *restart)
{
	const struct nd_project *p = d->p;
	cJSON *c = cJSON_CreateObject(), *env, *labels, *hc, *nc, *ep;
	char n[16];

	cJSON_AddStringToObject(c, "Image", d->image_ref);
	if (cmd)
		cJSON_AddItemToObject(c, "Cmd", cJSON_Duplicate(cmd, 1));
	env = cJSON_AddArrayToObject(c, "Env");
	/* the app can tell which release it is (unless it sets these itself) */
	{
		const char *const ours[][2] = {
			{ "NEXTDEPLOY_APP", d->app },
			{ "NEXTDEPLOY_SERVICE", service },
			{ "NEXTDEPLOY_RELEASE", d->release },
		};

		for (size_t i = 0; i < ND_ARRAY_SIZE(ours); i++) {
			char *kv;

			if (nd_kvlist_find(&d->env, ours[i][0]))
				continue;
			kv = nd_xprintf("%s=%s", ours[i][0], ours[i][1]);
			cJSON_AddItemToArray(env, cJSON_CreateString(kv));
			free(kv);
		}
	}
	for (size_t i = 0; i < d->env.nr; i++) {
		char *kv = nd_xprintf("%s=%s", d->env.items[i].key,
				      d->env.items[i].value);

		cJSON_AddItemToArray(env, cJSON_CreateString(kv));
		free(kv);
	}
	for (size_t i = 0; i < d->secrets.nr; i++) {
		struct nd_buf kv = ND_BUF_INIT;

		nd_buf_addf(&kv, "%s=", d->secrets.items[i].name);
		nd_buf_add(&kv, d->secrets.items[i].value,
			   d->secrets.items[i].len);
		cJSON_AddItemToArray(env, cJSON_CreateString(kv.buf));
		explicit_bzero(kv.buf, kv.len);
		nd_buf_release(&kv);
	}
	labels = nd_infra_labels(d->app);
	cJSON_AddStringToObject(labels, "nextdeploy.service", service);
	cJSON_AddStringToObject(labels, "nextdeploy.release", d->release);
	cJSON_AddStringToObject(labels, "nextdeploy.deploy", d->deploy_id);
	snprintf(n, sizeof(n), "%d", replica);
	if (replica > 0)
		cJSON_AddStringToObject(labels, "nextdeploy.replica", n);
	cJSON_AddItemToObject(c, "Labels", labels);
	hc = cJSON_AddObjectToObject(c, "HostConfig");
	cJSON_AddStringToObject(hc, "NetworkMode", d->net);
	add_restart_policy(hc, restart);
	if (p->deploy.resources.memory)
		cJSON_AddNumberToObject(hc, "Memory",
					(double)p->deploy.resources.memory);
	if (p->deploy.resources.cpus > 0)
		cJSON_AddNumberToObject(
			hc, "NanoCpus",
			(double)(long long)(p->deploy.resources.cpus * 1e9));
	if (p->deploy.nvolumes) {
		cJSON *mounts = cJSON_AddArrayToObject(hc, "Mounts");

		for (size_t i = 0; i < p->deploy.nvolumes; i++) {
			cJSON *m = cJSON_CreateObject();
			char *src = nd_app_volume_name(
				d->app, p->deploy.volumes[i].name);

			cJSON_AddStringToObject(m, "Type", "volume");
			cJSON_AddStringToObject(m, "Source", src);
			cJSON_AddStringToObject(m, "Target",
						p->deploy.volumes[i].target);
			cJSON_AddItemToArray(mounts, m);
			free(src);
		}
	}
	nc = cJSON_AddObjectToObject(c, "NetworkingConfig");
	ep = cJSON_AddObjectToObject(
		cJSON_AddObjectToObject(nc, "EndpointsConfig"), d->net);
	if (alias)
		cJSON_AddItemToObject(ep, "Aliases",
				      cJSON_CreateStringArray(&alias, 1));
	return c;
}

/* "uid[:gid]" or "name[:group]" from the container's /etc/passwd, /etc/group. */
static long lookup_id(struct nd_engine *e, const char *id, const char *file,
		      const char *name, int field)
{
	struct nd_buf b = ND_BUF_INIT;
	struct nd_error err = ND_ERROR_INIT;
	long out = -1;
	char *line, *save = NULL;

	if (nd_container_get_file(e, id, file, 4 << 20, &b, &err) < 0) {
		nd_error_release(&err);
		nd_buf_release(&b);
		return -1;
	}
	for (line = strtok_r(b.buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = { NULL };
		char *p = line;

		for (int i = 0; i < 4 && p; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (f[0] && f[field] && !strcmp(f[0], name)) {
			out = strtol(f[field], NULL, 10);
			break;
		}
	}
	nd_buf_release(&b);
	return out;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The owner of the secret files: the image's USER, resolved in the container. */
static void resolve_owner(struct deploy *d, const char *cid)
{
	const char *user = nd_json_str(
		cJSON_GetObjectItemCaseSensitive(d->image, "Config"), "User");
	char *u, *g;

	d->uid = d->gid = 0;
	if (!user || !*user)
		return;
	u = nd_strdup(user);
	g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	d->uid = all_digits(u) ? strtol(u, NULL, 10) :
				 lookup_id(d->e, cid, "/etc/passwd", u, 2);
	if (g)
		d->gid = all_digits(g) ?
				 strtol(g, NULL, 10) :
				 lookup_id(d->e, cid, "/etc/group", g, 2);
	else if (!all_digits(u))
		d->gid = lookup_id(d->e, cid, "/etc/passwd", u, 3);
	else
		d->gid = d->uid;
	if (d->uid < 0 || d->gid < 0) {
		note(d, ND_V_WARNING,
		     "cannot resolve the image's user '%s': secret files are owned by root and readable by all",
		     user);
		d->uid = d->gid = -1;
	}
	free(u);
}

static int put_secrets(struct deploy *d, const char *cid, struct nd_error *err)
{
	struct nd_put_file *files;
	static const char *const dirs[] = { "run/secrets", NULL };
	bool unresolved;
	int r;

	if (!d->secrets.nr)
		return 0;
	if (d->uid == 0 && d->gid == 0)
		resolve_owner(d, cid);
	unresolved = d->uid < 0;
	files = nd_calloc(d->secrets.nr, sizeof(*files));
	for (size_t i = 0; i < d->secrets.nr; i++) {
		files[i].name = nd_xprintf("run/secrets/%s",
					   d->secrets.items[i].name);
		files[i].data = d->secrets.items[i].value;
		files[i].len = d->secrets.items[i].len;
		files[i].mode = unresolved ? 0444 : 0400;
		files[i].uid = unresolved ? 0 : d->uid;
		files[i].gid = unresolved ? 0 : d->gid;
	}
	r = nd_container_put_files(d->e, cid, "/", dirs,
				   unresolved ? 0755 : 0500, files,
				   d->secrets.nr,
				   nd_secrets_redact(&d->secrets), err);
	for (size_t i = 0; i < d->secrets.nr; i++)
		free((char *)files[i].name);
	free(files);
	if (r < 0)
		nd_error_wrap(err, "putting the secrets into the container");
	return r;
}

int nd_dp_create_container(struct deploy *d, const char *name, cJSON *cfg,
			   char **id_out, struct nd_error *err)
{
	char *id = NULL;
	int r;

	/*
	 * The body carries the secrets' values (Env): nd_container_create
	 * has no redaction, so go through the transport ourselves.
	 */
	{
		struct nd_buf path = ND_BUF_INIT;
		struct nd_resp resp = ND_RESP_INIT;
		struct nd_req req = { 0 };
		char *body = cJSON_PrintUnformatted(cfg);
		cJSON *res;

		nd_buf_adds(&path, "/containers/create?name=");
		nd_buf_add_urlencoded(&path, name);
		req.method = "POST";
		req.path = path.buf;
		req.body = body;
		req.secrets = nd_secrets_redact(&d->secrets);
		req.timeout_ms = 60000;
		r = nd_engine_request(d->e, &req, &resp, err);
		if (r == 0) {
			res = cJSON_ParseWithLength(resp.body.buf,
						    resp.body.len);
			if (nd_json_str(res, "Id"))
				id = nd_strdup(nd_json_str(res, "Id"));
			else
				r = nd_error_set(
					err, ND_EGENERIC,
					"the engine created '%s' but sent no ID",
					name);
			cJSON_Delete(res);
		}
		explicit_bzero(body, strlen(body));
		free(body);
		nd_resp_release(&resp);
		nd_buf_release(&path);
	}
	if (r < 0)
		return nd_error_wrap(err, "creating '%s'", name);
	if ((r = put_secrets(d, id, err)) < 0) {
		struct nd_error e2 = ND_ERROR_INIT;

		nd_container_remove(d->e, id, true, true, &e2);
		nd_error_release(&e2);
		free(id);
		return r;
	}
	*id_out = id;
	return 0;
}

static cJSON *inspect_quiet(struct nd_engine *e, const char *name)
{
	struct nd_error err = ND_ERROR_INIT;
	cJSON *c = NULL;

	if (nd_container_inspect(e, name, &c, &err) < 0)
		c = NULL;
	nd_error_release(&err);
	return c;
}

static bool is_running(const cJSON *c)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(c, "State"), "Running"));
}

/* Free a container name for a new container; a foreign one is an error. */
static int clear_name(struct deploy *d, const char *name, bool keep_running,
		      char **busy_id, struct nd_error *err)
{
	cJSON *c = inspect_quiet(d->e, name);
	int r = 0;

	if (!c)
		return 0;
	if (!nd_infra_owned(c, d->app)) {
		r = nd_error_set(
			err, ND_ECONFLICT,
			"a container named '%s' exists but was not created by nextdeploy",
			name);
	} else if (keep_running && is_running(c)) {
		*busy_id = nd_strdup(nd_json_str(c, "Id"));
	} else {
		r = nd_container_remove(d->e, nd_json_str(c, "Id"), true, true,
					err);
		if (r == ND_ENOTFOUND) {
			nd_error_release(err);
			r = 0;
		}
		if (r == 0)
			note(d, ND_V_DEBUG, "removed the stopped container %s",
			     name);
	}
	cJSON_Delete(c);
	return r;
}

/* --- step 5: the release command --- */

static int release_command(struct deploy *d, struct nd_error *err)
{
	const char *label = nd_json_label(d->image,
					  "nextdeploy.release-command");
	cJSON *argv = NULL, *cfg = NULL;
	char *name = NULL, *id = NULL;
	double t = nd_now_ms();
	long code = -1;
	int r = 0;

	if (!label || !*label)
		return 0;
	argv = cJSON_Parse(label);
	if (!cJSON_IsArray(argv) || !cJSON_GetArraySize(argv)) {
		r = nd_error_set(
			err, ND_EGENERIC,
			"the image's nextdeploy.release-command label is not a JSON list of strings");
		goto done;
	}
	name = nd_xprintf("nd-%s-release-%s", d->app, d->release);
	if ((r = clear_name(d, name, false, NULL, err)) < 0)
		goto done;
	cfg = nd_dp_container_config(d, "release", NULL, 0, argv, "no");
	if ((r = nd_dp_create_container(d, name, cfg, &id, err)) < 0 ||
	    (r = nd_container_start(d->e, id, err)) < 0)
		goto done;
	for (;;) {
		cJSON *c = NULL;
		const cJSON *state;

		if ((r = nd_container_inspect(d->e, id, &c, err)) < 0)
			goto done;
		state = cJSON_GetObjectItemCaseSensitive(c, "State");
		if (!is_running(c)) {
			code = (long)nd_json_num(state, "ExitCode", -1);
			cJSON_Delete(c);
			break;
		}
		cJSON_Delete(c);
		if (!nd_sleep_ms(250, d->o->interrupted)) {
			struct nd_error e2 = ND_ERROR_INIT;

			nd_infra_container_discard(d->e, id, 2, &e2);
			nd_error_release(&e2);
			r = nd_error_set(err, ND_EINTERRUPTED, "interrupted");
			goto done;
		}
	}
	if (code != 0) {
		struct nd_buf logs = ND_BUF_INIT;
		char *reason = nd_xprintf(
			"the release command exited with status %ld", code);

		nd_container_logs_tail(d->e, id, 50, 64 * 1024, &logs, err);
		nd_error_release(err);
		add_failure(d, name, reason, logs.buf, NULL);
		r = nd_error_set(err, ND_EGENERIC, "release '%s': %s",
				 d->release, reason);
		nd_error_hint(err, "the container '%s' is kept for inspection",
			      name);
		free(reason);
		nd_buf_release(&logs);
		goto done;
	}
	step(d, t, "release command finished in %s", name);
	timing(d, "release_command", t);
	r = nd_container_remove(d->e, id, true, true, err);
	if (r < 0) {
		note(d, ND_V_WARNING, "cannot remove '%s': %s", name, err->msg);
		nd_error_release(err);
		r = 0;
	}
done:
	cJSON_Delete(argv);
	cJSON_Delete(cfg);
	free(name);
	free(id);
	return r;
}

/* --- step 7: the health gate --- */

static const char *container_ip(const cJSON *c, const char *net)
{
	const cJSON *nets = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(c, "NetworkSettings"),
		"Networks");
	const char *ip = nd_json_str(
		cJSON_GetObjectItemCaseSensitive(nets, net), "IPAddress");

	return ip && *ip ? ip : NULL;
}

static void replica_fail(struct replica *rp, const char *fmt, ...)
	ND_PRINTF(2, 3);
static void replica_fail(struct replica *rp, const char *fmt, ...)
{
	va_list ap;
	struct nd_buf b = ND_BUF_INIT;

	va_start(ap, fmt);
	nd_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(rp->fail_reason);
	rp->fail_reason = nd_buf_detach(&b, NULL);
}

static void keep_probe_output(struct replica *rp,
			      const struct nd_exec_result *x, const char *extra)
{
	nd_buf_reset(&rp->last_probe);
	if (x) {
		nd_buf_add(&rp->last_probe, x->out.buf, x->out.len);
		if (x->out.len && x->err.len &&
		    x->out.buf[x->out.len - 1] != '\n')
			nd_buf_addch(&rp->last_probe, '\n');
		nd_buf_add(&rp->last_probe, x->err.buf, x->err.len);
	}
	if (extra) {
		if (rp->last_probe.len &&
		    rp->last_probe.buf[rp->last_probe.len - 1] != '\n')
			nd_buf_addch(&rp->last_probe, '\n');
		nd_buf_adds(&rp->last_probe, extra);
	}
	nd_buf_rtrim(&rp->last_probe);
}

/*
 * One probe of one replica: PROBE_NOT_YET, PROBE_HEALTHY, PROBE_FAILED
 * (for good, reason set), or < 0 for an engine error.
 */
enum { PROBE_NOT_YET = 0, PROBE_HEALTHY = 1, PROBE_FAILED = 2 };

static int probe_once(struct deploy *d, struct replica *rp, struct nd_error *err)
{
	struct nd_gate_plan *g = &d->gate;
	struct nd_exec_opts eo = { 0 };
	struct nd_exec_result x = ND_EXEC_RESULT_INIT;
	struct nd_strvec argv = ND_STRVEC_INIT;
	enum nd_probe_kind kind = ND_PROBE_NONE;
	bool http = g->mode == ND_GATE_HTTP || g->mode == ND_GATE_LISTEN;
	bool in_start = nd_now_ms() - rp->started_ms <
			(double)g->start_period_ms;
	char *url = NULL;
	bool retry_now = false;
	int r, out = PROBE_NOT_YET;

	if (rp->grace || g->mode == ND_GATE_GRACE)
		return nd_now_ms() - rp->started_ms >= (double)g->grace_ms ?
			       PROBE_HEALTHY :
			       PROBE_NOT_YET;
	if (http) {
		kind = g->kinds[rp->kind_idx];
		url = nd_xprintf("http://%s:%ld%s",
				 rp->ip ? rp->ip : "127.0.0.1", g->port,
				 g->path);
		nd_probe_http_argv(&argv, kind, g->probe_path, url,
				   g->mode == ND_GATE_LISTEN, g->timeout_ms);
	} else {
		for (size_t i = 0; i < g->argv.nr; i++)
			nd_strvec_push(&argv, g->argv.items[i]);
	}
	eo.argv = (const char *const *)argv.items;
	eo.timeout_ms = (long)g->timeout_ms + 1000;
	eo.max_output = 4096;
	rp->probes++;
	r = nd_exec_capture(d->e, rp->id, &eo, &x, err);
	if (r == ND_ETIMEOUT) {
		keep_probe_output(rp, &x, err->msg);
		nd_error_release(err);
		x.exit_code = -1;
		r = 0;
	} else if (r == ND_ECONFLICT || r == ND_ENOTFOUND) {
		/* stopped between inspect and exec: the next round says why */
		nd_error_release(err);
		r = 0;
		goto done;
	} else if (r < 0) {
		out = r;
		goto done;
	} else {
		keep_probe_output(rp, &x, NULL);
	}
	if (http && nd_probe_missing(x.exit_code)) {
		cJSON *c = inspect_quiet(d->e, rp->id);
		bool gone = !c || !is_running(c);

		cJSON_Delete(c);
		/*
		 * An exec into a container that is exiting fails with 126
		 * too: then the next round reports the exit, not the probe.
		 */
		if (gone)
			goto done;
		/* the probe program is not in the image */
		if (g->kind_from_label) {
			replica_fail(
				rp,
				"the image's probe '%s' (nextdeploy.probe) is not in the image",
				g->probe_path ? g->probe_path :
						nd_probe_kind_name(kind));
			out = PROBE_FAILED;
		} else if (++rp->kind_idx >= g->nkinds) {
			if (g->mode == ND_GATE_LISTEN) {
				note(d, ND_V_INFO,
				     "%s: no curl, wget, node or python3 in the image to probe HTTP; waiting %llds instead",
				     rp->name, (long long)(g->grace_ms / 1000));
				rp->grace = true;
			} else {
				replica_fail(
					rp,
					"no program to probe %s with in the image (tried curl, wget, node, python3)",
					g->path);
				out = PROBE_FAILED;
			}
		} else {
			note(d, ND_V_DEBUG, "%s: no %s in the image, trying %s",
			     rp->name, nd_probe_kind_name(kind),
			     nd_probe_kind_name(g->kinds[rp->kind_idx]));
			retry_now = true; /* no need to wait an interval */
		}
		goto done;
	}
	if (http ? nd_probe_http_passed(kind, g->mode == ND_GATE_LISTEN,
					x.exit_code, x.err.buf) :
		   x.exit_code == 0) {
		out = PROBE_HEALTHY;
		goto done;
	}
	note(d, ND_V_DEBUG, "%s: probe %ld failed (exit %ld)", rp->name,
	     rp->probes, x.exit_code);
	if (!in_start && ++rp->failures >= g->retries) {
		replica_fail(rp, "%ld health checks failed (%s)", rp->failures,
			     g->source);
		out = PROBE_FAILED;
	}
done:
	nd_exec_result_release(&x);
	nd_strvec_release(&argv);
	free(url);
	if (retry_now)
		return probe_once(d, rp, err);
	return out;
}

int nd_dp_health_gate(struct deploy *d, struct nd_error *err)
{
	struct nd_gate_plan *g = &d->gate;
	double t = nd_now_ms();
	size_t healthy = 0;

	for (;;) {
		for (size_t i = 0; i < d->nreps; i++) {
			struct replica *rp = &d->reps[i];
			cJSON *c = NULL;
			const cJSON *state;
			int r;

			if (rp->healthy)
				continue;
			if ((r = check_interrupt(d, err)) < 0)
				return r;
			if ((r = nd_container_inspect(d->e, rp->id, &c, err)) <
			    0)
				return r;
			state = cJSON_GetObjectItemCaseSensitive(c, "State");
			if (!is_running(c) ||
			    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				    state, "Restarting")) ||
			    nd_json_num(c, "RestartCount", 0) > 0) {
				long code = (long)nd_json_num(state, "ExitCode",
							      0);
				double n = nd_json_num(c, "RestartCount", 0);
				bool restarting =
					cJSON_IsTrue(
						cJSON_GetObjectItemCaseSensitive(
							state, "Restarting")) ||
					is_running(c);

				/* a restarted container's ExitCode is that of its new run */
				if (!restarting)
					replica_fail(
						rp,
						"the container exited with status %ld",
						code);
				else if (code)
					replica_fail(
						rp,
						"the container exited with status %ld and is being restarted by its restart policy",
						code);
				else
					replica_fail(
						rp,
						"the container exited and was restarted %.0f time%s by its restart policy",
						n, n == 1 ? "" : "s");
				cJSON_Delete(c);
				return ND_EGENERIC;
			}
			if (!rp->ip) {
				const char *ip = container_ip(c, d->net);

				rp->ip = nd_strdup_or_null(ip);
			}
			cJSON_Delete(c);
			r = probe_once(d, rp, err);
			if (r < 0)
				return r;
			if (r == PROBE_FAILED)
				return ND_EGENERIC;
			if (r == PROBE_HEALTHY) {
				rp->healthy = true;
				rp->healthy_ms = nd_now_ms() - rp->started_ms;
				healthy++;
				step(d, rp->started_ms, "%s is healthy (%s%s)",
				     rp->create_name, g->source,
				     rp->grace ? ", after the grace period" :
						 "");
			}
		}
		if (healthy == d->nreps)
			break;
		if (!nd_sleep_ms(g->mode == ND_GATE_GRACE ? 250 :
							    (long)g->interval_ms,
				 d->o->interrupted))
			return check_interrupt(d, err);
	}
	timing(d, "health_gate", t);
	return 0;
}

/* --- step 8: the switch --- */

static char *join_domains(const struct nd_strvec *v)
{
	struct nd_buf b = ND_BUF_INIT;

	for (size_t i = 0; i < v->nr; i++) {
		nd_buf_addf(&b, "%s%s", i ? "," : "", v->items[i]);
	}
	for (size_t i = 0; i < b.len; i++)
		if (b.buf[i] >= 'A' && b.buf[i] <= 'Z')
			b.buf[i] = (char)(b.buf[i] - 'A' + 'a');
	return nd_buf_detach(&b, NULL);
}

static const char *tls_name(enum nd_tls_mode m)
{
	return m == ND_TLS_INTERNAL ? "internal" :
	       m == ND_TLS_OFF	    ? "off" :
				      "auto";
}

/* The proxy's settings that need a new container when they change. */
struct proxy_spec {
	const char *image;
	char publish[24]; /* "" not published, "0" engine picks, else the port */
	char *domains;	  /* comma-separated, or "" */
	const char *tls;
};

static void proxy_spec_make(struct proxy_spec *s, const struct nd_project *p)
{
	s->image = nd_project_proxy_image(p);
	if (p->deploy.publish >= 0)
		snprintf(s->publish, sizeof(s->publish), "%ld",
			 p->deploy.publish);
	else if (p->deploy.domains.nr)
		s->publish[0] = '\0';
	else
		snprintf(s->publish, sizeof(s->publish), "0");
	s->domains = join_domains(&p->deploy.domains);
	s->tls = p->deploy.domains.nr ? tls_name(p->deploy.tls) : "";
}

static bool proxy_spec_matches(const struct proxy_spec *s, const cJSON *c)
{
	return nd_streq(nd_json_label(c, "nextdeploy.proxy.image"), s->image) &&
	       nd_streq(nd_json_label(c, "nextdeploy.publish") ?: "",
			s->publish) &&
	       nd_streq(nd_json_label(c, "nextdeploy.domains") ?: "",
			s->domains) &&
	       nd_streq(nd_json_label(c, "nextdeploy.tls") ?: "", s->tls);
}

static int proxy_create(struct deploy *d, const struct proxy_spec *s,
			const char *caddyfile, const char *record,
			char **id_out, struct nd_error *err)
{
	cJSON *body = cJSON_CreateObject(), *labels, *hc, *ep;
	char *id = NULL;
	int r;

	cJSON_AddStringToObject(body, "Image", s->image);
	cJSON_AddItemToObject(
		body, "Cmd",
		cJSON_CreateStringArray(
			(const char *const[]){ "caddy", "run", "--config",
					       ND_CADDY_FILE, "--adapter",
					       "caddyfile" },
			6));
	labels = nd_infra_labels(d->app);
	cJSON_AddStringToObject(labels, "nextdeploy.service", "proxy");
	cJSON_AddStringToObject(labels, "nextdeploy.proxy.image", s->image);
	cJSON_AddStringToObject(labels, "nextdeploy.publish", s->publish);
	if (*s->domains) {
		cJSON_AddStringToObject(labels, "nextdeploy.domains",
					s->domains);
		cJSON_AddStringToObject(labels, "nextdeploy.tls", s->tls);
	}
	cJSON_AddItemToObject(body, "Labels", labels);
	ep = cJSON_AddObjectToObject(body, "ExposedPorts");
	cJSON_AddObjectToObject(ep, "80/tcp");
	hc = cJSON_AddObjectToObject(body, "HostConfig");
	/* on the app network from the start: joining later gave stale DNS */
	cJSON_AddStringToObject(hc, "NetworkMode", d->net);
	nd_infra_proxy_host_config(d->e, hc);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(hc, "RestartPolicy"),
				"Name", "unless-stopped");
	if (*s->publish) {
		cJSON *b = cJSON_CreateObject();

		if (strcmp(s->publish, "0"))
			cJSON_AddStringToObject(b, "HostPort", s->publish);
		else
			cJSON_AddStringToObject(b, "HostPort", "");
		cJSON_AddItemToArray(
			cJSON_AddArrayToObject(
				cJSON_AddObjectToObject(hc, "PortBindings"),
				"80/tcp"),
			b);
	}
	r = nd_container_create(d->e, d->proxy_name, body, &id, err);
	cJSON_Delete(body);
	if (r < 0)
		return nd_error_wrap(err, "creating the proxy '%s'",
				     d->proxy_name);
	if (*s->domains && (r = nd_network_connect(d->e, ND_EDGE_NETWORK, id,
						   NULL, err)) < 0) {
		nd_error_wrap(err, "connecting '%s' to '%s'", d->proxy_name,
			      ND_EDGE_NETWORK);
		goto fail;
	}
	if ((r = nd_infra_proxy_put(d->e, id, caddyfile, record, err)) < 0)
		goto fail;
	if ((r = nd_container_start(d->e, id, err)) < 0) {
		nd_error_wrap(err, "starting the proxy '%s'", d->proxy_name);
		goto fail;
	}
	if ((r = nd_infra_proxy_wait_ready(d->e, id, ND_PROXY_READY_MS,
					   d->o->interrupted, err)) < 0)
		goto fail;
	*id_out = id;
	return 0;
fail : {
	struct nd_error e2 = ND_ERROR_INIT;

	nd_container_remove(d->e, id, true, true, &e2);
	nd_error_release(&e2);
}
	free(id);
	return r;
}

static void record_for(struct deploy *d, struct nd_deploy_record *rec)
{
	const struct nd_deploy_record *old = d->st.have_record ? &d->st.rec :
								 NULL;

	memset(rec, 0, sizeof(*rec));
	rec->app = nd_strdup(d->app);
	rec->release = nd_strdup(d->release);
	rec->deploy_id = nd_strdup(d->deploy_id);
	rec->service = nd_strdup(d->service);
	rec->image = nd_strdup(d->image_ref);
	rec->image_id = nd_strdup(d->image_id);
	rec->port = d->port;
	rec->deployed_at = (double)time(NULL);
	for (size_t i = 0; i < d->nreps; i++) {
		char *up = nd_xprintf("%s:%ld", d->reps[i].alias, d->port);

		nd_strvec_push(&rec->containers, d->reps[i].name);
		nd_strvec_push_nodup(&rec->upstreams, up);
	}
	for (size_t i = 0; old && i < old->history.nr; i++)
		nd_strvec_push(&rec->history, old->history.items[i]);
	for (size_t i = 0; old && i < old->failed.nr; i++)
		nd_strvec_push(&rec->failed, old->failed.items[i]);
	nd_record_list_push(&rec->history, d->release, ND_RECORD_HISTORY_MAX);
	nd_record_list_remove(&rec->failed, d->release);
}

/* After a failed release: note it in the record (the config is unchanged). */
static void record_failure(struct deploy *d)
{
	struct nd_error err = ND_ERROR_INIT;
	char *json;

	if (!d->st.proxy || !d->st.have_record)
		return;
	nd_record_list_push(&d->st.rec.failed, d->release,
			    ND_RECORD_HISTORY_MAX);
	json = nd_record_json(&d->st.rec);
	if (nd_infra_proxy_put_record(d->e, nd_json_str(d->st.proxy, "Id"),
				      json, &err) < 0)
		note(d, ND_V_DEBUG, "cannot record the failure: %s", err.msg);
	nd_error_release(&err);
	free(json);
}

static int switch_proxy(struct deploy *d, struct nd_error *err)
{
	struct proxy_spec spec = { 0 };
	struct nd_deploy_record rec;
	struct nd_buf caddy = ND_BUF_INIT;
	char *json = NULL, *id = NULL;
	const cJSON *proxy = d->st.proxy;
	bool had_domains = proxy && nd_json_label(proxy, "nextdeploy.domains");
	double t = nd_now_ms();
	int r;

	proxy_spec_make(&spec, d->p);
	record_for(d, &rec);
	nd_caddy_app_config(&caddy, d->app, d->release, &rec.upstreams);
	json = nd_record_json(&rec);
	{
		double tp = nd_now_ms();
		bool pulled = false;

		if ((r = nd_infra_image_ensure(d->e, spec.image, &pulled,
					       err)) < 0)
			goto done;
		if (pulled)
			step(d, tp, "pulled the proxy image %s", spec.image);
	}
	if (*spec.domains &&
	    (r = nd_infra_network_ensure(d->e, ND_EDGE_NETWORK, ND_EDGE_APP,
					 NULL, err)) < 0)
		goto done;
	if (proxy && !proxy_spec_matches(&spec, proxy)) {
		note(d, ND_V_WARNING,
		     "recreating the proxy %s (its image, published port or domains changed): requests are refused for a moment",
		     d->proxy_name);
		if ((r = nd_infra_container_discard(
			     d->e, nd_json_str(proxy, "Id"), 5, err)) < 0)
			goto done;
		proxy = NULL;
	}
	if (!proxy) {
		if ((r = proxy_create(d, &spec, caddy.buf, json, &id, err)) < 0)
			goto done;
		d->switched = true;
		step(d, t, "proxy %s serves %s", d->proxy_name, d->release);
	} else {
		id = nd_strdup(nd_json_str(proxy, "Id"));
		if ((r = nd_infra_proxy_put(d->e, id, caddy.buf, json, err)) < 0)
			goto done;
		if (is_running(proxy)) {
			if ((r = nd_infra_caddy_reload(d->e, id, err)) < 0)
				goto restore;
		} else {
			if ((r = nd_container_start(d->e, id, err)) < 0 ||
			    (r = nd_infra_proxy_wait_ready(
				     d->e, id, ND_PROXY_READY_MS,
				     d->o->interrupted, err)) < 0)
				goto done;
		}
		d->switched = true;
		step(d, t, "proxy %s re-pointed to %s (caddy reload)",
		     d->proxy_name, d->release);
	}
	timing(d, "switch", t);
	/* the URL, from the proxy as it is now */
	{
		cJSON *c = inspect_quiet(d->e, id);

		free(d->res->url);
		d->res->url = nd_app_url(d->e, d->p, c);
		cJSON_Delete(c);
	}
	if (*spec.domains || had_domains) {
		double te = nd_now_ms();

		r = nd_edge_sync(d->e, d->p, &d->o->ui, d->o->interrupted, err);
		if (r < 0) {
			/* live through its own proxy, but not under its domains */
			nd_error_wrap(err, "release '%s' is live on %s, but",
				      d->release, d->proxy_name);
			goto done;
		}
		if (*spec.domains)
			step(d, te, "edge proxy %s routes %s", ND_EDGE_NAME,
			     spec.domains);
	}
	goto done;
restore:
	/* put the old files back, so that the next reload is not a surprise */
	if (d->st.have_record) {
		struct nd_buf old = ND_BUF_INIT;
		char *oldjson = nd_record_json(&d->st.rec);
		struct nd_error e2 = ND_ERROR_INIT;

		nd_caddy_app_config(&old, d->app, d->st.rec.release,
				    &d->st.rec.upstreams);
		if (d->st.rec.upstreams.nr)
			nd_infra_proxy_put(d->e, id, old.buf, oldjson, &e2);
		nd_error_release(&e2);
		nd_buf_release(&old);
		free(oldjson);
	}
done:
	nd_record_release(&rec);
	nd_buf_release(&caddy);
	free(spec.domains);
	free(json);
	free(id);
	return r;
}

/* --- step 9: drain --- */

static bool is_new(const struct deploy *d, const char *id)
{
	for (size_t i = 0; i < d->nreps; i++)
		if (nd_streq(d->reps[i].id, id))
			return true;
	return false;
}

static void drain_old(struct deploy *d)
{
	struct nd_filters f = ND_FILTERS_INIT;
	struct nd_error err = ND_ERROR_INIT;
	cJSON *list = NULL;
	const cJSON *c;
	char *svc = nd_xprintf("nextdeploy.service=%s", d->service);
	int stop_s = (int)((nd_project_stop_timeout_ms(d->p) + 999) / 1000);
	double t = nd_now_ms();
	size_t n = 0;

	nd_filters_project(&f, d->app);
	nd_filters_add(&f, "label", svc);
	if (nd_containers_list(d->e, false, &f, &list, &err) < 0) {
		note(d, ND_V_WARNING, "cannot list the old containers: %s",
		     err.msg);
		goto done;
	}
	cJSON_ArrayForEach(c, list)
		if (!is_new(d, nd_json_str(c, "Id")))
			n++;
	if (n) {
		double deadline;

		/* requests that reached the old release finish first */
		nd_sleep_ms(ND_DRAIN_MS, NULL);
		/*
		 * Signal them all first, so that they shut down together; then
		 * stop each with what is left of stop_timeout (stop sends the
		 * stop signal again and kills at the end).
		 */
		cJSON_ArrayForEach(c, list) {
			const char *id = nd_json_str(c, "Id");
			cJSON *full = NULL;
			const char *sig;

			if (is_new(d, id) ||
			    nd_container_inspect(d->e, id, &full, &err) < 0) {
				nd_error_release(&err);
				continue;
			}
			sig = nd_json_str(cJSON_GetObjectItemCaseSensitive(
						  full, "Config"),
					  "StopSignal");
			if (nd_container_kill(d->e, id,
					      sig && *sig ? sig : "SIGTERM",
					      &err) < 0)
				nd_error_release(&err);
			cJSON_Delete(full);
		}
		deadline = nd_now_ms() + stop_s * 1000.0;
		cJSON_ArrayForEach(c, list) {
			const char *id = nd_json_str(c, "Id");
			double left = deadline - nd_now_ms();

			if (is_new(d, id))
				continue;
			if (nd_container_stop(
				    d->e, id,
				    left > 0 ? (int)((left + 999) / 1000) : 0,
				    &err) < 0) {
				note(d, ND_V_WARNING, "cannot stop %s: %s",
				     nd_container_name(c), err.msg);
				nd_error_release(&err);
			} else {
				note(d, ND_V_DEBUG, "stopped %s",
				     nd_container_name(c));
			}
		}
	}
	/* a redeploy of the same release: the new containers take the names */
	for (size_t i = 0; i < d->nreps; i++) {
		struct replica *rp = &d->reps[i];

		if (!rp->busy_id)
			continue;
		if (nd_container_remove(d->e, rp->busy_id, true, true, &err) <
			    0 &&
		    err.code != ND_ENOTFOUND) {
			note(d, ND_V_WARNING, "cannot remove the old %s: %s",
			     rp->name, err.msg);
		} else if (nd_container_rename(d->e, rp->id, rp->name, &err) <
			   0) {
			note(d, ND_V_WARNING, "cannot rename %s to %s: %s",
			     rp->create_name, rp->name, err.msg);
		}
		nd_error_release(&err);
	}
	if (n) {
		step(d, t, "drained and stopped %zu old container%s", n,
		     n == 1 ? "" : "s");
		timing(d, "drain", t);
	}
done:
	nd_error_release(&err);
	cJSON_Delete(list);
	nd_filters_release(&f);
	free(svc);
}

/* --- failure --- */

static void collect_failure(struct deploy *d)
{
	for (size_t i = 0; i < d->nreps; i++) {
		struct replica *rp = &d->reps[i];
		struct nd_error err = ND_ERROR_INIT;
		struct nd_buf logs = ND_BUF_INIT;

		if (!rp->id || rp->healthy)
			continue;
		if (!rp->fail_reason)
			replica_fail(
				rp,
				"not healthy yet when another replica failed");
		nd_container_logs_tail(d->e, rp->id, 30, 32 * 1024, &logs, &err);
		nd_error_release(&err);
		add_failure(d, rp->create_name, rp->fail_reason, logs.buf,
			    rp->last_probe.buf);
		nd_buf_release(&logs);
	}
}

static void stop_new(struct deploy *d, bool remove)
{
	for (size_t i = 0; i < d->nreps; i++) {
		struct nd_error err = ND_ERROR_INIT;

		if (!d->reps[i].id)
			continue;
		if (remove)
			nd_infra_container_discard(d->e, d->reps[i].id, 2, &err);
		else
			nd_container_stop(d->e, d->reps[i].id, 2, &err);
		nd_error_release(&err);
	}
}

/* --- the whole deploy --- */

void nd_dp_release(struct deploy *d)
{
	for (size_t i = 0; i < d->nreps; i++) {
		free(d->reps[i].name);
		free(d->reps[i].create_name);
		free(d->reps[i].busy_id);
		free(d->reps[i].alias);
		free(d->reps[i].id);
		free(d->reps[i].ip);
		free(d->reps[i].fail_reason);
		nd_buf_release(&d->reps[i].last_probe);
	}
	free(d->reps);
	free(d->service);
	free(d->net);
	free(d->proxy_name);
	cJSON_Delete(d->image);
	free(d->image_ref);
	free(d->image_id);
	free(d->release);
	nd_gate_plan_release(&d->gate);
	nd_kvlist_release(&d->env);
	nd_secrets_release(&d->secrets);
	nd_app_state_release(&d->st);
	free(d->deploy_id);
}

int nd_dp_prepare(struct deploy *d, struct nd_error *err)
{
	int r;

	if (d->p->deploy.target == ND_TARGET_SWARM)
		return nd_project_error(
			d->p, err, "deploy.target",
			"'run' deploys to one engine; 'target: swarm' is not supported yet");
	if ((r = find_image(d, err)) < 0)
		return r;
	d->port = app_port(d->p, d->image);
	if ((r = nd_gate_plan_make(&d->gate, d->p, d->image, d->port, err)) < 0)
		return r;
	if ((r = nd_secrets_load(&d->secrets, d->p, err)) < 0)
		return r;
	if ((r = build_env(d, err)) < 0)
		return r;
	d->res->release = nd_strdup(d->release);
	d->res->image = nd_strdup(d->image_ref);
	d->res->image_id = nd_strdup(d->image_id);
	d->res->service = nd_strdup(d->service);
	d->res->gate = nd_strdup(d->gate.source);
	return 0;
}

static void lock_event(void *ud, enum nd_lock_event ev,
		       const struct nd_lock_holder *h)
{
	struct deploy *d = ud;
	char *who = nd_lock_holder_describe(h);

	switch (ev) {
	case ND_LOCK_WAITING:
		note(d, ND_V_INFO, "waiting for the deploy lock, held by %s",
		     who);
		break;
	case ND_LOCK_BROKE_STALE:
		note(d, ND_V_WARNING,
		     "broke a stale deploy lock (its process is gone): %s",
		     who);
		break;
	case ND_LOCK_BROKE_FORCED:
		note(d, ND_V_WARNING, "broke the deploy lock held by %s", who);
		break;
	}
	free(who);
}

static int take_lock(struct deploy *d, struct nd_error *err)
{
	struct nd_lock_opts lo = { 0 };
	char *name = nd_app_lock_name(d->app);
	double t = nd_now_ms();
	int r;

	lo.name = name;
	lo.app = d->app;
	lo.image = d->image_id;
	lo.command = d->o->command_line;
	lo.wait_ms = d->o->lock_wait_ms;
	lo.force_break = d->o->break_lock;
	lo.interrupted = d->o->interrupted;
	lo.on_event = lock_event;
	lo.ud = d;
	r = nd_lock_acquire(&d->lock, d->e, &lo, err);
	free(name);
	if (r == 0) {
		note(d, ND_V_DEBUG, "deploy lock taken in %.0f ms",
		     nd_now_ms() - t);
		timing(d, "lock", t);
	}
	return r;
}

static int make_replicas(struct deploy *d, struct nd_error *err)
{
	long n = nd_project_replicas(d->p);
	int r;

	d->reps = nd_calloc((size_t)n, sizeof(*d->reps));
	d->nreps = (size_t)n;
	for (long i = 0; i < n; i++) {
		struct replica *rp = &d->reps[i];

		rp->n = (int)i + 1;
		nd_buf_init(&rp->last_probe, 8192);
		rp->name = i ? nd_xprintf("nd-%s-%s-%s-%ld", d->app, d->service,
					  d->release, i + 1) :
			       nd_xprintf("nd-%s-%s-%s", d->app, d->service,
					  d->release);
		rp->alias = nd_xprintf("nd-%s-%s-%ld", d->app, d->deploy_id,
				       i + 1);
		if ((r = clear_name(d, rp->name, true, &rp->busy_id, err)) < 0)
			return r;
		if (rp->busy_id) {
			rp->create_name = nd_xprintf("%s-next", rp->name);
			if ((r = clear_name(d, rp->create_name, false, NULL,
					    err)) < 0)
				return r;
		} else {
			rp->create_name = nd_strdup(rp->name);
		}
	}
	return 0;
}

static int create_and_start(struct deploy *d, struct nd_error *err)
{
	const char *restart = nd_project_restart(d->p);
	double t = nd_now_ms();
	int r;

	for (size_t i = 0; i < d->nreps; i++) {
		struct replica *rp = &d->reps[i];
		cJSON *cfg = nd_dp_container_config(d, d->service, rp->alias,
						    rp->n, NULL, restart);

		r = nd_dp_create_container(d, rp->create_name, cfg, &rp->id,
					   err);
		cJSON_Delete(cfg);
		if (r < 0)
			return r;
		nd_strvec_push(&d->res->containers, rp->name);
	}
	step(d, t, "created %s%s", d->reps[0].create_name,
	     d->nreps > 1 ? " and its replicas" : "");
	timing(d, "create", t);
	t = nd_now_ms();
	for (size_t i = 0; i < d->nreps; i++) {
		struct replica *rp = &d->reps[i];

		if ((r = nd_container_start(d->e, rp->id, err)) < 0)
			return nd_error_wrap(err, "starting '%s'",
					     rp->create_name);
		rp->started_ms = nd_now_ms();
	}
	step(d, t, "started %zu container%s", d->nreps,
	     d->nreps == 1 ? "" : "s");
	timing(d, "start", t);
	return 0;
}

static int ensure_resources(struct deploy *d, struct nd_error *err)
{
	double t = nd_now_ms();
	bool created = false;
	int r;

	if ((r = nd_infra_network_ensure(d->e, d->net, d->app, &created, err)) <
	    0)
		return r;
	if (created)
		note(d, ND_V_DEBUG, "created the network %s", d->net);
	for (size_t i = 0; i < d->p->deploy.nvolumes; i++) {
		char *v = nd_app_volume_name(d->app,
					     d->p->deploy.volumes[i].name);

		r = nd_infra_volume_ensure(d->e, v, d->app, err);
		free(v);
		if (r < 0)
			return r;
	}
	timing(d, "network", t);
	return 0;
}

int nd_deploy_run(struct nd_deploy_result *res, struct nd_engine *e,
		  const struct nd_project *p, const struct nd_deploy_opts *o,
		  struct nd_error *err)
{
	struct deploy d = { 0 };
	double t;
	int r;

	memset(res, 0, sizeof(*res));
	d.e = e;
	d.p = p;
	d.o = o;
	d.res = res;
	d.app = p->app;
	d.t0 = nd_now_ms();
	d.net = nd_app_network(p->app);
	d.proxy_name = nd_app_proxy_name(p->app);
	d.deploy_id = random_id();
	d.lock = (struct nd_lock)ND_LOCK_INIT;
	res->app = nd_strdup(p->app);
	res->deploy_id = nd_strdup(d.deploy_id);

	/* 1: everything that can be checked before changing anything */
	if ((r = nd_dp_prepare(&d, err)) < 0)
		goto done;
	note(&d, ND_V_INFO, "deploying %s release %s (%s)", d.app, d.release,
	     d.image_ref);
	note(&d, ND_V_DEBUG, "port %ld; health: %s; deploy %s", d.port,
	     d.gate.source, d.deploy_id);
	/* 2: the lock, and what is live now */
	if ((r = check_interrupt(&d, err)) < 0 || (r = take_lock(&d, err)) < 0)
		goto done;
	if ((r = nd_app_state_load(&d.st, e, d.app, err)) < 0)
		goto done;
	if (d.st.have_record && d.st.proxy_running)
		res->previous = nd_strdup(d.st.rec.release);
	res->url = nd_app_url(e, p, d.st.proxy);
	/* 3 */
	if ((r = check_interrupt(&d, err)) < 0 ||
	    (r = run_hook(&d, "pre-deploy", err)) < 0)
		goto done;
	/* 4, 5 */
	if ((r = check_interrupt(&d, err)) < 0 ||
	    (r = ensure_resources(&d, err)) < 0)
		goto done;
	if ((r = release_command(&d, err)) < 0) {
		if (r != ND_EINTERRUPTED)
			record_failure(&d);
		goto done;
	}
	/* 6 */
	if ((r = check_interrupt(&d, err)) < 0 ||
	    (r = make_replicas(&d, err)) < 0 ||
	    (r = create_and_start(&d, err)) < 0)
		goto unwind;
	/* 7 */
	r = nd_dp_health_gate(&d, err);
	if (r == ND_EGENERIC && !err->code) {
		const struct replica *bad = NULL;

		for (size_t i = 0; i < d.nreps && !bad; i++)
			if (d.reps[i].fail_reason)
				bad = &d.reps[i];
		collect_failure(&d);
		stop_new(&d, false);
		record_failure(&d);
		r = nd_error_set(err, ND_EGENERIC,
				 "release '%s' failed its health check: %s: %s",
				 d.release, bad ? bad->create_name : "?",
				 bad && bad->fail_reason ? bad->fail_reason :
							   "unhealthy");
		if (res->previous)
			nd_error_hint(
				err,
				"release '%s' is still live; the failed container%s kept, stopped, for inspection",
				res->previous, d.nreps > 1 ? "s are" : " is");
		else
			nd_error_hint(
				err,
				"the failed container%s kept, stopped, for inspection",
				d.nreps > 1 ? "s are" : " is");
		goto done;
	}
	if (r < 0)
		goto unwind;
	/* 8 */
	if ((r = check_interrupt(&d, err)) < 0)
		goto unwind;
	if ((r = switch_proxy(&d, err)) < 0 && !d.switched)
		goto unwind;
	res->live = true;
	/* 9 */
	drain_old(&d);
	if (r < 0)
		goto done; /* switched, but the edge proxy failed */
	/* 10 */
	t = nd_now_ms();
	if (run_hook(&d, "post-deploy", err) < 0) {
		res->hook_failed = true;
		r = err->code;
		nd_error_wrap(err, "release '%s' is live, but", d.release);
	}
	timing(&d, "post_deploy", t);
	goto done;
unwind:
	/* before the switch: the new containers never served; remove them */
	if (r == ND_EINTERRUPTED)
		note(&d, ND_V_WARNING,
		     "interrupted: removing the new containers");
	stop_new(&d, true);
done:
	res->total_ms = nd_now_ms() - d.t0;
	if (d.lock.id) {
		struct nd_error e2 = ND_ERROR_INIT;

		if (nd_lock_release(&d.lock, &e2) < 0)
			note(&d, ND_V_WARNING,
			     "cannot release the deploy lock: %s", e2.msg);
		nd_error_release(&e2);
	}
	nd_dp_release(&d);
	return r;
}
