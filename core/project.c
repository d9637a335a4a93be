/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/project.h"
#include "core/buf.h"
#include "core/envfile.h"
#include "core/opt.h"
#include "core/units.h"

#include <ctype.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* --- the loader: libyaml's document API, walked with a key table --- */

struct ld {
	const char *file;
	yaml_document_t *doc;
	struct nd_project *p;
	struct nd_error *err;
	struct nd_buf path; /* dotted key path of the current section */
};

typedef int (*field_fn)(struct ld *l, yaml_node_t *key, yaml_node_t *val);

struct field {
	const char *key;
	field_fn fn;
};

static int err_at(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
	ND_PRINTF(3, 4);

static int err_at(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nd_error_vset(l->err, ND_EPROJECT, fmt, ap);
	va_end(ap);
	if (l->err) {
		l->err->file = nd_strdup(l->file);
		l->err->line = n ? (int)n->start_mark.line + 1 : 0;
		l->err->col = n ? (int)n->start_mark.column + 1 : 0;
	}
	return ND_EPROJECT;
}

static bool is_null(const yaml_node_t *n)
{
	const char *v;

	if (!n || n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static const char *describe(const yaml_node_t *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		return is_null(n) ? "null" : "a scalar";
	default:
		return "nothing";
	}
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* "deploy.port" for messages and positions */
static char *key_path(struct ld *l, const char *key)
{
	return l->path.len ? nd_xprintf("%s.%s", l->path.buf, key) :
			     nd_strdup(key);
}

static void record_pos(struct ld *l, const char *key, const yaml_node_t *n)
{
	char *kp = key_path(l, key);

	nd_kvlist_add(&l->p->positions, kp, NULL, (int)n->start_mark.line + 1,
		      (int)n->start_mark.column + 1);
	free(kp);
}

static int want_scalar(struct ld *l, const yaml_node_t *k, const yaml_node_t *v,
		       const char *expected)
{
	if (v->type != YAML_SCALAR_NODE || is_null(v))
		return err_at(l, v, "'%s' must be %s, not %s", scalar(k),
			      expected, describe(v));
	return 0;
}

static int get_string(struct ld *l, yaml_node_t *k, yaml_node_t *v, char **dst)
{
	int r = want_scalar(l, k, v, "a string");

	if (r < 0)
		return r;
	if (!*scalar(v))
		return err_at(l, v, "'%s' must not be empty", scalar(k));
	if (strlen(scalar(v)) != v->data.scalar.length)
		return err_at(l, v, "'%s' must not contain NUL bytes",
			      scalar(k));
	nd_str_replace(dst, scalar(v));
	return 0;
}

static int get_int(struct ld *l, yaml_node_t *k, yaml_node_t *v, long *dst,
		   long min, long max)
{
	const char *s;
	char *end;
	long n;
	int r = want_scalar(l, k, v, "an integer");

	if (r < 0)
		return r;
	s = scalar(v);
	errno = 0;
	n = strtol(s, &end, 10);
	if (!*s || *end || errno || isspace((unsigned char)*s))
		return err_at(l, v, "'%s' must be an integer, not '%s'",
			      scalar(k), s);
	if (n < min || n > max)
		return err_at(l, v, "'%s' must be between %ld and %ld, not %ld",
			      scalar(k), min, max, n);
	*dst = n;
	return 0;
}

static int get_choice(struct ld *l, yaml_node_t *k, yaml_node_t *v,
		      const char *const *choices, int *dst)
{
	struct nd_buf list = ND_BUF_INIT;
	int r = want_scalar(l, k, v, "a string"), i;

	if (r < 0)
		return r;
	for (i = 0; choices[i]; i++)
		if (!strcmp(choices[i], scalar(v))) {
			*dst = i;
			return 0;
		}
	for (i = 0; choices[i]; i++)
		nd_buf_addf(&list, "%s%s", i ? ", " : "", choices[i]);
	r = err_at(l, v, "invalid %s '%s': expected one of %s", scalar(k),
		   scalar(v), list.buf);
	nd_buf_release(&list);
	return r;
}

static int get_duration(struct ld *l, yaml_node_t *k, yaml_node_t *v,
			int64_t *dst)
{
	int r = want_scalar(l, k, v, "a duration");

	if (r < 0)
		return r;
	if (nd_parse_duration_ms(scalar(v), dst) < 0)
		return err_at(
			l, v,
			"invalid %s '%s': expected a duration like 500ms, 2s, 1m30s",
			scalar(k), scalar(v));
	return 0;
}

/* A mapping of names to scalar values (env, args, labels). */
static int get_strmap(struct ld *l, yaml_node_t *k, yaml_node_t *v,
		      struct nd_kvlist *dst, bool env_names)
{
	yaml_node_pair_t *pair;

	if (is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return err_at(
			l, v,
			"'%s' must be a mapping of names to values, not %s",
			scalar(k), describe(v));
	for (pair = v->data.mapping.pairs.start;
	     pair < v->data.mapping.pairs.top; pair++) {
		yaml_node_t *pk = yaml_document_get_node(l->doc, pair->key);
		yaml_node_t *pv = yaml_document_get_node(l->doc, pair->value);

		if (pk->type != YAML_SCALAR_NODE)
			return err_at(l, pk,
				      "keys of '%s' must be names, not %s",
				      scalar(k), describe(pk));
		if (nd_kvlist_find(dst, scalar(pk)))
			return err_at(l, pk, "duplicate key '%s' in '%s'",
				      scalar(pk), scalar(k));
		if (env_names && !nd_env_name_valid(scalar(pk)))
			return err_at(
				l, pk,
				"invalid name '%s' in '%s': expected letters, digits and '_', not starting with a digit",
				scalar(pk), scalar(k));
		if (!env_names && !*scalar(pk))
			return err_at(l, pk, "empty key in '%s'", scalar(k));
		if (pv->type != YAML_SCALAR_NODE || is_null(pv))
			/* an empty value has no position of its own: use the key's */
			return err_at(
				l, is_null(pv) ? pk : pv,
				"the value of '%s' in '%s' must be a string, number or boolean, not %s",
				scalar(pk), scalar(k), describe(pv));
		nd_kvlist_add(dst, scalar(pk), scalar(pv),
			      (int)pv->start_mark.line + 1,
			      (int)pv->start_mark.column + 1);
	}
	return 0;
}

/* A list of strings, or one string. */
static int get_strlist(struct ld *l, yaml_node_t *k, yaml_node_t *v,
		       struct nd_strvec *dst, bool allow_scalar)
{
	yaml_node_item_t *it;

	if (allow_scalar && v->type == YAML_SCALAR_NODE && !is_null(v)) {
		nd_strvec_push(dst, scalar(v));
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return err_at(l, v, "'%s' must be a list of strings, not %s",
			      scalar(k), describe(v));
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *n = yaml_document_get_node(l->doc, *it);

		if (n->type != YAML_SCALAR_NODE || is_null(n))
			return err_at(l, n,
				      "items of '%s' must be strings, not %s",
				      scalar(k), describe(n));
		nd_strvec_push(dst, scalar(n));
	}
	return 0;
}

/* Walk a mapping against a field table. */
static int walk(struct ld *l, const char *section, yaml_node_t *k,
		yaml_node_t *map, const struct field *fields)
{
	yaml_node_pair_t *pair, *q;
	size_t saved = l->path.len;
	int r = 0;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return err_at(l, map, "'%s' must be a mapping, not %s",
			      k ? scalar(k) : "the project file",
			      describe(map));
	if (section) {
		if (l->path.len)
			nd_buf_addch(&l->path, '.');
		nd_buf_adds(&l->path, section);
	}
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *pk = yaml_document_get_node(l->doc, pair->key);
		yaml_node_t *pv = yaml_document_get_node(l->doc, pair->value);
		const struct field *f;

		if (pk->type != YAML_SCALAR_NODE) {
			r = err_at(l, pk, "expected a key name, not %s",
				   describe(pk));
			goto done;
		}
		for (q = map->data.mapping.pairs.start; q < pair; q++) {
			yaml_node_t *qk = yaml_document_get_node(l->doc, q->key);

			if (qk->type == YAML_SCALAR_NODE &&
			    !strcmp(scalar(qk), scalar(pk))) {
				r = err_at(
					l, pk,
					"duplicate key '%s' (first set on line %d)",
					scalar(pk),
					(int)qk->start_mark.line + 1);
				goto done;
			}
		}
		for (f = fields; f->key; f++)
			if (!strcmp(f->key, scalar(pk)))
				break;
		if (!f->key) {
			const char *names[40];
			struct nd_buf list = ND_BUF_INIT;
			size_t n = 0;
			const char *best;

			for (f = fields; f->key && n < ND_ARRAY_SIZE(names);
			     f++) {
				names[n++] = f->key;
				nd_buf_addf(&list, "%s%s", n > 1 ? ", " : "",
					    f->key);
			}
			if (l->path.len)
				r = err_at(l, pk, "unknown key '%s' in '%s'",
					   scalar(pk), l->path.buf);
			else
				r = err_at(l, pk, "unknown key '%s'",
					   scalar(pk));
			best = nd_suggest(scalar(pk), names, n);
			if (best)
				nd_error_hint(
					l->err,
					"did you mean '%s'? (expected one of: %s)",
					best, list.buf);
			else
				nd_error_hint(l->err, "expected one of: %s",
					      list.buf);
			nd_buf_release(&list);
			goto done;
		}
		record_pos(l, scalar(pk), pv);
		if ((r = f->fn(l, pk, pv)) < 0)
			goto done;
	}
done:
	nd_buf_truncate(&l->path, saved);
	return r;
}

/* --- validators --- */

bool nd_app_name_valid(const char *s)
{
	size_t n = 0;

	if (!s || !((*s >= 'a' && *s <= 'z') || isdigit((unsigned char)*s)))
		return false;
	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || isdigit((unsigned char)*s) ||
		      *s == '_' || *s == '.' || *s == '-'))
			return false;
	return n <= 63;
}

bool nd_image_tag_valid(const char *s)
{
	size_t n = 0;

	if (!s || !(isalnum((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++, n++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.' ||
		      *s == '-'))
			return false;
	return n <= 128;
}

/*
 * An image reference: [host[:port]/]path[:tag][@digest], path components
 * lowercase [a-z0-9] separated by '.', '_', '__' or '-' (distribution's
 * reference grammar, simplified: we check the characters and the shape).
 */
bool nd_image_ref_valid(const char *s)
{
	const char *at, *p, *last_slash, *colon;
	char *name;
	bool ok = true;

	if (!s || !*s || strlen(s) > 255)
		return false;
	at = strchr(s, '@');
	if (at) {
		const char *d = at + 1;
		const char *c = strchr(d, ':');

		if (!c || c == d || strlen(c + 1) < 32)
			return false;
		for (p = c + 1; *p; p++)
			if (!isxdigit((unsigned char)*p))
				return false;
	}
	name = at ? nd_strndup(s, (size_t)(at - s)) : nd_strdup(s);
	last_slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon && (!last_slash || colon > last_slash)) {
		if (!nd_image_tag_valid(colon + 1))
			ok = false;
		name[colon - name] = '\0';
	}
	if (ok) {
		/* the first component may be a registry host[:port] */
		char *first_end = strchr(name, '/');
		char *path = name;

		if (first_end) {
			size_t hl = (size_t)(first_end - name);
			bool is_host = memchr(name, '.', hl) ||
				       memchr(name, ':', hl) ||
				       (hl == 9 &&
					!strncmp(name, "localhost", 9));

			if (is_host) {
				for (p = name; p < first_end; p++)
					if (!(isalnum((unsigned char)*p) ||
					      *p == '.' || *p == '-' ||
					      *p == ':'))
						ok = false;
				path = first_end + 1;
			}
		}
		if (!*path)
			ok = false;
		for (p = path; ok && *p; p++) {
			if ((*p >= 'a' && *p <= 'z') ||
			    isdigit((unsigned char)*p))
				continue;
			if (*p == '/' || *p == '.' || *p == '_' || *p == '-') {
				/* separators never start or end a component */
				if (p == path || !p[1] || p[1] == '/' ||
				    p[-1] == '/')
					ok = false;
				continue;
			}
			ok = false;
		}
	}
	free(name);
	return ok;
}

bool nd_domain_valid(const char *s)
{
	size_t label = 0, total = 0;
	const char *p = s;

	if (!s || !*s)
		return false;
	if (!strncmp(p, "*.", 2))
		p += 2;
	for (; *p; p++, total++) {
		if (*p == '.') {
			if (!label || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)*p) || *p == '-'))
			return false;
		if (*p == '-' && !label)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && total <= 253;
}

static bool relative_path_ok(const char *s)
{
	const char *p = s;

	if (*s == '/')
		return false;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 2 && !strncmp(p, "..", 2))
			return false;
		p += n;
		if (*p)
			p++;
	}
	return true;
}

