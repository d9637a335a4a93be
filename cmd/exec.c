/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/kv.h"
#include "core/project.h"
#include "core/signals.h"
#include "core/term.h"
#include "docker/api.h"
#include "docker/exec.h"
#include "docker/hijack.h"
#include "docker/stream.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <unistd.h>

static bool interactive, tty;
static struct nd_strlist env_opts;
static const char *user, *workdir;
static long replica_index;

/* clang-format off */
static const struct nd_opt exec_opts[] = {
	ND_OPT_BOOL_ROW('i', "interactive", &interactive,
			"send standard input to the command (its end closes the command's input)"),
	ND_OPT_BOOL_ROW('t', "tty", &tty,
			"give the command a terminal; with -i the local terminal is put in raw mode and resizes follow"),
	ND_OPT_LIST_ROW('e', "env", &env_opts, "KEY=VALUE", ND_ARG_KEYVALUE,
			"set an environment variable; KEY alone passes the local value when it is set"),
	ND_OPT_STRING_ROW('u', "user", &user, "USER", ND_ARG_USER,
			  "run as USER (name or UID, optionally :GROUP)"),
	ND_OPT_STRING_ROW('w', "workdir", &workdir, "DIR", ND_ARG_TEXT,
			  "run in DIR inside the container"),
	ND_OPT_INT_ROW(0, "index", &replica_index, "N",
		       "with several replicas, run in the N-th (default: 1)"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const struct nd_arg exec_args[] = {
	{ "SERVICE", ND_ARG_SERVICE, NULL, true, false,
	  "the service to run in (default: web, or the only service)" },
	{ "COMMAND", ND_ARG_COMMAND, NULL, false, true,
	  "the command and its arguments, run without a shell" },
	ND_ARG_END,
};
/* clang-format on */

/* clang-format off */
static const struct nd_example exec_examples[] = {
	{ "nextdeploy exec -it sh", "an interactive shell in the web service's container" },
	{ "nextdeploy exec worker -- ls -la /app", "list a folder in the worker service" },
	{ "nextdeploy exec -e DEBUG=1 -w /app -u node -- npm run migrate",
	  "run a script with a variable, folder and user of your choice" },
	{ "echo 'select 1;' | nextdeploy exec -i db psql", "feed the command from a pipe" },
	{ NULL, NULL },
};
/* clang-format on */

/* clang-format off */
static const char *const exec_sections[] = {
	"SERVICE OR COMMAND",
	"Options end at the first argument that is not one: everything after "
	"it belongs to the command. That first argument is the SERVICE when it "
	"names a service of the project (one that has containers); otherwise it "
	"is the command, run in the default service (web, or the project's only "
	"service besides the proxy). 'nextdeploy exec -- CMD...' always takes "
	"the default service and 'nextdeploy exec SERVICE -- CMD...' always "
	"names one, so a command that is also a service's name can still be "
	"run.",
	"WHICH CONTAINER",
	"A running container of the service's newest release; with replicas "
	"the first one, or the N-th with --index N.",
	"INPUT AND OUTPUT",
	"Without -t the command's standard output and error arrive on ours, "
	"separately. With -i our standard input is sent to the command, and its "
	"end (EOF) closes the command's input, so 'echo hi | nextdeploy exec -i "
	"-- cat' prints hi and ends. With -i -t the local terminal is put in raw "
	"mode (keys, Ctrl-C included, go to the command) and restored on every "
	"way out; the command's terminal follows the local window's size. -t "
	"with -i needs standard input to be a terminal.",
	"EXIT STATUS",
	"When the command ran: its own exit status, as with 'docker exec'. "
	"125: exec itself failed (unknown service, no running container, an "
	"engine error). 126: the command could not be started (not "
	"executable, unknown user, missing working folder). 127: the command "
	"was not found.",
	NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_exec_spec = {
	.usage = "[OPTIONS] [SERVICE] [--] COMMAND [ARG...]",
	.description = "Run a command in a running container of one of the "
		       "project's services, like 'docker compose exec', and "
		       "exit with the command's exit status.",
	.opts = exec_opts,
	.args = exec_args,
	.min_args = 1,
	.max_args = -1,
	.examples = exec_examples,
	.sections = exec_sections,
};
/* clang-format on */

/* --- choosing the service and container --- */

static void collect_services(const cJSON *list, struct nd_strvec *out)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, list) {
		const char *svc = nd_json_label(c, "nextdeploy.service");

		if (svc && !nd_strvec_contains(out, svc))
			nd_strvec_push(out, svc);
	}
}

static int default_service(const struct nd_strvec *svcs, const char *app,
			   const char **out, struct nd_error *err)
{
	const char *only = NULL;
	size_t i, n = 0;
	struct nd_buf names = ND_BUF_INIT;

	if (nd_strvec_contains(svcs, "web")) {
		*out = "web";
		return 0;
	}
	for (i = 0; i < svcs->nr; i++) {
		if (!strcmp(svcs->items[i], "proxy"))
			continue;
		only = svcs->items[i];
		n++;
		nd_buf_addf(&names, "%s%s", names.len ? ", " : "",
			    svcs->items[i]);
	}
	if (n == 1) {
		*out = only;
		nd_buf_release(&names);
		return 0;
	}
	if (n == 0) {
		nd_error_set(err, ND_ENOTFOUND, "'%s' has no containers", app);
		nd_error_hint(err, "deploy it first with 'nextdeploy run'");
	} else {
		nd_error_set(err, ND_EUSAGE,
			     "'%s' has several services and no 'web': name one",
			     app);
		nd_error_hint(err, "its services: %s", names.buf);
	}
	nd_buf_release(&names);
	return err->code;
}

/* Replica number from the name nd-<app>-<svc>-<release>[-<n>]. */
static long replica_of(const cJSON *c, const char *app, const char *svc)
{
	const char *name = nd_container_name(c);
	const char *rel = nd_json_label(c, "nextdeploy.release");
	char *base;
	long n = 1;

	if (!rel)
		return 1;
	base = nd_xprintf("nd-%s-%s-%s", app, svc, rel);
	if (nd_starts_with(name, base) && name[strlen(base)] == '-') {
		char *end;
		long v = strtol(name + strlen(base) + 1, &end, 10);

		if (!*end && v > 0)
			n = v;
	}
	free(base);
	return n;
}

struct cand {
	const cJSON *c;
	long replica;
};

static int by_replica(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->replica != y->replica)
		return x->replica < y->replica ? -1 : 1;
	return strcmp(nd_container_name(x->c), nd_container_name(y->c));
}

