/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "docker/exec.h"
#include "docker/api.h"
#include "docker/stream.h"

#include <cjson/cJSON.h>
#include <time.h>
#include <unistd.h>

void nd_exec_result_release(struct nd_exec_result *r)
{
	if (!r)
		return;
	nd_buf_release(&r->out);
	nd_buf_release(&r->err);
	r->exit_code = -1;
	r->truncated = false;
}

int nd_exec_create(struct nd_engine *e, const char *id, const char *const *argv,
		   const char *const *env, const char *user,
		   const char *workdir, bool tty, bool attach_stdin,
		   char **exec_id_out, struct nd_error *err)
{
	cJSON *body = cJSON_CreateObject(), *res = NULL, *cmd, *envj;
	struct nd_buf path = ND_BUF_INIT;
	int r;

	cJSON_AddBoolToObject(body, "AttachStdin", attach_stdin);
	cJSON_AddBoolToObject(body, "AttachStdout", 1);
	cJSON_AddBoolToObject(body, "AttachStderr", 1);
	cJSON_AddBoolToObject(body, "Tty", tty);
	cmd = cJSON_AddArrayToObject(body, "Cmd");
	for (; argv && *argv; argv++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(*argv));
	if (env && *env) {
		envj = cJSON_AddArrayToObject(body, "Env");
		for (; *env; env++)
			cJSON_AddItemToArray(envj, cJSON_CreateString(*env));
	}
	if (user)
		cJSON_AddStringToObject(body, "User", user);
	if (workdir)
		cJSON_AddStringToObject(body, "WorkingDir", workdir);
	nd_buf_adds(&path, "/containers/");
	nd_buf_add_urlencoded(&path, id);
	nd_buf_adds(&path, "/exec");
	r = nd_engine_call_json(e, "POST", path.buf, body, &res, err);
	if (r == 0) {
		const char *xid = nd_json_str(res, "Id");

		if (!xid)
			r = nd_error_set(
				err, ND_EGENERIC,
				"the engine created an exec but sent no ID");
		else
			*exec_id_out = nd_strdup(xid);
	}
	cJSON_Delete(res);
	cJSON_Delete(body);
	nd_buf_release(&path);
	return r;
}

int nd_exec_inspect(struct nd_engine *e, const char *exec_id, bool *running,
		    long *exit_code, struct nd_error *err)
{
	char *p = nd_xprintf("/exec/%s/json", exec_id);
	cJSON *res = NULL;
	int r = nd_engine_get_json(e, p, &res, err);

	if (r == 0) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(
			res, "ExitCode");

		*running = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(res, "Running"));
		*exit_code = cJSON_IsNumber(code) ? (long)code->valuedouble :
						    -1;
	}
	cJSON_Delete(res);
	free(p);
	return r;
}

struct capture {
	struct nd_exec_result *res;
	size_t cap;
};

/* Keep the last `cap` bytes of each stream: the end says what went wrong. */
static void keep_tail(struct nd_buf *b, const char *data, size_t len,
		      size_t cap, bool *truncated)
{
	if (len >= cap) {
		nd_buf_reset(b);
		nd_buf_add(b, data + len - cap, cap);
		*truncated = true;
		return;
	}
	if (b->len + len > cap) {
		nd_buf_consume(b, b->len + len - cap);
		*truncated = true;
	}
	nd_buf_add(b, data, len);
}

static int on_frame(int stream, const char *data, size_t len, void *ud)
{
	struct capture *c = ud;

	if (stream == ND_STREAM_STDERR || stream == ND_STREAM_SYSERR)
		keep_tail(&c->res->err, data, len, c->cap, &c->res->truncated);
	else
		keep_tail(&c->res->out, data, len, c->cap, &c->res->truncated);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

int nd_exec_capture(struct nd_engine *e, const char *id,
		    const struct nd_exec_opts *o, struct nd_exec_result *res,
		    struct nd_error *err)
{
	struct capture cap = { res, o->max_output ? o->max_output : 64 * 1024 };
	struct nd_demux dm;
	struct nd_req req = { 0 };
	char *xid = NULL, *path = NULL;
	const char *body = "{\"Detach\":false,\"Tty\":false}";
	bool running = true;
	long code = -1;
	double start = now_ms();
	int r;

	if (o->stdin_data)
		BUG("nd_exec_capture: stdin needs a hijacked connection");
	nd_buf_init(&res->out, cap.cap + 1);
	nd_buf_init(&res->err, cap.cap + 1);
	r = nd_exec_create(e, id, o->argv, o->env, o->user, o->workdir, false,
			   false, &xid, err);
	if (r < 0)
		goto done;
	/*
	 * Without Upgrade headers the engine answers 200 and streams the
	 * multiplexed output until the process ends, then closes: a plain
	 * response read to EOF, which libcurl handles (NOTES.md §3.1).
	 */
	nd_demux_init(&dm, false, on_frame, &cap, err);
	path = nd_xprintf("/exec/%s/start", xid);
	req.method = "POST";
	req.path = path;
	req.body = body;
	req.write_fn = nd_demux_write;
	req.write_ud = &dm;
	req.timeout_ms = o->timeout_ms;
	r = nd_engine_request(e, &req, NULL, err);
	if (r < 0) {
		if (r == ND_ETIMEOUT)
			nd_error_set(err, ND_ETIMEOUT,
				     "'%s' did not finish within %ld ms",
				     o->argv[0], o->timeout_ms);
		goto done;
	}
	/* the exit code appears a moment after the stream ends */
	for (int i = 0; i < 200; i++) {
		if ((r = nd_exec_inspect(e, xid, &running, &code, err)) < 0)
			goto done;
		if (!running && code >= 0)
			break;
		if (o->timeout_ms && now_ms() - start > o->timeout_ms) {
			r = nd_error_set(err, ND_ETIMEOUT,
					 "'%s' did not finish within %ld ms",
					 o->argv[0], o->timeout_ms);
			goto done;
		}
		usleep(10000);
	}
	res->exit_code = code;
done:
	free(xid);
	free(path);
	return r;
}
