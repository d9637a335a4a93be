/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/deploy.h"
#include "core/deploy_infra.h"
#include "core/deploy_lock.h"
#include "core/output.h"
#include "core/project.h"
#include "docker/api.h"
#include "docker/deploy_api.h"
#include "docker/exec.h"
#include "docker/stream.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <time.h>
#include <unistd.h>

/* --- names --- */

char *nd_app_network(const char *app)
{
	return nd_xprintf("nd-%s", app);
}

char *nd_app_proxy_name(const char *app)
{
	return nd_xprintf("nd-%s-proxy", app);
}

char *nd_app_lock_name(const char *app)
{
	return nd_xprintf("nd-%s-lock", app);
}

char *nd_app_volume_name(const char *app, const char *volume)
{
	return nd_xprintf("nd-%s-%s", app, volume);
}

double nd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

bool nd_sleep_ms(long ms, volatile sig_atomic_t *interrupted)
{
	double end = nd_now_ms() + (double)ms;

	for (;;) {
		double left = end - nd_now_ms();

		if (interrupted && *interrupted)
			return false;
		if (left <= 0)
			return true;
		usleep((useconds_t)(left > 50 ? 50000 : left * 1000));
	}
}

/* --- labeled objects --- */

cJSON *nd_infra_labels(const char *app)
{
	cJSON *l = cJSON_CreateObject();

	cJSON_AddStringToObject(l, "nextdeploy.managed", "true");
	cJSON_AddStringToObject(l, "nextdeploy.app", app);
	return l;
}

