/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/kv.h"
#include "core/project.h"
#include "core/signals.h"
#include "core/units.h"
#include "docker/api.h"
#include "docker/stream.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

static bool follow, timestamps, no_prefix, show_all;
static const char *tail_arg, *since_arg, *until_arg;

/* clang-format off */
static const struct nd_opt logs_opts[] = {
	ND_OPT_BOOL_ROW('f', "follow", &follow,
			"keep streaming new output; survives restarts and redeploys (the new release's container is picked up) until Ctrl-C"),
	ND_OPT_STRING_ROW('n', "tail", &tail_arg, "N", ND_ARG_NUMBER,
			  "only the last N lines of each container (a number or 'all'; default: all)"),
	ND_OPT_STRING_ROW(0, "since", &since_arg, "TIME", ND_ARG_TIME,
			  "only output from TIME on: RFC 3339 (2026-11-23T10:00:00Z), a date, Unix seconds, or a duration ago (10m, 1h30m)"),
	ND_OPT_STRING_ROW(0, "until", &until_arg, "TIME", ND_ARG_TIME,
			  "only output before TIME (same forms as --since)"),
	ND_OPT_BOOL_ROW('t', "timestamps", &timestamps,
			"start each line with the engine's RFC 3339 timestamp"),
	ND_OPT_BOOL_ROW(0, "no-prefix", &no_prefix,
			"no 'name |' prefix, even with several containers"),
	ND_OPT_BOOL_ROW('a', "all", &show_all,
			"also the stopped containers (default: the running ones, or a service's newest release when none runs)"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const struct nd_arg logs_args[] = {
	{ "SERVICE", ND_ARG_SERVICE, NULL, true, false,
	  "only this service's containers (web, proxy, ...); default: all of the project's" },
	ND_ARG_END,
};
/* clang-format on */

/* clang-format off */
static const struct nd_example logs_examples[] = {
	{ "nextdeploy logs", "the output of all the project's containers, each line prefixed by its container" },
	{ "nextdeploy logs -f web", "follow the web service, across restarts and redeploys, until Ctrl-C" },
	{ "nextdeploy logs -n 100 --since 10m", "the last 100 lines of each container, from the last ten minutes" },
	{ "nextdeploy logs --json -t web", "JSON lines with container, service, release, stream, line and time" },
	{ NULL, NULL },
};
/* clang-format on */

/* clang-format off */
static const char *const logs_sections[] = {
	"OUTPUT",
	"A container's standard output goes to standard output and its standard "
	"error to standard error. With one container and no prefix the bytes are "
	"passed through as the engine sends them (as fast as 'docker logs'). With "
	"several containers the lines are interleaved as they arrive, each "
	"prefixed by the container's name without the 'nd-APP-' part ('web-r1 | "
	"...'), padded and colored per container on a terminal, plain otherwise "
	"(and with --no-color or NO_COLOR). A last line without a newline is "
	"ended with one in that case. A container started with a TTY has its "
	"output and errors merged by the engine; it all arrives on standard "
	"output with the terminal's line endings.\n"
	"With --json every line is one JSON object on standard output: "
	"{\"container\", \"service\", \"release\", \"stream\" (stdout or "
	"stderr), \"line\" (without its newline), \"time\"}.",
	"FOLLOWING",
	"With -f the command watches the engine's events for the project: when a "
	"container of the selected services starts (a redeploy's new release, a "
	"restart, a new replica) its output is picked up, from its beginning, or "
	"for a restarted container from where its previous run ended. It does "
	"not end when a container exits; Ctrl-C (or SIGTERM) ends it with exit "
	"status 130. With --until it ends at that time.",
	"EXIT STATUS",
	"1 also when the engine failed to give one container's log (the others "
	"are still shown). Output that goes away (| head) ends logs quietly "
	"with 0; Ctrl-C or SIGTERM end --follow with 130.",
	NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_logs_spec = {
	.usage = "[OPTIONS] [SERVICE]",
	.description = "Show the output of the project's containers (found by "
		       "their nextdeploy.app label; the per-app proxy is one "
		       "of them, service 'proxy'), or of one SERVICE's. "
		       "Without --all these are the running containers, or "
		       "for a service with none running its newest container, "
		       "so that a crash can be read. -n, --since and --until "
		       "apply to each container; times are converted to Unix "
		       "seconds on the client. Here -f is --follow: name the "
		       "project file with --file.",
	.opts = logs_opts,
	.args = logs_args,
	.min_args = 0,
	.max_args = 1,
	.examples = logs_examples,
	.sections = logs_sections,
};
/* clang-format on */

/* --- output: one buffered writer per fd (large writes, no stdio) --- */

#define OUT_CHUNK ((size_t)64 << 10)
#define CARRY_CAP ((size_t)64 << 10)
#define TS_CAP 48 /* "2026-11-23T22:15:05.693243593Z" and some */

struct out {
	int fd;
	struct nd_buf buf;
	/* raw mode: who wrote last, and whether it left a line open */
	const void *last_src;
	bool mid_line;
};

enum mode {
	MODE_RAW,   /* bytes through untouched */
	MODE_LINES, /* line by line, with or without prefix */
	MODE_JSON,
};

struct src;

struct line_sink {
	struct src *s;
	int stream; /* 0 stdout, 1 stderr */
};

struct logs {
	struct nd_engine *e;
	const char *app;
	const char *service; /* SERVICE or NULL */
	CURLM *m;
	struct src **srcs;
	size_t n, alloc;
	size_t nactive;
	struct out out[2];
	enum mode mode;
	bool prefix;
	bool strip_ts; /* line modes with timestamps from the engine */
	int width;
	double since, until; /* < 0: none */
	bool broken_pipe;
	bool failed; /* a container's log could not be read */
	/* follow: the events stream */
	CURL *ev;
	char ev_errbuf[CURL_ERROR_SIZE];
	struct nd_jsonl ev_jl;
	struct nd_error ev_err;
	struct nd_buf ev_ebody;
	char *ev_url;
	bool ev_active;
	bool ev_failed;
	struct nd_strvec pending; /* IDs of containers that started */
};

struct src {
	struct logs *L;
	char *id, *name, *label, *service, *release;
	bool tty;
	char *started_at; /* State.StartedAt when attached */
	unsigned color;
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
	char *url;
	struct nd_demux dm;
	struct nd_error err;
	struct line_sink sinks[2];
	struct nd_lines lines[2];
	struct nd_buf carry[2];
	/* line modes with timestamps (feed_lines) */
	bool in_ts[2];
	size_t ts_len[2];
	char frame_ts[2][TS_CAP];
	char line_ts[2][TS_CAP];
	struct nd_buf ebody;
	bool active;
	bool reattach; /* restarted while the old stream was still open */
	bool aborted;  /* we stopped it (write error) */
};

static int write_all(struct logs *L, int fd, const char *p, size_t len)
{
	/* a closed pipe (| head) or a full disk: stop quietly */
	if (!L->broken_pipe && nd_write_all(fd, p, len) < 0)
		L->broken_pipe = true;
	return L->broken_pipe ? -1 : 0;
}

static void out_flush(struct logs *L, int i)
{
	struct out *o = &L->out[i];

	if (o->buf.len)
		write_all(L, o->fd, o->buf.buf, o->buf.len);
	nd_buf_reset(&o->buf);
}

static void out_flush_all(struct logs *L)
{
	out_flush(L, 1);
	out_flush(L, 0);
}

/* Queue bytes for stdout (0) or stderr (1), keeping the order between them. */
static void out_add(struct logs *L, int i, const char *p, size_t len)
{
	struct out *o = &L->out[i];

	if (L->broken_pipe)
		return;
	if (L->out[!i].buf.len)
		out_flush(L, !i);
	if (o->buf.len + len > OUT_CHUNK)
		out_flush(L, i);
	if (len >= OUT_CHUNK) {
		write_all(L, o->fd, p, len);
		return;
	}
	nd_buf_add(&o->buf, p, len);
}

/* --- one container's stream --- */

/*
 * A line out: "name | [time ]line" (or without the prefix), or a JSON
 * object. ts is the time of the frame the line started in ("" if none).
 */
static void emit_line(struct src *s, int stream, const char *line, size_t len,
		      const char *ts)
{
	struct logs *L = s->L;
	struct nd_buf b = ND_BUF_INIT;
	char tsbuf[TS_CAP];

	if (s->tty && len && line[len - 1] == '\r')
		len--;
	if (s->tty && L->strip_ts) {
		/* no frames on a TTY: the time starts the line (mostly) */
		const char *sp = memchr(line, ' ', len);

		ts = "";
		if (sp && sp != line && (size_t)(sp - line) < sizeof(tsbuf) &&
		    line[0] >= '0' && line[0] <= '9') {
			memcpy(tsbuf, line, (size_t)(sp - line));
			tsbuf[sp - line] = '\0';
			ts = tsbuf;
			len -= (size_t)(sp + 1 - line);
			line = sp + 1;
		}
	}
	if (L->mode == MODE_JSON) {
		cJSON *o = cJSON_CreateObject();
		char *text = nd_strndup(line, len), *json;

		cJSON_AddStringToObject(o, "container", s->name);
		cJSON_AddStringToObject(o, "service",
					s->service ? s->service : "");
		cJSON_AddStringToObject(o, "release",
					s->release ? s->release : "");
		cJSON_AddStringToObject(o, "stream",
					stream ? "stderr" : "stdout");
		cJSON_AddStringToObject(o, "line", text);
		if (*ts)
			cJSON_AddStringToObject(o, "time", ts);
		json = cJSON_PrintUnformatted(o);
		nd_buf_adds(&b, json);
		nd_buf_addch(&b, '\n');
		out_add(L, 0, b.buf, b.len);
		free(json);
		free(text);
		cJSON_Delete(o);
		nd_buf_release(&b);
		return;
	}
	if (L->prefix) {
		enum nd_color c = nd_color_cycle(s->color);
		const char *on = stream ? nd_color_err(c) : nd_color(c);
		const char *off = stream ? nd_color_err(ND_C_RESET) :
					   nd_color(ND_C_RESET);

		nd_buf_addf(&b, "%s%-*s |%s ", on, L->width, s->label, off);
	}
	if (timestamps && *ts)
		nd_buf_addf(&b, "%s ", ts);
	nd_buf_add(&b, line, len);
	nd_buf_addch(&b, '\n');
	out_add(L, stream, b.buf, b.len);
	nd_buf_release(&b);
}

static int on_line(const char *line, size_t len, bool newline, void *ud)
{
	struct line_sink *k = ud;
	struct src *s = k->s;
	int i = k->stream;

	emit_line(s, i, line, len, s->line_ts[i]);
	/* a next line in the same frame started at that frame's time */
	if (newline)
		memcpy(s->line_ts[i], s->frame_ts[i], TS_CAP);
	return 0;
}

/*
 * Does this piece start a frame? nd_demux hands a frame out in pieces; its
 * header (still in d->hdr) has the frame's length, and d->remaining is
 * what was left of it before this piece.
 */
static bool piece_starts_frame(const struct nd_demux *d)
{
	uint32_t total = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
			 (uint32_t)d->hdr[6] << 8 | (uint32_t)d->hdr[7];

	return d->remaining == total;
}

/*
 * Line modes with timestamps: the engine starts every frame (one log
 * entry: a line, or a 16 KiB piece of a long one) with its time and a
 * space. Take it off each frame, so a long line is not cut by times, and
 * give each line the time of the frame it started in.
 */
static int feed_lines(struct src *s, int i, const char *data, size_t len)
{
	if (s->L->strip_ts && !s->tty) {
		if (piece_starts_frame(&s->dm)) {
			s->in_ts[i] = true;
			s->ts_len[i] = 0;
		}
		if (s->in_ts[i]) {
			const char *sp = memchr(data, ' ', len);
			size_t take = sp ? (size_t)(sp - data) : len;
			size_t room = TS_CAP - 1 - s->ts_len[i];

			memcpy(s->frame_ts[i] + s->ts_len[i], data,
			       take < room ? take : room);
			s->ts_len[i] += take < room ? take : room;
			s->frame_ts[i][s->ts_len[i]] = '\0';
			if (!sp)
				return 0;
			s->in_ts[i] = false;
			if (!s->lines[i].buf.len)
				memcpy(s->line_ts[i], s->frame_ts[i], TS_CAP);
			data = sp + 1;
			len -= take + 1;
		}
	}
	return nd_lines_feed(&s->lines[i], data, len);
}

/*
 * Raw bytes of one container. Only when another container's output comes
 * after a line this one left open is a newline added, so that lines of two
 * containers never run together.
 */
static void raw_out(struct src *s, int i, const char *p, size_t len)
{
	struct out *o = &s->L->out[i];

	if (!len)
		return;
	if (o->mid_line && o->last_src != s)
		out_add(s->L, i, "\n", 1);
	out_add(s->L, i, p, len);
	o->last_src = s;
	o->mid_line = p[len - 1] != '\n';
}

/* Raw mode while several streams are open: write whole lines only. */
static void raw_carry(struct src *s, int i, const char *data, size_t len)
{
	struct nd_buf *c = &s->carry[i];
	const char *nl = memrchr(data, '\n', len);

	if (!nl) {
		if (c->len + len > CARRY_CAP) {
			raw_out(s, i, c->buf, c->len);
			nd_buf_reset(c);
			raw_out(s, i, data, len);
		} else {
			nd_buf_add(c, data, len);
		}
		return;
	}
	if (c->len) {
		raw_out(s, i, c->buf, c->len);
		nd_buf_reset(c);
	}
	raw_out(s, i, data, (size_t)(nl + 1 - data));
	if ((size_t)(nl + 1 - data) < len)
		nd_buf_add(c, nl + 1, len - (size_t)(nl + 1 - data));
}

static int on_frame(int stream, const char *data, size_t len, void *ud)
{
	struct src *s = ud;
	struct logs *L = s->L;
	int i = stream == ND_STREAM_STDOUT ? 0 : 1;

	if (L->broken_pipe)
		return -1;
	if (L->mode != MODE_RAW)
		return feed_lines(s, i, data, len);
	if (L->nactive > 1) {
		raw_carry(s, i, data, len);
		return 0;
	}
	if (s->carry[i].len) {
		raw_out(s, i, s->carry[i].buf, s->carry[i].len);
		nd_buf_reset(&s->carry[i]);
	}
	raw_out(s, i, data, len);
	return 0;
}

static size_t src_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct src *s = ud;
	size_t len = size * nmemb;
	long status = 0;

	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300) {
		nd_buf_add(&s->ebody, data, len);
		return len;
	}
	if (nd_demux_feed(&s->dm, data, len) < 0) {
		s->aborted = true;
		return 0;
	}
	return len;
}

/* Unix seconds as the engine takes them: "1795472533.250000000". */
static void add_time_param(struct nd_buf *b, const char *name, double t)
{
	double sec = floor(t);
	long ns = (long)llround((t - sec) * 1e9);

	if (ns >= 1000000000L) {
		sec += 1;
		ns -= 1000000000L;
	}
	nd_buf_addf(b, "&%s=%.0f.%09ld", name, sec, ns);
}

static int src_start(struct src *s, const char *tail, double since)
{
	struct logs *L = s->L;
	struct nd_buf p = ND_BUF_INIT;
	int i;

	nd_buf_adds(&p, "/containers/");
	nd_buf_add_urlencoded(&p, s->id);
	nd_buf_addf(&p, "/logs?stdout=1&stderr=1&follow=%d&timestamps=%d",
		    follow ? 1 : 0, timestamps || L->mode == MODE_JSON ? 1 : 0);
	if (tail)
		nd_buf_addf(&p, "&tail=%s", tail);
	if (since > 0)
		add_time_param(&p, "since", since);
	if (L->until > 0)
		add_time_param(&p, "until", L->until);
	free(s->url);
	s->url = nd_engine_url(L->e, p.buf);
	nd_buf_release(&p);

	nd_error_release(&s->err);
	nd_demux_init(&s->dm, s->tty, on_frame, s, &s->err);
	for (i = 0; i < 2; i++) {
		nd_lines_release(&s->lines[i]);
		s->sinks[i].s = s;
		s->sinks[i].stream = i;
		nd_lines_init(&s->lines[i], on_line, &s->sinks[i]);
		nd_buf_reset(&s->carry[i]);
		s->in_ts[i] = false;
		s->ts_len[i] = 0;
		s->frame_ts[i][0] = s->line_ts[i][0] = '\0';
	}
	nd_buf_release(&s->ebody);
	nd_buf_init(&s->ebody, (size_t)1 << 20);
	s->aborted = false;
	s->reattach = false;
	s->h = nd_engine_easy_new(L->e, s->errbuf);
	if (!s->h)
		return nd_error_set(&s->err, ND_EGENERIC,
				    "cannot initialise libcurl");
	curl_easy_setopt(s->h, CURLOPT_URL, s->url);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, src_write);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	/* large reads: fewer callbacks for a big log */
	curl_easy_setopt(s->h, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_multi_add_handle(L->m, s->h);
	s->active = true;
	L->nactive++;
	return 0;
}

static void src_free(struct src *s)
{
	int i;

	if (!s)
		return;
	if (s->h) {
		curl_multi_remove_handle(s->L->m, s->h);
		curl_easy_cleanup(s->h);
	}
	for (i = 0; i < 2; i++) {
		nd_lines_release(&s->lines[i]);
		nd_buf_release(&s->carry[i]);
	}
	nd_buf_release(&s->ebody);
	nd_error_release(&s->err);
	free(s->id);
	free(s->name);
	free(s->label);
	free(s->service);
	free(s->release);
	free(s->started_at);
	free(s->url);
	free(s);
}

static struct src *src_find(struct logs *L, const char *id)
{
	size_t i;

	for (i = 0; i < L->n; i++)
		if (!strcmp(L->srcs[i]->id, id))
			return L->srcs[i];
	return NULL;
}

/* Fill in (or refresh) a source from GET /containers/{id}/json. */
static void src_from_inspect(struct src *s, const cJSON *c, const char *app)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(c, "Config");
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(c, "State");
	const char *name = nd_container_name(c);
	char *pfx = nd_xprintf("nd-%s-", app);

	nd_str_replace(&s->id, nd_json_str(c, "Id"));
	nd_str_replace(&s->name, name);
	nd_str_replace(&s->label,
		       nd_starts_with(name, pfx) && name[strlen(pfx)] ?
			       name + strlen(pfx) :
			       name);
	nd_str_replace(&s->service, nd_json_label(cfg, "nextdeploy.service"));
	nd_str_replace(&s->release, nd_json_label(cfg, "nextdeploy.release"));
	nd_str_replace(&s->started_at, nd_json_str(state, "StartedAt"));
	s->tty = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "Tty"));
	free(pfx);
}

