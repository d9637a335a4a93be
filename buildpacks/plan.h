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
 */

struct nd_plan_reason {
	char *what;  /* "language", "package manager", "node version", ... */
	char *value; /* "node", "npm", "20.11.1" */
	char *file;  /* the file that decided it ("package-lock.json"), or NULL
			(a default) */
};

struct nd_plan_process {
	char *name;    /* Procfile process type: "web", "worker", ... */
	char *command; /* its command line */
};

/* A compose service (compose buildpack). */
struct nd_plan_service {
	char *name;
	char *image;       /* `image:` when not built */
	char *context;     /* `build.context`, relative to the source folder */
	char *dockerfile;  /* `build.dockerfile`, relative to its context */
	struct nd_strvec command; /* exec form, or empty */
	struct nd_kvlist env;
	int port;          /* first container port it exposes, or 0 */
};

struct nd_plan {
	int buildpack;       /* enum nd_buildpack, never ND_BP_AUTO */
	char *kind;          /* "node", "python", "go", "rust", "static",
				"dockerfile", "compose" */
	char *language_version; /* as exactly as the project states it */
	char *package_manager;  /* npm, yarn, pnpm, bun, pip, poetry, uv,
				   pipenv, go, cargo, or NULL */
	char *framework;        /* next, vite, cra, django, flask, fastapi... */
	char *install_cmd;
	char *build_cmd;
	char *start_cmd;
	char *release_cmd;      /* Procfile release: (pre-deploy step) */
	int port;
	char *probe;
	char *base_image;
	char *runtime_image;
	char *context;          /* relative to the source folder */
	char *dockerfile;       /* synthesized text, or NULL */
	char *dockerfile_path;  /* the app's own Dockerfile (context-relative) */
	char *target;           /* build target stage, or NULL */
	struct nd_kvlist labels;
	struct nd_plan_reason *reasons;
	size_t nreasons;
	struct nd_plan_process *processes;
	size_t nprocesses;
	struct nd_plan_service *services; /* compose */
	size_t nservices;
	struct nd_strvec warnings;
};

/*
 * Make the plan for project p whose source is in src_dir (an absolute
 * folder, after git clone and subdir). Errors: ND_EPROJECT for a bad
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

#endif
