/* SPDX-License-Identifier: MIT */
/*
 * Rust (Cargo.toml): version from rust-toolchain.toml [toolchain]
 * channel, a plain rust-toolchain file, or package.rust-version
 * ("1.75.0" -> rust:1.75.0-bookworm; "stable" -> rust:1-bookworm). The
 * binary: the first [[bin]] name, else package.name. With dependencies,
 * they are built first from the manifests alone (a stub main), so source
 * edits reuse that layer. The release binary runs on debian:bookworm-slim
 * (it links glibc) with ca-certificates, and busybox-static as wget for
 * the health probe.
 */
#include "core/common.h"
#include "buildpacks/bp.h"
#include "core/project.h"

#include <ctype.h>

#define RUST_RUNTIME "debian:bookworm-slim"

bool nd_bp_rust_detect(struct nd_bp *bp)
{
	return nd_bp_file(bp, "Cargo.toml");
}

static char *rust_version(struct nd_bp *bp, const char *cargo,
			  const char **file, bool *channel_name)
{
	char *v = NULL, *text = NULL;
	struct nd_error e = ND_ERROR_INIT;

	*channel_name = false;
	if (nd_bp_file(bp, "rust-toolchain.toml") &&
	    nd_bp_read(&text, bp, "rust-toolchain.toml", &e) == 0) {
		v = nd_toml_get(text, "toolchain", "channel");
		*file = "rust-toolchain.toml";
	} else if (nd_bp_file(bp, "rust-toolchain")) {
		if (nd_bp_read(&text, bp, "rust-toolchain", &e) == 0) {
			v = nd_toml_get(text, "toolchain", "channel");
			if (!v)
				v = nd_bp_read_line(bp, "rust-toolchain");
		}
		*file = "rust-toolchain";
	}
	nd_error_release(&e);
	free(text);
	if (!v) {
		v = nd_toml_get(cargo, "package", "rust-version");
		*file = "Cargo.toml (package.rust-version)";
	}
	if (v && (!strcmp(v, "stable") || nd_starts_with(v, "stable-"))) {
		free(v);
		v = nd_strdup("1");
		*channel_name = true;
	}
	if (!v)
		*file = NULL;
	return v;
}

