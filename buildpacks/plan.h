/* SPDX-License-Identifier: MIT */
#ifndef ND_PLAN_H
#define ND_PLAN_H

#include "core/common.h"
#include "core/error.h"
#include "core/kv.h"

struct cJSON;
struct nd_project;

/*
 * The build plan: what `nextdeploy plan` prints and `build` executes.
 * Made from the project file and the source folder (after clone/subdir):
 * which buildpack, which language and versions, which commands, and the
 * Dockerfile (synthesized, or the app's own), each decision with the file
 * that decided it.
 *
 * Contract with the rest of the program:
 * - `dockerfile` is the synthesized Dockerfile's text, or NULL when the
 *   app's own Dockerfile is used (`dockerfile_path`, relative to the
 *   context folder).
 * - `context` is the build context folder relative to the source folder
 *   ("." by default).
 * - `labels` are image labels the build must add (the probe kind, the
 *   port, Procfile processes...): see HACKING.md "Image labels".
 * - `probe` says how nextdeploy can check HTTP health from inside a
 *   container of this image: "node", "python", "wget", "curl", a path to a
 *   probe binary in the image, or "none".
 * - The OCI labels org.opencontainers.image.source, .revision and
 *   .created are NOT in `labels` nor in the Dockerfile (which stays
 *   deterministic): only the build knows the remote, the commit and the
 *   time, and adds them through the build API's `labels` parameter, as it
 *   adds nextdeploy.managed/app/release/service and build.labels.
 * - build.args: the synthesized Dockerfile declares `ARG NAME` for each in
 *   its build stage only (so values never reach the runtime image's
 *   history); the build passes the values as `buildargs`.
 * - Label values (HACKING.md "Image labels"): nextdeploy.port is the port
 *   in decimal; nextdeploy.release-command is a JSON array (exec form) of
 *   the Procfile `release:` step; nextdeploy.processes is a JSON object of
 *   the other Procfile types, name -> exec-form argv array (the same form
 *   as release-command), e.g. {"worker":["python","worker.py"]}.
 *
 * Start commands are shell command lines as a user writes them ("npm
 * start"); `start_argv` is the exec form the Dockerfile's CMD holds (see
 * nd_plan_cmd_argv()).
 */

struct nd_plan_reason {
	char *what;  /* "language", "package manager", "node version", ... */
	char *value; /* "node", "npm", "20.11.1" */
	char *file;  /* the file that decided it ("package-lock.json"), or NULL
			(a default) */
	char *key;   /* the nextdeploy.yml key that decided it ("build.start"),
			or NULL; file is then "nextdeploy.yml" */
};

struct nd_plan_process {
	char *name;    /* Procfile process type: "web", "worker", ... */
	char *command; /* its command line */
};

/* A compose service (compose buildpack). */
struct nd_plan_service {
	char *name;
	char *image;	  /* `image:` when not built */
	char *context;	  /* `build.context`, relative to the source folder */
	char *dockerfile; /* `build.dockerfile`, relative to its context */
	struct nd_strvec command; /* exec form, or empty */
	struct nd_kvlist env;
	int port; /* first container port it exposes, or 0 */
};

struct nd_plan {
	int buildpack;		/* enum nd_buildpack, never ND_BP_AUTO */
	char *kind;		/* "node", "python", "go", "rust", "static",
				"dockerfile", "compose" */
	char *language_version; /* as exactly as the project states it */
	char *package_manager;	/* npm, yarn, pnpm, bun, pip, poetry, uv,
				   pipenv, go, cargo, or NULL */
	char *framework;	/* next, vite, cra, django, flask, fastapi... */
	char *install_cmd;
	char *build_cmd;
	char *start_cmd;
	char *release_cmd; /* Procfile release: (pre-deploy step) */
	int port;
	char *probe;
	char *base_image;
	char *runtime_image;
	char *context;	       /* relative to the source folder */
	char *dockerfile;      /* synthesized text, or NULL */
	char *dockerfile_path; /* the app's own Dockerfile (context-relative) */
	char *target;	       /* build target stage, or NULL */
	struct nd_kvlist labels;
	struct nd_plan_reason *reasons;
	size_t nreasons;
	struct nd_plan_process *processes;
	size_t nprocesses;
	struct nd_plan_service *services; /* compose */
	size_t nservices;
	struct nd_strvec warnings;

	/* Added with detection (issue 4). */
	char *language;		   /* node, python, go, rust; NULL for files
				   served as they are and for dockerfile /
				   compose */
	struct nd_kvlist versions; /* "node" -> "20.11.1", in decision order */
	struct nd_strvec start_argv;   /* exec form of start_cmd (CMD) */
	struct nd_strvec release_argv; /* exec form of release_cmd, or empty */
	char *output_dir;   /* static: the folder served (context-relative
				   or in the build stage) */
	bool spa;	    /* static: unknown paths serve /index.html */
	char *name_hint;    /* the app's own name (package.json name,
				   Cargo.toml package.name...), for init */
	char *compose_file; /* compose: the file, context-relative */
};

/*
 * Make the plan for project p whose source is in src_dir (an absolute
 * folder, after git clone and subdir). p may be NULL (init): detection
 * with every project key unset. Errors: ND_EPROJECT for a bad
 * configuration (with the project file's position where one applies, or
 * the source file's), ND_ENOTFOUND when nothing could be detected (with a
 * hint listing what was looked for).
 */
int nd_plan_make(struct nd_plan **out, const struct nd_project *p,
		 const char *src_dir, struct nd_error *err);
void nd_plan_free(struct nd_plan *plan);

/* The plan as JSON (plan --json; stable snake_case keys). */
struct cJSON *nd_plan_json(const struct nd_plan *plan);

/* Record a reason (copies). */
void nd_plan_reason(struct nd_plan *plan, const char *what, const char *value,
		    const char *file);

/*
 * Exec form of a shell command line written by a user (see
 * buildpacks/bp.h nd_bp_cmd_argv for the rules): plain words become the
 * argv; one simple command that needs the shell becomes
 * ["/bin/sh", "-c", "exec CMD"]; compound ones ["/bin/sh", "-c", "CMD"].
 * ND_EPROJECT for an unterminated quote, a control character or an empty
 * command.
 */
int nd_plan_cmd_argv(struct nd_strvec *out, const char *cmd,
		     struct nd_error *err);

/*
 * A commented nextdeploy.yml for `init`, from a plan made with p == NULL
 * (detection only). app must be a valid app name. The text is malloc'd.
 */
char *nd_plan_init_yaml(const struct nd_plan *plan, const char *app);

/*
 * An app name from a free-form name (a folder, a package name):
 * lowercased, anything outside [a-z0-9_.-] becomes '-', a scope "@x/"
 * dropped, leading separators removed, at most 63 characters. NULL when
 * nothing usable is left.
 */
char *nd_plan_app_name(const char *name);

#endif
