/* SPDX-License-Identifier: MIT */
/* core/signals.h: the record, the pipe, the policies; core/cleanup.h's registry. */
#include "unit.h"
#include "core/cleanup.h"
#include "core/signals.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int marker_fd = -1;

static void write_marker(void)
{
	if (marker_fd >= 0 && write(marker_fd, "x", 1) < 0)
		return;
}

TEST(notify_records_and_wakes)
{
	nd_signals_reset();
	nd_signals_install(ND_SIG_NOTIFY);
	CHECK_INT(nd_signal_caught(), 0);
	CHECK_INT(*nd_signal_flag(), 0);
	CHECK(nd_signal_fd() >= 0);
	raise(SIGTERM);
	CHECK_INT(nd_signal_caught(), SIGTERM);
	CHECK_INT(nd_signal_count(), 1);
	CHECK(*nd_signal_flag() != 0);
	CHECK_INT(nd_signal_exit_code(), 143);
	CHECK_INT(nd_signal_next(), SIGTERM);
	CHECK_INT(nd_signal_next(), 0);
	nd_signals_reset();
	CHECK_INT(nd_signal_caught(), 0);
	CHECK_INT(nd_signal_exit_code(), 130);
}

TEST(force_takes_the_second_signal)
{
	nd_signals_reset();
	nd_signals_install(ND_SIG_FORCE);
	raise(SIGINT);
	raise(SIGINT);
	CHECK_INT(nd_signal_count(), 2);
	CHECK_INT(nd_signal_caught(), SIGINT);
	CHECK_INT(nd_signal_next(), SIGINT);
	CHECK_INT(nd_signal_next(), SIGINT);
	nd_signals_reset();
}

TEST(watched_signals_only_wake)
{
	nd_signals_reset();
	nd_signals_install(ND_SIG_NOTIFY);
	nd_signals_watch(SIGWINCH);
	raise(SIGWINCH);
	CHECK_INT(nd_signal_count(), 0);
	CHECK_INT(nd_signal_caught(), 0);
	CHECK_INT(nd_signal_next(), SIGWINCH);
	nd_signals_reset();
}

/*
 * In a child: install policy, register a folder and a function, raise sig
 * n times; the status it ended with.
 */
static int child_status(enum nd_sig_policy policy, int sig, int n,
			const char *dir, int pipe_w, bool ignore_first)
{
	pid_t pid = fork();
	int status = -1;

	if (pid == 0) {
		nd_signals_reset();
		if (ignore_first)
			signal(sig, SIG_IGN);
		marker_fd = pipe_w;
		nd_cleanup_add_fn(write_marker);
		nd_signals_install(policy);
		if (dir)
			nd_cleanup_add_dir(dir);
		for (int i = 0; i < n; i++)
			raise(sig);
		_exit(nd_signal_count());
	}
	waitpid(pid, &status, 0);
	return status;
}

TEST(policies_die_when_they_should)
{
	char tmpl[] = "/tmp/nd-unit-signals-XXXXXX";
	char *dir = mkdtemp(tmpl), *a, *sub;
	int p[2], st;
	char c;

	CHECK(dir != NULL);
	if (!dir || pipe(p) < 0)
		return;
	a = nd_xprintf("%s/a", dir);
	sub = nd_xprintf("%s/a/b", dir);
	mkdir(a, 0700);
	mkdir(sub, 0700);

	/* DIE: the registry runs (folder gone, function called), then death */
	st = child_status(ND_SIG_DIE, SIGINT, 1, dir, p[1], false);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
	CHECK(access(dir, F_OK) < 0);
	CHECK(read(p[0], &c, 1) == 1);

	/* NOTIFY: one signal is the command's, the second kills */
	st = child_status(ND_SIG_NOTIFY, SIGTERM, 1, NULL, p[1], false);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	st = child_status(ND_SIG_NOTIFY, SIGTERM, 2, NULL, p[1], false);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	CHECK(read(p[0], &c, 1) == 1);

	/* FORCE: two are the command's, the third kills */
	st = child_status(ND_SIG_FORCE, SIGINT, 2, NULL, p[1], false);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	st = child_status(ND_SIG_FORCE, SIGINT, 3, NULL, p[1], false);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);

	/* DIE keeps a signal ignored at start ignored; NOTIFY catches it */
	st = child_status(ND_SIG_DIE, SIGINT, 1, NULL, p[1], true);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = child_status(ND_SIG_NOTIFY, SIGINT, 1, NULL, p[1], true);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	/* but nohup's ignored SIGHUP stays ignored under every policy */
	st = child_status(ND_SIG_FORCE, SIGHUP, 3, NULL, p[1], true);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
	close(p[1]);
	free(a);
	free(sub);
}

/* DIE while deferred: the first signal is recorded, defer_end dies of it. */
static int deferred_status(int nsigs, bool end, int pipe_w)
{
	pid_t pid = fork();
	int status = -1;

	if (pid == 0) {
		nd_signals_reset();
		marker_fd = pipe_w;
		nd_cleanup_add_fn(write_marker);
		nd_signals_install(ND_SIG_DIE);
		nd_signals_defer_begin();
		nd_signals_defer_begin(); /* they nest */
		for (int i = 0; i < nsigs; i++)
			raise(SIGTERM);
		if (nd_signal_caught() != SIGTERM || !*nd_signal_flag())
			_exit(90);
		nd_signals_defer_end();
		if (end)
			nd_signals_defer_end();
		_exit(nd_signal_count());
	}
	waitpid(pid, &status, 0);
	return status;
}

TEST(deferred_die)
{
	int p[2], st;
	char c;

	if (pipe(p) < 0)
		return;
	/* the registry runs at once; the inner end does not die yet */
	st = deferred_status(1, false, p[1]);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	CHECK(read(p[0], &c, 1) == 1);
	/* the outermost end dies of the recorded signal */
	st = deferred_status(1, true, p[1]);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	/* a second signal while deferred dies at once */
	st = deferred_status(2, false, p[1]);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	RUN(notify_records_and_wakes);
	RUN(force_takes_the_second_signal);
	RUN(watched_signals_only_wake);
	RUN(policies_die_when_they_should);
	RUN(deferred_die);
	return unit_done();
}
