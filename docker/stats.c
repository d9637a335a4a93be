/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/output.h"
#include "docker/api.h"
#include "docker/stats.h"
#include "core/units.h"
#include "docker/stream.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <time.h>

/* One stats document is ~2 KB; anything near this is not a stats frame. */
#define STATS_FRAME_CAP ((size_t)1 << 20)
#define STATS_ERROR_CAP ((size_t)64 << 10)

static const cJSON *member(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

double nd_stats_mem_used(const cJSON *ms)
{
	const cJSON *usage = member(ms, "usage");
	const cJSON *stats = member(ms, "stats");
	const cJSON *inactive;
	double u;

	if (!cJSON_IsNumber(usage))
		return -1;
	u = usage->valuedouble;
	/* v1 has total_inactive_file (hierarchical), v2 inactive_file */
	inactive = member(stats, "total_inactive_file");
	if (!cJSON_IsNumber(inactive))
		inactive = member(stats, "inactive_file");
	if (cJSON_IsNumber(inactive) && inactive->valuedouble < u)
		return u - inactive->valuedouble;
	return u;
}

/* Sum of io_service_bytes_recursive by the first letter of op (r/w). */
static bool blkio_sums(const cJSON *blkio, double *rd, double *wr)
{
	const cJSON *list = member(blkio, "io_service_bytes_recursive");
	const cJSON *e;

	*rd = *wr = 0;
	if (!cJSON_IsArray(list))
		return false;
	cJSON_ArrayForEach(e, list) {
		const char *op = nd_json_str(e, "op");
		double v = nd_json_num(e, "value", 0);

		if (!op)
			continue;
		/* "Read"/"read", "Write"/"write"; never "Total" or "Sync" */
		if (*op == 'r' || *op == 'R')
			*rd += v;
		else if (*op == 'w' || *op == 'W')
			*wr += v;
	}
	return true;
}

static bool net_sums(const cJSON *nets, double *rx, double *tx)
{
	const cJSON *n;

	*rx = *tx = 0;
	if (!cJSON_IsObject(nets))
		return false;
	cJSON_ArrayForEach(n, nets) {
		*rx += nd_json_num(n, "rx_bytes", 0);
		*tx += nd_json_num(n, "tx_bytes", 0);
	}
	return true;
}

static double cpu_total(const cJSON *cpu_stats)
{
	return nd_json_num(member(cpu_stats, "cpu_usage"), "total_usage", 0);
}

void nd_stats_parse(struct nd_stats_sample *out, const cJSON *doc)
{
	struct nd_stats_sample s;
	const cJSON *ms = member(doc, "memory_stats");
	const cJSON *pids = member(member(doc, "pids_stats"), "current");
	int64_t read_ns = nd_rfc3339_ns(nd_json_str(doc, "read"));
	int64_t pre_ns = nd_rfc3339_ns(nd_json_str(doc, "preread"));
	double limit;

	memset(&s, 0, sizeof(s));
	s.running = read_ns > 0;
	s.read_ns = read_ns > 0 ? read_ns : 0;
	s.cpu_ns = cpu_total(member(doc, "cpu_stats"));
	s.precpu_ns = cpu_total(member(doc, "precpu_stats"));
	s.has_pre = pre_ns > 0 && s.precpu_ns > 0;
	s.preread_ns = s.has_pre ? pre_ns : 0;

	s.mem_used = nd_stats_mem_used(ms);
	s.has_mem = s.running && s.mem_used >= 0;
	if (!s.has_mem)
		s.mem_used = 0;
	limit = nd_json_num(ms, "limit", 0);
	/* "no limit" is the host's memory on Docker; an absurd value
	 * (Podman may send the cgroup's max) means none */
	s.mem_limit = limit > 0 && limit < 0x1p60 ? limit : 0;

	s.has_net = s.running &&
		    net_sums(member(doc, "networks"), &s.net_rx, &s.net_tx);
	s.has_blk = s.running && blkio_sums(member(doc, "blkio_stats"),
					    &s.blk_read, &s.blk_write);
	s.has_pids = s.running && cJSON_IsNumber(pids);
	s.pids = s.has_pids ? pids->valuedouble : 0;
	*out = s;
}

/*
 * Readings closer than this say nothing: Podman's first stream frame
 * carries a "previous" reading 3 ms older with the same counter (0.00%).
 */
#define MIN_INTERVAL_NS INT64_C(100000000)

static double cpu_between(int64_t t0, double c0, int64_t t1, double c1)
{
	if (t1 - t0 < MIN_INTERVAL_NS || c1 < c0)
		return -1;
	return (c1 - c0) / (double)(t1 - t0) * 100.0;
}

double nd_stats_cpu_percent(const struct nd_stats_sample *prev,
			    const struct nd_stats_sample *cur)
{
	if (!prev || !cur || !prev->running || !cur->running)
		return -1;
	return cpu_between(prev->read_ns, prev->cpu_ns, cur->read_ns,
			   cur->cpu_ns);
}

double nd_stats_cpu_percent_pre(const struct nd_stats_sample *s)
{
	if (!s->running || !s->has_pre)
		return -1;
	return cpu_between(s->preread_ns, s->precpu_ns, s->read_ns, s->cpu_ns);
}

double nd_stats_mem_percent(const struct nd_stats_sample *s)
{
	if (!s->has_mem || s->mem_limit <= 0)
		return -1;
	return s->mem_used / s->mem_limit * 100.0;
}

void nd_stats_fmt_percent(char *out, size_t n, double pct)
{
	if (pct < 0 || !isfinite(pct))
		snprintf(out, n, "--");
	else
		snprintf(out, n, "%.2f%%", pct);
}

void nd_stats_fmt_mem(char *out, size_t n, const struct nd_stats_sample *s)
{
	char used[32], limit[32];

	if (!s->has_mem) {
		snprintf(out, n, "-- / --");
		return;
	}
	nd_format_bytes_binary(used, sizeof(used), s->mem_used);
	if (s->mem_limit > 0)
		nd_format_bytes_binary(limit, sizeof(limit), s->mem_limit);
	else
		snprintf(limit, sizeof(limit), "--");
	snprintf(out, n, "%s / %s", used, limit);
}

void nd_stats_fmt_si(char *out, size_t n, double bytes)
{
	static const char *const units[] = { "B",  "kB", "MB", "GB",
					     "TB", "PB", "EB" };
	size_t u = 0;
	char num[32];

	if (bytes < 0 || !isfinite(bytes))
		bytes = 0;
	while (bytes >= 1000 && u + 1 < ND_ARRAY_SIZE(units)) {
		bytes /= 1000;
		u++;
	}
	snprintf(num, sizeof(num), "%.3g", bytes);
	/* rounding to 3 digits reached the next unit: 999.9 → "1e+03" */
	if (strchr(num, 'e') && u + 1 < ND_ARRAY_SIZE(units)) {
		bytes /= 1000;
		u++;
		snprintf(num, sizeof(num), "%.3g", bytes);
	}
	snprintf(out, n, "%s%s", num, units[u]);
}

void nd_stats_fmt_io(char *out, size_t n, bool ok, double a, double b)
{
	char sa[32], sb[32];

	if (!ok) {
		snprintf(out, n, "-- / --");
		return;
	}
	nd_stats_fmt_si(sa, sizeof(sa), a);
	nd_stats_fmt_si(sb, sizeof(sb), b);
	snprintf(out, n, "%s / %s", sa, sb);
}

void nd_stats_fmt_pids(char *out, size_t n, const struct nd_stats_sample *s)
{
	if (!s->has_pids)
		snprintf(out, n, "--");
	else
		snprintf(out, n, "%.0f", s->pids);
}

/* --- concurrent requests --- */

struct conn {
	struct nd_stats_multi *m;
	char *id;
	CURL *h;
	bool stream;
	struct nd_jsonl dec;
	struct nd_error err;   /* decode errors */
	struct nd_buf errbody; /* the body of an HTTP error */
	char errbuf[CURL_ERROR_SIZE];
	struct conn *next;
};

struct nd_stats_multi {
	struct nd_engine *e;
	CURLM *multi;
	struct conn *conns;
	size_t nconns;
	nd_stats_frame_fn on_frame;
	nd_stats_end_fn on_end;
	void *ud;
};

static int conn_msg(cJSON *msg, void *ud)
{
	struct conn *c = ud;

	c->m->on_frame(c->id, msg, c->m->ud);
	return 0;
}

static size_t conn_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct conn *c = ud;
	size_t len = size * nmemb;
	long status = 0;

	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300) {
		if (nd_buf_add(&c->errbody, data, len) < 0)
			return 0;
		return len;
	}
	if (nd_jsonl_feed(&c->dec, data, len) < 0)
		return 0; /* aborts the transfer; c->err says why */
	return len;
}

