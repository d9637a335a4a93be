/* SPDX-License-Identifier: MIT */
#ifndef ND_TERM_H
#define ND_TERM_H

#include "core/common.h"
#include "core/error.h"

/*
 * The local terminal and signals, for commands that stream both ways (exec
 * -it, and later `local run` attached).
 *
 * Raw mode: nd_term_raw() remembers the terminal's settings and switches it
 * to raw mode (cfmakeraw, as the docker CLI's MakeRaw). nd_term_restore()
 * puts the remembered settings back; it is idempotent, async-signal-safe,
 * and registered with atexit() the first time raw mode is entered, so every
 * exit() path restores the terminal too. One terminal at a time.
 */
int nd_term_raw(int fd, struct nd_error *err);
void nd_term_restore(void);
/* Rows and columns of the terminal on fd; false when it is not one. */
bool nd_term_size(int fd, unsigned *rows, unsigned *cols);

/*
 * Signals delivered through a pipe, so that a poll() loop can act on them
 * (the self-pipe trick): nd_sigpipe_open() installs handlers for the
 * signals listed and returns the pipe's read end (non-blocking, close-on-
 * exec); each caught signal writes its number there as one byte.
 * nd_sigpipe_next() returns the next caught signal, or 0 when none is
 * pending. nd_sigpipe_close() restores the previous handlers and closes the
 * pipe. One set at a time.
 */
int nd_sigpipe_open(const int *sigs, size_t n, struct nd_error *err);
int nd_sigpipe_next(void);
void nd_sigpipe_close(void);

#endif
