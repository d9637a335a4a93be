/* SPDX-License-Identifier: MIT */
/*
 * Node.js (package.json), nixpacks' rules made exact:
 *  - package manager: package.json "packageManager" (corepack), else the
 *    lockfile: pnpm-lock.yaml, yarn.lock, bun.lockb / bun.lock,
 *    package-lock.json / npm-shrinkwrap.json; else npm without a lockfile.
 *  - node version: engines.node, .nvmrc, .node-version; the first exact
 *    one (x.y.z) wins, else the first one given; ranges become the image
 *    tag that satisfies them (^20.11.1 -> 20, ~20.11.1 -> 20.11, >=18 ->
 *    the default 22 when it satisfies...). Default: 22 (active LTS).
 *  - frameworks: Next.js (standalone output when next.config says so),
 *    Vite / Create React App / Astro with no server start -> a static
 *    site built with node and served by nginx; any other package.json
 *    with a build script but nothing to start -> static too.
 *  - start: build.start, Procfile web:, next standalone (node server.js),
 *    scripts.start (run directly, without npm, unless it has pre/post
 *    hooks), "main", then index.js, server.js, app.js, main.js.
 */
#include "core/common.h"
#include "buildpacks/bp.h"
#include "core/project.h"

#include <cjson/cJSON.h>
#include <ctype.h>

#define NODE_DEFAULT_MAJOR 22

bool nd_bp_node_detect(struct nd_bp *bp)
{
	return nd_bp_file(bp, "package.json");
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool has_dep(const cJSON *pkg, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(
		       cJSON_GetObjectItemCaseSensitive(pkg, "dependencies"),
		       name) ||
	       cJSON_GetObjectItemCaseSensitive(
		       cJSON_GetObjectItemCaseSensitive(pkg, "devDependencies"),
		       name);
}

static bool has_any_deps(const cJSON *pkg)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(pkg, "dependencies");
	const cJSON *dd = cJSON_GetObjectItemCaseSensitive(pkg,
							   "devDependencies");

	return (d && d->child) || (dd && dd->child);
}

/* --- versions ------------------------------------------------------- */

struct semver {
	long v[3];
	int n; /* components given */
};

static const char *parse_semver(const char *s, struct semver *sv)
{
	char *end;

	sv->n = 0;
	if (*s == 'v' || *s == 'V')
		s++;
	while (sv->n < 3 && isdigit((unsigned char)*s)) {
		sv->v[sv->n++] = strtol(s, &end, 10);
		s = end;
		if (*s != '.' || !isdigit((unsigned char)s[1]))
			break;
		s++;
	}
	return sv->n ? s : NULL;
}

/*
 * A node version spec (engines.node, .nvmrc) -> an image tag part:
 * "20.11.1", "20.11", "20", "lts", "current". *exact tells whether the
 * project pinned x.y.z. NULL when unusable.
 */
