/* SPDX-License-Identifier: MIT */
#ifndef ND_APP_BUILD_H
#define ND_APP_BUILD_H

#include "core/common.h"
#include "core/error.h"
#include "core/kv.h"
#include "docker/build.h"

struct nd_engine;
struct nd_project;
struct nd_source_progress;

/*
 * Building an app's image: what `nextdeploy build` does, and what `local
 * run` and `run --build` do before they run it.
 *
 *   1. the source (core/source.h): source.path, or a clone of source.git
 *      at source.ref, then source.subdir;
 *   2. the plan (buildpacks/plan.h): the Dockerfile (synthesized or the
 *      app's own), the context folder, labels, target;
 *   3. the release tag, in this order:
 *      - opts.tag, then image.tag in the project (unless "auto");
 *      - with git (a clone, or a source.path that is a committed folder
 *        of a work tree): the short commit id, git's unique abbreviation
 *        of 7 or more hex digits, as `git rev-parse --short HEAD` prints
 *        it; but when the context a source.path sends differs from the
 *        commit (a path `git status --ignored` shows is in the context and
 *        not left out by .dockerignore: an edit, a new file, an ignored
 *        build output or node_modules...), "<short>-dirty-<8 hex digits of
 *        the content hash>", so a changed tree never reuses a clean
 *        commit's tag and equal changed trees share theirs;
 *      - otherwise the first 12 hex digits of the context's content hash
 *        (core/context.h: names, modes, link targets and contents after
 *        .dockerignore, and the synthesized Dockerfile);
 *   4. when the tag was derived (not given), and <image>:<tag> exists on
 *      the engine with this app's labels, nextdeploy.release=<tag> and the
 *      same nextdeploy.build-config (a hash of the Dockerfile, the target,
 *      the build args and the labels asked for: what shapes the image
 *      besides the source), the build is skipped (result.skipped), unless
 *      opts.force, opts.no_cache or opts.pull (which ask for a new build);
 *   5. the pre-build hook (core/hooks.h), in the source folder, unless
 *      opts.no_hooks; it may change files, but the tag is already set;
 *   5b. the build marker (core/marker.h): a volume that tells a prune
 *      running meanwhile to leave this app's images alone, made before
 *      the context is sent; then, while a prune of the app (or of every
 *      app) that started first still runs, a wait (ND_AB_WAITING, polled
 *      every half second, at most ND_BUILD_PRUNE_WAIT_S, then a warning
 *      and the build goes on). The marker is removed on every path; from
 *      its creation to its removal SIGINT/SIGTERM/SIGHUP are deferred
 *      (core/signals.h): the build is cancelled within about a second,
 *      the marker removed, then the signal raised again;
 *   6. the build (docker/build.h), tagged <image>:<tag>, where <image> is
 *      [image.registry/]image.name (default: the app name), with the
 *      labels of HACKING.md "Image labels": the plan's (nextdeploy.port
 *      and nextdeploy.probe from the plan when it has no such labels),
 *      org.opencontainers.image.source/revision/created, build.labels and
 *      opts.labels, then nextdeploy.managed/app/release/service and
 *      nextdeploy.build-config;
 *   7. the clone is removed, on every path (and on signals: core/cleanup.h).
 *
 * A compose plan builds one image per service that has a build section,
 * named <image>-<service>:<tag> and labeled nextdeploy.service=<service>
 * (nextdeploy.port from the service); they share the release tag (for a
 * content hash: over every service's context) and are skipped only all
 * together. result.images lists them; result.image is the first.
 *
 * Build args: build.args, then opts.build_args over them. An arg named in
 * deploy.secrets is refused (ND_EPROJECT or ND_EUSAGE): secrets never go
 * into builds, where they would stay in the image's history. The values of
 * deploy.secrets that can be read here are masked in all build output.
 *
 * This code never prints: it reports through opts.on_event.
 */

/* How long a build waits for a running prune of its app. */
#define ND_BUILD_PRUNE_WAIT_S 120

enum nd_app_build_event_kind {
	ND_AB_SOURCE,  /* text: "cloning URL", "using FOLDER" */
	ND_AB_CLONE,   /* clone: clone progress */
	ND_AB_PLAN,    /* text: the plan's kind ("dockerfile", "node") */
	ND_AB_HASH,    /* text: NULL; hashing the context (can take a while) */
	ND_AB_RELEASE, /* text: the image reference about to be built */
	ND_AB_SKIPPED, /* text: the image reference, already built */
	ND_AB_HOOK,    /* text: the hook about to run ("pre-build") */
	ND_AB_WARNING, /* text: a warning (a skipped special file, ...) */
	ND_AB_WAITING, /* text: waiting for a prune to finish (once) */
	ND_AB_BUILD,   /* build: an event of the build stream */
};

struct nd_app_build_event {
	enum nd_app_build_event_kind kind;
	const char *text;
	const struct nd_source_progress *clone;
	const struct nd_build_event *build;
};

struct nd_app_build_opts {
	bool force; /* build even when the release tag exists */
	bool no_cache;
	bool pull;
	bool no_hooks;	    /* do not run the pre-build hook */
	const char *tag;    /* the release tag (validated by the caller) */
	const char *target; /* over the plan's target */
	const struct nd_kvlist *build_args; /* NULL value: from the
					       environment, else unset */
	const struct nd_kvlist *labels;
	const char *service; /* nextdeploy.service; NULL: "web" */
	void (*on_event)(const struct nd_app_build_event *ev, void *ud);
	void *ud;
	struct nd_build_log *log; /* live build state (may be NULL) */
};

struct nd_app_build_image {
	char *service; /* nextdeploy.service */
	char *image;   /* "<image>:<tag>" */
	char *image_id;
};

struct nd_app_build_result {
	char *image;	/* "<image>:<tag>" */
	char *repo;	/* "<image>" */
	char *release;	/* the tag */
	char *image_id; /* "sha256:..." */
	bool skipped;	/* it existed already */
	/* where the tag came from: "option", "project", "commit",
	   "commit-dirty", "content" */
	const char *tag_source;
	char *buildpack;	/* the plan's kind */
	char *dockerfile;	/* the Dockerfile's name in the context */
	char *commit;		/* full commit id, or NULL */
	char *source_url;	/* the git repository, or NULL */
	char *content_hash;	/* 64 hex digits, when it was computed */
	uint64_t context_bytes; /* file bytes sent (0 when skipped) */
	struct nd_app_build_image *images; /* every image (compose: one per
					      built service) */
	size_t nimages;
	double seconds; /* wall time of the whole operation */
};

int nd_app_build(struct nd_engine *e, const struct nd_project *p,
		 const struct nd_app_build_opts *o,
		 struct nd_app_build_result *res, struct nd_error *err);
void nd_app_build_result_release(struct nd_app_build_result *res);

/* "[registry/]name" of the project's image (malloc'd). */
char *nd_app_image_repo(const struct nd_project *p);

/*
 * The readable values of deploy.secrets (from the environment or their
 * files), for masking; NULL-terminated, free with nd_strvec_release.
 */
void nd_app_secret_values(const struct nd_project *p, struct nd_strvec *out);

#endif