bool nd_kernel_at_least(const char *kver, int major, int minor)
{
	char *end;
	long ma, mi;

	if (!kver || !isdigit((unsigned char)*kver))
		return false;
	ma = strtol(kver, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return false;
	mi = strtol(end + 1, &end, 10);
	return ma > major || (ma == major && mi >= minor);
}

void nd_infra_proxy_host_config(struct nd_engine *e, cJSON *hc)
{
	struct nd_error err = ND_ERROR_INIT;
	cJSON *info = NULL;

	/*
	 * Caddy (2.6+) reloads by opening a second SO_REUSEPORT listener and
	 * closing the old one; connections still in the old one's accept
	 * queue are reset by the kernel (about one in ten thousand requests
	 * during a redeploy under load, seen in t0041). tcp_migrate_req moves
	 * them to the new listener instead. It is per network namespace, so
	 * it is the proxy container's own setting.
	 */
	if (nd_engine_info(e, &info, &err) < 0) {
		nd_error_release(&err);
		return;
	}
	if (nd_kernel_at_least(nd_json_str(info, "KernelVersion"), 5, 14))
		cJSON_AddStringToObject(cJSON_AddObjectToObject(hc, "Sysctls"),
					"net.ipv4.tcp_migrate_req", "1");
	cJSON_Delete(info);
}

bool nd_infra_owned(const cJSON *c, const char *app)
{
	return nd_streq(nd_json_label(c, "nextdeploy.managed"), "true") &&
	       nd_streq(nd_json_label(c, "nextdeploy.app"), app);
}

int nd_infra_network_ensure(struct nd_engine *e, const char *name,
			    const char *app, bool *created,
			    struct nd_error *err)
{
	cJSON *net = NULL, *labels = NULL;
	int r = nd_network_inspect(e, name, &net, err);

	if (created)
		*created = false;
	if (r == 0) {
		if (!nd_infra_owned(net, app))
			r = nd_error_set(
				err, ND_ECONFLICT,
				"the network '%s' exists but was not created by nextdeploy for '%s'",
				name, app);
		goto done;
	}
	if (r != ND_ENOTFOUND)
		goto done;
	nd_error_release(err);
	labels = nd_infra_labels(app);
	r = nd_network_create(e, name, labels, NULL, err);
	if (r == ND_ECONFLICT) {
		/* created at the same moment by another deploy */
		nd_error_release(err);
		r = 0;
	} else if (r == 0 && created) {
		*created = true;
	}
done:
	if (r < 0)
		nd_error_wrap(err, "network '%s'", name);
	cJSON_Delete(net);
	cJSON_Delete(labels);
	return r;
}

int nd_infra_volume_ensure(struct nd_engine *e, const char *name,
			   const char *app, struct nd_error *err)
{
	cJSON *vol = NULL, *labels = NULL;
	int r = nd_volume_inspect(e, name, &vol, err);

	if (r == 0) {
		if (!nd_infra_owned(vol, app))
			r = nd_error_set(
				err, ND_ECONFLICT,
				"the volume '%s' exists but was not created by nextdeploy for '%s'",
				name, app);
		goto done;
	}
	if (r != ND_ENOTFOUND)
		goto done;
	nd_error_release(err);
	labels = nd_infra_labels(app);
	r = nd_volume_create(e, name, labels, err);
done:
	if (r < 0)
		nd_error_wrap(err, "volume '%s'", name);
	cJSON_Delete(vol);
	cJSON_Delete(labels);
	return r;
}

/* --- proxies --- */

int nd_infra_proxy_put(struct nd_engine *e, const char *id,
		       const char *caddyfile, const char *record,
		       struct nd_error *err)
{
	struct nd_put_file files[2] = {
		{ "Caddyfile", caddyfile, strlen(caddyfile), 0644, 0, 0 },
		{ "nextdeploy.json", record, record ? strlen(record) : 0, 0644,
		  0, 0 },
	};
	int r = nd_container_put_files(e, id, ND_CADDY_DIR, NULL, 0, files,
				       record ? 2 : 1, NULL, err);

	if (r < 0)
		nd_error_wrap(err, "writing the proxy's configuration");
	return r;
}

int nd_infra_proxy_put_record(struct nd_engine *e, const char *id,
			      const char *record, struct nd_error *err)
{
	struct nd_put_file f = {
		"nextdeploy.json", record, strlen(record), 0644, 0, 0
	};

	return nd_container_put_files(e, id, ND_CADDY_DIR, NULL, 0, &f, 1, NULL,
				      err);
}

/* The last non-empty line of Caddy's output that is not a JSON log line. */
static void caddy_message(struct nd_buf *out, const struct nd_exec_result *x)
{
	const struct nd_buf *bufs[] = { &x->err, &x->out };

	for (size_t b = 0; b < 2; b++) {
		const char *s = bufs[b]->buf;

		while (s && *s) {
			const char *eol = strchr(s, '\n');
			size_t len = eol ? (size_t)(eol - s) : strlen(s);

			if (len && *s != '{') {
				nd_buf_reset(out);
				nd_buf_add(out, s, len);
			}
			s = eol ? eol + 1 : NULL;
		}
		if (out->len)
			return;
	}
}

int nd_infra_caddy_reload(struct nd_engine *e, const char *id,
			  struct nd_error *err)
{
	static const char *const argv[] = { "caddy",	 "reload",
					    "--config",	 ND_CADDY_FILE,
					    "--adapter", "caddyfile",
					    NULL };
	struct nd_exec_opts o = { 0 };
	struct nd_exec_result x = ND_EXEC_RESULT_INIT;
	int r;

	o.argv = argv;
	o.timeout_ms = 60000;
	o.max_output = 16 * 1024;
	r = nd_exec_capture(e, id, &o, &x, err);
	if (r == 0 && x.exit_code != 0) {
		struct nd_buf msg = ND_BUF_INIT;

		caddy_message(&msg, &x);
		r = nd_error_set(
			err, ND_EGENERIC,
			"the proxy refused the new configuration (caddy reload exited with %ld)%s%s",
			x.exit_code, msg.len ? ": " : "", msg.buf);
		nd_buf_release(&msg);
	}
	nd_exec_result_release(&x);
	return r;
}

struct logbuf {
	struct nd_buf *b;
};

static int logbuf_frame(int stream, const char *data, size_t len, void *ud)
{
	struct logbuf *l = ud;

	ND_UNUSED(stream);
	if (l->b->len + len > l->b->cap)
		return 0; /* enough */
	nd_buf_add(l->b, data, len);
	return 0;
}

static int logs_since(struct nd_engine *e, const char *id, double since,
		      struct nd_buf *out, struct nd_error *err)
{
	struct nd_buf p = ND_BUF_INIT;
	struct logbuf lb = { out };
	struct nd_req req = { 0 };
	struct nd_demux dm;
	int r;

	nd_buf_adds(&p, "/containers/");
	nd_buf_add_urlencoded(&p, id);
	nd_buf_addf(&p, "/logs?stdout=1&stderr=1&since=%.3f", since);
	nd_demux_init(&dm, false, logbuf_frame, &lb, err);
	req.path = p.buf;
	req.write_fn = nd_demux_write;
	req.write_ud = &dm;
	req.timeout_ms = 10000;
	nd_buf_reset(out);
	r = nd_engine_request(e, &req, NULL, err);
	nd_buf_release(&p);
	return r;
}

int nd_infra_proxy_wait_ready(struct nd_engine *e, const char *id,
			      long timeout_ms,
			      volatile sig_atomic_t *interrupted,
			      struct nd_error *err)
{
	struct nd_buf logs = ND_BUF_INIT_CAP(512 * 1024);
	double end = nd_now_ms() + (double)timeout_ms;
	int r = 0;

	for (;;) {
		cJSON *c = NULL;
		const cJSON *state;
		double started;
		bool running;

		if ((r = nd_container_inspect(e, id, &c, err)) < 0)
			break;
		state = cJSON_GetObjectItemCaseSensitive(c, "State");
		running = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(state, "Running"));
		started = nd_parse_rfc3339(nd_json_str(state, "StartedAt"));
		cJSON_Delete(c);
		if (!running) {
			struct nd_buf tail = ND_BUF_INIT;

			nd_container_logs_tail(e, id, 5, 4096, &tail, err);
			nd_error_release(err);
			nd_buf_rtrim(&tail);
			r = nd_error_set(
				err, ND_EGENERIC,
				"the proxy stopped right after it started%s%s",
				tail.len ? ": " : "", tail.buf);
			nd_buf_release(&tail);
			break;
		}
		/* a second's slack for the clocks of engine and container */
		if ((r = logs_since(e, id, started > 1 ? started - 1 : 0, &logs,
				    err)) < 0)
			break;
		if (strstr(logs.buf, "serving initial configuration"))
			break;
		if (nd_now_ms() > end) {
			r = nd_error_set(
				err, ND_ETIMEOUT,
				"the proxy did not start serving within %lds",
				timeout_ms / 1000);
			break;
		}
		if (!nd_sleep_ms(100, interrupted)) {
			r = nd_error_set(err, ND_EINTERRUPTED, "interrupted");
			break;
		}
	}
	nd_buf_release(&logs);
	return r;
}