struct nd_stats_multi *nd_stats_multi_new(struct nd_engine *e,
					  nd_stats_frame_fn on_frame,
					  nd_stats_end_fn on_end, void *ud)
{
	struct nd_stats_multi *m = nd_calloc(1, sizeof(*m));

	m->e = e;
	m->multi = curl_multi_init();
	if (!m->multi) {
		free(m);
		return NULL;
	}
	m->on_frame = on_frame;
	m->on_end = on_end;
	m->ud = ud;
	return m;
}

static void conn_free(struct nd_stats_multi *m, struct conn *c)
{
	if (c->h) {
		curl_multi_remove_handle(m->multi, c->h);
		curl_easy_cleanup(c->h);
	}
	nd_jsonl_release(&c->dec);
	nd_error_release(&c->err);
	nd_buf_release(&c->errbody);
	free(c->id);
	free(c);
}

static struct conn **find(struct nd_stats_multi *m, const char *id)
{
	struct conn **p;

	for (p = &m->conns; *p; p = &(*p)->next)
		if (!strcmp((*p)->id, id))
			return p;
	return NULL;
}

void nd_stats_multi_free(struct nd_stats_multi *m)
{
	if (!m)
		return;
	while (m->conns) {
		struct conn *c = m->conns;

		m->conns = c->next;
		conn_free(m, c);
	}
	curl_multi_cleanup(m->multi);
	free(m);
}

