/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/project.h"
#include "docker/engine.h"

#include <curl/curl.h>
#include <signal.h>
#include <unistd.h>

/*
 * The command table, sorted by name, looked up by exact name (git.c
 * commands[]). The flags say what the dispatcher sets up first.
 */
/* clang-format off */
const struct nd_command nd_commands[] = {
	{ "__complete", cmd_complete, ND_HIDDEN,
	  "print completion candidates (services, releases)", &nd_complete_spec },
	{ "__docs", cmd_docs, ND_HIDDEN,
	  "generate the manual pages, or print the command table", &nd_docs_spec },
	{ "build", cmd_build, ND_NEED_PROJECT | ND_NEED_ENGINE | ND_HAS_JSON | ND_HAS_QUIET_IDS,
	  "build the app image", &nd_build_spec },
	{ "completion", cmd_completion, ND_WANT_PROJECT,
	  "print a shell completion script", &nd_completion_spec },
	{ "doctor", cmd_doctor, ND_WANT_PROJECT | ND_HAS_JSON,
	  "check the engine and the environment", &nd_doctor_spec },
	{ "down", cmd_down, ND_NEED_PROJECT | ND_NEED_ENGINE | ND_HAS_JSON,
	  "stop and remove the project's containers", &nd_down_spec },
	{ "events", cmd_events, ND_NEED_PROJECT | ND_NEED_ENGINE | ND_HAS_JSON,
	  "stream the engine's events for the project", &nd_events_spec },
	{ "exec", cmd_exec, ND_NEED_PROJECT | ND_NEED_ENGINE | ND_STOP_AT_ARG,
	  "run a command in a running container", &nd_exec_spec },
	{ "help", cmd_help, 0,
	  "show help for a command", &nd_help_spec },
	{ "init", cmd_init, 0,
	  "detect the app and write a commented nextdeploy.yml", &nd_init_spec },
	{ "local", cmd_local, 0,
	  "build and run on the local engine, attached", &nd_local_spec },
	{ "logs", cmd_logs, ND_NEED_PROJECT | ND_NEED_ENGINE | ND_HAS_JSON,
	  "show the logs of the project's containers", &nd_logs_spec },
	{ "plan", cmd_plan, ND_NEED_PROJECT | ND_HAS_JSON,
	  "print the build plan and the synthesized Dockerfile", &nd_plan_spec },
	{ "prune", cmd_prune, ND_WANT_PROJECT | ND_NEED_ENGINE | ND_HAS_JSON,
	  "remove what the project no longer needs", &nd_prune_spec },
	{ "ps", cmd_ps, ND_NEED_PROJECT | ND_NEED_ENGINE | ND_HAS_JSON | ND_HAS_QUIET_IDS,
	  "list the project's containers", &nd_ps_spec },
	{ "pull", cmd_pull, ND_NEED_PROJECT | ND_NEED_ENGINE | ND_HAS_JSON,
	  "pull the app image from its registry", &nd_pull_spec },
	{ "push", cmd_push, ND_NEED_PROJECT | ND_NEED_ENGINE | ND_HAS_JSON,
	  "push the app image to its registry", &nd_push_spec },
	{ "releases", cmd_releases, ND_NEED_PROJECT | ND_NEED_ENGINE | ND_HAS_JSON | ND_HAS_QUIET_IDS,
	  "list the project's releases", &nd_releases_spec },
	{ "restart", cmd_restart, ND_NEED_PROJECT | ND_NEED_ENGINE,
	  "restart the project's containers", &nd_restart_spec },
	{ "rollback", cmd_rollback, ND_NEED_PROJECT | ND_NEED_ENGINE | ND_HAS_JSON,
	  "switch back to the previous or a named release", &nd_rollback_spec },
	{ "run", cmd_run, ND_NEED_PROJECT | ND_NEED_ENGINE | ND_HAS_JSON,
	  "deploy the built image, health-gated, with zero downtime", &nd_run_spec },
	{ "start", cmd_start, ND_NEED_PROJECT | ND_NEED_ENGINE,
	  "start the project's stopped containers", &nd_start_spec },
	{ "stats", cmd_stats, ND_NEED_PROJECT | ND_NEED_ENGINE | ND_HAS_JSON,
	  "live CPU, memory, network and block IO of the project's containers", &nd_stats_spec },
	{ "stop", cmd_stop, ND_NEED_PROJECT | ND_NEED_ENGINE,
	  "stop the project's containers", &nd_stop_spec },
	{ "version", cmd_version, ND_HAS_JSON,
	  "show the client and engine versions", &nd_version_spec },
};
/* clang-format on */
const size_t nd_commands_nr = ND_ARRAY_SIZE(nd_commands);

static struct nd_globals globals;

