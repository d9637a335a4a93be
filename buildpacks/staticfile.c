/* SPDX-License-Identifier: MIT */
/*
 * Staticfile: the Cloud Foundry staticfile buildpack's YAML config, also
 * read by nixpacks. Keys: root (the folder served), pushstate (enabled:
 * unknown paths serve /index.html), gzip (on/off), directory (visible:
 * listings), status_codes / status_code (404: /404.html). Others are
 * reported as ignored.
 */
#include "core/common.h"
#include "buildpacks/bp.h"
#include "core/project.h"

#include <strings.h>
#include <yaml.h>

void nd_bp_staticfile_init(struct nd_bp_staticfile *sf)
{
	memset(sf, 0, sizeof(*sf));
	sf->gzip = true;
}

void nd_bp_staticfile_release(struct nd_bp_staticfile *sf)
{
	free(sf->root);
	nd_kvlist_release(&sf->status_codes);
	nd_strvec_release(&sf->ignored);
	nd_bp_staticfile_init(sf);
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ?
		       (const char *)n->data.scalar.value :
		       NULL;
}

static int at(struct nd_error *err, const char *file, yaml_node_t *n,
	      const char *fmt, const char *a)
{
	return nd_error_set_at(err, ND_EPROJECT, file,
			       (int)n->start_mark.line + 1,
			       (int)n->start_mark.column + 1, fmt, a);
}

static int flag(bool *dst, const char *file, yaml_node_t *k, yaml_node_t *v,
		struct nd_error *err)
{
	static const char *const yes[] = { "enabled", "enable",	 "on", "true",
					   "yes",     "visible", "1",  NULL };
	static const char *const no[] = { "disabled", "disable", "off", "false",
					  "no",	      "hidden",	 "0",	NULL };
	const char *s = scalar(v);
	size_t i;

	for (i = 0; s && yes[i]; i++)
		if (!strcasecmp(s, yes[i])) {
			*dst = true;
			return 0;
		}
	for (i = 0; s && no[i]; i++)
		if (!strcasecmp(s, no[i])) {
			*dst = false;
			return 0;
		}
	return at(err, file, v,
		  "'%s' must be enabled/disabled (or on/off, true/false)",
		  scalar(k));
}

int nd_bp_staticfile_parse(struct nd_bp_staticfile *sf, const char *file,
			   const char *text, struct nd_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_pair_t *pair;
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
	if (!root) /* an empty Staticfile only says "static site" */
		goto done;
	if (root->type != YAML_MAPPING_NODE) {
		r = at(err, file, root, "expected a mapping of settings%s", "");
		goto done;
	}
	for (pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top && !r; pair++) {
		yaml_node_t *k = yaml_document_get_node(&doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(&doc, pair->value);
		const char *key = scalar(k);

		if (!key) {
			r = at(err, file, k, "expected a setting name%s", "");
		} else if (!strcmp(key, "root")) {
			if (!scalar(v) || !nd_bp_path_ok(scalar(v)))
				r = at(err, file, v,
				       "'root' must be a relative folder of letters, digits, '.', '_', '-' and '/' (got '%s')",
				       scalar(v) ? scalar(v) : "?");
			else
				nd_str_replace(&sf->root, scalar(v));
		} else if (!strcmp(key, "pushstate")) {
			r = flag(&sf->pushstate, file, k, v, err);
			sf->pushstate_set = true;
		} else if (!strcmp(key, "gzip")) {
			r = flag(&sf->gzip, file, k, v, err);
		} else if (!strcmp(key, "directory")) {
			r = flag(&sf->directory, file, k, v, err);
		} else if (!strcmp(key, "status_codes") ||
			   !strcmp(key, "status_code")) {
			yaml_node_pair_t *sp;

			if (v->type != YAML_MAPPING_NODE) {
				r = at(err, file, v,
				       "'%s' must map status codes to pages (404: /404.html)",
				       key);
				break;
			}
			for (sp = v->data.mapping.pairs.start;
			     sp < v->data.mapping.pairs.top; sp++) {
				yaml_node_t *sk = yaml_document_get_node(
					&doc, sp->key);
				yaml_node_t *sv = yaml_document_get_node(
					&doc, sp->value);
				const char *code = scalar(sk),
					   *page = scalar(sv);
				char *end = NULL;
				long c = code ? strtol(code, &end, 10) : 0;

				if (!code || *end || c < 400 || c > 599) {
					r = at(err, file, sk,
					       "'%s' is not an error status code (400-599)",
					       code ? code : "?");
					break;
				}
				if (!page || *page != '/' ||
				    !nd_bp_path_ok(page + 1)) {
					r = at(err, file, sv,
					       "the page must be an absolute path in the site like /404.html (got '%s')",
					       page ? page : "?");
					break;
				}
				nd_kvlist_set(&sf->status_codes, code, page);
			}
		} else {
			nd_strvec_push(&sf->ignored, key);
		}
	}
done:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}
