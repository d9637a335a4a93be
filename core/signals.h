/* SPDX-License-Identifier: MIT */
#ifndef ND_SIGNALS_H
#define ND_SIGNALS_H

#include "core/common.h"

#include <signal.h>

/*
 * Ctrl-C and friends: the one signal mechanism of nextdeploy.
 *
 * nd_signals_install(policy) puts one handler on SIGINT, SIGTERM and
 * SIGHUP. Every signal it catches is
 *
 *  1. recorded: nd_signal_caught() is the first one's number (0: none yet),
 *     nd_signal_count() how many came; *nd_signal_flag() turns non-zero
 *     with the first, for wait loops written against a flag (the deploy
 *     code's `interrupted`, nd_sleep_ms());
 *  2. written as one byte, its number, to a self-pipe whose read end is
 *     nd_signal_fd() (non-blocking, close-on-exec), so that a poll() loop
 *     wakes up at once (add it to the poll set, or to curl_multi_poll's
 *     extra fds); nd_signal_next() takes the next byte off (0: none);
 *  3. acted on by the policy:
 *     ND_SIG_DIE     run the cleanup registry (core/cleanup.h: temporary
 *                    folders, restoring the terminal, clearing a progress
 *                    line), then die by the signal, so that the shell sees
 *                    130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP). For
 *                    commands with nothing to undo but what the registry
 *                    knows (build). A signal the process started with
 *                    ignored (nohup, `&` in a script) stays ignored.
 *     ND_SIG_NOTIFY  the command notices (flag or pipe), winds down
 *                    itself -- removes what it made, restores the
 *                    terminal -- and exits 130; a second signal dies as
 *                    ND_SIG_DIE does, so a stuck wind-down can still be
 *                    interrupted (run, rollback, logs -f, exec, stats,
 *                    events).
 *     ND_SIG_FORCE   as NOTIFY, but the second signal is the command's
 *                    too: "Ctrl-C again forces" (local run kills what it
 *                    was stopping gracefully); a third one dies.
 *     NOTIFY and FORCE catch SIGINT and SIGTERM even when they were
 *     ignored at start: their commands are meant to be ended by them (a
 *     script's `nextdeploy logs -f &` then `kill -INT`). A SIGHUP ignored
 *     at start (nohup) stays ignored under every policy.
 *
 * Installing again switches the policy (run --build: DIE while building,
 * NOTIFY for the deploy) and keeps the record. The handler uses SA_RESTART,
 * so reads and writes resume; poll(), curl_multi_poll() and sleeps still
 * return early. Everything it does is async-signal-safe.
 *
 * Threads: a command that starts threads blocks these signals in them
 * (nd_signals_block_in_thread() at the thread's start), so that the handler
 * always runs on the main thread, whose waits it cuts short.
 *
 * nd_signals_watch(SIGWINCH) delivers another signal through the pipe
 * only: no record, no policy (exec -t resizes on it).
 */
enum nd_sig_policy {
	ND_SIG_DIE = 1,
	ND_SIG_NOTIFY,
	ND_SIG_FORCE,
};

void nd_signals_install(enum nd_sig_policy policy);
/* Install ND_SIG_DIE unless a policy is installed already. */
void nd_signals_install_default(void);
/* Also deliver sig through the pipe (one at a time; at most 4). */
void nd_signals_watch(int sig);

/*
 * Deferral, for what the handler cannot undo itself: an object on the
 * engine (the build and prune markers of core/marker.h) goes by an HTTP
 * request, and nothing of libcurl is async-signal-safe. Between
 * nd_signals_defer_begin() and nd_signals_defer_end() (they nest),
 * ND_SIG_DIE does not die at the first signal: the handler runs the cleanup
 * registry (the folders go, a progress line is cleared), records the signal
 * and returns. The code inside sees it -- engine requests take
 * nd_signal_flag() as their cancel flag (struct nd_req.cancel: a running
 * build stops within about a second), waits look at nd_signal_caught()
 * between short sleeps -- and unwinds through its ordinary cleanup, which
 * removes the marker from normal context; the outermost
 * nd_signals_defer_end() then dies of the recorded signal (130 after
 * SIGINT, 143 after SIGTERM), only later. A second signal meanwhile dies at
 * once (the marker is left behind; core/marker.h says why that is
 * harmless). Under NOTIFY and FORCE the command unwinds anyway: there
 * nd_signals_defer_end() only counts down.
 */
void nd_signals_defer_begin(void);
void nd_signals_defer_end(void);

/* The first signal caught, or 0. */
int nd_signal_caught(void);
/* How many SIGINT/SIGTERM/SIGHUP were caught. */
int nd_signal_count(void);
/* Non-zero once one was caught. */
volatile sig_atomic_t *nd_signal_flag(void);
/* The pipe's read end, or -1 before nd_signals_install. */
int nd_signal_fd(void);
/* The next signal number written to the pipe, or 0 when none is pending. */
int nd_signal_next(void);

/* 128 + the first signal caught (130 for SIGINT), or 130 when none. */
int nd_signal_exit_code(void);

/* In a new thread: block the signals the handler takes (main gets them). */
void nd_signals_block_in_thread(void);

/* Tests: the default actions back, the record cleared, the pipe kept; the
 * next install looks again at which signals are ignored. */
void nd_signals_reset(void);

#endif
