/* SPDX-License-Identifier: MIT */
#ifndef ND_DEPLOY_SECRETS_H
#define ND_DEPLOY_SECRETS_H

#include "core/common.h"
#include "core/error.h"

struct nd_project;

/*
 * deploy.secrets: values read on the client, at deploy time, from the
 * environment variable or the file the project names (a file's one
 * trailing newline is dropped). They reach the container only when it is
 * created -- never an image, never a build -- in two forms:
 *
 *  - the environment variable NAME (what most apps read). It is part of
 *    the container's configuration, so whoever can inspect the container
 *    on the engine can read it (they could exec into it as well);
 *  - the file /run/secrets/NAME, mode 0400, owned by the image's user,
 *    written into the container before it starts (for apps that read
 *    files, like the `*_FILE` convention of many official images).
 *
 * nextdeploy never prints a value: every request that carries one passes
 * it (raw and JSON-escaped) to the trace's redaction list.
 */
struct nd_secret_value {
	char *name;
	char *value;
	size_t len;
};

struct nd_secrets {
	struct nd_secret_value *items;
	size_t nr;
	/* NULL-terminated: every form a value can take in a request */
	char **redact;
	size_t nredact;
};
#define ND_SECRETS_INIT          \
	{                        \
		NULL, 0, NULL, 0 \
	}

#define ND_SECRETS_DIR "/run/secrets"

/*
 * Read every secret of the project. A missing variable or unreadable file
 * is an ND_EPROJECT error at the secret's position in the project file
 * (nothing has been changed yet); so is a value with a NUL byte.
 */
int nd_secrets_load(struct nd_secrets *out, const struct nd_project *p,
		    struct nd_error *err);
/* Wipe and free. */
void nd_secrets_release(struct nd_secrets *s);
/* The redaction list for nd_req.secrets (never NULL). */
const char *const *nd_secrets_redact(const struct nd_secrets *s);

#endif
