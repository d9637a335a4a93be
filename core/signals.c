/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/signals.h"
#include "core/cleanup.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

static const int caught_sigs[] = { SIGINT, SIGTERM, SIGHUP };

#define MAX_WATCHED 4

static volatile sig_atomic_t policy;
static volatile sig_atomic_t first_sig;
static volatile sig_atomic_t count;
static volatile sig_atomic_t flag;
static volatile sig_atomic_t watched[MAX_WATCHED];
static volatile sig_atomic_t defer_depth;
static int sig_pipe[2] = { -1, -1 };
/* a signal ignored when the process started (nohup, `&` in a script) */
static bool ignored_at_start[ND_ARRAY_SIZE(caught_sigs)];
static bool started;

static bool is_watched(int sig)
{
	for (size_t i = 0; i < MAX_WATCHED; i++)
		if (watched[i] == sig)
			return true;
	return false;
}

static void to_pipe(int sig)
{
	unsigned char c = (unsigned char)sig;

	if (sig_pipe[1] >= 0 && write(sig_pipe[1], &c, 1) < 0) {
		/* full: enough wake-ups are pending already */
	}
}

/* Clean up what the registry knows, then die by sig (the handler's tail). */
static void die(int sig)
{
	sigset_t set;

	nd_cleanup_run();
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	/* blocked while its handler runs: unblock, so it kills us now */
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* a default action that does not kill (never for these): exit */
	_exit(128 + sig);
}

static void on_signal(int sig)
{
	int saved = errno;
	int n;

	if (is_watched(sig)) {
		to_pipe(sig);
		errno = saved;
		return;
	}
	n = count + 1;
	count = n;
	if (!first_sig)
		first_sig = sig;
	flag = 1;
	to_pipe(sig);
	if (policy == ND_SIG_DIE && defer_depth > 0 && n == 1) {
		/* deferred: clean what we can now, the code unwinds */
		nd_cleanup_run();
	} else if (policy == ND_SIG_DIE ||
		   (policy == ND_SIG_NOTIFY && n >= 2) ||
		   (policy == ND_SIG_FORCE && n >= 3)) {
		die(sig);
	}
	errno = saved;
}

static void set_handler(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	/* one at a time: the count and the policy's decision stay exact */
	for (size_t i = 0; i < ND_ARRAY_SIZE(caught_sigs); i++)
		sigaddset(&sa.sa_mask, caught_sigs[i]);
	sigaction(sig, &sa, NULL);
}

static void start(void)
{
	if (started)
		return;
	started = true;
	for (size_t i = 0; i < ND_ARRAY_SIZE(caught_sigs); i++) {
		struct sigaction old;

		ignored_at_start[i] = sigaction(caught_sigs[i], NULL, &old) ==
					      0 &&
				      !(old.sa_flags & SA_SIGINFO) &&
				      old.sa_handler == SIG_IGN;
	}
	if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		sig_pipe[0] = sig_pipe[1] = -1; /* the flag still works */
}

void nd_signals_install(enum nd_sig_policy p)
{
	start();
	policy = p;
	for (size_t i = 0; i < ND_ARRAY_SIZE(caught_sigs); i++) {
		/* nohup: a hang-up never ends us; see core/signals.h */
		if (ignored_at_start[i] &&
		    (p == ND_SIG_DIE || caught_sigs[i] == SIGHUP))
			continue;
		set_handler(caught_sigs[i]);
	}
}

void nd_signals_install_default(void)
{
	if (!policy)
		nd_signals_install(ND_SIG_DIE);
}

void nd_signals_watch(int sig)
{
	start();
	for (size_t i = 0; i < MAX_WATCHED; i++) {
		if (watched[i] == sig)
			return;
		if (!watched[i]) {
			watched[i] = sig;
			set_handler(sig);
			return;
		}
	}
	BUG("nd_signals_watch: more than %d signals", MAX_WATCHED);
}

void nd_signals_defer_begin(void)
{
	defer_depth++;
}

void nd_signals_defer_end(void)
{
	if (defer_depth > 0)
		defer_depth--;
	if (defer_depth == 0 && first_sig && policy == ND_SIG_DIE) {
		sigset_t set;

		/* the handler must not run in the middle of dying */
		sigemptyset(&set);
		for (size_t i = 0; i < ND_ARRAY_SIZE(caught_sigs); i++)
			sigaddset(&set, caught_sigs[i]);
		sigprocmask(SIG_BLOCK, &set, NULL);
		fflush(NULL);
		die((int)first_sig);
	}
}

int nd_signal_caught(void)
{
	return (int)first_sig;
}

int nd_signal_count(void)
{
	return (int)count;
}

volatile sig_atomic_t *nd_signal_flag(void)
{
	return &flag;
}

int nd_signal_fd(void)
{
	return sig_pipe[0];
}

int nd_signal_next(void)
{
	unsigned char c;

	if (sig_pipe[0] >= 0 && read(sig_pipe[0], &c, 1) == 1)
		return c;
	return 0;
}

int nd_signal_exit_code(void)
{
	return first_sig ? 128 + (int)first_sig : 130;
}

void nd_signals_block_in_thread(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < ND_ARRAY_SIZE(caught_sigs); i++)
		sigaddset(&set, caught_sigs[i]);
	for (size_t i = 0; i < MAX_WATCHED; i++)
		if (watched[i])
			sigaddset(&set, watched[i]);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void nd_signals_reset(void)
{
	for (size_t i = 0; i < ND_ARRAY_SIZE(caught_sigs); i++)
		signal(caught_sigs[i], SIG_DFL);
	for (size_t i = 0; i < MAX_WATCHED; i++) {
		if (watched[i])
			signal(watched[i], SIG_DFL);
		watched[i] = 0;
	}
	while (nd_signal_next())
		;
	policy = 0;
	defer_depth = 0;
	started = false; /* look at what is ignored again */
	first_sig = 0;
	count = 0;
	flag = 0;
}
