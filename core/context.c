/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/buf.h"
#include "core/context.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <time.h>
#include <unistd.h>

#define DOCKERIGNORE ".dockerignore"
#define DOCKERIGNORE_CAP ((size_t)1 << 20)
#define IO_CHUNK ((size_t)128 << 10)

static void hex_of(char *out, const unsigned char *md, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[i * 2] = digits[md[i] >> 4];
		out[i * 2 + 1] = digits[md[i] & 15];
	}
	out[n * 2] = '\0';
}

static int read_dockerignore(struct nd_context *c, struct nd_error *err)
{
	char *path = nd_xprintf("%s/" DOCKERIGNORE, c->dir);
	struct nd_buf b = ND_BUF_INIT_CAP(DOCKERIGNORE_CAP);
	char chunk[8192];
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			r = nd_error_errno(err, ND_EPROJECT, "cannot read '%s'",
					   path);
		goto done;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (nd_buf_add(&b, chunk, (size_t)n) < 0) {
			r = nd_error_set(err, ND_EPROJECT,
					 "'%s' is larger than 1 MiB", path);
			goto done;
		}
	if (n < 0) {
		r = nd_error_errno(err, ND_EPROJECT, "cannot read '%s'", path);
		goto done;
	}
	c->has_dockerignore = true;
	c->dockerignore_len = b.len;
	c->dockerignore = nd_buf_detach(&b, NULL);
	r = nd_ignore_parse(&c->ignore, c->dockerignore, c->dockerignore_len,
			    path, err);
done:
	if (fd >= 0)
		close(fd);
	nd_buf_release(&b);
	free(path);
	return r;
}

int nd_context_open(struct nd_context **out, const char *dir,
		    const char *dockerfile_path, const char *dockerfile_text,
		    struct nd_error *err)
{
	struct nd_context *c = nd_calloc(1, sizeof(*c));
	struct stat st;
	int r;

	if (!!dockerfile_path == !!dockerfile_text)
		BUG("a context needs exactly one of a path or a text");
	c->dir = nd_strdup(dir);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		r = nd_error_errno(err, ND_EPROJECT,
				   "the build context '%s' is not a folder",
				   dir);
		goto fail;
	}
	if ((r = read_dockerignore(c, err)) < 0)
		goto fail;
	/* the CLI's TrimBuildFilesFromExcludes */
	nd_ignore_keep(&c->ignore, DOCKERIGNORE);
	if (dockerfile_path) {
		c->dockerfile = nd_path_clean(dockerfile_path);
		nd_ignore_keep(&c->ignore, c->dockerfile);
	} else {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int n = 0;
		char hex[2 * EVP_MAX_MD_SIZE + 1];
		struct nd_buf di = ND_BUF_INIT;
		int i;

		EVP_Digest(dockerfile_text, strlen(dockerfile_text), md, &n,
			   EVP_sha256(), NULL);
		hex_of(hex, md, n);
		hex[12] = '\0';
		/* a name no file of the context has */
		for (i = 0;; i++) {
			char *p;

			free(c->dockerfile);
			c->dockerfile =
				i ? nd_xprintf(".nextdeploy.Dockerfile.%s-%d",
					       hex, i) :
				    nd_xprintf(".nextdeploy.Dockerfile.%s", hex);
			p = nd_xprintf("%s/%s", dir, c->dockerfile);
			if (lstat(p, &st) < 0) {
				free(p);
				break;
			}
			free(p);
		}
		c->dockerfile_text = nd_strdup(dockerfile_text);
		if (c->has_dockerignore) {
			nd_buf_add(&di, c->dockerignore, c->dockerignore_len);
			if (di.len && di.buf[di.len - 1] != '\n')
				nd_buf_addch(&di, '\n');
		} else {
			nd_buf_adds(&di, DOCKERIGNORE "\n");
		}
		nd_buf_addf(&di, "%s\n", c->dockerfile);
		c->sent_dockerignore_len = di.len;
		c->sent_dockerignore = nd_buf_detach(&di, NULL);
	}
	*out = c;
	return 0;
fail:
	nd_context_free(c);
	return r;
}

void nd_context_free(struct nd_context *c)
{
	if (!c)
		return;
	free(c->dir);
	nd_ignore_release(&c->ignore);
	free(c->dockerignore);
	free(c->dockerfile);
	free(c->dockerfile_text);
	free(c->sent_dockerignore);
	nd_strvec_release(&c->skip_top);
	nd_strvec_release(&c->warnings);
	free(c);
}