int nd_infra_image_ensure(struct nd_engine *e, const char *ref, bool *pulled,
			  struct nd_error *err)
{
	bool exists = false;
	int r = nd_image_exists(e, ref, &exists, err);

	if (pulled)
		*pulled = false;
	if (r < 0 || exists)
		return r;
	r = nd_image_pull_simple(e, ref, err);
	if (r == 0 && pulled)
		*pulled = true;
	return r;
}

long nd_infra_published_port(const cJSON *inspect, const char *port)
{
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(inspect,
							   "NetworkSettings");
	const cJSON *ports = cJSON_GetObjectItemCaseSensitive(ns, "Ports");
	const cJSON *binds = cJSON_GetObjectItemCaseSensitive(ports, port);
	const cJSON *b;

	cJSON_ArrayForEach(b, binds) {
		const char *hp = nd_json_str(b, "HostPort");

		if (hp && atol(hp) > 0)
			return atol(hp);
	}
	return 0;
}

int nd_infra_container_discard(struct nd_engine *e, const char *id,
			       int stop_timeout_s, struct nd_error *err)
{
	int r = nd_container_stop(e, id, stop_timeout_s, err);

	if (r == ND_ENOTFOUND) {
		nd_error_release(err);
		return 0;
	}
	if (r < 0)
		nd_error_release(err); /* removal with force still works */
	r = nd_container_remove(e, id, true, true, err);
	if (r == ND_ENOTFOUND) {
		nd_error_release(err);
		r = 0;
	}
	return r;
}

