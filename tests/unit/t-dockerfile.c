/* SPDX-License-Identifier: MIT */
/*
 * Golden Dockerfiles: for each tests/data/buildpacks/<case>/, the plan of
 * the app (the case's app/ folder, or the fixture named in its `fixture` file
 * under tests/data/apps/) with the case's nextdeploy.yml (else just an app
 * name) must synthesize exactly expected.Dockerfile, and plan --json must
 * keep the decisions of expected.json (a subset: every key there must have
 * that value). ND_UPDATE_GOLDEN=1 rewrites expected.Dockerfile.
 *
 * Also: what the Dockerfiles promise whatever the kind (non-root, EXPOSE,
 * exec-form CMD that parses back to the plan's argv).
 */
#include "tests/unit/unit.h"
#include "buildpacks/plan.h"
#include "core/project.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#define CASES "../data/buildpacks"
#define APPS "../data/apps"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

/* Does actual hold every key of want with the same value (recursively)? */
static bool json_subset(const cJSON *want, const cJSON *actual, char *where,
			size_t n)
{
	const cJSON *w;

	if (cJSON_IsObject(want)) {
		if (!cJSON_IsObject(actual))
			return false;
		cJSON_ArrayForEach(w, want) {
			const cJSON *a = cJSON_GetObjectItemCaseSensitive(actual, w->string);

			if (!a || !json_subset(w, a, where, n)) {
				if (!*where)
					snprintf(where, n, "%s", w->string);
				return false;
			}
		}
		return true;
	}
	if (cJSON_IsArray(want)) {
		int i, cnt = cJSON_GetArraySize(want);

		if (!cJSON_IsArray(actual) || cJSON_GetArraySize(actual) != cnt)
			return false;
		for (i = 0; i < cnt; i++)
			if (!json_subset(cJSON_GetArrayItem(want, i),
					 cJSON_GetArrayItem(actual, i), where, n))
				return false;
		return true;
	}
	return cJSON_Compare(want, actual, true);
}

/*
 * Every stage but the final one labels its image as the app's build stage
 * (prune finds the build cache by it); the final stage, a new FROM, has
 * no such LABEL, so the release image never carries nextdeploy.stage.
 */
static void check_stage_labels(const char *name, const char *df,
			       const char *app)
{
	const char *p = df, *next;
	int stages = 0;

	while ((p = strstr(p, "FROM "))) {
		const char *as = strstr(p, " AS "), *eol = strchr(p, '\n');
		char *stage, *want;
		size_t len;

		next = strstr(p + 5, "\nFROM ");
		len = next ? (size_t)(next - p) : strlen(p);
		if (!as || !eol || as > eol) {
			UNIT_FAIL("%s: a stage without a name", name);
			return;
		}
		stage = nd_strndup(as + 4, (size_t)(eol - as - 4));
		want = nd_xprintf("\nLABEL nextdeploy.managed=\"true\" "
				  "nextdeploy.app=\"%s\" nextdeploy.stage=\"%s\"\n",
				  app, stage);
		if (next) {
			char *section = nd_strndup(p, len);

			if (!strstr(section, want))
				UNIT_FAIL("%s: stage '%s' lacks its labels", name, stage);
			free(section);
		} else if (strstr(p, "nextdeploy.stage") || strstr(p, "\nLABEL ")) {
			UNIT_FAIL("%s: the final stage '%s' has nextdeploy labels",
				  name, stage);
		}
		free(stage);
		free(want);
		stages++;
		if (!next)
			break;
		p = next + 1;
	}
	CHECK(stages >= 2);
}