static char *node_tag(const char *spec, bool *exact)
{
	static const struct {
		const char *code;
		int major;
	} lts[] = {
		{ "argon", 4 },	   { "boron", 6 },     { "carbon", 8 },
		{ "dubnium", 10 }, { "erbium", 12 },   { "fermium", 14 },
		{ "gallium", 16 }, { "hydrogen", 18 }, { "iron", 20 },
		{ "jod", 22 },
	};
	struct semver sv;
	const char *rest;
	char *s = nd_strdup(spec), *p, *bar;
	long lo = -1, hi = -1; /* majors, inclusive */
	char *out = NULL;
	size_t i;

	*exact = false;
	for (p = s; isspace((unsigned char)*p); p++)
		;
	/* in "a || b" prefer the last alternative: usually the newest */
	bar = strstr(p, "||");
	while (bar) {
		p = bar + 2;
		bar = strstr(p, "||");
	}
	while (isspace((unsigned char)*p))
		p++;
	{
		char *e = p + strlen(p);

		while (e > p && isspace((unsigned char)e[-1]))
			*--e = '\0';
	}
	if (!strcasecmp(p, "lts/*") || !strcasecmp(p, "lts")) {
		out = nd_strdup("lts");
		goto done;
	}
	if (!strncasecmp(p, "lts/", 4)) {
		for (i = 0; i < ND_ARRAY_SIZE(lts); i++)
			if (!strcasecmp(p + 4, lts[i].code)) {
				out = nd_xprintf("%d", lts[i].major);
				goto done;
			}
		goto done;
	}
	if (!strcasecmp(p, "node") || !strcasecmp(p, "current") ||
	    !strcasecmp(p, "latest")) {
		out = nd_strdup("current");
		goto done;
	}
	if (!*p || !strcmp(p, "*") || !strcasecmp(p, "x"))
		goto done;
	/* a plain version: "20.11.1", "v20", "20.x" */
	rest = parse_semver(p, &sv);
	if (rest && (!*rest || !strcmp(rest, ".x") || !strcmp(rest, ".*") ||
		     !strcmp(rest, ".x.x"))) {
		if (sv.n == 3 && !*rest) {
			out = nd_xprintf("%ld.%ld.%ld", sv.v[0], sv.v[1],
					 sv.v[2]);
			*exact = true;
		} else if (sv.n >= 2 && !*rest) {
			out = nd_xprintf("%ld.%ld", sv.v[0], sv.v[1]);
		} else {
			out = nd_xprintf("%ld", sv.v[0]);
		}
		goto done;
	}
	if (*p == '=' && p[1] != '=') { /* "=20.11.1" */
		out = node_tag(p + 1, exact);
		goto done;
	}
	if (*p == '^' || *p == '~') {
		bool tilde = *p == '~';

		rest = parse_semver(p + 1 + (p[1] == '>'), &sv);
		if (!rest)
			goto done;
		if (tilde && sv.n >= 2)
			out = nd_xprintf("%ld.%ld", sv.v[0], sv.v[1]);
		else
			out = nd_xprintf("%ld", sv.v[0]);
		goto done;
	}
	/* comparators: ">=18", ">=18 <21", ">16.0.0 <=20" */
	for (; *p; p++) {
		const char *op = p;
		long m;

		if (!strchr("<>=", *p))
			continue;
		while (strchr("<>=", *p) && *p)
			p++;
		while (isspace((unsigned char)*p))
			p++;
		rest = parse_semver(p, &sv);
		if (!rest)
			goto done;
		m = sv.v[0];
		if (op[0] == '>')
			lo = op[1] == '=' || sv.n > 1 ? m : m + 1;
		else if (op[0] == '<')
			hi = op[1] == '=' ? m :
			     (sv.n == 1 ||
			      (sv.v[1] == 0 && (sv.n < 3 || sv.v[2] == 0))) ?
					    m - 1 :
					    m;
		p = (char *)rest - 1;
	}
	if (lo < 0 && hi < 0)
		goto done;
	if ((lo < 0 || lo <= NODE_DEFAULT_MAJOR) &&
	    (hi < 0 || hi >= NODE_DEFAULT_MAJOR))
		out = nd_xprintf("%d", NODE_DEFAULT_MAJOR);
	else if (hi >= 0 && hi < NODE_DEFAULT_MAJOR)
		out = nd_xprintf("%ld", hi);
	else
		out = nd_xprintf("%ld", lo);
done:
	free(s);
	if (out && !nd_bp_version_ok(out)) {
		free(out);
		out = NULL;
	}
	return out;
}

struct node_ctx {
	cJSON *pkg;
	const char *pm;	      /* npm yarn pnpm bun */
	const char *pm_file;  /* what decided it */
	const char *lockfile; /* NULL: none */
	char *pm_version;     /* from packageManager */
	bool corepack;
	bool yarn_berry;
	char *tag; /* node image tag part */
	const char *framework;
	bool standalone;
	bool is_static;
	const char *out_dir;  /* static output */
	const char *out_file; /* what decided it */
};

