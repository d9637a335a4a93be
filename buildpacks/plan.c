/* SPDX-License-Identifier: MIT */
/*
 * The build plan: which buildpack decides (precedence below), the shared
 * steps every kind goes through (start command, Procfile, port, probe,
 * labels), the app's own Dockerfile and compose kinds, and the JSON.
 *
 * Precedence with `buildpack: auto`: build.dockerfile or a Dockerfile ->
 * dockerfile; build.compose_file or a compose file -> compose; then the
 * languages in nixpacks' order (go, node, python, rust); then static.
 * `nixpacks` is the same without the first two; `static`, `dockerfile`
 * and `compose` force that kind.
 */
#include "core/common.h"
#include "buildpacks/bp.h"
#include "buildpacks/plan.h"
#include "core/project.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const compose_files[] = {
	"compose.yaml",	      "compose.yml", "docker-compose.yaml",
	"docker-compose.yml", NULL,
};

void nd_plan_reason(struct nd_plan *plan, const char *what, const char *value,
		    const char *file)
{
	struct nd_plan_reason *r;

	plan->reasons = nd_realloc(plan->reasons,
				   (plan->nreasons + 1) * sizeof(*r));
	r = &plan->reasons[plan->nreasons++];
	r->what = nd_strdup(what);
	r->value = nd_strdup(value ? value : "");
	r->file = nd_strdup_or_null(file);
	r->key = NULL;
}

/* --- shared steps --------------------------------------------------- */

int nd_bp_set_start(struct nd_bp *bp, const char *detected, const char *file,
		    struct nd_error *err)
{
	struct nd_plan *plan = bp->plan;
	const char *user = nd_bp_key(bp, "build.start");
	const char *web = bp->procfile ?
				  nd_kvlist_get(&bp->procfile->entries, "web") :
				  NULL;
	struct nd_error e2 = ND_ERROR_INIT;
	const char *cmd;

	if (user) {
		cmd = user;
		nd_bp_reason_key(bp, "start", cmd, "build.start");
	} else if (web) {
		cmd = web;
		nd_plan_reason(plan, "start", cmd, "Procfile");
	} else if (detected) {
		cmd = detected;
		nd_plan_reason(plan, "start", cmd, file);
	} else {
		return nd_error_set(err, ND_ENOTFOUND,
				    "cannot tell how to start this %s app",
				    plan->kind);
	}
	nd_str_replace(&plan->start_cmd, cmd);
	nd_strvec_release(&plan->start_argv);
	if (nd_bp_cmd_argv(&plan->start_argv, cmd, &e2) < 0) {
		int r = nd_bp_error(bp, err, "build.start",
				    user ? NULL :
				    web	 ? "Procfile" :
					   file,
				    "start command '%s': %s", cmd, e2.msg);
		nd_error_release(&e2);
		return r;
	}
	return 0;
}

int nd_bp_set_cmd(struct nd_bp *bp, char **dst, const char *key,
		  const char *what, const char *detected, const char *file,
		  bool *user, struct nd_error *err)
{
	const char *v = nd_bp_key(bp, key);
	const char *problem;

	*user = false;
	if (v) {
		problem = nd_bp_command_problem(v);
		if (problem)
			return nd_bp_error(
				bp, err, key, NULL,
				"'%s' cannot be put in a Dockerfile: %s", key,
				problem);
		nd_bp_reason_key(bp, what, v, key);
		nd_str_replace(dst, v);
		*user = true;
		return 0;
	}
	if (detected) {
		nd_plan_reason(bp->plan, what, detected, file);
		nd_str_replace(dst, detected);
	}
	return 0;
}

void nd_df_run(struct nd_buf *b, const char *cmd, bool user)
{
	if (user)
		nd_df_run_user(b, cmd);
	else
		nd_buf_addf(b, "RUN %s\n", cmd);
}

