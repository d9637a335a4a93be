/* SPDX-License-Identifier: MIT */
/*
 * Detection rules, one small app made in a temporary folder per case:
 * lockfiles, versions, frameworks, precedence, Procfile, Staticfile and
 * compose parsing, command lines to exec form, the checks on strings,
 * the TOML subset, app names and init's file.
 */
#include "tests/unit/unit.h"
#include "buildpacks/bp.h"
#include "buildpacks/plan.h"
#include "core/project.h"

#include <cjson/cJSON.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpl[] = "/tmp/nd-t-detect.XXXXXX";
static char *root;
static int serial;

/* A fresh folder with files: "name", "content", ..., NULL */
static char *app(const char *first, ...)
{
	char *dir = nd_xprintf("%s/%d", root, ++serial);
	const char *name = first;
	va_list ap;

	mkdir(dir, 0755);
	va_start(ap, first);
	while (name) {
		const char *content = va_arg(ap, const char *);
		char *path = nd_xprintf("%s/%s", dir, name), *slash;
		FILE *f;

		slash = strrchr(path, '/');
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
		f = fopen(path, "w");
		fputs(content, f);
		fclose(f);
		free(path);
		name = va_arg(ap, const char *);
	}
	va_end(ap);
	return dir;
}

/* Plan dir with a project file text (NULL: none). */
static struct nd_plan *plan_of(const char *dir, const char *yml,
			       struct nd_error *err)
{
	struct nd_project *p = NULL;
	struct nd_plan *plan = NULL;

	if (yml && nd_project_parse(&p, "nextdeploy.yml", dir, yml, strlen(yml),
				    err) < 0)
		return NULL;
	if (nd_plan_make(&plan, p, dir, err) < 0)
		plan = NULL;
	nd_project_free(p);
	return plan;
}

static const char *version_of(const struct nd_plan *plan, const char *name)
{
	return plan ? nd_kvlist_get(&plan->versions, name) : NULL;
}

#define EXPECT_PLAN(plan, err)                                               \
	do {                                                                 \
		if (!(plan))                                                 \
			UNIT_FAIL("plan failed: %s", (err).msg);             \
	} while (0)

TEST(node_package_managers)
{
	static const struct { const char *lock, *pm, *install; } cases[] = {
		{ "package-lock.json", "npm", "npm ci --omit=dev" },
		{ "pnpm-lock.yaml", "pnpm", "pnpm install --frozen-lockfile --prod" },
		{ "yarn.lock", "yarn", "yarn install --frozen-lockfile --production" },
		{ "bun.lockb", "bun", "bun install --frozen-lockfile --production" },
		{ "bun.lock", "bun", "bun install --frozen-lockfile --production" },
	};
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(cases); i++) {
		struct nd_error err = ND_ERROR_INIT;
		char *d = app("package.json",
			      "{\"dependencies\":{\"x\":\"1\"},\"scripts\":{\"start\":\"node a.js\"}}",
			      cases[i].lock, "", NULL);
		struct nd_plan *plan = plan_of(d, NULL, &err);

		EXPECT_PLAN(plan, err);
		if (plan) {
			CHECK_STR(plan->package_manager, cases[i].pm);
			CHECK_STR(plan->install_cmd, cases[i].install);
			CHECK_STR(plan->reasons[1].file, cases[i].lock);
		}
		nd_plan_free(plan);
		nd_error_release(&err);
		free(d);
	}
}

TEST(node_package_manager_field_and_no_lockfile)
{
	struct nd_error err = ND_ERROR_INIT;
	char *d = app("package.json",
		      "{\"packageManager\":\"yarn@4.1.0+sha256.abc\",\"dependencies\":{\"x\":\"1\"},\"main\":\"srv.js\"}",
		      "srv.js", "", "yarn.lock", "", NULL);
	struct nd_plan *plan = plan_of(d, NULL, &err);

	EXPECT_PLAN(plan, err);
	if (plan) {
		CHECK_STR(plan->package_manager, "yarn");
		CHECK_STR(version_of(plan, "yarn"), "4.1.0");
		CHECK_STR(plan->install_cmd, "yarn install --immutable");
		CHECK_STR(plan->start_cmd, "node srv.js");
		CHECK_CONTAINS(plan->dockerfile, "corepack prepare yarn@4.1.0 --activate");
	}
	nd_plan_free(plan);
	free(d);
	d = app("package.json", "{\"dependencies\":{\"x\":\"1\"}}", "index.js", "", NULL);
	plan = plan_of(d, NULL, &err);
	EXPECT_PLAN(plan, err);
	if (plan) {
		CHECK_STR(plan->install_cmd, "npm install --omit=dev");
		CHECK_STR(plan->start_cmd, "node index.js");
		CHECK_INT(plan->warnings.nr, 1);
		CHECK_CONTAINS(plan->warnings.items[0], "no lockfile");
	}
	nd_plan_free(plan);
	nd_error_release(&err);
	free(d);
}

