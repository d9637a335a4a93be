/* SPDX-License-Identifier: MIT */
#ifndef ND_DEPLOY_LOCK_H
#define ND_DEPLOY_LOCK_H

#include "core/common.h"
#include "core/error.h"

#include <signal.h>

struct nd_engine;

/*
 * The deploy lock, held on the engine so that two `run`s of one app -- from
 * two terminals, two CI jobs, two machines -- cannot interleave.
 *
 * It is a container named `nd-<app>-lock` (the edge proxy's is
 * `nextdeploy-proxy-lock`) that is created and never started: creating a
 * container by name is atomic on the engine, and a second create gets 409
 * (Podman: 500 "in use"), which means "held". Its labels say who holds it:
 *
 *	nextdeploy.managed=true, nextdeploy.app=<app>, nextdeploy.service=lock
 *	nextdeploy.lock.host     the holder's host name
 *	nextdeploy.lock.pid      its process ID
 *	nextdeploy.lock.user     its user
 *	nextdeploy.lock.started  when it was taken (Unix seconds)
 *	nextdeploy.lock.command  its command line (shortened)
 *
 * Stale: a lock taken on this host by a process that no longer exists is
 * stale for certain, and is broken automatically (with a warning); one
 * older than ND_LOCK_MAX_AGE_S is reported as probably stale. Anything else
 * can be broken by hand (`--break-lock`). Released (the container removed,
 * by ID, so a lock someone else took after breaking ours is never removed)
 * on every exit path of the command, including SIGINT and SIGTERM.
 */
#define ND_LOCK_MAX_AGE_S (60 * 60)

struct nd_lock_holder {
	char *id;
	char *host;
	char *user;
	char *command;
	long pid;
	double started;
	bool stale;	     /* certain: same host, dead process */
	bool probably_stale; /* older than ND_LOCK_MAX_AGE_S */
};
void nd_lock_holder_release(struct nd_lock_holder *h);

enum nd_lock_event {
	ND_LOCK_WAITING,      /* held by someone else; waiting */
	ND_LOCK_BROKE_STALE,  /* a certainly stale lock was removed */
	ND_LOCK_BROKE_FORCED, /* --break-lock removed a lock */
};

struct nd_lock_opts {
	const char *name;    /* nd-<app>-lock */
	const char *app;     /* label value */
	const char *image;   /* an image present on the engine (never run) */
	const char *command; /* for the label */
	int64_t wait_ms;     /* 0: fail at once when held */
	bool force_break;    /* break whatever lock is there, once */
	volatile sig_atomic_t *interrupted;
	void (*on_event)(void *ud, enum nd_lock_event ev,
			 const struct nd_lock_holder *h);
	void *ud;
};

struct nd_lock {
	struct nd_engine *e;
	char *name;
	char *id; /* NULL when not held */
};
#define ND_LOCK_INIT             \
	{                        \
		NULL, NULL, NULL \
	}

/*
 * Take the lock. When it is held and not stale: wait up to wait_ms (polling
 * every second), then fail with ND_ELOCKED, the holder's details in the
 * message and a hint. ND_EINTERRUPTED when *interrupted became set.
 */
int nd_lock_acquire(struct nd_lock *out, struct nd_engine *e,
		    const struct nd_lock_opts *o, struct nd_error *err);
/* Release (idempotent; a lock not held is a no-op). */
int nd_lock_release(struct nd_lock *l, struct nd_error *err);

/* Read the holder of a lock: ND_ENOTFOUND when there is none. */
int nd_lock_inspect(struct nd_lock_holder *out, struct nd_engine *e,
		    const char *name, struct nd_error *err);
/* "pid 123 of alice on ci-7, 3 minutes ago: nextdeploy run" */
char *nd_lock_holder_describe(const struct nd_lock_holder *h);

#endif