static int pick_container(const cJSON *list, const char *app, const char *svc,
			  long index, char **id_out, char **name_out,
			  struct nd_error *err)
{
	const cJSON *c, *newest = NULL, *stopped = NULL;
	struct cand *cands;
	size_t n = 0;
	const char *rel;
	int r = 0;

	cJSON_ArrayForEach(c, list) {
		if (!nd_streq(nd_json_label(c, "nextdeploy.service"), svc))
			continue;
		if (!nd_streq(nd_json_str(c, "State"), "running")) {
			stopped = c;
			continue;
		}
		if (!newest || nd_json_num(c, "Created", 0) >
				       nd_json_num(newest, "Created", 0))
			newest = c;
	}
	if (!newest) {
		nd_error_set(err, ND_ECONFLICT,
			     "service '%s' of '%s' has no running container",
			     svc, app);
		if (stopped)
			nd_error_hint(
				err,
				"'%s' is %s; start it with 'nextdeploy start'",
				nd_container_name(stopped),
				nd_json_str(stopped, "State") ?: "stopped");
		return ND_ECONFLICT;
	}
	rel = nd_json_label(newest, "nextdeploy.release");
	cands = nd_calloc((size_t)cJSON_GetArraySize(list), sizeof(*cands));
	cJSON_ArrayForEach(c, list) {
		if (!nd_streq(nd_json_label(c, "nextdeploy.service"), svc) ||
		    !nd_streq(nd_json_str(c, "State"), "running") ||
		    (rel &&
		     !nd_streq(nd_json_label(c, "nextdeploy.release"), rel)))
			continue;
		cands[n].c = c;
		cands[n++].replica = replica_of(c, app, svc);
	}
	qsort(cands, n, sizeof(*cands), by_replica);
	if (index < 1 || (size_t)index > n) {
		r = nd_error_set(
			err, ND_ENOTFOUND,
			"--index %ld is out of range: service '%s' has %zu running container%s",
			index, svc, n, n == 1 ? "" : "s");
		goto done;
	}
	*id_out = nd_strdup(nd_json_str(cands[index - 1].c, "Id"));
	*name_out = nd_strdup(nd_container_name(cands[index - 1].c));
done:
	free(cands);
	return r;
}

