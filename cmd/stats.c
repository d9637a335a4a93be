/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/signals.h"
#include "core/project.h"
#include "docker/api.h"
#include "docker/stats.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static bool no_stream;

/* clang-format off */
static const struct nd_opt stats_opts[] = {
	ND_OPT_BOOL_ROW(0, "no-stream", &no_stream,
			"print one sample (taken over about a second) and exit"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const struct nd_arg stats_args[] = {
	{ "SERVICE", ND_ARG_SERVICE, NULL, true, false,
	  "only this service's containers (web, worker, proxy, ...)" },
	ND_ARG_END,
};
/* clang-format on */

/* clang-format off */
static const char *const stats_sections[] = {
	"CPU",
	"CPU % is the container's CPU time over the wall-clock time between "
	"two samples that nextdeploy keeps itself (Δ total_usage / Δ read "
	"time); 100% is one full CPU, so a container limited to 0.5 CPU "
	"shows at most about 50%. This is what docker stats shows on Docker, "
	"and it is also right on Podman, whose system_cpu_usage is not the "
	"host's. Memory is usage minus inactive file pages (cgroup v1 and "
	"v2), as in the docker CLI.",
	"JSON",
	"Each container is an object with the keys id, name, service, "
	"release, read (the sample's time, RFC 3339), cpu_percent, "
	"memory_usage, memory_limit, memory_percent (bytes and percents; "
	"null when unknown, e.g. the first sample's CPU), net_rx, net_tx, "
	"block_read, block_write (bytes) and pids. With --no-stream the "
	"output is one JSON array; otherwise one object per line, per "
	"container, every second.",
	"EXIT STATUS",
	"0 on success (also when no container is running); 1 when a sample "
	"could not be taken (the other containers are still shown); 2 on a "
	"usage or project-file error; 3 when the engine is unreachable; 130 "
	"when interrupted (Ctrl-C ends the live table).",
	NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_stats_spec = {
	.usage = "[OPTIONS] [SERVICE]",
	.description =
		"Show CPU %, memory usage, limit and %, network and block I/O "
		"and the number of processes of the project's running "
		"containers (found by their nextdeploy.app label), or of one "
		"service's.\n\n"
		"On a terminal the table is redrawn in place once a second "
		"until Ctrl-C; containers that stop show -- and then "
		"disappear, new ones appear. When stdout is not a terminal a "
		"new table is printed every second; with --json one JSON "
		"object per container per second. --no-stream takes one "
		"sample of every container at once (two readings about a "
		"second apart, all containers concurrently), prints it and "
		"exits.",
	.opts = stats_opts,
	.args = stats_args,
	.max_args = 1,
	.examples = (const struct nd_example[]){
		{ "nextdeploy stats", "a live table of the project's containers" },
		{ "nextdeploy stats --no-stream web", "one sample of the web service" },
		{ "nextdeploy stats --no-stream --json", "one sample as a JSON array" },
		{ "nextdeploy stats --json > usage.jsonl", "record a sample per container every second" },
		{ NULL, NULL },
	},
	.sections = stats_sections,
};
/* clang-format on */

/* Refresh the table at most this often; re-list the containers. */
#define DRAW_EVERY_MS 1000
#define LIST_EVERY_MS 2000
#define FIRST_DRAW_MAX_MS 2500
#define ONESHOT_TIMEOUT_MS 10000
/* --no-stream: readings per container at most, and their spacing */
#define MAX_READINGS 4
#define READING_GAP_MS 900

struct row {
	char *id;
	char *name;
	char *service;
	char *release;
	struct nd_stats_sample prev, cur;
	int nsamples;	 /* frames seen (prev is valid from 2) */
	double cpu;	 /* last CPU figure, -1 when none */
	bool ended;	 /* its request ended (stopped, error) */
	bool failed;	 /* an error other than "no such container" */
	bool listed;	 /* in the latest listing */
	bool shown_gone; /* drawn once as -- (then it may leave) */
	int attempts;	 /* --no-stream: readings asked for */
	int64_t next_at; /* --no-stream: not before this (monotonic ms) */
};

struct stats {
	struct nd_ctx *ctx;
	struct row *rows;
	size_t nr, alloc;
	struct nd_stats_multi *m;
	bool stream;
	int failures;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct row *row_find(struct stats *st, const char *id)
{
	size_t i;

	for (i = 0; i < st->nr; i++)
		if (!strcmp(st->rows[i].id, id))
			return &st->rows[i];
	return NULL;
}

static void row_release(struct row *r)
{
	free(r->id);
	free(r->name);
	free(r->service);
	free(r->release);
}

static void row_remove(struct stats *st, size_t i)
{
	if (st->m)
		nd_stats_multi_remove(st->m, st->rows[i].id);
	row_release(&st->rows[i]);
	memmove(&st->rows[i], &st->rows[i + 1],
		(st->nr - i - 1) * sizeof(*st->rows));
	st->nr--;
}

static cJSON *row_json(const struct row *r);

static void on_frame(const char *id, const cJSON *frame, void *ud)
{
	struct stats *st = ud;
	struct row *r = row_find(st, id);
	struct nd_stats_sample s;

	if (!r)
		return;
	nd_stats_parse(&s, frame);
	r->prev = r->cur;
	r->cur = s;
	r->nsamples++;
	r->next_at = now_ms() + READING_GAP_MS;
	if (!s.running) {
		r->cpu = -1;
		return;
	}
	/* our own previous sample first; the engine's precpu otherwise */
	r->cpu = r->nsamples > 1 ? nd_stats_cpu_percent(&r->prev, &s) : -1;
	if (r->cpu < 0)
		r->cpu = nd_stats_cpu_percent_pre(&s);
	/* live JSON: a line per frame, from the first with a CPU figure */
	if (st->stream && nd_out.json && r->cpu >= 0) {
		nd_json_print_line(row_json(r));
		fflush(stdout);
	}
}

static void on_end(const char *id, int result, const struct nd_error *err,
		   void *ud)
{
	struct stats *st = ud;
	struct row *r = row_find(st, id);

	if (!r)
		return;
	r->ended = true;
	if (result == 0 || result == ND_ENOTFOUND)
		return; /* stopped or removed meanwhile: shown as -- */
	/* a stream that breaks is retried at the next listing */
	if (st->stream)
		return;
	r->failed = true;
	st->failures++;
	nd_msg_warning("cannot read the stats of '%s': %s", r->name,
		       err->msg ? err->msg : "unknown error");
}

/* List the running containers; add new rows, flag the ones that left. */
static int relist(struct stats *st, const char *service, struct nd_error *err)
{
	struct nd_filters f = ND_FILTERS_INIT;
	cJSON *list = NULL;
	const cJSON *c;
	size_t i;
	int r;

	nd_filters_project(&f, st->ctx->project->app);
	if (service) {
		char *l = nd_xprintf("nextdeploy.service=%s", service);

		nd_filters_add(&f, "label", l);
		free(l);
	}
	r = nd_containers_list(st->ctx->engine, false, &f, &list, err);
	nd_filters_release(&f);
	if (r < 0)
		return nd_error_wrap(err, "listing the containers of '%s'",
				     st->ctx->project->app);
	for (i = 0; i < st->nr; i++)
		st->rows[i].listed = false;
	cJSON_ArrayForEach(c, list) {
		const char *id = nd_json_str(c, "Id");
		const char *svc = nd_json_label(c, "nextdeploy.service");
		const char *rel = nd_json_label(c, "nextdeploy.release");
		struct row *row;

		if (!id)
			continue;
		row = row_find(st, id);
		if (!row) {
			if (st->nr == st->alloc) {
				st->alloc = st->alloc ? st->alloc * 2 : 8;
				st->rows = nd_realloc(
					st->rows, st->alloc * sizeof(*st->rows));
			}
			row = &st->rows[st->nr++];
			memset(row, 0, sizeof(*row));
			row->id = nd_strdup(id);
			row->name = nd_strdup(nd_container_name(c));
			row->service = nd_strdup(svc ? svc : "");
			row->release = nd_strdup(rel ? rel : "");
			row->cpu = -1;
		}
		row->listed = true;
	}
	cJSON_Delete(list);
	return 0;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void sort_rows(struct stats *st)
{
	if (st->nr > 1)
		qsort(st->rows, st->nr, sizeof(*st->rows), cmp_rows);
}

static double round2(double v)
{
	return round(v * 100.0) / 100.0;
}

static void add_num_or_null(cJSON *o, const char *k, bool ok, double v)
{
	if (ok)
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *row_json(const struct row *r)
{
	const struct nd_stats_sample *s = &r->cur;
	cJSON *o = cJSON_CreateObject();
	double mp = nd_stats_mem_percent(s);

	cJSON_AddStringToObject(o, "id", r->id);
	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddStringToObject(o, "service", r->service);
	cJSON_AddStringToObject(o, "release", r->release);
	if (s->running) {
		char ts[32];
		time_t t = (time_t)(s->read_ns / 1000000000);
		struct tm tm;
		char *full;

		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		full = nd_xprintf("%s.%09lldZ", ts,
				  (long long)(s->read_ns % 1000000000));
		cJSON_AddStringToObject(o, "read", full);
		free(full);
	} else {
		cJSON_AddNullToObject(o, "read");
	}
	add_num_or_null(o, "cpu_percent", r->cpu >= 0, round2(r->cpu));
	add_num_or_null(o, "memory_usage", s->has_mem, s->mem_used);
	add_num_or_null(o, "memory_limit", s->has_mem && s->mem_limit > 0,
			s->mem_limit);
	add_num_or_null(o, "memory_percent", mp >= 0, round2(mp));
	add_num_or_null(o, "net_rx", s->has_net, s->net_rx);
	add_num_or_null(o, "net_tx", s->has_net, s->net_tx);
	add_num_or_null(o, "block_read", s->has_blk, s->blk_read);
	add_num_or_null(o, "block_write", s->has_blk, s->blk_write);
	add_num_or_null(o, "pids", s->has_pids, s->pids);
	return o;
}

static void row_table(struct nd_table *t, struct row *r, bool stream)
{
	const struct nd_stats_sample *s = &r->cur;
	char cpu[32], mem[64], memp[32], net[64], blk[64], pids[32];
	/* a live stream that ended: the container stopped or went away */
	bool live = r->nsamples > 0 && s->running && !(stream && r->ended);

	nd_stats_fmt_percent(cpu, sizeof(cpu), live ? r->cpu : -1);
	if (live) {
		nd_stats_fmt_mem(mem, sizeof(mem), s);
		nd_stats_fmt_percent(memp, sizeof(memp),
				     nd_stats_mem_percent(s));
		nd_stats_fmt_io(net, sizeof(net), s->has_net, s->net_rx,
				s->net_tx);
		nd_stats_fmt_io(blk, sizeof(blk), s->has_blk, s->blk_read,
				s->blk_write);
		nd_stats_fmt_pids(pids, sizeof(pids), s);
	} else {
		r->shown_gone = true;
		snprintf(mem, sizeof(mem), "-- / --");
		snprintf(memp, sizeof(memp), "--");
		snprintf(net, sizeof(net), "-- / --");
		snprintf(blk, sizeof(blk), "-- / --");
		snprintf(pids, sizeof(pids), "--");
	}
	nd_table_row(t, r->name, cpu, mem, memp, net, blk, pids, NULL);
}

static void build_table(struct stats *st, struct nd_table *t)
{
	size_t i;

	nd_table_columns(t, "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %",
			 "NET I/O", "BLOCK I/O", "PIDS", NULL);
	sort_rows(st);
	for (i = 0; i < st->nr; i++)
		row_table(t, &st->rows[i], st->stream);
}

/* --- --no-stream --- */

/*
 * A row wants another reading while it has no CPU figure yet: none taken,
 * or only one. A request that ended without a frame (the container is
 * gone) or failed ends it.
 */
static bool needs_sample(const struct row *r)
{
	if (r->failed || r->attempts >= MAX_READINGS)
		return false;
	if (r->nsamples == 0)
		return !r->ended;
	return r->cur.running && r->cpu < 0;
}

static int one_sample(struct stats *st, struct nd_error *err)
{
	int64_t start = now_ms();
	size_t i;
	int r;

	/*
	 * Two readings per container, all containers at once, the second
	 * one asked for READING_GAP_MS after the first arrived (NOTES §8.3).
	 * Docker 20.10 answers a one-shot request at its next 1 s
	 * collection tick, so the second reading lands on the tick after
	 * the first: ~1 s for one container, ~2 s for many (the first
	 * request wakes the collector at once, the others wait for the next
	 * tick), like docker stats --no-stream. Engines that answer at once
	 * get readings READING_GAP_MS apart. A row whose readings fell on
	 * the same tick gets another.
	 */
	for (i = 0; i < st->nr; i++)
		st->rows[i].next_at = start;
	for (;;) {
		bool pending = false;
		int64_t now = now_ms();

		if (nd_signal_caught())
			return nd_error_set(err, ND_EINTERRUPTED, "interrupted");
		for (i = 0; i < st->nr; i++) {
			struct row *row = &st->rows[i];

			if (!needs_sample(row))
				continue;
			pending = true;
			if (nd_stats_multi_has(st->m, row->id) ||
			    now < row->next_at)
				continue;
			row->attempts++;
			row->ended = false;
			if ((r = nd_stats_multi_add(st->m, row->id, false,
						    ONESHOT_TIMEOUT_MS, err)) <
			    0)
				return r;
		}
		if (!pending && !nd_stats_multi_active(st->m))
			break;
		if ((r = nd_stats_multi_run(st->m, 50, err)) < 0)
			return r;
	}
	nd_msg_debug("stats: %zu containers sampled in %lld ms", st->nr,
		     (long long)(now_ms() - start));
	/* gone meanwhile (404, or a stopped container's zero sample) */
	for (i = st->nr; i-- > 0;) {
		struct row *row = &st->rows[i];

		if (!row->failed && (row->nsamples == 0 || !row->cur.running))
			row_remove(st, i);
	}
	return 0;
}

static int no_stream_mode(struct stats *st, struct nd_error *err)
{
	struct nd_table t = ND_TABLE_INIT;
	size_t i;
	int r;

	if (st->nr && (r = one_sample(st, err)) < 0)
		return r;
	if (nd_out.json) {
		cJSON *arr = cJSON_CreateArray();

		sort_rows(st);
		for (i = 0; i < st->nr; i++)
			cJSON_AddItemToArray(arr, row_json(&st->rows[i]));
		nd_json_print(arr);
	} else {
		build_table(st, &t);
		nd_table_print(&t, stdout);
		nd_table_release(&t);
	}
	return 0;
}

/* --- live --- */

static int term_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 1)
		return ws.ws_row;
	return 0;
}

/*
 * Redraw in place without flicker: cursor home, each line followed by
 * "clear to end of line", then "clear to end of screen" (no full clear
 * between frames). Lines past the terminal's height are left out so the
 * screen never scrolls (which would break "cursor home").
 */
static void draw_tty(const struct nd_table *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int max = term_rows(), n = 0;
	char *line, *p;

	if (!mem)
		return;
	nd_table_print(t, mem);
	fclose(mem);
	fputs("\033[H", stdout);
	for (line = text; line && *line; line = p) {
		p = strchr(line, '\n');
		if (p)
			*p++ = '\0';
		if (max && n >= max - 1)
			break;
		fputs(line, stdout);
		fputs("\033[K\n", stdout);
		n++;
	}
	fputs("\033[J", stdout);
	fflush(stdout);
	free(text);
}

static void draw(struct stats *st, bool tty)
{
	struct nd_table t = ND_TABLE_INIT;

	if (nd_out.json)
		return; /* JSON lines go out as frames arrive (on_frame) */
	build_table(st, &t);
	if (tty) {
		draw_tty(&t);
	} else {
		nd_table_print(&t, stdout);
		putchar('\n');
		fflush(stdout);
	}
	nd_table_release(&t);
}

static bool all_ready(const struct stats *st)
{
	size_t i;

	for (i = 0; i < st->nr; i++)
		if (st->rows[i].nsamples < 2 && !st->rows[i].ended)
			return false;
	return true;
}

static int live_mode(struct stats *st, const char *service, struct nd_error *err)
{
	bool tty = nd_out.tty_out && !nd_out.json;
	int64_t next_list = now_ms() + LIST_EVERY_MS;
	int64_t first_draw_by = now_ms() + FIRST_DRAW_MAX_MS;
	int64_t next_draw = -1;
	int r = 0;
	size_t i;

	if (tty)
		fputs("\033[?25l\033[2J\033[H", stdout); /* hide cursor, clear */
	for (;;) {
		int64_t now;

		/* (re)start a stream per listed container */
		for (i = 0; i < st->nr; i++) {
			struct row *row = &st->rows[i];

			if (row->listed && !nd_stats_multi_has(st->m, row->id)) {
				row->ended = false;
				if ((r = nd_stats_multi_add(st->m, row->id,
							    true, 0, err)) < 0)
					goto done;
			}
		}
		if (nd_signal_caught())
			break;
		if ((r = nd_stats_multi_run(st->m, 200, err)) < 0)
			goto done;
		if (nd_signal_caught())
			break;
		now = now_ms();
		/* the first table once every container has a CPU figure
		 * (two frames), or after a short while: not a screen of -- */
		if (next_draw < 0 && (now >= first_draw_by || all_ready(st)))
			next_draw = now;
		if (next_draw >= 0 && now >= next_draw) {
			draw(st, tty);
			next_draw = now + DRAW_EVERY_MS;
			if (ferror(stdout))
				break; /* the reader went away */
		}
		if (now >= next_list) {
			if ((r = relist(st, service, err)) < 0)
				goto done;
			/* gone from the listing: drop it once it was shown
			 * as -- (JSON lines have no such step) */
			for (i = st->nr; i-- > 0;)
				if (!st->rows[i].listed &&
				    (st->rows[i].shown_gone || nd_out.json ||
				     !st->rows[i].nsamples))
					row_remove(st, i);
			next_list = now + LIST_EVERY_MS;
		}
	}
	if (nd_signal_caught())
		r = nd_error_set(err, ND_EINTERRUPTED, "interrupted");
done:
	if (tty) {
		fputs("\033[?25h", stdout); /* the cursor back */
		fflush(stdout);
	}
	return r;
}

int cmd_stats(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_error err = ND_ERROR_INIT;
	struct stats st = { 0 };
	const char *service = argc > 0 ? argv[0] : NULL;
	size_t i;
	int code = 0, r;

	st.ctx = ctx;
	st.stream = !no_stream;
	nd_signals_install(ND_SIG_NOTIFY);
	if ((r = relist(&st, service, &err)) < 0)
		goto fail;
	if (!st.nr && nd_out.tty_err && !nd_out.json)
		nd_msg_info("no running containers for '%s'%s%s",
			    ctx->project->app, service ? " service " : "",
			    service ? service : "");
	st.m = nd_stats_multi_new(ctx->engine, on_frame, on_end, &st);
	if (!st.m) {
		r = nd_error_set(&err, ND_EGENERIC, "cannot start libcurl");
		goto fail;
	}
	if (no_stream)
		r = no_stream_mode(&st, &err);
	else
		r = live_mode(&st, service, &err);
	if (r < 0)
		goto fail;
	if (st.failures)
		code = ND_EXIT_FAIL;
	goto done;
fail:
	if (err.code == ND_EINTERRUPTED) {
		code = ND_EXIT_INTERRUPTED;
	} else {
		nd_error_report(&err);
		code = nd_error_exit_code(&err);
	}
done:
	nd_stats_multi_free(st.m);
	for (i = 0; i < st.nr; i++)
		row_release(&st.rows[i]);
	free(st.rows);
	nd_error_release(&err);
	return code;
}
