/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/opt.h"
#include "core/buf.h"

void nd_strlist_add(struct nd_strlist *l, const char *s)
{
	if (l->nr == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 4;
		l->items = nd_realloc(l->items, l->alloc * sizeof(*l->items));
	}
	l->items[l->nr++] = s;
}

void nd_strlist_release(struct nd_strlist *l)
{
	if (!l)
		return;
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

const struct nd_opt *nd_opt_find_long(const struct nd_opt *table,
				      const char *name)
{
	for (; table && table->type != ND_OPT_END; table++)
		if (table->long_name && !strcmp(table->long_name, name))
			return table;
	return NULL;
}

static const struct nd_opt *find_long(const struct nd_opt *const *tables,
				      const char *name, size_t len)
{
	for (; *tables; tables++) {
		const struct nd_opt *o;

		for (o = *tables; o->type != ND_OPT_END; o++)
			if (o->long_name && strlen(o->long_name) == len &&
			    !strncmp(o->long_name, name, len))
				return o;
	}
	return NULL;
}

static const struct nd_opt *find_short(const struct nd_opt *const *tables, int c)
{
	for (; *tables; tables++) {
		const struct nd_opt *o;

		for (o = *tables; o->type != ND_OPT_END; o++)
			if (o->short_name == c)
				return o;
	}
	return NULL;
}

static void opt_name(char *out, size_t n, const struct nd_opt *o)
{
	if (o->long_name)
		snprintf(out, n, "--%s", o->long_name);
	else
		snprintf(out, n, "-%c", o->short_name);
}

static int set_value(const struct nd_opt *o, const char *value,
		     struct nd_error *err)
{
	char name[64];

	opt_name(name, sizeof(name), o);
	switch (o->type) {
	case ND_OPT_STRING:
		if (o->kind == ND_ARG_CHOICE && o->choices) {
			const char *const *c;
			struct nd_buf list = ND_BUF_INIT;

			for (c = o->choices; *c; c++)
				if (!strcmp(*c, value))
					break;
			if (!*c) {
				for (c = o->choices; *c; c++)
					nd_buf_addf(&list, "%s%s",
						    c == o->choices ? "" : ", ",
						    *c);
				nd_error_set(err, ND_EUSAGE,
					     "invalid value '%s' for '%s'",
					     value, name);
				nd_error_hint(err, "expected one of: %s",
					      list.buf);
				nd_buf_release(&list);
				return ND_EUSAGE;
			}
		}
		*(const char **)o->target = value;
		return 0;
	case ND_OPT_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (!*value || *end || errno)
			return nd_error_set(
				err, ND_EUSAGE,
				"option '%s' expects a number, got '%s'", name,
				value);
		*(long *)o->target = v;
		return 0;
	}
	case ND_OPT_LIST:
		nd_strlist_add(o->target, value);
		return 0;
	default:
		BUG("option %s takes no value", name);
	}
}

static bool takes_value(const struct nd_opt *o)
{
	return o->type == ND_OPT_STRING || o->type == ND_OPT_INT ||
	       o->type == ND_OPT_LIST;
}

static int unknown_long(const struct nd_opt *const *tables, const char *arg,
			size_t len, struct nd_error *err)
{
	const char **names = NULL;
	size_t n = 0, alloc = 0;
	const char *best;
	char *word = nd_strndup(arg, len);

	for (; *tables; tables++) {
		const struct nd_opt *o;

		for (o = *tables; o->type != ND_OPT_END; o++) {
			if (!o->long_name || (o->flags & ND_OPTF_HIDDEN))
				continue;
			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 16;
				names = nd_realloc(names,
						   alloc * sizeof(*names));
			}
			names[n++] = o->long_name;
		}
	}
	nd_error_set(err, ND_EUSAGE, "unknown option '--%s'", word);
	best = nd_suggest(word, names, n);
	if (best)
		nd_error_hint(err, "did you mean '--%s'?", best);
	free(names);
	free(word);
	return ND_EUSAGE;
}