static struct src *src_add(struct logs *L, const cJSON *inspect)
{
	struct src *s = nd_calloc(1, sizeof(*s));
	int i;

	s->L = L;
	s->err = (struct nd_error)ND_ERROR_INIT;
	for (i = 0; i < 2; i++) {
		nd_lines_init(&s->lines[i], on_line, &s->sinks[i]);
		nd_buf_init(&s->carry[i], CARRY_CAP + OUT_CHUNK);
	}
	src_from_inspect(s, inspect, L->app);
	s->color = (unsigned)L->n;
	if ((int)strlen(s->label) > L->width)
		L->width = (int)strlen(s->label);
	if (L->n == L->alloc) {
		L->alloc = L->alloc ? L->alloc * 2 : 8;
		L->srcs = nd_realloc(L->srcs, L->alloc * sizeof(*L->srcs));
	}
	L->srcs[L->n++] = s;
	return s;
}

/* A stream ended: hand out what is left and report a failure. */
static void src_done(struct src *s, CURLcode rc)
{
	struct logs *L = s->L;
	long status = 0;
	int i;

	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(L->m, s->h);
	curl_easy_cleanup(s->h);
	s->h = NULL;
	s->active = false;
	L->nactive--;
	for (i = 0; i < 2; i++) {
		nd_lines_flush(&s->lines[i]);
		if (s->carry[i].len)
			raw_out(s, i, s->carry[i].buf, s->carry[i].len);
		nd_buf_reset(&s->carry[i]);
		/* a line left open: whatever comes next starts a new one */
		if (L->out[i].last_src == s)
			L->out[i].last_src = NULL;
	}
	if (L->broken_pipe)
		return;
	if (status >= 400) {
		struct nd_error err = ND_ERROR_INIT;

		nd_engine_error_from_response(&err, status, s->ebody.buf,
					      s->ebody.len);
		/* removed before we got to it: nothing to show */
		if (err.code == ND_ENOTFOUND) {
			nd_msg_debug("container '%s' is gone", s->name);
		} else {
			nd_error_wrap(&err, "reading the log of '%s'", s->name);
			out_flush_all(L);
			nd_error_print(&err);
			L->failed = true;
		}
		nd_error_release(&err);
		return;
	}
	if (s->aborted || rc != CURLE_OK) {
		out_flush_all(L);
		if (s->err.code)
			nd_msg_error("reading the log of '%s': %s", s->name,
				     s->err.msg);
		else
			nd_msg_error("reading the log of '%s': %s", s->name,
				     *s->errbuf ? s->errbuf :
						  curl_easy_strerror(rc));
		L->failed = true;
		return;
	}
	if (nd_demux_finish(&s->dm) < 0) {
		out_flush_all(L);
		nd_msg_warning("the log of '%s' ended in the middle of a frame",
			       s->name);
	}
}

