/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "docker/api.h"

#include <archive.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <git2.h>
#include <yaml.h>

static bool client_only;

/* clang-format off */
static const struct nd_opt version_opts[] = {
	ND_OPT_BOOL_ROW(0, "client", &client_only,
			"only the client's version; do not contact the engine"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const struct nd_example version_examples[] = {
	{ "nextdeploy version", "client and engine versions" },
	{ "nextdeploy version --json", "the same as one JSON document" },
	{ NULL, NULL },
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_version_spec = {
	.usage = "[OPTIONS]",
	.description = "Show the client's version, the libraries it was built "
		       "with, and the engine's version and API version "
		       "(negotiated through /_ping). When the engine cannot be "
		       "reached the client part is still printed and the exit "
		       "status is 3.",
	.opts = version_opts,
	.max_args = 0,
	.examples = version_examples,
};
/* clang-format on */

static cJSON *client_json(void)
{
	cJSON *c = cJSON_CreateObject();
	cJSON *libs = cJSON_CreateObject();
	char buf[64];
	int maj, min, rev;
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	cJSON_AddStringToObject(c, "version", ND_VERSION);
	snprintf(buf, sizeof(buf), "%d.%d", ND_API_MAX_MAJOR, ND_API_MAX_MINOR);
	cJSON_AddStringToObject(c, "api_version_max", buf);
	snprintf(buf, sizeof(buf), "%d.%d", ND_API_MIN_MAJOR, ND_API_MIN_MINOR);
	cJSON_AddStringToObject(c, "api_version_min", buf);
	cJSON_AddStringToObject(libs, "libcurl", cv->version);
	if (cv->ssl_version)
		cJSON_AddStringToObject(libs, "tls", cv->ssl_version);
	cJSON_AddStringToObject(libs, "cjson", cJSON_Version());
	cJSON_AddStringToObject(libs, "libyaml", yaml_get_version_string());
	cJSON_AddStringToObject(libs, "libarchive",
				archive_version_string() +
					strlen("libarchive "));
	git_libgit2_version(&maj, &min, &rev);
	snprintf(buf, sizeof(buf), "%d.%d.%d", maj, min, rev);
	cJSON_AddStringToObject(libs, "libgit2", buf);
	cJSON_AddItemToObject(c, "libraries", libs);
	return c;
}

int cmd_version(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_error err = ND_ERROR_INIT;
	cJSON *doc = cJSON_CreateObject(), *client = client_json();
	cJSON *ver = NULL, *engine = NULL;
	int code = 0;

	ND_UNUSED(argc);
	ND_UNUSED(argv);
	cJSON_AddItemToObject(doc, "client", client);
	if (!client_only) {
		if (nd_engine_open(&ctx->engine, ctx->g->host, &err) < 0 ||
		    nd_engine_connect(ctx->engine, &err) < 0 ||
		    nd_engine_version(ctx->engine, &ver, &err) < 0) {
			code = nd_error_exit_code(&err);
		} else {
			const cJSON *comps = cJSON_GetObjectItemCaseSensitive(
				ver, "Components");
			const cJSON *c0 = cJSON_GetArrayItem(comps, 0);
			const char *name = nd_json_str(c0, "Name");

			engine = cJSON_AddObjectToObject(doc, "engine");
			cJSON_AddStringToObject(engine, "name",
						name ? name : "Engine");
			cJSON_AddStringToObject(engine, "runtime",
						ctx->engine->podman ? "podman" :
								      "docker");
			cJSON_AddStringToObject(engine, "version",
						nd_json_str(ver, "Version") ?:
									      "");
			cJSON_AddStringToObject(
				engine, "api_version",
				nd_json_str(ver, "ApiVersion") ?: "");
			cJSON_AddStringToObject(
				engine, "min_api_version",
				nd_json_str(ver, "MinAPIVersion") ?: "");
			cJSON_AddStringToObject(engine,
						"negotiated_api_version",
						ctx->engine->api_version);
			cJSON_AddStringToObject(engine, "os",
						nd_json_str(ver, "Os") ?: "");
			cJSON_AddStringToObject(engine, "arch",
						nd_json_str(ver, "Arch") ?: "");
			cJSON_AddStringToObject(engine, "host",
						ctx->engine->host);
		}
	}
	if (nd_out.json) {
		if (code) {
			cJSON_AddItemToObject(doc, "error", nd_error_json(&err));
			nd_error_print(&err);
		}
		nd_json_print(doc);
		doc = NULL;
	} else {
		const cJSON *libs = cJSON_GetObjectItemCaseSensitive(
			client, "libraries");
		const cJSON *l;

		printf("Client:\n");
		printf(" Version:        %s\n", ND_VERSION);
		printf(" API versions:   %s to %s\n",
		       nd_json_str(client, "api_version_min"),
		       nd_json_str(client, "api_version_max"));
		printf(" Libraries:     ");
		cJSON_ArrayForEach(l, libs)
			printf(" %s %s", l->string, l->valuestring);
		printf("\n");
		if (engine) {
			printf("\nEngine:\n");
			printf(" Name:           %s\n",
			       nd_json_str(engine, "name"));
			printf(" Version:        %s\n",
			       nd_json_str(engine, "version"));
			printf(" API version:    %s (minimum %s), using %s\n",
			       nd_json_str(engine, "api_version"),
			       nd_json_str(engine, "min_api_version"),
			       nd_json_str(engine, "negotiated_api_version"));
			printf(" OS/Arch:        %s/%s\n",
			       nd_json_str(engine, "os"),
			       nd_json_str(engine, "arch"));
			printf(" Host:           %s\n",
			       nd_json_str(engine, "host"));
		}
		fflush(stdout);
		if (code)
			nd_error_print(&err);
	}
	cJSON_Delete(doc);
	cJSON_Delete(ver);
	nd_error_release(&err);
	return code;
}