TEST(node_versions)
{
	static const struct { const char *engines, *nvmrc, *nodever, *want; } cases[] = {
		{ "20.11.1", NULL, NULL, "20.11.1" },
		{ "v20.11.1", NULL, NULL, "20.11.1" },
		{ "^20.11.1", NULL, NULL, "20" },
		{ "~20.11.1", NULL, NULL, "20.11" },
		{ "20.x", NULL, NULL, "20" },
		{ ">=18", NULL, NULL, "22" },
		{ ">=16 <19", NULL, NULL, "18" },
		{ ">=23", NULL, NULL, "23" },
		{ "^16 || ^18", NULL, NULL, "18" },
		{ "=18.19.0", NULL, NULL, "18.19.0" },
		{ NULL, "lts/iron\n", NULL, "20" },
		{ NULL, "lts/*", NULL, "lts" },
		{ NULL, "node", NULL, "current" },
		{ NULL, NULL, "v21.6.2\n", "21.6.2" },
		/* an exact pin wins over a range */
		{ ">=18", "20.11.1", NULL, "20.11.1" },
		{ "20.10.0", "20.11.1", NULL, "20.10.0" },
		{ "*", NULL, NULL, "22" },
		{ NULL, NULL, NULL, "22" },
	};
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(cases); i++) {
		struct nd_error err = ND_ERROR_INIT;
		char *pkg = cases[i].engines
				    ? nd_xprintf("{\"engines\":{\"node\":\"%s\"},\"main\":\"a.js\"}",
						 cases[i].engines)
				    : nd_strdup("{\"main\":\"a.js\"}");
		char *d = app("package.json", pkg, "a.js", "",
			      cases[i].nvmrc ? ".nvmrc" : NULL, cases[i].nvmrc,
			      NULL);
		struct nd_plan *plan;

		if (cases[i].nodever) {
			char *f = nd_xprintf("%s/.node-version", d);
			FILE *fp = fopen(f, "w");

			fputs(cases[i].nodever, fp);
			fclose(fp);
			free(f);
		}
		plan = plan_of(d, NULL, &err);
		EXPECT_PLAN(plan, err);
		if (plan) {
			char *img = nd_xprintf("node:%s-bookworm-slim", cases[i].want);

			if (!nd_streq(version_of(plan, "node"), cases[i].want))
				UNIT_FAIL("engines %s nvmrc %s: got %s, want %s",
					  cases[i].engines ? cases[i].engines : "-",
					  cases[i].nvmrc ? cases[i].nvmrc : "-",
					  version_of(plan, "node"), cases[i].want);
			CHECK_STR(plan->runtime_image, img);
			free(img);
		}
		nd_plan_free(plan);
		nd_error_release(&err);
		free(pkg);
		free(d);
	}
}

TEST(node_bad_version_is_an_error_naming_the_file)
{
	struct nd_error err = ND_ERROR_INIT;
	char *d = app("package.json", "{\"main\":\"a.js\"}", "a.js", "",
		      ".nvmrc", "20; rm -rf /\n", NULL);
	struct nd_plan *plan = plan_of(d, NULL, &err);

	CHECK(!plan);
	CHECK_INT(err.code, ND_EPROJECT);
	CHECK_CONTAINS(err.msg, ".nvmrc");
	nd_plan_free(plan);
	nd_error_release(&err);
	free(d);
	d = app("package.json", "{\"main\": oops}", NULL);
	plan = plan_of(d, NULL, &err);
	CHECK(!plan);
	CHECK_STR(err.file, "package.json");
	CHECK_INT(err.line, 1);
	nd_error_release(&err);
	free(d);
}

