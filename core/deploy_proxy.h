/* SPDX-License-Identifier: MIT */
#ifndef ND_DEPLOY_PROXY_H
#define ND_DEPLOY_PROXY_H

#include "core/common.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/kv.h"
#include "core/project.h"

/*
 * The proxies' configuration (Caddy, SPEC.md "Zero downtime and the
 * proxy") and the live-release record.
 *
 * Traffic path: [edge proxy `nextdeploy-proxy`, for deploy.domains] ->
 * per-app proxy `nd-<app>-proxy` (publishes deploy.publish) -> the live
 * release's containers. Every app has its own proxy, and a deploy only ever
 * re-points that one: the edge proxy routes host names to
 * `nd-<app>-proxy:80` and changes only when an app's domains do.
 *
 * Upstreams are per-deploy network aliases on the project network,
 * `nd-<app>-<deploy id>-<n>` (n = replica, from 1), so the engine's DNS
 * resolves them whatever the containers are named or renamed to.
 */

/* Where the files live inside the proxy containers. */
#define ND_CADDY_DIR "/etc/caddy"
#define ND_CADDY_FILE "/etc/caddy/Caddyfile"
#define ND_RECORD_FILE "/etc/caddy/nextdeploy.json"
/* Caddy's proxy port inside the container. */
#define ND_PROXY_HTTP_PORT 80
#define ND_PROXY_HTTPS_PORT 443

/*
 * The per-app proxy's Caddyfile: plain HTTP on :80, round robin over the
 * upstreams ("host:port"), retrying a dial for lb_try_duration so a
 * replica's restart is ridden out.
 */
void nd_caddy_app_config(struct nd_buf *out, const char *app,
			 const char *release,
			 const struct nd_strvec *upstreams);

/* One app behind the edge proxy. */
struct nd_edge_site {
	char *app;
	char *upstream; /* "nd-<app>-proxy:80" */
	struct nd_strvec domains;
	enum nd_tls_mode tls;
};
void nd_edge_site_release(struct nd_edge_site *s);

/*
 * The edge proxy's Caddyfile: one site block per app, sorted by app name
 * (a stable text for the same set of apps). tls auto: Caddy's automatic
 * HTTPS (ACME); internal: `tls internal` (with skip_install_trust);
 * off: plain http:// site addresses.
 */
void nd_caddy_edge_config(struct nd_buf *out, struct nd_edge_site *sites,
			  size_t n);

/*
 * The live-release record, kept next to the Caddyfile in the per-app proxy
 * (ND_RECORD_FILE): the proxy's configuration is what decides which
 * release serves, so the record lives and dies with it. `start` reads it to
 * know which containers to start; `rollback` its history; `releases` the
 * live and failed releases.
 */
struct nd_deploy_record {
	char *app;
	char *release;	 /* live release tag */
	char *deploy_id; /* the deploy that made it live */
	char *service;
	char *image; /* reference used to create the containers */
	char *image_id;
	long port;
	double deployed_at;	     /* Unix seconds */
	struct nd_strvec containers; /* names of the live containers */
	struct nd_strvec upstreams;
	struct nd_strvec history; /* releases that were live, newest first */
	struct nd_strvec failed;  /* releases whose gate failed, newest first */
};
#define ND_RECORD_HISTORY_MAX 30

void nd_record_release(struct nd_deploy_record *r);
int nd_record_parse(struct nd_deploy_record *out, const char *data, size_t len,
		    struct nd_error *err);
/* The record as JSON text (malloc'd). */
char *nd_record_json(const struct nd_deploy_record *r);
/* Put rel at the front of list (removing an older copy), keep at most max. */
void nd_record_list_push(struct nd_strvec *list, const char *rel, size_t max);
void nd_record_list_remove(struct nd_strvec *list, const char *rel);

#endif
