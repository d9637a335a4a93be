/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "buildpacks/plan.h"
#include "core/project.h"

#include <fcntl.h>
#include <libgen.h>
#include <unistd.h>

static bool force, to_stdout;
static const char *name_opt;

/* clang-format off */
static const struct nd_opt init_opts[] = {
	ND_OPT_BOOL_ROW(0, "force", &force,
			"overwrite an existing nextdeploy.yml"),
	ND_OPT_BOOL_ROW(0, "stdout", &to_stdout,
			"print the file instead of writing it"),
	ND_OPT_STRING_ROW(0, "name", &name_opt, "APP", ND_ARG_TEXT,
			  "the app name (default: from package.json, Cargo.toml, pyproject.toml, go.mod, else the folder)"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const struct nd_example init_examples[] = {
	{ "nextdeploy init", "detect the app here and write nextdeploy.yml" },
	{ "nextdeploy init --stdout", "show what it would write" },
	{ "nextdeploy -C apps/web init --name web --force",
	  "write (again) the file of another folder's app" },
	{ NULL, NULL },
};
/* clang-format on */

/* clang-format off */
static const char *const init_sections[] = {
	"FILES",
	"nextdeploy.yml in the current folder (or -C DIR). It is written only "
	"when there is none (nor a nextdeploy.yaml), unless --force; the new "
	"file replaces the old one at once (written aside, then renamed).",
	"EXIT STATUS",
	"0 the file was written (or printed); 1 it exists already (see "
	"--force) or cannot be written; 2 a bad --name or an unreadable "
	"manifest (file:line:col).",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_init_spec = {
	.usage = "[OPTIONS]",
	.description =
		"Detect the app in the current folder, the way 'nextdeploy plan' "
		"does (see nextdeploy-plan(1) for the rules), and write a "
		"commented nextdeploy.yml: the app name (from the package's own "
		"manifest, else the folder, made a valid name), the detected "
		"port, what was detected and from which file as comments, and "
		"commented examples of the other keys with the detected values "
		"(images, install, build and start commands) ready to uncomment. "
		"When nothing is detected the file is still written, with "
		"buildpack: auto, and a warning says what was looked for.",
	.opts = init_opts,
	.max_args = 0,
	.examples = init_examples,
	.sections = init_sections,
};
/* clang-format on */

static int write_file(const char *path, const char *text, struct nd_error *err)
{
	char *tmp = nd_xprintf("%s.tmp.%ld", path, (long)getpid());
	size_t len = strlen(text), off = 0;
	int fd, r = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = nd_error_errno(err, ND_EGENERIC, "cannot write '%s'", tmp);
		goto done;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = nd_error_errno(err, ND_EGENERIC,
					   "cannot write '%s'", tmp);
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 && !r)
		r = nd_error_errno(err, ND_EGENERIC, "cannot write '%s'", tmp);
	if (r == 0 && !force && link(tmp, path) < 0) {
		/* link() fails when the file appeared meanwhile: never clobber */
		r = errno == EEXIST ?
			    nd_error_set(err, ND_ECONFLICT,
					 "'%s' exists already", path) :
			    nd_error_errno(err, ND_EGENERIC,
					   "cannot write '%s'", path);
	} else if (r == 0 && force && rename(tmp, path) < 0) {
		r = nd_error_errno(err, ND_EGENERIC, "cannot write '%s'", path);
	}
	unlink(tmp);
done:
	free(tmp);
	return r;
}

int cmd_init(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_plan *plan = NULL;
	struct nd_project *check = NULL;
	char *dir = NULL, *app = NULL, *text = NULL, *path = NULL;
	int r = ND_EXIT_OK;

	ND_UNUSED(argc);
	ND_UNUSED(argv);
	ND_UNUSED(ctx);
	dir = realpath(".", NULL);
	if (!dir) {
		nd_error_errno(&err, ND_EGENERIC,
			       "cannot resolve the current folder");
		goto fail;
	}
	path = nd_xprintf("%s/%s", dir, ND_PROJECT_FILE);
	if (!to_stdout && !force &&
	    (!access(ND_PROJECT_FILE, F_OK) ||
	     !access("nextdeploy.yaml", F_OK))) {
		nd_error_set(&err, ND_ECONFLICT, "'%s' exists already",
			     !access(ND_PROJECT_FILE, F_OK) ?
				     ND_PROJECT_FILE :
				     "nextdeploy.yaml");
		nd_error_hint(
			&err,
			"use --force to replace it, or --stdout to see what init would write");
		goto fail;
	}
	if (name_opt && !nd_app_name_valid(name_opt)) {
		nd_error_set(
			&err, ND_EUSAGE,
			"invalid app name '%s': expected lowercase letters, digits, '_', '.' or '-', starting with a letter or digit",
			name_opt);
		goto fail;
	}
	if (nd_plan_make(&plan, NULL, dir, &err) < 0) {
		if (err.code != ND_ENOTFOUND)
			goto fail;
		nd_msg_warning("%s", err.msg);
		if (err.hint)
			nd_msg_hint("%s", err.hint);
		nd_error_release(&err);
		plan = nd_calloc(1, sizeof(*plan));
		plan->buildpack = ND_BP_AUTO;
		plan->kind = nd_strdup("unknown");
	}
	if (name_opt)
		app = nd_strdup(name_opt);
	if (!app)
		app = nd_plan_app_name(plan->name_hint);
	if (!app) {
		char *copy = nd_strdup(dir);

		app = nd_plan_app_name(basename(copy));
		free(copy);
	}
	if (!app)
		app = nd_strdup("app");
	text = nd_plan_init_yaml(plan, app);
	/* what we write must load: a broken file would be our bug */
	if (nd_project_parse(&check, path, dir, text, strlen(text), &err) < 0)
		BUG("init wrote a project file that does not load: %s", err.msg);
	if (to_stdout) {
		fputs(text, stdout);
	} else {
		if (write_file(path, text, &err) < 0) {
			if (err.code == ND_ECONFLICT)
				nd_error_hint(&err, "use --force to replace it");
			goto fail;
		}
		nd_msg_info(
			"wrote %s: app '%s', %s%s%s, port %d", ND_PROJECT_FILE,
			app, plan->kind, plan->language_version ? " " : "",
			plan->language_version ? plan->language_version : "",
			plan->port);
		nd_msg_hint("run 'nextdeploy plan' to see the build plan");
	}
	goto done;
fail:
	nd_error_report(&err);
	r = nd_error_exit_code(&err);
done:
	nd_error_release(&err);
	nd_project_free(check);
	nd_plan_free(plan);
	free(dir);
	free(app);
	free(text);
	free(path);
	return r;
}