/*
 * SERVICE or COMMAND: see the spec's "SERVICE OR COMMAND". argv still holds
 * the "--" that ended the options (ND_STOP_AT_ARG keeps it).
 */
static int split_args(int argc, const char **argv, const struct nd_strvec *svcs,
		      const char **svc_out, int *cmd_at, struct nd_error *err)
{
	*svc_out = NULL;
	if (!strcmp(argv[0], "--")) {
		*cmd_at = 1;
	} else if (argc > 1 && !strcmp(argv[1], "--")) {
		*svc_out = argv[0];
		*cmd_at = 2;
		if (!nd_strvec_contains(svcs, argv[0])) {
			const char *best = nd_suggest(
				argv[0], (const char *const *)svcs->items,
				svcs->nr);

			nd_error_set(err, ND_ENOTFOUND,
				     "no service '%s' with containers",
				     argv[0]);
			if (best)
				nd_error_hint(err, "did you mean '%s'?", best);
			return ND_ENOTFOUND;
		}
	} else if (nd_strvec_contains(svcs, argv[0])) {
		*svc_out = argv[0];
		*cmd_at = 1;
	} else {
		*cmd_at = 0;
	}
	if (*cmd_at >= argc) {
		nd_error_set(err, ND_EUSAGE, "no command to run%s%s%s",
			     *svc_out ? " in '" : "", *svc_out ? *svc_out : "",
			     *svc_out ? "'" : "");
		nd_error_hint(
			err, "nextdeploy exec [SERVICE] [--] COMMAND [ARG...]");
		return ND_EUSAGE;
	}
	return 0;
}

/* --- output --- */

/*
 * When the command cannot be started, the engine answers 101 anyway and
 * sends "OCI runtime exec failed: ..." as the first stdout bytes, then
 * exit code 126 (NOTES.md §3.1). Hold output that starts that way until
 * the exit code says whether it was that error or the command's own text.
 */
#define OCI_FAILED "OCI runtime exec failed"
#define HOLD_CAP 4096

enum hold { HOLD_UNDECIDED, HOLD_ON, HOLD_OFF };

struct xout {
	struct nd_demux dm;
	struct nd_error err;
	enum hold hold;
	struct nd_buf held;
	bool broken; /* our stdout or stderr is gone */
};

static int write_fd(struct xout *x, int fd, const char *p, size_t len)
{
	if (nd_write_all(fd, p, len) < 0) {
		x->broken = true;
		return -1;
	}
	return 0;
}

static int stdout_bytes(struct xout *x, const char *data, size_t len)
{
	size_t mlen = strlen(OCI_FAILED);

	if (x->hold == HOLD_OFF)
		return write_fd(x, STDOUT_FILENO, data, len);
	if (x->held.len + len > HOLD_CAP) {
		/* too long for the engine's message: the command's output */
		x->hold = HOLD_OFF;
		if (write_fd(x, STDOUT_FILENO, x->held.buf, x->held.len) < 0)
			return -1;
		nd_buf_release(&x->held);
		return write_fd(x, STDOUT_FILENO, data, len);
	}
	nd_buf_add(&x->held, data, len);
	if (x->hold == HOLD_UNDECIDED) {
		size_t n = x->held.len < mlen ? x->held.len : mlen;

		if (memcmp(x->held.buf, OCI_FAILED, n)) {
			int r;

			x->hold = HOLD_OFF;
			r = write_fd(x, STDOUT_FILENO, x->held.buf, x->held.len);
			nd_buf_release(&x->held);
			return r;
		}
		if (x->held.len >= mlen)
			x->hold = HOLD_ON;
	}
	return 0;
}