void nd_bp_images(struct nd_bp *bp, const char *def_base,
		  const char *def_runtime, bool runtime_follows_base,
		  const char *why)
{
	struct nd_plan *plan = bp->plan;
	const char *base = nd_bp_key(bp, "build.base_image");
	const char *rt = nd_bp_key(bp, "build.runtime_image");

	if (base) {
		nd_str_replace(&plan->base_image, base);
		nd_bp_reason_key(bp, "base image", base, "build.base_image");
	} else if (def_base) {
		nd_str_replace(&plan->base_image, def_base);
		nd_plan_reason(plan, "base image", def_base, NULL);
	}
	if (rt) {
		nd_str_replace(&plan->runtime_image, rt);
		nd_bp_reason_key(bp, "runtime image", rt, "build.runtime_image");
		bp->runtime_overridden = true;
	} else if (base && runtime_follows_base) {
		nd_str_replace(&plan->runtime_image, base);
		nd_bp_reason_key(bp, "runtime image", base, "build.base_image");
		bp->runtime_overridden = true;
	} else if (def_runtime) {
		nd_str_replace(&plan->runtime_image, def_runtime);
		nd_plan_reason(plan, "runtime image", def_runtime, NULL);
	}
	ND_UNUSED(why);
}

void nd_bp_port(struct nd_bp *bp, int def, const char *why, const char *file)
{
	struct nd_plan *plan = bp->plan;
	char num[16];

	if (bp->p && bp->p->deploy.port) {
		plan->port = (int)bp->p->deploy.port;
		snprintf(num, sizeof(num), "%d", plan->port);
		nd_bp_reason_key(bp, "port", num, "deploy.port");
		return;
	}
	plan->port = def;
	snprintf(num, sizeof(num), "%d", def);
	nd_plan_reason(plan, "port", num, file);
	ND_UNUSED(why);
}

void nd_bp_probe(struct nd_bp *bp, const char *probe, const char *why)
{
	struct nd_plan *plan = bp->plan;

	char *v = nd_xprintf("%s (%s)", probe, why);

	nd_str_replace(&plan->probe, probe);
	nd_plan_reason(plan, "probe", v, NULL);
	free(v);
	if (bp->runtime_overridden &&
	    (!strcmp(probe, "wget") || !strcmp(probe, "curl")))
		nd_bp_warn(
			bp,
			"the health probe runs '%s' inside the container (%s): the runtime image '%s' must have it, or set deploy.healthcheck.command",
			probe, why, plan->runtime_image);
}

void nd_df_header(struct nd_buf *b, const struct nd_plan *plan)
{
	nd_buf_addf(b, "# Synthesized by nextdeploy (%s", plan->kind);
	if (plan->language && strcmp(plan->language, plan->kind))
		nd_buf_addf(b, ", built with %s", plan->language);
	if (plan->package_manager && strcmp(plan->package_manager, plan->kind))
		nd_buf_addf(b, ", %s", plan->package_manager);
	if (plan->framework)
		nd_buf_addf(b, ", %s", plan->framework);
	nd_buf_adds(b, "). 'nextdeploy plan' says why.\n");
}

void nd_df_runtime_tail(struct nd_buf *b, const struct nd_plan *plan)
{
	nd_buf_addf(b, "USER %s:%s\n", ND_BP_UID, ND_BP_UID);
	nd_buf_addf(b, "ENV PORT=%d\n", plan->port);
	nd_buf_addf(b, "EXPOSE %d\n", plan->port);
	nd_df_cmd(b, plan);
}

/* --- the app's own Dockerfile --------------------------------------- */

/* The probe for a final stage FROM an image we know. */
static const char *probe_for_image(const char *ref)
{
	const char *name = strrchr(ref, '/');
	size_t n;

	name = name ? name + 1 : ref;
	n = strcspn(name, ":@");
	if ((n == 4 && !strncmp(name, "node", 4)))
		return "node";
	if (n == 6 && !strncmp(name, "python", 6))
		return "python";
	if ((n == 7 && !strncmp(name, "busybox", 7)) ||
	    (n == 6 && !strncmp(name, "alpine", 6)) ||
	    strstr(name + n, "alpine"))
		return "wget";
	return "none";
}

