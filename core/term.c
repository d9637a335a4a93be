/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/term.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_tio;
static volatile sig_atomic_t saved_fd = -1;
static bool atexit_done;

void nd_term_restore(void)
{
	int fd = saved_fd;

	if (fd < 0)
		return;
	saved_fd = -1;
	/* TCSADRAIN: let what we wrote reach the screen first */
	tcsetattr(fd, TCSADRAIN, &saved_tio);
}

int nd_term_raw(int fd, struct nd_error *err)
{
	struct termios tio;

	if (saved_fd >= 0)
		BUG("nd_term_raw: a terminal is already in raw mode");
	if (tcgetattr(fd, &tio) < 0)
		return nd_error_errno(err, ND_EGENERIC,
				      "cannot read the terminal's settings");
	saved_tio = tio;
	cfmakeraw(&tio);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (!atexit_done) {
		atexit(nd_term_restore);
		atexit_done = true;
	}
	saved_fd = fd;
	if (tcsetattr(fd, TCSADRAIN, &tio) < 0) {
		saved_fd = -1;
		return nd_error_errno(err, ND_EGENERIC,
				      "cannot put the terminal in raw mode");
	}
	return 0;
}

bool nd_term_size(int fd, unsigned *rows, unsigned *cols)
{
	struct winsize ws;

	if (!isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) < 0 || !ws.ws_row ||
	    !ws.ws_col)
		return false;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return true;
}

/* --- signals through a pipe --- */

#define MAX_SIGS 8

static int sig_pipe[2] = { -1, -1 };
static int sig_nums[MAX_SIGS];
static struct sigaction sig_old[MAX_SIGS];
static size_t sig_n;

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (sig_pipe[1] >= 0 && write(sig_pipe[1], &c, 1) < 0) {
		/* the pipe is full: enough signals are already pending */
	}
	errno = saved;
}

int nd_sigpipe_open(const int *sigs, size_t n, struct nd_error *err)
{
	struct sigaction sa;
	size_t i;

	if (sig_pipe[0] >= 0)
		BUG("nd_sigpipe_open: already open");
	if (n > MAX_SIGS)
		BUG("nd_sigpipe_open: too many signals");
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return nd_error_errno(err, ND_EGENERIC, "cannot create a pipe");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* restart interrupted reads and writes; poll() still returns EINTR */
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < n; i++) {
		sig_nums[i] = sigs[i];
		sigaction(sigs[i], &sa, &sig_old[i]);
	}
	sig_n = n;
	return sig_pipe[0];
}

int nd_sigpipe_next(void)
{
	unsigned char c;

	if (sig_pipe[0] < 0)
		return 0;
	if (read(sig_pipe[0], &c, 1) == 1)
		return c;
	return 0;
}

void nd_sigpipe_close(void)
{
	size_t i;

	if (sig_pipe[0] < 0)
		return;
	for (i = 0; i < sig_n; i++)
		sigaction(sig_nums[i], &sig_old[i], NULL);
	sig_n = 0;
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
}