/* --- URLs --- */

char *nd_engine_public_host(const struct nd_engine *e)
{
	const char *s, *end;

	switch (e->kind) {
	case ND_ENGINE_TCP:
	case ND_ENGINE_TLS:
		s = strstr(e->base_url, "://");
		s = s ? s + 3 : e->base_url;
		if (*s == '[') {
			end = strchr(s, ']');
			return end ? nd_strndup(s, (size_t)(end - s + 1)) :
				     nd_strdup(s);
		}
		end = s + strcspn(s, ":/");
		return nd_strndup(s, (size_t)(end - s));
	case ND_ENGINE_SSH:
		s = e->ssh_target ? strrchr(e->ssh_target, '@') : NULL;
		return nd_strdup(s	       ? s + 1 :
				 e->ssh_target ? e->ssh_target :
						 "127.0.0.1");
	default:
		return nd_strdup("127.0.0.1");
	}
}

char *nd_app_url(struct nd_engine *e, const struct nd_project *p,
		 const cJSON *proxy)
{
	long port;
	char *host, *url;

	if (p->deploy.domains.nr) {
		long https = p->deploy.proxy.https_port ?
				     p->deploy.proxy.https_port :
				     443;
		long http = p->deploy.proxy.http_port ?
				    p->deploy.proxy.http_port :
				    80;

		if (p->deploy.tls == ND_TLS_OFF)
			return http == 80 ?
				       nd_xprintf("http://%s/",
						  p->deploy.domains.items[0]) :
				       nd_xprintf("http://%s:%ld/",
						  p->deploy.domains.items[0],
						  http);
		return https == 443 ?
			       nd_xprintf("https://%s/",
					  p->deploy.domains.items[0]) :
			       nd_xprintf("https://%s:%ld/",
					  p->deploy.domains.items[0], https);
	}
	port = proxy ? nd_infra_published_port(proxy, "80/tcp") : 0;
	if (!port && p->deploy.publish > 0)
		port = p->deploy.publish;
	if (!port)
		return NULL;
	host = nd_engine_public_host(e);
	url = nd_xprintf("http://%s:%ld/", host, port);
	free(host);
	return url;
}

/* --- state --- */

void nd_app_state_release(struct nd_app_state *st)
{
	if (!st)
		return;
	cJSON_Delete(st->proxy);
	cJSON_Delete(st->containers);
	nd_record_release(&st->rec);
	*st = (struct nd_app_state)ND_APP_STATE_INIT;
}

int nd_app_state_load(struct nd_app_state *st, struct nd_engine *e,
		      const char *app, struct nd_error *err)
{
	struct nd_filters f = ND_FILTERS_INIT;
	struct nd_buf rec = ND_BUF_INIT;
	char *proxy = nd_app_proxy_name(app);
	int r;

	*st = (struct nd_app_state)ND_APP_STATE_INIT;
	nd_filters_project(&f, app);
	if ((r = nd_containers_list(e, true, &f, &st->containers, err)) < 0)
		goto done;
	r = nd_container_inspect(e, proxy, &st->proxy, err);
	if (r == ND_ENOTFOUND) {
		nd_error_release(err);
		r = 0;
		goto done;
	}
	if (r < 0)
		goto done;
	if (!nd_infra_owned(st->proxy, app)) {
		r = nd_error_set(
			err, ND_ECONFLICT,
			"a container named '%s' exists but was not created by nextdeploy",
			proxy);
		goto done;
	}
	st->proxy_running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(st->proxy, "State"),
		"Running"));
	r = nd_container_get_file(e, proxy, ND_RECORD_FILE, 1 << 20, &rec, err);
	if (r == ND_ENOTFOUND) {
		nd_error_release(err);
		r = 0;
		goto done;
	}
	if (r < 0)
		goto done;
	if (nd_record_parse(&st->rec, rec.buf, rec.len, err) < 0) {
		/* a broken record: treat as none, the proxy config still rules */
		nd_error_release(err);
		goto done;
	}
	st->have_record = st->rec.release != NULL;
