/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/buf.h"

char nd_buf_empty[1];

static size_t effective_cap(const struct nd_buf *b)
{
	return b->cap ? b->cap : ND_BUF_DEFAULT_CAP;
}

void nd_buf_init(struct nd_buf *b, size_t cap)
{
	b->buf = nd_buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void nd_buf_release(struct nd_buf *b)
{
	if (!b)
		return;
	if (b->alloc)
		free(b->buf);
	b->buf = nd_buf_empty;
	b->len = 0;
	b->alloc = 0;
}

int nd_buf_grow(struct nd_buf *b, size_t extra)
{
	size_t need, n;

	if (extra > effective_cap(b) || b->len > effective_cap(b) - extra)
		return -1;
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n < need)
		n = n / 2 * 3 + 16;
	if (!b->alloc) {
		b->buf = nd_malloc(n);
		b->buf[0] = '\0';
	} else {
		b->buf = nd_realloc(b->buf, n);
	}
	b->alloc = n;
	return 0;
}

int nd_buf_add(struct nd_buf *b, const void *data, size_t len)
{
	if (nd_buf_grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

int nd_buf_adds(struct nd_buf *b, const char *s)
{
	return nd_buf_add(b, s, strlen(s));
}

int nd_buf_addch(struct nd_buf *b, int c)
{
	char ch = (char)c;

	return nd_buf_add(b, &ch, 1);
}

int nd_buf_vaddf(struct nd_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || nd_buf_grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int nd_buf_addf(struct nd_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = nd_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

int nd_buf_sets(struct nd_buf *b, const char *s)
{
	nd_buf_reset(b);
	return nd_buf_adds(b, s);
}

void nd_buf_consume(struct nd_buf *b, size_t n)
{
	if (n > b->len)
		BUG("consume %zu of %zu bytes", n, b->len);
	if (!n)
		return;
	memmove(b->buf, b->buf + n, b->len - n);
	b->len -= n;
	b->buf[b->len] = '\0';
}

void nd_buf_truncate(struct nd_buf *b, size_t len)
{
	if (len > b->len)
		BUG("truncate to %zu of %zu bytes", len, b->len);
	b->len = len;
	if (b->alloc)
		b->buf[len] = '\0';
}

void nd_buf_rtrim(struct nd_buf *b)
{
	while (b->len && strchr(" \t\r\n\v\f", b->buf[b->len - 1]))
		b->len--;
	if (b->alloc)
		b->buf[b->len] = '\0';
}

char *nd_buf_detach(struct nd_buf *b, size_t *len)
{
	char *p;

	if (len)
		*len = b->len;
	if (!b->alloc)
		return nd_strdup("");
	p = b->buf;
	nd_buf_init(b, b->cap);
	return p;
}

int nd_buf_add_sanitized(struct nd_buf *b, const char *s, size_t len,
			 bool keep_newlines)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int r;

		if ((c < 0x20 && !(keep_newlines && (c == '\n' || c == '\t'))) ||
		    c == 0x7f) {
			r = nd_buf_addch(b, '?');
		} else if (c == 0xc2 && i + 1 < len &&
			   (unsigned char)s[i + 1] >= 0x80 &&
			   (unsigned char)s[i + 1] <= 0x9f) {
			/* a C1 control in UTF-8 (U+009B is a CSI) */
			r = nd_buf_addch(b, '?');
			i++;
		} else {
			r = nd_buf_addch(b, c);
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

int nd_buf_add_urlencoded(struct nd_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int r;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			r = nd_buf_addch(b, c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			r = nd_buf_add(b, e, 3);
		}
		if (r < 0)
			return -1;
	}
	return 0;
}
