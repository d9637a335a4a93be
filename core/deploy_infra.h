/* SPDX-License-Identifier: MIT */
#ifndef ND_DEPLOY_INFRA_H
#define ND_DEPLOY_INFRA_H

#include "core/common.h"
#include "core/error.h"

#include <signal.h>

struct cJSON;
struct nd_engine;

/*
 * Building blocks of core/deploy.c and the operating commands: labeled
 * networks and volumes, the proxies' files, reload and readiness.
 */

/* Labels {managed: true, app: app} as a new cJSON object. */
struct cJSON *nd_infra_labels(const char *app);

/*
 * Create the network / volume unless it exists. An existing one without
 * nextdeploy's labels for app is an error: nextdeploy never uses objects
 * it did not create.
 */
int nd_infra_network_ensure(struct nd_engine *e, const char *name,
			    const char *app, bool *created,
			    struct nd_error *err);
int nd_infra_volume_ensure(struct nd_engine *e, const char *name,
			   const char *app, struct nd_error *err);

/*
 * Is the kernel release kver (as /info's KernelVersion: "6.1.0-13-amd64")
 * at least major.minor? False for what does not parse.
 */
bool nd_kernel_at_least(const char *kver, int major, int minor);

/*
 * Add what a proxy container's HostConfig hc needs for reloads that drop
 * no connection: net.ipv4.tcp_migrate_req=1 when the engine's kernel has it
 * (Linux 5.14+). Asks the engine once per call; an engine that does not say
 * gets nothing added.
 */
void nd_infra_proxy_host_config(struct nd_engine *e, struct cJSON *hc);

/* Is this container (inspect or summary JSON) labeled for app? */
bool nd_infra_owned(const struct cJSON *c, const char *app);

/* Write the Caddyfile (and the record, when not NULL) into a proxy. */
int nd_infra_proxy_put(struct nd_engine *e, const char *id,
		       const char *caddyfile, const char *record,
		       struct nd_error *err);
/* Put only the record (after a failed deploy: the config is unchanged). */
int nd_infra_proxy_put_record(struct nd_engine *e, const char *id,
			      const char *record, struct nd_error *err);

/*
 * `caddy reload` inside the running proxy, judged by its exit code; a
 * rejected configuration leaves the old one serving and is an error
 * carrying Caddy's message.
 */
int nd_infra_caddy_reload(struct nd_engine *e, const char *id,
			  struct nd_error *err);

/*
 * Wait until a proxy that was just started serves: its log since it
 * started says "serving initial configuration" (this works when the engine
 * is remote, and the image has no HTTP client). An exit is an error with
 * the last log lines.
 */
int nd_infra_proxy_wait_ready(struct nd_engine *e, const char *id,
			      long timeout_ms,
			      volatile sig_atomic_t *interrupted,
			      struct nd_error *err);

/* Make sure an image is on the engine: pull it when it is not. */
int nd_infra_image_ensure(struct nd_engine *e, const char *ref, bool *pulled,
			  struct nd_error *err);

/* The host port published for container port "80/tcp" etc., or 0. */
long nd_infra_published_port(const struct cJSON *inspect, const char *port);

/* Stop then remove (force) a container; a missing one is fine. */
int nd_infra_container_discard(struct nd_engine *e, const char *id,
			       int stop_timeout_s, struct nd_error *err);

/* Monotonic milliseconds. */
double nd_now_ms(void);
/* Sleep ms, in short slices; false when *interrupted became set. */
bool nd_sleep_ms(long ms, volatile sig_atomic_t *interrupted);

#endif
