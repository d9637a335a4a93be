/* SPDX-License-Identifier: MIT */
#ifndef ND_DEPLOY_H
#define ND_DEPLOY_H

#include "core/common.h"
#include "core/error.h"
#include "core/kv.h"
#include "core/deploy_proxy.h"

#include <signal.h>

struct cJSON;
struct nd_engine;
struct nd_project;

/*
 * Deploying a release: `run` and `rollback` (and the state `releases`,
 * `start`, `stop`, `restart` and `down` read). Library code: it reports
 * through the callbacks in struct nd_deploy_ui and never prints.
 *
 * What `run` deploys: an image that exists on the engine, labeled
 * nextdeploy.app=<app> (HACKING.md "Image labels") -- the newest one, or
 * the one labeled nextdeploy.release=<--release>. (`run --build` builds it
 * first through core/app_build.h, in cmd/run.c, and passes the release.)
 *
 * The sequence, and what is changed when:
 *  1. Read and check everything (image, port, env_file, secrets, health
 *     gate): an error here changes nothing (exit 2 for project input).
 *  2. Take the deploy lock (core/deploy_lock.h), read the live state.
 *  3. Run the pre-deploy hook; non-zero stops the deploy, nothing changed.
 *  4. Ensure the project network nd-<app> and the named volumes
 *     nd-<app>-<name> (labeled).
 *  5. The image's release command (nextdeploy.release-command), as a
 *     one-off container nd-<app>-release-<release>; non-zero stops the
 *     deploy (the container is kept for inspection).
 *  6. Create the release's containers nd-<app>-<service>-<release>[-n]
 *     beside the live ones (a name still used by a running container --
 *     redeploying the live release -- gets "-next" until the switch), put
 *     the secret files in, start them.
 *  7. The health gate (core/deploy_probe.h), every replica. On failure:
 *     the new containers are stopped and kept, their last log lines and
 *     the probe's output are in the result, the release is recorded as
 *     failed, the live release is untouched; ND_EGENERIC.
 *  8. Switch: write the Caddyfile and the release record into the per-app
 *     proxy and `caddy reload` it through the Exec API (creating the proxy
 *     on first deploy, or recreating it when its image, published port or
 *     domains changed); then the edge proxy when there are domains.
 *  9. Drain: wait ND_DRAIN_MS for requests in flight, then stop the old
 *     release's containers (deploy.stop_timeout before SIGKILL). They are
 *     kept, stopped, until `prune` or a redeploy of that release.
 * 10. The post-deploy hook: a failure is an error (exit 1) but the release
 *     stays live.
 * Interrupted (SIGINT/SIGTERM) before the switch: the new containers are
 * removed, nothing else changed; after it, the deploy finishes. The lock
 * is released on every path.
 */

#define ND_EDGE_NAME "nextdeploy-proxy"
#define ND_EDGE_NETWORK "nextdeploy-edge"
#define ND_EDGE_LOCK "nextdeploy-proxy-lock"
#define ND_EDGE_VOLUME "nextdeploy-proxy-data"
#define ND_EDGE_APP "_edge"
/* time between the switch and stopping the old release */
#define ND_DRAIN_MS 1000
/* how long a proxy may take to serve after it starts */
#define ND_PROXY_READY_MS 20000

struct nd_deploy_ui {
	/* a step finished, with how long it took */
	void (*step)(void *ud, const char *text, double ms);
	/* a message: level ND_V_WARNING, ND_V_INFO or ND_V_DEBUG */
	void (*note)(void *ud, int level, const char *text);
	void *ud;
};

struct nd_deploy_opts {
	const char *release; /* NULL: the newest image */
	bool rollback;	     /* for hooks and messages */
	int64_t lock_wait_ms;
	bool break_lock;
	const char *command_line; /* for the lock's label */
	volatile sig_atomic_t *interrupted;
	struct nd_deploy_ui ui;
};

struct nd_deploy_timing {
	const char *name; /* "lock", "create", "gate", "switch", ... */
	double ms;
};

struct nd_deploy_failure {
	char *container;
	char *reason;
	char *logs;  /* the last log lines */
	char *probe; /* the last probe's output */
};

struct nd_deploy_result {
	char *app;
	char *service;
	char *release;
	char *image;
	char *image_id;
	char *previous; /* the release live before, or NULL */
	char *url;
	char *deploy_id;
	char *gate; /* how health was decided */
	struct nd_strvec containers;
	struct nd_deploy_timing timings[16];
	size_t ntimings;
	struct nd_deploy_failure *failures;
	size_t nfailures;
	bool live;	  /* the release went live */
	bool hook_failed; /* post-deploy failed after the switch */
	double total_ms;
};

int nd_deploy_run(struct nd_deploy_result *res, struct nd_engine *e,
		  const struct nd_project *p, const struct nd_deploy_opts *o,
		  struct nd_error *err);
void nd_deploy_result_release(struct nd_deploy_result *r);
/* The result as the JSON document `run --json` prints. */
struct cJSON *nd_deploy_result_json(const struct nd_deploy_result *r);

/* --- state, shared with the operating commands --- */

struct nd_app_state {
	struct cJSON *proxy; /* inspect of nd-<app>-proxy, or NULL */
	bool proxy_running;
	bool have_record;
	struct nd_deploy_record rec;
	struct cJSON *containers; /* every managed container of the app */
};
#define ND_APP_STATE_INIT                       \
	{                                       \
		NULL, false, false, { 0 }, NULL \
	}

int nd_app_state_load(struct nd_app_state *st, struct nd_engine *e,
		      const char *app, struct nd_error *err);
void nd_app_state_release(struct nd_app_state *st);

/* The URL the per-app proxy (or the edge, with domains) serves at. */
char *nd_app_url(struct nd_engine *e, const struct nd_project *p,
		 const struct cJSON *proxy);

/* A release of the app: its newest image. */
struct nd_release_info {
	char *release;
	char *image; /* a tag, or the short ID */
	char *image_id;
	double created; /* Unix seconds */
	double size;
	const char *status; /* "live", "stopped" (live but not running),
			       "failed", "previous", "" */
};
void nd_releases_free(struct nd_release_info *r, size_t n);
/* Newest first. */
int nd_releases_list(struct nd_release_info **out, size_t *n,
		     struct nd_engine *e, const char *app,
		     const struct nd_app_state *st, struct nd_error *err);

/*
 * The release `rollback` goes to: the newest release of the history
 * before the live one whose image still exists (else the newest other
 * non-failed image). ND_ENOTFOUND when there is none.
 */
int nd_rollback_target(char **out, struct nd_engine *e, const char *app,
		       const struct nd_app_state *st, struct nd_error *err);

/*
 * Regenerate the edge proxy's configuration from the engine's state (every
 * app proxy labeled with domains), under the edge lock, creating the edge
 * proxy when needed and removing it when no app has domains any more.
 * p gives the proxy image and the host ports for a first creation.
 */
int nd_edge_sync(struct nd_engine *e, const struct nd_project *p,
		 const struct nd_deploy_ui *ui,
		 volatile sig_atomic_t *interrupted, struct nd_error *err);

/* The engine's host name for URLs: 127.0.0.1 for a local socket. */
char *nd_engine_public_host(const struct nd_engine *e);

/* Project names. */
char *nd_app_network(const char *app);
char *nd_app_proxy_name(const char *app);
char *nd_app_lock_name(const char *app);
char *nd_app_volume_name(const char *app, const char *volume);

#endif
