/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/output.h"
#include "core/buf.h"

#include <cjson/cJSON.h>
#include <strings.h>
#include <unistd.h>

struct nd_output nd_out = { ND_V_INFO, 0,     false, false,
			    false,     false, false, false };

static bool env_set(const char *name)
{
	const char *v = getenv(name);

	return v && *v;
}

/* CI=true, CI=1, CI=yes...: any value but "", "0" and "false" */
static bool ci_set(void)
{
	const char *v = getenv("CI");

	return v && *v && strcmp(v, "0") && strcasecmp(v, "false");
}

void nd_output_init(int verbose, int quiet, bool json, bool no_color)
{
	const char *term = getenv("TERM");
	/* no TERM at all is as good as dumb (git color.c) */
	bool dumb = !term || !*term || !strcmp(term, "dumb");
	bool color_ok = !no_color && !env_set("NO_COLOR") && !json && !dumb;

	nd_out.verbosity = ND_V_INFO + verbose - quiet;
	if (nd_out.verbosity < ND_V_ERROR)
		nd_out.verbosity = ND_V_ERROR;
	if (nd_out.verbosity > ND_V_TRACE)
		nd_out.verbosity = ND_V_TRACE;
	nd_out.quiet = quiet;
	nd_out.json = json;
	nd_out.tty_out = isatty(STDOUT_FILENO);
	nd_out.tty_err = isatty(STDERR_FILENO);
	nd_out.color_out = color_ok && nd_out.tty_out;
	nd_out.color_err = color_ok && nd_out.tty_err;
	nd_out.progress_bars = nd_out.tty_err && !dumb && !ci_set();
}

static const char *const color_codes[] = {
	[ND_C_RESET] = "\033[0m",	  [ND_C_BOLD] = "\033[1m",
	[ND_C_DIM] = "\033[2m",		  [ND_C_RED] = "\033[31m",
	[ND_C_GREEN] = "\033[32m",	  [ND_C_YELLOW] = "\033[33m",
	[ND_C_BLUE] = "\033[34m",	  [ND_C_MAGENTA] = "\033[35m",
	[ND_C_CYAN] = "\033[36m",	  [ND_C_BRIGHT_RED] = "\033[91m",
	[ND_C_BRIGHT_GREEN] = "\033[92m", [ND_C_BRIGHT_YELLOW] = "\033[93m",
	[ND_C_BRIGHT_BLUE] = "\033[94m",  [ND_C_BRIGHT_MAGENTA] = "\033[95m",
	[ND_C_BRIGHT_CYAN] = "\033[96m",
};

const char *nd_color(enum nd_color c)
{
	return nd_out.color_out ? color_codes[c] : "";
}

const char *nd_color_err(enum nd_color c)
{
	return nd_out.color_err ? color_codes[c] : "";
}

enum nd_color nd_color_cycle(unsigned i)
{
	static const enum nd_color cycle[] = {
		ND_C_CYAN,	    ND_C_YELLOW,       ND_C_GREEN,
		ND_C_MAGENTA,	    ND_C_BLUE,	       ND_C_BRIGHT_CYAN,
		ND_C_BRIGHT_YELLOW, ND_C_BRIGHT_GREEN, ND_C_BRIGHT_MAGENTA,
		ND_C_BRIGHT_BLUE,
	};

	return cycle[i % ND_ARRAY_SIZE(cycle)];
}

void nd_fputs_sanitized(const char *s, FILE *f)
{
	struct nd_buf b = ND_BUF_INIT;

	nd_buf_add_sanitized(&b, s, strlen(s), true);
	fputs(b.buf, f);
	nd_buf_release(&b);
}

static void vmsg(const char *prefix, enum nd_color c, const char *fmt,
		 va_list ap)
{
	struct nd_buf raw = ND_BUF_INIT, clean = ND_BUF_INIT;

	nd_buf_vaddf(&raw, fmt, ap);
	nd_buf_add_sanitized(&clean, raw.buf, raw.len, true);
	fflush(stdout);
	fprintf(stderr, "%s%s%s %s\n", nd_color_err(c), prefix,
		nd_color_err(ND_C_RESET), clean.buf);
	nd_buf_release(&raw);
	nd_buf_release(&clean);
}

void nd_msg_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error:", ND_C_RED, fmt, ap);
	va_end(ap);
}

