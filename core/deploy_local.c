/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/deploy_local.h"
#include "core/buf.h"
#include "core/deploy_infra.h"
#include "core/deploy_int.h"
#include "core/envfile.h"
#include "core/output.h"
#include "core/project.h"
#include "docker/api.h"

#include <cjson/cJSON.h>
#include <unistd.h>

struct nd_local_priv {
	struct deploy d;
	struct nd_deploy_opts dopts;
	struct nd_deploy_result res;
};

/* After SIGKILL, how long a container may take to be reported stopped. */
#define KILL_WAIT_MS 10000
#define POLL_MS 100

static void note(struct nd_local *l, int level, const char *fmt, ...)
	ND_PRINTF(3, 4);
static void note(struct nd_local *l, int level, const char *fmt, ...)
{
	va_list ap;
	struct nd_buf b = ND_BUF_INIT;

	if (!l->o.ui.note)
		return;
	va_start(ap, fmt);
	nd_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	l->o.ui.note(l->o.ui.ud, level, b.buf);
	nd_buf_release(&b);
}

static char *my_host(void)
{
	char h[256];

	if (gethostname(h, sizeof(h)) < 0)
		return nd_strdup("unknown");
	h[sizeof(h) - 1] = '\0';
	return nd_strdup(h);
}

static bool running(const cJSON *c)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(c, "State");

	/* inspect: State.Running; a list summary: State "running" */
	if (cJSON_IsObject(st))
		return cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(st, "Running"));
	return nd_streq(nd_json_str(c, "State"), "running");
}

/* Started on this host by a process that is gone (SIGKILL, a crash)? */
static bool left_by_dead_process(const cJSON *c)
{
	const char *host = nd_json_label(c, "nextdeploy.local.host");
	const char *pid = nd_json_label(c, "nextdeploy.local.pid");
	char *me = my_host();
	long n = pid ? strtol(pid, NULL, 10) : 0;
	bool dead = n > 0 && nd_streq(host, me) && kill((pid_t)n, 0) < 0 &&
		    errno == ESRCH;

	free(me);
	return dead;
}

/*
 * Leftovers of earlier local runs of the app: stopped ones go; a running
 * one is another session (an error), unless its process is gone.
 */
static int clear_leftovers(struct nd_local *l, struct nd_error *err)
{
	struct nd_filters f = ND_FILTERS_INIT;
	cJSON *list = NULL;
	const cJSON *c;
	int r;

	nd_filters_project(&f, l->p->app);
	nd_filters_add(&f, "label", "nextdeploy.local=true");
	if ((r = nd_containers_list(l->e, true, &f, &list, err)) < 0)
		goto done;
	cJSON_ArrayForEach(c, list) {
		const char *name = nd_container_name(c);

		if (running(c)) {
			if (!left_by_dead_process(c)) {
				const char *pid = nd_json_label(
					c, "nextdeploy.local.pid");
				const char *host = nd_json_label(
					c, "nextdeploy.local.host");

				r = nd_error_set(
					err, ND_ECONFLICT,
					"a local run of '%s' is running already (%s, pid %s on %s)",
					l->p->app, name, pid ? pid : "?",
					host ? host : "?");
				nd_error_hint(
					err,
					"stop it with Ctrl-C where it runs (or 'nextdeploy stop' stops every container of the app)");
				goto done;
			}
			note(l, ND_V_WARNING,
			     "removing %s, left running by a local run that is gone (pid %s)",
			     name,
			     nd_json_label(c, "nextdeploy.local.pid") ?: "?");
		} else {
			note(l, ND_V_DEBUG,
			     "removing %s, left by an earlier local run", name);
		}
		r = nd_container_remove(l->e, nd_json_str(c, "Id"), true, true,
					err);
		if (r == ND_ENOTFOUND) {
			nd_error_release(err);
			r = 0;
		}
		if (r < 0) {
			nd_error_wrap(err, "removing '%s'", name);
			goto done;
		}
	}
	/* a container of the same name that is not a local one */
	for (size_t i = 0; i < l->nprocs; i++) {
		cJSON *x = NULL;
		struct nd_error e2 = ND_ERROR_INIT;

		if (nd_container_inspect(l->e, l->procs[i].name, &x, &e2) == 0) {
			r = nd_error_set(
				err, ND_ECONFLICT,
				"a container named '%s' exists and is not one of a local run",
				l->procs[i].name);
			cJSON_Delete(x);
			goto done;
		}
		nd_error_release(&e2);
	}
done:
	cJSON_Delete(list);
	nd_filters_release(&f);
	return r;
}

