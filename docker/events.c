/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/signals.h"
#include "docker/api.h"
#include "docker/events.h"
#include "docker/stream.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <time.h>

#define EVENTS_ERROR_CAP ((size_t)64 << 10)

static char *attr(const cJSON *attrs, const char *k)
{
	return nd_strdup_or_null(nd_json_str(attrs, k));
}

/*
 * The last `"timeNano":<digits>` in the raw line: exact, where cJSON's
 * double is not. (A label named timeNano has a string value, so it never
 * matches digits; the top-level member comes last in Docker's output.)
 */
static int64_t raw_time_nano(const char *line, size_t len)
{
	static const char key[] = "\"timeNano\":";
	const char *p = line, *end = line + len, *found = NULL;
	int64_t v = 0;

	while ((p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1))) {
		p += sizeof(key) - 1;
		while (p < end && *p == ' ')
			p++;
		if (p < end && isdigit((unsigned char)*p))
			found = p;
	}
	if (!found)
		return -1;
	for (p = found; p < end && isdigit((unsigned char)*p); p++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

int nd_event_parse(struct nd_event *out, const char *line, size_t len,
		   bool podman, struct nd_error *err)
{
	cJSON *doc = cJSON_ParseWithLength(line, len);
	const cJSON *actor, *attrs;
	const char *type, *action, *colon, *code;
	struct nd_event ev = ND_EVENT_INIT;

	type = nd_json_str(doc, "Type");
	action = nd_json_str(doc, "Action");
	if (!type || !action) {
		cJSON_Delete(doc);
		return nd_error_set(
			err, ND_EGENERIC,
			"the engine sent something that is not an event: %.*s",
			(int)(len > 200 ? 200 : len), line);
	}
	actor = cJSON_GetObjectItemCaseSensitive(doc, "Actor");
	attrs = cJSON_GetObjectItemCaseSensitive(actor, "Attributes");

	ev.time_ns = raw_time_nano(line, len);
	if (ev.time_ns < 0)
		ev.time_ns = (int64_t)nd_json_num(doc, "time", 0) * 1000000000;
	ev.type = nd_strdup(type);
	colon = strstr(action, ": ");
	if (colon) {
		ev.action = nd_strndup(action, (size_t)(colon - action));
		ev.detail = nd_strdup(colon + 2);
	} else {
		ev.action = nd_strdup(action);
	}
	/* Podman's names for Docker's actions */
	if (podman && !strcmp(ev.action, "remove"))
		nd_str_replace(&ev.action, "destroy");
	else if (podman && !strcmp(ev.action, "died"))
		nd_str_replace(&ev.action, "die");
	ev.id = attr(actor, "ID");
	ev.name = attr(attrs, "name");
	ev.managed = nd_streq(nd_json_str(attrs, "nextdeploy.managed"), "true");
	ev.app = attr(attrs, "nextdeploy.app");
	ev.service = attr(attrs, "nextdeploy.service");
	ev.release = attr(attrs, "nextdeploy.release");
	if (!strcmp(type, "container"))
		ev.image = attr(attrs, "image");
	code = nd_json_str(attrs, "exitCode");
	if (!code)
		code = nd_json_str(attrs, "containerExitCode");
	if (code && !strcmp(ev.action, "die")) {
		char *end;
		long v = strtol(code, &end, 10);

		if (*code && !*end) {
			ev.has_exit_code = true;
			ev.exit_code = (int)v;
		}
	}
	if (!strcmp(ev.action, "health_status") && ev.detail)
		ev.health = nd_strdup(ev.detail);
	if (!strcmp(ev.action, "kill"))
		ev.signal = attr(attrs, "signal");
	if (!strcmp(type, "network"))
		ev.container = attr(attrs, "container");
	cJSON_Delete(doc);
	*out = ev;
	return 0;
}

void nd_event_release(struct nd_event *ev)
{
	if (!ev)
		return;
	free(ev->type);
	free(ev->action);
	free(ev->detail);
	free(ev->id);
	free(ev->name);
	free(ev->app);
	free(ev->service);
	free(ev->release);
	free(ev->image);
	free(ev->health);
	free(ev->signal);
	free(ev->container);
	memset(ev, 0, sizeof(*ev));
}

bool nd_event_matches(const struct nd_event *ev, const char *app)
{
	if (!strcmp(ev->type, "network")) {
		char *want = nd_xprintf("nd-%s", app);
		bool ok = nd_streq(ev->name, want);

		free(want);
		return ok;
	}
	return ev->managed && nd_streq(ev->app, app);
}

bool nd_event_is_exec(const struct nd_event *ev)
{
	return nd_starts_with(ev->action, "exec_");
}

static void add_kv(struct nd_buf *out, const char *k, const char *v)
{
	if (!v || !*v)
		return;
	nd_buf_addf(out, " %s=", k);
	nd_buf_add_sanitized(out, v, strlen(v), false);
}

void nd_event_format(struct nd_buf *out, const struct nd_event *ev,
		     const char *container_name)
{
	time_t t = (time_t)(ev->time_ns / 1000000000);
	int ms = (int)(ev->time_ns % 1000000000 / 1000000);
	struct tm tm;
	char ts[32];
	const char *name = ev->name;
	char shortid[13];

	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	nd_buf_addf(out, "%s.%03d", ts, ms);
	if (tm.tm_gmtoff == 0) {
		nd_buf_adds(out, "Z");
	} else {
		long off = tm.tm_gmtoff;

		nd_buf_addf(out, "%c%02ld:%02ld", off < 0 ? '-' : '+',
			    labs(off) / 3600, labs(off) % 3600 / 60);
	}
	nd_buf_addch(out, ' ');
	nd_buf_add_sanitized(out, ev->type, strlen(ev->type), false);
	nd_buf_addch(out, ' ');
	nd_buf_add_sanitized(out, ev->action, strlen(ev->action), false);
	if (!name && ev->id) {
		snprintf(shortid, sizeof(shortid), "%.12s", ev->id);
		name = shortid;
	}
	if (name) {
		nd_buf_addch(out, ' ');
		nd_buf_add_sanitized(out, name, strlen(name), false);
	}
	add_kv(out, "service", ev->service);
	add_kv(out, "release", ev->release);
	if (ev->has_exit_code)
		nd_buf_addf(out, " exit_code=%d", ev->exit_code);
	add_kv(out, "health", ev->health);
	add_kv(out, "signal", ev->signal);
	if (ev->container) {
		if (container_name) {
			add_kv(out, "container", container_name);
		} else {
			snprintf(shortid, sizeof(shortid), "%.12s",
				 ev->container);
			add_kv(out, "container", shortid);
		}
	}
	/* an exec's command, when shown */
	if (ev->detail && !ev->health)
		add_kv(out, "detail", ev->detail);
}

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

cJSON *nd_event_json(const struct nd_event *ev)
{
	cJSON *o = cJSON_CreateObject();
	time_t t = (time_t)(ev->time_ns / 1000000000);
	struct tm tm;
	char ts[32];
	char *full;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	full = nd_xprintf("%s.%09lldZ", ts,
			  (long long)(ev->time_ns % 1000000000));
	cJSON_AddStringToObject(o, "time", full);
	free(full);
	add_str_or_null(o, "type", ev->type);
	add_str_or_null(o, "action", ev->action);
	add_str_or_null(o, "detail", ev->detail);
	add_str_or_null(o, "id", ev->id);
	add_str_or_null(o, "name", ev->name);
	add_str_or_null(o, "app", ev->app);
	add_str_or_null(o, "service", ev->service);
	add_str_or_null(o, "release", ev->release);
	add_str_or_null(o, "image", ev->image);
	if (ev->has_exit_code)
		cJSON_AddNumberToObject(o, "exit_code", ev->exit_code);
	else
		cJSON_AddNullToObject(o, "exit_code");
	add_str_or_null(o, "health", ev->health);
	add_str_or_null(o, "signal", ev->signal);
	add_str_or_null(o, "container", ev->container);
	return o;
}

/* --- the stream --- */

struct stream {
	struct nd_engine *e;
	CURL *h;
	struct nd_lines lines;
	struct nd_buf errbody;
	nd_event_fn fn;
	void *ud;
	struct nd_error *err;
	int result;    /* what stopped the stream early */
	bool flushing; /* EOF: a last line without a newline */
};

static int on_line(const char *line, size_t len, bool newline, void *ud)
{
	struct stream *s = ud;
	struct nd_event ev = ND_EVENT_INIT;
	int r;

	if (!newline && !s->flushing) /* an endless line: not an event */
		return s->result = nd_error_set(
			       s->err, ND_EGENERIC,
			       "the engine sent an event longer than 1 MiB");
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return 0;
	if ((r = nd_event_parse(&ev, line, len, s->e->podman, s->err)) < 0)
		return s->result = r;
	r = s->fn(&ev, s->ud);
	nd_event_release(&ev);
	if (r < 0)
		s->result = r;
	return r;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
	struct stream *s = ud;
	size_t len = size * nmemb;
	long status = 0;

	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300)
		return nd_buf_add(&s->errbody, data, len) < 0 ? 0 : len;
	if (nd_lines_feed(&s->lines, data, len) < 0)
		return 0;
	return len;
}