TEST(node_frameworks)
{
	struct nd_error err = ND_ERROR_INIT;
	char *d = app("package.json",
		      "{\"scripts\":{\"build\":\"react-scripts build\",\"start\":\"react-scripts start\"},"
		      "\"dependencies\":{\"react-scripts\":\"5\"}}",
		      "package-lock.json", "{}", NULL);
	struct nd_plan *plan = plan_of(d, NULL, &err);

	EXPECT_PLAN(plan, err);
	if (plan) {
		CHECK_STR(plan->kind, "static");
		CHECK_STR(plan->framework, "cra");
		CHECK_STR(plan->output_dir, "build");
		CHECK(plan->spa);
		CHECK_CONTAINS(plan->dockerfile, "COPY --from=build /app/build /srv/site");
		CHECK_CONTAINS(plan->dockerfile, "RUN npm ci\n");
	}
	nd_plan_free(plan);
	free(d);
	/* next without standalone: next start, the whole app */
	d = app("package.json",
		"{\"scripts\":{\"build\":\"next build\",\"start\":\"next start\"},"
		"\"dependencies\":{\"next\":\"14\"}}",
		"package-lock.json", "{}", NULL);
	plan = plan_of(d, NULL, &err);
	EXPECT_PLAN(plan, err);
	if (plan) {
		CHECK_STR(plan->kind, "node");
		CHECK_STR(plan->start_cmd, "next start");
		CHECK_CONTAINS(plan->dockerfile, "RUN npm run build\nRUN npm prune --omit=dev\n");
	}
	nd_plan_free(plan);
	nd_error_release(&err);
	free(d);
}

TEST(python_versions_and_managers)
{
	static const struct {
		const char *file, *content, *want;
	} cases[] = {
		{ ".python-version", "3.12.1\n", "3.12.1" },
		{ "runtime.txt", "python-3.10.13", "3.10.13" },
		{ "pyproject.toml", "[project]\nname='x'\nrequires-python = \">=3.9,<3.12\"\n", "3.11" },
		{ "pyproject.toml", "[project]\nrequires-python = \"==3.10.*\"\n", "3.10" },
		{ "pyproject.toml", "[project]\nrequires-python = \">=3.8\"\n", "3.12" },
		{ "pyproject.toml", "[project]\nrequires-python = \"~=3.13.0\"\n", "3.13" },
		{ "Pipfile", "[requires]\npython_full_version = \"3.11.7\"\n", "3.11.7" },
		{ "requirements.txt", "flask\n", "3.12" },
	};
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(cases); i++) {
		struct nd_error err = ND_ERROR_INIT;
		char *d = app(cases[i].file, cases[i].content, "main.py", "", NULL);
		struct nd_plan *plan = plan_of(d, NULL, &err);

		EXPECT_PLAN(plan, err);
		if (plan && !nd_streq(version_of(plan, "python"), cases[i].want))
			UNIT_FAIL("%s %s: got %s, want %s", cases[i].file,
				  cases[i].content, version_of(plan, "python"),
				  cases[i].want);
		nd_plan_free(plan);
		nd_error_release(&err);
		free(d);
	}
}

TEST(python_starts)
{
	static const struct {
		const char *deps, *file, *content, *want;
	} cases[] = {
		{ "fastapi\nuvicorn[standard]\n", "main.py", "app = FastAPI()\n",
		  "uvicorn main:app --host 0.0.0.0 --port $PORT" },
		{ "flask\ngunicorn==21\n", "app.py", "from flask import Flask\napp = Flask(__name__)\n",
		  "gunicorn app:app --bind 0.0.0.0:$PORT" },
		{ "flask\n", "app.py", "app = Flask(__name__)\napp.run()\n", "python app.py" },
		{ "# none\n", "main.py", "print(1)\n", "python main.py" },
		/* "gunicorn" inside another name is not gunicorn */
		{ "gunicorn-extras\n", "app.py", "app = 1\n", "python app.py" },
	};
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(cases); i++) {
		struct nd_error err = ND_ERROR_INIT;
		char *d = app("requirements.txt", cases[i].deps, cases[i].file,
			      cases[i].content, NULL);
		struct nd_plan *plan = plan_of(d, NULL, &err);

		EXPECT_PLAN(plan, err);
		if (plan)
			CHECK_STR(plan->start_cmd, cases[i].want);
		nd_plan_free(plan);
		nd_error_release(&err);
		free(d);
	}
}