void nd_msg_warning(const char *fmt, ...)
{
	va_list ap;

	if (nd_out.verbosity < ND_V_WARNING)
		return;
	va_start(ap, fmt);
	vmsg("warning:", ND_C_YELLOW, fmt, ap);
	va_end(ap);
}

void nd_msg_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("hint:", ND_C_CYAN, fmt, ap);
	va_end(ap);
}

void nd_msg_info(const char *fmt, ...)
{
	struct nd_buf raw = ND_BUF_INIT;
	va_list ap;

	if (nd_out.verbosity < ND_V_INFO)
		return;
	va_start(ap, fmt);
	nd_buf_vaddf(&raw, fmt, ap);
	va_end(ap);
	fflush(stdout);
	nd_fputs_sanitized(raw.buf, stderr);
	fputc('\n', stderr);
	nd_buf_release(&raw);
}

void nd_msg_debug(const char *fmt, ...)
{
	va_list ap;

	if (nd_out.verbosity < ND_V_DEBUG)
		return;
	va_start(ap, fmt);
	vmsg("debug:", ND_C_DIM, fmt, ap);
	va_end(ap);
}

void nd_error_print(const struct nd_error *err)
{
	if (err->file && err->line)
		nd_msg_error("%s:%d:%d: %s", err->file, err->line,
			     err->col ? err->col : 1,
			     err->msg ? err->msg : "unknown error");
	else if (err->file)
		nd_msg_error("%s: %s", err->file,
			     err->msg ? err->msg : "unknown error");
	else
		nd_msg_error("%s", err->msg ? err->msg : "unknown error");
	if (err->hint)
		nd_msg_hint("%s", err->hint);
}

cJSON *nd_error_json(const struct nd_error *err)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "code", nd_error_code_name(err->code));
	cJSON_AddStringToObject(e, "message", err->msg ? err->msg : "");
	if (err->hint)
		cJSON_AddStringToObject(e, "hint", err->hint);
	if (err->file) {
		cJSON_AddStringToObject(e, "file", err->file);
		if (err->line) {
			cJSON_AddNumberToObject(e, "line", err->line);
			cJSON_AddNumberToObject(e, "column",
						err->col ? err->col : 1);
		}
	}
	if (err->http_status)
		cJSON_AddNumberToObject(e, "http_status",
					(double)err->http_status);
	return e;
}

void nd_error_report(const struct nd_error *err)
{
	nd_error_print(err);
	if (nd_out.json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddItemToObject(doc, "error", nd_error_json(err));
		nd_json_print(doc);
	}
}

void nd_json_print(cJSON *doc)
{
	char *s = cJSON_Print(doc);

	if (s) {
		/* cJSON indents with tabs; two spaces read better in pipes */
		struct nd_buf b = ND_BUF_INIT;
		const char *p;

		for (p = s; *p; p++) {
			if (*p == '\t' && p > s && p[-1] == ':')
				nd_buf_addch(&b, ' ');
			else if (*p == '\t')
				nd_buf_adds(&b, "  ");
			else
				nd_buf_addch(&b, *p);
		}
		fputs(b.buf, stdout);
		fputc('\n', stdout);
		nd_buf_release(&b);
		free(s);
	}
	cJSON_Delete(doc);
}

void nd_json_print_line(cJSON *doc)
{
	char *s = cJSON_PrintUnformatted(doc);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		free(s);
	}
	cJSON_Delete(doc);
}

/* --- tables --- */

static char **vcells(size_t *n, const char *first, va_list ap)
{
	size_t alloc = 8, count = 0;
	char **cells = nd_malloc(alloc * sizeof(*cells));
	const char *s;

	for (s = first; s; s = va_arg(ap, const char *)) {
		if (count == alloc) {
			alloc *= 2;
			cells = nd_realloc(cells, alloc * sizeof(*cells));
		}
		cells[count++] = nd_strdup(s);
	}
	*n = count;
	return cells;
}

void nd_table_columns(struct nd_table *t, const char *first, ...)
{
	va_list ap;

	va_start(ap, first);
	t->headers = vcells(&t->ncols, first, ap);
	va_end(ap);
}