static int on_frame(int stream, const char *data, size_t len, void *ud)
{
	struct xout *x = ud;

	if (x->broken)
		return -1;
	switch (stream) {
	case ND_STREAM_STDOUT:
		return stdout_bytes(x, data, len);
	default:
		/* stderr, and stream 3: the daemon's own error text */
		if (x->hold == HOLD_UNDECIDED && x->held.len == 0)
			x->hold = HOLD_OFF;
		return write_fd(x, STDERR_FILENO, data, len);
	}
}

static void xout_init(struct xout *x, bool raw)
{
	x->err = (struct nd_error)ND_ERROR_INIT;
	x->hold = HOLD_UNDECIDED;
	nd_buf_init(&x->held, HOLD_CAP + 1);
	x->broken = false;
	nd_demux_init(&x->dm, raw, on_frame, x, &x->err);
}

static void xout_release(struct xout *x)
{
	nd_buf_release(&x->held);
	nd_error_release(&x->err);
}

/* --- the interactive part --- */

struct session {
	struct nd_engine *e;
	const char *exec_id;
	bool tty;
	int size_fd; /* the terminal whose size we follow, or -1 */
	int sig;     /* the signal that ended it */
};

static int resize(struct session *s)
{
	struct nd_error err = ND_ERROR_INIT;
	unsigned rows, cols;
	char *path;
	int r;

	if (s->size_fd < 0 || !nd_term_size(s->size_fd, &rows, &cols))
		return 0;
	path = nd_xprintf("/exec/%s/resize?h=%u&w=%u", s->exec_id, rows, cols);
	r = nd_engine_call_json(s->e, "POST", path, NULL, NULL, &err);
	free(path);
	nd_error_release(&err);
	return r;
}

static int on_wake(void *ud)
{
	struct session *s = ud;
	int sig;

	while ((sig = nd_signal_next())) {
		if (sig == SIGWINCH) {
			resize(s);
			continue;
		}
		s->sig = sig;
		return ND_EINTERRUPTED;
	}
	return 0;
}

static int run_hijacked(struct nd_engine *e, const char *exec_id,
			struct xout *x, struct session *s, struct nd_error *err)
{
	struct nd_hijack *h = NULL;
	struct nd_hijack_io io = { 0 };
	char *path = nd_xprintf("/exec/%s/start", exec_id);
	char *body = nd_xprintf("{\"Detach\":false,\"Tty\":%s}",
				s->tty ? "true" : "false");
	int r;

	/* SIGINT/SIGTERM/SIGHUP end the session (130), SIGWINCH resizes */
	nd_signals_install(ND_SIG_NOTIFY);
	nd_signals_watch(SIGWINCH);
	if ((r = nd_hijack_open(&h, e, path, body, err)) < 0)
		goto done;
	if (interactive && s->tty && (r = nd_term_raw(STDIN_FILENO, err)) < 0)
		goto done;
	if (s->tty) {
		/* the exec may not be running yet: retry as the docker CLI does */
		for (int i = 0; i < 10 && resize(s) < 0; i++)
			usleep((useconds_t)(i + 1) * 10000);
	}
	io.in_fd = interactive ? STDIN_FILENO : -1;
	io.half_close = !s->tty;
	io.on_data = nd_demux_write;
	io.data_ud = &x->dm;
	io.wake_fd = nd_signal_fd();
	io.on_wake = on_wake;
	io.wake_ud = s;
	r = nd_hijack_pump(h, &io, err);
	if (r == ND_EINTERRUPTED)
		nd_error_set(err, ND_EINTERRUPTED, "interrupted");
	else if (r < 0 && x->broken)
		r = 0; /* our output went away: stop quietly */
	else if (r < 0 && x->err.code)
		nd_error_move(err, &x->err);
	else if (r == 0 && nd_demux_finish(&x->dm) < 0) {
		nd_error_move(err, &x->err);
		r = ND_EGENERIC;
	}
done:
	nd_term_restore();
	nd_hijack_free(h);
	free(path);
	free(body);
	return r;
}

