/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "cmd/deploy_common.h"
#include "core/app_build.h"
#include "core/project.h"
#include "core/signals.h"

static const char *opt_release;
static const char *opt_lock_wait;
static bool opt_break_lock;
static bool opt_build;

/* clang-format off */
static const struct nd_opt run_opts[] = {
	ND_OPT_BOOL_ROW(0, "build", &opt_build,
			"build the image first, as 'nextdeploy build' does (skipped when that release is built already), then deploy it"),
	ND_OPT_STRING_ROW(0, "release", &opt_release, "TAG", ND_ARG_RELEASE,
			  "deploy this release (an image labeled nextdeploy.release=TAG) instead of the newest image; with --build, the tag to build"),
	ND_OPT_STRING_ROW(0, "lock-wait", &opt_lock_wait, "DURATION",
			  ND_ARG_DURATION,
			  "when another deploy of the app holds the lock, wait up to DURATION for it (default: fail at once)"),
	ND_OPT_BOOL_ROW(0, "break-lock", &opt_break_lock,
			"remove the app's deploy lock first, whoever holds it (after a crashed deploy)"),
	ND_OPT_END_ROW,
};
/* clang-format on */

/* clang-format off */
static const char *const run_sections[] = {
	"HEALTH CHECK",
	"A release goes live only once every replica is healthy. nextdeploy "
	"runs each check itself, inside the new container, through the "
	"engine's Exec API, so it works with a remote engine and on Podman. "
	"In order: deploy.healthcheck.command (exit 0 is healthy); "
	"deploy.healthcheck.path (an HTTP GET of the app port on the "
	"container's own network address, status below 400, with the image's "
	"nextdeploy.probe program, else the first of curl, wget, node or "
	"python3 found in the image); the image's HEALTHCHECK; else \"the "
	"app port answers HTTP\" when a probe program exists; else \"running "
	"and still running after a grace period\" (start_period, default "
	"5s). interval (2s), timeout (2s), retries (15) and start_period (0s) "
	"come from deploy.healthcheck.",
	"ZERO DOWNTIME",
	"The new release starts beside the live one. Once healthy, the app's "
	"proxy nd-<app>-proxy (Caddy) gets its new configuration through the "
	"Exec API and reloads gracefully (on Linux 5.14+ the proxy runs with "
	"net.ipv4.tcp_migrate_req=1, so connections queued during a reload "
	"are handed to the new listener, not reset); requests already in "
	"flight finish on the old release, which is then stopped after one "
	"second "
	"(deploy.stop_timeout is its time to exit before SIGKILL). Old "
	"containers are kept, stopped, until 'nextdeploy prune'. With "
	"deploy.domains the shared edge proxy nextdeploy-proxy routes the "
	"host names to the app's proxy, with TLS per deploy.tls.\n\n"
	"deploy.publish is the host port of the app's proxy. Without it "
	"(and without deploy.domains) the engine picks a free port when the "
	"proxy is created; such a port changes when the proxy restarts. "
	"Changing deploy.publish, deploy.domains, deploy.tls or "
	"deploy.proxy.image recreates the proxy, which refuses requests for "
	"a moment.",
	"ENGINE OBJECTS",
	"Everything carries nextdeploy.managed=true and nextdeploy.app: the "
	"network nd-<app>, volumes nd-<app>-<name>, release containers "
	"nd-<app>-<service>-<release>[-<n>] (labels nextdeploy.service, "
	"nextdeploy.release, nextdeploy.deploy, nextdeploy.replica; network "
	"alias nd-<app>-<deploy>-<n>, which the proxy dials), the one-off "
	"release command container nd-<app>-release-<release>, the proxy "
	"nd-<app>-proxy (nextdeploy.service=proxy), the lock nd-<app>-lock. "
	"Which release is live, the history of live releases and the failed "
	"ones are recorded in /etc/caddy/nextdeploy.json inside the proxy, "
	"next to the Caddyfile that decides it. The edge proxy "
	"nextdeploy-proxy (nextdeploy.app=_edge) has the network "
	"nextdeploy-edge and the volume nextdeploy-proxy-data (its CA and "
	"certificates).",
	"FAILURE",
	"A release that fails its health check is stopped and kept for "
	"inspection; its last log lines and the check's output are printed; "
	"the live release keeps serving; the exit status is 1. So does a "
	"failing release command (the image's nextdeploy.release-command "
	"label, run once before the switch) or a failing pre-deploy hook.",
	"ENVIRONMENT OF THE APP",
	"The containers get deploy.env, then deploy.env_file's variables, "
	"and NEXTDEPLOY_APP, NEXTDEPLOY_SERVICE and NEXTDEPLOY_RELEASE (the "
	"release tag), unless deploy.env sets them itself.",
	"SECRETS",
	"deploy.secrets are read on this machine when deploying and given "
	"to the containers only: as the environment variable NAME and as the "
	"file /run/secrets/NAME (mode 0400, owned by the image's user). They "
	"never enter an image, and nextdeploy never prints them (-v and "
	"NEXTDEPLOY_TRACE included). Whoever can inspect the containers on "
	"the engine can read them.",
	"HOOKS",
	"Executables .nextdeploy/hooks/pre-deploy and post-deploy run on "
	"this machine, without a shell, in the project folder, with "
	"NEXTDEPLOY_APP, NEXTDEPLOY_RELEASE, NEXTDEPLOY_IMAGE, "
	"NEXTDEPLOY_IMAGE_ID, NEXTDEPLOY_PREVIOUS_RELEASE, NEXTDEPLOY_URL, "
	"NEXTDEPLOY_SERVICE, NEXTDEPLOY_ENGINE, NEXTDEPLOY_DEPLOY_ID, "
	"NEXTDEPLOY_ROLLBACK and (post-deploy) NEXTDEPLOY_CONTAINERS set; "
	"their output goes to stderr. A failing pre-deploy stops the deploy "
	"before anything changes; a failing post-deploy makes the exit status "
	"1, but the release stays live.",
	"LOCK",
	"A deploy holds the lock nd-<app>-lock on the engine (a container "
	"that is created, never started, its labels naming the holder): a "
	"second run of the same app fails at once, or waits with "
	"--lock-wait. A lock left by a process of this host that no longer "
	"exists is broken automatically; any other with --break-lock.",
	"OUTPUT",
	"Progress on stderr, each step with its duration; the URL on stdout "
	"once live. --json prints one document: app, service, release, "
	"image, image_id, previous_release, url, deploy_id, health_check, "
	"status (live, failed, not_deployed), post_deploy_failed, "
	"containers, timings_ms, failures (container, reason, logs, "
	"probe_output) and, on failure, error.",
	"EXIT STATUS",
	"0 the release is live; 1 the deploy failed (health check, release "
	"command, hook, lock held, engine error); 2 usage or project-file "
	"error (env_file, secrets); 3 engine unreachable; 130 interrupted "
	"(the new containers are removed).",
	NULL, NULL,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_run_spec = {
	.usage = "[OPTIONS]",
	.description =
		"Deploy a release of the app: the newest image labeled "
		"nextdeploy.app=<app> on the engine (as 'nextdeploy build' "
		"makes them), the one given with --release, or, with --build, "
		"the one built from the current source first. Creates the "
		"project network nd-<app> and the named volumes, the release's "
		"containers nd-<app>-web-<release> (and -2, -3... for "
		"deploy.replicas) with env, env_file, secrets, resources and the "
		"restart policy, waits until they are healthy, then switches "
		"the app's proxy to them with zero downtime and stops the old "
		"release. Prints the URL.",
	.opts = run_opts,
	.min_args = 0,
	.max_args = 0,
	.examples = (const struct nd_example[]){
		{ "nextdeploy run", "deploy the newest image of the app" },
		{ "nextdeploy run --release 3f2a1c9", "deploy that release" },
		{ "nextdeploy run --build", "build the current source, then deploy it" },
		{ "nextdeploy run --lock-wait 10m --json",
		  "in CI: wait for a running deploy, print a JSON result" },
		{ NULL, NULL },
	},
	.sections = run_sections,
};
/* clang-format on */

/* Build, and give the release built (malloc'd) or an exit code. */
static int build_first(struct nd_ctx *ctx, char **release_out)
{
	struct nd_app_build_opts o = { 0 };
	struct nd_app_build_result res = { 0 };
	int code;

	o.tag = opt_release;
	if (!(code = nd_cli_build(ctx, &o, &res)))
		*release_out = nd_strdup(res.release);
	nd_app_build_result_release(&res);
	return code;
}

int cmd_run(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_deploy_opts o = { 0 };
	char *built = NULL;
	int code;

	ND_UNUSED(argc);
	ND_UNUSED(argv);
	if (opt_release && !nd_image_tag_valid(opt_release)) {
		nd_msg_error("invalid release '%s'", opt_release);
		return ND_EXIT_USAGE;
	}
	if ((code = nd_deploy_parse_lock_wait(opt_lock_wait, &o.lock_wait_ms)))
		return code;
	if (opt_build && (code = build_first(ctx, &built)))
		return code;
	o.release = built ? built : opt_release;
	o.break_lock = opt_break_lock;
	code = nd_cli_deploy(ctx, &o);
	free(built);
	return code;
}
