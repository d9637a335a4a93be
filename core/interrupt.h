/* SPDX-License-Identifier: MIT */
#ifndef ND_INTERRUPT_H
#define ND_INTERRUPT_H

#include "core/common.h"

/*
 * Ctrl-C for long-running commands (stats, events, ...): the handler only
 * records the signal; the command's loop polls nd_interrupted() (its waits
 * are short: curl_multi_poll with a timeout), cleans up, restores the
 * terminal and exits 130 (libgit2 cmd_clone.c). SIGINT and SIGTERM are
 * caught; a second signal of the same kind while cleaning up kills the
 * process the default way, so a stuck cleanup can still be interrupted.
 */
void nd_interrupt_install(void);
/* The signal number caught, or 0. */
int nd_interrupted(void);

#endif
