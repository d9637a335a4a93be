/* SPDX-License-Identifier: MIT */
#ifndef ND_TERM_H
#define ND_TERM_H

#include "core/common.h"
#include "core/error.h"

/*
 * The local terminal, for commands that stream both ways (exec -it).
 * Signals are core/signals.h's.
 *
 * Raw mode: nd_term_raw() remembers the terminal's settings and switches it
 * to raw mode (cfmakeraw, as the docker CLI's MakeRaw). nd_term_restore()
 * puts the remembered settings back; it is idempotent, async-signal-safe,
 * registered with atexit() and with the cleanup registry (core/cleanup.h)
 * the first time raw mode is entered, so every exit() path, and a signal
 * that kills the process, restore the terminal too. One terminal at a time.
 */
int nd_term_raw(int fd, struct nd_error *err);
void nd_term_restore(void);
/* Rows and columns of the terminal on fd; false when it is not one. */
bool nd_term_size(int fd, unsigned *rows, unsigned *cols);

#endif