/* clang-format off */
const struct nd_opt nd_global_opts[] = {
	ND_OPT_STRING_ROW('f', "file", &globals.file, "PATH", ND_ARG_FILE,
			  "the project file (default: nextdeploy.yml, searched upward)"),
	ND_OPT_STRING_ROW('C', NULL, &globals.chdir, "DIR", ND_ARG_DIR,
			  "run as if started in DIR"),
	ND_OPT_STRING_ROW('H', "host", &globals.host, "URL", ND_ARG_HOST,
			  "the engine: unix://PATH, tcp://HOST:PORT or ssh://[USER@]HOST (default: DOCKER_HOST, else the local socket)"),
	ND_OPT_BOOL_ROW(0, "json", &globals.json,
			"machine-readable JSON output"),
	ND_OPT_COUNT_ROW('q', "quiet", &globals.quiet,
			 "less output (IDs only where a command lists objects)"),
	ND_OPT_COUNT_ROW('v', "verbose", &globals.verbose,
			 "more output (repeat for debug detail)"),
	ND_OPT_BOOL_ROW(0, "no-color", &globals.no_color,
			"never color the output (also NO_COLOR=1)"),
	ND_OPT_BOOL_ROW(0, "version", &globals.version,
			"print the client version and exit"),
	ND_OPT_BOOL_ROW('h', "help", &globals.help, "show help"),
	ND_OPT_END_ROW,
};
/* clang-format on */

const struct nd_command *nd_command_find(const struct nd_command *table,
					 size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

static struct nd_ctx *the_ctx;

int nd_ctx_want_project(struct nd_ctx *ctx)
{
	struct nd_error err = ND_ERROR_INIT;
	char *path = NULL;
	int r;

	if (ctx->project)
		return 0;
	if (ctx->g->file) {
		r = nd_project_load(&ctx->project, ctx->g->file, &err);
	} else {
		r = nd_project_find(&path, ".", &err);
		if (r == 0)
			r = nd_project_load(&ctx->project, path, &err);
	}
	free(path);
	if (r < 0) {
		if (err.code == ND_ENOTFOUND)
			err.code = ND_EPROJECT;
		nd_error_report(&err);
		r = nd_error_exit_code(&err);
		nd_error_release(&err);
		return r;
	}
	return 0;
}

int nd_ctx_need_engine(struct nd_ctx *ctx)
{
	struct nd_error err = ND_ERROR_INIT;
	int r;

	if (ctx->engine && ctx->engine->connected)
		return 0;
	if (!ctx->engine && nd_engine_open(&ctx->engine, ctx->g->host, &err) < 0)
		goto fail;
	if (nd_engine_connect(ctx->engine, &err) < 0)
		goto fail;
	nd_msg_debug("engine %s (%s), API %s%s", ctx->engine->host,
		     ctx->engine->host_source, ctx->engine->api_version,
		     ctx->engine->podman ? ", Podman" : "");
	return 0;
fail:
	nd_error_report(&err);
	r = nd_error_exit_code(&err);
	nd_error_release(&err);
	return r;
}

static void unknown_command(const char *name, const struct nd_command *table,
			    size_t n, const char *parent)
{
	const char **names = nd_calloc(n, sizeof(*names));
	const char *best;
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!(table[i].flags & ND_HIDDEN))
			names[k++] = table[i].name;
	if (parent)
		nd_msg_error("'%s' is not a '%s' command", name, parent);
	else
		nd_msg_error("'%s' is not a nextdeploy command", name);
	best = nd_suggest(name, names, k);
	if (best)
		nd_msg_hint("did you mean '%s%s%s'?", parent ? parent : "",
			    parent ? " " : "", best);
	else
		nd_msg_hint("see 'nextdeploy help'");
	free(names);
}

/* Somebody closed stdout? (git.c) Report a write error as a failure. */
static int check_stdout(int code)
{
	if (fflush(stdout) || ferror(stdout)) {
		if (errno == EPIPE)
			return code;
		fprintf(stderr, "error: cannot write to standard output: %s\n",
			strerror(errno));
		return code ? code : ND_EXIT_FAIL;
	}
	return code;
}

