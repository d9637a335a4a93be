/* SPDX-License-Identifier: MIT */
#ifndef ND_CLEANUP_H
#define ND_CLEANUP_H

#include "core/common.h"

#include <signal.h>

/*
 * Temporary folders that must not outlive the process, even on Ctrl-C
 * (libgit2's cli cmd_clone.c does the same for a half-made clone).
 *
 * nd_cleanup_add_dir() registers a folder (a private clone, say); when the
 * process gets SIGINT, SIGTERM or SIGHUP, the handler removes every
 * registered folder, runs the interrupt hook (clearing a progress line),
 * then restores the default action and re-raises the signal, so the shell
 * sees the process killed by it (status 130 for SIGINT).
 *
 * The handlers are installed by the first nd_cleanup_add_dir() for each
 * signal whose action is still the default; a command with its own
 * handler calls nd_cleanup_run() from it instead. Everything the handler
 * does is async-signal-safe (openat/getdents64/unlinkat on fixed buffers).
 */

/* Install the handlers now (idempotent; a foreign handler is kept). */
void nd_cleanup_install(void);
/* Register path (absolute) for removal on a signal. -1 when full (8). */
int nd_cleanup_add_dir(const char *path);
/* Forget path (after removing it normally). */
void nd_cleanup_forget_dir(const char *path);
/* An async-signal-safe function run by the handler (NULL: none). */
void nd_cleanup_set_interrupt_hook(void (*fn)(void));
/* What the handler does: remove the registered folders, run the hook. */
void nd_cleanup_run(void);

/*
 * Deferred signals, for what a handler cannot undo itself: an object on
 * the engine (the build and prune markers of core/marker.h) is removed by
 * an HTTP request, and nothing of libcurl is async-signal-safe.
 *
 * Between nd_cleanup_defer_begin() and nd_cleanup_defer_end() (they nest)
 * the handler still removes the folders and runs the hook, then only
 * records the signal in nd_cleanup_signal and restores the default
 * action, so a second signal kills the process at once (the marker is then
 * left behind; core/marker.h says why that is harmless). The code inside
 * polls nd_cleanup_signal: engine requests take it as their cancel flag
 * (struct nd_req.cancel: a running build stops within about a second),
 * waits look at it between short sleeps. It unwinds through its ordinary
 * cleanup, which removes the marker over HTTP from normal context, and the
 * outermost nd_cleanup_defer_end() re-raises the recorded signal with its
 * default action: the process dies of it as it did before markers
 * existed (exit status 130 after SIGINT, 143 after SIGTERM), only later.
 *
 * A command with its own handler never sets nd_cleanup_signal; its code
 * then runs on to its normal end, which removes the marker too.
 */
extern volatile sig_atomic_t nd_cleanup_signal;
void nd_cleanup_defer_begin(void);
/* Ends a deferral; the outermost one re-raises a recorded signal. */
void nd_cleanup_defer_end(void);

/*
 * Remove path and everything under it, never following symbolic links.
 * Async-signal-safe. 0, or -1 with errno when something stayed.
 */
int nd_rmtree(const char *path);

#endif
