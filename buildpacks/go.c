/* SPDX-License-Identifier: MIT */
/*
 * Go (go.mod): version from the `toolchain` directive (exact), else the
 * `go` directive ("go 1.22.0" -> golang:1.22.0-bookworm, "go 1.22" ->
 * golang:1.22-bookworm); the main package at the root, else the only
 * cmd/<name>. A static binary (CGO_ENABLED=0, with its own time zone
 * data) runs on busybox as uid 10001, with the builder's CA certificates:
 * a few MB, and busybox's wget is the health probe.
 */
#include "core/common.h"
#include "buildpacks/bp.h"
#include "core/project.h"

#include <ctype.h>
#include <dirent.h>

#define GO_RUNTIME "busybox:1.36.1"

bool nd_bp_go_detect(struct nd_bp *bp)
{
	return nd_bp_file(bp, "go.mod");
}

/* The value of a go.mod directive ("go", "toolchain", "module"). */
static char *directive(const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name);

	while (*p) {
		const char *line = p;

		p += strcspn(p, "\n");
		if (*p)
			p++;
		while (*line == ' ' || *line == '\t')
			line++;
		if (!strncmp(line, name, n) &&
		    (line[n] == ' ' || line[n] == '\t')) {
			const char *v = line + n;
			size_t len;

			while (*v == ' ' || *v == '\t')
				v++;
			len = strcspn(v, " \t\r\n/");
			if (*v == '"')
				return NULL;
			if (!strcmp(name, "module"))
				len = strcspn(v, " \t\r\n");
			return len ? nd_strndup(v, len) : NULL;
		}
	}
	return NULL;
}

/* Does folder rel hold a .go file with "package main"? */
static bool has_main(struct nd_bp *bp, const char *rel)
{
	char *path = nd_xprintf("%s/%s", bp->dir, rel);
	DIR *d = opendir(path);
	struct dirent *e;
	bool found = false;

	free(path);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char *f;

		if (!nd_ends_with(e->d_name, ".go") ||
		    nd_ends_with(e->d_name, "_test.go"))
			continue;
		f = strcmp(rel, ".") ? nd_xprintf("%s/%s", rel, e->d_name) :
				       nd_strdup(e->d_name);
		found = nd_bp_file_contains(bp, f, "package main");
		free(f);
	}
	closedir(d);
	return found;
}

/* The main package: ".", or "./cmd/<name>" when there is exactly one. */
static char *main_pkg(struct nd_bp *bp, const char *module, const char **why)
{
	char *path, *found = NULL;
	DIR *d;
	struct dirent *e;
	int n = 0;

	if (has_main(bp, ".")) {
		*why = "package main at the root";
		return nd_strdup(".");
	}
	path = nd_xprintf("%s/cmd", bp->dir);
	d = opendir(path);
	free(path);
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		char *rel;

		if (e->d_name[0] == '.')
			continue;
		rel = nd_xprintf("cmd/%s", e->d_name);
		if (has_main(bp, rel) && nd_bp_path_ok(rel)) {
			const char *base = module ? strrchr(module, '/') : NULL;

			base = base ? base + 1 : module;
			/* several: the one named like the module wins */
			if (!found || (base && !strcmp(e->d_name, base))) {
				free(found);
				found = nd_xprintf("./%s", rel);
			}
			n++;
		}
		free(rel);
	}
	closedir(d);
	*why = n > 1 ? "cmd/ (several: the one named like the module)" :
		       "the only main package under cmd/";
	return found;
}