static void pick_pm(struct nd_bp *bp, struct node_ctx *n)
{
	static const struct {
		const char *file, *pm;
	} locks[] = {
		{ "pnpm-lock.yaml", "pnpm" },
		{ "yarn.lock", "yarn" },
		{ "bun.lockb", "bun" },
		{ "bun.lock", "bun" },
		{ "package-lock.json", "npm" },
		{ "npm-shrinkwrap.json", "npm" },
	};
	const char *field = jstr(n->pkg, "packageManager");
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(locks); i++)
		if (nd_bp_file(bp, locks[i].file)) {
			n->pm = locks[i].pm;
			n->pm_file = locks[i].file;
			n->lockfile = locks[i].file;
			break;
		}
	if (field) {
		size_t k = strcspn(field, "@");
		static const char *const pms[] = { "npm", "pnpm", "yarn",
						   "bun" };

		for (i = 0; i < ND_ARRAY_SIZE(pms); i++)
			if (strlen(pms[i]) == k && !strncmp(field, pms[i], k)) {
				const char *ver = field[k] ? field + k + 1 :
							     NULL;
				char *v = ver ? nd_strndup(ver,
							   strcspn(ver, "+")) :
						NULL;

				n->pm = pms[i];
				n->pm_file = "package.json";
				if (v && nd_bp_version_ok(v))
					n->pm_version = v;
				else
					free(v);
				n->corepack = strcmp(pms[i], "npm") &&
					      strcmp(pms[i], "bun");
				/* the lockfile that goes with it, if any */
				n->lockfile = NULL;
				if (!strcmp(pms[i], "npm"))
					n->lockfile =
						nd_bp_file(bp,
							   "package-lock.json") ?
							"package-lock.json" :
							NULL;
				else if (!strcmp(pms[i], "pnpm") &&
					 nd_bp_file(bp, "pnpm-lock.yaml"))
					n->lockfile = "pnpm-lock.yaml";
				else if (!strcmp(pms[i], "yarn") &&
					 nd_bp_file(bp, "yarn.lock"))
					n->lockfile = "yarn.lock";
				else if (!strcmp(pms[i], "bun"))
					n->lockfile = nd_bp_file(bp,
								 "bun.lockb") ?
							      "bun.lockb" :
						      nd_bp_file(bp,
								 "bun.lock") ?
							      "bun.lock" :
							      NULL;
				break;
			}
	}
	if (!n->pm) {
		n->pm = "npm";
		n->pm_file = NULL;
	}
	if (!strcmp(n->pm, "yarn") &&
	    (nd_bp_file(bp, ".yarnrc.yml") ||
	     (n->pm_version && n->pm_version[0] != '1')))
		n->yarn_berry = n->corepack = true;
	if (!strcmp(n->pm, "pnpm"))
		n->corepack = true;
}

static int pick_version(struct nd_bp *bp, struct node_ctx *n,
			struct nd_error *err)
{
	struct {
		const char *file;
		char *spec;
	} c[3] = { { "package.json", NULL },
		   { ".nvmrc", NULL },
		   { ".node-version", NULL } };
	const cJSON *engines = cJSON_GetObjectItemCaseSensitive(n->pkg,
								"engines");
	const char *file = NULL;
	char *first = NULL, *exact_tag = NULL;
	const char *first_file = NULL, *exact_file = NULL, *spec_used = NULL;
	size_t i;

