/* SPDX-License-Identifier: MIT */
#ifndef ND_DOCKER_TRANSFER_H
#define ND_DOCKER_TRANSFER_H

#include "core/common.h"
#include "core/error.h"

struct cJSON;
struct nd_engine;

/*
 * Image transfer with a registry (NOTES.md §6.3, §7): pull through
 * POST /images/create?fromImage=&tag= and push through
 * POST /images/{name}/push?tag=, both with X-Registry-Auth ("e30=" when
 * anonymous: a push without the header is a 400).
 *
 * The answer is a JSON-lines stream, decoded as it arrives. Every message
 * goes to on_msg (the progress renderer: core/progress.h), except an error
 * (errorDetail/error on HTTP 200), which ends the transfer with the
 * engine's message. Errors before the stream (404, 500) are engine errors.
 * Either way the code says what happened, for the caller's hint, whether
 * the engine is Docker (which refuses a pull before streaming) or Podman
 * (which says everything in the stream):
 *   ND_EAUTH      the registry refused the credentials, or wanted some
 *                 (nd_registry_message_is_auth);
 *   ND_ENOTFOUND  no such image or tag in the registry (manifest unknown);
 *   others        as the engine said (unreachable registry, bad name...).
 */
typedef void (*nd_transfer_msg_fn)(const struct cJSON *msg, void *ud);

struct nd_transfer_opts {
	const char *registry_auth; /* the X-Registry-Auth value; NULL: e30= */
	nd_transfer_msg_fn on_msg; /* may be NULL */
	void *ud;
};

struct nd_transfer_result {
	char *digest; /* "sha256:...": push: aux.Digest; pull: "Digest:" line */
	double size;  /* push: aux.Size (the manifest's bytes); else 0 */
	char *status; /* pull: the last "Status: ..." text (up to date or not) */
};
void nd_transfer_result_release(struct nd_transfer_result *r);

/* tag is always sent (without it the engine pulls every tag). */
int nd_image_pull(struct nd_engine *e, const char *repo, const char *tag,
		  const struct nd_transfer_opts *o,
		  struct nd_transfer_result *res, struct nd_error *err);
/* Push repo:tag (tag it first: nd_image_tag). */
int nd_image_push(struct nd_engine *e, const char *repo, const char *tag,
		  const struct nd_transfer_opts *o,
		  struct nd_transfer_result *res, struct nd_error *err);

/* The code for a registry error message (ND_EAUTH, ND_ENOTFOUND or dflt). */
int nd_transfer_error_code(const char *msg, int dflt);

#endif
