/* SPDX-License-Identifier: MIT */
#ifndef ND_CMD_H
#define ND_CMD_H

/*
 * How to add a command (git builtin.h):
 *
 *  1. Write cmd/<name>.c with
 *	int cmd_<name>(int argc, const char **argv, struct nd_ctx *ctx);
 *     and a `const struct nd_cmd_spec nd_<name>_spec` describing it: usage
 *     line, description, option table (core/opt.h), positional arguments,
 *     arity and examples. The option targets are file-scope statics.
 *  2. Declare both below, and add a row to the sorted commands[] table in
 *     main.c (name, function, setup flags, one-line summary, spec).
 *  3. Regenerate man pages and completions (`make docs`); commit them.
 *     They are generated from the table and the spec alone (cmd/docs.c,
 *     cmd/completion.c): no other file needs a change. Text in specs
 *     follows cmd/doc.h (paragraphs, "  " preformatted lines, "- " lists).
 *  4. Add tests/tNNNN-<name>-*.sh that run `nd <name> ...`. The contract
 *     tests are generic over the table: t0010-help.sh fails when a command
 *     has no man page, when a man page's synopsis or options drift from the
 *     spec, when checked-in man/ or completions/ are stale, or when `<name>
 *     -h` does not work without a project and engine, or when no e2e test
 *     runs an implemented command; t0011/t0012 check every option and
 *     choice in the bash/zsh/fish completions; t0013 checks that --json
 *     output parses for every ND_HAS_JSON command and that -q prints one
 *     ID per line for every ND_HAS_QUIET_IDS one.
 *
 * The command gets argv with the options already parsed (into its statics)
 * and only the positional arguments left; argc was checked against the
 * spec's arity. It returns an exit code (core/exit.h) and prints its own
 * errors with nd_error_report().
 */

#include "core/common.h"
#include "core/error.h"
#include "core/exit.h"
#include "core/opt.h"
#include "core/output.h"

struct nd_project;
struct nd_engine;
struct nd_ctx;

/* Setup the dispatcher does before calling the command. */
enum nd_cmd_flags {
	ND_NEED_PROJECT = 1 << 0,  /* find and load nextdeploy.yml, or exit 2 */
	ND_WANT_PROJECT = 1 << 1,  /* load it when there is one */
	ND_NEED_ENGINE = 1 << 2,   /* connect and negotiate, or exit 3 */
	ND_HIDDEN = 1 << 3,	   /* not listed in help */
	ND_STOP_AT_ARG = 1 << 4,   /* options end at the first positional; a
				   * "--" ending them is kept as an argument */
	ND_HAS_JSON = 1 << 5,	   /* the command honours --json */
	ND_HAS_QUIET_IDS = 1 << 6, /* -q prints only IDs/names */
};

struct nd_example {
	const char *cmdline; /* "nextdeploy logs -f web" */
	const char *text;    /* what it does */
};

struct nd_command;

struct nd_cmd_spec {
	const char *usage; /* after "nextdeploy NAME ": "[OPTIONS] [SERVICE]" */
	const char *description; /* paragraphs separated by blank lines */
	const struct nd_opt *opts;
	const struct nd_arg *args;
	int min_args;
	int max_args; /* -1: no limit */
	const struct nd_example *examples;
	/* two-level commands (local run): a sub-table, sorted */
	const struct nd_command *subcommands;
	size_t nsubcommands;
	/*
	 * Extra man-page sections, NULL-ended (title, text) pairs: "FILES",
	 * "NOTES", ... also shown by help. Text under "EXIT STATUS",
	 * "ENVIRONMENT" or "SEE ALSO" is appended to the standard section
	 * (exec: "125 when exec itself fails; else the command's own code").
	 */
	const char *const *sections;
};

struct nd_command {
	const char *name;
	int (*fn)(int argc, const char **argv, struct nd_ctx *ctx);
	unsigned flags;
	const char *summary; /* one line, lowercase, no full stop */
	const struct nd_cmd_spec *spec;
};

/* Global options, accepted before or after the command name. */
struct nd_globals {
	const char *file;  /* -f/--file */
	const char *chdir; /* -C */
	const char *host;  /* -H/--host */
	bool json;
	int quiet;
	int verbose;
	bool no_color;
	bool version;
	bool help;
};

struct nd_ctx {
	const struct nd_command *cmd;
	const char *cmd_path; /* "local run" */
	struct nd_globals *g;
	struct nd_project *project; /* NULL unless loaded */
	struct nd_engine *engine;   /* connected, when ND_NEED_ENGINE */
};

/* The command table (main.c), sorted by name. */
extern const struct nd_command nd_commands[];
extern const size_t nd_commands_nr;
extern const struct nd_opt nd_global_opts[];

const struct nd_command *nd_command_find(const struct nd_command *table,
					 size_t n, const char *name);

/*
 * Connect the engine now, for commands that do so only on some paths (e.g.
 * `completion` asking for release names). Reports and returns an exit code
 * on failure, 0 on success.
 */
int nd_ctx_need_engine(struct nd_ctx *ctx);
int nd_ctx_want_project(struct nd_ctx *ctx);

/* help.c: render help for a command (or the overview when cmd is NULL). */
void nd_help_print(FILE *f, const struct nd_command *cmd, const char *path);
void nd_help_usage_error(const struct nd_command *cmd, const char *path);
/* For commands whose issue is still open: an honest failure. */
int nd_cmd_not_implemented(const struct nd_ctx *ctx);

#define ND_CMD_DECL(n)                                                \
	int cmd_##n(int argc, const char **argv, struct nd_ctx *ctx); \
	extern const struct nd_cmd_spec nd_##n##_spec

ND_CMD_DECL(build);
ND_CMD_DECL(complete); /* __complete (hidden) */
ND_CMD_DECL(completion);
ND_CMD_DECL(docs); /* __docs (hidden) */
ND_CMD_DECL(doctor);
ND_CMD_DECL(down);
ND_CMD_DECL(events);
ND_CMD_DECL(exec);
ND_CMD_DECL(help);
ND_CMD_DECL(init);
ND_CMD_DECL(local);
ND_CMD_DECL(local_run);
ND_CMD_DECL(logs);
ND_CMD_DECL(plan);
ND_CMD_DECL(prune);
ND_CMD_DECL(ps);
ND_CMD_DECL(pull);
ND_CMD_DECL(push);
ND_CMD_DECL(releases);
ND_CMD_DECL(restart);
ND_CMD_DECL(rollback);
ND_CMD_DECL(run);
ND_CMD_DECL(start);
ND_CMD_DECL(stats);
ND_CMD_DECL(stop);
ND_CMD_DECL(version);

#endif