/* --- walking --- */

struct walk {
	struct nd_context *c;
	nd_context_fn fn;
	void *ud;
	struct nd_buf abs;
	struct nd_buf rel;
	struct nd_error *err;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *kind_of(mode_t m)
{
	if (S_ISFIFO(m))
		return "a named pipe";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "a special file";
}

static int walk_dir(struct walk *w, const bool *parent);

static int visit(struct walk *w, const char *name, const bool *parent)
{
	struct nd_context *c = w->c;
	size_t abs_len = w->abs.len, rel_len = w->rel.len;
	bool *state = NULL, skip, top = rel_len == 0;
	struct stat st;
	char *link = NULL;
	int r = 0;

	if (w->rel.len)
		nd_buf_addch(&w->rel, '/');
	nd_buf_adds(&w->rel, name);
	nd_buf_addch(&w->abs, '/');
	nd_buf_adds(&w->abs, name);

	if (top && nd_strvec_contains(&c->skip_top, name))
		goto done;
	if (lstat(w->abs.buf, &st) < 0) {
		if (errno == ENOENT) /* removed while we walk */
			goto done;
		r = nd_error_errno(w->err, ND_EGENERIC, "cannot read '%s'",
				   w->abs.buf);
		goto done;
	}
	state = nd_calloc(c->ignore.nr + 1, sizeof(*state));
	skip = nd_ignore_match_walk(&c->ignore, w->rel.buf, parent, state);
	if (skip) {
		/* an excluded folder is entered only for an exception in it */
		if (S_ISDIR(st.st_mode) &&
		    nd_ignore_enter_dir(&c->ignore, w->rel.buf))
			r = walk_dir(w, state);
		goto done;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
	    !S_ISLNK(st.st_mode)) {
		if (!c->walked)
			nd_strvec_push_nodup(
				&c->warnings,
				nd_xprintf(
					"skipped '%s': %s cannot be sent in a build context",
					w->rel.buf, kind_of(st.st_mode)));
		goto done;
	}
	if (S_ISLNK(st.st_mode)) {
		size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : PATH_MAX;
		ssize_t n;

		link = nd_malloc(cap);
		n = readlink(w->abs.buf, link, cap - 1);
		if (n < 0) {
			r = nd_error_errno(w->err, ND_EGENERIC,
					   "cannot read the link '%s'",
					   w->abs.buf);
			goto done;
		}
		link[n] = '\0';
	}
	{
		struct nd_context_entry e = { w->rel.buf, w->abs.buf, &st,
					      link };

		if ((r = w->fn(&e, w->ud, w->err)) < 0)
			goto done;
	}
	if (S_ISDIR(st.st_mode))
		r = walk_dir(w, state);
done:
	free(link);
	free(state);
	nd_buf_truncate(&w->abs, abs_len);
	nd_buf_truncate(&w->rel, rel_len);
	return r;
}

static int walk_dir(struct walk *w, const bool *parent)
{
	DIR *d = opendir(w->abs.buf);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	int r = 0;

	if (!d)
		return nd_error_errno(w->err, ND_EGENERIC,
				      "cannot read the folder '%s'",
				      w->abs.buf);
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			names = nd_realloc(names, alloc * sizeof(*names));
		}
		names[n++] = nd_strdup(de->d_name);
	}
	if (errno) {
		r = nd_error_errno(w->err, ND_EGENERIC,
				   "cannot read the folder '%s'", w->abs.buf);
		closedir(d);
		goto done;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n && r == 0; i++)
		r = visit(w, names[i], parent);
done:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int nd_context_walk(struct nd_context *c, nd_context_fn fn, void *ud,
		    struct nd_error *err)
{
	struct walk w = { c, fn, ud, ND_BUF_INIT, ND_BUF_INIT, err };
	int r;

	nd_buf_adds(&w.abs, c->dir);
	while (w.abs.len > 1 && w.abs.buf[w.abs.len - 1] == '/')
		nd_buf_truncate(&w.abs, w.abs.len - 1);
	r = walk_dir(&w, NULL);
	if (r == 0)
		c->walked = true;
	nd_buf_release(&w.abs);
	nd_buf_release(&w.rel);
	return r;
}

