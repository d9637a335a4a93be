/* SPDX-License-Identifier: MIT */
#ifndef ND_ERROR_H
#define ND_ERROR_H

#include "core/common.h"

/*
 * Errors. A fallible function returns 0 or a negative ND_E* code and takes
 * `struct nd_error *err` as its last parameter (crun's libcrun/error.h).
 * The callee fills err with a message (and, where it helps, a hint and a
 * file position); the caller adds context with nd_error_wrap() and keeps
 * the code, so that cmd/ can decide the exit status and print once.
 *
 * Library code (core/, docker/, buildpacks/) never prints and never exits.
 *
 *	struct nd_error err = ND_ERROR_INIT;
 *	if (nd_project_load(&p, path, &err) < 0) {
 *		nd_error_report(&err);
 *		return nd_error_exit_code(&err);
 *	}
 */
enum nd_error_code {
	ND_OK = 0,
	ND_EGENERIC = -1,      /* the operation failed (exit 1) */
	ND_ENOTFOUND = -2,     /* no such object (engine 404, missing file) */
	ND_ECONFLICT = -3,     /* already exists / in use (engine 409) */
	ND_EAUTH = -4,	       /* authentication or permission */
	ND_ETIMEOUT = -5,      /* a deadline passed */
	ND_EUNREACHABLE = -6,  /* the engine cannot be reached (exit 3) */
	ND_EUSAGE = -7,	       /* bad command line (exit 2) */
	ND_EPROJECT = -8,      /* bad project file or config input (exit 2) */
	ND_EINTERRUPTED = -9,  /* SIGINT/SIGTERM (exit 130) */
	ND_EUNSUPPORTED = -10, /* the engine cannot do this (e.g. Podman) */
	ND_ESERVER = -11,      /* engine 5xx */
	ND_EBADREQ = -12,      /* engine 400 */
	ND_ELOCKED = -13,      /* a deploy lock is held by someone else */
};

struct nd_error {
	int code;
	char *msg;
	char *hint;
	/* position in an input file, for project-file errors */
	char *file;
	int line; /* 1-based; 0 when unknown */
	int col;  /* 1-based; 0 when unknown */
	/* the engine's HTTP status, when the error came from the engine */
	long http_status;
	/* exit code of a process we ran (exec), or build step; -1 if none */
	int status;
};

#define ND_ERROR_INIT                            \
	{                                        \
		0, NULL, NULL, NULL, 0, 0, 0, -1 \
	}

/* Set err (replacing what was there); returns code, which must be < 0. */
ND_PRINTF(3, 4)
int nd_error_set(struct nd_error *err, int code, const char *fmt, ...);
int nd_error_vset(struct nd_error *err, int code, const char *fmt, va_list ap);
/* Set with a position in a file: "file:line:col: msg". */
ND_PRINTF(6, 7)
int nd_error_set_at(struct nd_error *err, int code, const char *file, int line,
		    int col, const char *fmt, ...);
/* Like nd_error_set, followed by ": strerror(errno)". */
ND_PRINTF(3, 4)
int nd_error_errno(struct nd_error *err, int code, const char *fmt, ...);
/* Prefix context: msg becomes "<context>: <msg>". Returns the code. */
ND_PRINTF(2, 3) int nd_error_wrap(struct nd_error *err, const char *fmt, ...);
/* Set (or replace) the hint line. */
ND_PRINTF(2, 3) void nd_error_hint(struct nd_error *err, const char *fmt, ...);
void nd_error_release(struct nd_error *err);
/* Move src into dst (dst released first); src is left empty. */
void nd_error_move(struct nd_error *dst, struct nd_error *src);

/* The process exit code for an error, per SPEC.md (see core/exit.h). */
int nd_error_exit_code(const struct nd_error *err);

/* Name of a code, for --json error output: "not_found", ... */
const char *nd_error_code_name(int code);

#endif
