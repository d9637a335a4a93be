/* SPDX-License-Identifier: MIT */
#ifndef ND_SOURCE_H
#define ND_SOURCE_H

#include "core/common.h"
#include "core/error.h"
#include "core/kv.h"

struct nd_project;

/*
 * The app's source, ready to build from: project.source resolved to a
 * folder on this machine.
 *
 * - source.path (relative to the project file's folder; default: that
 *   folder) is used in place. When it (after subdir) is a committed folder
 *   of a git work tree, the HEAD commit is recorded, and what `git status
 *   --ignored` shows inside it: modified, staged, deleted, untracked and
 *   ignored paths (an untracked or ignored folder is one "dir/" entry).
 *   A folder git ignores, or one not committed yet, has no commit.
 * - source.git (https://, ssh://, user@host:path, file://, or a path to a
 *   repository, relative to the project file's folder) is cloned with
 *   libgit2 into a private folder made by mkdtemp(3) (mode 0700) under
 *   $TMPDIR (default /tmp), named nextdeploy-src-XXXXXX, and checked out
 *   at source.ref: a branch of the remote, a tag, or a commit id (full or
 *   abbreviated); by default the remote's default branch. The clone's
 *   folder is removed by nd_source_free(), and by core/cleanup.h when the
 *   process is interrupted (SIGINT, SIGTERM, SIGHUP) before that. libgit2
 *   1.5 cannot fetch shallow, so the whole history is fetched.
 * - source.subdir then selects a folder inside either.
 *
 * Credentials for a clone: ssh-agent ($SSH_AUTH_SOCK), then ~/.ssh/
 * id_ed25519, id_ecdsa or id_rsa without a passphrase, for ssh URLs; for
 * https, the token in the environment variable named by source.token_env,
 * sent as the password with the user name git hosts expect for tokens
 * (oauth2 for GitLab, x-token-auth for Bitbucket, x-access-token for the
 * others) unless the URL names a user. The token never appears in
 * messages, URLs or labels.
 */

enum nd_source_kind { ND_SOURCE_PATH, ND_SOURCE_GIT };

struct nd_source {
	enum nd_source_kind kind;
	char *dir;	    /* absolute: the folder to build (after subdir) */
	char *root;	    /* absolute: the clone, or the source.path folder */
	char *tmpdir;	    /* the private clone folder, or NULL */
	char *url;	    /* the repository, without credentials (OCI
			   source label), or NULL */
	char *ref;	    /* source.ref as given, or NULL */
	char *commit;	    /* full commit id, or NULL without git */
	char *short_commit; /* git's unique abbreviation (7 or more) */
	/* source.path with a commit: what git status shows, relative to
	   dir ("src/app.js", "node_modules/") */
	struct nd_strvec changes;
};

/* Clone progress (libgit2's indexer progress). */
struct nd_source_progress {
	unsigned received_objects, total_objects, indexed_objects;
	size_t received_bytes;
};

struct nd_source_opts {
	void (*on_progress)(const struct nd_source_progress *p, void *ud);
	void *ud;
};

/*
 * Resolve and, for git, clone. Errors: ND_EPROJECT for a bad source
 * configuration (a missing folder, a subdir that is not a folder, an unset
 * token variable), ND_ENOTFOUND for a ref that does not exist,
 * ND_EAUTH when credentials are refused, ND_EGENERIC otherwise; nothing is
 * left on disk after an error.
 */
int nd_source_prepare(struct nd_source **out, const struct nd_project *p,
		      const struct nd_source_opts *o, struct nd_error *err);

/* Free, removing the clone's folder. NULL-safe. */
void nd_source_free(struct nd_source *s);

/* A URL without secrets: https user info removed; an ssh user kept, its
 * password (if any) removed (malloc'd). */
char *nd_url_strip_credentials(const char *url);

#endif