static int ensure_network(struct nd_local *l, struct nd_error *err)
{
	cJSON *net = NULL, *labels;
	int r = nd_network_inspect(l->e, l->network, &net, err);

	if (r == 0) {
		const cJSON *lab = cJSON_GetObjectItemCaseSensitive(net,
								    "Labels");

		if (!nd_streq(nd_json_str(lab, "nextdeploy.managed"), "true") ||
		    !nd_streq(nd_json_str(lab, "nextdeploy.app"), l->p->app))
			r = nd_error_set(
				err, ND_ECONFLICT,
				"a network named '%s' exists but was not created by nextdeploy",
				l->network);
		cJSON_Delete(net);
		return r;
	}
	if (r != ND_ENOTFOUND)
		return r;
	nd_error_release(err);
	labels = nd_infra_labels(l->p->app);
	cJSON_AddStringToObject(labels, "nextdeploy.local", "true");
	r = nd_network_create(l->e, l->network, labels, NULL, err);
	cJSON_Delete(labels);
	if (r == ND_ECONFLICT) {
		/* made at the same moment by someone else: fine */
		nd_error_release(err);
		return 0;
	}
	if (r == 0)
		l->network_created = true;
	return r;
}

static char *local_volume(const struct nd_local *l, const char *name)
{
	return nd_xprintf("nd-%s-local-%s", l->p->app, name);
}