/* --- follow: the events stream --- */

static bool labels_match(const struct logs *L, const cJSON *attrs)
{
	const char *app = nd_json_str(attrs, "nextdeploy.app");
	const char *managed = nd_json_str(attrs, "nextdeploy.managed");
	const char *svc = nd_json_str(attrs, "nextdeploy.service");

	return nd_streq(app, L->app) && nd_streq(managed, "true") &&
	       (!L->service || nd_streq(svc, L->service));
}

static int on_event(cJSON *msg, void *ud)
{
	struct logs *L = ud;
	const char *type = nd_json_str(msg, "Type");
	const char *action = nd_json_str(msg, "Action");
	const cJSON *actor = cJSON_GetObjectItemCaseSensitive(msg, "Actor");
	const char *id = nd_json_str(actor, "ID");
	size_t alen;

	if (!type || strcmp(type, "container") || !action || !id)
		return 0;
	/* "exec_start: sh" and the like carry a suffix (NOTES.md §15.21) */
	alen = strcspn(action, ":");
	if (alen != 5 || strncmp(action, "start", 5))
		return 0;
	if (!labels_match(L, cJSON_GetObjectItemCaseSensitive(actor,
							      "Attributes")))
		return 0;
	if (!nd_strvec_contains(&L->pending, id))
		nd_strvec_push(&L->pending, id);
	return 0;
}

