/* SPDX-License-Identifier: MIT */
#ifndef ND_CLEANUP_H
#define ND_CLEANUP_H

#include "core/common.h"

#include <signal.h>

/*
 * The cleanup registry: what must not outlive the process, even when a
 * signal ends it (libgit2's cli cmd_clone.c does the same for a half-made
 * clone). core/signals.h runs it from its handler before the process dies
 * by a signal; everything here is async-signal-safe (openat/getdents64/
 * unlinkat on fixed buffers, registered functions that are themselves
 * async-signal-safe).
 *
 * nd_cleanup_add_dir() registers a folder (a private clone, say) and makes
 * sure a handler is there (nd_signals_install_default()); a command that
 * installs its own policy keeps the registry. nd_cleanup_add_fn() registers
 * a function: restoring the terminal, clearing a progress line.
 */

/* Register path (absolute) for removal on a signal. -1 when full (8). */
int nd_cleanup_add_dir(const char *path);
/* Forget path (after removing it normally). */
void nd_cleanup_forget_dir(const char *path);
/* Register / forget an async-signal-safe function (at most 8). */
int nd_cleanup_add_fn(void (*fn)(void));
void nd_cleanup_forget_fn(void (*fn)(void));
/* What the signal handler does: remove the folders, run the functions. */
void nd_cleanup_run(void);

/*
 * Remove path and everything under it, never following symbolic links.
 * Async-signal-safe. 0, or -1 with errno when something stayed.
 */
int nd_rmtree(const char *path);

#endif