int nd_bp_go_plan(struct nd_bp *bp, struct nd_error *err)
{
	struct nd_plan *plan = bp->plan;
	struct nd_buf b = ND_BUF_INIT;
	char *text = NULL, *go = NULL, *toolchain = NULL, *module = NULL;
	char *pkg = NULL, *base = NULL, *build = NULL;
	const char *ver, *ver_file, *why = NULL;
	int r;

	r = nd_bp_read(&text, bp, "go.mod", err);
	if (r < 0)
		return r;
	plan->buildpack = ND_BP_NIXPACKS;
	nd_str_replace(&plan->kind, "go");
	nd_str_replace(&plan->language, "go");
	nd_str_replace(&plan->package_manager, "go");
	nd_plan_reason(plan, "language", "go", "go.mod");
	module = directive(text, "module");
	if (module) {
		const char *last = strrchr(module, '/');

		nd_str_replace(&plan->name_hint, last ? last + 1 : module);
	}
	go = directive(text, "go");
	toolchain = directive(text, "toolchain");
	if (toolchain && nd_starts_with(toolchain, "go") &&
	    nd_bp_version_ok(toolchain + 2) &&
	    isdigit((unsigned char)toolchain[2])) {
		ver = toolchain + 2;
		ver_file = "go.mod (toolchain)";
	} else if (go) {
		ver = go;
		ver_file = "go.mod (go)";
	} else {
		ver = "1";
		ver_file = NULL;
	}
	if (!nd_bp_version_ok(ver)) {
		r = nd_bp_error(bp, err, NULL, "go.mod",
				"cannot use the go version '%s'", ver);
		goto done;
	}
	nd_str_replace(&plan->language_version, ver);
	nd_bp_version(bp, "go", ver);
	nd_plan_reason(plan, "go version", ver, ver_file);

	pkg = main_pkg(bp, module, &why);
	if (!pkg && !nd_bp_key(bp, "build.command")) {
		r = nd_bp_error(bp, err, NULL, "go.mod",
				"no main package at the root or under cmd/");
		nd_error_hint(
			err,
			"set build.command to a command that writes the binary to /out/app");
		goto done;
	}
	if (pkg)
		nd_plan_reason(plan, "main package", pkg, why);
	build = nd_xprintf(
		"go build -trimpath -tags timetzdata -ldflags=\"-s -w\" -o /out/app %s",
		pkg ? pkg : ".");
	r = nd_bp_set_cmd(bp, &plan->build_cmd, "build.command", "build", build,
			  "go.mod", &bp->build_user, err);
	if (r < 0)
		goto done;
	if (bp->build_user)
		nd_bp_warn(bp,
			   "build.command must write the binary to /out/app");
	r = nd_bp_set_cmd(bp, &plan->install_cmd, "build.install", "install",
			  nd_bp_file(bp, "go.sum") ? "go mod download" : NULL,
			  "go.sum", &bp->install_user, err);
	if (r < 0)
		goto done;
	if ((r = nd_bp_set_start(bp, "/usr/local/bin/app",
				 "go.mod (the binary built)", err)) < 0)
		goto done;
	nd_bp_port(bp, 8080, NULL, NULL);
	base = nd_xprintf("golang:%s-bookworm", ver);
	if (!nd_image_ref_valid(base)) {
		r = nd_bp_error(bp, err, NULL, "go.mod",
				"the go version gives an invalid image '%s'",
				base);
		goto done;
	}
	nd_bp_images(bp, base, GO_RUNTIME, false, NULL);
	nd_bp_probe(bp, "wget", "busybox has wget");

	nd_df_header(&b, plan);
	nd_buf_addf(&b, "FROM %s AS build\n", plan->base_image);
	nd_buf_adds(&b, "WORKDIR /src\n");
	nd_buf_adds(&b, "ENV CGO_ENABLED=0\n");
	nd_df_stage_prelude(&b, bp, "build");
	nd_buf_addf(&b, "COPY go.mod%s ./\n",
		    nd_bp_file(bp, "go.sum") ? " go.sum" : "");
	if (plan->install_cmd)
		nd_df_run(&b, plan->install_cmd, bp->install_user);
	nd_buf_adds(&b, "COPY . .\n");
	nd_df_run(&b, plan->build_cmd, bp->build_user);
	nd_buf_adds(&b, "\n");
	nd_buf_addf(&b, "FROM %s AS runtime\n", plan->runtime_image);
	nd_buf_adds(
		&b,
		"COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n");
	nd_buf_adds(&b, "COPY --from=build /out/app /usr/local/bin/app\n");
	nd_buf_adds(&b, "WORKDIR /app\n");
	nd_df_runtime_tail(&b, plan);
	plan->dockerfile = nd_buf_detach(&b, NULL);
done:
	nd_buf_release(&b);
	free(text);
	free(go);
	free(toolchain);
	free(module);
	free(pkg);
	free(base);
	free(build);
	return r;
}