TEST(go_and_rust_versions)
{
	struct nd_error err = ND_ERROR_INIT;
	char *d = app("go.mod", "module x\n\ngo 1.21\n\ntoolchain go1.21.6\n",
		      "main.go", "package main\nfunc main() {}\n", NULL);
	struct nd_plan *plan = plan_of(d, NULL, &err);

	EXPECT_PLAN(plan, err);
	if (plan) {
		CHECK_STR(version_of(plan, "go"), "1.21.6");
		CHECK_STR(plan->base_image, "golang:1.21.6-bookworm");
	}
	nd_plan_free(plan);
	free(d);
	d = app("go.mod", "module x\n\ngo 1.22\n", "lib.go", "package x\n", NULL);
	plan = plan_of(d, NULL, &err);
	CHECK(!plan);
	CHECK_CONTAINS(err.msg, "no main package");
	nd_error_release(&err);
	free(d);
	d = app("Cargo.toml", "[package]\nname = \"svc\"\nrust-version = \"1.70\"\n",
		"rust-toolchain", "1.76.0\n", NULL);
	plan = plan_of(d, NULL, &err);
	EXPECT_PLAN(plan, err);
	if (plan) {
		CHECK_STR(version_of(plan, "rust"), "1.76.0");
		CHECK_STR(plan->start_cmd, "/usr/local/bin/svc");
		CHECK_INT(plan->warnings.nr, 1); /* no Cargo.lock */
	}
	nd_plan_free(plan);
	free(d);
	d = app("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n", NULL);
	plan = plan_of(d, NULL, &err);
	CHECK(!plan);
	CHECK_CONTAINS(err.msg, "workspace");
	nd_error_release(&err);
	free(d);
}

TEST(precedence)
{
	struct nd_error err = ND_ERROR_INIT;
	char *d = app("package.json", "{\"main\":\"a.js\"}", "a.js", "",
		      "Dockerfile", "FROM node:20-alpine\nEXPOSE 5000\n",
		      "compose.yaml", "services:\n  web:\n    build: .\n", NULL);
	struct nd_plan *plan = plan_of(d, NULL, &err);

	EXPECT_PLAN(plan, err);
	if (plan) {
		CHECK_STR(plan->kind, "dockerfile");
		CHECK_INT(plan->port, 5000);
		CHECK_STR(plan->probe, "node");
		CHECK(!plan->dockerfile);
	}
	nd_plan_free(plan);
	/* nixpacks: never the Dockerfile */
	plan = plan_of(d, "app: x\nbuild:\n  buildpack: nixpacks\n", &err);
	EXPECT_PLAN(plan, err);
	if (plan)
		CHECK_STR(plan->kind, "node");
	nd_plan_free(plan);
	/* compose when asked */
	plan = plan_of(d, "app: x\nbuild:\n  buildpack: compose\n", &err);
	EXPECT_PLAN(plan, err);
	if (plan) {
		CHECK_STR(plan->kind, "compose");
		CHECK_INT(plan->nservices, 1);
	}
	nd_plan_free(plan);
	/* deploy.port wins over EXPOSE */
	plan = plan_of(d, "app: x\ndeploy:\n  port: 7000\n", &err);
	EXPECT_PLAN(plan, err);
	if (plan) {
		CHECK_INT(plan->port, 7000);
		CHECK_STR(nd_kvlist_get(&plan->labels, "nextdeploy.port"), "7000");
	}
	nd_plan_free(plan);
	free(d);
	/* go before node (nixpacks order); static last */
	d = app("go.mod", "module m\ngo 1.22\n", "main.go", "package main\n",
		"package.json", "{}", "index.html", "", NULL);
	plan = plan_of(d, NULL, &err);
	EXPECT_PLAN(plan, err);
	if (plan)
		CHECK_STR(plan->kind, "go");
	nd_plan_free(plan);
	free(d);
	d = app("README.md", "nothing\n", NULL);
	plan = plan_of(d, NULL, &err);
	CHECK(!plan);
	CHECK_INT(err.code, ND_ENOTFOUND);
	CHECK_CONTAINS(err.hint, "package.json");
	nd_error_release(&err);
	free(d);
}

