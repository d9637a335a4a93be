/* SPDX-License-Identifier: MIT */
#ifndef ND_REGISTRY_AUTH_H
#define ND_REGISTRY_AUTH_H

#include "core/common.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/kv.h"

struct cJSON;

/*
 * Registry credentials, found the way the docker CLI finds them, and the
 * headers that hand them to the engine (NOTES.md §6).
 *
 * Where they are:
 *  - $DOCKER_CONFIG/config.json, else ~/.docker/config.json (no file: no
 *    credentials); a file that is not valid JSON is an error (ND_EPROJECT);
 *  - DOCKER_AUTH_CONFIG: the same {"auths": {...}} shape in a variable
 *    (what CI systems set).
 *
 * Lookup for the registry host H of an image reference (nd_ref_parse):
 *  1. the key: "https://index.docker.io/v1/" for Docker Hub (H docker.io or
 *     index.docker.io), otherwise H itself ("127.0.0.1:5000");
 *  2. DOCKER_AUTH_CONFIG's auths: the entry named key, else one whose host
 *     part is key (the same matching as step 4; the CLI itself matches the
 *     exact key only here);
 *  3. the helper: credHelpers[key], else credsStore. When there is one,
 *     `docker-credential-<helper> get` is run (no shell, argv, a time limit)
 *     with key on stdin, without a newline. "credentials not found" means
 *     anonymous -- and auths is not consulted, as the CLI does not either;
 *     a username "<token>" means the secret is an identity token;
 *  4. auths: the entry named key, else the first (in file order) whose host
 *     part equals key: "https://registry.example.com/v2/" and
 *     "registry.example.com" both serve registry.example.com. For Docker
 *     Hub only the exact key matches. An entry's "auth" field is standard
 *     base64 of "user:password", decoded here (the engine ignores it);
 *     "identitytoken" and "registrytoken" are passed on;
 *  5. otherwise anonymous.
 *
 * Secrets are never printed: cred.source names where they came from, and
 * nd_registry_cred_release() wipes them.
 */

/* --- image references (NOTES.md §6.4) --- */

struct nd_ref {
	char *domain; /* "docker.io", "127.0.0.1:5000" */
	char *path;   /* "library/busybox", "team/app" */
	char *tag;    /* NULL when none */
	char *digest; /* "sha256:...", or NULL */
};
#define ND_REF_INIT                    \
	{                              \
		NULL, NULL, NULL, NULL \
	}

/*
 * Split a reference as distribution/reference normalises it: the part
 * before the first '/' is the registry when it has a '.' or a ':', is
 * "localhost" or has an upper-case letter; else the registry is docker.io
 * (and a one-component name gets "library/"). index.docker.io becomes
 * docker.io. ND_EUSAGE for a malformed reference.
 */
int nd_ref_parse(struct nd_ref *out, const char *s, struct nd_error *err);
void nd_ref_release(struct nd_ref *r);
/* "domain/path" (malloc'd): the fully qualified repository. */
char *nd_ref_repository(const struct nd_ref *r);
/* The short form the engine shows: without "docker.io/" and "library/". */
char *nd_ref_familiar(const struct nd_ref *r);

/* The config key of a registry host: Docker Hub's URL, else the host. */
const char *nd_registry_key(const char *host);
/*
 * The host part of an auths key (the CLI's ConvertToHostname): the scheme,
 * user info and path dropped, ":port" kept. malloc'd.
 */
char *nd_registry_key_host(const char *key);

/* --- encodings --- */

/* Padded base64url (RFC 4648 §5) of data: what X-Registry-* carry. */
char *nd_base64url(const void *data, size_t len);
/*
 * Decode an auths "auth" field (standard base64 of "user:password"): the
 * text is split at the first ':', NUL bytes are trimmed from both ends of
 * the password (as the CLI does). ND_EPROJECT when it is not base64, has
 * no ':' or an empty user.
 */
int nd_registry_decode_auth(char **user_out, char **password_out,
			    const char *b64, struct nd_error *err);

/* --- credentials --- */

struct nd_registry_cred {
	char *username;
	char *password;
	char *identitytoken; /* an OAuth refresh token instead of a password */
	char *registrytoken; /* a bearer token for the registry */
	char *serveraddress; /* the key they were found under */
	char *source;	     /* "config.json auths", "docker-credential-x",
				"DOCKER_AUTH_CONFIG", or NULL (anonymous) */
};
#define ND_REGISTRY_CRED_INIT                      \
	{                                          \
		NULL, NULL, NULL, NULL, NULL, NULL \
	}
/* Nothing to send (anonymous). */
bool nd_registry_cred_empty(const struct nd_registry_cred *c);
/* Wipe the secrets and free. */
void nd_registry_cred_release(struct nd_registry_cred *c);

