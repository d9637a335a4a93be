/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/project.h"
#include "docker/api.h"

#include <cjson/cJSON.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* clang-format off */
const struct nd_cmd_spec nd_doctor_spec = {
	.usage = "[OPTIONS]",
	.description = "Check what nextdeploy needs and say what is wrong, each "
		       "finding with a fix: the project file, where the engine "
		       "is (and why: -H, DOCKER_HOST, a docker context or the "
		       "default socket), whether its socket exists and answers, "
		       "the negotiated API version, whether it is Docker or "
		       "Podman, the storage and cgroup setup, disk usage, and "
		       "the images a deploy will need. The exit status is 0 "
		       "when nothing failed, 1 when a check failed, and 3 when "
		       "the engine cannot be reached.",
	.max_args = 0,
	.examples = (const struct nd_example[]){
		{ "nextdeploy doctor", "check everything" },
		{ "nextdeploy doctor --json", "the findings as JSON, for CI" },
		{ "nextdeploy -H ssh://deploy@host doctor",
		  "check a remote engine" },
		{ NULL, NULL },
	},
};
/* clang-format on */

enum status { ST_OK, ST_INFO, ST_WARN, ST_FAIL };

struct finding {
	const char *check;
	enum status st;
	char *msg;
	char *hint;
};

struct report {
	struct finding *items;
	size_t nr, alloc;
};

static void add(struct report *r, const char *check, enum status st,
		const char *hint, const char *fmt, ...) ND_PRINTF(5, 6);

static void add(struct report *r, const char *check, enum status st,
		const char *hint, const char *fmt, ...)
{
	struct finding *f;
	struct nd_buf b = ND_BUF_INIT;
	va_list ap;

	if (r->nr == r->alloc) {
		r->alloc = r->alloc ? r->alloc * 2 : 16;
		r->items = nd_realloc(r->items, r->alloc * sizeof(*f));
	}
	f = &r->items[r->nr++];
	va_start(ap, fmt);
	nd_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	f->check = check;
	f->st = st;
	f->msg = nd_buf_detach(&b, NULL);
	f->hint = nd_strdup_or_null(hint);
}

static const char *status_name(enum status st)
{
	static const char *const n[] = { "ok", "info", "warning", "fail" };

	return n[st];
}

static void check_project(struct report *r, struct nd_ctx *ctx)
{
	if (ctx->project) {
		add(r, "project", ST_OK, NULL, "%s (app '%s')",
		    ctx->project->path, ctx->project->app);
		return;
	}
	add(r, "project", ST_INFO,
	    "run 'nextdeploy init' in the app's folder to write one",
	    "no nextdeploy.yml here or in the folders above");
}

static void check_socket(struct report *r, const struct nd_engine *e)
{
	struct stat st;

	if (e->kind != ND_ENGINE_UNIX)
		return;
	if (stat(e->socket_path, &st) < 0) {
		add(r, "socket", ST_FAIL,
		    "start the engine ('dockerd', or 'podman system service "
		    "--time=0 unix:///run/podman/podman.sock') or point -H / "
		    "DOCKER_HOST at the right socket",
		    "%s does not exist", e->socket_path);
		return;
	}
	if (!S_ISSOCK(st.st_mode)) {
		add(r, "socket", ST_FAIL, "point -H / DOCKER_HOST at a socket",
		    "%s is not a socket", e->socket_path);
		return;
	}
	if (access(e->socket_path, R_OK | W_OK) < 0) {
		add(r, "socket", ST_FAIL,
		    "run as root, or add your user to the socket's group (e.g. 'docker')",
		    "no permission to use %s", e->socket_path);
		return;
	}
	add(r, "socket", ST_OK, NULL, "%s exists and is writable",
	    e->socket_path);
}