/* --- sections --- */

static int f_app(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	int r = get_string(l, k, v, &l->p->app);

	if (r < 0)
		return r;
	if (!nd_app_name_valid(l->p->app))
		return err_at(
			l, v,
			"invalid app name '%s': expected lowercase letters, digits, '_', '.' or '-', starting with a letter or digit, at most 63 characters",
			l->p->app);
	return 0;
}

#define STRING_FIELD(fname, member)                                    \
	static int fname(struct ld *l, yaml_node_t *k, yaml_node_t *v) \
	{                                                              \
		return get_string(l, k, v, &l->p->member);             \
	}

STRING_FIELD(f_src_git, source.git)
STRING_FIELD(f_src_ref, source.ref)
STRING_FIELD(f_b_target, build.target)
STRING_FIELD(f_b_install, build.install)
STRING_FIELD(f_b_command, build.command)
STRING_FIELD(f_b_start, build.start)
STRING_FIELD(f_b_compose, build.compose_file)
STRING_FIELD(f_d_env_file, deploy.env_file)

static int path_field(struct ld *l, yaml_node_t *k, yaml_node_t *v, char **dst)
{
	int r = get_string(l, k, v, dst);

	if (r < 0)
		return r;
	if (!relative_path_ok(*dst))
		return err_at(
			l, v,
			"'%s' must be a relative path inside the project, not '%s'",
			scalar(k), *dst);
	return 0;
}