done:
	if (r < 0) {
		nd_error_wrap(err, "reading the state of '%s'", app);
		nd_app_state_release(st);
	}
	nd_buf_release(&rec);
	nd_filters_release(&f);
	free(proxy);
	return r;
}

/* --- releases --- */

void nd_releases_free(struct nd_release_info *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++) {
		free(r[i].release);
		free(r[i].image);
		free(r[i].image_id);
	}
	free(r);
}

static int by_created_desc(const void *a, const void *b)
{
	const struct nd_release_info *x = a, *y = b;

	return (x->created < y->created) - (x->created > y->created);
}

static const char *image_display(const cJSON *img, char *shortid, size_t n)
{
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(img, "RepoTags");
	const cJSON *t;
	const char *id = nd_json_str(img, "Id");

	cJSON_ArrayForEach(t, tags)
		if (cJSON_IsString(t) && strcmp(t->valuestring, "<none>:<none>"))
			return t->valuestring;
	if (id && nd_starts_with(id, "sha256:"))
		id += 7;
	snprintf(shortid, n, "%.12s", id ? id : "");
	return shortid;
}

int nd_releases_list(struct nd_release_info **out, size_t *n,
		     struct nd_engine *e, const char *app,
		     const struct nd_app_state *st, struct nd_error *err)
{
	struct nd_release_info *list = NULL;
	size_t nr = 0;
	cJSON *imgs = NULL;
	const cJSON *img;
	int r;

	if ((r = nd_app_images_list(e, app, NULL, &imgs, err)) < 0)
		goto done;
	cJSON_ArrayForEach(img, imgs) {
		const char *rel = nd_json_label(img, "nextdeploy.release");
		double created = nd_json_num(img, "Created", 0);
		struct nd_release_info *ri = NULL;
		char shortid[16];

		if (!rel)
			continue;
		for (size_t i = 0; i < nr; i++)
			if (!strcmp(list[i].release, rel))
				ri = &list[i];
		if (ri && ri->created >= created)
			continue; /* keep the newest image of a release */
		if (!ri) {
			list = nd_realloc(list, (nr + 1) * sizeof(*list));
			ri = &list[nr++];
			memset(ri, 0, sizeof(*ri));
			ri->release = nd_strdup(rel);
		}
		free(ri->image);
		free(ri->image_id);
		ri->image = nd_strdup(
			image_display(img, shortid, sizeof(shortid)));
		ri->image_id = nd_strdup(nd_json_str(img, "Id") ?: "");
		ri->created = created;
		ri->size = nd_json_num(img, "Size", 0);
	}
	for (size_t i = 0; i < nr; i++) {
		struct nd_release_info *ri = &list[i];
		cJSON *full = NULL;

		/* the list has whole seconds; inspect has nanoseconds */
		if (nd_image_inspect(e, ri->image_id, &full, err) == 0) {
			double t = nd_parse_rfc3339(
				nd_json_str(full, "Created"));

			if (t > 0)
				ri->created = t;
		} else {
			nd_error_release(err);
		}
		cJSON_Delete(full);
		ri->status = "";
		if (st && st->have_record) {
			if (nd_streq(st->rec.release, ri->release))
				ri->status = st->proxy_running ? "live" :
								 "stopped";
			else if (nd_strvec_contains(&st->rec.failed,
						    ri->release))
				ri->status = "failed";
			else if (nd_strvec_contains(&st->rec.history,
						    ri->release))
				ri->status = "previous";
		}
	}
	/* stable: images of the same second keep the engine's order */
	for (size_t i = 1; i < nr; i++)
		for (size_t j = i;
		     j > 0 && by_created_desc(&list[j - 1], &list[j]) > 0;
		     j--) {
			struct nd_release_info tmp = list[j];

			list[j] = list[j - 1];
			list[j - 1] = tmp;
		}
	*out = list;
	*n = nr;
	list = NULL;
	nr = 0;
done:
	nd_releases_free(list, nr);
	cJSON_Delete(imgs);
	return r;
}

