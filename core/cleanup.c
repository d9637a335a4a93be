/* SPDX-License-Identifier: MIT */
/*
 * Removal of temporary folders on exit paths and signals. The tree removal
 * is written by hand on raw syscalls because it must be async-signal-safe
 * (no opendir/malloc), which nftw() and friends are not.
 */
#include "core/common.h"
#include "core/cleanup.h"
#include "core/signals.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_DIRS 8
#define MAX_FNS 8
#define MAX_DEPTH 128

static char dirs[MAX_DIRS][PATH_MAX];
static volatile sig_atomic_t dir_used[MAX_DIRS];
static void (*volatile fns[MAX_FNS])(void);

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

	for (i = 0; i < MAX_DIRS; i++)
		if (dir_used[i]) {
			nd_rmtree(dirs[i]);
			dir_used[i] = 0;
		}
	for (i = 0; i < MAX_FNS; i++) {
		void (*fn)(void) = fns[i];

		if (fn)
			fn();
	}
	errno = saved;
}

int nd_cleanup_add_dir(const char *path)
{
	int i;

	if (strlen(path) >= PATH_MAX)
		return -1;
	nd_signals_install_default();
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

int nd_cleanup_add_fn(void (*fn)(void))
{
	int i;

	for (i = 0; i < MAX_FNS; i++)
		if (fns[i] == fn)
			return 0;
	for (i = 0; i < MAX_FNS; i++)
		if (!fns[i]) {
			fns[i] = fn;
			return 0;
		}
	return -1;
}

void nd_cleanup_forget_fn(void (*fn)(void))
{
	int i;

	for (i = 0; i < MAX_FNS; i++)
		if (fns[i] == fn)
			fns[i] = NULL;
}