	if (jstr(engines, "node"))
		c[0].spec = nd_strdup(jstr(engines, "node"));
	c[1].spec = nd_bp_read_line(bp, ".nvmrc");
	c[2].spec = nd_bp_read_line(bp, ".node-version");
	for (i = 0; i < 3; i++) {
		bool exact;
		char *tag;

		if (!c[i].spec)
			continue;
		tag = node_tag(c[i].spec, &exact);
		if (!tag) {
			/* "*" means any: not an error; garbage is */
			if (strcmp(c[i].spec, "*") && strcmp(c[i].spec, "x")) {
				int r = nd_bp_error(
					bp, err, NULL, c[i].file,
					"cannot read the node version '%s' (expected e.g. 20.11.1, 20, ^20.11, >=18, lts/iron)",
					c[i].spec);
				for (i = 0; i < 3; i++)
					free(c[i].spec);
				return r;
			}
			continue;
		}
		if (exact && !exact_tag) {
			exact_tag = nd_strdup(tag);
			exact_file = c[i].file;
		}
		if (!first) {
			first = tag;
			first_file = c[i].file;
			spec_used = c[i].spec;
		} else {
			free(tag);
		}
	}
	if (exact_tag) {
		n->tag = exact_tag;
		file = exact_file;
		free(first);
	} else if (first) {
		n->tag = first;
		file = first_file;
	}
	if (n->tag) {
		char *what = NULL;

		if (file == first_file && spec_used &&
		    strcmp(spec_used, n->tag) && !exact_tag)
			what = nd_xprintf("%s (from '%s')", n->tag, spec_used);
		nd_plan_reason(bp->plan, "node version", what ? what : n->tag,
			       !strcmp(file, "package.json") ?
				       "package.json (engines.node)" :
				       file);
		free(what);
	} else {
		n->tag = nd_xprintf("%d", NODE_DEFAULT_MAJOR);
		nd_plan_reason(bp->plan, "node version", n->tag, NULL);
	}
	for (i = 0; i < 3; i++)
		free(c[i].spec);
	return 0;
}

static bool next_standalone(struct nd_bp *bp)
{
	static const char *const cfgs[] = { "next.config.js", "next.config.mjs",
					    "next.config.ts",
					    "next.config.cjs" };
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(cfgs); i++)
		if (nd_bp_file_contains(bp, cfgs[i], "standalone"))
			return true;
	return false;
}

/* The build script's output folder, from what the script runs. */
static const char *guess_out_dir(struct nd_bp *bp, const char *build)
{
	ND_UNUSED(bp);
	if (build &&
	    (strstr(build, "--outDir build") || strstr(build, "-o build")))
		return "build";
	if (build && (strstr(build, " out") || strstr(build, "next export")))
		return "out";
	if (build && strstr(build, "build/") && !strstr(build, "dist"))
		return "build";
	return "dist";
}

static const char *install_cmd(const struct node_ctx *n, bool prod_only)
{
	if (!strcmp(n->pm, "pnpm"))
		return prod_only ? "pnpm install --frozen-lockfile --prod" :
				   "pnpm install --frozen-lockfile";
	if (!strcmp(n->pm, "yarn")) {
		if (n->yarn_berry)
			return "yarn install --immutable";
		return prod_only ?
			       "yarn install --frozen-lockfile --production" :
			       "yarn install --frozen-lockfile";
	}
	if (!strcmp(n->pm, "bun"))
		return prod_only ?
			       "bun install --frozen-lockfile --production" :
			       "bun install --frozen-lockfile";
	if (n->lockfile)
		return prod_only ? "npm ci --omit=dev" : "npm ci";
	return prod_only ? "npm install --omit=dev" : "npm install";
}

static const char *prune_cmd(const struct node_ctx *n)
{
	if (!strcmp(n->pm, "pnpm"))
		return "pnpm prune --prod";
	if (!strcmp(n->pm, "yarn"))
		return n->yarn_berry ?
			       NULL :
			       "yarn install --frozen-lockfile --production --ignore-scripts --prefer-offline";
	if (!strcmp(n->pm, "bun"))
		return "rm -rf node_modules && bun install --frozen-lockfile --production";
	return "npm prune --omit=dev";
}

/* package.json, the lockfile and the package manager's own config */
static void copy_manifests(struct nd_bp *bp, const struct node_ctx *n,
			   struct nd_buf *b)
{
	static const char *const extra[] = { ".npmrc", ".yarnrc", ".yarnrc.yml",
					     "pnpm-workspace.yaml" };
	size_t i;

	nd_buf_adds(b, "COPY package.json");
	if (n->lockfile)
		nd_buf_addf(b, " %s", n->lockfile);
	for (i = 0; i < ND_ARRAY_SIZE(extra); i++)
		if (nd_bp_file(bp, extra[i]))
			nd_buf_addf(b, " %s", extra[i]);
	nd_buf_adds(b, " ./\n");
}

