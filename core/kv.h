/* SPDX-License-Identifier: MIT */
#ifndef ND_KV_H
#define ND_KV_H

#include "core/common.h"

/* An ordered list of owned KEY=VALUE pairs, each with where it came from. */
struct nd_kv {
	char *key;
	char *value;
	int line; /* 1-based position in the file it came from; 0 if none */
	int col;
};

struct nd_kvlist {
	struct nd_kv *items;
	size_t nr;
	size_t alloc;
};
#define ND_KVLIST_INIT     \
	{                  \
		NULL, 0, 0 \
	}

/* Append (copies key and value). */
struct nd_kv *nd_kvlist_add(struct nd_kvlist *l, const char *key,
			    const char *value, int line, int col);
/* Set: replace the value of an existing key, else append. */
void nd_kvlist_set(struct nd_kvlist *l, const char *key, const char *value);
const struct nd_kv *nd_kvlist_find(const struct nd_kvlist *l, const char *key);
const char *nd_kvlist_get(const struct nd_kvlist *l, const char *key);
void nd_kvlist_release(struct nd_kvlist *l);

/* A list of owned strings. */
struct nd_strvec {
	char **items;
	size_t nr;
	size_t alloc;
};
#define ND_STRVEC_INIT     \
	{                  \
		NULL, 0, 0 \
	}
void nd_strvec_push(struct nd_strvec *v, const char *s);
void nd_strvec_push_nodup(struct nd_strvec *v, char *s);
bool nd_strvec_contains(const struct nd_strvec *v, const char *s);
void nd_strvec_release(struct nd_strvec *v);

#endif