static int plan_dockerfile(struct nd_bp *bp, struct nd_error *err)
{
	struct nd_plan *plan = bp->plan;
	const char *key_df = nd_bp_key(bp, "build.dockerfile");
	const char *df = key_df ? key_df : "Dockerfile";
	char *text = NULL, *p, *from = NULL;
	struct nd_strvec stages = ND_STRVEC_INIT, froms = ND_STRVEC_INIT;
	int expose = 0, r;
	const char *probe;

	if (!nd_bp_file(bp, df))
		return nd_bp_error(bp, err, "build.dockerfile", NULL,
				   "there is no '%s' in the build context", df);
	r = nd_bp_read(&text, bp, df, err);
	if (r < 0)
		return r;
	plan->buildpack = ND_BP_DOCKERFILE;
	nd_str_replace(&plan->kind, "dockerfile");
	nd_str_replace(&plan->dockerfile_path, df);
	if (key_df)
		nd_bp_reason_key(bp, "buildpack", "dockerfile",
				 "build.dockerfile");
	else
		nd_plan_reason(plan, "buildpack", "dockerfile", df);
	/*
	 * Read FROM and EXPOSE of the last stage (a light reading: the
	 * engine parses the real thing).
	 */
	for (p = text; *p;) {
		size_t n = strcspn(p, "\n");
		char *line = nd_strndup(p, n), *s = line, *w;

		p += n;
		if (*p)
			p++;
		while (isspace((unsigned char)*s))
			s++;
		if (!strncasecmp(s, "FROM", 4) && isspace((unsigned char)s[4])) {
			char *as;

			s += 5;
			while (isspace((unsigned char)*s) ||
			       (*s == '-' && s[1] == '-')) {
				if (*s == '-') /* --platform=... */
					s += strcspn(s, " \t");
				else
					s++;
			}
			w = nd_strndup(s, strcspn(s, " \t\r"));
			as = strcasestr(s, " as ");
			nd_strvec_push(&froms, w);
			nd_strvec_push(&stages,
				       as ? as + 4 + strspn(as + 4, " \t") : "");
			free(from);
			from = w;
			expose = 0;
		} else if (!strncasecmp(s, "EXPOSE", 6) &&
			   isspace((unsigned char)s[6]) && !expose) {
			long v = strtol(s + 7, &w, 10);

			if (v > 0 && v < 65536)
				expose = (int)v;
		}
		free(line);
	}
	/* a final stage FROM an earlier stage: look through */
	if (from) {
		size_t i, guard = 0;
		char *cur = nd_strdup(from);

		for (i = stages.nr; i-- > 0 && guard < 64; guard++) {
			char *st = nd_strndup(stages.items[i],
					      strcspn(stages.items[i], " \t\r"));
			bool hit = st[0] && !strcasecmp(st, cur);

			free(st);
			if (hit) {
				nd_str_replace(&cur, froms.items[i]);
				i = stages.nr;
				continue;
			}
		}
		probe = probe_for_image(cur);
		free(cur);
	} else {
		probe = "none";
	}
	if (expose) {
		char num[16];

		snprintf(num, sizeof(num), "%d", expose);
		if (bp->p && bp->p->deploy.port)
			nd_bp_port(bp, expose, NULL, df);
		else {
			plan->port = expose;
			nd_plan_reason(plan, "port", num, df);
		}
	} else {
		nd_bp_port(bp, 3000, NULL, NULL);
		if (!bp->p || !bp->p->deploy.port)
			nd_bp_warn(
				bp,
				"'%s' has no EXPOSE: assuming port 3000 (set deploy.port)",
				df);
	}
	nd_str_replace(&plan->probe, probe);
	if (!strcmp(probe, "none"))
		nd_plan_reason(
			plan, "probe",
			"none (the image is unknown: the gate is 'still running')",
			NULL);
	else
		nd_plan_reason(plan, "probe", probe, df);
	if (bp->procfile && nd_kvlist_get(&bp->procfile->entries, "web"))
		nd_bp_warn(
			bp,
			"Procfile 'web:' is not used with the app's own Dockerfile (its CMD is)");
	if (nd_bp_key(bp, "build.start"))
		nd_bp_warn(
			bp,
			"build.start is not used with the app's own Dockerfile (its CMD is)");
	free(from);
	free(text);
	nd_strvec_release(&stages);
	nd_strvec_release(&froms);
	return 0;
}