/* Read a file in chunks; fn gets each. Reads exactly `size` bytes or less. */
static int read_file_chunks(const char *abs, uint64_t size,
			    int (*fn)(const char *data, size_t len, void *ud),
			    void *ud, uint64_t *done_out, struct nd_error *err)
{
	char *buf;
	uint64_t done = 0;
	int fd, r = 0;

	fd = open(abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return nd_error_errno(err, ND_EGENERIC, "cannot read '%s'", abs);
#ifdef POSIX_FADV_SEQUENTIAL
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	buf = nd_malloc(IO_CHUNK);
	while (done < size) {
		size_t want = size - done < IO_CHUNK ? (size_t)(size - done) :
						       IO_CHUNK;
		ssize_t n = read(fd, buf, want);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = nd_error_errno(err, ND_EGENERIC, "cannot read '%s'",
					   abs);
			break;
		}
		if (n == 0)
			break; /* the file shrank while we read it */
		if ((r = fn(buf, (size_t)n, ud)) < 0)
			break;
		done += (uint64_t)n;
	}
	free(buf);
	close(fd);
	if (done_out)
		*done_out = done;
	return r;
}

/* --- hashing --- */

struct hasher {
	EVP_MD_CTX *md;
	uint64_t bytes;
};

static int hash_data(const char *data, size_t len, void *ud)
{
	struct hasher *h = ud;

	EVP_DigestUpdate(h->md, data, len);
	return 0;
}

static int hash_entry(const struct nd_context_entry *e, void *ud,
		      struct nd_error *err)
{
	struct hasher *h = ud;
	const struct stat *st = e->st;
	char head[64];
	char type = S_ISDIR(st->st_mode) ? 'd' :
		    S_ISLNK(st->st_mode) ? 'l' :
					   'f';
	uint64_t done = 0;
	int n, r;

	n = snprintf(head, sizeof(head), "%c %04o %llu ", type,
		     (unsigned)(st->st_mode & 07777),
		     type == 'f' ? (unsigned long long)st->st_size : 0ULL);
	EVP_DigestUpdate(h->md, head, (size_t)n);
	EVP_DigestUpdate(h->md, e->path, strlen(e->path) + 1);
	if (type == 'l')
		EVP_DigestUpdate(h->md, e->link, strlen(e->link) + 1);
	if (type != 'f')
		return 0;
	r = read_file_chunks(e->abs, (uint64_t)st->st_size, hash_data, h, &done,
			     err);
	h->bytes += done;
	return r;
}

int nd_context_hash(struct nd_context *c, char hex[65], uint64_t *bytes_out,
		    struct nd_error *err)
{
	struct hasher h = { EVP_MD_CTX_new(), 0 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int r;

	if (!h.md)
		return nd_error_set(err, ND_EGENERIC,
				    "cannot hash: out of memory");
	EVP_DigestInit_ex(h.md, EVP_sha256(), NULL);
	EVP_DigestUpdate(h.md, "nextdeploy-context-v1\n", 22);
	r = nd_context_walk(c, hash_entry, &h, err);
	if (r == 0) {
		if (c->dockerfile_text) {
			EVP_DigestUpdate(h.md, "\0dockerfile\0", 12);
			EVP_DigestUpdate(h.md, c->dockerfile_text,
					 strlen(c->dockerfile_text));
		}
		EVP_DigestFinal_ex(h.md, md, &n);
		hex_of(hex, md, n < 32 ? n : 32);
		if (bytes_out)
			*bytes_out = h.bytes;
	}
	EVP_MD_CTX_free(h.md);
	return r;
}

/* --- the tar stream --- */

struct tar_writer {
	struct archive *a;
	int fd;
	struct nd_context *c;
	bool wrote_dockerignore;
	uint64_t bytes;
	struct nd_error *err;
	int write_errno;
};

/* libarchive's output: straight into the pipe, no buffering of our own. */
static la_ssize_t tar_out(struct archive *a, void *ud, const void *buf,
			  size_t len)
{
	struct tar_writer *t = ud;
	const char *p = buf;
	size_t left = len;

	while (left) {
		ssize_t n = write(t->fd, p, left);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			t->write_errno = errno;
			archive_set_error(a, errno, "write: %s",
					  strerror(errno));
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	return (la_ssize_t)len;
}

static int tar_fail(struct tar_writer *t, const char *what)
{
	if (t->write_errno == EPIPE)
		return nd_error_set(
			t->err, ND_EGENERIC,
			"the engine stopped reading the build context");
	return nd_error_set(t->err, ND_EGENERIC, "%s: %s", what,
			    archive_error_string(t->a) ?
				    archive_error_string(t->a) :
				    "tar error");
}

static struct archive_entry *new_entry(const char *name, mode_t type,
				       unsigned perm, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, mtime, 0);
	/* NOTES.md §4.5: uid/gid 0 and no names, for a stable layer cache */
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	return e;
}

static int tar_memory_file(struct tar_writer *t, const char *name,
			   unsigned perm, time_t mtime, const char *data,
			   size_t len)
{
	struct archive_entry *e = new_entry(name, AE_IFREG, perm, mtime);
	int r = 0;

	archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(t->a, e) < ARCHIVE_WARN ||
	    (len && archive_write_data(t->a, data, len) < 0))
		r = tar_fail(t, name);
	archive_entry_free(e);
	return r;
}