static void check_disk(struct report *r, struct nd_engine *e, const cJSON *info)
{
	struct nd_error err = ND_ERROR_INIT;
	cJSON *df = NULL;
	const char *root = nd_json_str(info, "DockerRootDir");
	char a[32], b[32], c[32];

	if (nd_engine_df(e, &df, &err) == 0) {
		double layers = nd_json_num(df, "LayersSize", 0), cache = 0;
		const cJSON *bc = cJSON_GetObjectItemCaseSensitive(
			df, "BuildCache");
		const cJSON *it;
		int nimages = cJSON_GetArraySize(
			cJSON_GetObjectItemCaseSensitive(df, "Images"));

		cJSON_ArrayForEach(it, bc)
			cache += nd_json_num(it, "Size", 0);
		nd_format_bytes_decimal(a, sizeof(a), layers);
		nd_format_bytes_decimal(b, sizeof(b), cache);
		add(r, "disk usage", ST_INFO, NULL,
		    "%d images using %s, build cache %s", nimages, a, b);
	} else {
		add(r, "disk usage", ST_WARN, NULL,
		    "cannot read /system/df: %s", err.msg);
	}
	cJSON_Delete(df);
	nd_error_release(&err);
	/* free space, when the engine's data folder is on this machine */
	if (e->kind == ND_ENGINE_UNIX && root) {
		struct statvfs vfs;

		if (!statvfs(root, &vfs)) {
			double avail = (double)vfs.f_bavail * vfs.f_frsize;
			double total = (double)vfs.f_blocks * vfs.f_frsize;

			nd_format_bytes_binary(a, sizeof(a), avail);
			nd_format_bytes_binary(c, sizeof(c), total);
			if (avail < 2.0 * 1024 * 1024 * 1024)
				add(r, "free space", ST_WARN,
				    "run 'nextdeploy prune' or free space; builds need room for layers",
				    "%s free of %s under %s", a, c, root);
			else
				add(r, "free space", ST_OK, NULL,
				    "%s free of %s under %s", a, c, root);
		}
	}
}

static void check_image(struct report *r, struct nd_engine *e, const char *what,
			const char *ref)
{
	struct nd_error err = ND_ERROR_INIT;
	cJSON *img = NULL;

	if (nd_image_inspect(e, ref, &img, &err) == 0)
		add(r, what, ST_OK, NULL, "%s is on the engine", ref);
	else if (err.code == ND_ENOTFOUND)
		add(r, what, ST_WARN,
		    "it is pulled on first use; where no registry is reachable, "
		    "build one locally and set the image in nextdeploy.yml",
		    "%s is not on the engine yet", ref);
	else
		add(r, what, ST_WARN, NULL, "cannot inspect %s: %s", ref,
		    err.msg);
	cJSON_Delete(img);
	nd_error_release(&err);
}

