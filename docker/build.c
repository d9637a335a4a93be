/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/buf.h"
#include "docker/build.h"
#include "docker/engine.h"
#include "docker/stream.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#define PIPE_BYTES (1 << 20)
#define LINE_CAP ((size_t)1 << 20)

char *nd_mask_secrets(const char *s, const char *const *secrets)
{
	struct nd_buf b = ND_BUF_INIT;
	const char *p = s;

	if (!secrets || !*secrets)
		return nd_strdup(s);
	while (*p) {
		const char *const *sec;
		bool hit = false;

		for (sec = secrets; *sec; sec++) {
			size_t n = strlen(*sec);

			if (n >= 3 && !strncmp(p, *sec, n)) {
				nd_buf_adds(&b, "***");
				p += n;
				hit = true;
				break;
			}
		}
		if (!hit)
			nd_buf_addch(&b, *p++);
	}
	return nd_buf_detach(&b, NULL);
}

void nd_build_log_release(struct nd_build_log *log)
{
	size_t i;

	if (!log)
		return;
	free(log->step);
	for (i = 0; i < ND_BUILD_TAIL; i++)
		free(log->tail[i]);
	memset(log, 0, sizeof(*log));
}

const char *nd_build_log_line(const struct nd_build_log *log, size_t i)
{
	if (i >= log->tail_len)
		return NULL;
	return log->tail[(log->tail_start + i) % ND_BUILD_TAIL];
}

static void log_push(struct nd_build_log *log, const char *line)
{
	size_t slot;

	if (log->tail_len < ND_BUILD_TAIL) {
		slot = (log->tail_start + log->tail_len++) % ND_BUILD_TAIL;
	} else {
		slot = log->tail_start;
		log->tail_start = (log->tail_start + 1) % ND_BUILD_TAIL;
	}
	nd_str_replace(&log->tail[slot], line);
}

static void log_step(struct nd_build_log *log, const char *text, int no, int n)
{
	size_t i;

	nd_str_replace(&log->step, text);
	log->step_no = no;
	log->nsteps = n;
	for (i = 0; i < ND_BUILD_TAIL; i++) {
		free(log->tail[i]);
		log->tail[i] = NULL;
	}
	log->tail_start = log->tail_len = 0;
}

/* --- the request body: a producer thread and a pipe --- */

struct upload {
	const struct nd_build_opts *o;
	struct nd_build_log *log;
	int rfd, wfd;
	pthread_t thread;
	bool started, joined;
	int producer_rc;
	struct nd_error perr;
	struct nd_error *err;
	bool failed; /* the producer failed: the upload was aborted */
};

static void *producer(void *arg)
{
	struct upload *u = arg;
	sigset_t set;

	/* signals belong to the main thread; EPIPE instead of SIGPIPE */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	u->producer_rc = u->o->write_context(u->wfd, u->o->context_ud, &u->perr);
	close(u->wfd);
	u->wfd = -1;
	return NULL;
}

static void join_producer(struct upload *u)
{
	if (u->started && !u->joined) {
		pthread_join(u->thread, NULL);
		u->joined = true;
	}
}

static void emit(const struct nd_build_opts *o, enum nd_build_event_kind kind,
		 const char *text, const char *id,
		 const struct nd_build_log *log, uint64_t bytes)
{
	struct nd_build_event ev;

	if (!o->on_event)
		return;
	ev.kind = kind;
	ev.text = text;
	ev.id = id;
	ev.step = log->step_no;
	ev.nsteps = log->nsteps;
	ev.bytes = bytes;
	o->on_event(&ev, o->ud);
}

static size_t read_body(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct upload *u = ud;
	size_t want = size * nmemb;

	for (;;) {
		ssize_t n = read(u->rfd, buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			nd_error_errno(u->err, ND_EGENERIC,
				       "cannot read the build context stream");
			u->failed = true;
			return CURL_READFUNC_ABORT;
		}
		if (n == 0) {
			join_producer(u);
			if (u->producer_rc < 0) {
				/* never let the engine build a partial context */
				nd_error_move(u->err, &u->perr);
				u->failed = true;
				return CURL_READFUNC_ABORT;
			}
			u->log->uploaded = true;
			emit(u->o, ND_BUILD_UPLOADED, NULL, NULL, u->log,
			     u->log->upload_bytes);
			return 0;
		}
		u->log->upload_bytes += (uint64_t)n;
		emit(u->o, ND_BUILD_UPLOAD, NULL, NULL, u->log,
		     u->log->upload_bytes);
		return (size_t)n;
	}
}

