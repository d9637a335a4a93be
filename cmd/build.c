/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "cmd/build.h"
#include "core/app_build.h"
#include "core/buf.h"
#include "core/cleanup.h"
#include "core/signals.h"
#include "core/project.h"
#include "core/source.h"
#include "docker/build.h"

#include <cjson/cJSON.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static bool opt_force, opt_no_cache, opt_pull, opt_no_hooks;
static const char *opt_target, *opt_tag, *opt_progress;
static struct nd_strlist opt_build_args = ND_STRLIST_INIT;
static struct nd_strlist opt_labels = ND_STRLIST_INIT;

/* clang-format off */
static const char *const progress_choices[] = { "auto", "plain", "tty", NULL };

static const struct nd_opt build_opts[] = {
	ND_OPT_BUILD_ROWS(&opt_force, &opt_no_cache, &opt_pull,
			  &opt_build_args, &opt_target),
	ND_OPT_STRING_ROW(0, "tag", &opt_tag, "TAG", ND_ARG_TEXT,
			  "the release tag (default: image.tag, else the short commit id, else a content hash)"),
	ND_OPT_LIST_ROW(0, "label", &opt_labels, "KEY=VALUE", ND_ARG_KEYVALUE,
			"an extra image label"),
	ND_OPT_BOOL_ROW(0, "no-hooks", &opt_no_hooks,
			"do not run the .nextdeploy/hooks/pre-build hook"),
	ND_OPT_CHOICE_ROW(0, "progress", &opt_progress, "MODE", progress_choices,
			  "how to show progress: tty is a live view, plain is lines; auto picks tty on a terminal when CI is not set"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const char *const build_sections[] = {
	"RELEASE TAG",
	"The image is tagged <image>:<tag>, where <image> is "
	"[image.registry/]image.name (default: the app name). The tag is, in "
	"this order: --tag; image.tag in the project; the short commit id "
	"(git's abbreviation, as `git rev-parse --short HEAD` prints it) when "
	"the source is a git clone or a committed folder of a git work tree; "
	"<commit>-dirty-<hash> when what that folder would send differs from "
	"the commit (a file that git status --ignored shows, an edit, a new "
	"file, a build output or node_modules, is in the context and not left "
	"out by .dockerignore); otherwise the first 12 hex digits of a content "
	"hash of the build context (names, modes, link targets and contents "
	"after .dockerignore, and the synthesized Dockerfile). When "
	"the tag is derived (not given) and an image of this app with that "
	"release already exists, built the same way (the same Dockerfile, "
	"target, build args and labels: the nextdeploy.build-config label), "
	"the build is skipped with a note; --force, --no-cache and --pull "
	"build anyway.",
	"BUILD CONTEXT",
	"The context is streamed to the engine as a tar while it is read "
	"(never held in memory, never written to a temporary file). "
	".dockerignore is applied by nextdeploy exactly as the docker CLI "
	"applies it (the classic builder does not); the Dockerfile and "
	".dockerignore are always sent, and the engine drops them from the "
	"final context when they are ignored. Symbolic links are sent as "
	"links; named pipes, sockets and devices are skipped with a warning. "
	"A synthesized Dockerfile travels under a generated name that the "
	"sent .dockerignore lists, so it never reaches the image.",
	"SOURCE",
	"source.path is used in place. source.git is cloned with libgit2 into "
	"a private folder under $TMPDIR (or /tmp) named nextdeploy-src-*, "
	"checked out at source.ref (a branch, tag or commit), and removed "
	"afterwards, also after a failure or Ctrl-C. Credentials: ssh-agent "
	"or ~/.ssh keys for ssh; for https the token in the variable named by "
	"source.token_env. An ssh server's host key must be in "
	"~/.ssh/known_hosts or /etc/ssh/ssh_known_hosts, as with ssh's "
	"StrictHostKeyChecking=yes: an unknown or changed key is refused, "
	"with its fingerprint.",
	"HOOKS",
	"When .nextdeploy/hooks/pre-build (next to the project file) exists "
	"and is executable, it runs before the build, without a shell, in the "
	"source folder, with NEXTDEPLOY_HOOK, NEXTDEPLOY_APP, "
	"NEXTDEPLOY_RELEASE, NEXTDEPLOY_IMAGE, NEXTDEPLOY_SOURCE_DIR, "
	"NEXTDEPLOY_CONTEXT_DIR, NEXTDEPLOY_PROJECT_DIR and NEXTDEPLOY_COMMIT "
	"set. Its output goes to standard error. When it fails, the build "
	"does not happen and the exit status is 1.",
	"SECRETS",
	"A build argument named in deploy.secrets is refused: secrets never "
	"go into builds. The values of deploy.secrets are masked as *** "
	"wherever they would appear in the build output.",
	"PROGRESS",
	"Progress goes to standard error: a live view on a terminal (the "
	"current step, its last lines of output, the elapsed time), plain "
	"lines otherwise. On a failure, the failing step and its last lines "
	"of output are shown. With -q only the image ID is printed on "
	"standard output. With --json a document on standard output: image, "
	"repository, release, image_id, skipped, tag_source, buildpack, "
	"dockerfile, commit, source, content_hash, context_bytes, "
	"duration_seconds, and images (service, image, image_id of each "
	"image: one, or one per built compose service).",
	"COMPOSE",
	"With the compose buildpack every service that has a build section "
	"becomes an image <image>-<service>:<tag> labeled "
	"nextdeploy.service=<service>, built from the service's context and "
	"Dockerfile; the services share the release tag and are skipped only "
	"when all of them exist. Services that name an image are not built.",
	"PRUNE",
	"A prune running at the same time never removes what the build uses. "
	"Before it sends the context, build makes a marker on the engine (a "
	"volume nd-<app>-build-<hex> labeled nextdeploy.marker=build, with "
	"the host, pid and start time of the build) that tells any prune of "
	"the app to keep its images, and removes it when it ends: after "
	"success, after a failure, and after SIGINT or SIGTERM (the build is "
	"cancelled, the marker removed, then the process exits of the "
	"signal; a second signal kills it at once and leaves the marker "
	"behind: prunes ignore and remove it once it is stale, at once on "
	"this host, after 6 hours elsewhere). When a prune of the app (or "
	"of every app) started first and still runs, build says so once "
	"(\"waiting for a prune of 'shop' to finish\") and waits for it, at "
	"most 2 minutes, then builds anyway with a warning. The synthesized "
	"Dockerfiles label every stage but the final one "
	"nextdeploy.managed=true, nextdeploy.app and nextdeploy.stage, so "
	"`nextdeploy prune` can reclaim old stage images and keep the newest "
	"as the build cache; the release image carries no nextdeploy.stage. "
	"See nextdeploy-prune(1), MARKERS.",
	"EXIT STATUS",
	"For build: 0 also when the release was already built (skipped); 1 "
	"when a step fails, the pre-build hook fails, or a git clone fails; 2 "
	"also for a .dockerignore syntax error or a build argument that is a "
	"deploy secret; 130 after SIGINT, 143 after SIGTERM. A clone's "
	"folder and the build's marker are removed in every case.",
	"ENVIRONMENT",
	"TMPDIR: where the private clone folders go (default /tmp). "
	"SSH_AUTH_SOCK: the ssh-agent used for ssh clones. The variable named "
	"by source.token_env: the token for https clones. SOURCE_DATE_EPOCH: "
	"when set, the time written as org.opencontainers.image.created.",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_build_spec = {
	.usage = "[OPTIONS]",
	.description =
		"Build the app's image: fetch the source (the project's folder, "
		"source.path, or a git clone of source.git at source.ref), make "
		"the build plan (the app's Dockerfile or a synthesized one; see "
		"`nextdeploy plan`), stream the build context to the engine and "
		"tag the image with the release tag. The image carries the "
		"labels that `run`, `releases` and `prune` rely on "
		"(nextdeploy.app, nextdeploy.release, ...) and the OCI labels "
		"org.opencontainers.image.source, .revision and .created.\n\n"
		"Builds use the engine's classic builder; build args, the "
		"target stage, labels, --no-cache and --pull are passed "
		"through.",
	.opts = build_opts,
	.max_args = 0,
	.examples = (const struct nd_example[]){
		{ "nextdeploy build", "build the current release (skipped when it exists)" },
		{ "nextdeploy build --force --no-cache", "rebuild from scratch" },
		{ "nextdeploy build --build-arg NODE_ENV=production --target runner",
		  "pass a build argument and stop at a stage" },
		{ "nextdeploy build -q", "print only the image ID" },
		{ "nextdeploy build --json", "a machine-readable result" },
		{ NULL, NULL },
	},
	.sections = build_sections,
};
/* clang-format on */

/* --- the view --- */

#define LIVE_LINES 5
#define REDRAW_S 0.06

struct view {
	bool live; /* redraw a region on the terminal */
	bool show; /* progress at all (not -q) */
	struct nd_build_log *log;
	double t0, step_t0, last_draw;
	int drawn;   /* lines of the live region on screen */
	char *phase; /* what is going on, when no step runs */
	char *step;  /* live: the running step */
	int step_no, nsteps;
	uint64_t upload_bytes;
	double upload_t0;
	bool uploading;
};

static struct view view;
/* what the interrupt hook writes: back to the region's start, clear */
static char clear_seq[64];
static size_t clear_len;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_interrupt(void)
{
	if (clear_len && write(STDERR_FILENO, clear_seq, clear_len) < 0)
		return;
}

static int term_cols(void)
{
	struct winsize ws;

	if (!ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

/* s, sanitized, tabs as spaces, cut to width columns (UTF-8 aware). */
static void add_cut(struct nd_buf *b, const char *s, int width)
{
	struct nd_buf t = ND_BUF_INIT, c = ND_BUF_INIT;
	size_t i, cols = 0, cut;

	for (; *s; s++)
		nd_buf_addch(&t, *s == '\t' ? ' ' : *s);
	nd_buf_add_sanitized(&c, t.buf, t.len, false);
	for (i = 0, cut = c.len; i < c.len; i++) {
		if (((unsigned char)c.buf[i] & 0xc0) == 0x80)
			continue;
		if ((int)cols == width) {
			cut = i;
			break;
		}
		cols++;
	}
	nd_buf_add(b, c.buf, cut);
	nd_buf_release(&t);
	nd_buf_release(&c);
}

static void format_bytes(char *out, size_t n, uint64_t bytes)
{
	nd_format_bytes_binary(out, n, (double)bytes);
}

static void clear_region(void)
{
	if (!view.live || !view.drawn)
		return;
	fprintf(stderr, "\r\033[%dA\033[J", view.drawn);
	view.drawn = 0;
	clear_len = 0;
}

static void draw(bool force)
{
	struct nd_buf b = ND_BUF_INIT;
	double now = now_s();
	int cols = term_cols(), lines = 0;
	char el[32];
	size_t i, from;

	if (!view.live || (!force && now - view.last_draw < REDRAW_S))
		return;
	view.last_draw = now;
	snprintf(el, sizeof(el), "%.1fs", now - view.t0);
	if (view.drawn)
		nd_buf_addf(&b, "\r\033[%dA\033[J", view.drawn);
	else
		nd_buf_adds(&b, "\r\033[J");
	/* the status line: the step or phase, and the elapsed time */
	{
		struct nd_buf l = ND_BUF_INIT;

		if (view.uploading) {
			char sz[32];

			format_bytes(sz, sizeof(sz), view.upload_bytes);
			nd_buf_addf(&l, "sending the build context: %s", sz);
		} else if (view.step) {
			nd_buf_addf(&l, "Step %d/%d : %s", view.step_no,
				    view.nsteps, view.step);
			snprintf(el, sizeof(el), "%.1fs", now - view.step_t0);
		} else {
			nd_buf_adds(&l, view.phase ? view.phase : "starting");
		}
		nd_buf_addf(&b, "%s=>%s ", nd_color_err(ND_C_CYAN),
			    nd_color_err(ND_C_RESET));
		add_cut(&b, l.buf, cols - (int)strlen(el) - 5);
		nd_buf_addf(&b, " %s%s%s\n", nd_color_err(ND_C_DIM), el,
			    nd_color_err(ND_C_RESET));
		lines++;
		nd_buf_release(&l);
	}
	if (view.step && view.log && !view.uploading) {
		from = view.log->tail_len > LIVE_LINES ?
			       view.log->tail_len - LIVE_LINES :
			       0;
		for (i = from; i < view.log->tail_len; i++) {
			nd_buf_addf(&b, "%s   ", nd_color_err(ND_C_DIM));
			add_cut(&b, nd_build_log_line(view.log, i), cols - 4);
			nd_buf_addf(&b, "%s\n", nd_color_err(ND_C_RESET));
			lines++;
		}
	}
	fputs(b.buf, stderr);
	fflush(stderr);
	view.drawn = lines;
	clear_len = (size_t)snprintf(clear_seq, sizeof(clear_seq),
				     "\r\033[%dA\033[J", lines);
	nd_buf_release(&b);
}

/* A line that stays (above the live region, or plain). */
static void say(const char *color, const char *fmt, ...) ND_PRINTF(2, 3);
static void say(const char *color, const char *fmt, ...)
{
	struct nd_buf raw = ND_BUF_INIT, clean = ND_BUF_INIT;
	va_list ap;

	if (!view.show)
		return;
	va_start(ap, fmt);
	nd_buf_vaddf(&raw, fmt, ap);
	va_end(ap);
	nd_buf_add_sanitized(&clean, raw.buf, raw.len, false);
	clear_region();
	fflush(stdout);
	fprintf(stderr, "%s%s%s\n", color ? color : "", clean.buf,
		color ? nd_color_err(ND_C_RESET) : "");
	draw(true);
	nd_buf_release(&raw);
	nd_buf_release(&clean);
}

/* Live view: the step that just ended, as a line that stays. */
static void finish_step(void)
{
	struct nd_buf b = ND_BUF_INIT;
	char el[32];

	if (!view.live || !view.step)
		return;
	snprintf(el, sizeof(el), "%.1fs", now_s() - view.step_t0);
	nd_buf_addf(&b, "Step %d/%d : ", view.step_no, view.nsteps);
	add_cut(&b, view.step, term_cols() - (int)b.len - (int)strlen(el) - 5);
	clear_region();
	fprintf(stderr, "%s=>%s %s %s%s%s\n", nd_color_err(ND_C_GREEN),
		nd_color_err(ND_C_RESET), b.buf, nd_color_err(ND_C_DIM), el,
		nd_color_err(ND_C_RESET));
	free(view.step);
	view.step = NULL;
	nd_buf_release(&b);
}

static void set_phase(const char *text)
{
	nd_str_replace(&view.phase, text);
	draw(true);
}

static void on_build_event(const struct nd_build_event *be)
{
	char sz[32];

	switch (be->kind) {
	case ND_BUILD_UPLOAD:
		if (!view.uploading) {
			view.uploading = true;
			view.upload_t0 = now_s();
		}
		view.upload_bytes = be->bytes;
		draw(false);
		break;
	case ND_BUILD_UPLOADED:
		view.uploading = false;
		format_bytes(sz, sizeof(sz), be->bytes);
		say(nd_color_err(ND_C_DIM),
		    "sent the build context: %s in %.1fs", sz,
		    view.upload_t0 ? now_s() - view.upload_t0 : 0.0);
		set_phase("waiting for the engine");
		break;
	case ND_BUILD_STEP:
		if (view.live) {
			/* the region shows the running step; the done one stays */
			finish_step();
			view.step_no = be->step;
			view.nsteps = be->nsteps;
			nd_str_replace(&view.step, be->text);
			view.step_t0 = now_s();
			draw(true);
		} else {
			say(nd_color_err(ND_C_BOLD), "Step %d/%d : %s",
			    be->step, be->nsteps, be->text);
		}
		break;
	case ND_BUILD_OUTPUT:
		if (view.live)
			draw(false);
		else if (view.show)
			say(NULL, "%s", be->text);
		break;
	case ND_BUILD_INFO:
		if (!view.live && nd_out.verbosity > ND_V_INFO)
			say(nd_color_err(ND_C_DIM), "%s", be->text);
		break;
	case ND_BUILD_STATUS:
		/* pull progress: not every byte count */
		if (view.live) {
			struct nd_buf t = ND_BUF_INIT;

			nd_buf_addf(&t, "%s%s%s", be->text, be->id ? " " : "",
				    be->id ? be->id : "");
			nd_str_replace(&view.phase, t.buf);
			nd_buf_release(&t);
			draw(false);
		} else if (strcmp(be->text, "Downloading") &&
			   strcmp(be->text, "Extracting")) {
			say(NULL, "%s%s%s", be->text, be->id ? " " : "",
			    be->id ? be->id : "");
		}
		break;
	}
}

static void on_event(const struct nd_app_build_event *ev, void *ud)
{
	ND_UNUSED(ud);
	/* a signal is deferred while the build unwinds: the view was
	 * cleared by the handler and stays so; only warnings are said */
	if (nd_signal_caught()) {
		if (ev->kind == ND_AB_WARNING)
			nd_msg_warning("%s", ev->text);
		return;
	}
	switch (ev->kind) {
	case ND_AB_SOURCE:
		say(NULL, "%s", ev->text);
		set_phase(ev->text);
		break;
	case ND_AB_CLONE: {
		const struct nd_source_progress *p = ev->clone;
		char sz[32], t[128];

		format_bytes(sz, sizeof(sz), p->received_bytes);
		snprintf(t, sizeof(t), "receiving objects: %u/%u, %s",
			 p->received_objects, p->total_objects, sz);
		nd_str_replace(&view.phase, t);
		draw(false);
		break;
	}
	case ND_AB_PLAN:
		if (nd_out.verbosity > ND_V_INFO)
			say(nd_color_err(ND_C_DIM), "buildpack: %s", ev->text);
		set_phase("preparing the build context");
		break;
	case ND_AB_HASH:
		set_phase("hashing the build context");
		break;
	case ND_AB_RELEASE:
		say(NULL, "building %s", ev->text);
		set_phase("sending the build context");
		break;
	case ND_AB_SKIPPED:
		break;
	case ND_AB_HOOK:
		say(NULL, "running the %s hook", ev->text);
		clear_region();
		break;
	case ND_AB_WARNING:
		clear_region();
		nd_msg_warning("%s", ev->text);
		draw(true);
		break;
	case ND_AB_WAITING:
		say(NULL, "%s", ev->text);
		set_phase("waiting for a prune to finish");
		break;
	case ND_AB_BUILD:
		on_build_event(ev->build);
		break;
	}
}

/* --- options --- */

int nd_parse_kv_options(struct nd_kvlist *out, const struct nd_strlist *in,
			const char *what, bool need_value, struct nd_error *err)
{
	size_t i;

	for (i = 0; i < in->nr; i++) {
		const char *s = in->items[i], *eq = strchr(s, '=');
		char *key = eq ? nd_strndup(s, (size_t)(eq - s)) : nd_strdup(s);

		if (!*key || (need_value && !eq)) {
			free(key);
			nd_error_set(err, ND_EUSAGE,
				     "invalid %s '%s': expected KEY=VALUE",
				     what, s);
			return ND_EUSAGE;
		}
		nd_kvlist_set(out, key, eq ? eq + 1 : NULL);
		free(key);
	}
	return 0;
}

/* clang-format off */
static const char *const reserved_labels[] = {
	"nextdeploy.managed", "nextdeploy.app", "nextdeploy.release",
	"nextdeploy.service",
};
/* clang-format on */

static int check_options(struct nd_kvlist *args, struct nd_kvlist *labels,
			 struct nd_error *err)
{
	size_t i, k;
	int r;

	if (opt_tag && !nd_image_tag_valid(opt_tag))
		return nd_error_set(
			err, ND_EUSAGE,
			"invalid tag '%s': letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-'",
			opt_tag);
	if ((r = nd_parse_kv_options(args, &opt_build_args, "build argument",
				     false, err)) < 0)
		return r;
	if ((r = nd_parse_kv_options(labels, &opt_labels, "label", true, err)) <
	    0)
		return r;
	for (i = 0; i < labels->nr; i++)
		for (k = 0; k < ND_ARRAY_SIZE(reserved_labels); k++)
			if (!strcmp(labels->items[i].key, reserved_labels[k]))
				return nd_error_set(
					err, ND_EUSAGE,
					"the label '%s' is set by nextdeploy",
					reserved_labels[k]);
	return 0;
}

/* --- results --- */

static void print_failure(const struct nd_error *err,
			  const struct nd_build_log *log)
{
	size_t i;

	nd_error_report(err);
	if (!log->step || !log->tail_len)
		return;
	fprintf(stderr, "%slast output of step %d/%d:%s\n",
		nd_color_err(ND_C_DIM), log->step_no, log->nsteps,
		nd_color_err(ND_C_RESET));
	for (i = 0; i < log->tail_len; i++) {
		struct nd_buf b = ND_BUF_INIT;

		add_cut(&b, nd_build_log_line(log, i), 4096);
		fprintf(stderr, "  | %s\n", b.buf);
		nd_buf_release(&b);
	}
}

static void print_json(const struct nd_app_build_result *res)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "image", res->image);
	cJSON_AddStringToObject(o, "repository", res->repo);
	cJSON_AddStringToObject(o, "release", res->release);
	cJSON_AddStringToObject(o, "image_id", res->image_id);
	cJSON_AddBoolToObject(o, "skipped", res->skipped);
	cJSON_AddStringToObject(o, "tag_source", res->tag_source);
	cJSON_AddStringToObject(o, "buildpack", res->buildpack);
	cJSON_AddStringToObject(o, "dockerfile", res->dockerfile);
	if (res->commit)
		cJSON_AddStringToObject(o, "commit", res->commit);
	else
		cJSON_AddNullToObject(o, "commit");
	if (res->source_url)
		cJSON_AddStringToObject(o, "source", res->source_url);
	else
		cJSON_AddNullToObject(o, "source");
	if (res->content_hash)
		cJSON_AddStringToObject(o, "content_hash", res->content_hash);
	else
		cJSON_AddNullToObject(o, "content_hash");
	cJSON_AddNumberToObject(o, "context_bytes", (double)res->context_bytes);
	{
		cJSON *arr = cJSON_AddArrayToObject(o, "images");

		for (size_t i = 0; i < res->nimages; i++) {
			cJSON *im = cJSON_CreateObject();

			cJSON_AddStringToObject(im, "service",
						res->images[i].service);
			cJSON_AddStringToObject(im, "image",
						res->images[i].image);
			cJSON_AddStringToObject(im, "image_id",
						res->images[i].image_id);
			cJSON_AddItemToArray(arr, im);
		}
	}
	cJSON_AddNumberToObject(o, "duration_seconds",
				(double)(long long)(res->seconds * 1000) / 1000);
	nd_json_print(o);
}

static const char *why_skipped(const char *tag_source)
{
	if (!strcmp(tag_source, "commit"))
		return "same commit";
	if (!strcmp(tag_source, "commit-dirty"))
		return "same commit and changes";
	return "same content";
}

int cmd_build(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_kvlist args = ND_KVLIST_INIT, labels = ND_KVLIST_INIT;
	struct nd_app_build_opts o = { 0 };
	struct nd_app_build_result res = { 0 };
	struct nd_build_log log = { 0 };
	const char *mode = opt_progress ? opt_progress : "auto";
	int code = 0;

	ND_UNUSED(argc);
	ND_UNUSED(argv);
	if (check_options(&args, &labels, &err) < 0) {
		nd_error_report(&err);
		code = nd_error_exit_code(&err);
		goto done;
	}
	view.show = nd_out.verbosity >= ND_V_INFO;
	view.live = view.show &&
		    (!strcmp(mode, "tty") ||
		     (!strcmp(mode, "auto") && nd_out.progress_bars));
	view.log = &log;
	view.t0 = now_s();
	/* Ctrl-C: the clone folder goes, the live view is cleared, we die */
	nd_signals_install(ND_SIG_DIE);
	nd_cleanup_add_fn(on_interrupt);

	o.force = opt_force;
	o.no_cache = opt_no_cache;
	o.pull = opt_pull;
	o.no_hooks = opt_no_hooks;
	o.tag = opt_tag;
	o.target = opt_target;
	o.build_args = &args;
	o.labels = &labels;
	o.on_event = on_event;
	o.log = &log;
	if (nd_app_build(ctx->engine, ctx->project, &o, &res, &err) < 0) {
		clear_region();
		print_failure(&err, &log);
		code = nd_error_exit_code(&err);
		goto done;
	}
	finish_step();
	clear_region();
	for (size_t i = 0; i < res.nimages; i++) {
		const struct nd_app_build_image *im = &res.images[i];

		if (res.skipped)
			nd_msg_info(
				"%s is already built (%s); --force rebuilds it",
				im->image, why_skipped(res.tag_source));
		else if (res.nimages == 1)
			nd_msg_info("built %s (%.19s) in %.1fs", im->image,
				    im->image_id, res.seconds);
		else
			nd_msg_info("built %s (%.19s)", im->image, im->image_id);
	}
	if (!res.skipped && res.nimages > 1)
		nd_msg_info("built %zu images in %.1fs", res.nimages,
			    res.seconds);
	if (nd_out.json)
		print_json(&res);
	else if (nd_out.quiet)
		for (size_t i = 0; i < res.nimages; i++)
			printf("%s\n", res.images[i].image_id);
done:
	nd_cleanup_forget_fn(on_interrupt);
	nd_app_build_result_release(&res);
	nd_build_log_release(&log);
	nd_kvlist_release(&args);
	nd_kvlist_release(&labels);
	nd_error_release(&err);
	free(view.phase);
	free(view.step);
	view.phase = view.step = NULL;
	nd_strlist_release(&opt_build_args);
	nd_strlist_release(&opt_labels);
	return code;
}
