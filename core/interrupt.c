/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/interrupt.h"

#include <signal.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	if (caught == sig) {
		/* second Ctrl-C: give up on the clean exit */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	caught = sig;
}

void nd_interrupt_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocking poll() returns EINTR and the loop looks */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int nd_interrupted(void)
{
	return (int)caught;
}