static int f_src_path(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	/* a source path may point anywhere: "../app" is a real use */
	return get_string(l, k, v, &l->p->source.path);
}

static int f_src_subdir(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return path_field(l, k, v, &l->p->source.subdir);
}

static int f_src_token_env(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	int r = get_string(l, k, v, &l->p->source.token_env);

	if (r == 0 && !nd_env_name_valid(l->p->source.token_env))
		return err_at(l, v, "invalid variable name '%s'",
			      l->p->source.token_env);
	return r;
}

static int f_b_dockerfile(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return path_field(l, k, v, &l->p->build.dockerfile);
}

static int f_b_context(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return path_field(l, k, v, &l->p->build.context);
}

static int f_b_output_dir(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return path_field(l, k, v, &l->p->build.output_dir);
}

static int image_field(struct ld *l, yaml_node_t *k, yaml_node_t *v, char **dst)
{
	int r = get_string(l, k, v, dst);

	if (r == 0 && !nd_image_ref_valid(*dst))
		return err_at(
			l, v,
			"invalid image reference '%s' for '%s': expected [registry/]name[:tag], lowercase",
			*dst, scalar(k));
	return r;
}

static int f_b_base(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return image_field(l, k, v, &l->p->build.base_image);
}

static int f_b_runtime(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return image_field(l, k, v, &l->p->build.runtime_image);
}

static int f_b_buildpack(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	static const char *const bps[] = { "auto",	 "nixpacks", "static",
					   "dockerfile", "compose",  NULL };
	int i, r = get_choice(l, k, v, bps, &i);

	if (r == 0)
		l->p->build.buildpack = (enum nd_buildpack)i;
	return r;
}

static int f_b_args(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_strmap(l, k, v, &l->p->build.args, false);
}

static int f_b_labels(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_strmap(l, k, v, &l->p->build.labels, false);
}

static int f_i_name(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	int r = get_string(l, k, v, &l->p->image.name);

	if (r == 0 &&
	    (strchr(l->p->image.name, ':') || strchr(l->p->image.name, '@') ||
	     !nd_image_ref_valid(l->p->image.name)))
		return err_at(
			l, v,
			"invalid image name '%s': expected lowercase letters, digits and separators, without a tag",
			l->p->image.name);
	return r;
}

static int f_i_tag(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	int r = get_string(l, k, v, &l->p->image.tag);

	if (r == 0 && !nd_image_tag_valid(l->p->image.tag))
		return err_at(
			l, v,
			"invalid tag '%s': expected letters, digits, '_', '.' or '-' (at most 128), or 'auto'",
			l->p->image.tag);
	return r;
}

static int f_i_registry(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	int r = get_string(l, k, v, &l->p->image.registry);
	char *probe;

	if (r < 0)
		return r;
	probe = nd_xprintf("%s/x", l->p->image.registry);
	if (!nd_image_ref_valid(probe) || strchr(l->p->image.registry, '@'))
		r = err_at(l, v,
			   "invalid registry '%s': expected host[:port][/path]",
			   l->p->image.registry);
	free(probe);
	return r;
}

static int f_d_port(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_int(l, k, v, &l->p->deploy.port, 1, 65535);
}

static int f_d_publish(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_int(l, k, v, &l->p->deploy.publish, 0, 65535);
}

static int f_d_replicas(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_int(l, k, v, &l->p->deploy.replicas, 1, 100);
}

static int f_d_env(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_strmap(l, k, v, &l->p->deploy.env, true);
}

