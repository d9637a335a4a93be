/* SPDX-License-Identifier: MIT */
/*
 * Compose files (docker-compose.yml, compose.yaml...): the services, for
 * the compose buildpack. Read with libyaml: for each service its image,
 * build (context, dockerfile), the first container port of `ports`,
 * `environment` (list or mapping) and `command` (string or list). Other
 * keys are left to the user's compose knowledge: modest on purpose.
 */
#include "core/common.h"
#include "buildpacks/bp.h"
#include "core/project.h"

#include <yaml.h>

struct cp {
	const char *file;
	yaml_document_t *doc;
	struct nd_error *err;
};

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ?
		       (const char *)n->data.scalar.value :
		       NULL;
}

static yaml_node_t *node(struct cp *c, int i)
{
	return yaml_document_get_node(c->doc, i);
}

static int at(struct cp *c, yaml_node_t *n, const char *fmt, ...)
	ND_PRINTF(3, 4);

static int at(struct cp *c, yaml_node_t *n, const char *fmt, ...)
{
	struct nd_buf b = ND_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	nd_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	nd_error_set_at(c->err, ND_EPROJECT, c->file,
			(int)n->start_mark.line + 1,
			(int)n->start_mark.column + 1, "%s", b.buf);
	nd_buf_release(&b);
	return ND_EPROJECT;
}

static yaml_node_t *map_get(struct cp *c, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *p;

	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if (nd_streq(scalar(node(c, p->key)), key))
			return node(c, p->value);
	return NULL;
}

/* "8080:80", "127.0.0.1:8080:80/tcp", "80", "3000-3005" -> 80 / 3000 */
static int container_port(const char *s)
{
	const char *colon = strrchr(s, ':');
	const char *p = colon ? colon + 1 : s;
	char *end;
	long v = strtol(p, &end, 10);

	if (end == p || (*end && *end != '/' && *end != '-') || v < 1 ||
	    v > 65535)
		return 0;
	return (int)v;
}

static int parse_port(struct cp *c, struct nd_plan_service *svc,
		      yaml_node_t *ports)
{
	yaml_node_item_t *it;

	if (ports->type != YAML_SEQUENCE_NODE)
		return at(c, ports, "'ports' must be a list");
	for (it = ports->data.sequence.items.start;
	     it < ports->data.sequence.items.top; it++) {
		yaml_node_t *n = node(c, *it);
		const char *s = scalar(n);
		int port;

		if (n->type == YAML_MAPPING_NODE)
			s = scalar(map_get(c, n, "target"));
		port = s ? container_port(s) : 0;
		if (!port)
			return at(
				c, n,
				"cannot read a container port from this entry");
		if (!svc->port)
			svc->port = port;
	}
	return 0;
}

static int parse_env(struct cp *c, struct nd_plan_service *svc, yaml_node_t *env)
{
	if (env->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;

		for (it = env->data.sequence.items.start;
		     it < env->data.sequence.items.top; it++) {
			const char *s = scalar(node(c, *it));
			const char *eq = s ? strchr(s, '=') : NULL;
			char *k;

			if (!s)
				return at(c, node(c, *it),
					  "expected NAME=value");
			k = eq ? nd_strndup(s, (size_t)(eq - s)) : nd_strdup(s);
			/* "NAME" alone passes the client's value: not ours */
			if (eq)
				nd_kvlist_set(&svc->env, k, eq + 1);
			free(k);
		}
		return 0;
	}
	if (env->type == YAML_MAPPING_NODE) {
		yaml_node_pair_t *p;

		for (p = env->data.mapping.pairs.start;
		     p < env->data.mapping.pairs.top; p++) {
			const char *k = scalar(node(c, p->key));
			const char *v = scalar(node(c, p->value));

			if (!k)
				return at(c, node(c, p->key),
					  "expected a variable name");
			if (v)
				nd_kvlist_set(&svc->env, k, v);
		}
		return 0;
	}
	return at(c, env, "'environment' must be a list or a mapping");
}