/*
 * The build stage (named "build"): node with the dev dependencies, the
 * build, then only the production dependencies left when the output
 * runs on node (keep_prod).
 */
static void build_stage(struct nd_bp *bp, const struct node_ctx *n,
			struct nd_buf *b, bool keep_prod)
{
	struct nd_plan *plan = bp->plan;

	nd_buf_addf(b, "FROM %s AS build\n", plan->base_image);
	nd_buf_adds(b, "WORKDIR /app\n");
	nd_buf_adds(
		b,
		"ENV CI=true \\\n    NPM_CONFIG_UPDATE_NOTIFIER=false \\\n    NPM_CONFIG_FUND=false\n");
	nd_df_stage_prelude(b, bp, "build");
	if (n->corepack) {
		if (n->pm_version)
			nd_buf_addf(
				b,
				"RUN corepack enable && corepack prepare %s@%s --activate\n",
				n->pm, n->pm_version);
		else
			nd_buf_adds(b, "RUN corepack enable\n");
	} else if (!strcmp(n->pm, "bun")) {
		nd_buf_addf(b, "RUN npm install -g bun@%s\n",
			    n->pm_version ? n->pm_version : "1");
	}
	if (plan->install_cmd) {
		copy_manifests(bp, n, b);
		nd_df_run(b, plan->install_cmd, bp->install_user);
	}
	nd_buf_adds(b, "COPY . .\n");
	if (plan->build_cmd)
		nd_df_run(b, plan->build_cmd, bp->build_user);
	if (keep_prod && plan->build_cmd && plan->install_cmd &&
	    !bp->install_user && prune_cmd(n))
		nd_buf_addf(b, "RUN %s\n", prune_cmd(n));
}

static char *image(const char *tag, const char *variant)
{
	return nd_xprintf("node:%s-%s", tag, variant);
}