int nd_stats_multi_add(struct nd_stats_multi *m, const char *id, bool stream,
		       long timeout_ms, struct nd_error *err)
{
	struct conn *c;
	struct nd_buf path = ND_BUF_INIT;
	char *url;

	if (find(m, id))
		return 0;
	c = nd_calloc(1, sizeof(*c));
	c->m = m;
	c->id = nd_strdup(id);
	c->stream = stream;
	c->err = (struct nd_error)ND_ERROR_INIT;
	nd_buf_init(&c->errbody, STATS_ERROR_CAP);
	nd_jsonl_init(&c->dec, conn_msg, c, &c->err);
	c->dec.line.cap = STATS_FRAME_CAP;
	c->h = nd_engine_easy_new(m->e, c->errbuf);
	if (!c->h) {
		conn_free(m, c);
		return nd_error_set(err, ND_EGENERIC,
				    "cannot set up a connection to the engine");
	}
	nd_buf_adds(&path, "/containers/");
	nd_buf_add_urlencoded(&path, id);
	if (stream)
		nd_buf_adds(&path, "/stats?stream=1");
	else if (nd_engine_api_at_least(m->e, 1, 41))
		nd_buf_adds(&path, "/stats?stream=0&one-shot=1");
	else
		nd_buf_adds(&path, "/stats?stream=0");
	url = nd_engine_url(m->e, path.buf);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, conn_write);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, timeout_ms);
	free(url);
	nd_buf_release(&path);
	if (curl_multi_add_handle(m->multi, c->h) != CURLM_OK) {
		conn_free(m, c);
		return nd_error_set(err, ND_EGENERIC,
				    "cannot start a stats request");
	}
	c->next = m->conns;
	m->conns = c;
	m->nconns++;
	return 0;
}

void nd_stats_multi_remove(struct nd_stats_multi *m, const char *id)
{
	struct conn **p = find(m, id);
	struct conn *c;

	if (!p)
		return;
	c = *p;
	*p = c->next;
	m->nconns--;
	conn_free(m, c);
}

bool nd_stats_multi_has(const struct nd_stats_multi *m, const char *id)
{
	return find((struct nd_stats_multi *)m, id) != NULL;
}

size_t nd_stats_multi_active(const struct nd_stats_multi *m)
{
	return m->nconns;
}

/* A transfer ended: decide the result, tell the caller, drop it. */
static void conn_done(struct nd_stats_multi *m, struct conn *c, CURLcode rc)
{
	struct nd_error err = ND_ERROR_INIT;
	long status = 0;
	int r = 0;

	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300) {
		r = nd_engine_error_from_response(&err, status, c->errbody.buf,
						  c->errbody.len);
	} else if (c->err.code) {
		r = c->err.code;
		nd_error_move(&err, &c->err);
	} else if (rc != CURLE_OK) {
		r = nd_error_set(&err,
				 rc == CURLE_OPERATION_TIMEDOUT ? ND_ETIMEOUT :
								  ND_EGENERIC,
				 "stats of '%s': %s", c->id,
				 *c->errbuf ? c->errbuf :
					      curl_easy_strerror(rc));
	} else if (nd_jsonl_finish(&c->dec) < 0) {
		r = c->err.code;
		nd_error_move(&err, &c->err);
	}
	/* unlink before the callback: it may add a new request for the id */
	{
		struct conn **p = find(m, c->id);

		if (p)
			*p = c->next;
		m->nconns--;
	}
	m->on_end(c->id, r, &err, m->ud);
	conn_free(m, c);
	nd_error_release(&err);
}

static int drain(struct nd_stats_multi *m, struct nd_error *err)
{
	CURLMcode mc;
	CURLMsg *msg;
	int running = 0, left;

	mc = curl_multi_perform(m->multi, &running);
	if (mc != CURLM_OK)
		return nd_error_set(err, ND_EGENERIC, "libcurl: %s",
				    curl_multi_strerror(mc));
	while ((msg = curl_multi_info_read(m->multi, &left))) {
		struct conn *c = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&c);
		if (c)
			conn_done(m, c, msg->data.result);
	}
	return 0;
}

int nd_stats_multi_run(struct nd_stats_multi *m, long timeout_ms,
		       struct nd_error *err)
{
	bool idle = m->nconns == 0;
	CURLMcode mc;

	if (drain(m, err) < 0)
		return -1;
	/* wait for data; with nothing to do at all, just sleep (the caller
	 * re-lists containers between calls) */
	if (timeout_ms > 0 && (m->nconns || idle)) {
		mc = curl_multi_poll(m->multi, NULL, 0, (int)timeout_ms, NULL);
		if (mc != CURLM_OK)
			return nd_error_set(err, ND_EGENERIC, "libcurl: %s",
					    curl_multi_strerror(mc));
	}
	return drain(m, err);
}
