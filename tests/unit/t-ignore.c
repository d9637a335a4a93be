/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: .dockerignore reading and matching, and what the context
 * walker sends. The table is NOTES.md §5.3, every row of which was
 * verified against a real docker CLI 28 legacy build: the expected column
 * lists what is missing from the final context (`find /ctx` in the image).
 */
#include "tests/unit/unit.h"
#include "core/buf.h"
#include "core/cleanup.h"
#include "core/context.h"
#include "core/error.h"
#include "core/ignore.h"
#include "core/kv.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const tree_files[] = {
	"Dockerfile", ".env", ".env.example", ".git/HEAD", "README.md",
	"a.log", "b.log", "build/out.bin", "build/keep/important.txt",
	"dir with space/file.txt", "docs/readme.md", "docs/api/spec.md",
	"foo.txt", "node_modules/pkg/index.js", "src/main.c", "src/keep.txt",
	"src/node_modules/x.js", "sub/b.log", "sub/deep/c.log", "sub/foo",
	"tmpfile~", "xfoo", NULL,
};

/* every path of the context, folders included (.dockerignore added) */
static const char *const tree_all[] = {
	".dockerignore", ".env", ".env.example", ".git", ".git/HEAD",
	"Dockerfile", "README.md", "a.log", "b.log", "build", "build/keep",
	"build/keep/important.txt", "build/out.bin", "dir with space",
	"dir with space/file.txt", "docs", "docs/api", "docs/api/spec.md",
	"docs/readme.md", "emptydir", "foo.txt", "node_modules",
	"node_modules/pkg", "node_modules/pkg/index.js", "src", "src/keep.txt",
	"src/main.c", "src/node_modules", "src/node_modules/x.js", "sub",
	"sub/b.log", "sub/deep", "sub/deep/c.log", "sub/foo", "tmpfile~",
	"xfoo", NULL,
};

struct row {
	int n;
	const char *ignore;
	const char *excluded; /* space-separated; DWS is "dir with space" */
};

static const struct row rows[] = {
	{ 1, "*.log", "a.log b.log" },
	{ 2, "**/*.log", "a.log b.log sub/b.log sub/deep/c.log" },
	{ 3, "node_modules", "node_modules node_modules/pkg node_modules/pkg/index.js" },
	{ 4, "**/node_modules",
	  "node_modules node_modules/pkg node_modules/pkg/index.js "
	  "src/node_modules src/node_modules/x.js" },
	{ 5, "build\n!build/keep/important.txt", "build/out.bin" },
	{ 6, "build\n!**/important.txt",
	  "build build/out.bin build/keep build/keep/important.txt" },
	{ 7, "/docs/", "docs docs/readme.md docs/api docs/api/spec.md" },
	{ 8, "docs/*", "docs/readme.md docs/api docs/api/spec.md" },
	{ 9, "*\n!src",
	  "Dockerfile .dockerignore .env .env.example .git .git/HEAD "
	  "README.md a.log b.log build build/out.bin build/keep "
	  "build/keep/important.txt DWS DWS/file.txt "
	  "docs docs/readme.md docs/api docs/api/spec.md emptydir foo.txt "
	  "node_modules node_modules/pkg node_modules/pkg/index.js sub "
	  "sub/b.log sub/deep sub/deep/c.log sub/foo tmpfile~ xfoo" },
	{ 10, ".env*\n!.env.example", ".env" },
	{ 11, "# comment\n #notcomment\nfoo.txt", "foo.txt" },
	{ 12, "**/*.md\n!docs/**", "README.md" },
	{ 13, "!docs/**\n**/*.md", "README.md docs/readme.md docs/api/spec.md" },
	{ 14, "docs/**", "docs/readme.md docs/api docs/api/spec.md" },
	{ 15, "**",
	  "Dockerfile .dockerignore .env .env.example .git .git/HEAD "
	  "README.md a.log b.log build build/out.bin build/keep "
	  "build/keep/important.txt DWS DWS/file.txt "
	  "docs docs/readme.md docs/api docs/api/spec.md emptydir foo.txt "
	  "node_modules node_modules/pkg node_modules/pkg/index.js src "
	  "src/main.c src/keep.txt src/node_modules src/node_modules/x.js sub "
	  "sub/b.log sub/deep sub/deep/c.log sub/foo tmpfile~ xfoo" },
	{ 16, "src/*.c\nsub/*.log", "src/main.c sub/b.log" },
	{ 17, "dir with space", "DWS DWS/file.txt" },
	{ 18, "*~", "tmpfile~" },
	{ 19, "./src/main.c", "src/main.c" },
	{ 20, "Dockerfile\n.dockerignore", "Dockerfile .dockerignore" },
	{ 21, "sub/", "sub sub/b.log sub/deep sub/deep/c.log sub/foo" },
	{ 22, "**/deep", "sub/deep sub/deep/c.log" },
	{ 23, "s?b", "sub sub/b.log sub/deep sub/deep/c.log sub/foo" },
	{ 24, "[ab].log", "a.log b.log" },
	{ 25, "**foo", "xfoo sub/foo" },
	{ 26, "**/foo", "sub/foo" },
	{ 27, "src\n!src/keep.txt", "src/main.c src/node_modules src/node_modules/x.js" },
	{ 28, "*/*.log", "sub/b.log" },
	{ 29, "sub/**/c.log", "sub/deep/c.log" },
	{ 30, "   foo.txt   \n\n\t\n!  README.md", "foo.txt" },
	{ 31, "*.md\n!README.md\nREADME.md", "README.md" },
	{ 32, "emptydir", "emptydir" },
	{ 33, "../foo.txt", "" },
	{ 34, "build/\n!build/keep/", "build/out.bin" },
};

