/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/progress.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

struct line {
	char *id;
	char *text; /* "<id>: <status> <progress>" */
	bool dirty;
};

struct nd_progress {
	FILE *f;
	bool bars;
	int width; /* 0: ask the terminal */
	int interval_ms;
	nd_progress_aux_fn aux_fn;
	void *aux_ud;
	struct line *lines;
	size_t nr, alloc;
	double last_draw; /* monotonic seconds */
};

/* What a SIGINT handler needs: the fd and how far the cursor is moved up. */
static volatile sig_atomic_t active_fd = -1;
static volatile sig_atomic_t cursor_up;

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void nd_progress_human_size(char *out, size_t n, double bytes)
{
	static const char *const units[] = { "B",  "kB", "MB", "GB", "TB",
					     "PB", "EB", "ZB", "YB" };
	size_t u = 0;

	while (bytes >= 1000 && u + 1 < ND_ARRAY_SIZE(units)) {
		bytes /= 1000;
		u++;
	}
	snprintf(out, n, "%.4g%s", bytes, units[u]);
}

void nd_progress_go_duration(char *out, size_t n, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(out, n, "%" PRId64 "h%" PRId64 "m%" PRId64 "s",
			 s / 3600, s % 3600 / 60, s % 60);
	else if (s >= 60)
		snprintf(out, n, "%" PRId64 "m%" PRId64 "s", s / 60, s % 60);
	else
		snprintf(out, n, "%" PRId64 "s", s);
}

void nd_progress_format(struct nd_buf *out, const struct nd_progress_detail *d,
			int width, double now)
{
	char cur[32], tot[32];
	int pct;

	if (d->current <= 0 && d->total <= 0)
		return;
	if (d->total <= 0) {
		if (d->units) {
			nd_buf_addf(out, "%" PRId64 " %s", d->current, d->units);
		} else {
			nd_progress_human_size(cur, sizeof(cur),
					       (double)d->current);
			nd_buf_addf(out, "%8s", cur);
		}
		return;
	}
	pct = (int)((double)d->current / (double)d->total * 100) / 2;
	if (pct > 50)
		pct = 50;
	if (pct < 0)
		pct = 0;
	if (width > 110)
		nd_buf_addf(out, "[%.*s>%*s] ", pct,
			    "=================================================="
			    "=",
			    50 - pct, "");
	if (!d->hidecounts) {
		if (d->units) {
			if (d->current > d->total)
				nd_buf_addf(out, "%" PRId64 " %s", d->current,
					    d->units);
			else
				nd_buf_addf(out, "%" PRId64 "/%" PRId64 " %s",
					    d->current, d->total, d->units);
		} else {
			nd_progress_human_size(cur, sizeof(cur),
					       (double)d->current);
			nd_progress_human_size(tot, sizeof(tot),
					       (double)d->total);
			/* push reports current > total at times: drop the total */
			if (d->current > d->total)
				nd_buf_addf(out, "%8s", cur);
			else
				nd_buf_addf(out, "%8s/%s", cur, tot);
		}
	}
	if (d->current > 0 && d->start > 0 && pct < 50 && width > 50) {
		double elapsed = now - (double)d->start;
		double left = (double)(d->total - d->current) * elapsed /
			      (double)d->current;
		char eta[32];

		nd_progress_go_duration(eta, sizeof(eta), (int64_t)(left + 0.5));
		nd_buf_addf(out, " %s", eta);
	}
}

struct nd_progress *nd_progress_new(FILE *f, bool bars)
{
	struct nd_progress *p = nd_calloc(1, sizeof(*p));

	p->f = f;
	p->bars = bars;
	p->interval_ms = 60;
	if (bars)
		active_fd = fileno(f);
	return p;
}

void nd_progress_set_aux(struct nd_progress *p, nd_progress_aux_fn fn, void *ud)
{
	p->aux_fn = fn;
	p->aux_ud = ud;
}

void nd_progress_set_width(struct nd_progress *p, int width)
{
	p->width = width;
}

void nd_progress_set_interval(struct nd_progress *p, int ms)
{
	p->interval_ms = ms;
}

