/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "docker/api.h"

#include <cjson/cJSON.h>
#include <time.h>

void nd_filters_add(struct nd_filters *f, const char *key, const char *value)
{
	cJSON *arr;

	if (!f->map)
		f->map = cJSON_CreateObject();
	arr = cJSON_GetObjectItemCaseSensitive(f->map, key);
	if (!arr)
		arr = cJSON_AddArrayToObject(f->map, key);
	cJSON_AddItemToArray(arr, cJSON_CreateString(value));
}

void nd_filters_append_query(const struct nd_filters *f, struct nd_buf *b,
			     char sep)
{
	char *json;

	if (!f || !f->map)
		return;
	json = cJSON_PrintUnformatted(f->map);
	nd_buf_addf(b, "%cfilters=", sep);
	nd_buf_add_urlencoded(b, json);
	free(json);
}

void nd_filters_release(struct nd_filters *f)
{
	if (!f)
		return;
	cJSON_Delete(f->map);
	f->map = NULL;
}

void nd_filters_project(struct nd_filters *f, const char *app)
{
	char *l = nd_xprintf("nextdeploy.app=%s", app);

	nd_filters_add(f, "label", "nextdeploy.managed=true");
	nd_filters_add(f, "label", l);
	free(l);
}

/* Build "/path?x" + filters, GET it as JSON. */
static int get_with_filters(struct nd_engine *e, const char *path,
			    const struct nd_filters *f, cJSON **out,
			    struct nd_error *err)
{
	struct nd_buf b = ND_BUF_INIT;
	int r;

	nd_buf_adds(&b, path);
	nd_filters_append_query(f, &b, strchr(path, '?') ? '&' : '?');
	r = nd_engine_get_json(e, b.buf, out, err);
	nd_buf_release(&b);
	return r;
}

/* A path with one escaped component: fmt has one %s. */
static char *path1(const char *fmt, const char *id)
{
	struct nd_buf b = ND_BUF_INIT;
	char *p;

	nd_buf_add_urlencoded(&b, id);
	p = nd_xprintf(fmt, b.buf);
	nd_buf_release(&b);
	return p;
}

int nd_engine_version(struct nd_engine *e, cJSON **out, struct nd_error *err)
{
	return nd_engine_get_json(e, "/version", out, err);
}

int nd_engine_info(struct nd_engine *e, cJSON **out, struct nd_error *err)
{
	return nd_engine_get_json(e, "/info", out, err);
}

int nd_engine_df(struct nd_engine *e, cJSON **out, struct nd_error *err)
{
	return nd_engine_get_json(e, "/system/df", out, err);
}

int nd_containers_list(struct nd_engine *e, bool all,
		       const struct nd_filters *f, cJSON **out,
		       struct nd_error *err)
{
	return get_with_filters(
		e, all ? "/containers/json?all=1" : "/containers/json", f, out,
		err);
}

int nd_container_inspect(struct nd_engine *e, const char *id, cJSON **out,
			 struct nd_error *err)
{
	char *p = path1("/containers/%s/json", id);
	int r = nd_engine_get_json(e, p, out, err);

	free(p);
	return r;
}

int nd_container_create(struct nd_engine *e, const char *name,
			const cJSON *config, char **id_out,
			struct nd_error *err)
{
	char *p = path1("/containers/create?name=%s", name);
	cJSON *res = NULL;
	int r = nd_engine_call_json(e, "POST", p, config, &res, err);

	if (r == 0) {
		const char *id = nd_json_str(res, "Id");

		if (!id)
			r = nd_error_set(
				err, ND_EGENERIC,
				"the engine created '%s' but sent no ID", name);
		else if (id_out)
			*id_out = nd_strdup(id);
	}
	cJSON_Delete(res);
	free(p);
	return r;
}

static int simple_post(struct nd_engine *e, const char *path,
		       struct nd_error *err)
{
	struct nd_req req = { 0 };

	req.method = "POST";
	req.path = path;
	return nd_engine_request(e, &req, NULL, err);
}

int nd_container_start(struct nd_engine *e, const char *id, struct nd_error *err)
{
	char *p = path1("/containers/%s/start", id);
	int r = simple_post(e, p, err);

	free(p);
	return r;
}

static int stopish(struct nd_engine *e, const char *verb, const char *id,
		   int timeout_s, struct nd_error *err)
{
	struct nd_buf b = ND_BUF_INIT;
	struct nd_req req = { 0 };
	int r;

	nd_buf_adds(&b, "/containers/");
	nd_buf_add_urlencoded(&b, id);
	nd_buf_addf(&b, "/%s", verb);
	if (timeout_s >= 0)
		nd_buf_addf(&b, "?t=%d", timeout_s);
	req.method = "POST";
	req.path = b.buf;
	r = nd_engine_request(e, &req, NULL, err);
	nd_buf_release(&b);
	return r;
}