static char *tmp_root;

static void write_file(const char *root, const char *rel, const char *data)
{
	char *path = nd_xprintf("%s/%s", root, rel);
	char *p;
	FILE *f;

	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	if (f) {
		fputs(data, f);
		fclose(f);
	}
	free(path);
}

static void make_tree(const char *root, const char *ignore)
{
	const char *const *f;
	char *p;

	mkdir(root, 0755);
	for (f = tree_files; *f; f++)
		write_file(root, *f, *f);
	p = nd_xprintf("%s/emptydir", root);
	mkdir(p, 0755);
	free(p);
	write_file(root, ".dockerignore", ignore);
}

struct sent {
	struct nd_strvec paths;
};

static int collect(const struct nd_context_entry *e, void *ud,
		   struct nd_error *err)
{
	struct sent *s = ud;

	ND_UNUSED(err);
	nd_strvec_push(&s->paths, e->path);
	return 0;
}

/* add every parent folder of the sent entries (the daemon makes them) */
static void add_parents(struct nd_strvec *v)
{
	size_t i, n = v->nr;

	for (i = 0; i < n; i++) {
		char *p = nd_strdup(v->items[i]), *slash;

		while ((slash = strrchr(p, '/'))) {
			*slash = '\0';
			if (!nd_strvec_contains(v, p))
				nd_strvec_push(v, p);
		}
		free(p);
	}
}

static void split_expected(struct nd_strvec *out, const char *s)
{
	while (*s) {
		const char *end;
		char *tok;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		end = strchr(s, ' ');
		if (!end)
			end = s + strlen(s);
		tok = nd_strndup(s, (size_t)(end - s));
		if (nd_starts_with(tok, "DWS")) {
			char *t = nd_xprintf("dir with space%s", tok + 3);

			free(tok);
			tok = t;
		}
		nd_strvec_push_nodup(out, tok);
		s = end;
	}
}