struct nd_docker_config {
	char *path;		/* the config.json looked at */
	struct cJSON *file;	/* it, parsed; NULL when there is none */
	struct cJSON *env;	/* DOCKER_AUTH_CONFIG parsed; NULL when unset */
	long helper_timeout_ms; /* per helper run (default 30 s) */
};
#define ND_DOCKER_CONFIG_INIT       \
	{                           \
		NULL, NULL, NULL, 0 \
	}

/* Read config.json and DOCKER_AUTH_CONFIG. ND_EPROJECT when malformed. */
int nd_docker_config_load(struct nd_docker_config *cfg, struct nd_error *err);
/* The same from text (tests); either may be NULL. path names file_json. */
int nd_docker_config_parse(struct nd_docker_config *cfg, const char *path,
			   const char *file_json, const char *env_json,
			   struct nd_error *err);
void nd_docker_config_release(struct nd_docker_config *cfg);

/* Where the credentials of a host come from (steps 2-5 above): pure. */
enum nd_cred_source {
	ND_CRED_ANONYMOUS,
	ND_CRED_ENV,	/* entry: DOCKER_AUTH_CONFIG auths[entry_key] */
	ND_CRED_HELPER, /* helper: run docker-credential-<helper> get key */
	ND_CRED_AUTHS,	/* entry: config.json auths[entry_key] */
};

struct nd_cred_plan {
	enum nd_cred_source source;
	const char *key;       /* the lookup key (step 1) */
	const char *entry_key; /* ENV/AUTHS: the entry's own key */
	const struct cJSON *entry;
	const char *helper;	/* HELPER: the suffix */
	bool from_cred_helpers; /* HELPER: credHelpers (else credsStore) */
};

void nd_registry_cred_plan(struct nd_cred_plan *out,
			   const struct nd_docker_config *cfg,
			   const char *host);

/* The credentials of an auths-shaped entry (auth decoded). */
int nd_registry_cred_from_entry(struct nd_registry_cred *out,
				const struct cJSON *entry,
				const char *serveraddress, const char *source,
				struct nd_error *err);

/*
 * The credentials for a registry host (steps 1-5). Anonymous is success
 * with an empty *out. Errors: a helper that is missing, fails (other than
 * "not found"), times out (ND_ETIMEOUT) or answers garbage; a malformed
 * entry (ND_EPROJECT).
 */
int nd_registry_cred_lookup(struct nd_registry_cred *out,
			    const struct nd_docker_config *cfg,
			    const char *host, struct nd_error *err);

/*
 * X-Registry-Auth: padded base64url of {"username","password",
 * "serveraddress"} or {"identitytoken","serveraddress"} (registrytoken
 * too when set); "e30=" ({}) when anonymous -- never leave the header out
 * (a push without it is a 400). malloc'd.
 */
char *nd_registry_auth_header(const struct nd_registry_cred *c);

/*
 * X-Registry-Config for builds: padded base64url of the map key -> auth
 * config for every host in hosts (docker.io, 127.0.0.1:5000...), or, with
 * all, for every registry the configuration knows (DOCKER_AUTH_CONFIG,
 * the credsStore's `list`, auths, every credHelpers entry: what the CLI
 * sends). "e30=" when there is nothing. Hosts whose lookup fails are left
 * out and named in *failed (one line each, no secrets), the build goes on.
 */
char *nd_registry_config_header(const struct nd_docker_config *cfg,
				const struct nd_strvec *hosts, bool all,
				struct nd_buf *failed);

/*
 * Run `docker-credential-<name> <action>` (found on PATH, no shell) with
 * input on its stdin as is, stdout captured into out (capped at 1 MiB),
 * stderr passed through. *status is its exit status. ND_ENOTFOUND when the
 * program is not on PATH, ND_ETIMEOUT when it ran longer than timeout_ms
 * (it is killed), ND_EUSAGE for a suffix that is not a plain name.
 */
int nd_cred_helper_run(const char *name, const char *action, const char *input,
		       long timeout_ms, struct nd_buf *out, int *status,
		       struct nd_error *err);

/* --- which registries a build pulls from --- */

/*
 * The registry hosts of a Dockerfile's base images: FROM lines (not
 * "scratch", not an earlier stage) and COPY --from= images, with ARG
 * defaults declared before the first FROM and args (build args, over
 * the defaults) substituted ($X, ${X}, ${X:-d}, ${X:+v}). *unresolved is
 * set when some reference still holds a variable: then the caller cannot
 * know and sends every credential, as the CLI does.
 */
void nd_dockerfile_registries(struct nd_strvec *hosts, bool *unresolved,
			      const char *dockerfile,
			      const struct nd_kvlist *args);

/*
 * Does an engine message say the registry refused the credentials (or
 * wanted some)? "unauthorized", "authentication required", "no basic auth
 * credentials", "denied", ...
 */
bool nd_registry_message_is_auth(const char *msg);

#endif