/* --- compose -------------------------------------------------------- */

static const char *compose_file(struct nd_bp *bp)
{
	size_t i;

	for (i = 0; compose_files[i]; i++)
		if (nd_bp_file(bp, compose_files[i]))
			return compose_files[i];
	return NULL;
}

static int plan_compose(struct nd_bp *bp, struct nd_error *err)
{
	struct nd_plan *plan = bp->plan;
	const char *key = nd_bp_key(bp, "build.compose_file");
	const char *file = key ? key : compose_file(bp);
	char *text = NULL;
	size_t i;
	int r;

	if (!file)
		return nd_bp_error(
			bp, err, "build.buildpack", NULL,
			"no compose file (compose.yaml, docker-compose.yml...) in '%s'",
			bp->dir);
	if (!nd_bp_path_ok(file))
		return nd_bp_error(
			bp, err, "build.compose_file", NULL,
			"'%s' must be a relative path inside the app", file);
	if (!nd_bp_file(bp, file))
		return nd_bp_error(bp, err, "build.compose_file", NULL,
				   "there is no '%s'", file);
	r = nd_bp_read(&text, bp, file, err);
	if (r < 0)
		return r;
	plan->buildpack = ND_BP_COMPOSE;
	nd_str_replace(&plan->kind, "compose");
	nd_str_replace(&plan->compose_file, file);
	if (key)
		nd_bp_reason_key(bp, "buildpack", "compose",
				 "build.compose_file");
	else
		nd_plan_reason(plan, "buildpack", "compose", file);
	r = nd_bp_compose_parse(plan, file, text, err);
	free(text);
	if (r < 0)
		return r;
	for (i = 0; i < plan->nservices; i++) {
		struct nd_plan_service *s = &plan->services[i];
		char *what = nd_xprintf("service %s", s->name);
		char *val = s->context ? nd_xprintf("build %s/%s", s->context,
						    s->dockerfile) :
					 nd_xprintf("image %s", s->image);

		nd_plan_reason(plan, what, val, file);
		free(what);
		free(val);
		if (s->context) {
			char *df = strcmp(s->context, ".") ?
					   nd_xprintf("%s/%s", s->context,
						      s->dockerfile) :
					   nd_strdup(s->dockerfile);

			if (!nd_bp_file(bp, df)) {
				r = nd_bp_error(
					bp, err, NULL, file,
					"service '%s' builds from '%s', which does not exist",
					s->name, df);
				free(df);
				return r;
			}
			free(df);
		}
		if (!plan->port && s->port) {
			char num[16];

			snprintf(num, sizeof(num), "%d", s->port);
			if (!bp->p || !bp->p->deploy.port) {
				plan->port = s->port;
				nd_plan_reason(plan, "port", num, file);
			}
		}
	}
	if (bp->p && bp->p->deploy.port)
		nd_bp_port(bp, 0, NULL, NULL);
	nd_str_replace(&plan->probe, "none");
	nd_plan_reason(plan, "probe",
		       "none (compose services use their own images)", NULL);
	return 0;
}

/* --- nd_plan_make --------------------------------------------------- */