TEST(table_5_3)
{
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		char *root = nd_xprintf("%s/case%d", tmp_root, r->n);
		struct nd_error err = ND_ERROR_INIT;
		struct nd_context *c = NULL;
		struct sent s = { ND_STRVEC_INIT };
		struct nd_strvec excl = ND_STRVEC_INIT;
		struct nd_ignore orig = ND_IGNORE_INIT;
		const char *const *p;

		make_tree(root, r->ignore);
		if (nd_context_open(&c, root, "Dockerfile", NULL, &err) < 0 ||
		    nd_context_walk(c, collect, &s, &err) < 0) {
			UNIT_FAIL("case %d: %s", r->n, err.msg);
			goto next;
		}
		/* the daemon removes Dockerfile and .dockerignore if matched */
		nd_ignore_parse(&orig, r->ignore, strlen(r->ignore), "x", NULL);
		add_parents(&s.paths);
		split_expected(&excl, r->excluded);
		for (p = tree_all; *p; p++) {
			bool sent = nd_strvec_contains(&s.paths, *p);
			bool want = !nd_strvec_contains(&excl, *p);

			if ((!strcmp(*p, "Dockerfile") ||
			     !strcmp(*p, ".dockerignore")) &&
			    nd_ignore_match(&orig, *p)) {
				if (!sent)
					UNIT_FAIL("case %d: '%s' must always be sent",
						  r->n, *p);
				sent = false;
			}
			if (sent != want)
				UNIT_FAIL("case %d: '%s' is %s, want %s", r->n, *p,
					  sent ? "in" : "out",
					  want ? "in" : "out");
		}
next:
		nd_ignore_release(&orig);
		nd_strvec_release(&excl);
		nd_strvec_release(&s.paths);
		nd_context_free(c);
		nd_error_release(&err);
		free(root);
	}
}

static bool m(const char *patterns, const char *path)
{
	struct nd_ignore ig = ND_IGNORE_INIT;
	bool r;

	if (nd_ignore_parse(&ig, patterns, strlen(patterns), "t", NULL) < 0)
		return false;
	r = nd_ignore_match(&ig, path);
	nd_ignore_release(&ig);
	return r;
}

TEST(matching)
{
	CHECK(m("*.log", "a.log"));
	CHECK(!m("*.log", "sub/a.log"));
	CHECK(m("**/*.log", "a.log"));
	CHECK(m("**/*.log", "x/y/a.log"));
	CHECK(m("**foo", "xfoo"));
	CHECK(m("**foo", "a/b/foo"));
	CHECK(!m("**foo", "foo.txt"));
	CHECK(m("**/foo", "foo"));
	CHECK(!m("**/foo", "xfoo"));
	CHECK(m("abc**", "abcdef"));
	CHECK(m("abc**", "abc/d/e"));
	CHECK(m("docs/**", "docs/x"));
	CHECK(!m("docs/**", "docs"));
	CHECK(m("**", "anything/at/all"));
	CHECK(m("a/**/b", "a/b"));
	CHECK(m("a/**/b", "a/x/y/b"));
	CHECK(!m("a/**/b", "a/xb"));
	CHECK(m("[a-c]?.txt", "bx.txt"));
	CHECK(!m("[a-c]?.txt", "dx.txt"));
	CHECK(m("[^a]x", "bx"));
	CHECK(!m("[^a]x", "ax"));
	CHECK(m("[!a]x", "!x"));  /* '!' is not a negation here */
	CHECK(!m("[!a]x", "bx"));
	CHECK(m("\\*x", "*x"));
	CHECK(!m("\\*x", "ax"));
	CHECK(m("a+b(c).txt", "a+b(c).txt")); /* regex characters are literal */
	CHECK(m("é?", "éü"));                /* '?' is one character */
	CHECK(m("sub", "sub/deep/x"));       /* parents match */
	CHECK(!m("sub\n!sub/keep", "sub/keep/x"));
	CHECK(m("*\n!x\n*", "x"));           /* the last match wins */
	CHECK(!m("../foo.txt", "foo.txt"));
	CHECK(m("a/../b", "b"));
	CHECK(m("/x", "x"));
	CHECK(m("x/", "x/y"));
}

