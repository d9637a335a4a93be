/* SPDX-License-Identifier: MIT */
/*
 * .dockerignore matching (see core/ignore.h). Written by hand: no C library
 * implements moby/patternmatcher's rules, and a POSIX regex would differ
 * from Go's (which the CLI builds from each pattern) in its escapes.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/ignore.h"

enum match_type { M_EXACT, M_PREFIX, M_SUFFIX, M_GLOB };

enum tok_kind {
	T_LIT,	    /* one byte */
	T_STAR,	    /* [^/]*   */
	T_QMARK,    /* [^/]    */
	T_ANYSLASH, /* (.*\/)?  from "**" inside a pattern */
	T_ANY,	    /* .*      from a trailing "**" */
	T_CLASS,    /* [...]   */
};

struct nd_ignore_tok {
	enum tok_kind kind;
	unsigned char c;
	bool negate;
	/* class ranges: pairs of code points */
	uint32_t *ranges;
	size_t nranges;
};

char *nd_path_clean(const char *path)
{
	size_t n = strlen(path), i = 0, w = 0, dotdot = 0;
	bool rooted = n && path[0] == '/';
	char *out = nd_malloc(n + 2);

	if (rooted) {
		out[w++] = '/';
		i = 1;
		dotdot = 1;
	}
	while (i < n) {
		if (path[i] == '/') {
			i++;
		} else if (path[i] == '.' &&
			   (i + 1 == n || path[i + 1] == '/')) {
			i++;
		} else if (path[i] == '.' && path[i + 1] == '.' &&
			   (i + 2 == n || path[i + 2] == '/')) {
			i += 2;
			if (w > dotdot) {
				/* drop the last element */
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			while (i < n && path[i] != '/')
				out[w++] = path[i++];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

/* --- syntax check: filepath.Match's rules (getEsc, matchChunk) --- */

static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t k = 1;

	if (s[0] >= 0xf0)
		k = 4;
	else if (s[0] >= 0xe0)
		k = 3;
	else if (s[0] >= 0xc0)
		k = 2;
	return k > n ? n : k;
}

static uint32_t utf8_decode(const unsigned char *s, size_t k)
{
	uint32_t c;
	size_t i;

	if (k == 1)
		return s[0];
	c = s[0] & (0x7f >> k);
	for (i = 1; i < k; i++)
		c = (c << 6) | (s[i] & 0x3f);
	return c;
}

/* One class character at *p (escape aware); false when malformed. */
static bool class_char(const char **p, const char *end, uint32_t *out)
{
	const char *s = *p;
	size_t k;

	if (s >= end || *s == '-' || *s == ']')
		return false;
	if (*s == '\\') {
		s++;
		if (s >= end)
			return false;
	}
	k = utf8_len((const unsigned char *)s, (size_t)(end - s));
	*out = utf8_decode((const unsigned char *)s, k);
	s += k;
	if (s >= end)
		return false;
	*p = s;
	return true;
}

/* Parse "[...]" at *p (pointing after '['); fills tok when non-NULL. */
static bool parse_class(const char **p, const char *end,
			struct nd_ignore_tok *tok)
{
	const char *s = *p;
	size_t nr = 0;

	if (tok)
		tok->negate = false;
	if (s < end && *s == '^') {
		if (tok)
			tok->negate = true;
		s++;
	}
	for (;;) {
		uint32_t lo, hi;

		if (s < end && *s == ']' && nr > 0) {
			s++;
			break;
		}
		if (!class_char(&s, end, &lo))
			return false;
		hi = lo;
		if (*s == '-') {
			s++;
			if (!class_char(&s, end, &hi))
				return false;
		}
		if (tok) {
			tok->ranges = nd_realloc(
				tok->ranges, (nr + 1) * 2 * sizeof(uint32_t));
			tok->ranges[nr * 2] = lo;
			tok->ranges[nr * 2 + 1] = hi;
		}
		nr++;
	}
	if (tok)
		tok->nranges = nr;
	*p = s;
	return true;
}

static bool pattern_valid(const char *pat)
{
	const char *s = pat, *end = pat + strlen(pat);

	while (s < end) {
		if (*s == '[') {
			s++;
			if (!parse_class(&s, end, NULL))
				return false;
		} else if (*s == '\\') {
			if (s + 1 >= end)
				return false;
			s += 2;
		} else {
			s++;
		}
	}
	return true;
}

/* --- compile: patternmatcher's Pattern.compile, into tokens --- */

static void push_tok(struct nd_ignore_pattern *p, enum tok_kind kind,
		     unsigned char c)
{
	struct nd_ignore_tok *t;

	p->toks = nd_realloc(p->toks, (p->ntoks + 1) * sizeof(*p->toks));
	t = &p->toks[p->ntoks++];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->c = c;
}

static void compile(struct nd_ignore_pattern *p)
{
	const char *s = p->text, *end = s + strlen(s);
	enum match_type type = M_EXACT;
	int i;

	for (i = 0; s < end; i++) {
		char ch = *s++;

		if (ch == '*') {
			if (s < end && *s == '*') {
				s++;
				/* treat "**" + "/" as "**": eat the '/' */
				if (s < end && *s == '/')
					s++;
				if (s == end) {
					if (type == M_EXACT) {
						type = M_PREFIX;
					} else {
						push_tok(p, T_ANY, 0);
						type = M_GLOB;
					}
				} else {
					push_tok(p, T_ANYSLASH, 0);
					type = M_GLOB;
				}
				if (i == 0)
					type = M_SUFFIX;
			} else {
				push_tok(p, T_STAR, 0);
				type = M_GLOB;
			}
		} else if (ch == '?') {
			push_tok(p, T_QMARK, 0);
			type = M_GLOB;
		} else if (ch == '\\') {
			if (s < end) {
				push_tok(p, T_LIT, (unsigned char)*s++);
				type = M_GLOB;
			} else {
				push_tok(p, T_LIT, '\\');
			}
		} else if (ch == '[') {
			push_tok(p, T_CLASS, 0);
			if (!parse_class(&s, end, &p->toks[p->ntoks - 1]))
				BUG("class in a validated pattern");
			type = M_GLOB;
		} else if (ch == ']') {
			push_tok(p, T_LIT, ']');
			type = M_GLOB;
		} else {
			push_tok(p, T_LIT, (unsigned char)ch);
		}
	}
	p->type = type;
}

/* --- matching --- */

static bool class_has(const struct nd_ignore_tok *t, uint32_t c)
{
	size_t i;
	bool in = false;

	for (i = 0; i < t->nranges && !in; i++)
		in = c >= t->ranges[i * 2] && c <= t->ranges[i * 2 + 1];
	return in != t->negate;
}

struct mstate {
	const struct nd_ignore_pattern *p;
	const unsigned char *s;
	size_t n;
	unsigned char *seen; /* (ntoks+1) * (n+1): positions tried and failed */
};

static bool glob_at(struct mstate *m, size_t ti, size_t si)
{
	const struct nd_ignore_tok *t;
	size_t k, idx = ti * (m->n + 1) + si;

	if (m->seen[idx])
		return false;
	if (ti == m->p->ntoks)
		return si == m->n;
	t = &m->p->toks[ti];
	switch (t->kind) {
	case T_LIT:
		if (si < m->n && m->s[si] == t->c && glob_at(m, ti + 1, si + 1))
			return true;
		break;
	case T_QMARK:
		if (si < m->n && m->s[si] != '/') {
			k = utf8_len(m->s + si, m->n - si);
			if (glob_at(m, ti + 1, si + k))
				return true;
		}
		break;
	case T_CLASS:
		if (si < m->n) {
			k = utf8_len(m->s + si, m->n - si);
			if (class_has(t, utf8_decode(m->s + si, k)) &&
			    glob_at(m, ti + 1, si + k))
				return true;
		}
		break;
	case T_STAR:
		for (k = si;; k++) {
			if (glob_at(m, ti + 1, k))
				return true;
			if (k == m->n || m->s[k] == '/')
				break;
		}
		break;
	case T_ANYSLASH:
		if (glob_at(m, ti + 1, si))
			return true;
		for (k = si + 1; k <= m->n; k++)
			if (m->s[k - 1] == '/' && glob_at(m, ti + 1, k))
				return true;
		break;
	case T_ANY:
		for (k = si; k <= m->n; k++)
			if (glob_at(m, ti + 1, k))
				return true;
		break;
	}
	m->seen[idx] = 1;
	return false;
}

static bool pattern_match(const struct nd_ignore_pattern *p, const char *path,
			  size_t n)
{
	const char *txt = p->text;
	size_t tl = strlen(txt);

	switch (p->type) {
	case M_EXACT:
		return n == tl && !memcmp(path, txt, n);
	case M_PREFIX:
		return n >= tl - 2 && !memcmp(path, txt, tl - 2);
	case M_SUFFIX: {
		const char *suf = txt + 2;
		size_t sl = tl - 2;

		if (n >= sl && !memcmp(path + n - sl, suf, sl))
			return true;
		/* "**" + "/foo" matches "foo" */
		return sl && suf[0] == '/' && n == sl - 1 &&
		       !memcmp(path, suf + 1, n);
	}
	default: {
		struct mstate m;
		unsigned char small[1024];
		size_t need = (p->ntoks + 1) * (n + 1);
		bool r;

		m.p = p;
		m.s = (const unsigned char *)path;
		m.n = n;
		m.seen = need <= sizeof(small) ? small : nd_malloc(need);
		memset(m.seen, 0, need);
		r = glob_at(&m, 0, 0);
		if (m.seen != small)
			free(m.seen);
		return r;
	}
	}
}

static bool match_self_or_parent(const struct nd_ignore_pattern *p,
				 const char *path)
{
	size_t n = strlen(path), i;

	if (pattern_match(p, path, n))
		return true;
	/* each parent folder: "a", "a/b", ... */
	for (i = 0; i < n; i++)
		if (path[i] == '/' && pattern_match(p, path, i))
			return true;
	return false;
}

bool nd_ignore_match(const struct nd_ignore *ig, const char *path)
{
	bool matched = false;
	size_t i;

	for (i = 0; i < ig->nr; i++) {
		const struct nd_ignore_pattern *p = &ig->pats[i];

		if (p->exclusion != matched)
			continue;
		if (match_self_or_parent(p, path))
			matched = !p->exclusion;
	}
	return matched;
}

bool nd_ignore_match_walk(const struct nd_ignore *ig, const char *path,
			  const bool *parent, bool *state)
{
	bool matched = false;
	size_t i;

	for (i = 0; i < ig->nr; i++) {
		const struct nd_ignore_pattern *p = &ig->pats[i];
		bool m = parent ? parent[i] : false;

		if (!m) {
			if (p->exclusion != matched) {
				state[i] = false;
				continue;
			}
			m = parent ? pattern_match(p, path, strlen(path)) :
				     match_self_or_parent(p, path);
		}
		state[i] = m;
		if (m)
			matched = !p->exclusion;
	}
	return matched;
}

bool nd_ignore_enter_dir(const struct nd_ignore *ig, const char *dir)
{
	size_t i, dl = strlen(dir);

	if (!ig->exclusions)
		return false;
	for (i = 0; i < ig->nr; i++) {
		const struct nd_ignore_pattern *p = &ig->pats[i];
		size_t tl = strlen(p->text);

		/* HasPrefix(pattern + "/", dir + "/") */
		if (!p->exclusion || tl + 1 < dl + 1)
			continue;
		if (!memcmp(p->text, dir, dl) &&
		    (tl == dl ? true : p->text[dl] == '/'))
			return true;
	}
	return false;
}

/*
 * patternmatcher's deprecated Matches, which the CLI still uses in
 * TrimBuildFilesFromExcludes: besides the path itself, only the parent
 * folder with as many components as the pattern is tried.
 */
static bool legacy_match(const struct nd_ignore *ig, const char *path)
{
	bool matched = false;
	size_t i, ndirs = 1, n = strlen(path);
	const char *slash = strrchr(path, '/');

	for (const char *c = path; slash && c < slash; c++)
		if (*c == '/')
			ndirs++;
	for (i = 0; i < ig->nr; i++) {
		const struct nd_ignore_pattern *p = &ig->pats[i];
		bool m;

		if (p->exclusion != matched)
			continue;
		m = pattern_match(p, path, n);
		if (!m && slash && p->ndirs <= ndirs) {
			/* the first ndirs components of the parent */
			size_t k = 0, seen = 0;

			while (k < (size_t)(slash - path)) {
				if (path[k] == '/' && ++seen == p->ndirs)
					break;
				k++;
			}
			m = pattern_match(p, path, k);
		}
		if (m)
			matched = !p->exclusion;
	}
	return matched;
}

void nd_ignore_keep(struct nd_ignore *ig, const char *path)
{
	char *pat;

	if (!legacy_match(ig, path))
		return;
	pat = nd_xprintf("!%s", path);
	if (nd_ignore_add(ig, pat, NULL) < 0)
		BUG("cannot re-include '%s'", path);
	free(pat);
}

/* --- building the list --- */

static char *trim(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t' || *s == '\v' || *s == '\f' ||
		     *s == '\r' || *s == '\n')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\v' ||
		     s[n - 1] == '\f' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return nd_strndup(s, n);
}

static int add_at(struct nd_ignore *ig, const char *pattern, const char *name,
		  int line, struct nd_error *err)
{
	struct nd_ignore_pattern *p;
	char *t = trim(pattern, strlen(pattern)), *clean;
	bool excl = false;

	if (!*t) {
		free(t);
		return 0;
	}
	clean = nd_path_clean(t);
	free(t);
	if (clean[0] == '!') {
		if (!clean[1]) {
			free(clean);
			return nd_error_set_at(
				err, ND_EPROJECT, name, line, 0,
				"illegal exclusion pattern: \"!\"");
		}
		excl = true;
		memmove(clean, clean + 1, strlen(clean));
	}
	if (!pattern_valid(clean)) {
		nd_error_set_at(err, ND_EPROJECT, name, line, 0,
				"syntax error in pattern '%s'", clean);
		free(clean);
		return ND_EPROJECT;
	}
	if (ig->nr == ig->alloc) {
		ig->alloc = ig->alloc ? ig->alloc * 2 : 16;
		ig->pats = nd_realloc(ig->pats, ig->alloc * sizeof(*ig->pats));
	}
	p = &ig->pats[ig->nr++];
	memset(p, 0, sizeof(*p));
	p->text = clean;
	p->exclusion = excl;
	p->line = line;
	p->ndirs = 1;
	for (const char *c = clean; *c; c++)
		if (*c == '/')
			p->ndirs++;
	compile(p);
	if (excl)
		ig->exclusions = true;
	return 0;
}

int nd_ignore_add(struct nd_ignore *ig, const char *pattern,
		  struct nd_error *err)
{
	return add_at(ig, pattern, "(pattern)", 0, err);
}

int nd_ignore_parse(struct nd_ignore *ig, const char *data, size_t len,
		    const char *name, struct nd_error *err)
{
	const char *s = data, *end = data + len;
	int line = 0, r;

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		size_t n = eol ? (size_t)(eol - s) : (size_t)(end - s);
		char *t, *pat;

		line++;
		if (n && s[n - 1] == '\r')
			n--;
		if (line == 1 && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
			s += 3;
			n -= 3;
		}
		if (n && s[0] == '#')
			goto next;
		t = trim(s, n);
		if (!*t) {
			free(t);
			goto next;
		}
		if (t[0] == '!') {
			char *rest = trim(t + 1, strlen(t + 1));

			if (*rest) {
				char *c = nd_path_clean(rest);

				pat = nd_xprintf(
					"!%s", c[0] == '/' && c[1] ? c + 1 : c);
				free(c);
			} else {
				pat = nd_strdup("!");
			}
			free(rest);
		} else {
			char *c = nd_path_clean(t);

			pat = nd_strdup(c[0] == '/' && c[1] ? c + 1 : c);
			free(c);
		}
		free(t);
		r = add_at(ig, pat, name, line, err);
		free(pat);
		if (r < 0)
			return r;
	next:
		s = eol ? eol + 1 : end;
	}
	return 0;
}

void nd_ignore_release(struct nd_ignore *ig)
{
	size_t i, j;

	if (!ig)
		return;
	for (i = 0; i < ig->nr; i++) {
		for (j = 0; j < ig->pats[i].ntoks; j++)
			free(ig->pats[i].toks[j].ranges);
		free(ig->pats[i].toks);
		free(ig->pats[i].text);
	}
	free(ig->pats);
	*ig = (struct nd_ignore)ND_IGNORE_INIT;
}