/* --- the answer --- */

struct answer {
	const struct nd_build_opts *o;
	struct nd_build_log *log;
	struct nd_buf text; /* "stream" text not yet ended by '\n' */
	char *image_id;	    /* the last aux.ID */
	char *built_short;  /* "Successfully built <id>" */
	char *error;	    /* errorDetail.message */
	int error_code;	    /* errorDetail.code, -1 when absent */
};

static bool parse_step(const char *line, const char *prefix, const char *sep,
		       int *no, int *n, const char **rest)
{
	const char *p = line + strlen(prefix);
	char *end;
	long a, b;

	if (!nd_starts_with(line, prefix) || *p < '0' || *p > '9')
		return false;
	a = strtol(p, &end, 10);
	if (*end != '/')
		return false;
	b = strtol(end + 1, &end, 10);
	if (!nd_starts_with(end, sep))
		return false;
	*no = (int)a;
	*n = (int)b;
	*rest = end + strlen(sep);
	return true;
}

static bool is_hex_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n >= 12 && !s[n];
}

/*
 * Drop terminal escape sequences (the classic builder colors a RUN's
 * stderr: "\033[91m...\033[0m"): CSI, OSC and two-byte escapes.
 */
static char *strip_escapes(const char *s)
{
	char *out = nd_malloc(strlen(s) + 1), *w = out;

	while (*s) {
		if (*s != '\033') {
			*w++ = *s++;
			continue;
		}
		s++;
		if (*s == '[') {
			s++;
			while (*s >= 0x20 && *s <= 0x3f)
				s++;
			if (*s >= 0x40 && *s <= 0x7e)
				s++;
		} else if (*s == ']') {
			while (*s && *s != '\a' &&
			       !(*s == '\033' && s[1] == '\\'))
				s++;
			if (*s == '\a')
				s++;
			else if (*s)
				s += 2;
		} else if (*s) {
			s++;
		}
	}
	*w = '\0';
	return out;
}

static void on_line(struct answer *a, const char *raw)
{
	const char *cr = strrchr(raw, '\r');
	char *line, *plain;
	const char *rest;
	int no, n;

	/* a line redrawn with '\r' (progress bars): its last state */
	if (cr && cr[1])
		raw = cr + 1;
	else if (cr)
		return;
	plain = strip_escapes(raw);
	line = nd_mask_secrets(plain, a->o->secrets);
	free(plain);
	if (parse_step(line, "Step ", " : ", &no, &n, &rest) ||
	    parse_step(line, "STEP ", ": ", &no, &n, &rest)) {
		log_step(a->log, rest, no, n);
		emit(a->o, ND_BUILD_STEP, rest, NULL, a->log, 0);
	} else if (nd_starts_with(line, " ---> ") ||
		   nd_starts_with(line, "--> ") ||
		   nd_starts_with(line, "Removing intermediate container") ||
		   nd_starts_with(line, "Successfully built ") ||
		   nd_starts_with(line, "Successfully tagged ") ||
		   nd_starts_with(line, "COMMIT") || is_hex_id(line)) {
		if (nd_starts_with(line, "Successfully built "))
			nd_str_replace(&a->built_short, line + 19);
		emit(a->o, ND_BUILD_INFO, line, NULL, a->log, 0);
	} else {
		if (*line)
			log_push(a->log, line);
		emit(a->o, ND_BUILD_OUTPUT, line, NULL, a->log, 0);
	}
	free(line);
}

static void feed_text(struct answer *a, const char *s)
{
	const char *nl;

	while ((nl = strchr(s, '\n'))) {
		nd_buf_add(&a->text, s, (size_t)(nl - s));
		on_line(a, a->text.buf);
		nd_buf_reset(&a->text);
		s = nl + 1;
	}
	if (*s && nd_buf_adds(&a->text, s) < 0) {
		/* a "line" of more than 1 MiB: hand it out in pieces */
		on_line(a, a->text.buf);
		nd_buf_reset(&a->text);
		nd_buf_adds(&a->text, s);
	}
}