TEST(project_keys_override_and_are_checked)
{
	struct nd_error err = ND_ERROR_INIT;
	char *d = app("package.json", "{\"main\":\"a.js\"}", "a.js", "", NULL);
	struct nd_plan *plan;
	size_t i;
	bool seen = false;

	plan = plan_of(d, "app: x\nbuild:\n  start: \"node a.js\\u001b[31m\"\n", &err);
	CHECK(!plan);
	CHECK_INT(err.code, ND_EPROJECT);
	CHECK_CONTAINS(err.msg, "control character");
	CHECK_INT(err.line, 3);
	nd_error_release(&err);
	plan = plan_of(d, "app: x\nbuild:\n  start: \"node 'a.js\"\n", &err);
	CHECK(!plan);
	CHECK_CONTAINS(err.msg, "unterminated");
	nd_error_release(&err);
	plan = plan_of(d, "app: x\nbuild:\n  args:\n    BAD-NAME: 1\n", &err);
	CHECK(!plan);
	CHECK_INT(err.line, 4);
	CHECK_CONTAINS(err.msg, "BAD-NAME");
	nd_error_release(&err);
	plan = plan_of(d, "app: x\nbuild:\n  target: nope\n", &err);
	CHECK(!plan);
	CHECK_CONTAINS(err.msg, "no stage 'nope'");
	nd_error_release(&err);
	plan = plan_of(d, "app: x\nbuild:\n  install: npm ci\n  start: node a.js --x\n  target: build\n", &err);
	EXPECT_PLAN(plan, err);
	if (plan) {
		CHECK_STR(plan->start_cmd, "node a.js --x");
		CHECK_STR(plan->target, "build");
		for (i = 0; i < plan->nreasons; i++)
			if (nd_streq(plan->reasons[i].key, "build.start"))
				seen = true;
		CHECK(seen);
	}
	nd_plan_free(plan);
	nd_error_release(&err);
	free(d);
}

TEST(procfile)
{
	struct nd_bp_procfile *pf = NULL;
	struct nd_error err = ND_ERROR_INIT;

	CHECK_INT(nd_bp_procfile_parse(&pf, "Procfile",
				       "# c\n\nweb: npm start\nrelease:   ./migrate.sh  \nworker-2: x\n",
				       &err), 0);
	if (pf) {
		CHECK_INT(pf->entries.nr, 3);
		CHECK_STR(nd_kvlist_get(&pf->entries, "release"), "./migrate.sh");
		CHECK_INT(pf->entries.items[1].line, 4);
	}
	nd_bp_procfile_free(pf);
	pf = NULL;
	CHECK_INT(nd_bp_procfile_parse(&pf, "Procfile", "web: a\nnot a line\n", &err),
		  ND_EPROJECT);
	CHECK_INT(err.line, 2);
	CHECK_INT(nd_bp_procfile_parse(&pf, "Procfile", "web: a\nweb: b\n", &err),
		  ND_EPROJECT);
	CHECK_CONTAINS(err.msg, "twice");
	CHECK_INT(nd_bp_procfile_parse(&pf, "Procfile", "web:\n", &err), ND_EPROJECT);
	CHECK_CONTAINS(err.msg, "no command");
	CHECK(!pf);
	nd_error_release(&err);
}