static int tar_data(const char *data, size_t len, void *ud)
{
	struct tar_writer *t = ud;

	if (archive_write_data(t->a, data, len) < 0)
		return tar_fail(t, "writing the context");
	return 0;
}

static int tar_entry(const struct nd_context_entry *ce, void *ud,
		     struct nd_error *err)
{
	struct tar_writer *t = ud;
	const struct stat *st = ce->st;
	struct archive_entry *e;
	uint64_t done = 0;
	int r = 0;

	ND_UNUSED(err);
	if (S_ISREG(st->st_mode) && t->c->sent_dockerignore &&
	    !strcmp(ce->path, DOCKERIGNORE)) {
		t->wrote_dockerignore = true;
		return tar_memory_file(t, DOCKERIGNORE, st->st_mode & 07777,
				       st->st_mtime, t->c->sent_dockerignore,
				       t->c->sent_dockerignore_len);
	}
	e = new_entry(ce->path,
		      S_ISDIR(st->st_mode) ? AE_IFDIR :
		      S_ISLNK(st->st_mode) ? AE_IFLNK :
					     AE_IFREG,
		      st->st_mode & 07777, st->st_mtime);
	if (S_ISLNK(st->st_mode))
		archive_entry_set_symlink(e, ce->link);
	if (S_ISREG(st->st_mode))
		archive_entry_set_size(e, (la_int64_t)st->st_size);
	if (archive_write_header(t->a, e) < ARCHIVE_WARN) {
		r = tar_fail(t, ce->path);
		goto done;
	}
	if (S_ISREG(st->st_mode) && st->st_size > 0) {
		/*
		 * A file that shrinks while we read it is padded with zeros
		 * by libarchive (the header's size stands); one that grows is
		 * cut at the size we announced.
		 */
		r = read_file_chunks(ce->abs, (uint64_t)st->st_size, tar_data,
				     t, &done, t->err);
		t->bytes += done;
	}
done:
	archive_entry_free(e);
	return r;
}

int nd_context_write_tar(struct nd_context *c, int fd, uint64_t *bytes_out,
			 struct nd_error *err)
{
	struct tar_writer t = { NULL, fd, c, false, 0, err, 0 };
	time_t now = time(NULL);
	int r = 0;

	t.a = archive_write_new();
	if (!t.a)
		return nd_error_set(err, ND_EGENERIC,
				    "cannot start a tar stream");
	/* ustar headers, pax extensions only where needed (long names) */
	archive_write_set_format_pax_restricted(t.a);
	archive_write_add_filter_none(t.a);
	/* no block buffering: each piece goes to the pipe as it comes */
	archive_write_set_bytes_per_block(t.a, 0);
	if (archive_write_open2(t.a, &t, NULL, tar_out, NULL, NULL) !=
	    ARCHIVE_OK) {
		r = tar_fail(&t, "cannot start a tar stream");
		goto done;
	}
	if ((r = nd_context_walk(c, tar_entry, &t, err)) < 0)
		goto done;
	if (c->dockerfile_text &&
	    (r = tar_memory_file(&t, c->dockerfile, 0600, now,
				 c->dockerfile_text,
				 strlen(c->dockerfile_text))) < 0)
		goto done;
	if (c->sent_dockerignore && !t.wrote_dockerignore &&
	    (r = tar_memory_file(&t, DOCKERIGNORE, 0644, now,
				 c->sent_dockerignore,
				 c->sent_dockerignore_len)) < 0)
		goto done;
	if (archive_write_close(t.a) != ARCHIVE_OK) {
		r = tar_fail(&t, "cannot end the tar stream");
		goto done;
	}
	if (bytes_out)
		*bytes_out = t.bytes;
done:
	archive_write_free(t.a);
	return r;
}
