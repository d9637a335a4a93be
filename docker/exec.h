/* SPDX-License-Identifier: MIT */
#ifndef ND_EXEC_H
#define ND_EXEC_H

#include "core/common.h"
#include "core/buf.h"
#include "docker/engine.h"

/*
 * Running a command inside a container through the Exec API
 * (NOTES.md §3): create, start, read the demultiplexed output, then read
 * the exit code from GET /exec/{id}/json.
 */

struct nd_exec_opts {
	const char *const *argv; /* exec form, NULL-terminated */
	const char *const *env;	 /* "K=V", NULL-terminated, or NULL */
	const char *user;
	const char *workdir;
	long timeout_ms;   /* 0: no limit */
	size_t max_output; /* cap per stream; 0: 64 KiB (the tail is kept) */
	/* input for the process's stdin (sent, then stdin is closed); NULL: none */
	const char *stdin_data;
	size_t stdin_len;
};

struct nd_exec_result {
	long exit_code;	   /* -1 when unknown */
	struct nd_buf out; /* stdout, the last max_output bytes */
	struct nd_buf err; /* stderr, the last max_output bytes */
	bool truncated;
};
#define ND_EXEC_RESULT_INIT                         \
	{                                           \
		-1, ND_BUF_INIT, ND_BUF_INIT, false \
	}
void nd_exec_result_release(struct nd_exec_result *r);

/*
 * Run argv in the running container `id` and wait for it; capture its output
 * (without a TTY). A command that cannot be started (not found) gives exit
 * code 126 or 127 in the result, not an error; errors are for the engine
 * (ND_ENOTFOUND: no such container, ND_ECONFLICT: not running,
 * ND_ETIMEOUT: timeout_ms passed).
 */
int nd_exec_capture(struct nd_engine *e, const char *id,
		    const struct nd_exec_opts *o, struct nd_exec_result *res,
		    struct nd_error *err);

/* POST /containers/{id}/exec: *exec_id_out is malloc'd. */
int nd_exec_create(struct nd_engine *e, const char *id, const char *const *argv,
		   const char *const *env, const char *user,
		   const char *workdir, bool tty, bool attach_stdin,
		   char **exec_id_out, struct nd_error *err);
/* GET /exec/{id}/json: running flag and exit code (-1 while running). */
int nd_exec_inspect(struct nd_engine *e, const char *exec_id, bool *running,
		    long *exit_code, struct nd_error *err);

#endif