int nd_bp_node_plan(struct nd_bp *bp, struct nd_error *err)
{
	struct nd_plan *plan = bp->plan;
	struct node_ctx n;
	struct nd_buf b = ND_BUF_INIT;
	const cJSON *scripts;
	const char *build_script, *start_script, *main_field;
	char *base = NULL, *runtime = NULL, *detected_start = NULL;
	const char *start_file = NULL, *out_key;
	bool forced_static = bp->p && bp->p->build.buildpack == ND_BP_STATIC;
	bool have_install;
	int r;

	memset(&n, 0, sizeof(n));
	r = nd_bp_read_json(&n.pkg, bp, "package.json", err);
	if (r < 0)
		return r;
	nd_str_replace(&plan->name_hint, jstr(n.pkg, "name"));
	plan->buildpack = forced_static ? ND_BP_STATIC : ND_BP_NIXPACKS;
	nd_str_replace(&plan->language, "node");
	nd_plan_reason(plan, "language", "node", "package.json");
	pick_pm(bp, &n);
	nd_str_replace(&plan->package_manager, n.pm);
	{
		char *v = n.pm_version ?
				  nd_xprintf("%s %s", n.pm, n.pm_version) :
				  nd_strdup(n.pm);

		nd_plan_reason(plan, "package manager", v, n.pm_file);
		free(v);
	}
	if ((r = pick_version(bp, &n, err)) < 0)
		goto done;
	nd_bp_version(bp, "node", n.tag);
	if (n.pm_version)
		nd_bp_version(bp, n.pm, n.pm_version);
	nd_str_replace(&plan->language_version, n.tag);

	scripts = cJSON_GetObjectItemCaseSensitive(n.pkg, "scripts");
	build_script = jstr(scripts, "build");
	start_script = jstr(scripts, "start");
	main_field = jstr(n.pkg, "main");

	/* framework */
	if (has_dep(n.pkg, "next")) {
		n.framework = "next";
		n.standalone = next_standalone(bp);
	} else if (has_dep(n.pkg, "vite")) {
		n.framework = "vite";
	} else if (has_dep(n.pkg, "react-scripts")) {
		n.framework = "cra";
	} else if (has_dep(n.pkg, "astro")) {
		n.framework = "astro";
	}
	if (n.framework) {
		nd_str_replace(&plan->framework, n.framework);
		nd_plan_reason(plan, "framework",
			       n.standalone ? "next (standalone output)" :
					      n.framework,
			       n.standalone ? "next.config" : "package.json");
	}
	/* a static site built with node? */
	{
		bool dev_server_start =
			start_script &&
			(nd_starts_with(start_script, "vite") ||
			 nd_starts_with(start_script, "react-scripts start") ||
			 nd_starts_with(start_script, "astro dev") ||
			 nd_starts_with(start_script, "serve "));
		bool no_server = !start_script &&
				 !(main_field && nd_bp_file(bp, main_field)) &&
				 !nd_bp_file(bp, "index.js") &&
				 !nd_bp_file(bp, "server.js") &&
				 !nd_bp_file(bp, "app.js") &&
				 !nd_bp_file(bp, "main.js");
		bool procfile_web = bp->procfile &&
				    nd_kvlist_get(&bp->procfile->entries, "web");
		bool user_start = nd_bp_key(bp, "build.start") != NULL;

		if (forced_static ||
		    (!user_start && !procfile_web && build_script &&
		     ((n.framework && strcmp(n.framework, "next") &&
		       (no_server || dev_server_start)) ||
		      (!n.framework && no_server))))
			n.is_static = true;
	}
	if (n.is_static) {
		out_key = nd_bp_key(bp, "build.output_dir");
		if (out_key) {
			n.out_dir = out_key;
			n.out_file = NULL;
		} else if (nd_streq(n.framework, "cra")) {
			n.out_dir = "build";
			n.out_file = "package.json (react-scripts)";
		} else if (n.framework) {
			n.out_dir = "dist";
			n.out_file = "package.json (vite/astro)";
		} else {
			n.out_dir = guess_out_dir(bp, build_script);
			n.out_file = "package.json (scripts.build)";
		}
	}

	/* install and build */
	have_install = has_any_deps(n.pkg) || n.lockfile;
	if (have_install && !n.lockfile)
		nd_bp_warn(
			bp,
			"no lockfile: dependency versions are not pinned (commit %s)",
			!strcmp(n.pm, "npm") ? "package-lock.json" :
					       "the lockfile");
	r = nd_bp_set_cmd(bp, &plan->install_cmd, "build.install", "install",
			  have_install ? install_cmd(&n, !build_script &&
								 !n.is_static) :
					 NULL,
			  n.lockfile ? n.lockfile : "package.json",
			  &bp->install_user, err);
	if (r < 0)
		goto done;
	if (!have_install && !plan->install_cmd)
		nd_plan_reason(plan, "install",
			       "(none: package.json has no dependencies)",
			       "package.json");
	if (build_script) {
		char *cmd = nd_xprintf("%s run build", n.pm);

		r = nd_bp_set_cmd(bp, &plan->build_cmd, "build.command",
				  "build", cmd, "package.json (scripts.build)",
				  &bp->build_user, err);
		free(cmd);
	} else {
		r = nd_bp_set_cmd(bp, &plan->build_cmd, "build.command",
				  "build", NULL, NULL, &bp->build_user, err);
	}
	if (r < 0)
		goto done;

	if (n.is_static) {
		struct nd_buf stage = ND_BUF_INIT;

		base = image(n.tag, "bookworm");
		if (!nd_image_ref_valid(base)) {
			r = nd_bp_error(
				bp, err, NULL, "package.json",
				"the node version gives an invalid image '%s'",
				base);
			goto done;
		}
		nd_bp_images(bp, base, NULL, false, NULL);
		nd_str_replace(&plan->output_dir, n.out_dir);
		if (n.out_file)
			nd_plan_reason(plan, "output folder", n.out_dir,
				       n.out_file);
		else
			nd_bp_reason_key(bp, "output folder", n.out_dir,
					 "build.output_dir");
		if (!nd_bp_path_ok(n.out_dir)) {
			r = nd_bp_error(bp, err, "build.output_dir", NULL,
					"'%s' is not a usable folder",
					n.out_dir);
			goto done;
		}
		build_stage(bp, &n, &stage, false);
		if (n.framework)
			plan->spa = true;
		r = nd_bp_static_plan(bp, stage.buf, n.out_dir, err);
		nd_buf_release(&stage);
		goto done;
	}

	/* a server on node */
	nd_str_replace(&plan->kind, "node");
	if (n.standalone) {
		detected_start = nd_strdup("node server.js");
		start_file = "next.config (output: standalone)";
	} else if (start_script && !jstr(scripts, "prestart") &&
		   !jstr(scripts, "poststart") &&
		   !strstr(start_script, "npm_")) {
		detected_start = nd_strdup(start_script);
		start_file = "package.json (scripts.start, run without npm)";
	} else if (start_script) {
		detected_start = nd_xprintf("%s start", n.pm);
		start_file = "package.json (scripts.start)";
	} else if (main_field && nd_bp_file(bp, main_field) &&
		   nd_bp_path_ok(main_field)) {
		detected_start = nd_xprintf("node %s", main_field);
		start_file = "package.json (main)";
	} else {
		static const char *const files[] = { "index.js", "server.js",
						     "app.js", "main.js" };
		size_t i;

		for (i = 0; i < ND_ARRAY_SIZE(files); i++)
			if (nd_bp_file(bp, files[i])) {
				detected_start = nd_xprintf("node %s", files[i]);
				start_file = files[i];
				break;
			}
	}
	if ((r = nd_bp_set_start(bp, detected_start, start_file, err)) < 0) {
		if (r == ND_ENOTFOUND)
			nd_error_hint(
				err,
				"add scripts.start to package.json, a Procfile 'web:' line, or build.start");
		goto done;
	}
	nd_bp_port(bp, 3000, NULL, NULL);
	base = image(n.tag, "bookworm");
	runtime = image(n.tag, "bookworm-slim");
	if (!nd_image_ref_valid(base)) {
		r = nd_bp_error(bp, err, NULL, "package.json",
				"the node version gives an invalid image '%s'",
				base);
		goto done;
	}
	nd_bp_images(bp, base, runtime, true, NULL);
	nd_bp_probe(bp, "node", "the runtime runs node");

	nd_df_header(&b, plan);
	build_stage(bp, &n, &b, true);
	nd_buf_adds(&b, "\n");
	nd_buf_addf(&b, "FROM %s AS runtime\n", plan->runtime_image);
	nd_buf_adds(&b, "WORKDIR /app\n");
	nd_buf_adds(
		&b,
		"ENV NODE_ENV=production \\\n    NPM_CONFIG_UPDATE_NOTIFIER=false \\\n    NPM_CONFIG_CACHE=/tmp/.npm \\\n    PATH=/app/node_modules/.bin:$PATH\n");
	if (!strcmp(n.pm, "bun") && !strcmp(plan->start_argv.items[0], "bun"))
		nd_buf_addf(&b,
			    "RUN npm install -g bun@%s && rm -rf /root/.npm\n",
			    n.pm_version ? n.pm_version : "1");
	if (n.standalone) {
		nd_buf_adds(&b, "ENV HOSTNAME=0.0.0.0\n");
		nd_buf_adds(&b, "COPY --from=build /app/.next/standalone ./\n");
		nd_buf_adds(
			&b,
			"COPY --from=build /app/.next/static ./.next/static\n");
		if (nd_bp_dir(bp, "public"))
			nd_buf_adds(&b,
				    "COPY --from=build /app/public ./public\n");
	} else {
		nd_buf_adds(&b, "COPY --from=build /app ./\n");
	}
	nd_df_runtime_tail(&b, plan);
	plan->dockerfile = nd_buf_detach(&b, NULL);
	r = 0;
done:
	nd_buf_release(&b);
	free(base);
	free(runtime);
	free(detected_start);
	free(n.tag);
	free(n.pm_version);
	cJSON_Delete(n.pkg);
	return r;
}