int nd_rollback_target(char **out, struct nd_engine *e, const char *app,
		       const struct nd_app_state *st, struct nd_error *err)
{
	struct nd_release_info *list = NULL;
	size_t n = 0;
	const char *live = st->have_record ? st->rec.release : NULL;
	int r = nd_releases_list(&list, &n, e, app, st, err);

	if (r < 0)
		return r;
	/* the history first: what was live before, newest first */
	for (size_t h = 0; st->have_record && h < st->rec.history.nr; h++) {
		const char *rel = st->rec.history.items[h];

		if (nd_streq(rel, live))
			continue;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(list[i].release, rel)) {
				*out = nd_strdup(rel);
				goto done;
			}
	}
	/* no history (a lost proxy): the newest other image that did not fail */
	for (size_t i = 0; i < n; i++) {
		if (nd_streq(list[i].release, live) ||
		    !strcmp(list[i].status, "failed"))
			continue;
		if (!live)
			break; /* nothing live: no "previous" to go back to */
		*out = nd_strdup(list[i].release);
		goto done;
	}
	r = nd_error_set(err, ND_ENOTFOUND,
			 "'%s' has no previous release to roll back to", app);
	nd_error_hint(
		err,
		"see 'nextdeploy releases', then 'nextdeploy rollback RELEASE'");
done:
	nd_releases_free(list, n);
	return r;
}

/* --- the edge proxy --- */

static void ui_note(const struct nd_deploy_ui *ui, int level, const char *fmt,
		    ...) ND_PRINTF(3, 4);
static void ui_note(const struct nd_deploy_ui *ui, int level, const char *fmt,
		    ...)
{
	va_list ap;
	struct nd_buf b = ND_BUF_INIT;

	if (!ui || !ui->note)
		return;
	va_start(ap, fmt);
	nd_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ui->note(ui->ud, level, b.buf);
	nd_buf_release(&b);
}

static void split_domains(struct nd_strvec *out, const char *s)
{
	while (s && *s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char *d = nd_strndup(s, len);

		/* labels can be set by anyone with engine access: check again */
		if (nd_domain_valid(d))
			nd_strvec_push_nodup(out, d);
		else
			free(d);
		s = comma ? comma + 1 : NULL;
	}
}

static enum nd_tls_mode tls_from_label(const char *s)
{
	if (nd_streq(s, "internal"))
		return ND_TLS_INTERNAL;
	if (nd_streq(s, "off"))
		return ND_TLS_OFF;
	return ND_TLS_AUTO;
}

static int edge_sites(struct nd_edge_site **out, size_t *n, struct nd_engine *e,
		      struct nd_error *err)
{
	struct nd_filters f = ND_FILTERS_INIT;
	struct nd_edge_site *sites = NULL;
	size_t ns = 0;
	cJSON *list = NULL;
	const cJSON *c;
	int r;

	nd_filters_add(&f, "label", "nextdeploy.managed=true");
	nd_filters_add(&f, "label", "nextdeploy.service=proxy");
	nd_filters_add(&f, "label", "nextdeploy.domains");
	if ((r = nd_containers_list(e, true, &f, &list, err)) < 0)
		goto done;
	cJSON_ArrayForEach(c, list) {
		const char *app = nd_json_label(c, "nextdeploy.app");
		const char *domains = nd_json_label(c, "nextdeploy.domains");
		struct nd_edge_site s = { 0 };

		if (!app || !nd_app_name_valid(app) || !domains || !*domains)
			continue;
		split_domains(&s.domains, domains);
		if (!s.domains.nr) {
			nd_strvec_release(&s.domains);
			continue;
		}
		s.app = nd_strdup(app);
		s.upstream = nd_xprintf("nd-%s-proxy:%d", app,
					ND_PROXY_HTTP_PORT);
		s.tls = tls_from_label(nd_json_label(c, "nextdeploy.tls"));
		sites = nd_realloc(sites, (ns + 1) * sizeof(*sites));
		sites[ns++] = s;
	}
	*out = sites;
	*n = ns;
done:
	cJSON_Delete(list);
	nd_filters_release(&f);
	return r;
}

