/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/term.h"
#include "core/cleanup.h"

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
		nd_cleanup_add_fn(nd_term_restore);
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
