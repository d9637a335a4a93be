/* SPDX-License-Identifier: MIT */
#ifndef ND_UNIT_H
#define ND_UNIT_H

/*
 * A tiny TAP unit-test runner. Each TEST is one TAP line; CHECK* record
 * failures with file:line and go on.
 *
 *	TEST(parses_ports) { CHECK_INT(parse("80"), 80); }
 *	int main(void) { RUN(parses_ports); return unit_done(); }
 */
#include "core/common.h"

static int unit_count, unit_failed_tests, unit_cur_failed;
static const char *unit_cur;

#define TEST(name) static void name(void)

#define RUN(name)                                                            \
	do {                                                                 \
		unit_cur = #name;                                            \
		unit_cur_failed = 0;                                         \
		name();                                                      \
		unit_count++;                                                \
		if (unit_cur_failed)                                         \
			unit_failed_tests++;                                 \
		printf("%s %d - %s\n", unit_cur_failed ? "not ok" : "ok",    \
		       unit_count, #name);                                   \
		fflush(stdout);                                              \
	} while (0)

#define UNIT_FAIL(...)                                                       \
	do {                                                                 \
		printf("# %s:%d: ", __FILE__, __LINE__);                     \
		printf(__VA_ARGS__);                                         \
		printf("\n");                                                \
		unit_cur_failed = 1;                                         \
	} while (0)

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			UNIT_FAIL("check failed: %s", #cond);                \
	} while (0)

#define CHECK_INT(got, want)                                                 \
	do {                                                                 \
		long long g_ = (long long)(got), w_ = (long long)(want);     \
		if (g_ != w_)                                                \
			UNIT_FAIL("%s = %lld, want %lld", #got, g_, w_);     \
	} while (0)

#define CHECK_STR(got, want)                                                 \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		if (!g_ || !w_ ? g_ != w_ : strcmp(g_, w_) != 0)             \
			UNIT_FAIL("%s = \"%s\", want \"%s\"", #got,          \
				  g_ ? g_ : "(null)", w_ ? w_ : "(null)");   \
	} while (0)

#define CHECK_CONTAINS(got, needle)                                          \
	do {                                                                 \
		const char *g_ = (got), *n_ = (needle);                      \
		if (!g_ || !strstr(g_, n_))                                  \
			UNIT_FAIL("%s = \"%s\" does not contain \"%s\"",     \
				  #got, g_ ? g_ : "(null)", n_);             \
	} while (0)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_count);
	return unit_failed_tests ? 1 : 0;
}

/* Read a whole file into a malloc'd string (tests only). */
static inline char *unit_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, alloc = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > alloc) {
			alloc = (n + 4096 + 1) * 2;
			buf = nd_realloc(buf, alloc);
		}
		r = fread(buf + n, 1, 4096, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

#endif