static int edge_create(struct nd_engine *e, const struct nd_project *p,
		       const char *image, const char *config, char **id_out,
		       struct nd_error *err)
{
	long http = p->deploy.proxy.http_port ? p->deploy.proxy.http_port : 80;
	long https = p->deploy.proxy.https_port ? p->deploy.proxy.https_port :
						  443;
	cJSON *body = cJSON_CreateObject(), *labels, *hc, *pb, *ep, *mounts, *m;
	char port[32];
	char *id = NULL;
	int r;

	cJSON_AddStringToObject(body, "Image", image);
	cJSON_AddItemToObject(
		body, "Cmd",
		cJSON_CreateStringArray(
			(const char *const[]){ "caddy", "run", "--config",
					       ND_CADDY_FILE, "--adapter",
					       "caddyfile" },
			6));
	labels = nd_infra_labels(ND_EDGE_APP);
	cJSON_AddStringToObject(labels, "nextdeploy.service", "proxy");
	snprintf(port, sizeof(port), "%ld", http);
	cJSON_AddStringToObject(labels, "nextdeploy.http_port", port);
	snprintf(port, sizeof(port), "%ld", https);
	cJSON_AddStringToObject(labels, "nextdeploy.https_port", port);
	cJSON_AddItemToObject(body, "Labels", labels);
	ep = cJSON_AddObjectToObject(body, "ExposedPorts");
	cJSON_AddObjectToObject(ep, "80/tcp");
	cJSON_AddObjectToObject(ep, "443/tcp");
	hc = cJSON_AddObjectToObject(body, "HostConfig");
	cJSON_AddStringToObject(hc, "NetworkMode", ND_EDGE_NETWORK);
	nd_infra_proxy_host_config(e, hc);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(hc, "RestartPolicy"),
				"Name", "unless-stopped");
	pb = cJSON_AddObjectToObject(hc, "PortBindings");
	snprintf(port, sizeof(port), "%ld", http);
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "HostPort", port);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(pb, "80/tcp"), m);
	snprintf(port, sizeof(port), "%ld", https);
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "HostPort", port);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(pb, "443/tcp"), m);
	/* the CA and the certificates: a new volume means a new CA */
	mounts = cJSON_AddArrayToObject(hc, "Mounts");
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "Type", "volume");
	cJSON_AddStringToObject(m, "Source", ND_EDGE_VOLUME);
	cJSON_AddStringToObject(m, "Target", "/data");
	cJSON_AddItemToArray(mounts, m);
	r = nd_container_create(e, ND_EDGE_NAME, body, &id, err);
	cJSON_Delete(body);
	if (r < 0)
		return nd_error_wrap(err, "creating the edge proxy");
	if ((r = nd_infra_proxy_put(e, id, config, NULL, err)) < 0 ||
	    (r = nd_container_start(e, id, err)) < 0) {
		free(id);
		return nd_error_wrap(err, "starting the edge proxy");
	}
	*id_out = id;
	return 0;
}