static size_t ev_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct logs *L = ud;
	size_t len = size * nmemb;
	long status = 0;

	curl_easy_getinfo(L->ev, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300) {
		nd_buf_add(&L->ev_ebody, data, len);
		return len;
	}
	if (nd_jsonl_feed(&L->ev_jl, data, len) < 0)
		return 0;
	return len;
}

static void ev_start(struct logs *L, double since)
{
	struct nd_filters f = ND_FILTERS_INIT;
	struct nd_buf p = ND_BUF_INIT;

	nd_filters_add(&f, "type", "container");
	nd_filters_add(&f, "event", "start");
	nd_filters_project(&f, L->app);
	if (L->service) {
		char *l = nd_xprintf("nextdeploy.service=%s", L->service);

		nd_filters_add(&f, "label", l);
		free(l);
	}
	nd_buf_adds(&p, "/events?");
	/*
	 * Replay from just before the containers were listed, so a start in
	 * between is not missed. Podman's historical queries ignore label
	 * filters and return nothing (NOTES.md §13.2): live only there.
	 */
	if (!L->e->podman)
		add_time_param(&p, "since", since);
	nd_filters_append_query(&f, &p, '&');
	L->ev_url = nd_engine_url(L->e, p.buf);
	nd_jsonl_init(&L->ev_jl, on_event, L, &L->ev_err);
	nd_buf_init(&L->ev_ebody, (size_t)1 << 20);
	L->ev = nd_engine_easy_new(L->e, L->ev_errbuf);
	curl_easy_setopt(L->ev, CURLOPT_URL, L->ev_url);
	curl_easy_setopt(L->ev, CURLOPT_WRITEFUNCTION, ev_write);
	curl_easy_setopt(L->ev, CURLOPT_WRITEDATA, L);
	curl_easy_setopt(L->ev, CURLOPT_PRIVATE, NULL);
	curl_multi_add_handle(L->m, L->ev);
	L->ev_active = true;
	nd_filters_release(&f);
	nd_buf_release(&p);
}

