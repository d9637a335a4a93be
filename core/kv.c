/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/kv.h"

struct nd_kv *nd_kvlist_add(struct nd_kvlist *l, const char *key,
			    const char *value, int line, int col)
{
	struct nd_kv *kv;

	if (l->nr == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 8;
		l->items = nd_realloc(l->items, l->alloc * sizeof(*l->items));
	}
	kv = &l->items[l->nr++];
	kv->key = nd_strdup(key);
	kv->value = nd_strdup_or_null(value);
	kv->line = line;
	kv->col = col;
	return kv;
}

void nd_kvlist_set(struct nd_kvlist *l, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (!strcmp(l->items[i].key, key)) {
			nd_str_replace(&l->items[i].value, value);
			return;
		}
	nd_kvlist_add(l, key, value, 0, 0);
}

const struct nd_kv *nd_kvlist_find(const struct nd_kvlist *l, const char *key)
{
	size_t i;

	for (i = 0; l && i < l->nr; i++)
		if (!strcmp(l->items[i].key, key))
			return &l->items[i];
	return NULL;
}

const char *nd_kvlist_get(const struct nd_kvlist *l, const char *key)
{
	const struct nd_kv *kv = nd_kvlist_find(l, key);

	return kv ? kv->value : NULL;
}

void nd_kvlist_release(struct nd_kvlist *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nr; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

void nd_strvec_push_nodup(struct nd_strvec *v, char *s)
{
	if (v->nr + 1 >= v->alloc) {
		v->alloc = v->alloc ? v->alloc * 2 : 8;
		v->items = nd_realloc(v->items, v->alloc * sizeof(*v->items));
	}
	v->items[v->nr++] = s;
	v->items[v->nr] = NULL; /* usable as an argv */
}

void nd_strvec_push(struct nd_strvec *v, const char *s)
{
	nd_strvec_push_nodup(v, nd_strdup(s));
}

bool nd_strvec_contains(const struct nd_strvec *v, const char *s)
{
	size_t i;

	for (i = 0; i < v->nr; i++)
		if (!strcmp(v->items[i], s))
			return true;
	return false;
}

void nd_strvec_release(struct nd_strvec *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->nr; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->nr = v->alloc = 0;
}
