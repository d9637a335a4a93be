/* SPDX-License-Identifier: MIT */
#ifndef ND_OUTPUT_H
#define ND_OUTPUT_H

#include "core/common.h"
#include "core/error.h"

struct cJSON;

/*
 * Output conventions shared by every command (only cmd/ and main.c print).
 *
 * - Data goes to stdout; messages, progress and everything else to stderr.
 * - Messages: "error: ...", "warning: ...", "hint: ..." on stderr, lowercase,
 *   no full stop. -q hides info and warnings, never errors; -v shows debug.
 * - Color is decided once per stream (nd_output_init): --no-color, then a
 *   non-empty NO_COLOR, then --json, then isatty() and TERM != dumb. The
 *   color helpers return "" when color is off, so call sites never branch.
 * - Progress bars only on a terminal and never when CI is set; otherwise
 *   plain lines (nd_output_progress_plain()).
 * - --json: one JSON document for a finite answer, one object per line for a
 *   stream (nd_json_print / nd_json_print_line); never colored.
 */
enum nd_verbosity {
	ND_V_ERROR = 0,
	ND_V_WARNING = 1,
	ND_V_INFO = 2, /* the default */
	ND_V_DEBUG = 3,
	ND_V_TRACE = 4,
};

struct nd_output {
	int verbosity; /* ND_V_INFO + (-v count) - (-q count), clamped */
	int quiet;     /* -q count (IDs only where a command supports it) */
	bool json;
	bool color_out; /* color on stdout */
	bool color_err; /* color on stderr */
	bool tty_out;
	bool tty_err;
	bool progress_bars; /* stderr is a terminal and CI is not set */
};

extern struct nd_output nd_out;

/* Decide colors, ttys and progress mode from flags and the environment. */
void nd_output_init(int verbose, int quiet, bool json, bool no_color);

ND_PRINTF(1, 2) void nd_msg_error(const char *fmt, ...);
ND_PRINTF(1, 2) void nd_msg_warning(const char *fmt, ...);
ND_PRINTF(1, 2) void nd_msg_hint(const char *fmt, ...);
ND_PRINTF(1, 2) void nd_msg_info(const char *fmt, ...);
ND_PRINTF(1, 2) void nd_msg_debug(const char *fmt, ...);

/*
 * Report an error: "error: file:line:col: msg" and "hint: ..." on stderr
 * (with --json also {"error":{...}} on stdout). Control characters in the
 * message are replaced.
 */
void nd_error_report(const struct nd_error *err);
/* Only the stderr part of nd_error_report. */
void nd_error_print(const struct nd_error *err);
/* The error as a JSON object: code, message, hint, file, line, column. */
struct cJSON *nd_error_json(const struct nd_error *err);

/* Colors: "" when color is off for that stream. */
enum nd_color {
	ND_C_RESET,
	ND_C_BOLD,
	ND_C_DIM,
	ND_C_RED,
	ND_C_GREEN,
	ND_C_YELLOW,
	ND_C_BLUE,
	ND_C_MAGENTA,
	ND_C_CYAN,
	ND_C_BRIGHT_RED,
	ND_C_BRIGHT_GREEN,
	ND_C_BRIGHT_YELLOW,
	ND_C_BRIGHT_BLUE,
	ND_C_BRIGHT_MAGENTA,
	ND_C_BRIGHT_CYAN,
};
const char *nd_color(enum nd_color c);	   /* for stdout */
const char *nd_color_err(enum nd_color c); /* for stderr */
/* A color for the i-th prefix of interleaved streams (logs). */
enum nd_color nd_color_cycle(unsigned i);

/* Print with control characters replaced (engine/user text). */
void nd_fputs_sanitized(const char *s, FILE *f);

/*
 * JSON output: print and free the document. Pretty (two-space indent) for
 * one document, compact single line for streams.
 */
void nd_json_print(struct cJSON *doc);
void nd_json_print_line(struct cJSON *doc);

/*
 * Tables aligned to content. Columns are added once, then rows of cells
 * (copied). The last column is never padded.
 *
 *	struct nd_table t = ND_TABLE_INIT;
 *	nd_table_columns(&t, "NAME", "IMAGE", "STATE", NULL);
 *	nd_table_row(&t, name, image, state, NULL);
 *	nd_table_print(&t, stdout);
 *	nd_table_release(&t);
 */
struct nd_table {
	size_t ncols;
	char **headers;
	size_t nrows;
	size_t alloc;
	char ***rows;
	/* per-cell color escape (may be NULL) */
	const char ***colors;
};
#define ND_TABLE_INIT                     \
	{                                 \
		0, NULL, 0, 0, NULL, NULL \
	}
void nd_table_columns(struct nd_table *t, const char *first, ...);
void nd_table_row(struct nd_table *t, const char *first, ...);
/* Set the color of the cell in the last row, column col. */
void nd_table_color(struct nd_table *t, size_t col, const char *color);
void nd_table_print(const struct nd_table *t, FILE *f);
void nd_table_release(struct nd_table *t);

/* Human units: "1.5GiB" (binary) and "12.3MB" (decimal, 3 significant). */
void nd_format_bytes_binary(char *out, size_t n, double bytes);
void nd_format_bytes_decimal(char *out, size_t n, double bytes);
/* "3 seconds ago", "2 hours ago" (docker's go-units HumanDuration). */
void nd_format_ago(char *out, size_t n, double seconds);

#endif
