/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/signals.h"
#include "core/kv.h"
#include "core/project.h"
#include "core/units.h"
#include "docker/api.h"
#include "docker/events.h"

#include <cjson/cJSON.h>
#include <time.h>

static const char *since_arg;
static const char *until_arg;
static bool show_exec;

/* clang-format off */
static const struct nd_opt events_opts[] = {
	ND_OPT_STRING_ROW(0, "since", &since_arg, "TIME", ND_ARG_TIME,
			  "replay events from TIME: RFC 3339, a date, Unix seconds, or a duration ago (10m)"),
	ND_OPT_STRING_ROW(0, "until", &until_arg, "TIME", ND_ARG_TIME,
			  "stop at TIME (same forms); without it the stream goes on until Ctrl-C"),
	ND_OPT_BOOL_ROW(0, "exec", &show_exec,
			"also show exec_create/exec_start/exec_die (health checks cause three per interval)"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const char *const events_sections[] = {
	"OUTPUT",
	"One line per event: the time (local, milliseconds), the type "
	"(container, image, network), the action without its suffix (die, "
	"health_status, ...), the container or network name or the image "
	"reference, then service=, release=, exit_code= (die), health= "
	"(health_status), signal= (kill), container= (network connect and "
	"disconnect). Podman's names are mapped to Docker's (remove is "
	"shown as destroy).\n\n"
	"With --json, one object per line with the keys time (RFC 3339, UTC, "
	"nanoseconds), type, action, detail, id, name, app, service, "
	"release, image, exit_code, health, signal and container, null where "
	"they do not apply.",
	"WHICH EVENTS",
	"Containers and images that carry nextdeploy.managed=true and the "
	"project's nextdeploy.app label, and the project network nd-APP "
	"(network events carry no labels, so they are matched by name). The "
	"engine is asked for container, image and network events and the "
	"rest is filtered here, because the engine cannot OR a label filter "
	"with a network name, and Podman's label filter finds nothing in "
	"replayed events. Docker keeps only its last 256 events in memory, "
	"so on a busy engine --since cannot reach further back than that.",
	"EXIT STATUS",
	"0 when --until was given and the stream reached it; 1 when the "
	"engine ended the stream on its own or failed; 2 on a usage or "
	"project-file error (a bad --since or --until); 3 when the engine is "
	"unreachable; 130 when interrupted (Ctrl-C).",
	NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_events_spec = {
	.usage = "[OPTIONS]",
	.description =
		"Stream the engine's events about the project's containers, "
		"images and network, one readable line each, as they happen. "
		"--since replays past events first; --until makes the "
		"command end at that time (a time in the past replays a "
		"window and returns at once). Health-check exec events are "
		"left out unless --exec is given.",
	.opts = events_opts,
	.max_args = 0,
	.examples = (const struct nd_example[]){
		{ "nextdeploy events", "follow the project's events until Ctrl-C" },
		{ "nextdeploy events --since 1h --until 0s", "what happened in the last hour, then exit" },
		{ "nextdeploy events --since 2026-11-23T10:00:00Z --json", "replay as JSON lines, then follow" },
		{ NULL, NULL },
	},
	.sections = events_sections,
};
/* clang-format on */

struct events {
	const char *app;
	struct nd_kvlist names; /* container ID → name */
	bool stdout_failed;
};

static void remember(struct events *ev, const char *id, const char *name)
{
	if (id && name)
		nd_kvlist_set(&ev->names, id, name);
}

static int on_event(const struct nd_event *e, void *ud)
{
	struct events *ev = ud;
	const char *cname = NULL;

	if (!nd_event_matches(e, ev->app))
		return 0;
	if (!strcmp(e->type, "container"))
		remember(ev, e->id, e->name);
	if (nd_event_is_exec(e) && !show_exec)
		return 0;
	if (e->container)
		cname = nd_kvlist_get(&ev->names, e->container);
	if (nd_out.json) {
		nd_json_print_line(nd_event_json(e));
	} else {
		struct nd_buf line = ND_BUF_INIT;

		nd_event_format(&line, e, cname);
		nd_buf_addch(&line, '\n');
		fwrite(line.buf, 1, line.len, stdout);
		nd_buf_release(&line);
	}
	if (fflush(stdout) || ferror(stdout)) {
		ev->stdout_failed = true;
		return -1; /* the reader went away: stop */
	}
	return 0;
}

/* Names of the project's containers, for network connect/disconnect. */
static void prefill_names(struct events *ev, struct nd_ctx *ctx)
{
	struct nd_filters f = ND_FILTERS_INIT;
	struct nd_error err = ND_ERROR_INIT;
	cJSON *list = NULL;
	const cJSON *c;

	nd_filters_project(&f, ev->app);
	if (nd_containers_list(ctx->engine, true, &f, &list, &err) == 0)
		cJSON_ArrayForEach(c, list)
			remember(ev, nd_json_str(c, "Id"), nd_container_name(c));
	cJSON_Delete(list);
	nd_filters_release(&f);
	nd_error_release(&err);
}

static int parse_time_opt(double *out, const char *opt, const char *value,
			  double now, struct nd_error *err)
{
	if (nd_parse_time(value, now, out) == 0)
		return 0;
	nd_error_set(err, ND_EUSAGE, "invalid --%s value '%s'", opt, value);
	nd_error_hint(
		err,
		"use RFC 3339 (2026-11-23T10:00:00Z), a date "
		"(2026-11-23), Unix seconds, or a duration ago (10m, 1h30m)");
	return ND_EUSAGE;
}

int cmd_events(int argc, const char **argv, struct nd_ctx *ctx)
{
	static const char *const types[] = { "container", "image", "network",
					     NULL };
	struct nd_events_query q = { 0 };
	struct nd_error err = ND_ERROR_INIT;
	struct events ev = { 0 };
	struct timespec ts;
	double now;
	int code = 0, r;

	ND_UNUSED(argc);
	ND_UNUSED(argv);
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if (since_arg &&
	    parse_time_opt(&q.since, "since", since_arg, now, &err) < 0)
		goto fail;
	if (until_arg &&
	    parse_time_opt(&q.until, "until", until_arg, now, &err) < 0)
		goto fail;
	if (since_arg && until_arg && q.since > q.until) {
		nd_error_set(&err, ND_EUSAGE,
			     "--since '%s' is later than --until '%s'",
			     since_arg, until_arg);
		goto fail;
	}
	/* the engine treats 0 as "not given": keep a real time > 0 */
	if (since_arg && q.since <= 0)
		q.since = 1e-6;
	if (until_arg && q.until <= 0)
		q.until = 1e-6;
	/*
	 * Podman finds nothing with type/label filters in replayed events
	 * (NOTES §13.2); everything is filtered here anyway.
	 */
	q.types = ctx->engine->podman && (since_arg || until_arg) ? NULL :
								    types;

	ev.app = ctx->project->app;
	prefill_names(&ev, ctx);
	nd_signals_install(ND_SIG_NOTIFY);
	r = nd_events_stream(ctx->engine, &q, on_event, &ev, &err);
	if (ev.stdout_failed)
		goto done; /* main reports a write error other than EPIPE */
	if (r == ND_EINTERRUPTED) {
		code = ND_EXIT_INTERRUPTED;
		goto done;
	}
	if (r < 0) {
		nd_error_wrap(&err, "following the events of '%s'", ev.app);
		goto fail;
	}
	if (!until_arg) {
		nd_error_set(&err, ND_EGENERIC,
			     "the engine at %s ended the event stream",
			     ctx->engine->host);
		goto fail;
	}
	goto done;
fail:
	nd_error_report(&err);
	code = nd_error_exit_code(&err);
done:
	nd_kvlist_release(&ev.names);
	nd_error_release(&err);
	return code;
}
