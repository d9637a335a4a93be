/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the project file: every tests/data/project/NN-*.yml starts
 * with "# expect: ok" or "# expect: LINE:COL: MESSAGE-PREFIX".
 */
#include "tests/unit/unit.h"
#include "core/project.h"

#include <dirent.h>

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_case(const char *dir, const char *name)
{
	char *path = nd_xprintf("%s/%s", dir, name);
	size_t len;
	char *data = unit_read_file(path, &len);
	char *expect, *eol;
	struct nd_project *p = NULL;
	struct nd_error err = ND_ERROR_INIT;
	int r;

	if (!data || strncmp(data, "# expect: ", 10)) {
		UNIT_FAIL("%s: no '# expect:' line", name);
		goto done;
	}
	eol = strchr(data, '\n');
	expect = nd_strndup(data + 10, (size_t)(eol - data - 10));
	r = nd_project_parse(&p, name, "/proj", data, len, &err);
	if (!strcmp(expect, "ok")) {
		if (r < 0)
			UNIT_FAIL("%s: unexpected error %d:%d: %s", name,
				  err.line, err.col, err.msg);
	} else {
		int line = 0, col = 0, n = 0;

		sscanf(expect, "%d:%d: %n", &line, &col, &n);
		if (r != ND_EPROJECT) {
			UNIT_FAIL("%s: parsed, want error '%s'", name, expect);
		} else if (err.line != line || err.col != col ||
			   strncmp(err.msg, expect + n, strlen(expect + n)) ||
			   strcmp(err.file, name)) {
			UNIT_FAIL("%s: got %s:%d:%d: %s, want %s", name,
				  err.file, err.line, err.col, err.msg, expect);
		}
		if (p)
			UNIT_FAIL("%s: a project was returned with an error", name);
	}
	free(expect);
done:
	nd_project_free(p);
	nd_error_release(&err);
	free(data);
	free(path);
}

TEST(project_cases)
{
	const char *dir = "../data/project";
	DIR *d = opendir(dir);
	struct dirent *de;
	char *names[256];
	size_t n = 0, i;

	if (!d) {
		UNIT_FAIL("cannot open %s", dir);
		return;
	}
	while ((de = readdir(d)) && n < ND_ARRAY_SIZE(names))
		if (nd_ends_with(de->d_name, ".yml"))
			names[n++] = nd_strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	CHECK(n >= 20);
	for (i = 0; i < n; i++) {
		check_case(dir, names[i]);
		free(names[i]);
	}
}

TEST(project_values_and_defaults)
{
	const char *y = "app: shop\n"
			"build: { args: { A: 1, B: two } }\n"
			"deploy:\n"
			"  port: 8080\n"
			"  healthcheck: { command: curl -f localhost }\n"
			"  resources: { memory: 1g, cpus: 1.5 }\n"
			"  domains: shop.example.com\n";
	struct nd_project *p = NULL;
	struct nd_error err = ND_ERROR_INIT;
	int line, col;

	CHECK_INT(nd_project_parse(&p, "x.yml", "/proj", y, strlen(y), &err), 0);
	if (!p)
		return;
	CHECK_STR(p->app, "shop");
	CHECK_STR(nd_kvlist_get(&p->build.args, "B"), "two");
	CHECK_INT(p->deploy.port, 8080);
	CHECK_INT(p->deploy.publish, -1);
	CHECK_INT(nd_project_replicas(p), 1);
	CHECK_STR(p->deploy.healthcheck.command_shell, "curl -f localhost");
	CHECK_INT(p->deploy.resources.memory, 1LL << 30);
	CHECK(p->deploy.resources.cpus > 1.49 && p->deploy.resources.cpus < 1.51);
	CHECK_INT(p->deploy.domains.nr, 1);
	CHECK_STR(nd_project_image_name(p), "shop");
	CHECK_STR(nd_project_proxy_image(p), "caddy:2");
	CHECK_STR(nd_project_restart(p), "unless-stopped");
	CHECK(nd_project_pos(p, "deploy.port", &line, &col));
	CHECK_INT(line, 4);
	CHECK_INT(col, 9);
	nd_project_free(p);
}

TEST(validators)
{
	CHECK(nd_app_name_valid("shop"));
	CHECK(nd_app_name_valid("my-app.v2_x"));
	CHECK(!nd_app_name_valid("-shop"));
	CHECK(!nd_app_name_valid("Shop"));
	CHECK(!nd_app_name_valid(""));
	CHECK(nd_image_ref_valid("caddy:2"));
	CHECK(nd_image_ref_valid("nd-test/node:18"));
	CHECK(nd_image_ref_valid("127.0.0.1:5000/team/shop:abc123"));
	CHECK(nd_image_ref_valid("localhost/x"));
	CHECK(nd_image_ref_valid("node@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	CHECK(!nd_image_ref_valid("Node:20"));
	CHECK(!nd_image_ref_valid("node:"));
	CHECK(!nd_image_ref_valid("a//b"));
	CHECK(!nd_image_ref_valid("node:20 ; rm"));
	CHECK(nd_domain_valid("shop.example.com"));
	CHECK(nd_domain_valid("*.example.com"));
	CHECK(nd_domain_valid("localhost"));
	CHECK(!nd_domain_valid("bad_domain"));
	CHECK(!nd_domain_valid("-a.com"));
	CHECK(!nd_domain_valid("a..com"));
}

int main(void)
{
	RUN(project_cases);
	RUN(project_values_and_defaults);
	RUN(validators);
	return unit_done();
}
