/* SPDX-License-Identifier: MIT */
#ifndef ND_BP_H
#define ND_BP_H

/*
 * Internals shared by the buildpacks/ files (not for the rest of the
 * program: that uses plan.h). Each language module has
 *
 *	bool nd_bp_<lang>_detect(struct nd_bp *bp);
 *	int nd_bp_<lang>_plan(struct nd_bp *bp, struct nd_error *err);
 *
 * detect() only looks at which files exist; plan() reads them, fills
 * bp->plan (kind, versions, commands, reasons) and writes the Dockerfile.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/kv.h"
#include "buildpacks/plan.h"

struct cJSON;
struct nd_project;

/* Files we read to decide are small; anything bigger is not a manifest. */
#define ND_BP_FILE_CAP ((size_t)1 << 20)

struct nd_bp {
	const struct nd_project *p; /* may be NULL (init): all defaults */
	const char *dir;	    /* the folder detected (source + context) */
	struct nd_plan *plan;
	struct nd_bp_procfile *procfile; /* NULL when there is none */
	bool install_user, build_user;	 /* commands from nextdeploy.yml */
	bool runtime_overridden;	 /* build.runtime_image (or base) */
};

/* --- files ---------------------------------------------------------- */

/* Does dir/rel exist (as a regular file / as a folder)? */
bool nd_bp_file(const struct nd_bp *bp, const char *rel);
bool nd_bp_dir(const struct nd_bp *bp, const char *rel);
/*
 * Read dir/rel (at most ND_BP_FILE_CAP bytes) into a malloc'd string.
 * ND_ENOTFOUND when it does not exist; ND_EPROJECT when it is too big or
 * holds a NUL byte.
 */
int nd_bp_read(char **out, const struct nd_bp *bp, const char *rel,
	       struct nd_error *err);
/* The file's first non-empty line, trimmed; NULL when absent or empty. */
char *nd_bp_read_line(const struct nd_bp *bp, const char *rel);
/* Parse a JSON file (package.json). NULL and err set when invalid. */
int nd_bp_read_json(struct cJSON **out, const struct nd_bp *bp, const char *rel,
		    struct nd_error *err);
/* Does the file contain needle (case-sensitive)? false when absent. */
bool nd_bp_file_contains(const struct nd_bp *bp, const char *rel,
			 const char *needle);

/* --- a TOML subset (Cargo.toml, pyproject.toml, rust-toolchain.toml) --
 * No TOML library is among ours, so this small reader is hand-written: it
 * understands [tables], [[arrays of tables]] (the first one counts),
 * key = value with basic and literal strings, and arrays of strings
 * (multi-line too). Enough to read a few well-known keys.
 */
/* The string value of key in table ("" for the top level); NULL if none. */
char *nd_toml_get(const char *text, const char *table, const char *key);
/* The strings of an array value; false when the key is absent. */
bool nd_toml_get_array(const char *text, const char *table, const char *key,
		       struct nd_strvec *out);
/* Is there a table named table (or starting with "table.")? */
bool nd_toml_has_table(const char *text, const char *table);
/* Does [table] hold at least one key? */
bool nd_toml_table_has_keys(const char *text, const char *table);

/* --- plan helpers --------------------------------------------------- */

/* Project keys (NULL-safe when bp->p is NULL). */
const char *nd_bp_key(const struct nd_bp *bp, const char *key);
/* A reason that a project key decided something. */
void nd_bp_reason_key(struct nd_bp *bp, const char *what, const char *value,
		      const char *key);
void nd_bp_version(struct nd_bp *bp, const char *name, const char *value);
void nd_bp_warn(struct nd_bp *bp, const char *fmt, ...) ND_PRINTF(2, 3);

/*
 * A project error at key's position in nextdeploy.yml, or a source-file
 * error ("package.json: ...") when file is not NULL.
 */
int nd_bp_error(struct nd_bp *bp, struct nd_error *err, const char *key,
		const char *file, const char *fmt, ...) ND_PRINTF(5, 6);

/*
 * The commands, each with its precedence and reason:
 *  - start: build.start, then the Procfile's web:, then detected (file
 *    says which file decided); sets start_cmd and start_argv.
 *  - install / build: the project key, else detected.
 * *user tells whether the text came from the user (nextdeploy.yml): such
 * commands go into the Dockerfile in exec form (nd_df_run_user), ours in
 * shell form.
 */
int nd_bp_set_start(struct nd_bp *bp, const char *detected, const char *file,
		    struct nd_error *err);
int nd_bp_set_cmd(struct nd_bp *bp, char **dst, const char *key,
		  const char *what, const char *detected, const char *file,
		  bool *user, struct nd_error *err);
/* RUN for a command: shell form when ours, exec form when the user's. */
void nd_df_run(struct nd_buf *b, const char *cmd, bool user);
/*
 * The images: build.base_image / build.runtime_image, else the defaults.
 * When only base_image is set and runtime_follows_base, the runtime stage
 * uses it too (node, python: the installed packages must match).
 */
void nd_bp_images(struct nd_bp *bp, const char *def_base,
		  const char *def_runtime, bool runtime_follows_base,
		  const char *why);
/* The port: deploy.port, else def (with its reason). */
void nd_bp_port(struct nd_bp *bp, int def, const char *why, const char *file);
/* The probe, and a warning when the runtime image was overridden. */
void nd_bp_probe(struct nd_bp *bp, const char *probe, const char *why);
/* The Dockerfile header comment. */
void nd_df_header(struct nd_buf *b, const struct nd_plan *plan);
/* The end of every runtime stage: USER, EXPOSE, ENV PORT, CMD. */
void nd_df_runtime_tail(struct nd_buf *b, const struct nd_plan *plan);

/* --- checks before anything enters a Dockerfile --------------------- */

