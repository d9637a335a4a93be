/* SPDX-License-Identifier: MIT */
#ifndef ND_API_H
#define ND_API_H

#include "core/common.h"
#include "docker/engine.h"
#include "core/units.h"

struct cJSON;

/*
 * Typed, small calls of the Engine API that the commands need. Results are
 * cJSON trees in the engine's own shape (documented in
 * ../shared/engine-api/swagger-v1.41.yaml), owned by the caller. Every
 * function returns 0 or a negative ND_E* code with err filled.
 *
 * Podman differences the helpers already smooth over: names without the
 * leading '/', 500 instead of 409 (mapped to ND_ECONFLICT by the transport),
 * `[]` instead of null for empty prune results (nd_json_array_or_empty()).
 */

/* Filters: the JSON map[string][]string of the `filters` parameter. */
struct nd_filters {
	struct cJSON *map;
};
#define ND_FILTERS_INIT \
	{               \
		NULL    \
	}
void nd_filters_add(struct nd_filters *f, const char *key, const char *value);
/* Append "filters=<urlencoded json>" (with sep '?' or '&') to b, if any. */
void nd_filters_append_query(const struct nd_filters *f, struct nd_buf *b,
			     char sep);
void nd_filters_release(struct nd_filters *f);

/* The project's label filter: managed=true and app=<app>. */
void nd_filters_project(struct nd_filters *f, const char *app);

/* GET /_ping already happened in nd_engine_connect; these are the rest. */
int nd_engine_version(struct nd_engine *e, struct cJSON **out,
		      struct nd_error *err);
int nd_engine_info(struct nd_engine *e, struct cJSON **out,
		   struct nd_error *err);
/* GET /system/df */
int nd_engine_df(struct nd_engine *e, struct cJSON **out, struct nd_error *err);

/* Containers */
int nd_containers_list(struct nd_engine *e, bool all,
		       const struct nd_filters *f, struct cJSON **out,
		       struct nd_error *err);
int nd_container_inspect(struct nd_engine *e, const char *id,
			 struct cJSON **out, struct nd_error *err);
/* POST /containers/create?name=; *id_out is malloc'd. */
int nd_container_create(struct nd_engine *e, const char *name,
			const struct cJSON *config, char **id_out,
			struct nd_error *err);
/* start/stop answer 304 when already in that state: success. */
int nd_container_start(struct nd_engine *e, const char *id,
		       struct nd_error *err);
/* timeout_s < 0: the engine's default */
int nd_container_stop(struct nd_engine *e, const char *id, int timeout_s,
		      struct nd_error *err);
int nd_container_restart(struct nd_engine *e, const char *id, int timeout_s,
			 struct nd_error *err);
int nd_container_kill(struct nd_engine *e, const char *id, const char *signal,
		      struct nd_error *err);
int nd_container_remove(struct nd_engine *e, const char *id, bool force,
			bool volumes, struct nd_error *err);
/* POST /containers/{id}/wait?condition=...; *status_out = exit code */
int nd_container_wait(struct nd_engine *e, const char *id,
		      const char *condition, long *status_out,
		      struct nd_error *err);

/* Images */
int nd_images_list(struct nd_engine *e, bool all, const struct nd_filters *f,
		   struct cJSON **out, struct nd_error *err);
int nd_image_inspect(struct nd_engine *e, const char *ref, struct cJSON **out,
		     struct nd_error *err);
/* DELETE /images/{ref}; *out (may be NULL) gets the Untagged/Deleted list */
int nd_image_remove(struct nd_engine *e, const char *ref, bool force,
		    struct cJSON **out, struct nd_error *err);
int nd_image_tag(struct nd_engine *e, const char *src, const char *repo,
		 const char *tag, struct nd_error *err);

/* Networks */
int nd_networks_list(struct nd_engine *e, const struct nd_filters *f,
		     struct cJSON **out, struct nd_error *err);
int nd_network_inspect(struct nd_engine *e, const char *name,
		       struct cJSON **out, struct nd_error *err);
/* Create with labels (a JSON object, not consumed); *id_out may be NULL. */
int nd_network_create(struct nd_engine *e, const char *name,
		      const struct cJSON *labels, char **id_out,
		      struct nd_error *err);
/* Create unless it exists (by name); idempotent. */
int nd_network_ensure(struct nd_engine *e, const char *name,
		      const struct cJSON *labels, struct nd_error *err);
int nd_network_remove(struct nd_engine *e, const char *name,
		      struct nd_error *err);
int nd_network_connect(struct nd_engine *e, const char *network,
		       const char *container, const char *const *aliases,
		       struct nd_error *err);

/* Volumes */
int nd_volumes_list(struct nd_engine *e, const struct nd_filters *f,
		    struct cJSON **out, struct nd_error *err);
int nd_volume_inspect(struct nd_engine *e, const char *name, struct cJSON **out,
		      struct nd_error *err);
int nd_volume_create(struct nd_engine *e, const char *name,
		     const struct cJSON *labels, struct nd_error *err);
int nd_volume_remove(struct nd_engine *e, const char *name, bool force,
		     struct nd_error *err);

/* --- small helpers over engine JSON --- */

/* String member or NULL. */
const char *nd_json_str(const struct cJSON *obj, const char *key);
/* Number member (as double: cJSON's valueint clamps at INT_MAX) or def. */
double nd_json_num(const struct cJSON *obj, const char *key, double def);
/* Labels.key of a container/image summary or inspect Config. */
const char *nd_json_label(const struct cJSON *obj, const char *key);
/* A container's first name without the leading '/'. */
const char *nd_container_name(const struct cJSON *summary);
/* nd_parse_rfc3339(), nd_rfc3339_ns(): core/units.h */

#endif