static int parse_service(struct cp *c, struct nd_plan_service *svc,
			 yaml_node_t *s)
{
	yaml_node_t *v;
	int r;

	if (s->type != YAML_MAPPING_NODE)
		return at(c, s, "service '%s' must be a mapping", svc->name);
	v = map_get(c, s, "image");
	if (v)
		svc->image = nd_strdup_or_null(scalar(v));
	v = map_get(c, s, "build");
	if (v) {
		const char *ctx = scalar(v), *df = NULL;
		yaml_node_t *at_node = v;

		if (v->type == YAML_MAPPING_NODE) {
			yaml_node_t *cn = map_get(c, v, "context");
			yaml_node_t *dn = map_get(c, v, "dockerfile");

			ctx = cn ? scalar(cn) : ".";
			df = dn ? scalar(dn) : NULL;
			at_node = cn ? cn : v;
			if (dn && (!df || !nd_bp_path_ok(df)))
				return at(
					c, dn,
					"'dockerfile' must be a relative path inside the context");
		}
		if (!ctx)
			return at(
				c, v,
				"'build' must be a folder or a mapping with 'context'");
		if (nd_starts_with(ctx, "./"))
			ctx += 2;
		if (!*ctx)
			ctx = ".";
		if (strcmp(ctx, ".") && !nd_bp_path_ok(ctx))
			return at(
				c, at_node,
				"the build context '%s' must be a folder inside the app (no '..', no URL)",
				ctx);
		svc->context = nd_strdup(ctx);
		svc->dockerfile = nd_strdup(df ? df : "Dockerfile");
	}
	if (!svc->image && !svc->context)
		return at(c, s, "service '%s' has neither 'image' nor 'build'",
			  svc->name);
	v = map_get(c, s, "ports");
	if (v && (r = parse_port(c, svc, v)) < 0)
		return r;
	v = map_get(c, s, "expose");
	if (v && !svc->port && (r = parse_port(c, svc, v)) < 0)
		return r;
	v = map_get(c, s, "environment");
	if (v && (r = parse_env(c, svc, v)) < 0)
		return r;
	v = map_get(c, s, "command");
	if (v) {
		if (v->type == YAML_SEQUENCE_NODE) {
			yaml_node_item_t *it;

			for (it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++) {
				const char *w = scalar(node(c, *it));

				if (!w)
					return at(c, node(c, *it),
						  "expected a string");
				nd_strvec_push(&svc->command, w);
			}
		} else if (scalar(v)) {
			struct nd_error e2 = ND_ERROR_INIT;

			if (nd_bp_cmd_argv(&svc->command, scalar(v), &e2) < 0) {
				r = at(c, v, "%s", e2.msg);
				nd_error_release(&e2);
				return r;
			}
		} else {
			return at(c, v, "'command' must be a string or a list");
		}
	}
	return 0;
}

int nd_bp_compose_parse(struct nd_plan *plan, const char *file,
			const char *text, struct nd_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *services;
	yaml_node_pair_t *p;
	struct cp c = { file, &doc, err };
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		BUG("yaml_parser_initialize failed");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     strlen(text));
	if (!yaml_parser_load(&parser, &doc)) {
		r = nd_yaml_error(err, file, &parser);
		yaml_parser_delete(&parser);
		return r;
	}
	root = yaml_document_get_root_node(&doc);
	services = root ? map_get(&c, root, "services") : NULL;
	if (!services || services->type != YAML_MAPPING_NODE ||
	    services->data.mapping.pairs.start ==
		    services->data.mapping.pairs.top) {
		r = nd_error_set_at(
			err, ND_EPROJECT, file,
			services ? (int)services->start_mark.line + 1 : 1,
			services ? (int)services->start_mark.column + 1 : 1,
			"expected 'services:' with at least one service");
		goto done;
	}
	for (p = services->data.mapping.pairs.start;
	     p < services->data.mapping.pairs.top && !r; p++) {
		yaml_node_t *k = node(&c, p->key);
		struct nd_plan_service *svc;
		const char *name = scalar(k);

		if (!name || !nd_app_name_valid(name)) {
			r = at(&c, k,
			       "invalid service name '%s': expected [a-z0-9][a-z0-9_.-]*",
			       name ? name : "?");
			break;
		}
		plan->services = nd_realloc(
			plan->services, (plan->nservices + 1) * sizeof(*svc));
		svc = &plan->services[plan->nservices++];
		memset(svc, 0, sizeof(*svc));
		svc->name = nd_strdup(name);
		r = parse_service(&c, svc, node(&c, p->value));
	}
done:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}
