/* SPDX-License-Identifier: MIT */
#ifndef ND_DEPLOY_PROBE_H
#define ND_DEPLOY_PROBE_H

#include "core/common.h"
#include "core/error.h"
#include "core/kv.h"

struct cJSON;
struct nd_project;

/*
 * The health gate's plan: how `run` decides that a new container is
 * healthy. Every check runs inside the new container through the Exec API,
 * so it works when the engine is remote and on Podman (whose engine runs no
 * HEALTHCHECK without systemd). In order of precedence:
 *
 *  1. deploy.healthcheck.command (exec form, or a string run by `sh -c`):
 *     exit 0 is healthy.
 *  2. deploy.healthcheck.path: an HTTP GET of
 *     http://<container IP>:<port><path> from inside the container; a
 *     status below 400 is healthy. The container's own address on the
 *     project network (not 127.0.0.1) is probed, so an app that listens only
 *     on loopback -- which the proxy could not reach -- fails the gate
 *     instead of going live.
 *  3. The image's HEALTHCHECK (CMD or CMD-SHELL), run by nextdeploy itself
 *     at the gate's pace (the image's own interval is ignored).
 *  4. Otherwise, when the image has an HTTP probe: "the port answers" --
 *     any HTTP status counts, a refused connection does not.
 *  5. Otherwise, or with nextdeploy.probe=none: "running, and still
 *     running after a grace period" (start_period when set, else 5s).
 *
 * The HTTP probe is the image's `nextdeploy.probe` label (node, python,
 * wget, curl or an absolute path; HACKING.md "Image labels"); without the
 * label, curl, wget, node and python3 are tried in that order, and the first
 * one present in the image is used. The URL goes to the probe as its own
 * argv element, never inside a script's text.
 *
 * Timing: deploy.healthcheck interval (default 2s), timeout (2s), retries
 * (15) and start_period (0s; failures in it do not count).
 */

enum nd_gate_mode {
	ND_GATE_COMMAND, /* argv, exit 0 */
	ND_GATE_HTTP,	 /* GET path, status < 400 */
	ND_GATE_LISTEN,	 /* GET /, any status */
	ND_GATE_GRACE,	 /* running after grace_ms */
};

enum nd_probe_kind {
	ND_PROBE_NONE = 0,
	ND_PROBE_CURL,
	ND_PROBE_WGET,
	ND_PROBE_NODE,
	ND_PROBE_PYTHON,
	ND_PROBE_PATH, /* an absolute path of a probe binary in the image */
};

#define ND_GATE_DEFAULT_INTERVAL_MS 2000
#define ND_GATE_DEFAULT_TIMEOUT_MS 2000
#define ND_GATE_DEFAULT_RETRIES 15
#define ND_GATE_DEFAULT_GRACE_MS 5000

struct nd_gate_plan {
	enum nd_gate_mode mode;
	struct nd_strvec argv; /* ND_GATE_COMMAND */
	char *source; /* "deploy.healthcheck.command", "image HEALTHCHECK", ... */
	char *path;   /* HTTP, LISTEN: "/health" */
	long port;
	/* HTTP/LISTEN: the probe to use, or candidates to try in order */
	enum nd_probe_kind kinds[5];
	size_t nkinds;
	bool kind_from_label;
	char *probe_path; /* ND_PROBE_PATH */
	int64_t interval_ms, timeout_ms, start_period_ms, grace_ms;
	long retries;
};

void nd_gate_plan_release(struct nd_gate_plan *g);

/*
 * Make the plan from the project and the image's inspect JSON (its Config:
 * Labels, Healthcheck). port is the app's port (0 when unknown). An invalid
 * nextdeploy.probe label is an ND_EGENERIC error naming the image.
 */
int nd_gate_plan_make(struct nd_gate_plan *out, const struct nd_project *p,
		      const struct cJSON *image, long port,
		      struct nd_error *err);

/* "node" -> ND_PROBE_NODE; an absolute path -> ND_PROBE_PATH; -1 if bad. */
int nd_probe_kind_parse(const char *s, enum nd_probe_kind *out);
const char *nd_probe_kind_name(enum nd_probe_kind k);

/*
 * The argv of one HTTP probe of url with kind k. any_status: any HTTP
 * answer counts (LISTEN). timeout_ms bounds the request where the tool can
 * (busybox wget cannot: the exec's own timeout bounds it).
 */
void nd_probe_http_argv(struct nd_strvec *out, enum nd_probe_kind k,
			const char *probe_path, const char *url,
			bool any_status, int64_t timeout_ms);

/* Did an HTTP probe pass, given its exit code and stderr? */
bool nd_probe_http_passed(enum nd_probe_kind k, bool any_status, long exit_code,
			  const char *err_text);

/* Exit codes that mean "the probe program is not in the image". */
static inline bool nd_probe_missing(long exit_code)
{
	return exit_code == 126 || exit_code == 127;
}

/*
 * The argv of an image HEALTHCHECK's Test (["CMD", ...] or
 * ["CMD-SHELL", "..."]). Returns 1 when there is none (absent, empty,
 * ["NONE"]), 0 with *out filled.
 */
int nd_probe_from_image_healthcheck(struct nd_strvec *out,
				    const struct cJSON *test);

#endif