TEST(parsing)
{
	struct nd_ignore ig = ND_IGNORE_INIT;
	struct nd_error err = ND_ERROR_INIT;
	const char *data = "\xef\xbb\xbf" "first\r\n# comment\n  #notcomment\n"
			   "/abs/path/\n! /inverted/x/\n\n   \n\t dir//a/./b/../c \n";

	CHECK_INT(nd_ignore_parse(&ig, data, strlen(data), "f", &err), 0);
	CHECK_INT(ig.nr, 5);
	if (ig.nr == 5) {
		CHECK_STR(ig.pats[0].text, "first");
		CHECK_STR(ig.pats[1].text, "#notcomment");
		CHECK_INT(ig.pats[1].line, 3);
		CHECK_STR(ig.pats[2].text, "abs/path");
		CHECK_STR(ig.pats[3].text, "inverted/x");
		CHECK(ig.pats[3].exclusion);
		CHECK_STR(ig.pats[4].text, "dir/a/c");
		CHECK(ig.exclusions);
	}
	nd_ignore_release(&ig);

	CHECK_INT(nd_ignore_parse(&ig, "ok\n!\n", 5, "x/.dockerignore", &err),
		  ND_EPROJECT);
	CHECK_CONTAINS(err.msg, "illegal exclusion pattern");
	CHECK_STR(err.file, "x/.dockerignore");
	CHECK_INT(err.line, 2);
	nd_ignore_release(&ig);
	nd_error_release(&err);

	CHECK_INT(nd_ignore_parse(&ig, "a[b\n", 4, "f", &err), ND_EPROJECT);
	CHECK_CONTAINS(err.msg, "syntax error in pattern");
	nd_ignore_release(&ig);
	nd_error_release(&err);
	CHECK_INT(nd_ignore_parse(&ig, "x\\", 2, "f", &err), ND_EPROJECT);
	nd_ignore_release(&ig);
	nd_error_release(&err);
	CHECK_INT(nd_ignore_parse(&ig, "[]a]", 4, "f", &err), ND_EPROJECT);
	nd_ignore_release(&ig);
	nd_error_release(&err);
	CHECK_INT(nd_ignore_parse(&ig, "[a-]", 4, "f", &err), ND_EPROJECT);
	nd_ignore_release(&ig);
	nd_error_release(&err);
}

TEST(path_clean)
{
	static const char *const cases[][2] = {
		{ "", "." }, { ".", "." }, { "/", "/" }, { "a//b", "a/b" },
		{ "./a/./b/", "a/b" }, { "a/../../b", "../b" }, { "/../a", "/a" },
		{ "a/b/..", "a" }, { "..", ".." }, { "!a/", "!a" },
		{ "/docs/", "/docs" }, { "../../x/..", "../.." },
	};
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(cases); i++) {
		char *c = nd_path_clean(cases[i][0]);

		CHECK_STR(c, cases[i][1]);
		free(c);
	}
}

TEST(dockerfile_in_excluded_folder)
{
	char *root = nd_xprintf("%s/dfsub", tmp_root);
	struct nd_error err = ND_ERROR_INIT;
	struct nd_context *c = NULL;
	struct sent s = { ND_STRVEC_INIT };

	mkdir(root, 0755);
	write_file(root, "deploy/Dockerfile", "FROM x\n");
	write_file(root, "deploy/other", "x");
	write_file(root, "app.txt", "x");
	write_file(root, ".dockerignore", "deploy\n");
	CHECK_INT(nd_context_open(&c, root, "./deploy/Dockerfile", NULL, &err), 0);
	if (c) {
		CHECK_STR(c->dockerfile, "deploy/Dockerfile");
		CHECK_INT(nd_context_walk(c, collect, &s, &err), 0);
		CHECK(nd_strvec_contains(&s.paths, "deploy/Dockerfile"));
		CHECK(!nd_strvec_contains(&s.paths, "deploy/other"));
		CHECK(nd_strvec_contains(&s.paths, ".dockerignore"));
		CHECK(nd_strvec_contains(&s.paths, "app.txt"));
	}
	nd_strvec_release(&s.paths);
	nd_context_free(c);
	free(root);
}

int main(void)
{
	char tmpl[] = "/tmp/nd-unit-ignore-XXXXXX";

	tmp_root = mkdtemp(tmpl);
	if (!tmp_root)
		return 1;
	RUN(table_5_3);
	RUN(matching);
	RUN(parsing);
	RUN(path_clean);
	RUN(dockerfile_in_excluded_folder);
	nd_rmtree(tmp_root);
	return unit_done();
}