/* ARG names: shell identifiers, so that RUN steps can use $NAME */
static bool arg_name_ok(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static int check_args(struct nd_bp *bp, struct nd_error *err)
{
	size_t i;

	if (!bp->p)
		return 0;
	for (i = 0; i < bp->p->build.args.nr; i++) {
		const struct nd_kv *kv = &bp->p->build.args.items[i];

		if (!arg_name_ok(kv->key))
			return nd_error_set_at(
				err, ND_EPROJECT, bp->p->path, kv->line,
				kv->col,
				"invalid build argument name '%s': expected letters, digits and '_', not starting with a digit",
				kv->key);
	}
	return 0;
}

static int read_procfile(struct nd_bp *bp, struct nd_error *err)
{
	char *text = NULL;
	int r;

	if (!nd_bp_file(bp, "Procfile"))
		return 0;
	r = nd_bp_read(&text, bp, "Procfile", err);
	if (r < 0)
		return r;
	r = nd_bp_procfile_parse(&bp->procfile, "Procfile", text, err);
	free(text);
	return r;
}

static int detect_language(struct nd_bp *bp, struct nd_error *err)
{
	if (nd_bp_go_detect(bp))
		return nd_bp_go_plan(bp, err);
	if (nd_bp_node_detect(bp))
		return nd_bp_node_plan(bp, err);
	if (nd_bp_python_detect(bp))
		return nd_bp_python_plan(bp, err);
	if (nd_bp_rust_detect(bp))
		return nd_bp_rust_plan(bp, err);
	return 1; /* none */
}

static int nothing_found(struct nd_bp *bp, struct nd_error *err, bool langs)
{
	nd_error_set(err, ND_ENOTFOUND, "cannot tell what kind of app '%s' is",
		     bp->dir);
	nd_error_hint(
		err,
		"looked for %sgo.mod, package.json, requirements.txt, pyproject.toml, Pipfile, main.py, Cargo.toml, Staticfile and index.html; set build.buildpack or add one",
		langs ? "" : "a Dockerfile, a compose file, ");
	return ND_ENOTFOUND;
}

/* Procfile release: and the other process types; labels. */
static int finish(struct nd_bp *bp, struct nd_error *err)
{
	struct nd_plan *plan = bp->plan;
	char num[16];
	size_t i;
	int r;

	if (bp->procfile) {
		cJSON *procs = cJSON_CreateObject();
		bool any = false;

		for (i = 0; i < bp->procfile->entries.nr; i++) {
			const struct nd_kv *kv = &bp->procfile->entries.items[i];
			struct nd_strvec argv = ND_STRVEC_INIT;
			struct nd_error e2 = ND_ERROR_INIT;
			cJSON *a;
			size_t j;

			if (!strcmp(kv->key, "web"))
				continue;
			if (nd_bp_cmd_argv(&argv, kv->value, &e2) < 0) {
				r = nd_error_set_at(err, ND_EPROJECT,
						    "Procfile", kv->line,
						    kv->col, "%s", e2.msg);
				nd_error_release(&e2);
				cJSON_Delete(procs);
				return r;
			}
			a = cJSON_CreateArray();
			for (j = 0; j < argv.nr; j++)
				cJSON_AddItemToArray(
					a, cJSON_CreateString(argv.items[j]));
			if (!strcmp(kv->key, "release")) {
				char *t = cJSON_PrintUnformatted(a);

				nd_str_replace(&plan->release_cmd, kv->value);
				nd_strvec_release(&plan->release_argv);
				for (j = 0; j < argv.nr; j++)
					nd_strvec_push(&plan->release_argv,
						       argv.items[j]);
				nd_kvlist_set(&plan->labels,
					      "nextdeploy.release-command", t);
				nd_plan_reason(plan, "release", kv->value,
					       "Procfile");
				cJSON_free(t);
				cJSON_Delete(a);
			} else {
				plan->processes = nd_realloc(
					plan->processes,
					(plan->nprocesses + 1) *
						sizeof(*plan->processes));
				plan->processes[plan->nprocesses]
					.name = nd_strdup(kv->key);
				plan->processes[plan->nprocesses]
					.command = nd_strdup(kv->value);
				plan->nprocesses++;
				cJSON_AddItemToObject(procs, kv->key, a);
				nd_plan_reason(plan, kv->key, kv->value,
					       "Procfile");
				any = true;
			}
			nd_strvec_release(&argv);
		}
		if (any) {
			char *t = cJSON_PrintUnformatted(procs);

			nd_kvlist_set(&plan->labels, "nextdeploy.processes", t);
			cJSON_free(t);
		}
		cJSON_Delete(procs);
	}
	if (plan->start_argv.nr &&
	    !strcmp(plan->start_argv.items[0], "/bin/sh") &&
	    plan->runtime_image &&
	    (strstr(plan->runtime_image, "distroless") ||
	     !strcmp(plan->runtime_image, "scratch")))
		nd_bp_warn(
			bp,
			"the start command needs /bin/sh, which the runtime image '%s' does not have: write it as plain words, or use another runtime image",
			plan->runtime_image);
	if (plan->port) {
		snprintf(num, sizeof(num), "%d", plan->port);
		nd_kvlist_set(&plan->labels, "nextdeploy.port", num);
	}
	if (!plan->probe)
		plan->probe = nd_strdup("none");
	nd_kvlist_set(&plan->labels, "nextdeploy.probe", plan->probe);
	/* build.target names a stage of the Dockerfile */
	if (bp->p && bp->p->build.target) {
		nd_str_replace(&plan->target, bp->p->build.target);
		if (plan->dockerfile) {
			char *as = nd_xprintf(" AS %s\n", bp->p->build.target);
			bool ok = strstr(plan->dockerfile, as) != NULL;

			free(as);
			if (!ok)
				return nd_bp_error(
					bp, err, "build.target", NULL,
					"the synthesized Dockerfile has no stage '%s' (see 'nextdeploy plan')",
					bp->p->build.target);
		}
	}
	return 0;
}

int nd_plan_make(struct nd_plan **out, const struct nd_project *p,
		 const char *src_dir, struct nd_error *err)
{
	struct nd_plan *plan = nd_calloc(1, sizeof(*plan));
	struct nd_bp bp = { p, NULL, plan, NULL, false, false, false };
	const char *ctx = p && p->build.context ? p->build.context : ".";
	enum nd_buildpack want = p ? p->build.buildpack : ND_BP_AUTO;
	char *dir;
	struct stat st;
	int r;

	dir = strcmp(ctx, ".") ? nd_xprintf("%s/%s", src_dir, ctx) :
				 nd_strdup(src_dir);
	bp.dir = dir;
	plan->context = nd_strdup(ctx);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		r = p && p->build.context ?
			    nd_project_error(
				    p, err, "build.context",
				    "the build context '%s' is not a folder in '%s'",
				    ctx, src_dir) :
			    nd_error_set(err, ND_ENOTFOUND,
					 "the source folder '%s' does not exist",
					 src_dir);
		goto done;
	}
	if ((r = check_args(&bp, err)) < 0 || (r = read_procfile(&bp, err)) < 0)
		goto done;

	switch (want) {
	case ND_BP_DOCKERFILE:
		r = plan_dockerfile(&bp, err);
		break;
	case ND_BP_COMPOSE:
		r = plan_compose(&bp, err);
		break;
	case ND_BP_STATIC:
		nd_bp_reason_key(&bp, "buildpack", "static", "build.buildpack");
		r = nd_bp_node_detect(&bp) ?
			    nd_bp_node_plan(&bp, err) :
			    nd_bp_static_plan(&bp, NULL, NULL, err);
		break;
	case ND_BP_NIXPACKS:
		nd_bp_reason_key(&bp, "buildpack", "nixpacks",
				 "build.buildpack");
		r = detect_language(&bp, err);
		if (r == 1)
			r = nd_bp_static_detect(&bp) ?
				    nd_bp_static_plan(&bp, NULL, NULL, err) :
				    nothing_found(&bp, err, true);
		break;
	case ND_BP_AUTO:
	default:
		if (nd_bp_key(&bp, "build.dockerfile") ||
		    nd_bp_file(&bp, "Dockerfile")) {
			r = plan_dockerfile(&bp, err);
			break;
		}
		if (nd_bp_key(&bp, "build.compose_file") || compose_file(&bp)) {
			r = plan_compose(&bp, err);
			break;
		}
		r = detect_language(&bp, err);
		if (r == 1)
			r = nd_bp_static_detect(&bp) ?
				    nd_bp_static_plan(&bp, NULL, NULL, err) :
				    nothing_found(&bp, err, false);
		break;
	}
	if (r < 0)
		goto done;
	r = finish(&bp, err);
done:
	nd_bp_procfile_free(bp.procfile);
	free(dir);
	if (r < 0) {
		nd_plan_free(plan);
		return r;
	}
	*out = plan;
	return 0;
}

