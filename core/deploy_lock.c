/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/deploy_lock.h"
#include "core/output.h"
#include "docker/api.h"

#include <cjson/cJSON.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

void nd_lock_holder_release(struct nd_lock_holder *h)
{
	if (!h)
		return;
	free(h->id);
	free(h->host);
	free(h->user);
	free(h->command);
	memset(h, 0, sizeof(*h));
}

static char *my_host(void)
{
	char h[256];

	if (gethostname(h, sizeof(h)) < 0)
		return nd_strdup("unknown");
	h[sizeof(h) - 1] = '\0';
	return nd_strdup(h);
}

static char *my_user(void)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
		return nd_strdup(res->pw_name);
	return nd_xprintf("%u", (unsigned)getuid());
}

int nd_lock_inspect(struct nd_lock_holder *out, struct nd_engine *e,
		    const char *name, struct nd_error *err)
{
	struct nd_lock_holder h = { 0 };
	cJSON *c = NULL;
	const char *v;
	char *me;
	int r = nd_container_inspect(e, name, &c, err);

	if (r < 0)
		return r;
	h.id = nd_strdup(nd_json_str(c, "Id") ?: name);
	h.host = nd_strdup(nd_json_label(c, "nextdeploy.lock.host") ?: "?");
	h.user = nd_strdup(nd_json_label(c, "nextdeploy.lock.user") ?: "?");
	h.command = nd_strdup(nd_json_label(c, "nextdeploy.lock.command") ?:
									    "?");
	v = nd_json_label(c, "nextdeploy.lock.pid");
	h.pid = v ? strtol(v, NULL, 10) : 0;
	v = nd_json_label(c, "nextdeploy.lock.started");
	h.started = v ? strtod(v, NULL) : 0;
	if (!h.started)
		h.started = nd_parse_rfc3339(nd_json_str(c, "Created"));
	me = my_host();
	if (h.pid > 0 && !strcmp(me, h.host) && kill((pid_t)h.pid, 0) < 0 &&
	    errno == ESRCH)
		h.stale = true;
	if (h.started > 0 &&
	    difftime(time(NULL), (time_t)h.started) > ND_LOCK_MAX_AGE_S)
		h.probably_stale = true;
	free(me);
	cJSON_Delete(c);
	*out = h;
	return 0;
}

char *nd_lock_holder_describe(const struct nd_lock_holder *h)
{
	char ago[64] = "at an unknown time";

	if (h->started > 0)
		nd_format_ago(ago, sizeof(ago),
			      difftime(time(NULL), (time_t)h->started));
	return nd_xprintf("pid %ld of %s on %s, since %s: %s", h->pid, h->user,
			  h->host, ago, h->command);
}

static int try_create(struct nd_lock *l, struct nd_engine *e,
		      const struct nd_lock_opts *o, struct nd_error *err)
{
	cJSON *body = cJSON_CreateObject(), *labels, *hc;
	char *host = my_host(), *user = my_user();
	char pid[32], started[32], cmd[201];
	char *id = NULL;
	int r;

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	snprintf(started, sizeof(started), "%lld", (long long)time(NULL));
	snprintf(cmd, sizeof(cmd), "%s", o->command ? o->command : "nextdeploy");
	cJSON_AddStringToObject(body, "Image", o->image);
	cJSON_AddItemToObject(
		body, "Cmd",
		cJSON_CreateStringArray(
			(const char *const[]){ "nextdeploy-lock" }, 1));
	labels = cJSON_AddObjectToObject(body, "Labels");
	cJSON_AddStringToObject(labels, "nextdeploy.managed", "true");
	cJSON_AddStringToObject(labels, "nextdeploy.app", o->app);
	cJSON_AddStringToObject(labels, "nextdeploy.service", "lock");
	cJSON_AddStringToObject(labels, "nextdeploy.lock.host", host);
	cJSON_AddStringToObject(labels, "nextdeploy.lock.pid", pid);
	cJSON_AddStringToObject(labels, "nextdeploy.lock.user", user);
	cJSON_AddStringToObject(labels, "nextdeploy.lock.started", started);
	cJSON_AddStringToObject(labels, "nextdeploy.lock.command", cmd);
	hc = cJSON_AddObjectToObject(body, "HostConfig");
	cJSON_AddStringToObject(hc, "NetworkMode", "none");
	r = nd_container_create(e, o->name, body, &id, err);
	if (r == 0) {
		l->e = e;
		l->name = nd_strdup(o->name);
		l->id = id;
	}
	cJSON_Delete(body);
	free(host);
	free(user);
	return r;
}

static int remove_by_id(struct nd_engine *e, const char *id,
			struct nd_error *err)
{
	int r = nd_container_remove(e, id, true, false, err);

	if (r == ND_ENOTFOUND) {
		nd_error_release(err);
		r = 0;
	}
	return r;
}

int nd_lock_acquire(struct nd_lock *out, struct nd_engine *e,
		    const struct nd_lock_opts *o, struct nd_error *err)
{
	struct timespec t0, now;
	bool waited = false, forced = false;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct nd_lock_holder h = { 0 };
		char *who;
		double elapsed_ms;

		if (o->interrupted && *o->interrupted)
			return nd_error_set(err, ND_EINTERRUPTED, "interrupted");
		r = try_create(out, e, o, err);
		if (r != ND_ECONFLICT)
			return r;
		nd_error_release(err);
		r = nd_lock_inspect(&h, e, o->name, err);
		if (r == ND_ENOTFOUND) {
			/* released between our create and inspect: try again */
			nd_error_release(err);
			continue;
		}
		if (r < 0)
			return r;
		if (h.stale || (o->force_break && !forced)) {
			if (o->on_event)
				o->on_event(o->ud,
					    h.stale ? ND_LOCK_BROKE_STALE :
						      ND_LOCK_BROKE_FORCED,
					    &h);
			forced = forced || !h.stale;
			r = remove_by_id(e, h.id, err);
			nd_lock_holder_release(&h);
			if (r < 0)
				return r;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed_ms = (now.tv_sec - t0.tv_sec) * 1000.0 +
			     (now.tv_nsec - t0.tv_nsec) / 1e6;
		if (elapsed_ms >= (double)o->wait_ms) {
			who = nd_lock_holder_describe(&h);
			r = nd_error_set(
				err, ND_ELOCKED,
				"'%s' is locked by another deploy (%s)%s",
				o->app, who,
				waited ? " and the wait is over" : "");
			if (h.probably_stale)
				nd_error_hint(
					err,
					"the lock is older than an hour and is probably stale; if no deploy is running, break it with --break-lock");
			else if (!o->wait_ms)
				nd_error_hint(
					err,
					"wait for it with --lock-wait 5m; if no deploy is running, break it with --break-lock");
			else
				nd_error_hint(
					err,
					"if no deploy is running, break it with --break-lock");
			free(who);
			nd_lock_holder_release(&h);
			return r;
		}
		if (!waited && o->on_event)
			o->on_event(o->ud, ND_LOCK_WAITING, &h);
		waited = true;
		nd_lock_holder_release(&h);
		for (int i = 0; i < 10; i++) {
			if (o->interrupted && *o->interrupted)
				break;
			usleep(100 * 1000);
		}
	}
}

int nd_lock_release(struct nd_lock *l, struct nd_error *err)
{
	int r = 0;

	if (!l || !l->id)
		return 0;
	r = remove_by_id(l->e, l->id, err);
	free(l->id);
	free(l->name);
	l->id = NULL;
	l->name = NULL;
	return r;
}
