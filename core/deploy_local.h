/* SPDX-License-Identifier: MIT */
#ifndef ND_DEPLOY_LOCAL_H
#define ND_DEPLOY_LOCAL_H

#include "core/common.h"
#include "core/deploy.h"
#include "core/error.h"

#include <signal.h>

struct nd_engine;
struct nd_project;

/*
 * `local run`: a built release run on the engine, attached and temporary,
 * beside -- never instead of -- a deployment of the same app. Library
 * code: cmd/local_run.c streams the output, waits and reports.
 *
 * What it makes, labeled nextdeploy.managed=true and nextdeploy.app=<app>:
 *  - the network nd-<app>-local (also nextdeploy.local=true) (the deployment's nd-<app> is never joined,
 *    so none of its names or aliases can resolve to a local container);
 *  - nd-<app>-local-web, the image's own command, its app port published
 *    on the host (opts.host_port, 0: a free port the engine picks; on
 *    127.0.0.1 when the engine is on this machine's socket);
 *  - nd-<app>-local-<type> for each Procfile process of the image (the
 *    nextdeploy.processes label), with its command;
 *  - the named volumes deploy.volumes as nd-<app>-local-<name>: kept
 *    between local runs, never the deployment's nd-<app>-<name>.
 * Containers carry nextdeploy.local=true, nextdeploy.service=local-<type>,
 * nextdeploy.process,
 * nextdeploy.release and who runs them (nextdeploy.local.host,
 * nextdeploy.local.pid), so that `ps`, `logs local-web` and `exec
 * local-web` reach them and a deploy's drain, which works on service web,
 * never does. Environment (env_file, env, PORT), secrets (variables and
 * /run/secrets files) and resources are `run`'s; there is no restart policy
 * (an exit ends the session), no proxy, no deploy lock (nothing of the
 * deployment is touched, so a deploy must not wait hours for an attached
 * session) and no deploy hooks.
 *
 * Leftovers: a stopped nd-<app>-local-* container (from --keep) is
 * replaced; a running one is an ND_ECONFLICT error ("a local run of 'shop'
 * is running"), unless the process that started it, on this host, is gone
 * (killed with SIGKILL): then it is removed with a warning.
 */

struct nd_local_opts {
	const char *release; /* the release to run (built just before) */
	const char *host_ip; /* NULL: 127.0.0.1 on a local socket, else all */
	long host_port;	     /* 0: the engine picks */
	volatile sig_atomic_t *interrupted;
	struct nd_deploy_ui ui;
};

struct nd_local_proc {
	char *process; /* "web", "worker" */
	char *name;    /* nd-<app>-local-<process> */
	char *id;      /* once created */
	bool web;
};

struct nd_local_priv;

struct nd_local {
	struct nd_engine *e;
	const struct nd_project *p;
	struct nd_local_opts o;
	struct nd_local_proc *procs;
	size_t nprocs;
	char *network;
	bool network_created;
	char *release;
	char *image;
	long port;  /* the app's port in the container */
	char *url;  /* once started */
	char *gate; /* how health is decided */
	/* after a failed health gate */
	char *fail_reason;
	char *probe_output;
	struct nd_local_priv *priv;
};

/*
 * What can be checked before building: the secrets can be read and the
 * env_file parses (ND_EPROJECT at their position in the project file).
 */
int nd_local_check(const struct nd_project *p, struct nd_error *err);

/*
 * Check everything (the release's image, port, env_file, secrets, the
 * health gate: ND_EPROJECT errors change nothing), clear leftovers, make
 * the network and volumes, create the containers (not started: attach
 * before starting, so that no output is missed).
 */
int nd_local_create(struct nd_local **out, struct nd_engine *e,
		    const struct nd_project *p, const struct nd_local_opts *o,
		    struct nd_error *err);

/* Start every container; then l->url is where the web process answers. */
int nd_local_start(struct nd_local *l, struct nd_error *err);

/*
 * The health gate of the web process (core/deploy_probe.h, as `run`).
 * ND_EGENERIC when it failed (l->fail_reason, l->probe_output);
 * ND_EINTERRUPTED when *o.interrupted became set.
 */
int nd_local_gate(struct nd_local *l, struct nd_error *err);

/*
 * The first process that is not running: its index and exit code. 1 when
 * one stopped, 0 when all run.
 */
int nd_local_exited(struct nd_local *l, size_t *idx, long *code,
		    struct nd_error *err);

/*
 * Stop every running container: its stop signal (STOPSIGNAL, else
 * SIGTERM), then SIGKILL after timeout_ms, or at once when force(ud)
 * says so (a second Ctrl-C). *forced says whether SIGKILL was sent.
 * Waits until they are stopped (never longer than timeout_ms + 10 s).
 */
int nd_local_stop(struct nd_local *l, int64_t timeout_ms,
		  bool (*force)(void *ud), void *ud, bool *forced,
		  struct nd_error *err);

/*
 * Remove the containers (killing any still running, with their anonymous
 * volumes) and the network nd-<app>-local. Every failure is a warning
 * through the ui; returns how many.
 */
int nd_local_remove(struct nd_local *l);

void nd_local_free(struct nd_local *l);

#endif
