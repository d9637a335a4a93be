/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the build context's content hash, and the tar stream it
 * writes (entry normalisation, symlinks, special files, the generated
 * Dockerfile and .dockerignore).
 */
#include "tests/unit/unit.h"
#include "core/buf.h"
#include "core/cleanup.h"
#include "core/context.h"
#include "core/error.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static char *tmp_root;

static void put(const char *root, const char *rel, const char *data,
		mode_t mode)
{
	char *path = nd_xprintf("%s/%s", root, rel);
	char *p;
	int fd;

	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd >= 0) {
		if (write(fd, data, strlen(data)) < 0)
			UNIT_FAIL("write %s", path);
		fchmod(fd, mode);
		close(fd);
	}
	free(path);
}

static char *mkroot(const char *name)
{
	char *root = nd_xprintf("%s/%s", tmp_root, name);

	mkdir(root, 0755);
	return root;
}

static void hash_of(const char *root, const char *df_text, char hex[65])
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_context *c = NULL;

	hex[0] = '\0';
	if (nd_context_open(&c, root, df_text ? NULL : "Dockerfile", df_text,
			    &err) < 0 ||
	    nd_context_hash(c, hex, NULL, &err) < 0)
		UNIT_FAIL("hash %s: %s", root, err.msg);
	nd_context_free(c);
	nd_error_release(&err);
}

TEST(hash_stability)
{
	char *a = mkroot("ha"), *b = mkroot("hb");
	char h1[65], h2[65], h3[65];
	char *p;

	put(a, "Dockerfile", "FROM x\n", 0644);
	put(a, "src/main.c", "int main;\n", 0644);
	put(a, "run.sh", "#!/bin/sh\n", 0755);
	put(b, "Dockerfile", "FROM x\n", 0644);
	put(b, "src/main.c", "int main;\n", 0644);
	put(b, "run.sh", "#!/bin/sh\n", 0755);
	hash_of(a, NULL, h1);
	hash_of(b, NULL, h2);
	CHECK_STR(h1, h2); /* same tree, another folder, other mtimes */
	CHECK_INT(strlen(h1), 64);

	/* a changed mode */
	p = nd_xprintf("%s/run.sh", b);
	chmod(p, 0644);
	hash_of(b, NULL, h3);
	CHECK(strcmp(h1, h3) != 0);
	chmod(p, 0755);
	free(p);
	hash_of(b, NULL, h3);
	CHECK_STR(h1, h3);

	/* a changed byte */
	put(b, "src/main.c", "int mainx;\n", 0644);
	hash_of(b, NULL, h3);
	CHECK(strcmp(h1, h3) != 0);
	put(b, "src/main.c", "int main;\n", 0644);

	/* an ignored file does not count; a new one does */
	put(b, "notes.tmp", "x", 0644);
	hash_of(b, NULL, h3);
	CHECK(strcmp(h1, h3) != 0);
	put(b, ".dockerignore", "*.tmp\n", 0644);
	put(a, ".dockerignore", "*.tmp\n", 0644);
	hash_of(a, NULL, h1);
	hash_of(b, NULL, h3);
	CHECK_STR(h1, h3);

	/* a renamed file changes it; a symlink target too */
	p = nd_xprintf("%s/l", a);
	if (symlink("src/main.c", p) < 0)
		UNIT_FAIL("symlink");
	free(p);
	p = nd_xprintf("%s/l", b);
	if (symlink("src/other.c", p) < 0)
		UNIT_FAIL("symlink");
	free(p);
	hash_of(a, NULL, h1);
	hash_of(b, NULL, h3);
	CHECK(strcmp(h1, h3) != 0);

	/* a synthesized Dockerfile counts */
	hash_of(a, "FROM a\n", h2);
	hash_of(a, "FROM b\n", h3);
	CHECK(strcmp(h2, h3) != 0);
	free(a);
	free(b);
}

struct tar_entry {
	char *name;
	mode_t type;
	unsigned perm;
	la_int64_t uid, gid;
	bool has_uname, has_gname;
	char *link;
	struct nd_buf data;
};