static int run_plain(struct nd_engine *e, const char *exec_id, struct xout *x,
		     struct nd_error *err)
{
	struct nd_req req = { 0 };
	char *path = nd_xprintf("/exec/%s/start", exec_id);
	int r;

	/* no stdin, no TTY: a plain response streamed to its end (§3.1) */
	req.method = "POST";
	req.path = path;
	req.body = "{\"Detach\":false,\"Tty\":false}";
	req.write_fn = nd_demux_write;
	req.write_ud = &x->dm;
	r = nd_engine_request(e, &req, NULL, err);
	if (r < 0 && x->broken) {
		nd_error_release(err);
		r = 0;
	} else if (r < 0 && x->err.code) {
		nd_error_move(err, &x->err);
	} else if (r == 0 && nd_demux_finish(&x->dm) < 0) {
		nd_error_move(err, &x->err);
		r = ND_EGENERIC;
	}
	free(path);
	return r;
}

/*
 * The exit code appears a moment after the stream ends (NOTES.md §15.15).
 * *pid_out is the process's PID, 0 when it never started (Docker; Podman
 * says 0 after every exit).
 */
static int wait_exit_code(struct nd_engine *e, const char *exec_id, long *code,
			  long *pid_out, struct nd_error *err)
{
	char *path = nd_xprintf("/exec/%s/json", exec_id);
	int i, r = 0;

	for (i = 0; i < 300; i++) {
		cJSON *res = NULL;
		const cJSON *c;
		bool running;

		if ((r = nd_engine_get_json(e, path, &res, err)) < 0)
			break;
		c = cJSON_GetObjectItemCaseSensitive(res, "ExitCode");
		running = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(res, "Running"));
		*pid_out = (long)nd_json_num(res, "Pid", 0);
		*code = cJSON_IsNumber(c) ? (long)c->valuedouble : -1;
		cJSON_Delete(res);
		if (!running && *code >= 0)
			goto done;
		usleep(10000);
	}
	if (r == 0)
		r = nd_error_set(
			err, ND_ETIMEOUT,
			"the engine did not report the command's exit status");
done:
	free(path);
	return r;
}

/* "...exec: \"nope\": executable file not found in $PATH..." → 127 */
static bool not_found(const char *msg)
{
	return strstr(msg, "executable file not found") ||
	       (strstr(msg, "exec: \"") &&
		strstr(msg, "no such file or directory"));
}

/*
 * "OCI runtime exec failed: exec failed: unable to start container process:
 * exec: \"nope\": executable file not found in $PATH: unknown" → the part
 * that says what happened.
 */
static const char *engine_reason(char *msg)
{
	static const char *const noise[] = {
		"OCI runtime exec failed: ",
		"exec failed: ",
		"unable to start container process: ",
	};
	size_t i, len;

	for (i = 0; i < ND_ARRAY_SIZE(noise); i++)
		if (nd_starts_with(msg, noise[i]))
			msg += strlen(noise[i]);
	len = strlen(msg);
	if (len > 9 && !strcmp(msg + len - 9, ": unknown"))
		msg[len - 9] = '\0';
	return msg;
}