static void ev_done(struct logs *L, CURLcode rc)
{
	long status = 0;
	struct nd_error err = ND_ERROR_INIT;

	curl_easy_getinfo(L->ev, CURLINFO_RESPONSE_CODE, &status);
	L->ev_active = false;
	L->ev_failed = true;
	if (status >= 400)
		nd_engine_error_from_response(&err, status, L->ev_ebody.buf,
					      L->ev_ebody.len);
	else if (L->ev_err.code)
		nd_error_set(&err, L->ev_err.code, "%s", L->ev_err.msg);
	else if (rc != CURLE_OK)
		nd_error_set(&err, ND_EUNREACHABLE, "%s",
			     *L->ev_errbuf ? L->ev_errbuf :
					     curl_easy_strerror(rc));
	else
		nd_error_set(&err, ND_EUNREACHABLE,
			     "the engine closed the stream");
	nd_error_wrap(&err, "following the events of '%s'", L->app);
	out_flush_all(L);
	nd_error_print(&err);
	nd_error_release(&err);
}

/* A container of ours started: attach to it (or note that it restarted). */
static void on_started(struct logs *L, const char *id)
{
	struct nd_error err = ND_ERROR_INIT;
	cJSON *c = NULL;
	const cJSON *cfg, *state;
	struct src *s;
	double since = L->since;
	double finished;

	if (nd_container_inspect(L->e, id, &c, &err) < 0) {
		nd_msg_debug("container %.12s: %s", id, err.msg);
		goto done;
	}
	cfg = cJSON_GetObjectItemCaseSensitive(c, "Config");
	state = cJSON_GetObjectItemCaseSensitive(c, "State");
	if (!nd_streq(nd_json_label(cfg, "nextdeploy.app"), L->app) ||
	    (L->service &&
	     !nd_streq(nd_json_label(cfg, "nextdeploy.service"), L->service)))
		goto done;
	s = src_find(L, id);
	if (s && s->active) {
		/* the same run we are reading (a replayed event), or a
		 * restart whose old stream has not ended yet */
		if (!nd_streq(s->started_at, nd_json_str(state, "StartedAt")))
			s->reattach = true;
		goto done;
	}
	if (!s) {
		s = src_add(L, c);
	} else {
		src_from_inspect(s, c, L->app);
	}
	/* a restarted container: only what came after its previous run */
	finished = nd_parse_rfc3339(nd_json_str(state, "FinishedAt"));
	if (finished > 0 && finished > since)
		since = finished;
	if (src_start(s, NULL, since) < 0) {
		nd_msg_error("following '%s': %s", s->name, s->err.msg);
		L->failed = true;
	}
done:
	cJSON_Delete(c);
	nd_error_release(&err);
}