TEST(staticfile)
{
	struct nd_bp_staticfile sf;
	struct nd_error err = ND_ERROR_INIT;

	nd_bp_staticfile_init(&sf);
	CHECK_INT(nd_bp_staticfile_parse(&sf, "Staticfile",
					  "root: dist\npushstate: enabled\ngzip: off\ndirectory: visible\n"
					  "status_codes:\n  404: /404.html\nforce_https: true\n",
					  &err), 0);
	CHECK_STR(sf.root, "dist");
	CHECK(sf.pushstate && !sf.gzip && sf.directory);
	CHECK_STR(nd_kvlist_get(&sf.status_codes, "404"), "/404.html");
	CHECK_INT(sf.ignored.nr, 1);
	nd_bp_staticfile_release(&sf);
	CHECK_INT(nd_bp_staticfile_parse(&sf, "Staticfile", "root: ../etc\n", &err),
		  ND_EPROJECT);
	CHECK_INT(err.line, 1);
	CHECK_INT(err.col, 7);
	CHECK_INT(nd_bp_staticfile_parse(&sf, "Staticfile",
					  "status_codes:\n  404: \"/x; return 200\"\n", &err),
		  ND_EPROJECT);
	CHECK_INT(err.line, 2);
	CHECK_INT(nd_bp_staticfile_parse(&sf, "Staticfile", "pushstate: maybe\n", &err),
		  ND_EPROJECT);
	nd_bp_staticfile_release(&sf);
	nd_error_release(&err);
}

TEST(compose)
{
	struct nd_plan plan;
	struct nd_error err = ND_ERROR_INIT;

	memset(&plan, 0, sizeof(plan));
	CHECK_INT(nd_bp_compose_parse(&plan, "compose.yaml",
				      "services:\n"
				      "  api:\n    build: ./api\n    ports: [\"127.0.0.1:8080:80/tcp\"]\n"
				      "    environment: { A: \"1\" }\n    command: sh -c 'echo $A'\n"
				      "  db:\n    image: postgres:16\n    expose: [\"5432\"]\n",
				      &err), 0);
	CHECK_INT(plan.nservices, 2);
	if (plan.nservices == 2) {
		CHECK_STR(plan.services[0].context, "api");
		CHECK_STR(plan.services[0].dockerfile, "Dockerfile");
		CHECK_INT(plan.services[0].port, 80);
		CHECK_STR(nd_kvlist_get(&plan.services[0].env, "A"), "1");
		CHECK_INT(plan.services[0].command.nr, 3);
		CHECK_STR(plan.services[1].image, "postgres:16");
		CHECK_INT(plan.services[1].port, 5432);
	}
	plan.kind = nd_strdup("compose");
	{
		struct nd_plan *pp = nd_calloc(1, sizeof(*pp));

		*pp = plan;
		nd_plan_free(pp);
	}
	memset(&plan, 0, sizeof(plan));
	CHECK_INT(nd_bp_compose_parse(&plan, "compose.yaml",
				      "services:\n  x:\n    build:\n      context: ../outside\n",
				      &err), ND_EPROJECT);
	CHECK_INT(err.line, 4);
	{
		struct nd_plan *pp = nd_calloc(1, sizeof(*pp));

		*pp = plan;
		nd_plan_free(pp);
	}
	memset(&plan, 0, sizeof(plan));
	CHECK_INT(nd_bp_compose_parse(&plan, "compose.yaml", "version: '3'\n", &err),
		  ND_EPROJECT);
	CHECK_CONTAINS(err.msg, "services");
	nd_error_release(&err);
}

static void argv_is(const char *cmd, const char *json)
{
	struct nd_strvec v = ND_STRVEC_INIT;
	struct nd_error err = ND_ERROR_INIT;
	struct nd_buf b = ND_BUF_INIT;

	if (nd_plan_cmd_argv(&v, cmd, &err) < 0) {
		UNIT_FAIL("'%s': %s", cmd, err.msg);
	} else {
		nd_df_json_array(&b, &v);
		if (strcmp(b.buf, json))
			UNIT_FAIL("'%s' -> %s, want %s", cmd, b.buf, json);
	}
	nd_buf_release(&b);
	nd_strvec_release(&v);
	nd_error_release(&err);
}