/*
 * A version as written by a project ("20.11.1", "3.12", "1.22rc1"):
 * letters, digits, '.', '-', '_' and '+', at most 64 bytes.
 */
bool nd_bp_version_ok(const char *s);
/* A relative path of [A-Za-z0-9._/@+-], no "..", no leading '-' or '/'. */
bool nd_bp_path_ok(const char *s);
/*
 * A command line: valid UTF-8, no control characters but tab and newline.
 * Returns NULL when ok, else what is wrong.
 */
const char *nd_bp_command_problem(const char *s);

/* --- command lines -------------------------------------------------- */

/*
 * Turn a shell command line written by a user ("npm start", "gunicorn
 * app:app -b 0.0.0.0:$PORT") into the argv of an exec-form CMD:
 *  - words with no shell syntax at all are the argv ("npm", "start");
 *  - one simple command that needs the shell (variables, globs, quotes
 *    with $, redirections, assignments) runs as
 *    ["/bin/sh", "-c", "exec CMD"], so the app is PID 1 and gets signals
 *    (leading VAR=value words stay before "exec");
 *  - anything compound (;, &&, ||, |, &, newlines, subshells, shell
 *    keywords) runs as ["/bin/sh", "-c", "CMD"].
 * Returns 0 or ND_EPROJECT with msg set (unterminated quote, control
 * character, empty command).
 */
int nd_bp_cmd_argv(struct nd_strvec *out, const char *cmd, struct nd_error *err);

/* --- Dockerfile writing --------------------------------------------- */

/* A JSON string literal (quotes included), as Dockerfile exec form wants. */
void nd_df_json_string(struct nd_buf *b, const char *s);
/* ["a", "b", ...] */
void nd_df_json_array(struct nd_buf *b, const struct nd_strvec *v);
/* "INSTR ["a", "b"]\n" */
void nd_df_exec(struct nd_buf *b, const char *instr, const struct nd_strvec *v);
/* RUN ["/bin/sh", "-c", cmd]: a user's command, never parsed by us. */
void nd_df_run_user(struct nd_buf *b, const char *cmd);
/*
 * RUN that writes a file from lines, each passed as an argument so that
 * no shell ever parses the content:
 *	RUN ["/bin/sh", "-c", "mkdir -p DIR && printf '%s\n' \"$@\" >PATH",
 *	     "sh", "line 1", ...]
 */
void nd_df_write_file(struct nd_buf *b, const char *path,
		      const struct nd_strvec *lines);
/*
 * What every stage but the final (runtime) one declares, right after its
 * FROM and setup: the LABEL nextdeploy.managed="true", nextdeploy.app and
 * nextdeploy.stage="<stage>" -- so the stage's untagged image (the build
 * cache of the dependency install) is the project's, and `prune` can find
 * it -- then one ARG line per build.args name (names were checked).
 * Nothing without a project (bp->p NULL: `init`). The final stage starts
 * from a new FROM and never inherits these labels.
 */
void nd_df_stage_prelude(struct nd_buf *b, const struct nd_bp *bp,
			 const char *stage);
/* CMD for the plan's start argv. */
void nd_df_cmd(struct nd_buf *b, const struct nd_plan *plan);
/* The non-root user every runtime stage ends with. */
#define ND_BP_UID "10001"

/* --- Procfile, Staticfile, compose ---------------------------------- */

struct nd_bp_procfile {
	struct nd_kvlist entries; /* name -> command, in file order */
};
/* Parse a Procfile's text; ND_EPROJECT with "Procfile:LINE:" positions. */
int nd_bp_procfile_parse(struct nd_bp_procfile **out, const char *file,
			 const char *text, struct nd_error *err);
void nd_bp_procfile_free(struct nd_bp_procfile *pf);

/* Staticfile (Cloud Foundry staticfile buildpack format, a YAML mapping). */
struct nd_bp_staticfile {
	char *root;	/* folder served, relative; NULL: the default */
	bool pushstate; /* SPA: unknown paths serve /index.html */
	bool gzip;	/* default on */
	bool directory; /* autoindex; default off */
	struct nd_kvlist status_codes; /* "404" -> "/404.html" */
	bool pushstate_set;
	struct nd_strvec ignored; /* keys we do not implement (warned) */
};
void nd_bp_staticfile_init(struct nd_bp_staticfile *sf);
void nd_bp_staticfile_release(struct nd_bp_staticfile *sf);
/* Parse YAML text into sf (which holds the defaults). */
int nd_bp_staticfile_parse(struct nd_bp_staticfile *sf, const char *file,
			   const char *text, struct nd_error *err);

/* Parse a compose file into plan->services. */
int nd_bp_compose_parse(struct nd_plan *plan, const char *file,
			const char *text, struct nd_error *err);

/* --- the kinds ------------------------------------------------------ */

bool nd_bp_node_detect(struct nd_bp *bp);
int nd_bp_node_plan(struct nd_bp *bp, struct nd_error *err);
bool nd_bp_python_detect(struct nd_bp *bp);
int nd_bp_python_plan(struct nd_bp *bp, struct nd_error *err);
bool nd_bp_go_detect(struct nd_bp *bp);
int nd_bp_go_plan(struct nd_bp *bp, struct nd_error *err);
bool nd_bp_rust_detect(struct nd_bp *bp);
int nd_bp_rust_plan(struct nd_bp *bp, struct nd_error *err);
bool nd_bp_static_detect(struct nd_bp *bp);
/*
 * The static kind. build_stage: the text of the stages that build the
 * site (a node build), or NULL for files served as they are; from_dir is
 * then the folder in that stage that holds the built site.
 */
int nd_bp_static_plan(struct nd_bp *bp, const char *build_stage,
		      const char *from_dir, struct nd_error *err);

#endif