/* --- choosing the containers --- */

static bool is_live(const cJSON *c)
{
	const char *st = nd_json_str(c, "State");

	return st && (!strcmp(st, "running") || !strcmp(st, "restarting") ||
		      !strcmp(st, "paused"));
}

static int by_service_then_name(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a,
		    *y = *(const cJSON *const *)b;
	const char *sx = nd_json_label(x, "nextdeploy.service");
	const char *sy = nd_json_label(y, "nextdeploy.service");
	int r = strcmp(sx ? sx : "", sy ? sy : "");

	return r ? r : strcmp(nd_container_name(x), nd_container_name(y));
}

/*
 * The containers to read: all with --all; else the running ones, plus, for
 * a service with none running, the containers of its newest release (its
 * replicas), so that a crash can be read.
 */
static size_t select_containers(const cJSON *list, const cJSON **sel)
{
	const cJSON *c;
	size_t n = 0;

	cJSON_ArrayForEach(c, list) {
		const char *svc = nd_json_label(c, "nextdeploy.service");
		const cJSON *d, *newest = NULL;
		const char *rel;

		if (show_all || is_live(c)) {
			sel[n++] = c;
			continue;
		}
		cJSON_ArrayForEach(d, list) {
			if (!nd_streq(nd_json_label(d, "nextdeploy.service"),
				      svc) &&
			    (svc || nd_json_label(d, "nextdeploy.service")))
				continue;
			if (is_live(d))
				break;
			if (!newest || nd_json_num(d, "Created", 0) >
					       nd_json_num(newest, "Created", 0))
				newest = d;
		}
		if (d)
			continue; /* the service runs: only its running ones */
		rel = nd_json_label(newest, "nextdeploy.release");
		if (newest == c ||
		    (rel &&
		     nd_streq(nd_json_label(c, "nextdeploy.release"), rel)))
			sel[n++] = c;
	}
	qsort(sel, n, sizeof(*sel), by_service_then_name);
	return n;
}