int nd_container_stop(struct nd_engine *e, const char *id, int timeout_s,
		      struct nd_error *err)
{
	return stopish(e, "stop", id, timeout_s, err);
}

int nd_container_restart(struct nd_engine *e, const char *id, int timeout_s,
			 struct nd_error *err)
{
	return stopish(e, "restart", id, timeout_s, err);
}

int nd_container_kill(struct nd_engine *e, const char *id, const char *signal,
		      struct nd_error *err)
{
	struct nd_buf b = ND_BUF_INIT;
	int r;

	nd_buf_adds(&b, "/containers/");
	nd_buf_add_urlencoded(&b, id);
	nd_buf_adds(&b, "/kill");
	if (signal) {
		nd_buf_adds(&b, "?signal=");
		nd_buf_add_urlencoded(&b, signal);
	}
	r = simple_post(e, b.buf, err);
	nd_buf_release(&b);
	return r;
}

int nd_container_remove(struct nd_engine *e, const char *id, bool force,
			bool volumes, struct nd_error *err)
{
	struct nd_buf b = ND_BUF_INIT;
	struct nd_req req = { 0 };
	int r;

	nd_buf_adds(&b, "/containers/");
	nd_buf_add_urlencoded(&b, id);
	nd_buf_addf(&b, "?force=%d&v=%d", force ? 1 : 0, volumes ? 1 : 0);
	req.method = "DELETE";
	req.path = b.buf;
	r = nd_engine_request(e, &req, NULL, err);
	nd_buf_release(&b);
	return r;
}

int nd_container_wait(struct nd_engine *e, const char *id,
		      const char *condition, long *status_out,
		      struct nd_error *err)
{
	struct nd_buf b = ND_BUF_INIT;
	cJSON *res = NULL;
	int r;

	nd_buf_adds(&b, "/containers/");
	nd_buf_add_urlencoded(&b, id);
	nd_buf_adds(&b, "/wait");
	if (condition)
		nd_buf_addf(&b, "?condition=%s", condition);
	r = nd_engine_call_json(e, "POST", b.buf, NULL, &res, err);
	if (r == 0 && status_out)
		*status_out = (long)nd_json_num(res, "StatusCode", -1);
	cJSON_Delete(res);
	nd_buf_release(&b);
	return r;
}

int nd_images_list(struct nd_engine *e, bool all, const struct nd_filters *f,
		   cJSON **out, struct nd_error *err)
{
	return get_with_filters(e, all ? "/images/json?all=1" : "/images/json",
				f, out, err);
}

int nd_image_inspect(struct nd_engine *e, const char *ref, cJSON **out,
		     struct nd_error *err)
{
	/* image references keep their '/' and ':' in the path */
	char *p = nd_xprintf("/images/%s/json", ref);
	int r = nd_engine_get_json(e, p, out, err);

	free(p);
	return r;
}

int nd_image_remove(struct nd_engine *e, const char *ref, bool force,
		    cJSON **out, struct nd_error *err)
{
	char *p = nd_xprintf("/images/%s?force=%d", ref, force ? 1 : 0);
	cJSON *res = NULL;
	int r = nd_engine_call_json(e, "DELETE", p, NULL, &res, err);

	if (r == 0 && out)
		*out = res;
	else
		cJSON_Delete(res);
	free(p);
	return r;
}

int nd_image_tag(struct nd_engine *e, const char *src, const char *repo,
		 const char *tag, struct nd_error *err)
{
	struct nd_buf b = ND_BUF_INIT;
	int r;

	nd_buf_addf(&b, "/images/%s/tag?repo=", src);
	nd_buf_add_urlencoded(&b, repo);
	nd_buf_adds(&b, "&tag=");
	nd_buf_add_urlencoded(&b, tag ? tag : "latest");
	r = simple_post(e, b.buf, err);
	nd_buf_release(&b);
	return r;
}

int nd_networks_list(struct nd_engine *e, const struct nd_filters *f,
		     cJSON **out, struct nd_error *err)
{
	return get_with_filters(e, "/networks", f, out, err);
}

int nd_network_inspect(struct nd_engine *e, const char *name, cJSON **out,
		       struct nd_error *err)
{
	char *p = path1("/networks/%s", name);
	int r = nd_engine_get_json(e, p, out, err);

	free(p);
	return r;
}