static int term_width(struct nd_progress *p)
{
	struct winsize ws;

	if (p->width > 0)
		return p->width;
	if (!ioctl(fileno(p->f), TIOCGWINSZ, &ws) && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void clear_lines(struct nd_progress *p)
{
	size_t i;

	for (i = 0; i < p->nr; i++) {
		free(p->lines[i].id);
		free(p->lines[i].text);
	}
	p->nr = 0;
}

/* Redraw the dirty lines of the block, the cursor ending below it. */
static void draw(struct nd_progress *p)
{
	int width = term_width(p);
	size_t i;

	for (i = 0; i < p->nr; i++) {
		struct line *l = &p->lines[i];
		int up = (int)(p->nr - i);

		if (!l->dirty)
			continue;
		l->dirty = false;
		cursor_up = up;
		/* never wrap: a wrapped line would break the cursor arithmetic */
		fprintf(p->f, "\033[%dA\033[2K\r%.*s\r\033[%dB", up,
			width > 1 ? width - 1 : 1, l->text, up);
		cursor_up = 0;
	}
	fflush(p->f);
	p->last_draw = mono_now();
}

void nd_progress_flush(struct nd_progress *p)
{
	if (p && p->bars)
		draw(p);
	if (p)
		fflush(p->f);
}

static void put_sanitized(FILE *f, const char *s)
{
	struct nd_buf b = ND_BUF_INIT;

	nd_buf_add_sanitized(&b, s, strlen(s), true);
	fputs(b.buf, f);
	nd_buf_release(&b);
}

static int64_t num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int nd_progress_message(struct nd_progress *p, const cJSON *msg,
			struct nd_error *err)
{
	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(
		msg, "progressDetail");
	const cJSON *aux = cJSON_GetObjectItemCaseSensitive(msg, "aux");
	const cJSON *edetail = cJSON_GetObjectItemCaseSensitive(msg,
								"errorDetail");
	const char *id = str(msg, "id"), *status = str(msg, "status");
	const char *stream = str(msg, "stream"), *error = str(msg, "error");
	struct nd_progress_detail d = { 0 };
	struct nd_buf text = ND_BUF_INIT, clean = ND_BUF_INIT;
	bool counts;
	size_t i;

	if (edetail && str(edetail, "message"))
		error = str(edetail, "message");
	if (error) {
		nd_progress_flush(p);
		return nd_error_set(err, ND_EGENERIC, "%s", error);
	}
	if (aux) {
		if (p->aux_fn)
			p->aux_fn(aux, p->aux_ud);
		return 0;
	}
	if (stream) {
		if (p->bars && p->nr) {
			draw(p);
			clear_lines(p);
		}
		put_sanitized(p->f, stream);
		fflush(p->f);
		return 0;
	}
	if (cJSON_IsObject(detail)) {
		d.current = num(detail, "current");
		d.total = num(detail, "total");
		d.start = num(detail, "start");
		d.hidecounts = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(detail, "hidecounts"));
		d.units = str(detail, "units");
		if (d.units && !*d.units)
			d.units = NULL;
	}
	counts = d.current > 0 || d.total > 0;
	if (!p->bars) {
		if (counts)
			return 0;
		if (id && *id)
			nd_buf_addf(&text, "%s: ", id);
		nd_buf_adds(&text, status ? status : "");
		nd_buf_add_sanitized(&clean, text.buf, text.len, false);
		fprintf(p->f, "%s\n", clean.buf);
		fflush(p->f);
		goto done;
	}
	if (id && *id)
		nd_buf_addf(&text, "%s: ", id);
	nd_buf_adds(&text, status ? status : "");
	if (counts) {
		nd_buf_addch(&text, ' ');
		nd_progress_format(&text, &d, term_width(p), (double)time(NULL));
	}
	nd_buf_add_sanitized(&clean, text.buf, text.len, false);
	if (!id || !*id || !detail) {
		/* a line of its own; the next ids start a new block */
		draw(p);
		clear_lines(p);
		fprintf(p->f, "%s\n", clean.buf);
		fflush(p->f);
		goto done;
	}
	for (i = 0; i < p->nr; i++)
		if (!strcmp(p->lines[i].id, id))
			break;
	if (i == p->nr) {
		if (p->nr == p->alloc) {
			p->alloc = p->alloc ? p->alloc * 2 : 8;
			p->lines = nd_realloc(p->lines,
					      p->alloc * sizeof(*p->lines));
		}
		p->lines[i].id = nd_strdup(id);
		p->lines[i].text = NULL;
		p->nr++;
		fputc('\n', p->f); /* the new line the id is drawn on */
	}
	nd_str_replace(&p->lines[i].text, clean.buf);
	p->lines[i].dirty = true;
	/* byte counts are throttled; a status change shows at once */
	if (!counts || p->interval_ms <= 0 ||
	    (mono_now() - p->last_draw) * 1000 >= p->interval_ms)
		draw(p);
done:
	nd_buf_release(&text);
	nd_buf_release(&clean);
	return 0;
}

int nd_progress_line(struct nd_progress *p, const char *line, size_t len,
		     struct nd_error *err)
{
	cJSON *msg;
	int r = 0;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!len)
		return 0;
	msg = cJSON_ParseWithLength(line, len);
	if (!msg) {
		struct nd_buf b = ND_BUF_INIT;

		nd_buf_add_sanitized(&b, line, len, false);
		fprintf(p->f, "%s\n", b.buf);
		nd_buf_release(&b);
		return 0;
	}
	r = nd_progress_message(p, msg, err);
	cJSON_Delete(msg);
	return r;
}

void nd_progress_free(struct nd_progress *p)
{
	if (!p)
		return;
	nd_progress_flush(p);
	if (active_fd == fileno(p->f))
		active_fd = -1;
	clear_lines(p);
	free(p->lines);
	free(p);
}

void nd_progress_interrupted(void)
{
	char buf[32];
	int fd = active_fd, up = cursor_up, n = 0;

	if (fd < 0)
		fd = STDERR_FILENO;
	if (!isatty(fd))
		return;
	if (up > 0) {
		/* ESC [ n B: back below the block (by hand: signal-safe) */
		char digits[12];
		int k = 0;

		while (up > 0 && k < (int)sizeof(digits)) {
			digits[k++] = (char)('0' + up % 10);
			up /= 10;
		}
		buf[n++] = '\033';
		buf[n++] = '[';
		while (k > 0)
			buf[n++] = digits[--k];
		buf[n++] = 'B';
	}
	memcpy(buf + n, "\r\033[2K", 5);
	n += 5;
	if (write(fd, buf, (size_t)n) < 0)
		return;
}