static int f_d_secrets(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	yaml_node_pair_t *pair;
	struct nd_project *p = l->p;

	ND_UNUSED(k);
	if (is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return err_at(
			l, v,
			"'secrets' must be a mapping of names to { env: VAR } or { file: PATH }, not %s",
			describe(v));
	for (pair = v->data.mapping.pairs.start;
	     pair < v->data.mapping.pairs.top; pair++) {
		yaml_node_t *pk = yaml_document_get_node(l->doc, pair->key);
		yaml_node_t *pv = yaml_document_get_node(l->doc, pair->value);
		yaml_node_pair_t *q;
		struct nd_secret *s;
		size_t i;

		if (pk->type != YAML_SCALAR_NODE ||
		    !nd_env_name_valid(scalar(pk)))
			return err_at(
				l, pk,
				"invalid secret name '%s': expected letters, digits and '_', not starting with a digit",
				pk->type == YAML_SCALAR_NODE ? scalar(pk) : "?");
		for (i = 0; i < p->deploy.nsecrets; i++)
			if (!strcmp(p->deploy.secrets[i].name, scalar(pk)))
				return err_at(l, pk, "duplicate secret '%s'",
					      scalar(pk));
		if (pv->type != YAML_MAPPING_NODE)
			return err_at(
				l, pv,
				"secret '%s' must be { env: VAR } or { file: PATH }, not %s",
				scalar(pk), describe(pv));
		p->deploy.secrets = nd_realloc(p->deploy.secrets,
					       (p->deploy.nsecrets + 1) *
						       sizeof(*s));
		s = &p->deploy.secrets[p->deploy.nsecrets++];
		memset(s, 0, sizeof(*s));
		s->name = nd_strdup(scalar(pk));
		s->line = (int)pk->start_mark.line + 1;
		s->col = (int)pk->start_mark.column + 1;
		for (q = pv->data.mapping.pairs.start;
		     q < pv->data.mapping.pairs.top; q++) {
			yaml_node_t *qk = yaml_document_get_node(l->doc, q->key);
			yaml_node_t *qv = yaml_document_get_node(l->doc,
								 q->value);
			int r;

			if (qk->type == YAML_SCALAR_NODE &&
			    !strcmp(scalar(qk), "env")) {
				if (s->from_env)
					return err_at(l, qk,
						      "duplicate key 'env'");
				if ((r = get_string(l, qk, qv, &s->from_env)) <
				    0)
					return r;
				if (!nd_env_name_valid(s->from_env))
					return err_at(
						l, qv,
						"invalid variable name '%s'",
						s->from_env);
			} else if (qk->type == YAML_SCALAR_NODE &&
				   !strcmp(scalar(qk), "file")) {
				if (s->from_file)
					return err_at(l, qk,
						      "duplicate key 'file'");
				if ((r = get_string(l, qk, qv, &s->from_file)) <
				    0)
					return r;
			} else {
				r = err_at(l, qk,
					   "unknown key '%s' in secret '%s'",
					   qk->type == YAML_SCALAR_NODE ?
						   scalar(qk) :
						   "?",
					   s->name);
				nd_error_hint(l->err,
					      "expected one of: env, file");
				return r;
			}
		}
		if (!s->from_env == !s->from_file)
			return err_at(
				l, pv,
				"secret '%s' needs exactly one of 'env' or 'file'",
				s->name);
	}
	return 0;
}

static bool volume_name_valid(const char *s)
{
	if (!isalnum((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.' ||
		      *s == '-'))
			return false;
	return true;
}

static int f_d_volumes(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	struct nd_kvlist kv = ND_KVLIST_INIT;
	struct nd_project *p = l->p;
	size_t i;
	int r = get_strmap(l, k, v, &kv, false);

	for (i = 0; r == 0 && i < kv.nr; i++) {
		struct nd_volume *vol;
		const char *t = kv.items[i].value;

		if (!volume_name_valid(kv.items[i].key)) {
			nd_error_set_at(
				l->err, ND_EPROJECT, l->file, kv.items[i].line,
				kv.items[i].col,
				"invalid volume name '%s': expected letters, digits, '_', '.' or '-'",
				kv.items[i].key);
			r = ND_EPROJECT;
			break;
		}
		if (t[0] != '/' || strchr(t, ':')) {
			nd_error_set_at(
				l->err, ND_EPROJECT, l->file, kv.items[i].line,
				kv.items[i].col,
				"volume '%s' must be mounted at an absolute path in the container, not '%s'",
				kv.items[i].key, t);
			r = ND_EPROJECT;
			break;
		}
		p->deploy.volumes = nd_realloc(p->deploy.volumes,
					       (p->deploy.nvolumes + 1) *
						       sizeof(*vol));
		vol = &p->deploy.volumes[p->deploy.nvolumes++];
		vol->name = nd_strdup(kv.items[i].key);
		vol->target = nd_strdup(t);
		vol->line = kv.items[i].line;
		vol->col = kv.items[i].col;
	}
	nd_kvlist_release(&kv);
	return r;
}

static int f_hc_path(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	int r = get_string(l, k, v, &l->p->deploy.healthcheck.path);

	if (r == 0 && l->p->deploy.healthcheck.path[0] != '/')
		return err_at(l, v,
			      "healthcheck path must start with '/', not '%s'",
			      l->p->deploy.healthcheck.path);
	for (const char *c = l->p->deploy.healthcheck.path; r == 0 && *c; c++)
		if ((unsigned char)*c <= ' ' || *c == '\'' || *c == '"' ||
		    *c == '\\' || *c == '`')
			return err_at(
				l, v,
				"healthcheck path must be a plain URL path (no spaces, quotes or backslashes)");
	return r;
}

static int f_hc_command(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	if (v->type == YAML_SCALAR_NODE && !is_null(v))
		return get_string(l, k, v,
				  &l->p->deploy.healthcheck.command_shell);
	return get_strlist(l, k, v, &l->p->deploy.healthcheck.command, false);
}

static int f_hc_interval(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_duration(l, k, v, &l->p->deploy.healthcheck.interval_ms);
}

static int f_hc_timeout(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_duration(l, k, v, &l->p->deploy.healthcheck.timeout_ms);
}

static int f_hc_start(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_duration(l, k, v, &l->p->deploy.healthcheck.start_period_ms);
}

static int f_hc_retries(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_int(l, k, v, &l->p->deploy.healthcheck.retries, 1, 1000);
}

static const struct field healthcheck_fields[] = {
	{ "path", f_hc_path },
	{ "command", f_hc_command },
	{ "interval", f_hc_interval },
	{ "timeout", f_hc_timeout },
	{ "start_period", f_hc_start },
	{ "retries", f_hc_retries },
	{ NULL, NULL },
};

static int f_d_healthcheck(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	struct nd_project *p = l->p;
	int r = walk(l, "healthcheck", k, v, healthcheck_fields);

	if (r < 0)
		return r;
	p->deploy.healthcheck.set = !is_null(v);
	if (p->deploy.healthcheck.path && (p->deploy.healthcheck.command.nr ||
					   p->deploy.healthcheck.command_shell))
		return err_at(
			l, v,
			"healthcheck takes either 'path' or 'command', not both");
	if (p->deploy.healthcheck.command.nr == 0 &&
	    v->type == YAML_MAPPING_NODE) {
		/* an explicit empty list */
		yaml_node_pair_t *pair;

		for (pair = v->data.mapping.pairs.start;
		     pair < v->data.mapping.pairs.top; pair++) {
			yaml_node_t *pk = yaml_document_get_node(l->doc,
								 pair->key);
			yaml_node_t *pv = yaml_document_get_node(l->doc,
								 pair->value);

			if (!strcmp(scalar(pk), "command") &&
			    pv->type == YAML_SEQUENCE_NODE)
				return err_at(
					l, pv,
					"healthcheck command must not be empty");
		}
	}
	return 0;
}

static int f_res_memory(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	int r = want_scalar(l, k, v, "a size");

	if (r < 0)
		return r;
	if (nd_parse_size(scalar(v), &l->p->deploy.resources.memory) < 0 ||
	    l->p->deploy.resources.memory < 6 * 1024 * 1024)
		return err_at(
			l, v,
			"invalid memory '%s': expected a size of at least 6m, like 512m or 1g",
			scalar(v));
	return 0;
}

static int f_res_cpus(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	char *end;
	double d;
	int r = want_scalar(l, k, v, "a number");

	if (r < 0)
		return r;
	d = strtod(scalar(v), &end);
	if (end == scalar(v) || *end || d <= 0 || d > 1024)
		return err_at(
			l, v,
			"invalid cpus '%s': expected a positive number like 0.5 or 2",
			scalar(v));
	l->p->deploy.resources.cpus = d;
	return 0;
}

static const struct field resources_fields[] = {
	{ "memory", f_res_memory },
	{ "cpus", f_res_cpus },
	{ NULL, NULL },
};

static int f_d_resources(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return walk(l, "resources", k, v, resources_fields);
}

static int f_d_restart(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	const char *s;
	int r = get_string(l, k, v, &l->p->deploy.restart);

	if (r < 0)
		return r;
	s = l->p->deploy.restart;
	if (!strcmp(s, "no") || !strcmp(s, "always") ||
	    !strcmp(s, "unless-stopped") || !strcmp(s, "on-failure"))
		return 0;
	if (nd_starts_with(s, "on-failure:")) {
		const char *n = s + 11;

		if (*n && strspn(n, "0123456789") == strlen(n) && strlen(n) < 6)
			return 0;
	}
	return err_at(
		l, v,
		"invalid restart '%s': expected one of no, always, unless-stopped, on-failure or on-failure:N",
		s);
}

static int f_d_target(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	static const char *const t[] = { "engine", "swarm", NULL };
	int i, r = get_choice(l, k, v, t, &i);

	if (r == 0)
		l->p->deploy.target = (enum nd_target)i;
	return r;
}

static int f_d_domains(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	yaml_node_item_t *it;
	int r = get_strlist(l, k, v, &l->p->deploy.domains, true);
	size_t i = 0;

	if (r < 0)
		return r;
	if (v->type != YAML_SEQUENCE_NODE) {
		if (!nd_domain_valid(l->p->deploy.domains.items[0]))
			return err_at(l, v, "invalid domain '%s'",
				      l->p->deploy.domains.items[0]);
		return 0;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++, i++) {
		yaml_node_t *n = yaml_document_get_node(l->doc, *it);
		size_t j;

		if (!nd_domain_valid(scalar(n)))
			return err_at(
				l, n,
				"invalid domain '%s': expected a host name like shop.example.com",
				scalar(n));
		for (j = 0; j < i; j++)
			if (!strcasecmp(l->p->deploy.domains.items[j],
					scalar(n)))
				return err_at(l, n, "duplicate domain '%s'",
					      scalar(n));
	}
	return 0;
}

static int f_d_tls(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	static const char *const t[] = { "auto", "internal", "off", NULL };
	int i, r = get_choice(l, k, v, t, &i);

	if (r == 0) {
		l->p->deploy.tls = (enum nd_tls_mode)i;
		l->p->deploy.tls_set = true;
	}
	return r;
}

static int f_px_image(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return image_field(l, k, v, &l->p->deploy.proxy.image);
}

static int f_px_http(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_int(l, k, v, &l->p->deploy.proxy.http_port, 1, 65535);
}

static int f_px_https(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_int(l, k, v, &l->p->deploy.proxy.https_port, 1, 65535);
}

static const struct field proxy_fields[] = {
	{ "image", f_px_image },
	{ "http_port", f_px_http },
	{ "https_port", f_px_https },
	{ NULL, NULL },
};

static int f_d_proxy(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return walk(l, "proxy", k, v, proxy_fields);
}

static int f_d_stop_timeout(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return get_duration(l, k, v, &l->p->deploy.stop_timeout_ms);
}

static const struct field source_fields[] = {
	{ "path", f_src_path },
	{ "git", f_src_git },
	{ "ref", f_src_ref },
	{ "subdir", f_src_subdir },
	{ "token_env", f_src_token_env },
	{ NULL, NULL },
};

static const struct field build_fields[] = {
	{ "buildpack", f_b_buildpack },	 { "dockerfile", f_b_dockerfile },
	{ "context", f_b_context },	 { "args", f_b_args },
	{ "labels", f_b_labels },	 { "target", f_b_target },
	{ "base_image", f_b_base },	 { "runtime_image", f_b_runtime },
	{ "install", f_b_install },	 { "command", f_b_command },
	{ "start", f_b_start },		 { "output_dir", f_b_output_dir },
	{ "compose_file", f_b_compose }, { NULL, NULL },
};

static const struct field image_fields[] = {
	{ "name", f_i_name },
	{ "tag", f_i_tag },
	{ "registry", f_i_registry },
	{ NULL, NULL },
};

static const struct field deploy_fields[] = {
	{ "port", f_d_port },
	{ "publish", f_d_publish },
	{ "replicas", f_d_replicas },
	{ "env", f_d_env },
	{ "env_file", f_d_env_file },
	{ "secrets", f_d_secrets },
	{ "volumes", f_d_volumes },
	{ "healthcheck", f_d_healthcheck },
	{ "resources", f_d_resources },
	{ "restart", f_d_restart },
	{ "target", f_d_target },
	{ "domains", f_d_domains },
	{ "tls", f_d_tls },
	{ "proxy", f_d_proxy },
	{ "stop_timeout", f_d_stop_timeout },
	{ NULL, NULL },
};

static int f_source(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return walk(l, "source", k, v, source_fields);
}

static int f_build(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return walk(l, "build", k, v, build_fields);
}

static int f_image(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return walk(l, "image", k, v, image_fields);
}

static int f_deploy(struct ld *l, yaml_node_t *k, yaml_node_t *v)
{
	return walk(l, "deploy", k, v, deploy_fields);
}

static const struct field top_fields[] = {
	{ "app", f_app },     { "source", f_source }, { "build", f_build },
	{ "image", f_image }, { "deploy", f_deploy }, { NULL, NULL },
};

/* Checks across keys, once everything is read. */
static int cross_check(struct ld *l)
{
	struct nd_project *p = l->p;
	struct nd_error *err = l->err;

	if (!p->app) {
		nd_error_set_at(err, ND_EPROJECT, l->file, 1, 1,
				"missing required key 'app'");
		nd_error_hint(
			err,
			"add a line like 'app: shop' (lowercase letters, digits, '_', '.', '-')");
		return ND_EPROJECT;
	}
	if (p->source.path && p->source.git)
		return nd_project_error(
			p, err, "source.git",
			"'source.path' and 'source.git' cannot both be set");
	if (p->source.ref && !p->source.git)
		return nd_project_error(p, err, "source.ref",
					"'source.ref' needs 'source.git'");
	if (p->source.token_env && !p->source.git)
		return nd_project_error(p, err, "source.token_env",
					"'source.token_env' needs 'source.git'");
	if (p->build.compose_file && p->build.buildpack != ND_BP_COMPOSE &&
	    p->build.buildpack != ND_BP_AUTO)
		return nd_project_error(
			p, err, "build.compose_file",
			"'build.compose_file' needs 'buildpack: compose'");
	if (p->deploy.tls_set && !p->deploy.domains.nr)
		return nd_project_error(p, err, "deploy.tls",
					"'deploy.tls' needs 'deploy.domains'");
	if (p->deploy.target == ND_TARGET_SWARM && p->deploy.domains.nr)
		return nd_project_error(
			p, err, "deploy.domains",
			"'deploy.domains' is not supported with 'target: swarm' yet");
	if (p->deploy.proxy.http_port &&
	    p->deploy.proxy.http_port == p->deploy.proxy.https_port)
		return nd_project_error(
			p, err, "deploy.proxy.https_port",
			"'http_port' and 'https_port' must differ");
	for (size_t i = 0; i < p->deploy.nsecrets; i++)
		if (nd_kvlist_find(&p->deploy.env, p->deploy.secrets[i].name))
			return nd_error_set_at(
				err, ND_EPROJECT, l->file,
				p->deploy.secrets[i].line,
				p->deploy.secrets[i].col,
				"'%s' is both in 'env' and 'secrets'",
				p->deploy.secrets[i].name);
	return 0;
}

int nd_yaml_error(struct nd_error *err, const char *file,
		  const yaml_parser_t *parser)
{
	int r = nd_error_set_at(
		err, ND_EPROJECT, file, (int)parser->problem_mark.line + 1,
		(int)parser->problem_mark.column + 1, "invalid YAML: %s%s%s",
		parser->problem ? parser->problem : "syntax error",
		parser->context ? " " : "",
		parser->context ? parser->context : "");

	if (parser->context)
		nd_error_hint(err, "the %s began at line %d, column %d",
			      nd_starts_with(parser->context,
					     "while parsing a ") ?
				      parser->context + 16 :
				      "construct",
			      (int)parser->context_mark.line + 1,
			      (int)parser->context_mark.column + 1);
	return r;
}

int nd_project_parse(struct nd_project **out, const char *name, const char *dir,
		     const char *data, size_t len, struct nd_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	struct nd_project *p = nd_calloc(1, sizeof(*p));
	struct ld l = { name, &doc, p, err, ND_BUF_INIT };
	yaml_node_t *root;
	int r = 0;
	bool have_doc = false;

	p->path = nd_strdup(name);
	p->dir = nd_strdup(dir);
	p->deploy.publish = -1;
	if (!yaml_parser_initialize(&parser))
		BUG("yaml_parser_initialize failed");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		r = nd_yaml_error(err, name, &parser);
		goto done;
	}
	have_doc = true;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		r = nd_error_set_at(
			err, ND_EPROJECT, name, 1, 1,
			"the project file is empty: missing required key 'app'");
		nd_error_hint(err, "run 'nextdeploy init' to write one");
		goto done;
	}
	if (yaml_parser_load(&parser, &extra)) {
		yaml_node_t *x = yaml_document_get_root_node(&extra);

		if (x) {
			r = err_at(
				&l, x,
				"expected one YAML document, found a second one");
			yaml_document_delete(&extra);
			goto done;
		}
		yaml_document_delete(&extra);
	}
	if (root->type != YAML_MAPPING_NODE) {
		r = err_at(
			&l, root,
			"the project file must be a mapping of keys (app, source, build, image, deploy), not %s",
			describe(root));
		goto done;
	}
	if ((r = walk(&l, NULL, NULL, root, top_fields)) < 0)
		goto done;
	r = cross_check(&l);
done:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	nd_buf_release(&l.path);
	if (r < 0) {
		nd_project_free(p);
		return r;
	}
	*out = p;
	return 0;
}

