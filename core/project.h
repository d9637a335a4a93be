/* SPDX-License-Identifier: MIT */
#ifndef ND_PROJECT_H
#define ND_PROJECT_H

#include "core/common.h"
#include "core/error.h"
#include "core/kv.h"

/*
 * The project file, nextdeploy.yml (SPEC.md "Project file"; the reference is
 * nextdeploy.yml(5), generated from the same key table as this parser).
 *
 * Loading is strict and all-or-nothing: an unknown key, a duplicate key, a
 * wrong type or a bad value is an ND_EPROJECT error naming file:line:col
 * and what was expected, and nothing is returned. Unset optional values
 * are NULL / 0 / false, and nd_project_* accessors give the defaults.
 */

enum nd_buildpack {
	ND_BP_AUTO = 0,
	ND_BP_NIXPACKS,
	ND_BP_STATIC,
	ND_BP_DOCKERFILE,
	ND_BP_COMPOSE,
};

enum nd_tls_mode { ND_TLS_AUTO = 0, ND_TLS_INTERNAL, ND_TLS_OFF };
enum nd_target { ND_TARGET_ENGINE = 0, ND_TARGET_SWARM };

struct nd_secret {
	char *name;	 /* the variable / file name in the container */
	char *from_env;	 /* take the value from this client env var */
	char *from_file; /* or from this file (relative to the project dir) */
	int line, col;
};

struct nd_volume {
	char *name;   /* named volume (prefixed nd-<app>- on the engine) */
	char *target; /* absolute path in the container */
	int line, col;
};

struct nd_project {
	char *path; /* the project file, absolute */
	char *dir;  /* the folder holding it, absolute */

	char *app;

	struct {
		char *path; /* default "." (relative to dir) */
		char *git;  /* URL or path of a repository */
		char *ref;  /* branch, tag or commit */
		char *subdir;
		char *token_env; /* env var holding an https token */
	} source;

	struct {
		enum nd_buildpack buildpack;
		char *dockerfile;
		char *context;
		struct nd_kvlist args;
		struct nd_kvlist labels;
		char *target;
		char *base_image;
		char *runtime_image;
		char *install;
		char *command; /* build command */
		char *start;
		char *output_dir;
		char *compose_file;
	} build;

	struct {
		char *name;
		char *tag; /* NULL or "auto": derived */
		char *registry;
	} image;

	struct {
		long port;     /* 0: unset (detected or default) */
		long publish;  /* -1: unset; 0: the engine picks */
		long replicas; /* 0: unset (1) */
		struct nd_kvlist env;
		char *env_file;
		struct nd_secret *secrets;
		size_t nsecrets;
		struct nd_volume *volumes;
		size_t nvolumes;
		struct {
			bool set;
			char *path;
			struct nd_strvec command; /* exec form */
			char *command_shell;	  /* string form: sh -c */
			int64_t interval_ms, timeout_ms, start_period_ms;
			long retries;
		} healthcheck;
		struct {
			int64_t memory; /* bytes; 0 unset */
			double cpus;	/* 0 unset */
		} resources;
		char *restart; /* no | always | on-failure[:N] | unless-stopped */
		enum nd_target target;
		struct nd_strvec domains;
		enum nd_tls_mode tls;
		bool tls_set;
		struct {
			char *image;
			long http_port;	 /* 0: unset (80) */
			long https_port; /* 0: unset (443) */
		} proxy;
		int64_t stop_timeout_ms; /* drain time for the old release */
	} deploy;

	/* where each key was found: "deploy.port" -> line, col */
	struct nd_kvlist positions;
};

#define ND_PROJECT_FILE "nextdeploy.yml"

/* Load and validate a project file. */
int nd_project_load(struct nd_project **out, const char *path,
		    struct nd_error *err);
/* Parse from memory (tests); name is used in messages, dir is its folder. */
int nd_project_parse(struct nd_project **out, const char *name, const char *dir,
		     const char *data, size_t len, struct nd_error *err);
void nd_project_free(struct nd_project *p);

/*
 * The error of a libyaml parser whose yaml_parser_load failed, at file's
 * line and column: "invalid YAML: <problem> <context>", with a hint naming
 * where the construct began. Returns ND_EPROJECT.
 */
struct yaml_parser_s;
int nd_yaml_error(struct nd_error *err, const char *file,
		  const struct yaml_parser_s *parser);

/*
 * Find the project file: start_dir/nextdeploy.yml (or .yaml), then each
 * parent folder up to the root. *path_out is malloc'd. ND_ENOTFOUND when
 * there is none.
 */
int nd_project_find(char **path_out, const char *start_dir,
		    struct nd_error *err);

/* Where a key was found (dotted path); false when unknown. */
bool nd_project_pos(const struct nd_project *p, const char *key, int *line,
		    int *col);
/* Set err at the position of key ("deploy.port"), or at the file. */
ND_PRINTF(4, 5)
int nd_project_error(const struct nd_project *p, struct nd_error *err,
		     const char *key, const char *fmt, ...);

/* Defaults */
const char *nd_buildpack_name(enum nd_buildpack bp);
const char *nd_project_image_name(const struct nd_project *p);
long nd_project_replicas(const struct nd_project *p);
const char *nd_project_proxy_image(const struct nd_project *p);
const char *nd_project_restart(const struct nd_project *p);
int64_t nd_project_stop_timeout_ms(const struct nd_project *p);

/* Validators shared with the command line */
bool nd_app_name_valid(const char *s);
bool nd_image_ref_valid(const char *s);
bool nd_image_tag_valid(const char *s);
bool nd_domain_valid(const char *s);

/*
 * The key table, for nextdeploy.yml(5) and `init`: each documented key
 * with its type and a one-line description.
 */
struct nd_project_key_doc {
	const char *key;  /* dotted: "deploy.healthcheck.path" */
	const char *type; /* "string", "integer", "mapping", ... */
	const char *doc;
};
extern const struct nd_project_key_doc nd_project_key_docs[];

#endif
