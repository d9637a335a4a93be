/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/deploy_proxy.h"

#include <cjson/cJSON.h>

void nd_caddy_app_config(struct nd_buf *out, const char *app,
			 const char *release, const struct nd_strvec *upstreams)
{
	if (!upstreams->nr)
		BUG("a proxy configuration without upstreams");
	nd_buf_addf(
		out,
		"# nextdeploy: the proxy of app '%s', serving release '%s'.\n"
		"# Generated on every deploy; edits are overwritten.\n"
		"{\n"
		"\tadmin localhost:2019\n"
		"\tauto_https off\n"
		"}\n"
		":%d {\n"
		"\treverse_proxy",
		app, release, ND_PROXY_HTTP_PORT);
	for (size_t i = 0; i < upstreams->nr; i++)
		nd_buf_addf(out, " %s", upstreams->items[i]);
	nd_buf_adds(out, " {\n"
			 "\t\tlb_policy round_robin\n"
			 "\t\tlb_try_duration 5s\n"
			 "\t\tlb_try_interval 250ms\n"
			 "\t\ttrusted_proxies private_ranges\n"
			 "\t}\n"
			 "}\n");
}

void nd_edge_site_release(struct nd_edge_site *s)
{
	if (!s)
		return;
	free(s->app);
	free(s->upstream);
	nd_strvec_release(&s->domains);
	memset(s, 0, sizeof(*s));
}

static int site_cmp(const void *a, const void *b)
{
	const struct nd_edge_site *x = a, *y = b;

	return strcmp(x->app, y->app);
}

void nd_caddy_edge_config(struct nd_buf *out, struct nd_edge_site *sites,
			  size_t n)
{
	bool internal = false;

	if (n)
		qsort(sites, n, sizeof(*sites), site_cmp);
	for (size_t i = 0; i < n; i++)
		if (sites[i].tls == ND_TLS_INTERNAL)
			internal = true;
	nd_buf_adds(
		out,
		"# nextdeploy: the shared edge proxy. Generated from the apps'\n"
		"# proxies on every change; edits are overwritten.\n"
		"{\n"
		"\tadmin localhost:2019\n");
	/* installing the CA into the container's trust store costs ~1s a load */
	if (internal)
		nd_buf_adds(out, "\tskip_install_trust\n");
	nd_buf_adds(out, "}\n");
	for (size_t i = 0; i < n; i++) {
		const struct nd_edge_site *s = &sites[i];

		if (!s->domains.nr)
			continue;
		nd_buf_addf(out, "\n# app %s\n", s->app);
		for (size_t d = 0; d < s->domains.nr; d++)
			nd_buf_addf(out, "%s%s%s", d ? ", " : "",
				    s->tls == ND_TLS_OFF ? "http://" : "",
				    s->domains.items[d]);
		nd_buf_adds(out, " {\n");
		if (s->tls == ND_TLS_INTERNAL)
			nd_buf_adds(out, "\ttls internal\n");
		nd_buf_addf(out,
			    "\treverse_proxy %s {\n"
			    "\t\tlb_try_duration 5s\n"
			    "\t}\n"
			    "}\n",
			    s->upstream);
	}
}

void nd_record_release(struct nd_deploy_record *r)
{
	if (!r)
		return;
	free(r->app);
	free(r->release);
	free(r->deploy_id);
	free(r->service);
	free(r->image);
	free(r->image_id);
	nd_strvec_release(&r->containers);
	nd_strvec_release(&r->upstreams);
	nd_strvec_release(&r->history);
	nd_strvec_release(&r->failed);
	memset(r, 0, sizeof(*r));
}

static char *str_member(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(o, key));

	return s ? nd_strdup(s) : NULL;
}

static void list_member(struct nd_strvec *out, const cJSON *o, const char *key)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, key))
		if (cJSON_IsString(it))
			nd_strvec_push(out, it->valuestring);
}

int nd_record_parse(struct nd_deploy_record *out, const char *data, size_t len,
		    struct nd_error *err)
{
	cJSON *o = cJSON_ParseWithLength(data, len);
	struct nd_deploy_record r = { 0 };
	const cJSON *v;

	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return nd_error_set(
			err, ND_EGENERIC,
			"the proxy's release record is not a JSON object");
	}
	r.app = str_member(o, "app");
	r.release = str_member(o, "release");
	r.deploy_id = str_member(o, "deploy_id");
	r.service = str_member(o, "service");
	r.image = str_member(o, "image");
	r.image_id = str_member(o, "image_id");
	v = cJSON_GetObjectItemCaseSensitive(o, "port");
	r.port = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	v = cJSON_GetObjectItemCaseSensitive(o, "deployed_at");
	r.deployed_at = cJSON_IsNumber(v) ? v->valuedouble : 0;
	list_member(&r.containers, o, "containers");
	list_member(&r.upstreams, o, "upstreams");
	list_member(&r.history, o, "history");
	list_member(&r.failed, o, "failed");
	cJSON_Delete(o);
	*out = r;
	return 0;
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
}

static void add_list(cJSON *o, const char *key, const struct nd_strvec *l)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);

	for (size_t i = 0; i < l->nr; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->items[i]));
}

char *nd_record_json(const struct nd_deploy_record *r)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddNumberToObject(o, "version", 1);
	add_str(o, "app", r->app);
	add_str(o, "release", r->release);
	add_str(o, "deploy_id", r->deploy_id);
	add_str(o, "service", r->service);
	add_str(o, "image", r->image);
	add_str(o, "image_id", r->image_id);
	cJSON_AddNumberToObject(o, "port", (double)r->port);
	cJSON_AddNumberToObject(o, "deployed_at", r->deployed_at);
	add_list(o, "containers", &r->containers);
	add_list(o, "upstreams", &r->upstreams);
	add_list(o, "history", &r->history);
	add_list(o, "failed", &r->failed);
	s = cJSON_Print(o);
	cJSON_Delete(o);
	return s;
}

void nd_record_list_remove(struct nd_strvec *list, const char *rel)
{
	size_t k = 0;

	for (size_t i = 0; i < list->nr; i++) {
		if (!strcmp(list->items[i], rel))
			free(list->items[i]);
		else
			list->items[k++] = list->items[i];
	}
	list->nr = k;
	if (list->items)
		list->items[k] = NULL; /* stays usable as an argv */
}

void nd_record_list_push(struct nd_strvec *list, const char *rel, size_t max)
{
	char *item;

	nd_record_list_remove(list, rel);
	nd_strvec_push(list, rel);
	/* move the new last item to the front */
	item = list->items[list->nr - 1];
	memmove(list->items + 1, list->items,
		(list->nr - 1) * sizeof(*list->items));
	list->items[0] = item;
	while (list->nr > max) {
		free(list->items[list->nr - 1]);
		list->items[--list->nr] = NULL;
	}
}