static int ensure_volumes(struct nd_local *l, struct nd_error *err)
{
	for (size_t i = 0; i < l->p->deploy.nvolumes; i++) {
		char *v = local_volume(l, l->p->deploy.volumes[i].name);
		int r = nd_infra_volume_ensure(l->e, v, l->p->app, err);

		free(v);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The Procfile processes of the image (nextdeploy.processes). */
static int read_processes(struct nd_local *l, const cJSON *image, cJSON **out,
			  struct nd_error *err)
{
	const char *label = nd_json_label(image, "nextdeploy.processes");
	cJSON *procs, *it;

	*out = NULL;
	if (!label || !*label)
		return 0;
	procs = cJSON_Parse(label);
	if (!cJSON_IsObject(procs))
		goto bad;
	cJSON_ArrayForEach(it, procs) {
		const cJSON *a;

		if (!nd_app_name_valid(it->string) ||
		    !strcmp(it->string, "web") || !cJSON_IsArray(it) ||
		    !cJSON_GetArraySize(it))
			goto bad;
		cJSON_ArrayForEach(a, it)
			if (!cJSON_IsString(a))
				goto bad;
	}
	*out = procs;
	return 0;
bad:
	cJSON_Delete(procs);
	return nd_error_set(
		err, ND_EGENERIC,
		"the image '%s' has an invalid nextdeploy.processes label (a JSON object of process name to command list)",
		l->image);
}

static void add_proc(struct nd_local *l, const char *process)
{
	struct nd_local_proc *pr;

	l->procs = nd_realloc(l->procs, (l->nprocs + 1) * sizeof(*l->procs));
	pr = &l->procs[l->nprocs++];
	memset(pr, 0, sizeof(*pr));
	pr->process = nd_strdup(process);
	pr->name = nd_xprintf("nd-%s-local-%s", l->p->app, process);
	pr->web = !strcmp(process, "web");
}

/* `run`'s container configuration, made local: labels, volumes, ports. */
static cJSON *local_config(struct nd_local *l, const struct nd_local_proc *pr,
			   const cJSON *cmd)
{
	struct deploy *d = &l->priv->d;
	char *svc = nd_xprintf("local-%s", pr->process);
	cJSON *c = nd_dp_container_config(d, svc, NULL, 0, cmd, "no");
	cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
	cJSON *hc = cJSON_GetObjectItemCaseSensitive(c, "HostConfig");
	const cJSON *m;
	char pid[32], *host = my_host();
	size_t i = 0;

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	cJSON_DeleteItemFromObjectCaseSensitive(labels, "nextdeploy.deploy");
	cJSON_AddStringToObject(labels, "nextdeploy.local", "true");
	cJSON_AddStringToObject(labels, "nextdeploy.process", pr->process);
	cJSON_AddStringToObject(labels, "nextdeploy.local.host", host);
	cJSON_AddStringToObject(labels, "nextdeploy.local.pid", pid);
	/* the mounts are made in the order of deploy.volumes */
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(hc, "Mounts")) {
		char *v = local_volume(l, l->p->deploy.volumes[i++].name);

		cJSON_ReplaceItemInObjectCaseSensitive((cJSON *)m, "Source",
						       cJSON_CreateString(v));
		free(v);
	}
	if (pr->web) {
		char port[32], hport[24];
		cJSON *b = cJSON_CreateObject();
		const char *ip = l->o.host_ip;

		snprintf(port, sizeof(port), "%ld/tcp", l->port);
		if (l->o.host_port > 0)
			snprintf(hport, sizeof(hport), "%ld", l->o.host_port);
		else
			hport[0] = '\0';
		if (!ip && l->e->kind == ND_ENGINE_UNIX)
			ip = "127.0.0.1";
		if (ip)
			cJSON_AddStringToObject(b, "HostIp", ip);
		cJSON_AddStringToObject(b, "HostPort", hport);
		cJSON_AddObjectToObject(
			cJSON_AddObjectToObject(c, "ExposedPorts"), port);
		cJSON_AddItemToArray(
			cJSON_AddArrayToObject(
				cJSON_AddObjectToObject(hc, "PortBindings"),
				port),
			b);
	}
	free(svc);
	free(host);
	return c;
}

static int create_all(struct nd_local *l, const cJSON *procs,
		      struct nd_error *err)
{
	struct deploy *d = &l->priv->d;

	for (size_t i = 0; i < l->nprocs; i++) {
		struct nd_local_proc *pr = &l->procs[i];
		const cJSON *cmd = pr->web ? NULL :
					     cJSON_GetObjectItemCaseSensitive(
						     procs, pr->process);
		cJSON *cfg = local_config(l, pr, cmd);
		int r = nd_dp_create_container(d, pr->name, cfg, &pr->id, err);

		cJSON_Delete(cfg);
		if (r < 0)
			return r;
		note(l, ND_V_DEBUG, "created %s", pr->name);
	}
	/* the health gate's one replica: the web process */
	d->reps = nd_calloc(1, sizeof(*d->reps));
	d->nreps = 1;
	d->reps[0].n = 1;
	d->reps[0].name = nd_strdup(l->procs[0].name);
	d->reps[0].create_name = nd_strdup(l->procs[0].name);
	d->reps[0].id = nd_strdup(l->procs[0].id);
	nd_buf_init(&d->reps[0].last_probe, 8192);
	return 0;
}

int nd_local_check(const struct nd_project *p, struct nd_error *err)
{
	struct nd_secrets sec = ND_SECRETS_INIT;
	struct nd_kvlist env = ND_KVLIST_INIT;
	int r = nd_secrets_load(&sec, p, err);

	nd_secrets_release(&sec);
	if (r == 0 && p->deploy.env_file) {
		char *path = p->deploy.env_file[0] == '/' ?
				     nd_strdup(p->deploy.env_file) :
				     nd_xprintf("%s/%s", p->dir,
						p->deploy.env_file);

		r = nd_envfile_load(&env, path, err);
		free(path);
	}
	nd_kvlist_release(&env);
	return r;
}

int nd_local_create(struct nd_local **out, struct nd_engine *e,
		    const struct nd_project *p, const struct nd_local_opts *o,
		    struct nd_error *err)
{
	struct nd_local *l = nd_calloc(1, sizeof(*l));
	struct deploy *d;
	cJSON *procs = NULL, *it;
	int r;

	l->e = e;
	l->p = p;
	l->o = *o;
	l->priv = nd_calloc(1, sizeof(*l->priv));
	l->network = nd_xprintf("nd-%s-local", p->app);
	d = &l->priv->d;
	l->priv->dopts.release = o->release;
	l->priv->dopts.interrupted = o->interrupted;
	l->priv->dopts.ui = o->ui;
	d->e = e;
	d->p = p;
	d->o = &l->priv->dopts;
	d->res = &l->priv->res;
	d->app = p->app;
	d->t0 = nd_now_ms();
	d->net = nd_strdup(l->network);
	d->deploy_id = nd_strdup("local");
	d->lock = (struct nd_lock)ND_LOCK_INIT;

	/* everything that can be checked before changing anything */
	if ((r = nd_dp_prepare(d, err)) < 0)
		goto fail;
	l->release = nd_strdup(d->release);
	l->image = nd_strdup(d->image_ref);
	l->port = d->port;
	l->gate = nd_strdup(d->gate.source);
	if ((r = read_processes(l, d->image, &procs, err)) < 0)
		goto fail;
	add_proc(l, "web");
	cJSON_ArrayForEach(it, procs)
		add_proc(l, it->string);
	if (o->interrupted && *o->interrupted) {
		r = nd_error_set(err, ND_EINTERRUPTED, "interrupted");
		goto fail;
	}
	if ((r = clear_leftovers(l, err)) < 0)
		goto fail; /* another session's network is not ours to remove */
	if ((r = ensure_network(l, err)) < 0 ||
	    (r = ensure_volumes(l, err)) < 0 ||
	    (r = create_all(l, procs, err)) < 0)
		goto undo;
	cJSON_Delete(procs);
	*out = l;
	return 0;
undo : {
	struct nd_error keep = ND_ERROR_INIT;

	/* what was made goes again; the first error is the one reported */
	nd_error_move(&keep, err);
	nd_local_remove(l);
	nd_error_move(err, &keep);
}
fail:
	cJSON_Delete(procs);
	nd_local_free(l);
	return r;
}

int nd_local_start(struct nd_local *l, struct nd_error *err)
{
	struct deploy *d = &l->priv->d;
	cJSON *c = NULL;
	char *port, *host;
	long hp;
	int r;

	for (size_t i = 0; i < l->nprocs; i++) {
		if ((r = nd_container_start(l->e, l->procs[i].id, err)) < 0)
			return nd_error_wrap(err, "starting '%s'",
					     l->procs[i].name);
		if (l->procs[i].web)
			d->reps[0].started_ms = nd_now_ms();
	}
	if ((r = nd_container_inspect(l->e, l->procs[0].id, &c, err)) < 0)
		return r;
	port = nd_xprintf("%ld/tcp", l->port);
	hp = nd_infra_published_port(c, port);
	free(port);
	cJSON_Delete(c);
	if (hp <= 0)
		return 0; /* exited already: the gate says why */
	host = l->o.host_ip && strcmp(l->o.host_ip, "0.0.0.0") &&
			       strcmp(l->o.host_ip, "::") ?
		       nd_strdup(l->o.host_ip) :
		       nd_engine_public_host(l->e);
	free(l->url);
	l->url = strchr(host, ':') && host[0] != '[' ?
			 nd_xprintf("http://[%s]:%ld/", host, hp) :
			 nd_xprintf("http://%s:%ld/", host, hp);
	free(host);
	return 0;
}

int nd_local_gate(struct nd_local *l, struct nd_error *err)
{
	struct deploy *d = &l->priv->d;
	struct replica *rp = &d->reps[0];
	int r = nd_dp_health_gate(d, err);

	if (r == ND_EGENERIC && !err->code) {
		nd_str_replace(&l->fail_reason,
			       rp->fail_reason ? rp->fail_reason : "unhealthy");
		nd_str_replace(&l->probe_output,
			       rp->last_probe.len ? rp->last_probe.buf : NULL);
		r = nd_error_set(err, ND_EGENERIC,
				 "%s failed its health check: %s",
				 l->procs[0].name, l->fail_reason);
	}
	return r;
}

int nd_local_exited(struct nd_local *l, size_t *idx, long *code,
		    struct nd_error *err)
{
	for (size_t i = 0; i < l->nprocs; i++) {
		cJSON *c = NULL;
		int r = nd_container_inspect(l->e, l->procs[i].id, &c, err);

		if (r == ND_ENOTFOUND) {
			/* removed under us (nextdeploy down, docker rm) */
			nd_error_release(err);
			*idx = i;
			*code = -1;
			return 1;
		}
		if (r < 0)
			return r;
		if (!running(c)) {
			*idx = i;
			*code = (long)nd_json_num(
				cJSON_GetObjectItemCaseSensitive(c, "State"),
				"ExitCode", -1);
			cJSON_Delete(c);
			return 1;
		}
		cJSON_Delete(c);
	}
	return 0;
}

/* Which containers still run; their count. */
static size_t still_running(struct nd_local *l, bool *run)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nprocs; i++) {
		struct nd_error e2 = ND_ERROR_INIT;
		cJSON *c = NULL;

		if (!run[i])
			continue;
		if (nd_container_inspect(l->e, l->procs[i].id, &c, &e2) < 0 ||
		    !running(c))
			run[i] = false;
		else
			n++;
		cJSON_Delete(c);
		nd_error_release(&e2);
	}
	return n;
}