static void check_engine(struct report *r, struct nd_ctx *ctx, int *code)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_engine *e = NULL;
	cJSON *ver = NULL, *info = NULL;

	if (nd_engine_open(&ctx->engine, ctx->g->host, &err) < 0) {
		add(r, "engine", ST_FAIL, err.hint, "%s", err.msg);
		*code = nd_error_exit_code(&err);
		goto done;
	}
	e = ctx->engine;
	add(r, "engine", ST_OK, NULL, "%s (from %s)", e->host, e->host_source);
	check_socket(r, e);
	if (nd_engine_connect(e, &err) < 0) {
		add(r, "reachable", ST_FAIL, err.hint, "%s", err.msg);
		*code = nd_error_exit_code(&err);
		goto done;
	}
	add(r, "reachable", ST_OK, NULL, "/_ping answered");
	if (e->api_version_guessed)
		add(r, "API version", ST_WARN,
		    "upgrade the engine; old engines do not say which API they speak",
		    "the engine sent no Api-Version header; assuming %s",
		    e->api_version);
	else
		add(r, "API version", ST_OK, NULL,
		    "using %s (this client speaks %d.%d to %d.%d)",
		    e->api_version, ND_API_MIN_MAJOR, ND_API_MIN_MINOR,
		    ND_API_MAX_MAJOR, ND_API_MAX_MINOR);
	if (nd_engine_version(e, &ver, &err) == 0) {
		const cJSON *comps = cJSON_GetObjectItemCaseSensitive(
			ver, "Components");
		const char *name = nd_json_str(cJSON_GetArrayItem(comps, 0),
					       "Name");

		add(r, "runtime", ST_OK, NULL, "%s %s (%s/%s)",
		    e->podman ? "Podman" : (name ? name : "Docker Engine"),
		    nd_json_str(ver, "Version") ?: "?",
		    nd_json_str(ver, "Os") ?: "?",
		    nd_json_str(ver, "Arch") ?: "?");
		if (e->podman)
			add(r, "podman", ST_INFO, NULL,
			    "Podman: health checks run through exec probes, "
			    "deploy.target swarm is not available");
	} else {
		add(r, "runtime", ST_WARN, NULL, "cannot read /version: %s",
		    err.msg);
		nd_error_release(&err);
	}
	if (nd_engine_info(e, &info, &err) == 0) {
		const cJSON *warnings = cJSON_GetObjectItemCaseSensitive(
			info, "Warnings");
		const cJSON *swarm = cJSON_GetObjectItemCaseSensitive(info,
								      "Swarm");
		const cJSON *w;

		add(r, "storage", ST_OK, NULL,
		    "driver %s, cgroup %s v%s, %d containers, %d images",
		    nd_json_str(info, "Driver") ?: "?",
		    nd_json_str(info, "CgroupDriver") ?: "?",
		    nd_json_str(info, "CgroupVersion") ?: "?",
		    (int)nd_json_num(info, "Containers", 0),
		    (int)nd_json_num(info, "Images", 0));
		if (swarm && nd_json_str(swarm, "LocalNodeState"))
			add(r, "swarm", ST_INFO, NULL, "swarm %s%s",
			    nd_json_str(swarm, "LocalNodeState"),
			    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				    swarm, "ControlAvailable")) ?
				    " (manager)" :
				    "");
		cJSON_ArrayForEach(w, warnings)
			if (cJSON_IsString(w))
				add(r, "engine warning", ST_WARN, NULL, "%s",
				    w->valuestring);
		check_disk(r, e, info);
	} else {
		add(r, "info", ST_WARN, NULL, "cannot read /info: %s", err.msg);
		nd_error_release(&err);
	}
	if (ctx->project) {
		const struct nd_project *p = ctx->project;

		if (p->build.base_image)
			check_image(r, e, "base image", p->build.base_image);
		if (p->build.runtime_image)
			check_image(r, e, "runtime image",
				    p->build.runtime_image);
		check_image(r, e, "proxy image", nd_project_proxy_image(p));
	}
done:
	cJSON_Delete(ver);
	cJSON_Delete(info);
	nd_error_release(&err);
}

int cmd_doctor(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct report r = { 0 };
	int code = 0;
	size_t i;

	ND_UNUSED(argc);
	ND_UNUSED(argv);
	check_project(&r, ctx);
	check_engine(&r, ctx, &code);
	for (i = 0; i < r.nr; i++)
		if (r.items[i].st == ST_FAIL && !code)
			code = ND_EXIT_FAIL;
	if (nd_out.json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON *arr = cJSON_AddArrayToObject(doc, "checks");

		for (i = 0; i < r.nr; i++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "check", r.items[i].check);
			cJSON_AddStringToObject(o, "status",
						status_name(r.items[i].st));
			cJSON_AddStringToObject(o, "message", r.items[i].msg);
			if (r.items[i].hint)
				cJSON_AddStringToObject(o, "hint",
							r.items[i].hint);
			cJSON_AddItemToArray(arr, o);
		}
		cJSON_AddBoolToObject(doc, "ok", code == 0);
		nd_json_print(doc);
	} else {
		for (i = 0; i < r.nr; i++) {
			const struct finding *f = &r.items[i];
			static const enum nd_color col[] = {
				ND_C_GREEN, ND_C_BLUE, ND_C_YELLOW, ND_C_RED
			};
			static const char *const mark[] = { "ok", "--", "!!",
							    "XX" };

			printf("%s[%s]%s %-15s ", nd_color(col[f->st]),
			       mark[f->st], nd_color(ND_C_RESET), f->check);
			nd_fputs_sanitized(f->msg, stdout);
			putchar('\n');
			if (f->hint && f->st >= ST_WARN)
				printf("     %*s hint: %s\n", 15, "", f->hint);
		}
	}
	for (i = 0; i < r.nr; i++) {
		free(r.items[i].msg);
		free(r.items[i].hint);
	}
	free(r.items);
	return code;
}
