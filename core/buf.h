/* SPDX-License-Identifier: MIT */
#ifndef ND_BUF_H
#define ND_BUF_H

#include "core/common.h"

/*
 * A growable byte buffer in git's strbuf shape, with curl's dynbuf cap.
 *
 * - `buf` is never NULL and always NUL-terminated, so it can be passed to
 *   str*() functions at any time (it may also hold NUL bytes inside).
 * - `cap` is the most bytes the buffer may hold; 0 means ND_BUF_DEFAULT_CAP.
 *   An append that would go past the cap fails with -1 and leaves the buffer
 *   as it was. Everything read from the engine or the network is capped.
 *
 *	struct nd_buf b = ND_BUF_INIT;
 *	nd_buf_addf(&b, "%s:%d", host, port);
 *	use(b.buf);
 *	nd_buf_release(&b);
 */
struct nd_buf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t cap;
};

extern char nd_buf_empty[];

/* 256 MiB: a sanity limit for anything that is not explicitly capped. */
#define ND_BUF_DEFAULT_CAP ((size_t)256 << 20)

#define ND_BUF_INIT                   \
	{                             \
		nd_buf_empty, 0, 0, 0 \
	}
#define ND_BUF_INIT_CAP(c)              \
	{                               \
		nd_buf_empty, 0, 0, (c) \
	}

void nd_buf_init(struct nd_buf *b, size_t cap);
/* Free the memory; the buffer is empty and reusable afterwards. */
void nd_buf_release(struct nd_buf *b);
/* Keep the memory, make the contents empty. */
static inline void nd_buf_reset(struct nd_buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->buf[0] = '\0';
}

/* Make room for `extra` more bytes. -1 when that would pass the cap. */
int nd_buf_grow(struct nd_buf *b, size_t extra);
int nd_buf_add(struct nd_buf *b, const void *data, size_t len);
int nd_buf_adds(struct nd_buf *b, const char *s);
int nd_buf_addch(struct nd_buf *b, int c);
ND_PRINTF(2, 3) int nd_buf_addf(struct nd_buf *b, const char *fmt, ...);
int nd_buf_vaddf(struct nd_buf *b, const char *fmt, va_list ap);
int nd_buf_sets(struct nd_buf *b, const char *s);

/* Drop the first n bytes (n <= len). */
void nd_buf_consume(struct nd_buf *b, size_t n);
/* Shorten to len bytes (len <= b->len). */
void nd_buf_truncate(struct nd_buf *b, size_t len);
/* Remove trailing whitespace. */
void nd_buf_rtrim(struct nd_buf *b);

/* Hand the memory to the caller (never NULL); the buffer is reset. */
char *nd_buf_detach(struct nd_buf *b, size_t *len);

/*
 * Append s with control characters replaced, for printing text that came
 * from the engine or the user (git usage.c): tabs and newlines are kept
 * only when keep_newlines is set; others become '?'.
 */
int nd_buf_add_sanitized(struct nd_buf *b, const char *s, size_t len,
			 bool keep_newlines);

/*
 * Percent-encode s for a URL query value (RFC 3986 unreserved kept).
 */
int nd_buf_add_urlencoded(struct nd_buf *b, const char *s);

#endif