int nd_network_create(struct nd_engine *e, const char *name,
		      const cJSON *labels, char **id_out, struct nd_error *err)
{
	cJSON *body = cJSON_CreateObject(), *res = NULL;
	int r;

	cJSON_AddStringToObject(body, "Name", name);
	cJSON_AddStringToObject(body, "Driver", "bridge");
	/* Docker < 1.44 creates duplicates by name unless told not to */
	cJSON_AddBoolToObject(body, "CheckDuplicate", 1);
	if (labels)
		cJSON_AddItemToObject(body, "Labels",
				      cJSON_Duplicate(labels, 1));
	r = nd_engine_call_json(e, "POST", "/networks/create", body, &res, err);
	if (r == 0 && id_out) {
		const char *id = nd_json_str(res, "Id");

		*id_out = nd_strdup(id ? id : name);
	}
	cJSON_Delete(res);
	cJSON_Delete(body);
	return r;
}

int nd_network_ensure(struct nd_engine *e, const char *name,
		      const cJSON *labels, struct nd_error *err)
{
	cJSON *net = NULL;
	int r = nd_network_inspect(e, name, &net, err);

	cJSON_Delete(net);
	if (r == 0)
		return 0;
	if (r != ND_ENOTFOUND)
		return r;
	nd_error_release(err);
	r = nd_network_create(e, name, labels, NULL, err);
	if (r == ND_ECONFLICT) {
		/* created concurrently by someone else: fine */
		nd_error_release(err);
		return 0;
	}
	return r;
}

int nd_network_remove(struct nd_engine *e, const char *name,
		      struct nd_error *err)
{
	char *p = path1("/networks/%s", name);
	struct nd_req req = { 0 };
	int r;

	req.method = "DELETE";
	req.path = p;
	r = nd_engine_request(e, &req, NULL, err);
	free(p);
	return r;
}

int nd_network_connect(struct nd_engine *e, const char *network,
		       const char *container, const char *const *aliases,
		       struct nd_error *err)
{
	cJSON *body = cJSON_CreateObject();
	char *p = path1("/networks/%s/connect", network);
	int r;

	cJSON_AddStringToObject(body, "Container", container);
	if (aliases && *aliases) {
		cJSON *ep = cJSON_AddObjectToObject(body, "EndpointConfig");
		cJSON *al = cJSON_AddArrayToObject(ep, "Aliases");

		for (; *aliases; aliases++)
			cJSON_AddItemToArray(al, cJSON_CreateString(*aliases));
	}
	r = nd_engine_call_json(e, "POST", p, body, NULL, err);
	cJSON_Delete(body);
	free(p);
	return r;
}

int nd_volumes_list(struct nd_engine *e, const struct nd_filters *f,
		    cJSON **out, struct nd_error *err)
{
	return get_with_filters(e, "/volumes", f, out, err);
}

int nd_volume_inspect(struct nd_engine *e, const char *name, cJSON **out,
		      struct nd_error *err)
{
	char *p = path1("/volumes/%s", name);
	int r = nd_engine_get_json(e, p, out, err);

	free(p);
	return r;
}

int nd_volume_create(struct nd_engine *e, const char *name, const cJSON *labels,
		     struct nd_error *err)
{
	cJSON *body = cJSON_CreateObject();
	int r;

	cJSON_AddStringToObject(body, "Name", name);
	if (labels)
		cJSON_AddItemToObject(body, "Labels",
				      cJSON_Duplicate(labels, 1));
	r = nd_engine_call_json(e, "POST", "/volumes/create", body, NULL, err);
	cJSON_Delete(body);
	return r;
}

int nd_volume_remove(struct nd_engine *e, const char *name, bool force,
		     struct nd_error *err)
{
	struct nd_buf b = ND_BUF_INIT;
	struct nd_req req = { 0 };
	int r;

	nd_buf_adds(&b, "/volumes/");
	nd_buf_add_urlencoded(&b, name);
	if (force)
		nd_buf_adds(&b, "?force=1");
	req.method = "DELETE";
	req.path = b.buf;
	r = nd_engine_request(e, &req, NULL, err);
	nd_buf_release(&b);
	return r;
}

const char *nd_json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

double nd_json_num(const cJSON *obj, const char *key, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

const char *nd_json_label(const cJSON *obj, const char *key)
{
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(obj, "Labels");

	if (!labels) {
		const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(obj,
								    "Config");

		labels = cJSON_GetObjectItemCaseSensitive(cfg, "Labels");
	}
	return nd_json_str(labels, key);
}

const char *nd_container_name(const cJSON *summary)
{
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(summary, "Names");
	const cJSON *first = cJSON_GetArrayItem(names, 0);
	const char *n;

	if (cJSON_IsString(first))
		n = first->valuestring;
	else
		n = nd_json_str(summary, "Name"); /* inspect shape */
	if (!n)
		return "";
	return *n == '/' ? n + 1 : n;
}