TEST(command_lines_to_exec_form)
{
	argv_is("npm start", "[\"npm\", \"start\"]");
	argv_is("  node   server.js  ", "[\"node\", \"server.js\"]");
	argv_is("python -c 'print(\"hi\")'", "[\"python\", \"-c\", \"print(\\\"hi\\\")\"]");
	argv_is("echo \"a b\" c\\ d", "[\"echo\", \"a b\", \"c d\"]");
	argv_is("gunicorn app:app -b 0.0.0.0:$PORT",
		"[\"/bin/sh\", \"-c\", \"exec gunicorn app:app -b 0.0.0.0:$PORT\"]");
	argv_is("NODE_OPTIONS=--max-old-space-size=512 node x.js",
		"[\"/bin/sh\", \"-c\", \"NODE_OPTIONS=--max-old-space-size=512 exec node x.js\"]");
	argv_is("./migrate && ./server", "[\"/bin/sh\", \"-c\", \"./migrate && ./server\"]");
	argv_is("a | b", "[\"/bin/sh\", \"-c\", \"a | b\"]");
	argv_is("line1\nline2", "[\"/bin/sh\", \"-c\", \"line1\\nline2\"]");
	argv_is("if true; then x; fi", "[\"/bin/sh\", \"-c\", \"if true; then x; fi\"]");
	argv_is("node \"$(cat x)\"", "[\"/bin/sh\", \"-c\", \"exec node \\\"$(cat x)\\\"\"]");
	argv_is("echo \"]\\\"\" '\\'", "[\"echo\", \"]\\\"\", \"\\\\\"]");
	argv_is("héllo wörld", "[\"héllo\", \"wörld\"]");
	{
		struct nd_strvec v = ND_STRVEC_INIT;
		struct nd_error err = ND_ERROR_INIT;

		CHECK_INT(nd_plan_cmd_argv(&v, "echo 'open", &err), ND_EPROJECT);
		CHECK_INT(nd_plan_cmd_argv(&v, "   ", &err), ND_EPROJECT);
		CHECK_INT(nd_plan_cmd_argv(&v, "A=1", &err), ND_EPROJECT);
		CHECK_INT(nd_plan_cmd_argv(&v, "a\rb", &err), ND_EPROJECT);
		CHECK_INT(nd_plan_cmd_argv(&v, "a\x01", &err), ND_EPROJECT);
		CHECK_INT(nd_plan_cmd_argv(&v, "a \xff\xfe", &err), ND_EPROJECT);
		CHECK_CONTAINS(err.msg, "UTF-8");
		CHECK_INT(v.nr, 0);
		nd_error_release(&err);
	}
}

/* A RUN of a user's command parses back to the same string (JSON). */
TEST(dockerfile_escaping)
{
	static const char *const nasty[] = {
		"echo \"quoted\" 'single' $HOME `x` \\ end\\",
		"line1\nRUN rm -rf /\n# comment",
		"tab\there ]\"[",
	};
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(nasty); i++) {
		struct nd_buf b = ND_BUF_INIT;
		cJSON *j;

		nd_df_run_user(&b, nasty[i]);
		CHECK(nd_starts_with(b.buf, "RUN ["));
		/* one physical line: nothing can start a new instruction */
		CHECK(!strchr(b.buf, '\n') || strchr(b.buf, '\n') == b.buf + b.len - 1);
		CHECK(b.buf[b.len - 2] == ']');
		j = cJSON_Parse(b.buf + 4);
		CHECK(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 3);
		if (j)
			CHECK_STR(cJSON_GetArrayItem(j, 2)->valuestring, nasty[i]);
		cJSON_Delete(j);
		nd_buf_release(&b);
	}
}

TEST(string_checks)
{
	CHECK(nd_bp_version_ok("20.11.1"));
	CHECK(nd_bp_version_ok("1.22rc1"));
	CHECK(!nd_bp_version_ok("20 AS x"));
	CHECK(!nd_bp_version_ok("20\nRUN x"));
	CHECK(!nd_bp_version_ok("-1"));
	CHECK(!nd_bp_version_ok(""));
	CHECK(nd_bp_path_ok("dist"));
	CHECK(nd_bp_path_ok("apps/web/.output"));
	CHECK(!nd_bp_path_ok("../x"));
	CHECK(!nd_bp_path_ok("a/../../x"));
	CHECK(!nd_bp_path_ok("/etc"));
	CHECK(!nd_bp_path_ok("a b"));
	CHECK(!nd_bp_path_ok("a;b"));
	CHECK(!nd_bp_path_ok("--from=x"));
	CHECK(!nd_bp_command_problem("ok\tfine\n"));
	CHECK(nd_bp_command_problem("bad\x1b"));
}