static int on_msg(cJSON *msg, void *ud)
{
	struct answer *a = ud;
	const cJSON *v;

	if ((v = cJSON_GetObjectItemCaseSensitive(msg, "stream")) &&
	    cJSON_IsString(v))
		feed_text(a, v->valuestring);
	if ((v = cJSON_GetObjectItemCaseSensitive(msg, "aux")) &&
	    cJSON_IsObject(v)) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(v, "ID");

		/* one per finished stage: the last is the image (§15.4) */
		if (cJSON_IsString(id))
			nd_str_replace(&a->image_id, id->valuestring);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(msg, "status")) &&
	    cJSON_IsString(v)) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
		char *t = nd_mask_secrets(v->valuestring, a->o->secrets);

		emit(a->o, ND_BUILD_STATUS, t,
		     cJSON_IsString(id) ? id->valuestring : NULL, a->log, 0);
		free(t);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(msg, "errorDetail")) &&
	    cJSON_IsObject(v)) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, "message");
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "code");

		if (cJSON_IsString(m))
			nd_str_replace(&a->error, m->valuestring);
		if (cJSON_IsNumber(c))
			a->error_code = (int)c->valuedouble;
	}
	if (!a->error && (v = cJSON_GetObjectItemCaseSensitive(msg, "error")) &&
	    cJSON_IsString(v))
		nd_str_replace(&a->error, v->valuestring);
	return 0;
}

static char *build_path(const struct nd_build_opts *o)
{
	struct nd_buf b = ND_BUF_INIT;
	const char *const *t;
	size_t i;

	nd_buf_adds(&b, "/build?version=1&rm=1&forcerm=1");
	for (t = o->tags; t && *t; t++) {
		nd_buf_adds(&b, "&t=");
		nd_buf_add_urlencoded(&b, *t);
	}
	if (o->dockerfile) {
		nd_buf_adds(&b, "&dockerfile=");
		nd_buf_add_urlencoded(&b, o->dockerfile);
	}
	if (o->target && *o->target) {
		nd_buf_adds(&b, "&target=");
		nd_buf_add_urlencoded(&b, o->target);
	}
	if (o->nocache)
		nd_buf_adds(&b, "&nocache=1");
	if (o->pull)
		nd_buf_adds(&b, "&pull=1");
	if (o->buildargs && o->buildargs->nr) {
		cJSON *j = cJSON_CreateObject();
		char *s;

		for (i = 0; i < o->buildargs->nr; i++) {
			const struct nd_kv *kv = &o->buildargs->items[i];

			cJSON_DeleteItemFromObjectCaseSensitive(j, kv->key);
			if (kv->value)
				cJSON_AddStringToObject(j, kv->key, kv->value);
			else
				cJSON_AddNullToObject(j, kv->key);
		}
		s = cJSON_PrintUnformatted(j);
		nd_buf_adds(&b, "&buildargs=");
		nd_buf_add_urlencoded(&b, s);
		free(s);
		cJSON_Delete(j);
	}
	if (o->labels && o->labels->nr) {
		cJSON *j = cJSON_CreateObject();
		char *s;

		for (i = 0; i < o->labels->nr; i++) {
			const struct nd_kv *kv = &o->labels->items[i];

			cJSON_DeleteItemFromObjectCaseSensitive(j, kv->key);
			cJSON_AddStringToObject(j, kv->key,
						kv->value ? kv->value : "");
		}
		s = cJSON_PrintUnformatted(j);
		nd_buf_adds(&b, "&labels=");
		nd_buf_add_urlencoded(&b, s);
		free(s);
		cJSON_Delete(j);
	}
	return nd_buf_detach(&b, NULL);
}

