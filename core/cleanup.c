/* SPDX-License-Identifier: MIT */
/*
 * Removal of temporary folders on exit paths and signals. The tree removal
 * is written by hand on raw syscalls because it must be async-signal-safe
 * (no opendir/malloc), which nftw() and friends are not.
 */
#include "core/common.h"
#include "core/cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_DIRS 8
#define MAX_DEPTH 128

static char dirs[MAX_DIRS][PATH_MAX];
static volatile sig_atomic_t dir_used[MAX_DIRS];
static void (*volatile interrupt_hook)(void);
static volatile sig_atomic_t defer_depth;
volatile sig_atomic_t nd_cleanup_signal;

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int rm_at(int parent, const char *name, int depth);

/* Empty the folder open as fd. */
static int empty_dir(int fd, int depth)
{
	char buf[2048] __attribute__((aligned(8)));
	int failed = 0;

	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		long off;
		int removed = 0;

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		for (off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);

			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			if (rm_at(fd, d->d_name, depth + 1) < 0)
				failed = 1;
			else
				removed = 1;
		}
		/* entries moved under us: start over from the beginning */
		if (removed && lseek(fd, 0, SEEK_SET) < 0)
			return -1;
		if (!removed)
			break;
	}
	return failed ? -1 : 0;
}

static int rm_at(int parent, const char *name, int depth)
{
	int fd, r;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (depth > MAX_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	fd = openat(parent, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	r = empty_dir(fd, depth);
	close(fd);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -1;
	return r;
}

int nd_rmtree(const char *path)
{
	return rm_at(AT_FDCWD, path, 0);
}

void nd_cleanup_run(void)
{
	int i, saved = errno;
	void (*hook)(void) = interrupt_hook;

	for (i = 0; i < MAX_DIRS; i++)
		if (dir_used[i]) {
			nd_rmtree(dirs[i]);
			dir_used[i] = 0;
		}
	if (hook)
		hook();
	errno = saved;
}

static void on_signal(int sig)
{
	nd_cleanup_run();
	signal(sig, SIG_DFL);
	if (defer_depth > 0) {
		/* the code inside unwinds, then nd_cleanup_defer_end() raises */
		if (!nd_cleanup_signal)
			nd_cleanup_signal = sig;
		return;
	}
	raise(sig);
}

void nd_cleanup_defer_begin(void)
{
	defer_depth++;
}

void nd_cleanup_defer_end(void)
{
	int sig;

	if (defer_depth > 0)
		defer_depth--;
	sig = nd_cleanup_signal;
	if (defer_depth == 0 && sig) {
		fflush(NULL);
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

void nd_cleanup_install(void)
{
	static bool done;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	size_t i;

	if (done)
		return;
	done = true;
	for (i = 0; i < ND_ARRAY_SIZE(sigs); i++) {
		struct sigaction old, sa;

		if (sigaction(sigs[i], NULL, &old) < 0 ||
		    (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

int nd_cleanup_add_dir(const char *path)
{
	int i;

	if (strlen(path) >= PATH_MAX)
		return -1;
	nd_cleanup_install();
	for (i = 0; i < MAX_DIRS; i++)
		if (!dir_used[i]) {
			snprintf(dirs[i], sizeof(dirs[i]), "%s", path);
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
			dir_used[i] = 1;
			return 0;
		}
	return -1;
}

void nd_cleanup_forget_dir(const char *path)
{
	int i;

	for (i = 0; i < MAX_DIRS; i++)
		if (dir_used[i] && !strcmp(dirs[i], path))
			dir_used[i] = 0;
}

void nd_cleanup_set_interrupt_hook(void (*fn)(void))
{
	interrupt_hook = fn;
}
