/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/deploy_common.h"
#include "core/app_build.h"
#include "core/buf.h"
#include "core/signals.h"
#include "core/units.h"

#include <cjson/cJSON.h>

/* the build's progress as plain lines (build's own view is richer) */
static void on_build(const struct nd_app_build_event *ev, void *ud)
{
	ND_UNUSED(ud);
	switch (ev->kind) {
	case ND_AB_SOURCE:
	case ND_AB_HOOK:
	case ND_AB_WAITING:
		nd_msg_info("%s", ev->text);
		break;
	case ND_AB_RELEASE:
		nd_msg_info("building %s", ev->text);
		break;
	case ND_AB_SKIPPED:
		nd_msg_info("%s is built already", ev->text);
		break;
	case ND_AB_WARNING:
		nd_msg_warning("%s", ev->text);
		break;
	case ND_AB_BUILD:
		if (ev->build->kind == ND_BUILD_STEP)
			nd_msg_info("  Step %d/%d : %s", ev->build->step,
				    ev->build->nsteps, ev->build->text);
		else if (ev->build->kind == ND_BUILD_OUTPUT)
			nd_msg_debug("%s", ev->build->text);
		break;
	default:
		break;
	}
}

int nd_cli_build(struct nd_ctx *ctx, struct nd_app_build_opts *o,
		 struct nd_app_build_result *res)
{
	struct nd_build_log log = { 0 };
	struct nd_error err = ND_ERROR_INIT;
	int code = 0;

	nd_signals_install(ND_SIG_DIE);
	o->on_event = on_build;
	o->log = &log;
	if (nd_app_build(ctx->engine, ctx->project, o, res, &err) < 0) {
		nd_error_report(&err);
		if (log.step && log.tail_len) {
			fprintf(stderr, "last output of step %d/%d:\n",
				log.step_no, log.nsteps);
			for (size_t i = 0; i < log.tail_len; i++) {
				fputs("  | ", stderr);
				nd_fputs_sanitized(nd_build_log_line(&log, i),
						   stderr);
				fputc('\n', stderr);
			}
		}
		code = nd_error_exit_code(&err);
	} else if (!res->skipped) {
		nd_msg_info("built %s in %.1fs", res->image, res->seconds);
	}
	o->log = NULL;
	nd_build_log_release(&log);
	nd_error_release(&err);
	return code;
}

static void ui_step(void *ud, const char *text, double ms)
{
	ND_UNUSED(ud);
	nd_msg_info("  %-60s %6.2fs", text, ms / 1000.0);
}

static void ui_note(void *ud, int level, const char *text)
{
	ND_UNUSED(ud);
	if (level <= ND_V_WARNING)
		nd_msg_warning("%s", text);
	else if (level == ND_V_INFO)
		nd_msg_info("%s", text);
	else
		nd_msg_debug("%s", text);
}

struct nd_deploy_ui nd_deploy_cli_ui(void)
{
	struct nd_deploy_ui ui = { ui_step, ui_note, NULL };

	return ui;
}

int nd_deploy_parse_lock_wait(const char *s, int64_t *ms_out)
{
	*ms_out = 0;
	if (!s)
		return 0;
	if (nd_parse_duration_ms(s, ms_out) < 0 || *ms_out < 0) {
		nd_msg_error("invalid duration '%s' for --lock-wait", s);
		nd_msg_hint("use a duration like 30s, 5m or 1h");
		return ND_EXIT_USAGE;
	}
	return 0;
}

/* Engine/app text on stderr, indented, control characters replaced. */
static void print_block(const char *title, const char *text)
{
	const char *s = text;

	fflush(stdout);
	fprintf(stderr, "  %s\n", title);
	while (s && *s) {
		const char *eol = strchr(s, '\n');
		size_t len = eol ? (size_t)(eol - s) : strlen(s);
		struct nd_buf line = ND_BUF_INIT;

		nd_buf_add_sanitized(&line, s, len, false);
		fprintf(stderr, "  | %s\n", line.buf);
		nd_buf_release(&line);
		s = eol ? eol + 1 : NULL;
	}
}

static int deploy_report(const struct nd_deploy_result *res, int r,
			 struct nd_error *err)
{
	for (size_t i = 0; i < res->nfailures; i++) {
		const struct nd_deploy_failure *f = &res->failures[i];
		struct nd_buf t = ND_BUF_INIT;

		fflush(stdout);
		nd_buf_add_sanitized(&t, f->container, strlen(f->container),
				     false);
		fprintf(stderr, "%s%s%s: %s\n", nd_color_err(ND_C_BOLD), t.buf,
			nd_color_err(ND_C_RESET),
			f->reason ? f->reason : "failed");
		nd_buf_release(&t);
		print_block("last log lines:", f->logs ? f->logs : "(none)");
		if (f->probe)
			print_block("last health check output:", f->probe);
	}
	if (nd_out.json) {
		cJSON *doc = nd_deploy_result_json(res);

		if (r < 0)
			cJSON_AddItemToObject(doc, "error", nd_error_json(err));
		nd_json_print(doc);
	} else if (res->live && res->url) {
		printf("%s\n", res->url);
	}
	if (res->live && r == 0)
		nd_msg_info("release %s of %s is live%s%s (%.1fs)",
			    res->release, res->app, res->url ? " at " : "",
			    res->url ? res->url : "", res->total_ms / 1000.0);
	if (r < 0) {
		nd_error_print(err);
		return nd_error_exit_code(err);
	}
	return ND_EXIT_OK;
}

int nd_cli_deploy(struct nd_ctx *ctx, struct nd_deploy_opts *o)
{
	struct nd_deploy_result res = { 0 };
	struct nd_error err = ND_ERROR_INIT;
	/* "nextdeploy run x", for the lock's label */
	char *cmdline = o->release ? nd_xprintf("nextdeploy %s %s",
						ctx->cmd_path, o->release) :
				     nd_xprintf("nextdeploy %s", ctx->cmd_path);
	int code, r;

	o->command_line = cmdline;
	o->interrupted = nd_signal_flag();
	o->ui = nd_deploy_cli_ui();
	nd_signals_install(ND_SIG_NOTIFY);
	r = nd_deploy_run(&res, ctx->engine, ctx->project, o, &err);
	code = deploy_report(&res, r, &err);
	nd_deploy_result_release(&res);
	nd_error_release(&err);
	o->command_line = NULL;
	free(cmdline);
	return code;
}

void nd_bulk_item(struct nd_bulk *b, const char *name, int r,
		  struct nd_error *err)
{
	if (r < 0) {
		nd_msg_warning("cannot %s %s: %s", b->verb, name,
			       err->msg ? err->msg : "failed");
		if (b->json_failed) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "name", name);
			cJSON_AddStringToObject(o, "message",
						err->msg ? err->msg : "failed");
			cJSON_AddItemToArray(b->json_failed, o);
		}
		nd_error_release(err);
		b->failed++;
	} else {
		nd_msg_info("%s %s", b->done, name);
		if (b->json_done)
			cJSON_AddItemToArray(b->json_done,
					     cJSON_CreateString(name));
		b->ok++;
	}
}

int nd_ops_load_state(struct nd_ctx *ctx, struct nd_app_state *st)
{
	struct nd_error err = ND_ERROR_INIT;
	int code = 0;

	if (nd_app_state_load(st, ctx->engine, ctx->project->app, &err) < 0) {
		nd_error_report(&err);
		code = nd_error_exit_code(&err);
	}
	nd_error_release(&err);
	return code;
}