static void list_services(const cJSON *list, struct nd_buf *b)
{
	struct nd_strvec seen = ND_STRVEC_INIT;
	const cJSON *c;

	cJSON_ArrayForEach(c, list) {
		const char *svc = nd_json_label(c, "nextdeploy.service");

		if (svc && !nd_strvec_contains(&seen, svc)) {
			nd_strvec_push(&seen, svc);
			nd_buf_addf(b, "%s%s", b->len ? ", " : "", svc);
		}
	}
	nd_strvec_release(&seen);
}

static double now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static int parse_args(struct logs *L, struct nd_error *err)
{
	double now = now_s();

	L->since = L->until = -1;
	if (tail_arg && strcmp(tail_arg, "all")) {
		const char *p = tail_arg;

		if (!*p)
			goto bad_tail;
		for (; *p; p++)
			if (*p < '0' || *p > '9')
				goto bad_tail;
		if (strlen(tail_arg) > 12)
			goto bad_tail;
	}
	if (since_arg && nd_parse_time(since_arg, now, &L->since) < 0)
		goto bad_time_since;
	if (until_arg && nd_parse_time(until_arg, now, &L->until) < 0) {
		nd_error_set(err, ND_EUSAGE, "invalid --until value '%s'",
			     until_arg);
		goto time_hint;
	}
	if (L->since > 0 && L->until > 0 && L->until <= L->since)
		return nd_error_set(err, ND_EUSAGE,
				    "--until '%s' is not after --since '%s'",
				    until_arg, since_arg);
	return 0;
bad_tail:
	nd_error_set(err, ND_EUSAGE, "invalid --tail value '%s'", tail_arg);
	nd_error_hint(err, "give a number of lines, or 'all'");
	return ND_EUSAGE;
bad_time_since:
	nd_error_set(err, ND_EUSAGE, "invalid --since value '%s'", since_arg);
time_hint:
	nd_error_hint(
		err,
		"use RFC 3339 (2026-11-23T10:00:00Z), a date "
		"(2026-11-23), Unix seconds, or a duration ago (10m, 1h30m)");
	return ND_EUSAGE;
}

static void logs_release(struct logs *L)
{
	size_t i;

	for (i = 0; i < L->n; i++)
		src_free(L->srcs[i]);
	free(L->srcs);
	if (L->ev) {
		curl_multi_remove_handle(L->m, L->ev);
		curl_easy_cleanup(L->ev);
	}
	nd_jsonl_release(&L->ev_jl);
	nd_error_release(&L->ev_err);
	nd_buf_release(&L->ev_ebody);
	free(L->ev_url);
	nd_strvec_release(&L->pending);
	if (L->m)
		curl_multi_cleanup(L->m);
	nd_buf_release(&L->out[0].buf);
	nd_buf_release(&L->out[1].buf);
}