int nd_image_build(struct nd_engine *e, const struct nd_build_opts *o,
		   struct nd_build_log *log, char **id_out,
		   struct nd_error *err)
{
	struct nd_build_log local_log = { 0 };
	struct upload u = { 0 };
	struct answer a = { 0 };
	struct nd_jsonl j;
	struct nd_req req = { 0 };
	struct nd_error jerr = ND_ERROR_INIT;
	char *path = NULL, *regcfg = NULL;
	const char *headers[2];
	int fds[2] = { -1, -1 }, r;

	if (!o->write_context)
		BUG("a build needs a context writer");
	if (!log)
		log = &local_log;
	u.o = o;
	u.log = log;
	u.err = err;
	u.rfd = u.wfd = -1;
	u.perr = (struct nd_error)ND_ERROR_INIT;
	a.o = o;
	a.log = log;
	a.error_code = -1;
	nd_buf_init(&a.text, LINE_CAP);
	nd_jsonl_init(&j, on_msg, &a, &jerr);

	if (pipe2(fds, O_CLOEXEC) < 0) {
		r = nd_error_errno(err, ND_EGENERIC, "cannot make a pipe");
		goto done;
	}
	fcntl(fds[1], F_SETPIPE_SZ, PIPE_BYTES); /* best effort */
	u.rfd = fds[0];
	u.wfd = fds[1];
	if ((r = pthread_create(&u.thread, NULL, producer, &u))) {
		errno = r;
		close(u.wfd);
		u.wfd = -1;
		r = nd_error_errno(err, ND_EGENERIC,
				   "cannot start the context writer");
		goto done;
	}
	u.started = true;

	path = build_path(o);
	regcfg = nd_xprintf("X-Registry-Config: %s",
			    o->registry_config ? o->registry_config : "e30=");
	headers[0] = regcfg;
	headers[1] = NULL;
	req.method = "POST";
	req.path = path;
	req.content_type = "application/x-tar";
	req.read_fn = read_body;
	req.read_ud = &u;
	req.write_fn = nd_jsonl_write;
	req.write_ud = &j;
	req.headers = headers;
	req.secrets = o->secrets;
	req.cancel = o->cancel;
	r = nd_engine_request(e, &req, NULL, err);
	/* the engine went away or refused: stop the producer (EPIPE) */
	close(u.rfd);
	u.rfd = -1;
	join_producer(&u);
	if (r < 0) {
		if (u.failed || r == ND_EINTERRUPTED)
			goto done;
		if (jerr.code) {
			nd_error_move(err, &jerr);
			r = err->code;
		}
		if (err && err->msg) {
			char *m = nd_mask_secrets(err->msg, o->secrets);

			nd_str_replace(&err->msg, m);
			free(m);
		}
		nd_error_wrap(err, "the engine refused the build");
		goto done;
	}
	if ((r = nd_jsonl_finish(&j)) < 0) {
		nd_error_move(err, &jerr);
		r = nd_error_wrap(err, "reading the build output");
		goto done;
	}
	if (a.text.len)
		on_line(&a, a.text.buf);
	if (a.error) {
		char *m = nd_mask_secrets(a.error, o->secrets);
		size_t l = strlen(m);

		while (l && (m[l - 1] == '\n' || m[l - 1] == '\r'))
			m[--l] = '\0';
		if (log->step)
			r = nd_error_set(
				err, ND_EGENERIC,
				"the build failed at step %d/%d '%s': %s",
				log->step_no, log->nsteps, log->step, m);
		else
			r = nd_error_set(err, ND_EGENERIC,
					 "the build failed: %s", m);
		if (err)
			err->status = a.error_code;
		free(m);
		goto done;
	}
	if (!a.image_id && a.built_short)
		a.image_id = nd_strdup(a.built_short);
	if (!a.image_id) {
		r = nd_error_set(
			err, ND_EGENERIC,
			"the engine ended the build without an image ID");
		goto done;
	}
	*id_out = a.image_id;
	a.image_id = NULL;
	r = 0;
done:
	if (u.rfd >= 0)
		close(u.rfd);
	join_producer(&u);
	nd_error_release(&u.perr);
	nd_error_release(&jerr);
	nd_jsonl_release(&j);
	nd_buf_release(&a.text);
	free(a.image_id);
	free(a.built_short);
	free(a.error);
	free(path);
	free(regcfg);
	nd_build_log_release(&local_log);
	return r;
}