void nd_table_row(struct nd_table *t, const char *first, ...)
{
	size_t n, i;
	char **cells;
	va_list ap;

	va_start(ap, first);
	cells = vcells(&n, first, ap);
	va_end(ap);
	if (n != t->ncols)
		BUG("table row has %zu cells, want %zu", n, t->ncols);
	for (i = 0; i < n; i++) {
		/* cells are printed as they are: sanitize once here */
		struct nd_buf b = ND_BUF_INIT;

		nd_buf_add_sanitized(&b, cells[i], strlen(cells[i]), false);
		free(cells[i]);
		cells[i] = nd_buf_detach(&b, NULL);
	}
	if (t->nrows == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 16;
		t->rows = nd_realloc(t->rows, t->alloc * sizeof(*t->rows));
		t->colors = nd_realloc(t->colors, t->alloc * sizeof(*t->colors));
	}
	t->rows[t->nrows] = cells;
	t->colors[t->nrows] = nd_calloc(n, sizeof(char *));
	t->nrows++;
}

void nd_table_color(struct nd_table *t, size_t col, const char *color)
{
	if (!t->nrows || col >= t->ncols)
		BUG("no such table cell");
	t->colors[t->nrows - 1][col] = color;
}

/* Display width of UTF-8 text: count code points, not bytes. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void nd_table_print(const struct nd_table *t, FILE *f)
{
	size_t *width = nd_calloc(t->ncols, sizeof(size_t));
	size_t r, c;

	for (c = 0; c < t->ncols; c++)
		width[c] = text_width(t->headers[c]);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			if (text_width(t->rows[r][c]) > width[c])
				width[c] = text_width(t->rows[r][c]);
	for (c = 0; c < t->ncols; c++) {
		if (c + 1 < t->ncols)
			fprintf(f, "%s%*s", t->headers[c],
				(int)(width[c] - text_width(t->headers[c]) + 3),
				"");
		else
			fprintf(f, "%s\n", t->headers[c]);
	}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *col = t->colors[r][c];
			const char *cell = t->rows[r][c];

			/* the caller chose the color for f: reset likewise */
			fprintf(f, "%s%s%s", col ? col : "", cell,
				col && *col ? color_codes[ND_C_RESET] : "");
			if (c + 1 < t->ncols)
				fprintf(f, "%*s",
					(int)(width[c] - text_width(cell) + 3),
					"");
		}
		fputc('\n', f);
	}
	free(width);
}

void nd_table_release(struct nd_table *t)
{
	size_t r, c;

	if (!t)
		return;
	for (c = 0; c < t->ncols; c++)
		free(t->headers[c]);
	free(t->headers);
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
		free((void *)t->colors[r]);
	}
	free(t->rows);
	free(t->colors);
	*t = (struct nd_table)ND_TABLE_INIT;
}

void nd_format_bytes_binary(char *out, size_t n, double bytes)
{
	static const char *const units[] = { "B",   "KiB", "MiB",
					     "GiB", "TiB", "PiB" };
	size_t u = 0;

	while (bytes >= 1024 && u + 1 < ND_ARRAY_SIZE(units)) {
		bytes /= 1024;
		u++;
	}
	snprintf(out, n, "%.4g%s", bytes, units[u]);
}

void nd_format_bytes_decimal(char *out, size_t n, double bytes)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	size_t u = 0;

	while (bytes >= 1000 && u + 1 < ND_ARRAY_SIZE(units)) {
		bytes /= 1000;
		u++;
	}
	snprintf(out, n, "%.3g%s", bytes, units[u]);
}

void nd_format_ago(char *out, size_t n, double seconds)
{
	long s = (long)seconds;

	if (s < 1)
		snprintf(out, n, "less than a second ago");
	else if (s == 1)
		snprintf(out, n, "1 second ago");
	else if (s < 60)
		snprintf(out, n, "%ld seconds ago", s);
	else if (s < 120)
		snprintf(out, n, "about a minute ago");
	else if (s < 3600)
		snprintf(out, n, "%ld minutes ago", s / 60);
	else if (s < 7200)
		snprintf(out, n, "about an hour ago");
	else if (s < 48 * 3600)
		snprintf(out, n, "%ld hours ago", s / 3600);
	else if (s < 14 * 86400)
		snprintf(out, n, "%ld days ago", s / 86400);
	else if (s < 60 * 86400)
		snprintf(out, n, "%ld weeks ago", s / (7 * 86400));
	else if (s < 730 * 86400)
		snprintf(out, n, "%ld months ago", s / (30 * 86400));
	else
		snprintf(out, n, "%ld years ago", s / (365 * 86400));
}