static void add_time(struct nd_buf *b, const char *key, double t, char *sep)
{
	nd_buf_addf(b, "%c%s=%.6f", *sep, key, t);
	*sep = '&';
}

int nd_events_stream(struct nd_engine *e, const struct nd_events_query *q,
		     nd_event_fn fn, void *ud, struct nd_error *err)
{
	struct stream s = { 0 };
	struct nd_buf path = ND_BUF_INIT;
	struct nd_filters f = ND_FILTERS_INIT;
	char errbuf[CURL_ERROR_SIZE] = "";
	char sep = '?';
	CURLM *multi = NULL;
	char *url = NULL;
	int r = 0, running = 1;
	long status = 0;

	s.e = e;
	s.fn = fn;
	s.ud = ud;
	s.err = err;
	nd_lines_init(&s.lines, on_line, &s);
	nd_buf_init(&s.errbody, EVENTS_ERROR_CAP);

	nd_buf_adds(&path, "/events");
	if (q->since > 0)
		add_time(&path, "since", q->since, &sep);
	if (q->until > 0)
		add_time(&path, "until", q->until, &sep);
	for (const char *const *t = q->types; t && *t; t++)
		nd_filters_add(&f, "type", *t);
	nd_filters_append_query(&f, &path, sep);

	s.h = nd_engine_easy_new(e, errbuf);
	multi = curl_multi_init();
	if (!s.h || !multi) {
		r = nd_error_set(err, ND_EGENERIC, "cannot start libcurl");
		goto done;
	}
	url = nd_engine_url(e, path.buf);
	curl_easy_setopt(s.h, CURLOPT_URL, url);
	curl_easy_setopt(s.h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(s.h, CURLOPT_WRITEDATA, &s);
	curl_multi_add_handle(multi, s.h);

	/* a multi handle with a short poll: Ctrl-C is seen within 200 ms
	 * even when no event arrives for hours */
	while (running) {
		CURLMcode mc = curl_multi_perform(multi, &running);

		if (mc == CURLM_OK && running)
			mc = curl_multi_poll(multi, NULL, 0, 200, NULL);
		if (mc != CURLM_OK) {
			r = nd_error_set(err, ND_EGENERIC, "libcurl: %s",
					 curl_multi_strerror(mc));
			goto done;
		}
		if (nd_signal_caught()) {
			r = nd_error_set(err, ND_EINTERRUPTED, "interrupted");
			goto done;
		}
	}
	{
		CURLMsg *msg;
		int left;
		CURLcode rc = CURLE_OK;

		while ((msg = curl_multi_info_read(multi, &left)))
			if (msg->msg == CURLMSG_DONE)
				rc = msg->data.result;
		curl_easy_getinfo(s.h, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 300) {
			r = nd_engine_error_from_response(
				err, status, s.errbody.buf, s.errbody.len);
		} else if (s.result < 0) {
			r = s.result;
		} else if (rc != CURLE_OK) {
			r = nd_error_set(
				err, ND_EUNREACHABLE,
				"the event stream from %s broke: %s", e->host,
				*errbuf ? errbuf : curl_easy_strerror(rc));
		} else {
			s.flushing = true;
			r = nd_lines_flush(&s.lines);
			if (r >= 0)
				r = 0;
		}
	}
done:
	if (multi && s.h)
		curl_multi_remove_handle(multi, s.h);
	if (s.h)
		curl_easy_cleanup(s.h);
	if (multi)
		curl_multi_cleanup(multi);
	free(url);
	nd_filters_release(&f);
	nd_buf_release(&path);
	nd_buf_release(&s.errbody);
	nd_lines_release(&s.lines);
	return r;
}
