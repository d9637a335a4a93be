/* SPDX-License-Identifier: MIT */
#ifndef ND_PROGRESS_H
#define ND_PROGRESS_H

#include "core/common.h"
#include "core/buf.h"
#include "core/error.h"

#include <stdint.h>

struct cJSON;

/*
 * Progress of the engine's JSON-message streams (pull, push, build), drawn
 * the way the docker CLI does (jsonmessage.go; NOTES.md §7.3).
 *
 * Bars mode (a terminal; nd_out.progress_bars): every id that arrives with
 * a progressDetail gets its own line, redrawn in place with cursor moves
 * (at most every ~60 ms for byte counts; status changes at once). A message
 * without an id or without progressDetail ends the block and is printed as
 * a line of its own.
 *
 * Plain mode (not a terminal, TERM=dumb, or CI set): byte-count updates
 * are skipped and every other message is one line "<id>: <status>", so
 * that a CI log shows each layer's steps once.
 *
 * In both modes `stream` text (build output) is printed as it comes, with
 * control characters replaced, and `aux` objects go to the aux callback
 * (the image ID of a build, the digest of a push), never printed. An
 * `error`/`errorDetail` message makes nd_progress_message() fail with that
 * message.
 *
 *	struct nd_progress *p = nd_progress_new(stderr, nd_out.progress_bars);
 *	for each JSON line: if (nd_progress_message(p, msg, &err) < 0) ...
 *	nd_progress_free(p);   // draws what is pending
 *
 * Ctrl-C: register nd_progress_interrupted() with nd_cleanup_add_fn()
 * (core/cleanup.h), so the signal handler runs it before the process dies;
 * it is async-signal-safe and leaves the cursor at the start of a clean line.
 */
struct nd_progress;

typedef void (*nd_progress_aux_fn)(const struct cJSON *aux, void *ud);

struct nd_progress *nd_progress_new(FILE *f, bool bars);
void nd_progress_set_aux(struct nd_progress *p, nd_progress_aux_fn fn, void *ud);
/* Terminal width for bars mode (default: asked from the terminal, else 80). */
void nd_progress_set_width(struct nd_progress *p, int width);
/* Milliseconds between redraws of byte counts (default 60; 0 = always). */
void nd_progress_set_interval(struct nd_progress *p, int ms);

/* Show one message of the stream. ND_EGENERIC with the engine's message
 * when the message is an error. */
int nd_progress_message(struct nd_progress *p, const struct cJSON *msg,
			struct nd_error *err);
/* Parse one JSON line and show it (lines that are not JSON are printed). */
int nd_progress_line(struct nd_progress *p, const char *line, size_t len,
		     struct nd_error *err);
/* Draw what the throttle held back. */
void nd_progress_flush(struct nd_progress *p);
/* Flush and free (NULL-safe). */
void nd_progress_free(struct nd_progress *p);

/* Async-signal-safe: restore the cursor below the block and clear the line. */
void nd_progress_interrupted(void);

/* A progressDetail, and the text docker draws for it. */
struct nd_progress_detail {
	int64_t current;
	int64_t total;
	int64_t start; /* unix seconds, for the ETA; 0 = none */
	bool hidecounts;
	const char *units; /* NULL: bytes */
};
/*
 * "[=====>     ]  69.21kB/6.002MB 3s": the bar only when width > 110, the
 * ETA only when start is set and the bar is not full (now: unix seconds).
 */
void nd_progress_format(struct nd_buf *out, const struct nd_progress_detail *d,
			int width, double now);
/* Decimal size with 4 significant digits, as go-units HumanSize: 6.002MB. */
void nd_progress_human_size(char *out, size_t n, double bytes);
/* A duration as Go prints it, rounded to seconds: 0s, 45s, 1m5s, 2h0m3s. */
void nd_progress_go_duration(char *out, size_t n, int64_t seconds);

#endif
