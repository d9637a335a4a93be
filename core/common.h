/* SPDX-License-Identifier: MIT */
#ifndef ND_COMMON_H
#define ND_COMMON_H

/*
 * Included first by every .c file of nextdeploy: feature macros, the
 * standard headers nearly everyone needs, small helpers, and banned.h.
 */
#define _GNU_SOURCE 1

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ND_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ND_UNUSED(x) ((void)(x))

#if defined(__GNUC__)
#define ND_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define ND_NORETURN __attribute__((noreturn))
#else
#define ND_PRINTF(fmt, args)
#define ND_NORETURN
#endif

/* Broken invariant: print file and line, abort. Never for bad input. */
#define BUG(...) nd_bug(__FILE__, __LINE__, __VA_ARGS__)
ND_NORETURN ND_PRINTF(3, 4) void nd_bug(const char *file, int line,
					const char *fmt, ...);

/* Allocation that cannot fail: on out-of-memory, print and abort. */
void *nd_malloc(size_t n);
void *nd_calloc(size_t n, size_t size);
void *nd_realloc(void *p, size_t n);
char *nd_strdup(const char *s);
char *nd_strndup(const char *s, size_t n);
/* nd_strdup(s) or NULL when s is NULL. */
char *nd_strdup_or_null(const char *s);
ND_PRINTF(1, 2) char *nd_xprintf(const char *fmt, ...);

/* NULL-safe string helpers. */
static inline bool nd_streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static inline bool nd_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool nd_ends_with(const char *s, const char *suffix);

/*
 * Write all of buf to fd, riding out EINTR and a non-blocking fd's EAGAIN
 * (waits in poll). 0, or -1 with errno (EPIPE: the reader went away).
 */
int nd_write_all(int fd, const void *buf, size_t len);

/* Replace *dst with a copy of src (or NULL), freeing the old value. */
void nd_str_replace(char **dst, const char *src);

#include "core/banned.h"

#endif
