/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/envfile.h"
#include "core/buf.h"

#include <ctype.h>

bool nd_env_name_valid(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.' ||
		      *s == '-'))
			return false;
	return true;
}

struct cursor {
	const char *p, *end;
	int line, col;
};

static int peek(const struct cursor *c)
{
	return c->p < c->end ? (unsigned char)*c->p : -1;
}

static void advance(struct cursor *c)
{
	if (c->p >= c->end)
		return;
	if (*c->p == '\n') {
		c->line++;
		c->col = 1;
	} else {
		c->col++;
	}
	c->p++;
}

static void skip_blank(struct cursor *c)
{
	while (peek(c) == ' ' || peek(c) == '\t')
		advance(c);
}

static void skip_line(struct cursor *c)
{
	while (peek(c) != -1 && peek(c) != '\n')
		advance(c);
	advance(c);
}

int nd_envfile_parse(struct nd_kvlist *out, const char *name, const char *data,
		     size_t len, struct nd_error *err)
{
	struct cursor c = { data, data + len, 1, 1 };
	struct nd_kvlist list = ND_KVLIST_INIT;
	struct nd_buf key = ND_BUF_INIT, val = ND_BUF_INIT;
	int r = 0;

	/* a UTF-8 byte order mark is not part of the first key */
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		c.p += 3;
	while (peek(&c) != -1) {
		int kline, kcol;

		skip_blank(&c);
		if (peek(&c) == '\n' || peek(&c) == '\r' || peek(&c) == -1) {
			skip_line(&c);
			continue;
		}
		if (peek(&c) == '#') {
			skip_line(&c);
			continue;
		}
		if (c.end - c.p > 7 && !strncmp(c.p, "export", 6) &&
		    (c.p[6] == ' ' || c.p[6] == '\t')) {
			for (int i = 0; i < 6; i++)
				advance(&c);
			skip_blank(&c);
		}
		kline = c.line;
		kcol = c.col;
		nd_buf_reset(&key);
		while (peek(&c) != -1 && peek(&c) != '=' && peek(&c) != '\n' &&
		       peek(&c) != ' ' && peek(&c) != '\t' &&
		       peek(&c) != '\r') {
			nd_buf_addch(&key, peek(&c));
			advance(&c);
		}
		skip_blank(&c);
		if (peek(&c) != '=') {
			r = nd_error_set_at(
				err, ND_EPROJECT, name, c.line, c.col,
				"expected '=' after '%s' (lines are KEY=VALUE)",
				key.buf);
			goto done;
		}
		if (!nd_env_name_valid(key.buf)) {
			r = nd_error_set_at(
				err, ND_EPROJECT, name, kline, kcol,
				"invalid variable name '%s' (expected letters, digits and '_', not starting with a digit)",
				key.buf);
			goto done;
		}
		advance(&c); /* '=' */
		skip_blank(&c);
		nd_buf_reset(&val);
		if (peek(&c) == '"' || peek(&c) == '\'') {
			int q = peek(&c), qline = c.line, qcol = c.col;

			advance(&c);
			for (;;) {
				int ch = peek(&c);

				if (ch == -1) {
					r = nd_error_set_at(
						err, ND_EPROJECT, name, qline,
						qcol,
						"unterminated %s-quoted value of '%s'",
						q == '"' ? "double" : "single",
						key.buf);
					goto done;
				}
				if (ch == q) {
					advance(&c);
					break;
				}
				if (q == '"' && ch == '\\') {
					int nx;

					advance(&c);
					nx = peek(&c);
					switch (nx) {
					case 'n':
						nd_buf_addch(&val, '\n');
						break;
					case 'r':
						nd_buf_addch(&val, '\r');
						break;
					case 't':
						nd_buf_addch(&val, '\t');
						break;
					case '\\':
					case '"':
					case '$':
						nd_buf_addch(&val, nx);
						break;
					case -1:
						continue;
					default:
						nd_buf_addch(&val, '\\');
						nd_buf_addch(&val, nx);
						break;
					}
					advance(&c);
					continue;
				}
				nd_buf_addch(&val, ch);
				advance(&c);
			}
			skip_blank(&c);
			if (peek(&c) == '\r')
				advance(&c);
			if (peek(&c) == '#') {
				skip_line(&c);
			} else if (peek(&c) == '\n' || peek(&c) == -1) {
				advance(&c);
			} else {
				r = nd_error_set_at(
					err, ND_EPROJECT, name, c.line, c.col,
					"unexpected text after the closing quote of '%s'",
					key.buf);
				goto done;
			}
		} else {
			while (peek(&c) != -1 && peek(&c) != '\n') {
				/* " #" starts a comment in an unquoted value */
				if (peek(&c) == '#' && val.len &&
				    (val.buf[val.len - 1] == ' ' ||
				     val.buf[val.len - 1] == '\t'))
					break;
				nd_buf_addch(&val, peek(&c));
				advance(&c);
			}
			skip_line(&c);
			nd_buf_rtrim(&val);
		}
		if (nd_kvlist_find(&list, key.buf))
			nd_kvlist_set(&list, key.buf, val.buf);
		else
			nd_kvlist_add(&list, key.buf, val.buf, kline, kcol);
	}
done:
	nd_buf_release(&key);
	nd_buf_release(&val);
	if (r < 0) {
		nd_kvlist_release(&list);
		return r;
	}
	*out = list;
	return 0;
}

int nd_envfile_load(struct nd_kvlist *out, const char *path,
		    struct nd_error *err)
{
	struct nd_buf data = ND_BUF_INIT_CAP(16 << 20);
	FILE *f = fopen(path, "r");
	char chunk[8192];
	size_t n;
	int r;

	if (!f)
		return nd_error_errno(err, ND_EPROJECT,
				      "cannot read env file '%s'", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (nd_buf_add(&data, chunk, n) < 0) {
			fclose(f);
			nd_buf_release(&data);
			return nd_error_set(
				err, ND_EPROJECT,
				"env file '%s' is larger than 16 MiB", path);
		}
	}
	fclose(f);
	r = nd_envfile_parse(out, path, data.buf, data.len, err);
	nd_buf_release(&data);
	return r;
}
