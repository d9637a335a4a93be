/* SPDX-License-Identifier: MIT */
#ifndef ND_DOCKER_BUILD_H
#define ND_DOCKER_BUILD_H

#include "core/common.h"
#include "core/error.h"
#include "core/kv.h"

#include <signal.h>

struct nd_engine;

/*
 * POST /build with the classic builder (version=1; NOTES.md §4): the
 * context tar is streamed as the chunked request body while it is being
 * written, and the JSON-lines answer is decoded as it arrives.
 *
 * The body: a producer thread runs write_context(fd) into a pipe, and
 * libcurl's read callback reads the other end. A thread and a pipe, rather
 * than libarchive's callbacks driven from inside curl's read callback,
 * because the tar writer then stays a plain loop over the walk (no state
 * machine to suspend in the middle of a file), and the pipe bounds the
 * memory (1 MiB) and gives back-pressure for free: nothing is ever held
 * beyond what the engine has not read yet, and there is no temporary file.
 *
 * The answer (§4.2): "stream" text is split into lines and classified
 * (a step, a line of a step's output, or the builder's own chatter);
 * "status" objects are pull progress; the last "aux.ID" is the image; an
 * "errorDetail" (on HTTP 200) is the failure, its "code" the failing RUN's
 * exit status. Errors before the stream (400/500) come as engine errors.
 * Podman's "STEP n/m:" lines are understood too (§4.6).
 */

enum nd_build_event_kind {
	ND_BUILD_UPLOAD,   /* bytes: context bytes sent so far */
	ND_BUILD_UPLOADED, /* the whole context was sent (bytes) */
	ND_BUILD_STEP,	   /* a new step: text "RUN make", step, nsteps */
	ND_BUILD_OUTPUT,   /* text: one line of the current step's output */
	ND_BUILD_INFO,	   /* text: the builder's own line (" ---> 1a2b",
			     "Successfully built ...") */
	ND_BUILD_STATUS,   /* text: pull progress ("Pulling fs layer"), id */
};

struct nd_build_event {
	enum nd_build_event_kind kind;
	const char *text; /* secrets masked, no trailing newline */
	const char *id;	  /* ND_BUILD_STATUS: the layer, or NULL */
	int step, nsteps; /* current step (1-based), 0 before the first */
	uint64_t bytes;
};

typedef void (*nd_build_event_fn)(const struct nd_build_event *ev, void *ud);

/* How many of a step's last output lines are kept (struct nd_build_log). */
#define ND_BUILD_TAIL 12

/*
 * Live state of a build, owned by the caller and updated as the answer
 * arrives: what to show while it runs, and after a failure the failing
 * step and its last lines of output.
 */
struct nd_build_log {
	char *step; /* "RUN make" (the current or failing step) */
	int step_no, nsteps;
	char *tail[ND_BUILD_TAIL]; /* ring of its last output lines */
	size_t tail_start, tail_len;
	uint64_t upload_bytes;
	bool uploaded;
};
void nd_build_log_release(struct nd_build_log *log);
/* The i-th kept line, oldest first (i < log->tail_len). */
const char *nd_build_log_line(const struct nd_build_log *log, size_t i);

struct nd_build_opts {
	const char *const *tags;	   /* NULL-terminated "repo:tag" list */
	const char *dockerfile;		   /* its path in the tar */
	const struct nd_kvlist *buildargs; /* NULL value: declared, unset */
	const struct nd_kvlist *labels;
	const char *target;
	bool nocache;
	bool pull;
	const char *registry_config; /* X-Registry-Config; NULL: e30= ({}) */
	/* writes the context tar to fd; runs on its own thread */
	int (*write_context)(int fd, void *ud, struct nd_error *err);
	void *context_ud;
	nd_build_event_fn on_event; /* may be NULL */
	void *ud;
	/* values never to show: masked in events, the log and errors */
	const char *const *secrets;
	/* non-zero stops the build (the engine cancels it when we hang up):
	 * ND_EINTERRUPTED; may be NULL */
	const volatile sig_atomic_t *cancel;
};

/*
 * Build. *id_out gets the image ID ("sha256:..."). On a failed build err
 * says which step failed and why (err->status: the RUN's exit code when
 * the engine gives one); log (may be NULL) keeps its last output lines.
 */
int nd_image_build(struct nd_engine *e, const struct nd_build_opts *o,
		   struct nd_build_log *log, char **id_out,
		   struct nd_error *err);

/* Replace every secret value in s (non-NULL, >= 3 bytes) by "***". */
char *nd_mask_secrets(const char *s, const char *const *secrets);

#endif