void nd_plan_free(struct nd_plan *plan)
{
	size_t i;

	if (!plan)
		return;
	free(plan->kind);
	free(plan->language_version);
	free(plan->package_manager);
	free(plan->framework);
	free(plan->install_cmd);
	free(plan->build_cmd);
	free(plan->start_cmd);
	free(plan->release_cmd);
	free(plan->probe);
	free(plan->base_image);
	free(plan->runtime_image);
	free(plan->context);
	free(plan->dockerfile);
	free(plan->dockerfile_path);
	free(plan->target);
	nd_kvlist_release(&plan->labels);
	for (i = 0; i < plan->nreasons; i++) {
		free(plan->reasons[i].what);
		free(plan->reasons[i].value);
		free(plan->reasons[i].file);
		free(plan->reasons[i].key);
	}
	free(plan->reasons);
	for (i = 0; i < plan->nprocesses; i++) {
		free(plan->processes[i].name);
		free(plan->processes[i].command);
	}
	free(plan->processes);
	for (i = 0; i < plan->nservices; i++) {
		free(plan->services[i].name);
		free(plan->services[i].image);
		free(plan->services[i].context);
		free(plan->services[i].dockerfile);
		nd_strvec_release(&plan->services[i].command);
		nd_kvlist_release(&plan->services[i].env);
	}
	free(plan->services);
	nd_strvec_release(&plan->warnings);
	free(plan->language);
	nd_kvlist_release(&plan->versions);
	nd_strvec_release(&plan->start_argv);
	nd_strvec_release(&plan->release_argv);
	free(plan->output_dir);
	free(plan->name_hint);
	free(plan->compose_file);
	free(plan);
}