int nd_opt_parse(const char ***pos_out, int *npos_out,
		 const struct nd_opt *const *tables, int argc,
		 const char **argv, unsigned flags, struct nd_error *err)
{
	const char **pos = nd_calloc((size_t)argc + 1, sizeof(*pos));
	int npos = 0, i, r = 0;
	bool only_pos = false;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const struct nd_opt *o;

		if (only_pos || arg[0] != '-' || !arg[1]) {
			pos[npos++] = arg;
			if (flags & ND_PARSE_STOP_AT_POSITIONAL)
				only_pos = true;
			continue;
		}
		if (!strcmp(arg, "--")) {
			only_pos = true;
			if (flags & ND_PARSE_KEEP_DASHDASH)
				pos[npos++] = arg;
			continue;
		}
		if (arg[1] == '-') {
			const char *name = arg + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			bool negated = false;

			o = find_long(tables, name, len);
			if (!o && len > 3 && !strncmp(name, "no-", 3)) {
				o = find_long(tables, name + 3, len - 3);
				if (o && o->type != ND_OPT_BOOL)
					o = NULL;
				negated = o != NULL;
			}
			if (!o) {
				r = unknown_long(tables, name, len, err);
				goto done;
			}
			if (!takes_value(o)) {
				if (eq) {
					r = nd_error_set(
						err, ND_EUSAGE,
						"option '--%.*s' takes no value",
						(int)len, name);
					goto done;
				}
				if (o->type == ND_OPT_BOOL)
					*(bool *)o->target = !negated;
				else
					(*(int *)o->target)++;
				continue;
			}
			if (eq) {
				r = set_value(o, eq + 1, err);
			} else if (i + 1 < argc) {
				r = set_value(o, argv[++i], err);
			} else {
				r = nd_error_set(
					err, ND_EUSAGE,
					"option '--%s' requires a value",
					o->long_name);
			}
			if (r < 0)
				goto done;
			continue;
		}
		/* a cluster of short options: -it, -n5, -n 5 */
		for (const char *p = arg + 1; *p; p++) {
			o = find_short(tables, (unsigned char)*p);
			if (!o) {
				r = nd_error_set(err, ND_EUSAGE,
						 "unknown option '-%c'", *p);
				goto done;
			}
			if (!takes_value(o)) {
				if (o->type == ND_OPT_BOOL)
					*(bool *)o->target = true;
				else
					(*(int *)o->target)++;
				continue;
			}
			if (p[1]) {
				r = set_value(o, p + 1, err);
			} else if (i + 1 < argc) {
				r = set_value(o, argv[++i], err);
			} else {
				r = nd_error_set(
					err, ND_EUSAGE,
					"option '-%c' requires a value", *p);
			}
			if (r < 0)
				goto done;
			break;
		}
	}
done:
	if (r < 0) {
		free(pos);
		return r;
	}
	*pos_out = pos;
	*npos_out = npos;
	return 0;
}

size_t nd_edit_distance(const char *a, const char *b)
{
	/* optimal string alignment: a transposition is one edit (biuld) */
	size_t la = strlen(a), lb = strlen(b), i, j, d;
	size_t w = lb + 1;
	size_t *m = nd_malloc((la + 1) * w * sizeof(size_t));

	for (i = 0; i <= la; i++)
		m[i * w] = i;
	for (j = 0; j <= lb; j++)
		m[j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = m[(i - 1) * w + j - 1] + cost;

			if (m[(i - 1) * w + j] + 1 < best)
				best = m[(i - 1) * w + j] + 1;
			if (m[i * w + j - 1] + 1 < best)
				best = m[i * w + j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] &&
			    m[(i - 2) * w + j - 2] + 1 < best)
				best = m[(i - 2) * w + j - 2] + 1;
			m[i * w + j] = best;
		}
	}
	d = m[la * w + lb];
	free(m);
	return d;
}

const char *nd_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, i, limit;

	for (i = 0; i < n; i++) {
		size_t d = nd_edit_distance(word, candidates[i]);

		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	/* allow roughly one typo per three characters, at least one */
	limit = strlen(word) / 3;
	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	return best_d <= limit ? best : NULL;
}
