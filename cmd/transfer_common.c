/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/transfer_common.h"
#include "core/cleanup.h"
#include "core/signals.h"
#include "core/progress.h"
#include "core/project.h"
#include "core/registry_auth.h"
#include "docker/engine.h"

#include <cjson/cJSON.h>
#include <strings.h>

int nd_xfer_repository(char **repo_out, char **registry_out, const char *opt,
		       const struct nd_project *p, const char *suffix,
		       struct nd_error *err)
{
	const char *reg = opt ? opt : p->image.registry;
	char *probe;
	size_t n;
	bool ok;

	if (!reg || !*reg) {
		nd_error_set(
			err, ND_EUSAGE,
			"no registry for '%s': image.registry is not set and --registry was not given",
			p->app);
		nd_error_hint(
			err,
			"set image.registry (host[:port][/path]) in %s, or pass --registry",
			p->path ? p->path : "nextdeploy.yml");
		return ND_EUSAGE;
	}
	n = strlen(reg);
	while (n && reg[n - 1] == '/')
		n--;
	probe = nd_xprintf("%.*s/x", (int)n, reg);
	ok = n && nd_image_ref_valid(probe) && !memchr(reg, '@', n);
	free(probe);
	if (!ok)
		return nd_error_set(
			err, ND_EUSAGE,
			"invalid registry '%s': expected host[:port][/path]",
			reg);
	*repo_out = nd_xprintf("%.*s/%s%s", (int)n, reg,
			       nd_project_image_name(p), suffix ? suffix : "");
	if (registry_out)
		*registry_out = nd_strndup(reg, n);
	return 0;
}

static void on_interrupt(void)
{
	nd_progress_interrupted();
}

int nd_xfer_begin(struct nd_xfer *x, struct nd_engine *e, const char *repo,
		  struct nd_error *err)
{
	struct nd_docker_config cfg = ND_DOCKER_CONFIG_INIT;
	struct nd_registry_cred cred = ND_REGISTRY_CRED_INIT;
	struct nd_ref ref = ND_REF_INIT;
	int r;

	x->podman = e->podman;
	if ((r = nd_ref_parse(&ref, repo, err)) < 0)
		return r;
	x->host = nd_strdup(ref.domain);
	nd_ref_release(&ref);
	if ((r = nd_docker_config_load(&cfg, err)) < 0 ||
	    (r = nd_registry_cred_lookup(&cred, &cfg, x->host, err)) < 0) {
		nd_error_wrap(err, "registry credentials for '%s'", x->host);
		goto done;
	}
	x->auth = nd_registry_auth_header(&cred);
	x->cred_source = nd_strdup_or_null(cred.source);
	if (cred.source)
		nd_msg_debug("credentials for %s: %s%s%s%s", x->host,
			     cred.source, cred.username ? " (user '" : "",
			     cred.username ? cred.username : "",
			     cred.username ? "')" : "");
	else
		nd_msg_debug(
			"no credentials for %s in %s or DOCKER_AUTH_CONFIG: anonymous",
			x->host, cfg.path);
done:
	nd_registry_cred_release(&cred);
	nd_docker_config_release(&cfg);
	return r;
}

void nd_xfer_progress_start(struct nd_xfer *x)
{
	nd_xfer_progress_done(x);
	if (nd_out.verbosity < ND_V_INFO)
		return;
	x->progress = nd_progress_new(stderr, nd_out.progress_bars);
	nd_signals_install(ND_SIG_DIE);
	nd_cleanup_add_fn(on_interrupt);
}

void nd_xfer_on_msg(const cJSON *msg, void *ud)
{
	struct nd_xfer *x = ud;

	/* errors never reach here (docker/transfer.h) */
	if (x->progress)
		nd_progress_message(x->progress, msg, NULL);
}

void nd_xfer_progress_done(struct nd_xfer *x)
{
	if (!x->progress)
		return;
	nd_progress_free(x->progress);
	x->progress = NULL;
	nd_cleanup_forget_fn(on_interrupt);
}

void nd_xfer_hint(struct nd_error *err, const struct nd_xfer *x,
		  const char *missing_hint)
{
	const char *m = err->msg ? err->msg : "";
	const char *host = x->host ? x->host : "the registry";

	if (err->code == ND_EAUTH && x->cred_source) {
		nd_error_hint(
			err,
			"the registry refused the credentials for %s from %s; log in again with 'docker login %s'",
			host, x->cred_source, host);
	} else if (err->code == ND_EAUTH) {
		nd_error_hint(
			err,
			"no credentials for %s were found: log in with 'docker login %s', or add them to $DOCKER_CONFIG/config.json (auths, credsStore, credHelpers) or DOCKER_AUTH_CONFIG",
			host, host);
	} else if (strcasestr(m, "server gave HTTP response to HTTPS client") ||
		   strcasestr(m, "http: server gave HTTP")) {
		if (x->podman)
			nd_error_hint(
				err,
				"%s speaks plain HTTP: Podman needs it in registries.conf ([[registry]] location=\"%s\" insecure=true)",
				host, host);
		else
			nd_error_hint(
				err,
				"%s speaks plain HTTP: add it to \"insecure-registries\" in the engine's daemon.json (127.0.0.0/8 is insecure by default)",
				host);
	} else if (strcasestr(m, "connection refused") ||
		   strcasestr(m, "no such host") ||
		   strcasestr(m, "i/o timeout") ||
		   strcasestr(m, "network is unreachable")) {
		nd_error_hint(
			err,
			"the engine could not reach %s: the engine talks to the registry, not this machine",
			host);
	} else if (err->code == ND_ENOTFOUND && missing_hint) {
		nd_error_hint(err, "%s", missing_hint);
	}
}

void nd_xfer_release(struct nd_xfer *x)
{
	if (!x)
		return;
	nd_xfer_progress_done(x);
	free(x->host);
	if (x->auth)
		explicit_bzero(x->auth, strlen(x->auth));
	free(x->auth);
	free(x->cred_source);
	memset(x, 0, sizeof(*x));
}