int nd_edge_sync(struct nd_engine *e, const struct nd_project *p,
		 const struct nd_deploy_ui *ui,
		 volatile sig_atomic_t *interrupted, struct nd_error *err)
{
	struct nd_lock lock = ND_LOCK_INIT;
	struct nd_lock_opts lo = { 0 };
	struct nd_edge_site *sites = NULL;
	size_t nsites = 0;
	struct nd_buf config = ND_BUF_INIT;
	const char *image = nd_project_proxy_image(p);
	cJSON *edge = NULL;
	char *id = NULL;
	bool running;
	int r;

	if ((r = edge_sites(&sites, &nsites, e, err)) < 0)
		goto done;
	r = nd_container_inspect(e, ND_EDGE_NAME, &edge, err);
	if (r == ND_ENOTFOUND) {
		nd_error_release(err);
		edge = NULL;
		r = 0;
		if (!nsites)
			goto done; /* nothing to serve, nothing running */
	} else if (r < 0) {
		goto done;
	} else if (!nd_infra_owned(edge, ND_EDGE_APP)) {
		r = nd_error_set(
			err, ND_ECONFLICT,
			"a container named '%s' exists but was not created by nextdeploy",
			ND_EDGE_NAME);
		goto done;
	}
	if ((r = nd_infra_image_ensure(e, image, NULL, err)) < 0)
		goto done;
	/* two apps deploying at once must not lose each other's routes */
	lo.name = ND_EDGE_LOCK;
	lo.app = ND_EDGE_APP;
	lo.image = image;
	lo.command = "nextdeploy (edge proxy update)";
	lo.wait_ms = 120000;
	lo.interrupted = interrupted;
	if ((r = nd_lock_acquire(&lock, e, &lo, err)) < 0)
		goto done;
	/* read again under the lock */
	for (size_t i = 0; i < nsites; i++)
		nd_edge_site_release(&sites[i]);
	free(sites);
	sites = NULL;
	if ((r = edge_sites(&sites, &nsites, e, err)) < 0)
		goto done;
	cJSON_Delete(edge);
	edge = NULL;
	r = nd_container_inspect(e, ND_EDGE_NAME, &edge, err);
	if (r == ND_ENOTFOUND) {
		nd_error_release(err);
		edge = NULL;
		r = 0;
	} else if (r < 0) {
		goto done;
	}
	if (!nsites) {
		if (edge) {
			r = nd_infra_container_discard(
				e, nd_json_str(edge, "Id"), 10, err);
			if (r == 0)
				ui_note(ui, ND_V_INFO,
					"removed the edge proxy %s: no app has domains any more",
					ND_EDGE_NAME);
		}
		goto done;
	}
	nd_caddy_edge_config(&config, sites, nsites);
	if ((r = nd_infra_network_ensure(e, ND_EDGE_NETWORK, ND_EDGE_APP, NULL,
					 err)) < 0 ||
	    (r = nd_infra_volume_ensure(e, ND_EDGE_VOLUME, ND_EDGE_APP, err)) <
		    0)
		goto done;
	if (!edge) {
		if ((r = edge_create(e, p, image, config.buf, &id, err)) < 0)
			goto done;
		r = nd_infra_proxy_wait_ready(e, id, ND_PROXY_READY_MS,
					      interrupted, err);
		if (r == 0)
			ui_note(ui, ND_V_INFO, "created the edge proxy %s",
				ND_EDGE_NAME);
		goto done;
	}
	id = nd_strdup(nd_json_str(edge, "Id"));
	{
		const char *hp = nd_json_label(edge, "nextdeploy.http_port");
		const char *sp = nd_json_label(edge, "nextdeploy.https_port");
		long want_http = p->deploy.proxy.http_port ?: 80;
		long want_https = p->deploy.proxy.https_port ?: 443;

		if ((hp && atol(hp) != want_http) ||
		    (sp && atol(sp) != want_https))
			ui_note(ui, ND_V_WARNING,
				"the edge proxy already serves on ports %s/%s; deploy.proxy.http_port/https_port (%ld/%ld) apply only when it is first created",
				hp ? hp : "?", sp ? sp : "?", want_http,
				want_https);
	}
	running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(edge, "State"), "Running"));
	if ((r = nd_infra_proxy_put(e, id, config.buf, NULL, err)) < 0)
		goto done;
	if (running) {
		r = nd_infra_caddy_reload(e, id, err);
	} else {
		if ((r = nd_container_start(e, id, err)) == 0)
			r = nd_infra_proxy_wait_ready(e, id, ND_PROXY_READY_MS,
						      interrupted, err);
	}
done:
	if (r < 0)
		nd_error_wrap(err, "updating the edge proxy");
	if (lock.id) {
		struct nd_error e2 = ND_ERROR_INIT;

		if (nd_lock_release(&lock, &e2) < 0)
			ui_note(ui, ND_V_WARNING,
				"cannot release the edge lock: %s", e2.msg);
		nd_error_release(&e2);
	}
	for (size_t i = 0; i < nsites; i++)
		nd_edge_site_release(&sites[i]);
	free(sites);
	nd_buf_release(&config);
	cJSON_Delete(edge);
	free(id);
	return r;
}