static size_t read_tar(const char *path, struct tar_entry *out, size_t max)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t n = 0;

	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 10240) != ARCHIVE_OK) {
		UNIT_FAIL("read %s: %s", path, archive_error_string(a));
		archive_read_free(a);
		return 0;
	}
	while (n < max && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		struct tar_entry *t = &out[n++];
		char buf[4096];
		la_ssize_t k;

		memset(t, 0, sizeof(*t));
		nd_buf_init(&t->data, 0);
		t->name = nd_strdup(archive_entry_pathname(e));
		t->type = archive_entry_filetype(e);
		t->perm = archive_entry_perm(e);
		t->uid = archive_entry_uid(e);
		t->gid = archive_entry_gid(e);
		t->has_uname = archive_entry_uname(e) && *archive_entry_uname(e);
		t->has_gname = archive_entry_gname(e) && *archive_entry_gname(e);
		t->link = nd_strdup_or_null(archive_entry_symlink(e));
		while ((k = archive_read_data(a, buf, sizeof(buf))) > 0)
			nd_buf_add(&t->data, buf, (size_t)k);
	}
	archive_read_free(a);
	return n;
}

static struct tar_entry *find(struct tar_entry *t, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t l = strlen(t[i].name);

		if (!strcmp(t[i].name, name) ||
		    (l && t[i].name[l - 1] == '/' &&
		     !strncmp(t[i].name, name, l - 1) && !name[l - 1]))
			return &t[i];
	}
	return NULL;
}

static size_t write_and_read(struct nd_context *c, struct tar_entry *t,
			     size_t max)
{
	struct nd_error err = ND_ERROR_INIT;
	char *tar = nd_xprintf("%s/out.tar", tmp_root);
	int fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t n = 0;

	if (nd_context_write_tar(c, fd, NULL, &err) < 0)
		UNIT_FAIL("tar: %s", err.msg);
	else
		n = read_tar(tar, t, max);
	close(fd);
	unlink(tar);
	free(tar);
	nd_error_release(&err);
	return n;
}

static void free_entries(struct tar_entry *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].name);
		free(t[i].link);
		nd_buf_release(&t[i].data);
	}
}

TEST(tar_entries)
{
	char *root = mkroot("tar"), *p;
	struct nd_error err = ND_ERROR_INIT;
	struct nd_context *c = NULL;
	struct tar_entry t[32], *e;
	size_t n, i;
	int s;

	put(root, "Dockerfile", "FROM x\n", 0644);
	put(root, "bin/run", "#!/bin/sh\n", 0750);
	put(root, "secret.txt", "s3cr3t", 0600);
	put(root, ".dockerignore", "secret.txt", 0644);
	p = nd_xprintf("%s/out-abs", root);
	CHECK_INT(symlink("/etc/passwd", p), 0);
	free(p);
	p = nd_xprintf("%s/out-rel", root);
	CHECK_INT(symlink("../../outside", p), 0);
	free(p);
	p = nd_xprintf("%s/dirlink", root);
	CHECK_INT(symlink("/etc", p), 0);
	free(p);
	p = nd_xprintf("%s/fifo", root);
	CHECK_INT(mkfifo(p, 0644), 0);
	free(p);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		p = nd_xprintf("%s/sock", root);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK_INT(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
		free(p);
	}

	CHECK_INT(nd_context_open(&c, root, "Dockerfile", NULL, &err), 0);
	if (!c)
		return;
	n = write_and_read(c, t, ND_ARRAY_SIZE(t));
	CHECK(n >= 6);
	for (i = 0; i < n; i++) {
		CHECK_INT(t[i].uid, 0);
		CHECK_INT(t[i].gid, 0);
		CHECK(!t[i].has_uname);
		CHECK(!t[i].has_gname);
		CHECK(t[i].name[0] != '/');
		CHECK(strncmp(t[i].name, "./", 2) != 0);
	}
	CHECK(!find(t, n, "secret.txt"));
	CHECK(!find(t, n, "fifo"));
	CHECK(!find(t, n, "sock"));
	e = find(t, n, "bin/run");
	CHECK(e && e->perm == 0750 && e->type == AE_IFREG);
	CHECK(e && !strcmp(e->data.buf, "#!/bin/sh\n"));
	CHECK(find(t, n, "bin") && find(t, n, "bin")->type == AE_IFDIR);
	/* links are links: nothing outside the context is read */
	e = find(t, n, "out-abs");
	CHECK(e && e->type == AE_IFLNK && e->link &&
	      !strcmp(e->link, "/etc/passwd") && e->data.len == 0);
	e = find(t, n, "out-rel");
	CHECK(e && e->type == AE_IFLNK && !strcmp(e->link, "../../outside"));
	e = find(t, n, "dirlink");
	CHECK(e && e->type == AE_IFLNK);
	CHECK(!find(t, n, "dirlink/passwd"));
	/* the warnings name both special files, once */
	CHECK_INT(c->warnings.nr, 2);
	if (c->warnings.nr == 2) {
		CHECK_CONTAINS(c->warnings.items[0], "'fifo': a named pipe");
		CHECK_CONTAINS(c->warnings.items[1], "'sock': a socket");
	}
	/* the .dockerignore is sent unchanged when the Dockerfile is a file */
	e = find(t, n, ".dockerignore");
	CHECK(e && !strcmp(e->data.buf, "secret.txt"));
	free_entries(t, n);
	/* a second pass adds no warnings */
	n = write_and_read(c, t, ND_ARRAY_SIZE(t));
	CHECK_INT(c->warnings.nr, 2);
	free_entries(t, n);
	nd_context_free(c);
	close(s);
	free(root);
}

