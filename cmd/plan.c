/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "buildpacks/plan.h"
#include "core/source.h"
#include "core/project.h"

#include <cjson/cJSON.h>

static bool only_dockerfile;

/* clang-format off */
static const struct nd_opt plan_opts[] = {
	ND_OPT_BOOL_ROW(0, "dockerfile", &only_dockerfile,
			"print only the synthesized Dockerfile (nothing for the app's own Dockerfile or compose)"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const struct nd_example plan_examples[] = {
	{ "nextdeploy plan", "the decisions, the file behind each, and the Dockerfile" },
	{ "nextdeploy plan --json", "the same as one JSON document, for scripts and CI" },
	{ "nextdeploy plan --dockerfile >Dockerfile",
	  "keep the synthesized Dockerfile to edit it (then buildpack: dockerfile)" },
	{ NULL, NULL },
};
/* clang-format on */

/* clang-format off */
static const char *const plan_sections[] = {
	"DETECTION",
	"With build.buildpack: auto (the default) the first rule that matches "
	"decides: build.dockerfile or a Dockerfile in the build context -> "
	"dockerfile (the app's own, built as it is); build.compose_file or "
	"compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml -> "
	"compose; then the languages in nixpacks' order: go.mod -> go; "
	"package.json -> node; requirements.txt, pyproject.toml, Pipfile, "
	"setup.py, main.py, app.py or manage.py -> python; Cargo.toml -> "
	"rust; then a Staticfile, index.html or public/index.html -> static. "
	"buildpack: nixpacks detects a language and never uses a Dockerfile "
	"or compose file; static, dockerfile and compose force that kind.\n\n"
	"Project keys win over detection, and the plan says so: build.install, "
	"build.command (the build step), build.start, build.output_dir, "
	"build.base_image, build.runtime_image, build.target, build.args "
	"(declared as ARG in the build stage only) and deploy.port.\n\n"
	"A Procfile is honored for every kind: web: is the start command, "
	"release: the pre-deploy step (label nextdeploy.release-command), "
	"other types are extra processes (label nextdeploy.processes).",
	"NODE",
	"Package manager: package.json packageManager (corepack, exact "
	"version), else the lockfile: pnpm-lock.yaml, yarn.lock (.yarnrc.yml: "
	"yarn berry), bun.lockb or bun.lock, package-lock.json; else npm. "
	"Install: npm ci (npm install without a lockfile, with a warning), "
	"yarn install --frozen-lockfile, pnpm install --frozen-lockfile; "
	"nothing when package.json has no dependencies. Build: scripts.build. "
	"Version: engines.node, .nvmrc, .node-version; the first exact x.y.z "
	"wins, else the first given; ranges become the image tag that "
	"satisfies them (^20.11.1 -> 20, ~20.11.1 -> 20.11, >=18 -> 22, "
	"lts/iron -> 20, lts/* -> lts). Default 22. Images "
	"node:VERSION-bookworm (build) and node:VERSION-bookworm-slim "
	"(runtime, production dependencies only). Start: scripts.start run "
	"directly (no npm process; node_modules/.bin on PATH) unless it has "
	"pre/post hooks, else main, else index.js, server.js, app.js, main.js. "
	"Next.js with output: 'standalone' runs .next/standalone/server.js. "
	"Vite, Create React App and Astro apps without a server, and any "
	"package.json with a build script but nothing to start, are static "
	"sites built with node (output dist/, build/ for CRA, or "
	"build.output_dir). Port 3000; probe node.",
	"PYTHON",
	"Package manager: requirements.txt (pip; nothing to install when it "
	"lists no packages), uv.lock (uv sync --frozen), poetry.lock or "
	"[tool.poetry] (poetry, the version the lock was made with), Pipfile "
	"(pipenv requirements), pyproject.toml alone (pip install .). "
	"Version: .python-version, runtime.txt, Pipfile [requires], pyproject "
	"requires-python (a range becomes the newest minor it allows, up to "
	"3.12); default 3.12. Images python:VERSION-bookworm (build, with "
	"compilers) and python:VERSION-slim-bookworm (runtime); dependencies "
	"in a virtualenv /opt/venv on PATH. Start: Django (manage.py) with "
	"gunicorn PROJECT.wsgi, an app object in main.py, app.py, wsgi.py, "
	"server.py... served by uvicorn (FastAPI or uvicorn listed) or "
	"gunicorn (listed), else python main.py or app.py, else the first "
	"[project.scripts]. Port 8000; probe python.",
	"GO, RUST",
	"Go: version from go.mod toolchain (exact) or go; the main package at "
	"the root or the only one under cmd/; a static binary "
	"(CGO_ENABLED=0, -trimpath, embedded time zones) on busybox:1.36.1 with "
	"the builder's CA certificates. Rust: version from "
	"rust-toolchain.toml, rust-toolchain or package.rust-version (stable "
	"-> 1); the binary is the first [[bin]] or the package name; "
	"dependencies are compiled first from the manifests alone so source "
	"edits reuse them; the binary runs on debian:bookworm-slim with "
	"ca-certificates and busybox-static. Port 8080; probe wget.",
	"STATIC SITES",
	"nginx (nginx:1.27-alpine) as uid 10001 on port 8080 serves the "
	"site folder: Staticfile root:, else build.output_dir, else the "
	"folder holding index.html (. or public/). The Staticfile keys root, "
	"pushstate (enabled: unknown paths serve /index.html), gzip (default "
	"on), directory (visible: listings) and status_codes (404: "
	"/404.html) are honored; /404.html is the 404 page when there is one. "
	"Hidden files, nextdeploy.yml, Staticfile and Procfile are never "
	"served. Probe wget (busybox in the alpine image).",
	"DOCKERFILES",
	"Synthesized Dockerfiles are multi-stage (a build stage named build, "
	"the runtime stage named runtime, usable as build.target), copy the "
	"dependency manifests before the source so that rebuilds hit the "
	"layer cache, run as uid 10001, EXPOSE the port and set PORT. The "
	"start command is a shell command line: plain words become an "
	"exec-form CMD [\"npm\", \"start\"]; one command that needs the shell "
	"(variables, quotes, globs) runs as [\"/bin/sh\", \"-c\", \"exec "
	"CMD\"] so the app is PID 1; compound commands (&&, |, ;) run as "
	"[\"/bin/sh\", \"-c\", \"CMD\"]. Commands from nextdeploy.yml are "
	"written as exec-form RUN, JSON-escaped, never spliced into shell "
	"text; control characters other than tab and newline, invalid UTF-8, "
	"versions, paths and image names that could break out are refused "
	"with the key or file that holds them. The OCI labels (source, "
	"revision, created) are added by build, not written in the "
	"Dockerfile, which stays the same for the same source.",
	"GIT SOURCES",
	"For source.git, plan needs the clone that build makes; until then it "
	"says so and exits 1.",
	"EXIT STATUS",
	"0 the plan was printed; 1 nothing could be detected or the source "
	"cannot be read; 2 a project or source file error (file:line:col).",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_plan_spec = {
	.usage = "[OPTIONS]",
	.description =
		"Print the build plan: which buildpack, language, versions, "
		"package manager and framework were detected, the install, build "
		"and start commands, the port, the health probe and the images, "
		"each decision with the file (or nextdeploy.yml key) that made "
		"it, then the Dockerfile that build will use. Nothing is built "
		"and no engine is contacted. With --json the same as one JSON "
		"document with stable snake_case keys (buildpack, kind, language, "
		"versions, package_manager, framework, commands, start_argv, "
		"port, probe, base_image, runtime_image, reasons, processes, "
		"services, labels, warnings, dockerfile).",
	.opts = plan_opts,
	.max_args = 0,
	.examples = plan_examples,
	.sections = plan_sections,
};
/* clang-format on */

static void row(struct nd_table *t, const struct nd_plan_reason *r)
{
	char *by = r->key ? nd_xprintf("%s (%s)", r->file, r->key) :
			    nd_strdup(r->file ? r->file : "default");

	nd_table_row(t, r->what, r->value, by, NULL);
	free(by);
}

static void print_human(const struct nd_plan *plan)
{
	struct nd_table t = ND_TABLE_INIT;
	const char *bold = nd_color(ND_C_BOLD), *reset = nd_color(ND_C_RESET);
	size_t i;

	printf("%sbuildpack%s %s, kind %s", bold, reset,
	       nd_buildpack_name(plan->buildpack), plan->kind);
	for (i = 0; i < plan->versions.nr; i++)
		printf("%s%s %s", i ? ", " : " (", plan->versions.items[i].key,
		       plan->versions.items[i].value);
	printf("%s\n\n", plan->versions.nr ? ")" : "");
	nd_table_columns(&t, "DECISION", "VALUE", "DECIDED BY", NULL);
	for (i = 0; i < plan->nreasons; i++)
		row(&t, &plan->reasons[i]);
	nd_table_print(&t, stdout);
	nd_table_release(&t);

	if (plan->start_argv.nr) {
		printf("\n%sstart (exec form)%s ", bold, reset);
		for (i = 0; i < plan->start_argv.nr; i++) {
			cJSON *s = cJSON_CreateString(plan->start_argv.items[i]);
			char *j = cJSON_PrintUnformatted(s);

			printf("%s%s", i ? ", " : "[", j);
			cJSON_free(j);
			cJSON_Delete(s);
		}
		printf("]\n");
	}
	if (plan->labels.nr) {
		printf("\n%slabels%s\n", bold, reset);
		for (i = 0; i < plan->labels.nr; i++) {
			printf("  %s=", plan->labels.items[i].key);
			nd_fputs_sanitized(plan->labels.items[i].value, stdout);
			putchar('\n');
		}
	}
	if (plan->nservices) {
		nd_table_columns(&t, "SERVICE", "BUILD", "IMAGE", "PORT", NULL);
		for (i = 0; i < plan->nservices; i++) {
			const struct nd_plan_service *s = &plan->services[i];
			char *build = s->context ?
					      nd_xprintf("%s/%s", s->context,
							 s->dockerfile) :
					      nd_strdup("-");
			char port[16];

			snprintf(port, sizeof(port), "%d", s->port);
			nd_table_row(&t, s->name, build,
				     s->image ? s->image : "-",
				     s->port ? port : "-", NULL);
			free(build);
		}
		putchar('\n');
		nd_table_print(&t, stdout);
		nd_table_release(&t);
	}
	if (plan->dockerfile) {
		printf("\n%sDockerfile%s (synthesized)\n", bold, reset);
		fputs(plan->dockerfile, stdout);
	} else if (plan->dockerfile_path) {
		printf("\n%sDockerfile%s the app's own: %s/%s\n", bold, reset,
		       plan->context, plan->dockerfile_path);
	}
}

int cmd_plan(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_plan *plan = NULL;
	struct nd_source *src = NULL;
	struct nd_source_opts so = { 0 };
	size_t i;
	int r;

	ND_UNUSED(argc);
	ND_UNUSED(argv);
	/* the same source as `build`: a git source is cloned at its ref */
	if (nd_source_prepare(&src, ctx->project, &so, &err) < 0 ||
	    nd_plan_make(&plan, ctx->project, src->dir, &err) < 0) {
		nd_error_report(&err);
		r = nd_error_exit_code(&err);
		nd_error_release(&err);
		nd_source_free(src);
		return r;
	}
	for (i = 0; i < plan->warnings.nr; i++)
		nd_msg_warning("%s", plan->warnings.items[i]);
	if (only_dockerfile) {
		if (plan->dockerfile)
			fputs(plan->dockerfile, stdout);
		else
			nd_msg_info(
				"no synthesized Dockerfile: the plan uses %s",
				plan->dockerfile_path ? plan->dockerfile_path :
							"a compose file");
	} else if (nd_out.json) {
		nd_json_print(nd_plan_json(plan));
	} else {
		print_human(plan);
	}
	nd_plan_free(plan);
	nd_source_free(src);
	return ND_EXIT_OK;
}