static void send_all(struct nd_local *l, const bool *run, bool kill_them)
{
	for (size_t i = 0; i < l->nprocs; i++) {
		struct nd_error e2 = ND_ERROR_INIT;
		cJSON *c = NULL;
		const char *sig = "SIGKILL";

		if (!run[i])
			continue;
		if (!kill_them &&
		    nd_container_inspect(l->e, l->procs[i].id, &c, &e2) == 0) {
			sig = nd_json_str(
				cJSON_GetObjectItemCaseSensitive(c, "Config"),
				"StopSignal");
			if (!sig || !*sig)
				sig = "SIGTERM";
		}
		nd_error_release(&e2);
		/* 409: it stopped in between */
		if (nd_container_kill(l->e, l->procs[i].id, sig, &e2) < 0 &&
		    e2.code != ND_ECONFLICT && e2.code != ND_ENOTFOUND)
			note(l, ND_V_WARNING, "cannot signal %s: %s",
			     l->procs[i].name, e2.msg);
		nd_error_release(&e2);
		cJSON_Delete(c);
	}
}

int nd_local_stop(struct nd_local *l, int64_t timeout_ms,
		  bool (*force)(void *ud), void *ud, bool *forced,
		  struct nd_error *err)
{
	bool *run = nd_calloc(l->nprocs ? l->nprocs : 1, sizeof(*run));
	double deadline = nd_now_ms() + (double)timeout_ms, kill_deadline = 0;
	bool killed = false;
	int r = 0;

