/* SPDX-License-Identifier: MIT */
#ifndef ND_DEPLOY_INT_H
#define ND_DEPLOY_INT_H

/*
 * Private to core/deploy.c and core/deploy_local.c: the state of one
 * deploy, and the steps `local run` shares with `run` (core/deploy.h
 * documents the sequence). Not for cmd/.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/deploy.h"
#include "core/deploy_lock.h"
#include "core/deploy_probe.h"
#include "core/deploy_secrets.h"
#include "core/kv.h"

struct cJSON;

/* One container of the new release. */
struct replica {
	int n;		   /* 1-based */
	char *name;	   /* final name: nd-<app>-<service>-<release>[-n] */
	char *create_name; /* name at creation ("-next" while name is busy) */
	char *busy_id;	   /* the running container holding `name`, if any */
	char *alias;	   /* nd-<app>-<deploy>-<n> on the project network */
	char *id;
	char *ip;
	bool healthy;
	long failures;
	long probes;
	double started_ms;
	double healthy_ms;
	size_t kind_idx;
	bool grace; /* fell back to the grace period */
	struct nd_buf last_probe;
	char *fail_reason;
};

struct deploy {
	struct nd_engine *e;
	const struct nd_project *p;
	const struct nd_deploy_opts *o;
	struct nd_deploy_result *res;
	const char *app;
	char *service;
	char *net;
	char *proxy_name;
	struct cJSON *image; /* inspect */
	char *image_ref;
	char *image_id;
	char *release;
	long port;
	struct nd_gate_plan gate;
	struct nd_kvlist env;
	struct nd_secrets secrets;
	struct nd_lock lock;
	struct nd_app_state st;
	char *deploy_id;
	struct replica *reps;
	size_t nreps;
	bool switched;
	long uid, gid; /* owner of the secret files */
	double t0;
};

/*
 * Step 1: the image (o->release, else the newest), its port, the health
 * gate's plan, the secrets and the environment; fills the result's
 * release, image, image_id, service and gate. Changes nothing.
 */
int nd_dp_prepare(struct deploy *d, struct nd_error *err);

/*
 * A container of the release: the image, env and secrets, labels
 * (managed, app, service, release, deploy, replica when > 0), resources,
 * the restart policy, the named volumes nd-<app>-<name>, and d->net with
 * alias (NULL: none). cmd: NULL for the image's own.
 */
struct cJSON *nd_dp_container_config(struct deploy *d, const char *service,
				     const char *alias, int replica,
				     const struct cJSON *cmd,
				     const char *restart);

/*
 * Create it (the request is redacted: its Env carries the secrets) and put
 * the secret files in; on failure nothing is left.
 */
int nd_dp_create_container(struct deploy *d, const char *name,
			   struct cJSON *cfg, char **id_out,
			   struct nd_error *err);

/*
 * Step 7: probe every replica of d->reps (id and started_ms set) until all
 * are healthy. ND_EGENERIC with no message when one failed (its
 * fail_reason and last_probe say why); ND_EINTERRUPTED when
 * *d->o->interrupted became set.
 */
int nd_dp_health_gate(struct deploy *d, struct nd_error *err);

/* Free what d holds (not d). */
void nd_dp_release(struct deploy *d);

#endif