int cmd_exec(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_engine *e = ctx->engine;
	const char *app = ctx->project->app;
	struct nd_filters f = ND_FILTERS_INIT;
	struct nd_error err = ND_ERROR_INIT;
	struct nd_strvec svcs = ND_STRVEC_INIT, envs = ND_STRVEC_INIT;
	struct xout x;
	struct session s = { 0 };
	cJSON *list = NULL;
	const char *svc = NULL;
	char *id = NULL, *name = NULL, *xid = NULL;
	long code = -1, pid = 0;
	int cmd_at = 0, r;
	size_t i;

	xout_init(&x, tty);
	for (i = 0; i < env_opts.nr; i++) {
		const char *kv = env_opts.items[i];

		if (!*kv || *kv == '=') {
			nd_error_set(&err, ND_EUSAGE,
				     "invalid -e value '%s': expected KEY=VALUE",
				     kv);
			goto fail;
		}
		if (strchr(kv, '=')) {
			nd_strvec_push(&envs, kv);
		} else if (getenv(kv)) {
			char *full = nd_xprintf("%s=%s", kv, getenv(kv));

			nd_strvec_push_nodup(&envs, full);
		}
	}
	if (interactive && tty && !isatty(STDIN_FILENO)) {
		nd_error_set(&err, ND_EUSAGE, "the input is not a terminal");
		nd_error_hint(&err,
			      "drop -t to feed the command from a pipe or file");
		goto fail;
	}

	nd_filters_project(&f, app);
	if (nd_containers_list(e, true, &f, &list, &err) < 0) {
		nd_error_wrap(&err, "listing the containers of '%s'", app);
		goto fail;
	}
	collect_services(list, &svcs);
	if (split_args(argc, argv, &svcs, &svc, &cmd_at, &err) < 0)
		goto fail;
	if (!svc && default_service(&svcs, app, &svc, &err) < 0)
		goto fail;
	if (pick_container(list, app, svc, replica_index ? replica_index : 1,
			   &id, &name, &err) < 0)
		goto fail;
	nd_msg_debug("running in '%s'", name);

	{
		/* argv from cmd_at on, NULL-terminated */
		const char **cmdv = nd_calloc((size_t)(argc - cmd_at) + 1,
					      sizeof(*cmdv));

		for (int k = cmd_at; k < argc; k++)
			cmdv[k - cmd_at] = argv[k];
		r = nd_exec_create(e, id, cmdv, (const char *const *)envs.items,
				   user, workdir, tty, interactive, &xid, &err);
		free(cmdv);
	}
	if (r < 0) {
		nd_error_wrap(&err, "running a command in '%s'", name);
		goto fail;
	}
	s.e = e;
	s.exec_id = xid;
	s.tty = tty;
	s.size_fd = isatty(STDOUT_FILENO) ? STDOUT_FILENO :
		    isatty(STDIN_FILENO)  ? STDIN_FILENO :
					    -1;
	if (interactive || tty)
		r = run_hijacked(e, xid, &x, &s, &err);
	else
		r = run_plain(e, xid, &x, &err);
	if (r == ND_EINTERRUPTED) {
		code = ND_EXIT_INTERRUPTED;
		goto done;
	}
	if (r < 0) {
		nd_error_wrap(&err, "running a command in '%s'", name);
		goto fail;
	}
	if (wait_exit_code(e, xid, &code, &pid, &err) < 0) {
		if (x.broken) {
			code = ND_EXIT_FAIL;
			goto done;
		}
		goto fail;
	}
	if (x.hold != HOLD_OFF && x.held.len) {
		/* the engine's message only if the process never ran */
		if (x.hold == HOLD_ON && (code == 126 || code == 127) && !pid) {
			nd_buf_rtrim(&x.held);
			if (code == 126 && not_found(x.held.buf))
				code = 127;
			nd_msg_error("cannot run '%s' in '%s': %s",
				     argv[cmd_at], name,
				     engine_reason(x.held.buf));
		} else {
			write_fd(&x, STDOUT_FILENO, x.held.buf, x.held.len);
		}
	}
	goto done;
fail:
	nd_error_report(&err);
	code = err.code == ND_EUSAGE || err.code == ND_EPROJECT ?
		       ND_EXIT_USAGE :
	       err.code == ND_EUNREACHABLE ? ND_EXIT_UNREACHABLE :
	       err.code == ND_EINTERRUPTED ? ND_EXIT_INTERRUPTED :
					     ND_EXIT_EXEC_FAILED;
done:
	xout_release(&x);
	cJSON_Delete(list);
	nd_filters_release(&f);
	nd_error_release(&err);
	nd_strvec_release(&svcs);
	nd_strvec_release(&envs);
	nd_strlist_release(&env_opts);
	free(id);
	free(name);
	free(xid);
	return (int)code;
}