int cmd_logs(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct logs L = { 0 };
	struct nd_filters f = ND_FILTERS_INIT;
	struct nd_error err = ND_ERROR_INIT;
	cJSON *list = NULL;
	const cJSON **sel = NULL;
	size_t nsel = 0, i;
	int code = 0, sigfd = -1, sig = 0;
	double t0;

	L.e = ctx->engine;
	L.app = ctx->project->app;
	L.service = argc == 1 ? argv[0] : NULL;
	L.out[0].fd = STDOUT_FILENO;
	L.out[1].fd = STDERR_FILENO;
	nd_buf_init(&L.out[0].buf, OUT_CHUNK * 2);
	nd_buf_init(&L.out[1].buf, OUT_CHUNK * 2);
	L.ev_err = (struct nd_error)ND_ERROR_INIT;
	if (parse_args(&L, &err) < 0)
		goto fail;

	t0 = now_s() - 1;
	nd_filters_project(&f, L.app);
	if (L.service) {
		char *l = nd_xprintf("nextdeploy.service=%s", L.service);

		nd_filters_add(&f, "label", l);
		free(l);
	}
	if (nd_containers_list(L.e, true, &f, &list, &err) < 0) {
		nd_error_wrap(&err, "listing the containers of '%s'", L.app);
		goto fail;
	}
	sel = nd_calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*sel));
	nsel = select_containers(list, sel);
	if (!nsel && L.service) {
		/* a typo, or a service without containers yet? */
		struct nd_filters all = ND_FILTERS_INIT;
		cJSON *others = NULL;
		struct nd_buf names = ND_BUF_INIT;

		nd_filters_project(&all, L.app);
		if (nd_containers_list(L.e, true, &all, &others, &err) == 0 &&
		    cJSON_GetArraySize(others) > 0) {
			list_services(others, &names);
			nd_error_set(&err, ND_EGENERIC,
				     "'%s' has no containers of service '%s'",
				     L.app, L.service);
			nd_error_hint(&err, "its services: %s", names.buf);
		}
		cJSON_Delete(others);
		nd_buf_release(&names);
		nd_filters_release(&all);
		if (err.code)
			goto fail;
	}
	if (!nsel && !follow) {
		if (nd_out.tty_err)
			nd_msg_info("no containers for '%s'%s%s", L.app,
				    L.service ? " service " : "",
				    L.service ? L.service : "");
		goto done;
	}

	if (nd_out.json)
		L.mode = MODE_JSON;
	else if (!no_prefix && nsel != 1)
		L.mode = MODE_LINES;
	else if (no_prefix && nsel > 1)
		L.mode = MODE_LINES;
	else
		L.mode = MODE_RAW;
	L.prefix = L.mode == MODE_LINES && !no_prefix;
	L.strip_ts = L.mode == MODE_JSON ||
		     (L.mode == MODE_LINES && timestamps);

	L.m = curl_multi_init();
	for (i = 0; i < nsel; i++) {
		const char *id = nd_json_str(sel[i], "Id");
		cJSON *c = NULL;
		struct src *s;

		if (!id)
			continue;
		if (nd_container_inspect(L.e, id, &c, &err) < 0) {
			if (err.code == ND_ENOTFOUND) {
				nd_error_release(&err);
				continue;
			}
			nd_error_wrap(&err, "inspecting '%s'",
				      nd_container_name(sel[i]));
			goto fail;
		}
		s = src_add(&L, c);
		cJSON_Delete(c);
		if (src_start(s,
			      tail_arg && strcmp(tail_arg, "all") ? tail_arg :
								    NULL,
			      L.since) < 0) {
			nd_error_set(&err, ND_EGENERIC, "%s", s->err.msg);
			goto fail;
		}
	}
	/* follow across restarts and redeploys, unless --until ends it */
	if (follow && L.until < 0) {
		ev_start(&L, t0);
		if (!nsel && nd_out.tty_err)
			nd_msg_info("waiting for containers of '%s' to start",
				    L.app);
	}

	nd_signals_install(ND_SIG_NOTIFY);
	sigfd = nd_signal_fd();
	for (;;) {
		struct curl_waitfd wfd = { sigfd, CURL_WAIT_POLLIN, 0 };
		CURLMsg *msg;
		int running = 0, left;

		curl_multi_perform(L.m, &running);
		while ((msg = curl_multi_info_read(L.m, &left))) {
			struct src *s = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			if (msg->easy_handle == L.ev) {
				ev_done(&L, msg->data.result);
				continue;
			}
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&s);
			if (s) {
				src_done(s, msg->data.result);
				if (s->reattach && !L.broken_pipe &&
				    !nd_strvec_contains(&L.pending, s->id))
					nd_strvec_push(&L.pending, s->id);
			}
		}
		out_flush_all(&L);
		if (L.broken_pipe)
			break;
		if (L.ev_failed) {
			code = ND_EXIT_FAIL;
			break;
		}
		/* act on started containers outside libcurl's callbacks */
		while (L.pending.nr) {
			char *id = L.pending.items[0];

			memmove(L.pending.items, L.pending.items + 1,
				(L.pending.nr - 1) * sizeof(*L.pending.items));
			L.pending.nr--;
			on_started(&L, id);
			free(id);
		}
		if (!L.nactive && !L.ev_active)
			break;
		curl_multi_poll(L.m, &wfd, 1, 1000, NULL);
		if ((sig = nd_signal_next()))
			break;
	}
	/* what is left of partial lines */
	for (i = 0; i < L.n; i++) {
		nd_lines_flush(&L.srcs[i]->lines[0]);
		nd_lines_flush(&L.srcs[i]->lines[1]);
	}
	out_flush_all(&L);
	if (sig)
		code = ND_EXIT_INTERRUPTED;
	else if (!code && L.failed)
		code = ND_EXIT_FAIL;
	goto done;
fail:
	nd_error_report(&err);
	code = nd_error_exit_code(&err);
done:
	logs_release(&L);
	free(sel);
	cJSON_Delete(list);
	nd_filters_release(&f);
	nd_error_release(&err);
	return code;
}