/* --- JSON ----------------------------------------------------------- */

static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *strvec_json(const struct nd_strvec *v)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < v->nr; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v->items[i]));
	return a;
}

static cJSON *kv_json(const struct nd_kvlist *l)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;

	for (i = 0; i < l->nr; i++)
		cJSON_AddStringToObject(o, l->items[i].key, l->items[i].value);
	return o;
}

cJSON *nd_plan_json(const struct nd_plan *plan)
{
	cJSON *o = cJSON_CreateObject(), *c, *a;
	size_t i;

	cJSON_AddStringToObject(o, "buildpack",
				nd_buildpack_name(plan->buildpack));
	add_str(o, "kind", plan->kind);
	add_str(o, "language", plan->language);
	add_str(o, "language_version", plan->language_version);
	cJSON_AddItemToObject(o, "versions", kv_json(&plan->versions));
	add_str(o, "package_manager", plan->package_manager);
	add_str(o, "framework", plan->framework);
	c = cJSON_AddObjectToObject(o, "commands");
	add_str(c, "install", plan->install_cmd);
	add_str(c, "build", plan->build_cmd);
	add_str(c, "start", plan->start_cmd);
	add_str(c, "release", plan->release_cmd);
	cJSON_AddItemToObject(o, "start_argv", strvec_json(&plan->start_argv));
	cJSON_AddItemToObject(o, "release_argv",
			      strvec_json(&plan->release_argv));
	if (plan->port)
		cJSON_AddNumberToObject(o, "port", plan->port);
	else
		cJSON_AddNullToObject(o, "port");
	add_str(o, "probe", plan->probe);
	add_str(o, "base_image", plan->base_image);
	add_str(o, "runtime_image", plan->runtime_image);
	add_str(o, "context", plan->context);
	add_str(o, "dockerfile_path", plan->dockerfile_path);
	add_str(o, "compose_file", plan->compose_file);
	add_str(o, "target", plan->target);
	add_str(o, "output_dir", plan->output_dir);
	cJSON_AddBoolToObject(o, "spa", plan->spa);
	a = cJSON_AddArrayToObject(o, "reasons");
	for (i = 0; i < plan->nreasons; i++) {
		cJSON *r = cJSON_CreateObject();

		add_str(r, "what", plan->reasons[i].what);
		add_str(r, "value", plan->reasons[i].value);
		add_str(r, "file", plan->reasons[i].file);
		add_str(r, "key", plan->reasons[i].key);
		cJSON_AddItemToArray(a, r);
	}
	a = cJSON_AddArrayToObject(o, "processes");
	for (i = 0; i < plan->nprocesses; i++) {
		cJSON *r = cJSON_CreateObject();

		add_str(r, "name", plan->processes[i].name);
		add_str(r, "command", plan->processes[i].command);
		cJSON_AddItemToArray(a, r);
	}
	a = cJSON_AddArrayToObject(o, "services");
	for (i = 0; i < plan->nservices; i++) {
		const struct nd_plan_service *s = &plan->services[i];
		cJSON *r = cJSON_CreateObject();

		add_str(r, "name", s->name);
		add_str(r, "image", s->image);
		add_str(r, "context", s->context);
		add_str(r, "dockerfile", s->dockerfile);
		cJSON_AddItemToObject(r, "command", strvec_json(&s->command));
		cJSON_AddItemToObject(r, "environment", kv_json(&s->env));
		if (s->port)
			cJSON_AddNumberToObject(r, "port", s->port);
		else
			cJSON_AddNullToObject(r, "port");
		cJSON_AddItemToArray(a, r);
	}
	cJSON_AddItemToObject(o, "labels", kv_json(&plan->labels));
	cJSON_AddItemToObject(o, "warnings", strvec_json(&plan->warnings));
	add_str(o, "dockerfile", plan->dockerfile);
	return o;
}

/* --- names ---------------------------------------------------------- */

char *nd_plan_app_name(const char *name)
{
	struct nd_buf b = ND_BUF_INIT;
	const char *p = name;

	if (!name)
		return NULL;
	if (*p == '@' && strchr(p, '/')) /* npm scope */
		p = strchr(p, '/') + 1;
	for (; *p && b.len < 63; p++) {
		char c = (char)tolower((unsigned char)*p);

		if (!(isalnum((unsigned char)c) && !(c & 0x80)) &&
		    !strchr("_.-", c))
			c = '-';
		if (!b.len && !isalnum((unsigned char)c))
			continue;
		if (c == '-' && b.len && b.buf[b.len - 1] == '-')
			continue;
		nd_buf_addch(&b, c);
	}
	while (b.len && strchr("_.-", b.buf[b.len - 1]))
		nd_buf_truncate(&b, b.len - 1);
	if (!b.len || !nd_app_name_valid(b.buf)) {
		nd_buf_release(&b);
		return NULL;
	}
	return nd_buf_detach(&b, NULL);
}
