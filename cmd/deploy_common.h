/* SPDX-License-Identifier: MIT */
#ifndef ND_CMD_DEPLOY_COMMON_H
#define ND_CMD_DEPLOY_COMMON_H

#include "cmd/cmd.h"
#include "core/deploy.h"

/*
 * What `run` and `rollback` share: the progress lines, and printing a
 * deploy's result (the URL on stdout, or one JSON document with --json;
 * failure details on stderr). Ctrl-C: nd_signals_install(ND_SIG_NOTIFY)
 * and nd_signal_flag() as the deploy's `interrupted` (core/signals.h).
 */

/*
 * Build the current source before running it (run --build, local run):
 * nd_app_build() with its progress as plain lines on stderr (the step
 * lines; -v adds the build's output), the failing step's last lines on a
 * failure; Ctrl-C meanwhile removes the clone and ends the process
 * (ND_SIG_DIE). o->on_event and o->log are set here. 0, or the exit code
 * after reporting.
 */
struct nd_app_build_opts;
struct nd_app_build_result;
int nd_cli_build(struct nd_ctx *ctx, struct nd_app_build_opts *o,
		 struct nd_app_build_result *res);

/* The UI callbacks: steps and notes on stderr. */
struct nd_deploy_ui nd_deploy_cli_ui(void);

/* Parse --lock-wait; 0 and *ms_out, or an exit code after reporting. */
int nd_deploy_parse_lock_wait(const char *s, int64_t *ms_out);

/*
 * Deploy o->release (run, rollback): the lock's command line, Ctrl-C as
 * the deploy's `interrupted`, the UI above, then nd_deploy_run() and its
 * outcome printed. The caller sets release, rollback, break_lock and
 * lock_wait_ms. Returns the exit code.
 */
int nd_cli_deploy(struct nd_ctx *ctx, struct nd_deploy_opts *o);

/*
 * For the bulk commands (stop, start, restart, down; STYLE §17): report one
 * item done ("stopped nd-shop-web-r1") or failed (a warning), counting the
 * failures; the command exits 1 at the end when there were any.
 */
struct nd_bulk {
	const char *verb; /* "stop" */
	const char *done; /* "stopped" */
	size_t ok, failed;
	/* when set (--json), done names and failures are collected here */
	struct cJSON *json_done;   /* array of names */
	struct cJSON *json_failed; /* array of { name, message } */
};
void nd_bulk_item(struct nd_bulk *b, const char *name, int r,
		  struct nd_error *err);

/* Run the engine part of an operating command with the app state loaded. */
int nd_ops_load_state(struct nd_ctx *ctx, struct nd_app_state *st);

/*
 * start and restart: start (or restart) the live release's containers and
 * the proxy, wait for the proxy, fix the edge route, print the URL.
 */
int nd_ops_start_live(struct nd_ctx *ctx, bool restart);

#endif