int nd_project_load(struct nd_project **out, const char *path,
		    struct nd_error *err)
{
	struct nd_buf data = ND_BUF_INIT_CAP(4 << 20);
	char *abs = NULL, *dir, *slash;
	FILE *f;
	char chunk[8192];
	size_t n;
	int r;

	abs = realpath(path, NULL);
	if (!abs)
		return nd_error_errno(
			err, errno == ENOENT ? ND_ENOTFOUND : ND_EPROJECT,
			"cannot open project file '%s'", path);
	f = fopen(abs, "r");
	if (!f) {
		r = nd_error_errno(err, ND_EPROJECT,
				   "cannot open project file '%s'", path);
		free(abs);
		return r;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (nd_buf_add(&data, chunk, n) < 0) {
			fclose(f);
			free(abs);
			nd_buf_release(&data);
			return nd_error_set(
				err, ND_EPROJECT,
				"project file '%s' is larger than 4 MiB", path);
		}
	fclose(f);
	dir = nd_strdup(abs);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	/* messages name the file as the user gave it */
	r = nd_project_parse(out, path, dir, data.buf, data.len, err);
	if (r == 0) {
		free((*out)->path);
		(*out)->path = abs;
		abs = NULL;
	}
	free(abs);
	free(dir);
	nd_buf_release(&data);
	return r;
}

void nd_project_free(struct nd_project *p)
{
	size_t i;

	if (!p)
		return;
	free(p->path);
	free(p->dir);
	free(p->app);
	free(p->source.path);
	free(p->source.git);
	free(p->source.ref);
	free(p->source.subdir);
	free(p->source.token_env);
	free(p->build.dockerfile);
	free(p->build.context);
	nd_kvlist_release(&p->build.args);
	nd_kvlist_release(&p->build.labels);
	free(p->build.target);
	free(p->build.base_image);
	free(p->build.runtime_image);
	free(p->build.install);
	free(p->build.command);
	free(p->build.start);
	free(p->build.output_dir);
	free(p->build.compose_file);
	free(p->image.name);
	free(p->image.tag);
	free(p->image.registry);
	nd_kvlist_release(&p->deploy.env);
	free(p->deploy.env_file);
	for (i = 0; i < p->deploy.nsecrets; i++) {
		free(p->deploy.secrets[i].name);
		free(p->deploy.secrets[i].from_env);
		free(p->deploy.secrets[i].from_file);
	}
	free(p->deploy.secrets);
	for (i = 0; i < p->deploy.nvolumes; i++) {
		free(p->deploy.volumes[i].name);
		free(p->deploy.volumes[i].target);
	}
	free(p->deploy.volumes);
	free(p->deploy.healthcheck.path);
	nd_strvec_release(&p->deploy.healthcheck.command);
	free(p->deploy.healthcheck.command_shell);
	free(p->deploy.restart);
	nd_strvec_release(&p->deploy.domains);
	free(p->deploy.proxy.image);
	nd_kvlist_release(&p->positions);
	free(p);
}

int nd_project_find(char **path_out, const char *start_dir, struct nd_error *err)
{
	char *dir = realpath(start_dir, NULL);
	int r = 0;

	if (!dir)
		return nd_error_errno(err, ND_EUSAGE, "cannot use folder '%s'",
				      start_dir);
	for (;;) {
		static const char *const names[] = { "nextdeploy.yml",
						     "nextdeploy.yaml" };
		char *slash;

		for (size_t i = 0; i < ND_ARRAY_SIZE(names); i++) {
			char *cand = nd_xprintf(
				"%s/%s", strcmp(dir, "/") ? dir : "", names[i]);

			if (!access(cand, F_OK)) {
				*path_out = cand;
				goto done;
			}
			free(cand);
		}
		if (!strcmp(dir, "/"))
			break;
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	r = nd_error_set(err, ND_EPROJECT,
			 "no nextdeploy.yml in '%s' or any folder above it",
			 start_dir);
	nd_error_hint(err,
		      "run 'nextdeploy init' to write one, or pass -f FILE");
done:
	free(dir);
	return r;
}

bool nd_project_pos(const struct nd_project *p, const char *key, int *line,
		    int *col)
{
	const struct nd_kv *kv = nd_kvlist_find(&p->positions, key);

	if (!kv)
		return false;
	*line = kv->line;
	*col = kv->col;
	return true;
}

int nd_project_error(const struct nd_project *p, struct nd_error *err,
		     const char *key, const char *fmt, ...)
{
	int line = 0, col = 0;
	va_list ap;

	va_start(ap, fmt);
	nd_error_vset(err, ND_EPROJECT, fmt, ap);
	va_end(ap);
	if (err) {
		if (key)
			nd_project_pos(p, key, &line, &col);
		err->file = nd_strdup(p->path);
		err->line = line;
		err->col = col;
	}
	return ND_EPROJECT;
}

const char *nd_buildpack_name(enum nd_buildpack bp)
{
	switch (bp) {
	case ND_BP_NIXPACKS:
		return "nixpacks";
	case ND_BP_STATIC:
		return "static";
	case ND_BP_DOCKERFILE:
		return "dockerfile";
	case ND_BP_COMPOSE:
		return "compose";
	default:
		return "auto";
	}
}

const char *nd_project_image_name(const struct nd_project *p)
{
	return p->image.name ? p->image.name : p->app;
}

long nd_project_replicas(const struct nd_project *p)
{
	return p->deploy.replicas ? p->deploy.replicas : 1;
}

const char *nd_project_proxy_image(const struct nd_project *p)
{
	return p->deploy.proxy.image ? p->deploy.proxy.image : "caddy:2";
}

const char *nd_project_restart(const struct nd_project *p)
{
	return p->deploy.restart ? p->deploy.restart : "unless-stopped";
}

int64_t nd_project_stop_timeout_ms(const struct nd_project *p)
{
	return p->deploy.stop_timeout_ms ? p->deploy.stop_timeout_ms : 10000;
}

/* clang-format off */
const struct nd_project_key_doc nd_project_key_docs[] = {
	{ "app", "string", "required; the app's name: [a-z0-9][a-z0-9_.-]*, at most 63 characters. Container, network and image names derive from it" },
	{ "source", "mapping", "where the app's source is; default: the folder holding the project file" },
	{ "source.path", "string", "a folder, relative to the project file's folder (default .)" },
	{ "source.git", "string", "a git repository to clone: https://, ssh://, git@host:path, file:// or a local path" },
	{ "source.ref", "string", "the branch, tag or commit to check out (default: the remote's default branch)" },
	{ "source.subdir", "string", "a folder inside the source to build from" },
	{ "source.token_env", "string", "name of an environment variable holding a token for https clones of private repositories" },
	{ "build", "mapping", "how the image is built" },
	{ "build.buildpack", "string", "auto (default), nixpacks, static, dockerfile or compose" },
	{ "build.dockerfile", "string", "the Dockerfile to use (dockerfile buildpack; default Dockerfile)" },
	{ "build.context", "string", "the build context folder inside the source (default .)" },
	{ "build.args", "mapping", "build arguments, NAME: value" },
	{ "build.labels", "mapping", "extra image labels, name: value" },
	{ "build.target", "string", "the Dockerfile stage to build" },
	{ "build.base_image", "string", "override the FROM of the synthesized builder (or only) stage" },
	{ "build.runtime_image", "string", "override the FROM of the synthesized runtime stage" },
	{ "build.install", "string", "the install command (e.g. npm ci)" },
	{ "build.command", "string", "the build command (e.g. npm run build)" },
	{ "build.start", "string", "the start command (e.g. npm start)" },
	{ "build.output_dir", "string", "the folder a static build writes (e.g. dist)" },
	{ "build.compose_file", "string", "the compose file (compose buildpack; default docker-compose.yml)" },
	{ "image", "mapping", "the image name and tag" },
	{ "image.name", "string", "the image repository name (default: app)" },
	{ "image.tag", "string", "the release tag; auto (default) is the short git commit, else a content hash of the build context" },
	{ "image.registry", "string", "a registry prefix for push and pull, host[:port][/path]" },
	{ "deploy", "mapping", "how the app runs" },
	{ "deploy.port", "integer", "the port the app listens on inside the container (default: detected, else 3000)" },
	{ "deploy.publish", "integer", "the host port the per-app proxy publishes; 0 lets the engine pick" },
	{ "deploy.replicas", "integer", "how many containers run the release (1 to 100, default 1)" },
	{ "deploy.env", "mapping", "environment variables, NAME: value" },
	{ "deploy.env_file", "string", "a file of KEY=VALUE lines, relative to the project file" },
	{ "deploy.secrets", "mapping", "NAME: { env: VAR } or NAME: { file: PATH }; given to the container at run time only" },
	{ "deploy.volumes", "mapping", "named volumes, name: /absolute/path/in/container" },
	{ "deploy.healthcheck", "mapping", "the health gate: { path: /health } or { command: [...] }, with interval, timeout, start_period and retries" },
	{ "deploy.healthcheck.path", "string", "an HTTP path probed on the app port inside the container" },
	{ "deploy.healthcheck.command", "list", "a command run inside the container (a list, or a string run by sh -c); exit 0 is healthy" },
	{ "deploy.healthcheck.interval", "duration", "time between probes (default 2s)" },
	{ "deploy.healthcheck.timeout", "duration", "time one probe may take (default 2s)" },
	{ "deploy.healthcheck.start_period", "duration", "failures during this time do not count (default 0s)" },
	{ "deploy.healthcheck.retries", "integer", "probes before the release is declared unhealthy (default 15)" },
	{ "deploy.resources", "mapping", "limits: { memory: 512m, cpus: 0.5 }" },
	{ "deploy.resources.memory", "size", "memory limit, like 512m or 1g" },
	{ "deploy.resources.cpus", "number", "CPU limit, like 0.5 or 2" },
	{ "deploy.restart", "string", "restart policy: no, always, on-failure[:N] or unless-stopped (default)" },
	{ "deploy.target", "string", "engine (default) or swarm" },
	{ "deploy.domains", "list", "host names served by the shared edge proxy on ports 80 and 443" },
	{ "deploy.tls", "string", "auto (ACME certificates, default), internal (the proxy's own CA) or off" },
	{ "deploy.proxy", "mapping", "the Caddy proxy: image, http_port, https_port" },
	{ "deploy.proxy.image", "string", "the proxy image (default caddy:2)" },
	{ "deploy.proxy.http_port", "integer", "the edge proxy's host HTTP port (default 80)" },
	{ "deploy.proxy.https_port", "integer", "the edge proxy's host HTTPS port (default 443)" },
	{ "deploy.stop_timeout", "duration", "how long the old release may drain before it is killed (default 10s)" },
	{ NULL, NULL, NULL },
};
/* clang-format on */