static int run(int argc, const char **argv)
{
	const struct nd_opt *const globals_only[] = { nd_global_opts, NULL };
	const char **pos = NULL, **cpos = NULL;
	int npos = 0, ncpos = 0, code = 0, i;
	const struct nd_command *cmd, *top;
	struct nd_error err = ND_ERROR_INIT;
	struct nd_ctx ctx = { 0 };
	const char *path;
	char *pathbuf = NULL;

	ctx.g = &globals;
	the_ctx = &ctx;
	/*
	 * --no-color counts even where parsing stops before reaching it
	 * (`nextdeploy biuld --no-color`, `ps --bogus --no-color`): errors
	 * about the command line are colored too.
	 */
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--no-color"))
			globals.no_color = true;
	/* global options before the command */
	if (nd_opt_parse(&pos, &npos, globals_only, argc - 1, argv + 1,
			 ND_PARSE_STOP_AT_POSITIONAL, &err) < 0) {
		nd_output_init(0, 0, false, globals.no_color);
		nd_error_report(&err);
		nd_msg_hint("see 'nextdeploy help'");
		nd_error_release(&err);
		return ND_EXIT_USAGE;
	}
	if (globals.version) {
		printf("nextdeploy version %s\n", ND_VERSION);
		goto done;
	}
	if (npos == 0) {
		nd_output_init(globals.verbose, globals.quiet, globals.json,
			       globals.no_color);
		nd_help_print(stdout, NULL, NULL);
		code = globals.help ? 0 : ND_EXIT_USAGE;
		goto done;
	}
	top = cmd = nd_command_find(nd_commands, nd_commands_nr, pos[0]);
	if (!cmd) {
		nd_output_init(0, 0, false, globals.no_color);
		unknown_command(pos[0], nd_commands, nd_commands_nr, NULL);
		code = ND_EXIT_USAGE;
		goto done;
	}
	path = cmd->name;
	i = 1;
	if (cmd->spec->subcommands && npos > 1 && pos[1][0] != '-') {
		const struct nd_command *sub = nd_command_find(
			cmd->spec->subcommands, cmd->spec->nsubcommands, pos[1]);

		if (!sub) {
			nd_output_init(0, 0, false, globals.no_color);
			unknown_command(pos[1], cmd->spec->subcommands,
					cmd->spec->nsubcommands, cmd->name);
			code = ND_EXIT_USAGE;
			goto done;
		}
		pathbuf = nd_xprintf("%s %s", cmd->name, sub->name);
		path = pathbuf;
		cmd = sub;
		i = 2;
	}
	ctx.cmd = cmd;
	ctx.cmd_path = path;
	{
		const struct nd_opt *const tables[] = {
			cmd->spec->opts ? cmd->spec->opts : nd_global_opts,
			nd_global_opts, NULL
		};

		if (nd_opt_parse(&cpos, &ncpos, tables, npos - i, pos + i,
				 (cmd->flags & ND_STOP_AT_ARG) ?
					 ND_PARSE_STOP_AT_POSITIONAL |
						 ND_PARSE_KEEP_DASHDASH :
					 0,
				 &err) < 0) {
			nd_output_init(0, 0, false, globals.no_color);
			nd_error_report(&err);
			nd_help_usage_error(cmd, path);
			nd_error_release(&err);
			code = ND_EXIT_USAGE;
			goto done;
		}
	}
	nd_output_init(globals.verbose, globals.quiet, globals.json,
		       globals.no_color);
	if (globals.help) {
		nd_help_print(stdout, cmd, path);
		goto done;
	}
	if (cmd->spec->subcommands && cmd == top) {
		/* "nextdeploy local" alone: show its subcommands */
		nd_msg_error("'%s' needs a subcommand", cmd->name);
		nd_help_usage_error(cmd, path);
		code = ND_EXIT_USAGE;
		goto done;
	}
	if (ncpos < cmd->spec->min_args ||
	    (cmd->spec->max_args >= 0 && ncpos > cmd->spec->max_args)) {
		if (ncpos < cmd->spec->min_args)
			nd_msg_error("'%s' needs more arguments", path);
		else
			nd_msg_error("too many arguments for '%s': '%s'", path,
				     cpos[cmd->spec->max_args]);
		nd_help_usage_error(cmd, path);
		code = ND_EXIT_USAGE;
		goto done;
	}
	if (globals.json && !(cmd->flags & ND_HAS_JSON)) {
		nd_msg_error("'%s' has no JSON output", path);
		code = ND_EXIT_USAGE;
		goto done;
	}
	if (globals.chdir && chdir(globals.chdir) < 0) {
		nd_msg_error("cannot change to '%s': %s", globals.chdir,
			     strerror(errno));
		code = ND_EXIT_USAGE;
		goto done;
	}
	if (cmd->flags & ND_NEED_PROJECT) {
		if ((code = nd_ctx_want_project(&ctx)))
			goto done;
	} else if ((cmd->flags & ND_WANT_PROJECT) &&
		   (globals.file || !access("nextdeploy.yml", F_OK) ||
		    !access("nextdeploy.yaml", F_OK))) {
		/* a broken project file is still an error when one is named */
		if ((code = nd_ctx_want_project(&ctx)))
			goto done;
	}
	if ((cmd->flags & ND_NEED_ENGINE) && (code = nd_ctx_need_engine(&ctx)))
		goto done;
	code = cmd->fn(ncpos, cpos, &ctx);
done:
	code = check_stdout(code);
	nd_engine_free(ctx.engine);
	nd_project_free(ctx.project);
	free(pos);
	free(cpos);
	free(pathbuf);
	return code;
}

int main(int argc, const char **argv)
{
	int code;

	/* a closed pipe is a write error we report, not a death (curl tool_main.c) */
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "error: cannot initialise libcurl\n");
		return ND_EXIT_FAIL;
	}
	code = run(argc, argv);
	curl_global_cleanup();
	return code;
}