TEST(toml_subset)
{
	const char *t = "name = \"top\"\n[package]\nname = \"pkg\" # c\nversion = '1.0'\n"
			"metadata.x = \"dotted\"\n[[bin]]\nname = \"first\"\n[[bin]]\nname = \"second\"\n"
			"[toolchain]\nchannel = \"1.75.0\"\ncomponents = [\n  \"rustfmt\", # x\n  'clippy',\n]\n"
			"[dependencies]\n[dev-dependencies]\nx = 1\n";
	struct nd_strvec v = ND_STRVEC_INIT;
	char *s;

	CHECK_STR(s = nd_toml_get(t, "", "name"), "top");
	free(s);
	CHECK_STR(s = nd_toml_get(t, "package", "name"), "pkg");
	free(s);
	CHECK_STR(s = nd_toml_get(t, "package", "version"), "1.0");
	free(s);
	CHECK_STR(s = nd_toml_get(t, "package.metadata", "x"), "dotted");
	free(s);
	CHECK_STR(s = nd_toml_get(t, "bin", "name"), "first");
	free(s);
	CHECK(!nd_toml_get(t, "package", "missing"));
	CHECK(nd_toml_get_array(t, "toolchain", "components", &v));
	CHECK_INT(v.nr, 2);
	if (v.nr == 2)
		CHECK_STR(v.items[1], "clippy");
	nd_strvec_release(&v);
	CHECK(nd_toml_has_table(t, "dependencies"));
	CHECK(!nd_toml_table_has_keys(t, "dependencies"));
	CHECK(nd_toml_table_has_keys(t, "dev-dependencies"));
}

TEST(app_names_and_init_file)
{
	char *s;
	struct nd_error err = ND_ERROR_INIT;
	char *d;
	struct nd_plan *plan;

	CHECK_STR(s = nd_plan_app_name("@acme/Node Lockfile"), "node-lockfile");
	free(s);
	CHECK_STR(s = nd_plan_app_name("My_App.v2"), "my_app.v2");
	free(s);
	CHECK_STR(s = nd_plan_app_name("--weird--name--"), "weird-name");
	free(s);
	CHECK(!nd_plan_app_name("___"));
	CHECK(!nd_plan_app_name(""));

	d = app("package.json", "{\"name\":\"shop\",\"main\":\"a.js\"}", "a.js", "",
		"Procfile", "web: node a.js --msg \"x y\"\n", NULL);
	plan = plan_of(d, NULL, &err);
	EXPECT_PLAN(plan, err);
	if (plan) {
		struct nd_project *p = NULL;
		char *text = nd_plan_init_yaml(plan, "shop");

		CHECK_CONTAINS(text, "app: shop\n");
		CHECK_CONTAINS(text, "  port: 3000");
		CHECK_CONTAINS(text, "# start: node a.js");
		CHECK_CONTAINS(text, "node version: 22");
		if (nd_project_parse(&p, "nextdeploy.yml", d, text, strlen(text), &err) < 0)
			UNIT_FAIL("init's file does not load: %d:%d: %s\n%s", err.line,
				  err.col, err.msg, text);
		else
			CHECK_INT(p->deploy.port, 3000);
		nd_project_free(p);
		free(text);
	}
	nd_plan_free(plan);
	nd_error_release(&err);
	free(d);
}

int main(void)
{
	root = mkdtemp(tmpl);
	if (!root) {
		perror("mkdtemp");
		return 1;
	}
	RUN(node_package_managers);
	RUN(node_package_manager_field_and_no_lockfile);
	RUN(node_versions);
	RUN(node_bad_version_is_an_error_naming_the_file);
	RUN(node_frameworks);
	RUN(python_versions_and_managers);
	RUN(python_starts);
	RUN(go_and_rust_versions);
	RUN(precedence);
	RUN(project_keys_override_and_are_checked);
	RUN(procfile);
	RUN(staticfile);
	RUN(compose);
	RUN(command_lines_to_exec_form);
	RUN(dockerfile_escaping);
	RUN(string_checks);
	RUN(toml_subset);
	RUN(app_names_and_init_file);
	{
		/* remove the temporary apps (no shell: nftw would do too) */
		char *argv[] = { (char *)"rm", (char *)"-rf", root, NULL };
		pid_t pid = fork();

		if (pid == 0) {
			execvp("rm", argv);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return unit_done();
}