	for (size_t i = 0; i < l->nprocs; i++)
		run[i] = l->procs[i].id != NULL;
	if (!still_running(l, run))
		goto done;
	send_all(l, run, false);
	for (;;) {
		double now;

		usleep(POLL_MS * 1000);
		if (!still_running(l, run))
			break;
		now = nd_now_ms();
		if (!killed && ((force && force(ud)) || now >= deadline)) {
			if (now >= deadline)
				note(l, ND_V_WARNING,
				     "still running after %.0fs: killing",
				     (double)timeout_ms / 1000);
			send_all(l, run, true);
			killed = true;
			kill_deadline = now + KILL_WAIT_MS;
		} else if (killed && now >= kill_deadline) {
			r = nd_error_set(
				err, ND_ETIMEOUT,
				"the containers did not stop, even after SIGKILL");
			break;
		}
	}
done:
	free(run);
	if (forced)
		*forced = killed;
	return r;
}

int nd_local_remove(struct nd_local *l)
{
	int failures = 0;

	for (size_t i = 0; i < l->nprocs; i++) {
		struct nd_error e2 = ND_ERROR_INIT;

		if (!l->procs[i].id)
			continue;
		/* with its anonymous volumes (v=1); named ones are kept */
		if (nd_container_remove(l->e, l->procs[i].id, true, true, &e2) <
			    0 &&
		    e2.code != ND_ENOTFOUND) {
			note(l, ND_V_WARNING, "cannot remove %s: %s",
			     l->procs[i].name, e2.msg);
			failures++;
		} else {
			note(l, ND_V_DEBUG, "removed %s", l->procs[i].name);
		}
		nd_error_release(&e2);
	}
	{
		struct nd_error e2 = ND_ERROR_INIT;

		if (nd_network_remove(l->e, l->network, &e2) < 0 &&
		    e2.code != ND_ENOTFOUND) {
			note(l, ND_V_WARNING,
			     "cannot remove the network %s: %s", l->network,
			     e2.msg);
			failures++;
		} else {
			note(l, ND_V_DEBUG, "removed the network %s",
			     l->network);
		}
		nd_error_release(&e2);
	}
	return failures;
}

void nd_local_free(struct nd_local *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nprocs; i++) {
		free(l->procs[i].process);
		free(l->procs[i].name);
		free(l->procs[i].id);
	}
	free(l->procs);
	free(l->network);
	free(l->release);
	free(l->image);
	free(l->url);
	free(l->gate);
	free(l->fail_reason);
	free(l->probe_output);
	if (l->priv) {
		nd_dp_release(&l->priv->d);
		nd_deploy_result_release(&l->priv->res);
		free(l->priv);
	}
	free(l);
}