static void check_case(const char *name)
{
	char *dir = nd_xprintf(CASES "/%s", name), *p;
	char *yml_path = nd_xprintf("%s/nextdeploy.yml", dir);
	char *app_file = nd_xprintf("%s/fixture", dir);
	char *golden = nd_xprintf("%s/expected.Dockerfile", dir);
	char *json_path = nd_xprintf("%s/expected.json", dir);
	char *yml = unit_read_file(yml_path, NULL);
	char *app = unit_read_file(app_file, NULL);
	char *src_rel = app ? nd_xprintf(APPS "/%s", trim(app))
			    : nd_xprintf("%s/app", dir);
	char src[PATH_MAX];
	struct nd_project *proj = NULL;
	struct nd_plan *plan = NULL;
	struct nd_error err = ND_ERROR_INIT;
	char *want = NULL, *want_json = NULL;
	const char *got;

	if (!realpath(src_rel, src)) {
		UNIT_FAIL("%s: no app at %s", name, src_rel);
		goto done;
	}
	if (!yml)
		yml = nd_strdup("app: golden\n");
	if (nd_project_parse(&proj, yml_path, src, yml, strlen(yml), &err) < 0) {
		UNIT_FAIL("%s: nextdeploy.yml: %s", name, err.msg);
		goto done;
	}
	if (nd_plan_make(&plan, proj, src, &err) < 0) {
		UNIT_FAIL("%s: plan failed: %s", name, err.msg);
		goto done;
	}
	got = plan->dockerfile ? plan->dockerfile : "(the app's own Dockerfile)\n";
	if (getenv("ND_UPDATE_GOLDEN")) {
		FILE *f = fopen(golden, "w");

		if (!f || fputs(got, f) < 0 || fclose(f))
			UNIT_FAIL("%s: cannot write %s", name, golden);
	}
	want = unit_read_file(golden, NULL);
	if (!want) {
		UNIT_FAIL("%s: no expected.Dockerfile (ND_UPDATE_GOLDEN=1 writes it)", name);
	} else if (strcmp(want, got)) {
		UNIT_FAIL("%s: the Dockerfile differs from expected.Dockerfile:\n%s", name, got);
	}
	want_json = unit_read_file(json_path, NULL);
	if (want_json) {
		cJSON *w = cJSON_Parse(want_json), *a = nd_plan_json(plan);
		char where[128] = "";

		if (!w)
			UNIT_FAIL("%s: expected.json is not JSON", name);
		else if (!json_subset(w, a, where, sizeof(where))) {
			char *t = cJSON_Print(a);

			UNIT_FAIL("%s: plan --json differs at '%s':\n%s", name, where, t);
			free(t);
		}
		cJSON_Delete(w);
		cJSON_Delete(a);
	}
	/* what every synthesized Dockerfile promises */
	if (plan->dockerfile) {
		const char *cmd = strstr(plan->dockerfile, "\nCMD [");
		cJSON *argv;
		size_t i;

		CHECK_CONTAINS(plan->dockerfile, "\nUSER 10001:10001\n");
		CHECK_CONTAINS(plan->dockerfile, " AS runtime\n");
		p = nd_xprintf("\nEXPOSE %d\n", plan->port);
		CHECK_CONTAINS(plan->dockerfile, p);
		free(p);
		if (!cmd) {
			UNIT_FAIL("%s: no exec-form CMD", name);
		} else {
			argv = cJSON_Parse(cmd + 5);
			CHECK(cJSON_IsArray(argv));
			CHECK_INT(cJSON_GetArraySize(argv), plan->start_argv.nr);
			for (i = 0; i < plan->start_argv.nr; i++)
				CHECK_STR(cJSON_GetArrayItem(argv, (int)i)->valuestring,
					  plan->start_argv.items[i]);
			cJSON_Delete(argv);
		}
		/* the OCI labels are the build's, never in the Dockerfile */
		CHECK(!strstr(plan->dockerfile, "org.opencontainers"));
		check_stage_labels(name, plan->dockerfile, proj->app);
	}
done:
	nd_plan_free(plan);
	nd_project_free(proj);
	nd_error_release(&err);
	free(dir);
	free(yml_path);
	free(app_file);
	free(golden);
	free(json_path);
	free(yml);
	free(app);
	free(src_rel);
	free(want);
	free(want_json);
}

TEST(golden_dockerfiles)
{
	DIR *d = opendir(CASES);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;

	if (!d) {
		UNIT_FAIL("no %s", CASES);
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			names = nd_realloc(names, (n + 1) * sizeof(*names));
			names[n++] = nd_strdup(e->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	CHECK(n >= 10);
	for (i = 0; i < n; i++) {
		printf("# case %s\n", names[i]);
		check_case(names[i]);
		free(names[i]);
	}
	free(names);
}

/* The same source gives the same Dockerfile, byte for byte. */
TEST(deterministic)
{
	char src[PATH_MAX];
	struct nd_plan *a = NULL, *b = NULL;
	struct nd_error err = ND_ERROR_INIT;

	if (!realpath(APPS "/static-build", src)) {
		UNIT_FAIL("no fixture");
		return;
	}
	CHECK_INT(nd_plan_make(&a, NULL, src, &err), 0);
	CHECK_INT(nd_plan_make(&b, NULL, src, &err), 0);
	if (a && b)
		CHECK_STR(a->dockerfile, b->dockerfile);
	/* without a project (init) there is no app to label stages with */
	if (a)
		CHECK(!strstr(a->dockerfile, "LABEL"));
	nd_plan_free(a);
	nd_plan_free(b);
}

int main(void)
{
	RUN(golden_dockerfiles);
	RUN(deterministic);
	return unit_done();
}
