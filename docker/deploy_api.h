/* SPDX-License-Identifier: MIT */
#ifndef ND_DEPLOY_API_H
#define ND_DEPLOY_API_H

#include "core/common.h"
#include "core/buf.h"
#include "docker/engine.h"

struct cJSON;

/*
 * Engine calls that deploying needs beyond docker/api.h: files into and out
 * of a container (the archive endpoints, tars made and read by libarchive),
 * the tail of a container's log, renaming, pulling one image.
 */

/* One file to put into a container. */
struct nd_put_file {
	const char *name; /* path relative to the destination folder */
	const char *data;
	size_t len;
	unsigned mode; /* 0400, 0644 ... */
	long uid, gid;
};

/*
 * PUT /containers/{id}/archive?path=<dir>: a tar holding `dirs` (relative
 * folders created with dir_mode and the files' owner, may be NULL) and the
 * files. Works on created (not yet started) containers, so secrets and
 * configuration are in place before the process starts. The engine creates
 * missing parents of the entries (root, 0755); `dir` itself must exist.
 * `secrets`: strings to redact from NEXTDEPLOY_TRACE (the tar may hold
 * secret bytes).
 */
int nd_container_put_files(struct nd_engine *e, const char *id, const char *dir,
			   const char *const *dirs, unsigned dir_mode,
			   const struct nd_put_file *files, size_t nfiles,
			   const char *const *secrets, struct nd_error *err);

/*
 * GET /containers/{id}/archive?path=<path> of one regular file into out
 * (at most cap bytes). ND_ENOTFOUND when there is no such file.
 */
int nd_container_get_file(struct nd_engine *e, const char *id, const char *path,
			  size_t cap, struct nd_buf *out, struct nd_error *err);

/*
 * The last n lines of a container's log (stdout and stderr together,
 * demultiplexed unless the container has a TTY), at most cap bytes kept.
 */
int nd_container_logs_tail(struct nd_engine *e, const char *id, int n,
			   size_t cap, struct nd_buf *out,
			   struct nd_error *err);

/* POST /containers/{id}/rename?name= */
int nd_container_rename(struct nd_engine *e, const char *id, const char *name,
			struct nd_error *err);

/*
 * POST /images/create?fromImage=&tag=: pull ref (name[:tag] or
 * name@digest) anonymously; in-stream errors are errors.
 */
int nd_image_pull_simple(struct nd_engine *e, const char *ref,
			 struct nd_error *err);

/*
 * The app's images (labeled nextdeploy.managed=true, nextdeploy.app=app,
 * and nextdeploy.release=release when not NULL). Only the app label goes
 * to the engine: Podman 4.3's /images/json answers [] to two label
 * filters; the rest is checked here.
 */
int nd_app_images_list(struct nd_engine *e, const char *app,
		       const char *release, struct cJSON **out,
		       struct nd_error *err);

/* Does an image exist on the engine? (GET /images/{ref}/json) */
int nd_image_exists(struct nd_engine *e, const char *ref, bool *exists,
		    struct nd_error *err);

#endif