int nd_bp_rust_plan(struct nd_bp *bp, struct nd_error *err)
{
	struct nd_plan *plan = bp->plan;
	struct nd_buf b = ND_BUF_INIT;
	char *cargo = NULL, *name = NULL, *bin = NULL, *ver = NULL;
	char *base = NULL, *start = NULL;
	const char *ver_file = NULL, *locked;
	bool channel, deps;
	int r;

	r = nd_bp_read(&cargo, bp, "Cargo.toml", err);
	if (r < 0)
		return r;
	plan->buildpack = ND_BP_NIXPACKS;
	nd_str_replace(&plan->kind, "rust");
	nd_str_replace(&plan->language, "rust");
	nd_str_replace(&plan->package_manager, "cargo");
	nd_plan_reason(plan, "language", "rust", "Cargo.toml");
	name = nd_toml_get(cargo, "package", "name");
	bin = nd_toml_get(cargo, "bin", "name");
	if (!name && !bin) {
		r = nd_bp_error(
			bp, err, NULL, "Cargo.toml",
			"no [package] name (a workspace?): nextdeploy cannot tell which binary to run");
		nd_error_hint(
			err,
			"set build.buildpack: dockerfile with your own Dockerfile, or build from the member's folder (build.context)");
		goto done;
	}
	nd_str_replace(&plan->name_hint, name ? name : bin);
	if (!bin)
		bin = nd_strdup(name);
	if (!nd_bp_path_ok(bin) || strchr(bin, '/')) {
		r = nd_bp_error(
			bp, err, NULL, "Cargo.toml",
			"the binary name '%s' cannot be used in a Dockerfile",
			bin);
		goto done;
	}
	nd_plan_reason(plan, "binary", bin, "Cargo.toml");
	ver = rust_version(bp, cargo, &ver_file, &channel);
	if (ver && !nd_bp_version_ok(ver)) {
		r = nd_bp_error(bp, err, NULL, ver_file,
				"cannot use the rust version '%s'", ver);
		goto done;
	}
	if (ver &&
	    (nd_starts_with(ver, "nightly") || nd_starts_with(ver, "beta"))) {
		nd_bp_warn(
			bp,
			"%s asks for the %s channel: official images are stable only; using rust:1 (set build.base_image)",
			ver_file, ver);
		free(ver);
		ver = NULL;
		ver_file = NULL;
	}
	if (!ver)
		ver = nd_strdup("1");
	nd_str_replace(&plan->language_version, ver);
	nd_bp_version(bp, "rust", ver);
	nd_plan_reason(plan, "rust version", ver, ver_file);

	locked = nd_bp_file(bp, "Cargo.lock") ? " --locked" : "";
	if (!*locked)
		nd_bp_warn(
			bp,
			"no Cargo.lock: dependency versions are not pinned (commit it)");
	deps = nd_toml_table_has_keys(cargo, "dependencies") ||
	       nd_toml_table_has_keys(cargo, "build-dependencies");
	{
		char *cmd = nd_xprintf("cargo build --release%s", locked);

		r = nd_bp_set_cmd(bp, &plan->build_cmd, "build.command",
				  "build", cmd, "Cargo.toml", &bp->build_user,
				  err);
		free(cmd);
		if (r < 0)
			goto done;
	}
	if (bp->build_user)
		nd_bp_warn(
			bp,
			"build.command must leave the binary in target/release/%s",
			bin);
	{
		char *cmd = nd_xprintf(
			"cargo build --release%s (the dependencies alone, with a stub main)",
			locked);

		r = nd_bp_set_cmd(bp, &plan->install_cmd, "build.install",
				  "install", deps ? cmd : NULL,
				  "Cargo.toml ([dependencies])",
				  &bp->install_user, err);
		free(cmd);
		if (r < 0)
			goto done;
	}
	start = nd_xprintf("/usr/local/bin/%s", bin);
	if ((r = nd_bp_set_start(bp, start, "Cargo.toml (the binary built)",
				 err)) < 0)
		goto done;
	nd_bp_port(bp, 8080, NULL, NULL);
	base = nd_xprintf("rust:%s-bookworm", ver);
	if (!nd_image_ref_valid(base)) {
		r = nd_bp_error(bp, err, NULL, ver_file,
				"the rust version gives an invalid image '%s'",
				base);
		goto done;
	}
	nd_bp_images(bp, base, RUST_RUNTIME, false, NULL);
	/* the Dockerfile installs wget itself: no warning for an override */
	bp->runtime_overridden = false;
	nd_bp_probe(bp, "wget", "busybox-static is installed as wget");

	nd_df_header(&b, plan);
	nd_buf_addf(&b, "FROM %s AS build\n", plan->base_image);
	nd_buf_adds(&b, "WORKDIR /src\n");
	nd_df_stage_prelude(&b, bp, "build");
	if (plan->install_cmd && bp->install_user) {
		nd_buf_adds(&b, "COPY . .\n");
		nd_df_run(&b, plan->install_cmd, true);
	} else {
		if (plan->install_cmd)
			nd_buf_addf(&b, "COPY Cargo.toml%s ./\n",
				    *locked ? " Cargo.lock" : "");
		if (plan->install_cmd)
			nd_buf_addf(
				&b,
				"RUN mkdir -p src && echo 'fn main() {}' >src/main.rs \\\n"
				" && cargo build --release%s \\\n"
				" && rm -rf src\n",
				locked);
		nd_buf_adds(&b, "COPY . .\n");
	}
	if (plan->install_cmd && !bp->install_user && !bp->build_user)
		nd_buf_addf(
			&b,
			"RUN find src -name '*.rs' -exec touch {} + \\\n && %s\n",
			plan->build_cmd);
	else
		nd_df_run(&b, plan->build_cmd, bp->build_user);
	nd_buf_adds(&b, "\n");
	nd_buf_addf(&b, "FROM %s AS runtime\n", plan->runtime_image);
	nd_buf_adds(
		&b,
		"RUN apt-get update \\\n"
		" && apt-get install -y --no-install-recommends ca-certificates busybox-static \\\n"
		" && ln -s /bin/busybox /usr/local/bin/wget \\\n"
		" && rm -rf /var/lib/apt/lists/*\n");
	nd_buf_addf(
		&b,
		"COPY --from=build /src/target/release/%s /usr/local/bin/%s\n",
		bin, bin);
	nd_buf_adds(&b, "WORKDIR /app\n");
	nd_df_runtime_tail(&b, plan);
	plan->dockerfile = nd_buf_detach(&b, NULL);
done:
	nd_buf_release(&b);
	free(cargo);
	free(name);
	free(bin);
	free(ver);
	free(base);
	free(start);
	return r;
}