TEST(generated_dockerfile)
{
	char *root = mkroot("gen");
	struct nd_error err = ND_ERROR_INIT;
	struct nd_context *c = NULL, *c2 = NULL;
	struct tar_entry t[16], *e;
	size_t n;

	put(root, "app.js", "x", 0644);
	CHECK_INT(nd_context_open(&c, root, NULL, "FROM node\n", &err), 0);
	if (!c)
		return;
	CHECK(nd_starts_with(c->dockerfile, ".nextdeploy.Dockerfile."));
	n = write_and_read(c, t, ND_ARRAY_SIZE(t));
	e = find(t, n, c->dockerfile);
	CHECK(e && !strcmp(e->data.buf, "FROM node\n") && e->perm == 0600);
	e = find(t, n, ".dockerignore");
	if (e) {
		char *want = nd_xprintf(".dockerignore\n%s\n", c->dockerfile);

		CHECK_STR(e->data.buf, want);
		free(want);
	} else {
		UNIT_FAIL("no .dockerignore sent");
	}
	free_entries(t, n);

	/* with a .dockerignore of its own: the name is appended */
	put(root, ".dockerignore", "*.log", 0644);
	CHECK_INT(nd_context_open(&c2, root, NULL, "FROM node\n", &err), 0);
	if (c2) {
		CHECK_STR(c2->dockerfile, c->dockerfile); /* stable name */
		n = write_and_read(c2, t, ND_ARRAY_SIZE(t));
		e = find(t, n, ".dockerignore");
		if (e) {
			char *want = nd_xprintf("*.log\n%s\n", c2->dockerfile);

			CHECK_STR(e->data.buf, want);
			free(want);
		}
		free_entries(t, n);
	}
	nd_context_free(c2);
	c2 = NULL;

	/* a context file with the generated name: another name is chosen */
	put(root, c->dockerfile, "mine", 0644);
	CHECK_INT(nd_context_open(&c2, root, NULL, "FROM node\n", &err), 0);
	if (c2)
		CHECK(strcmp(c2->dockerfile, c->dockerfile) != 0);
	nd_context_free(c2);
	nd_context_free(c);
	free(root);
}

TEST(rmtree)
{
	char *root = mkroot("rm"), *p;
	struct stat st;

	put(root, "a/b/c/d.txt", "x", 0644);
	put(root, "a/e.txt", "x", 0000);
	p = nd_xprintf("%s/a/link", root);
	CHECK_INT(symlink(tmp_root, p), 0); /* must not be followed */
	free(p);
	CHECK_INT(nd_rmtree(root), 0);
	CHECK(lstat(root, &st) < 0 && errno == ENOENT);
	CHECK(stat(tmp_root, &st) == 0);
	free(root);
}

int main(void)
{
	char tmpl[] = "/tmp/nd-unit-context-XXXXXX";

	tmp_root = mkdtemp(tmpl);
	if (!tmp_root)
		return 1;
	RUN(hash_stability);
	RUN(tar_entries);
	RUN(generated_dockerfile);
	RUN(rmtree);
	nd_rmtree(tmp_root);
	return unit_done();
}
