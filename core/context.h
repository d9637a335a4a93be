/* SPDX-License-Identifier: MIT */
#ifndef ND_CONTEXT_H
#define ND_CONTEXT_H

#include "core/common.h"
#include "core/error.h"
#include "core/ignore.h"
#include "core/kv.h"

#include <sys/stat.h>

/*
 * A build context: a folder, its .dockerignore, and the Dockerfile to send
 * with it. Walked in a stable order (names sorted bytewise, as Go's
 * filepath.Walk), to hash it and to write it as a tar stream.
 *
 * What is sent, as the docker CLI sends it (NOTES.md §4.3, §4.5, §5):
 * - what .dockerignore leaves in (core/ignore.h), plus .dockerignore and
 *   the Dockerfile even when the patterns exclude them (the daemon removes
 *   them from the final context when they match);
 * - regular files, folders and symbolic links (as links: never followed,
 *   so nothing outside the context is read); fifos, sockets and devices
 *   are skipped with a warning. Hard links are sent as separate files;
 * - tar entries with relative names, uid/gid 0, no user or group names and
 *   whole-second mtimes, so the engine's layer cache does not depend on
 *   the machine that sent them;
 * - a Dockerfile that is not a file of the context (synthesized, or from
 *   outside it) is added under a generated name that no context file has,
 *   ".nextdeploy.Dockerfile.<hash>", and that name is appended to the
 *   .dockerignore that is sent (one is made when there is none), so that
 *   the engine leaves it out of the final context.
 *
 * Nothing is held in memory but one folder's names at each depth, and the
 * tar is written straight to a file descriptor (the upload pipe).
 */
struct nd_context {
	char *dir;		 /* absolute folder */
	struct nd_ignore ignore; /* .dockerignore plus the keep rules */
	bool has_dockerignore;
	char *dockerignore; /* its contents (NULL when none) */
	size_t dockerignore_len;
	char *dockerfile;	 /* the name to pass as `dockerfile` */
	char *dockerfile_text;	 /* added to the tar, or NULL when the
				     Dockerfile is a context file */
	char *sent_dockerignore; /* .dockerignore as sent, when it differs */
	size_t sent_dockerignore_len;
	/* names at the top of the folder to leave out (".git" of a clone) */
	struct nd_strvec skip_top;
	/* fifos, sockets and devices skipped, collected on the first walk */
	struct nd_strvec warnings;
	bool walked;
};

/*
 * Open a context folder. dockerfile_path is the Dockerfile's path relative
 * to dir when it is a file of the context; otherwise dockerfile_text is its
 * contents (synthesized, or read from outside the context) and
 * dockerfile_path must be NULL. Reads and checks .dockerignore (errors are
 * ND_EPROJECT at .dockerignore:line).
 */
int nd_context_open(struct nd_context **out, const char *dir,
		    const char *dockerfile_path, const char *dockerfile_text,
		    struct nd_error *err);
void nd_context_free(struct nd_context *c);

struct nd_context_entry {
	const char *path; /* relative, '/'-separated: "src/main.c" */
	const char *abs;  /* on disk */
	const struct stat *st;
	const char *link; /* symlink target, or NULL */
};

typedef int (*nd_context_fn)(const struct nd_context_entry *e, void *ud,
			     struct nd_error *err);

/*
 * Call fn for every entry that is sent, in order (folders before their
 * contents). Returns fn's error, or an error for a folder or file that
 * cannot be read.
 */
int nd_context_walk(struct nd_context *c, nd_context_fn fn, void *ud,
		    struct nd_error *err);

/*
 * A content hash of what would be sent: every entry's type, permission
 * bits, name, size and contents or link target, and the Dockerfile text
 * when it is not a context file. mtimes, owners and the generated names do
 * not count. hex receives 64 hex digits and a NUL.
 */
int nd_context_hash(struct nd_context *c, char hex[65], uint64_t *bytes_out,
		    struct nd_error *err);

/*
 * Write the context as an uncompressed tar to fd (blocking writes; EPIPE
 * means the reader went away). *bytes_out (may be NULL) gets the size of
 * the files' contents written.
 */
int nd_context_write_tar(struct nd_context *c, int fd, uint64_t *bytes_out,
			 struct nd_error *err);

#endif
