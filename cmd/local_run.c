/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "cmd/build.h"
#include "cmd/deploy_common.h"
#include "core/app_build.h"
#include "core/buf.h"
#include "core/deploy_infra.h"
#include "core/deploy_local.h"
#include "core/project.h"
#include "core/signals.h"
#include "docker/hijack.h"
#include "docker/stream.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

static bool opt_force, opt_no_cache, opt_pull, opt_no_hooks, opt_keep;
static bool opt_no_log_prefix;
static const char *opt_target, *opt_port, *opt_release;
static struct nd_strlist opt_build_args = ND_STRLIST_INIT;

/* clang-format off */
static const struct nd_opt local_run_opts[] = {
	ND_OPT_STRING_ROW('p', "port", &opt_port, "[IP:]PORT", ND_ARG_TEXT,
			  "publish the app's port on this host port (0: a free one, the default), on IP (default: 127.0.0.1 for the local engine's socket, else all addresses)"),
	ND_OPT_BOOL_ROW(0, "keep", &opt_keep,
			"at the end, stop the containers but keep them and the network (for 'nextdeploy logs local-web -a' or inspection)"),
	ND_OPT_BOOL_ROW(0, "no-log-prefix", &opt_no_log_prefix,
			"print the app's lines without the 'web |' prefix"),
	ND_OPT_STRING_ROW(0, "release", &opt_release, "TAG", ND_ARG_RELEASE,
			  "run this release (an image built before) instead of building the current source"),
	ND_OPT_BUILD_ROWS(&opt_force, &opt_no_cache, &opt_pull,
			  &opt_build_args, &opt_target),
	ND_OPT_BOOL_ROW(0, "no-hooks", &opt_no_hooks,
			"do not run the .nextdeploy/hooks/pre-build hook"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const char *const local_run_sections[] = {
	"WHAT RUNS",
	"The release's image runs as nd-<app>-local-web, with the image's own "
	"command, and each Procfile process of the image (web excepted) as "
	"nd-<app>-local-<type> with its command, so that a worker runs beside "
	"the web process as with foreman or heroku local. Every container gets "
	"the environment of 'nextdeploy run': deploy.env_file, deploy.env, "
	"PORT, and deploy.secrets as variables and as files in /run/secrets "
	"(never in the image); deploy.resources apply. There is no restart "
	"policy: a process that exits ends the session. Compose projects are "
	"not run (use docker compose).",
	"NETWORK AND PORT",
	"The containers share the network nd-<app>-local; the app's port "
	"(deploy.port, else the image's nextdeploy.port label or its one "
	"EXPOSE, else 3000) is published straight from nd-<app>-local-web, "
	"without a proxy, on a free host port the engine picks (--port to "
	"choose one), on 127.0.0.1 when the engine is this machine's socket "
	"(all addresses for a remote engine). deploy.publish is not used: it "
	"belongs to the deployed app's proxy. The URL is printed once the "
	"health check passes.",
	"HEALTH CHECK",
	"The same gate as 'nextdeploy run' (see nextdeploy-run(1)): "
	"deploy.healthcheck.command, deploy.healthcheck.path, the image's "
	"HEALTHCHECK, \"the port answers HTTP\", or \"still running after a "
	"grace period\", run inside nd-<app>-local-web through the Exec API. "
	"When it fails, or a process exits before, the reason is printed (its "
	"last lines are already on the screen), everything is removed and the "
	"exit status is 1.",
	"OUTPUT",
	"The output of every process streams from its first byte (attached "
	"before the start): the process's standard output to standard output, "
	"its standard error to standard error, each line prefixed with the "
	"process name ('web    | ...'), the prefix colored per process on a "
	"terminal and plain when the output is a pipe or a file (or with "
	"--no-color, NO_COLOR). nextdeploy's own messages (the build's steps, "
	"the URL, stopping) go to standard error.",
	"STOPPING",
	"Ctrl-C (SIGINT), SIGTERM or SIGHUP stop the containers gracefully: "
	"their stop signal (the image's STOPSIGNAL, else SIGTERM), then "
	"SIGKILL after deploy.stop_timeout (default 10s); their last lines are "
	"still shown. A second Ctrl-C kills them at once. Then the containers "
	"(with their anonymous volumes) and the network are removed, unless "
	"--keep; the named volumes nd-<app>-local-<name> stay for the next "
	"run. A process that exits by itself ends the session the same way, "
	"with its exit status. Ctrl-C during the build stops the build.",
	"BESIDE A DEPLOYMENT",
	"local run never touches a deployment of the same app on the same "
	"engine: other names (nd-<app>-local-*), its own network and volumes, "
	"services named local-<type> (the deploy's drain works on service web), "
	"no proxy, no change to the release record. It does not take the "
	"deploy lock either: it changes nothing a deploy relies on, and a "
	"deploy must not wait for an attached session that may last hours. A "
	"second local run of the app while one runs is refused; containers "
	"left by a local run that was killed (SIGKILL) are removed. The image "
	"it builds is an ordinary release of the app, as 'nextdeploy build' "
	"makes: a later 'nextdeploy run' deploys it, being the newest.",
	"EXIT STATUS",
	"The exit status of the process that ended the session (when it had "
	"passed its health check); 1 when the build, the health check or the "
	"engine failed; 2 for a usage or project-file error; 3 when the engine "
	"is unreachable; 130 after Ctrl-C (SIGINT), 143 after SIGTERM, 129 "
	"after SIGHUP, also during the build.",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_local_run_spec = {
	.usage = "[OPTIONS]",
	.description =
		"Build the app as 'nextdeploy build' does (skipped when that "
		"release is built already), then run it on the engine, "
		"attached: the output of its processes streams to the terminal, "
		"the URL is printed once it is healthy, and Ctrl-C stops and "
		"removes everything it started. It runs beside a deployment of "
		"the same app without touching it.",
	.opts = local_run_opts,
	.min_args = 0,
	.max_args = 0,
	.examples = (const struct nd_example[]){
		{ "nextdeploy local run", "build, run, and follow the app until Ctrl-C" },
		{ "nextdeploy local run -p 8080", "serve it on http://127.0.0.1:8080/" },
		{ "nextdeploy local run --no-cache --build-arg NODE_ENV=development",
		  "rebuild from scratch with a build argument" },
		{ "nextdeploy local run --release 3f2a1c9 --keep",
		  "run a release built before; keep the stopped containers at the end" },
		{ NULL, NULL },
	},
	.sections = local_run_sections,
};
/* clang-format on */

/*
 * Output. A thread pumps the attach streams of the containers to our
 * stdout and stderr while the main thread runs the health gate (whose
 * probes block) and waits. Lines go out whole, under the FILE lock, and the
 * main thread's messages take the same lock, so lines never mix.
 */

struct pump;
struct stream;

/* One of a stream's two outputs, for its line assembler. */
struct sink {
	struct stream *s;
	int i; /* 0 stdout, 1 stderr */
};

struct stream {
	struct pump *pm;
	size_t idx;
	const char *label;
	unsigned color;
	struct nd_hijack *h;
	struct nd_demux dm;
	struct nd_lines lines[2];
	struct sink sinks[2];
	bool eof;
	struct nd_error err;
};

struct pump {
	struct stream *s;
	size_t n;
	int width;
	bool prefix;
	struct nd_buf out[2]; /* stdout, stderr: whole lines to write */
	int ctl[2];	      /* main -> pump: stop */
	int ended[2];	      /* pump -> main: a stream ended (its index) */
	int sigfd;	      /* seen readable: *wake, then no more watched */
	volatile sig_atomic_t *wake;
	pthread_t thread;
	bool running;
};

/* Set by a signal (seen by the pump) or a stream's end: stops the gate. */
static volatile sig_atomic_t wake;

static FILE *out_file(int i)
{
	return i ? stderr : stdout;
}

static void out_flush(struct pump *pm, int i)
{
	FILE *f = out_file(i);

	if (!pm->out[i].len)
		return;
	flockfile(f);
	if (fwrite(pm->out[i].buf, 1, pm->out[i].len, f) != pm->out[i].len) {
		/* a closed pipe: the app's lines are dropped, it keeps running */
	}
	fflush(f);
	funlockfile(f);
	nd_buf_reset(&pm->out[i]);
}

static int on_line(const char *line, size_t len, bool newline, void *ud)
{
	struct sink *k = ud;
	struct stream *s = k->s;
	int i = k->i;
	struct pump *pm = s->pm;
	struct nd_buf *b = &pm->out[i];

	ND_UNUSED(newline);
	/* stdout and stderr lines in the order they arrived */
	if (pm->out[!i].len)
		out_flush(pm, !i);
	if (len && line[len - 1] == '\r')
		len--;
	if (pm->prefix) {
		enum nd_color c = nd_color_cycle(s->color);

		nd_buf_addf(b, "%s%-*s |%s ", i ? nd_color_err(c) : nd_color(c),
			    pm->width, s->label,
			    i ? nd_color_err(ND_C_RESET) : nd_color(ND_C_RESET));
	}
	nd_buf_add(b, line, len);
	nd_buf_addch(b, '\n');
	if (b->len > 64 * 1024)
		out_flush(pm, i);
	return 0;
}

static int on_frame(int stream, const char *data, size_t len, void *ud)
{
	struct stream *s = ud;

	if (stream == ND_STREAM_SYSERR)
		return nd_lines_feed(&s->lines[1], data, len);
	return nd_lines_feed(&s->lines[stream == ND_STREAM_STDERR], data, len);
}

static void stream_end(struct stream *s)
{
	unsigned char c = (unsigned char)s->idx;

	s->eof = true;
	nd_lines_flush(&s->lines[0]);
	nd_lines_flush(&s->lines[1]);
	out_flush(s->pm, 0);
	out_flush(s->pm, 1);
	__atomic_store_n(s->pm->wake, 1, __ATOMIC_SEQ_CST);
	if (write(s->pm->ended[1], &c, 1) < 0) {
		/* main reads the exit codes from the engine anyway */
	}
}

/* Everything the stream has now (with TLS, until it says "nothing yet"). */
static void drain(struct stream *s)
{
	char buf[16384];

	while (!s->eof) {
		size_t n;
		int r = nd_hijack_recv(s->h, buf, sizeof(buf), &n, &s->err);

		if (r == 1)
			break;
		if (r < 0 || n == 0 || nd_demux_feed(&s->dm, buf, n) < 0) {
			stream_end(s);
			break;
		}
	}
	out_flush(s->pm, 0);
	out_flush(s->pm, 1);
}

static void *pump_main(void *ud)
{
	struct pump *pm = ud;
	struct pollfd *fds = nd_calloc(pm->n + 2, sizeof(*fds));

	nd_signals_block_in_thread();
	for (;;) {
		size_t nf = 0, open = 0;

		for (size_t i = 0; i < pm->n; i++) {
			drain(&pm->s[i]);
			if (!pm->s[i].eof)
				open++;
		}
		if (!open)
			break;
		for (size_t i = 0; i < pm->n; i++) {
			fds[nf].fd = pm->s[i].eof ? -1 :
						    nd_hijack_fd(pm->s[i].h);
			fds[nf++].events = POLLIN;
		}
		fds[nf].fd = pm->ctl[0];
		fds[nf++].events = POLLIN;
		fds[nf].fd = pm->sigfd;
		fds[nf++].events = POLLIN;
		if (poll(fds, nf, -1) < 0 && errno != EINTR)
			break;
		if (fds[pm->n].revents)
			break; /* stop */
		if (fds[pm->n + 1].revents) {
			/* a signal: the main thread reads it; wake the gate */
			__atomic_store_n(pm->wake, 1, __ATOMIC_SEQ_CST);
			pm->sigfd = -1;
		}
	}
	for (size_t i = 0; i < pm->n; i++) {
		nd_lines_flush(&pm->s[i].lines[0]);
		nd_lines_flush(&pm->s[i].lines[1]);
	}
	out_flush(pm, 0);
	out_flush(pm, 1);
	free(fds);
	return NULL;
}

/* Attach to every container (before it starts: no output is missed). */
static int pump_open(struct pump *pm, struct nd_ctx *ctx,
		     const struct nd_local *l, struct nd_error *err)
{
	pm->s = nd_calloc(l->nprocs, sizeof(*pm->s));
	pm->n = l->nprocs;
	pm->prefix = !opt_no_log_prefix;
	pm->wake = &wake;
	pm->sigfd = nd_signal_fd();
	pm->ctl[0] = pm->ctl[1] = pm->ended[0] = pm->ended[1] = -1;
	nd_buf_init(&pm->out[0], 0);
	nd_buf_init(&pm->out[1], 0);
	if (pipe2(pm->ctl, O_CLOEXEC) < 0 ||
	    pipe2(pm->ended, O_CLOEXEC | O_NONBLOCK) < 0)
		return nd_error_errno(err, ND_EGENERIC, "cannot create a pipe");
	for (size_t i = 0; i < l->nprocs; i++) {
		struct stream *s = &pm->s[i];
		char *path = nd_xprintf(
			"/containers/%s/attach?stream=1&stdout=1&stderr=1",
			l->procs[i].id);
		int r;

		s->pm = pm;
		s->idx = i;
		s->label = l->procs[i].process;
		s->color = (unsigned)i;
		if ((int)strlen(s->label) > pm->width)
			pm->width = (int)strlen(s->label);
		s->sinks[0].s = s->sinks[1].s = s;
		s->sinks[0].i = 0;
		s->sinks[1].i = 1;
		nd_lines_init(&s->lines[0], on_line, &s->sinks[0]);
		nd_lines_init(&s->lines[1], on_line, &s->sinks[1]);
		/* no TTY: the stream is multiplexed (NOTES.md §2.3) */
		nd_demux_init(&s->dm, false, on_frame, s, &s->err);
		r = nd_hijack_open(&s->h, ctx->engine, path, NULL, err);
		free(path);
		if (r < 0)
			return nd_error_wrap(err, "attaching to '%s'",
					     l->procs[i].name);
	}
	return 0;
}

static int pump_start(struct pump *pm, struct nd_error *err)
{
	int rc = pthread_create(&pm->thread, NULL, pump_main, pm);

	if (rc) {
		errno = rc;
		return nd_error_errno(err, ND_EGENERIC, "cannot start a thread");
	}
	pm->running = true;
	return 0;
}

/* Wait for the streams to end by themselves, up to ms; then stop it. */
static void pump_join(struct pump *pm, int ms)
{
	struct timespec ts;

	if (!pm->running)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (pthread_timedjoin_np(pm->thread, NULL, &ts) != 0) {
		if (write(pm->ctl[1], "x", 1) < 0) {
			/* it ends at the next stream event anyway */
		}
		pthread_join(pm->thread, NULL);
	}
	pm->running = false;
}

static void pump_release(struct pump *pm)
{
	for (size_t i = 0; pm->s && i < pm->n; i++) {
		nd_hijack_free(pm->s[i].h);
		nd_lines_release(&pm->s[i].lines[0]);
		nd_lines_release(&pm->s[i].lines[1]);
		nd_error_release(&pm->s[i].err);
	}
	free(pm->s);
	for (int i = 0; i < 2; i++) {
		nd_buf_release(&pm->out[i]);
		if (pm->ctl[i] >= 0)
			close(pm->ctl[i]);
		if (pm->ended[i] >= 0)
			close(pm->ended[i]);
	}
}

/* --- messages, under stderr's lock (the pump writes beside them) --- */

static void ui_step(void *ud, const char *text, double ms)
{
	ND_UNUSED(ud);
	ND_UNUSED(ms);
	flockfile(stderr);
	nd_msg_info("%s", text);
	funlockfile(stderr);
}

static void ui_note(void *ud, int level, const char *text)
{
	ND_UNUSED(ud);
	flockfile(stderr);
	if (level <= ND_V_WARNING)
		nd_msg_warning("%s", text);
	else if (level == ND_V_INFO)
		nd_msg_info("%s", text);
	else
		nd_msg_debug("%s", text);
	funlockfile(stderr);
}

static void report(const struct nd_error *err)
{
	flockfile(stderr);
	nd_error_report(err);
	funlockfile(stderr);
}

static bool second_signal(void *ud)
{
	bool *said = ud;

	if (nd_signal_count() < 2)
		return false;
	if (!*said) {
		ui_note(NULL, ND_V_INFO, "killing");
		*said = true;
	}
	return true;
}

/* --- the command --- */

static int parse_port(const char **ip_out, long *port_out, char **ip_buf)
{
	const char *s = opt_port, *colon;
	char *end;
	long port;

	*ip_out = NULL;
	*port_out = 0;
	if (!s)
		return 0;
	colon = strrchr(s, ':');
	if (colon) {
		size_t n = (size_t)(colon - s);

		if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
			*ip_buf = nd_strndup(s + 1, n - 2);
		else
			*ip_buf = nd_strndup(s, n);
		*ip_out = *ip_buf;
		s = colon + 1;
	}
	errno = 0;
	port = strtol(s, &end, 10);
	if (!*s || *end || errno || port < 0 || port > 65535 ||
	    (colon && !**ip_out)) {
		nd_msg_error(
			"invalid --port '%s': expected [IP:]PORT, PORT from 0 to 65535",
			opt_port);
		return ND_EXIT_USAGE;
	}
	*port_out = port;
	return 0;
}

static int build_release(struct nd_ctx *ctx, char **release_out)
{
	struct nd_kvlist args = ND_KVLIST_INIT;
	struct nd_app_build_opts o = { 0 };
	struct nd_app_build_result res = { 0 };
	struct nd_error err = ND_ERROR_INIT;
	int code = 0;

	if (nd_parse_kv_options(&args, &opt_build_args, "build argument", false,
				&err) < 0) {
		nd_error_report(&err);
		code = nd_error_exit_code(&err);
		goto done;
	}
	o.force = opt_force;
	o.no_cache = opt_no_cache;
	o.pull = opt_pull;
	o.no_hooks = opt_no_hooks;
	o.target = opt_target;
	o.build_args = &args;
	if ((code = nd_cli_build(ctx, &o, &res)))
		goto done;
	if (res.nimages > 1 || nd_streq(res.buildpack, "compose")) {
		nd_msg_error("local run does not run compose projects");
		nd_msg_hint(
			"run them with docker compose; 'nextdeploy build' built their images");
		code = ND_EXIT_USAGE;
		goto done;
	}
	*release_out = nd_strdup(res.release);
done:
	nd_app_build_result_release(&res);
	nd_kvlist_release(&args);
	nd_error_release(&err);
	return code;
}

/* How a session ended: what to say once everything is stopped. */
struct outcome {
	int code;
	struct nd_error err; /* reported at the end when set */
	char *note;	     /* said at the end when set */
};

static void say_probe_output(const struct nd_local *l)
{
	struct nd_buf b = ND_BUF_INIT;

	if (!l->probe_output)
		return;
	nd_buf_add_sanitized(&b, l->probe_output, strlen(l->probe_output), true);
	flockfile(stderr);
	fprintf(stderr, "last health check output:\n%s\n", b.buf);
	funlockfile(stderr);
	nd_buf_release(&b);
}

/* A process ended (its stream did): which, and how, into *out. */
static void process_ended(struct nd_local *l, bool before_healthy,
			  struct outcome *out)
{
	size_t idx = 0;
	long status = -1;
	int r = nd_local_exited(l, &idx, &status, &out->err);

	if (r < 0)
		return;
	if (r == 0) {
		nd_error_set(
			&out->err, ND_EGENERIC,
			"the engine ended the output stream of a running process");
	} else if (status < 0) {
		nd_error_set(&out->err, ND_EGENERIC, "%s was removed",
			     l->procs[idx].name);
	} else if (before_healthy && idx == 0) {
		nd_error_set(&out->err, ND_EGENERIC,
			     "%s exited with status %ld before it was healthy",
			     l->procs[idx].name, status);
	} else if (before_healthy) {
		nd_error_set(&out->err, ND_EGENERIC,
			     "%s exited with status %ld before %s was healthy",
			     l->procs[idx].name, status, l->procs[0].name);
	} else {
		out->note = nd_xprintf("%s exited with status %ld",
				       l->procs[idx].name, status);
		out->code = status > 255 ? ND_EXIT_FAIL : (int)status;
		return;
	}
	out->code = ND_EXIT_FAIL;
}

/*
 * The session: attach, start, the health gate, then wait for a signal or
 * for a process's end.
 */
static void attached(struct nd_ctx *ctx, struct nd_local *l, struct pump *pm,
		     struct outcome *out)
{
	struct pollfd fds[2];
	int r;

	if ((r = pump_open(pm, ctx, l, &out->err)) < 0 ||
	    (r = pump_start(pm, &out->err)) < 0)
		goto fail;
	if (nd_signal_caught()) {
		out->code = nd_signal_exit_code();
		return;
	}
	if ((r = nd_local_start(l, &out->err)) < 0)
		goto fail;
	r = nd_local_gate(l, &out->err);
	if (r == ND_EINTERRUPTED && !nd_signal_caught()) {
		/* a process ended during the gate */
		nd_error_release(&out->err);
		process_ended(l, true, out);
		return;
	}
	if (r < 0)
		goto fail;
	if (l->url) {
		/* the result: shown even with -q; our own text, not sanitized */
		flockfile(stderr);
		fprintf(stderr, "%s is ready at %s%s%s (Ctrl-C stops it)\n",
			l->procs[0].process, nd_color_err(ND_C_BOLD), l->url,
			nd_color_err(ND_C_RESET));
		funlockfile(stderr);
	}
	fds[0].fd = nd_signal_fd();
	fds[0].events = POLLIN;
	fds[1].fd = pm->ended[0];
	fds[1].events = POLLIN;
	while (!nd_signal_caught()) {
		unsigned char c;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (read(pm->ended[0], &c, 1) == 1) {
			/* its last lines are out: the pump wrote them first */
			process_ended(l, false, out);
			return;
		}
	}
	out->code = nd_signal_exit_code();
	return;
fail:
	if (out->err.code == ND_EINTERRUPTED || nd_signal_caught()) {
		nd_error_release(&out->err);
		out->code = nd_signal_exit_code();
		return;
	}
	out->code = nd_error_exit_code(&out->err);
}

int cmd_local_run(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_local_opts lo = { 0 };
	struct nd_local *l = NULL;
	struct nd_error err = ND_ERROR_INIT;
	struct outcome out = { 0, ND_ERROR_INIT, NULL };
	struct pump pm = { 0 };
	char *release = NULL, *ip_buf = NULL;
	bool said_kill = false, forced = false;
	int code;

	ND_UNUSED(argc);
	ND_UNUSED(argv);
	pm.ctl[0] = pm.ctl[1] = pm.ended[0] = pm.ended[1] = -1;
	if ((code = parse_port(&lo.host_ip, &lo.host_port, &ip_buf)))
		goto done;
	if (opt_release && !nd_image_tag_valid(opt_release)) {
		nd_msg_error("invalid release '%s'", opt_release);
		code = ND_EXIT_USAGE;
		goto done;
	}
	if (ctx->project->deploy.target == ND_TARGET_SWARM) {
		nd_msg_error(
			"local run runs on one engine; 'deploy.target: swarm' is not supported");
		code = ND_EXIT_USAGE;
		goto done;
	}
	if (nd_local_check(ctx->project, &err) < 0) {
		nd_error_report(&err);
		code = nd_error_exit_code(&err);
		goto done;
	}
	/* Ctrl-C during the build: the clone goes, we die (ND_SIG_DIE) */
	if (!opt_release && (code = build_release(ctx, &release)))
		goto done;
	/* from here on, what we create is removed on Ctrl-C; again: kill */
	nd_signals_install(ND_SIG_FORCE);
	lo.release = release ? release : opt_release;
	lo.interrupted = &wake;
	lo.ui.step = ui_step;
	lo.ui.note = ui_note;
	if (nd_local_create(&l, ctx->engine, ctx->project, &lo, &err) < 0) {
		if (err.code == ND_EINTERRUPTED || nd_signal_caught()) {
			code = nd_signal_exit_code();
		} else {
			nd_error_report(&err);
			code = nd_error_exit_code(&err);
		}
		goto done;
	}
	{
		char *t = nd_xprintf("running %s release %s (%s) as %s%s",
				     ctx->project->app, l->release, l->image,
				     l->procs[0].name,
				     l->nprocs > 1 ? " and its processes" : "");

		ui_note(NULL, ND_V_INFO, t);
		free(t);
	}
	attached(ctx, l, &pm, &out);

	/* the end: stop what runs (Ctrl-C again kills), then remove it all */
	if (nd_signal_caught())
		ui_note(NULL, ND_V_INFO, "stopping (Ctrl-C again kills)");
	if (nd_local_stop(l, nd_project_stop_timeout_ms(ctx->project),
			  second_signal, &said_kill, &forced, &err) < 0) {
		ui_note(NULL, ND_V_WARNING, err.msg);
		nd_error_release(&err);
	}
	/* every stream ends with its container: the last lines are out */
	pump_join(&pm, forced ? 1000 : 5000);
	if (out.err.code) {
		report(&out.err);
		say_probe_output(l);
	} else if (out.note) {
		ui_note(NULL, ND_V_INFO, out.note);
	}
	code = out.code;
	if (opt_keep) {
		char *t = nd_xprintf(
			"kept the stopped containers and the network %s",
			l->network);

		ui_note(NULL, ND_V_INFO, t);
		free(t);
	} else if (nd_local_remove(l) == 0) {
		ui_note(NULL, ND_V_DEBUG,
			"removed the containers and the network");
	} else if (code == ND_EXIT_OK) {
		code = ND_EXIT_FAIL; /* the warnings said what is left */
	}
done:
	pump_join(&pm, 0);
	pump_release(&pm);
	nd_local_free(l);
	nd_strlist_release(&opt_build_args);
	nd_error_release(&out.err);
	nd_error_release(&err);
	free(out.note);
	free(release);
	free(ip_buf);
	return code;
}
