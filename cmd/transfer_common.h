/* SPDX-License-Identifier: MIT */
#ifndef ND_CMD_TRANSFER_COMMON_H
#define ND_CMD_TRANSFER_COMMON_H

#include "cmd/cmd.h"

struct cJSON;
struct nd_engine;
struct nd_progress;

/*
 * What `pull` and `push` share: the registry prefix, the credentials, the
 * progress view, and the hints after a failure.
 */

/*
 * The repository of the app's image in the registry:
 * <registry>/<image.name><suffix>, the registry from --registry (opt),
 * else image.registry. None: ND_EUSAGE with a hint (nothing is guessed:
 * a bare name would mean Docker Hub's official images). *registry_out
 * (may be NULL) gets the prefix as used.
 */
int nd_xfer_repository(char **repo_out, char **registry_out, const char *opt,
		       const struct nd_project *p, const char *suffix,
		       struct nd_error *err);

struct nd_xfer {
	char *host;	   /* the registry host of the repository */
	char *auth;	   /* the X-Registry-Auth value ("e30=" anonymous) */
	char *cred_source; /* where the credentials came from, or NULL */
	struct nd_progress *progress; /* NULL with -q */
	bool podman;
};
#define ND_XFER_INIT                          \
	{                                     \
		NULL, NULL, NULL, NULL, false \
	}

/* Find the credentials for repo's registry (core/registry_auth.h). */
int nd_xfer_begin(struct nd_xfer *x, struct nd_engine *e, const char *repo,
		  struct nd_error *err);
/*
 * Start a progress view for one transfer (stderr: bars on a terminal,
 * plain lines in a pipe or CI; none with -q). Ctrl-C clears the progress
 * and exits 130.
 */
void nd_xfer_progress_start(struct nd_xfer *x);
/* For nd_transfer_opts.on_msg: ud is the struct nd_xfer. */
void nd_xfer_on_msg(const struct cJSON *msg, void *ud);
/* End the progress block (before printing anything else). */
void nd_xfer_progress_done(struct nd_xfer *x);
/*
 * Add a hint to a failed transfer: credentials (where they came from,
 * `docker login`, config.json), an unreachable or plain-HTTP registry
 * (Podman's registries.conf), a missing tag.
 */
void nd_xfer_hint(struct nd_error *err, const struct nd_xfer *x,
		  const char *missing_hint);
void nd_xfer_release(struct nd_xfer *x);

#endif
