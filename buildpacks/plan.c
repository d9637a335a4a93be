/* SPDX-License-Identifier: MIT */
/*
 * Placeholder plan until detection lands: only an app's own Dockerfile.
 * Replaced by the buildpacks work (issue 4).
 */
#include "core/common.h"
#include "buildpacks/plan.h"
#include "core/project.h"

#include <cjson/cJSON.h>
#include <unistd.h>

void nd_plan_reason(struct nd_plan *plan, const char *what, const char *value,
		    const char *file)
{
	struct nd_plan_reason *r;

	plan->reasons = nd_realloc(plan->reasons,
				   (plan->nreasons + 1) * sizeof(*r));
	r = &plan->reasons[plan->nreasons++];
	r->what = nd_strdup(what);
	r->value = nd_strdup(value);
	r->file = nd_strdup_or_null(file);
}

int nd_plan_make(struct nd_plan **out, const struct nd_project *p,
		 const char *src_dir, struct nd_error *err)
{
	struct nd_plan *plan;
	const char *ctx = p->build.context ? p->build.context : ".";
	const char *df = p->build.dockerfile ? p->build.dockerfile : "Dockerfile";
	char *path = nd_xprintf("%s/%s/%s", src_dir, ctx, df);
	bool have = !access(path, F_OK);

	free(path);
	if (!have)
		return nd_error_set(err, ND_ENOTFOUND,
				    "no Dockerfile in '%s' (detection is not implemented yet)",
				    src_dir);
	plan = nd_calloc(1, sizeof(*plan));
	plan->buildpack = ND_BP_DOCKERFILE;
	plan->kind = nd_strdup("dockerfile");
	plan->context = nd_strdup(ctx);
	plan->dockerfile_path = nd_strdup(df);
	plan->target = nd_strdup_or_null(p->build.target);
	plan->port = p->deploy.port ? (int)p->deploy.port : 3000;
	plan->probe = nd_strdup("none");
	nd_plan_reason(plan, "buildpack", "dockerfile", df);
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
	free(plan);
}

cJSON *nd_plan_json(const struct nd_plan *plan)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "buildpack", nd_buildpack_name(plan->buildpack));
	cJSON_AddStringToObject(o, "kind", plan->kind);
	return o;
}
