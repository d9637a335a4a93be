/* SPDX-License-Identifier: MIT */
/* Unit tests: buffers, errors, options, units, env files, suggestions. */
#include "tests/unit/unit.h"
#include "core/buf.h"
#include "core/envfile.h"
#include "core/error.h"
#include "core/opt.h"
#include "core/units.h"

TEST(buf_grows_and_caps)
{
	struct nd_buf b = ND_BUF_INIT_CAP(8);

	CHECK_STR(b.buf, "");
	CHECK_INT(nd_buf_adds(&b, "1234"), 0);
	CHECK_INT(nd_buf_addf(&b, "%d", 567), 0);
	CHECK_STR(b.buf, "1234567");
	CHECK_INT(nd_buf_adds(&b, "89"), -1); /* past the cap: refused */
	CHECK_STR(b.buf, "1234567");
	nd_buf_consume(&b, 3);
	CHECK_STR(b.buf, "4567");
	nd_buf_release(&b);
	CHECK_STR(b.buf, "");
}

TEST(buf_sanitizes_and_urlencodes)
{
	struct nd_buf b = ND_BUF_INIT;

	nd_buf_add_sanitized(&b, "a\033[31mb\n\x7f", 9, false);
	CHECK_STR(b.buf, "a?[31mb??");
	nd_buf_reset(&b);
	nd_buf_add_urlencoded(&b, "{\"label\":[\"a=b c\"]}");
	CHECK_STR(b.buf, "%7B%22label%22%3A%5B%22a%3Db%20c%22%5D%7D");
	nd_buf_release(&b);
}

TEST(error_wrap_keeps_code)
{
	struct nd_error err = ND_ERROR_INIT;

	nd_error_set(&err, ND_ENOTFOUND, "no such image '%s'", "x");
	nd_error_wrap(&err, "building '%s'", "shop");
	CHECK_INT(err.code, ND_ENOTFOUND);
	CHECK_STR(err.msg, "building 'shop': no such image 'x'");
	CHECK_INT(nd_error_exit_code(&err), 1);
	nd_error_set(&err, ND_EUNREACHABLE, "down");
	CHECK_INT(nd_error_exit_code(&err), 3);
	nd_error_set(&err, ND_EPROJECT, "bad");
	CHECK_INT(nd_error_exit_code(&err), 2);
	nd_error_release(&err);
	CHECK(err.msg == NULL);
}

static bool o_all, o_neg = true;
static int o_verbose;
static const char *o_file;
static long o_num;
static struct nd_strlist o_env = ND_STRLIST_INIT;
static const char *o_shell;
static const char *const shells[] = { "bash", "zsh", "fish", NULL };

static const struct nd_opt opts[] = {
	ND_OPT_BOOL_ROW('a', "all", &o_all, "all"),
	ND_OPT_BOOL_ROW(0, "color", &o_neg, "color"),
	ND_OPT_COUNT_ROW('v', "verbose", &o_verbose, "more"),
	ND_OPT_STRING_ROW('f', "file", &o_file, "PATH", ND_ARG_FILE, "file"),
	ND_OPT_INT_ROW('n', "tail", &o_num, "N", "lines"),
	ND_OPT_LIST_ROW('e', "env", &o_env, "K=V", ND_ARG_KEYVALUE, "env"),
	ND_OPT_CHOICE_ROW(0, "shell", &o_shell, "SHELL", shells, "shell"),
	ND_OPT_END_ROW,
};

TEST(opt_parses_all_forms)
{
	const struct nd_opt *const tables[] = { opts, NULL };
	const char *argv[] = { "-av", "--file=x.yml", "-n5", "web", "-e",
			       "A=1", "--env", "B=2", "--no-color", "-v",
			       "--", "-not-an-option" };
	const char **pos = NULL;
	int npos = 0;
	struct nd_error err = ND_ERROR_INIT;

	CHECK_INT(nd_opt_parse(&pos, &npos, tables, ND_ARRAY_SIZE(argv),
			       argv, 0, &err), 0);
	CHECK(o_all);
	CHECK(!o_neg);
	CHECK_INT(o_verbose, 2);
	CHECK_STR(o_file, "x.yml");
	CHECK_INT(o_num, 5);
	CHECK_INT(o_env.nr, 2);
	CHECK_STR(o_env.items[1], "B=2");
	CHECK_INT(npos, 2);
	CHECK_STR(pos[0], "web");
	CHECK_STR(pos[1], "-not-an-option");
	free(pos);
	nd_strlist_release(&o_env);
}

TEST(opt_stop_at_positional)
{
	const struct nd_opt *const tables[] = { opts, NULL };
	const char *argv[] = { "-a", "ls", "-la" };
	const char **pos = NULL;
	int npos = 0;

	CHECK_INT(nd_opt_parse(&pos, &npos, tables, 3, argv,
			       ND_PARSE_STOP_AT_POSITIONAL, NULL), 0);
	CHECK_INT(npos, 2);
	CHECK_STR(pos[1], "-la");
	free(pos);
}

TEST(opt_errors)
{
	const struct nd_opt *const tables[] = { opts, NULL };
	const char *a1[] = { "--fiel=x" };
	const char *a2[] = { "-n", "abc" };
	const char *a3[] = { "--shell", "tcsh" };
	const char *a4[] = { "--file" };
	const char *a5[] = { "--all=1" };
	const char **pos = NULL;
	int npos = 0;
	struct nd_error err = ND_ERROR_INIT;

	CHECK_INT(nd_opt_parse(&pos, &npos, tables, 1, a1, 0, &err), ND_EUSAGE);
	CHECK_STR(err.msg, "unknown option '--fiel'");
	CHECK_STR(err.hint, "did you mean '--file'?");
	CHECK_INT(nd_opt_parse(&pos, &npos, tables, 2, a2, 0, &err), ND_EUSAGE);
	CHECK_CONTAINS(err.msg, "expects a number");
	CHECK_INT(nd_opt_parse(&pos, &npos, tables, 2, a3, 0, &err), ND_EUSAGE);
	CHECK_CONTAINS(err.hint, "bash, zsh, fish");
	CHECK_INT(nd_opt_parse(&pos, &npos, tables, 1, a4, 0, &err), ND_EUSAGE);
	CHECK_CONTAINS(err.msg, "requires a value");
	CHECK_INT(nd_opt_parse(&pos, &npos, tables, 1, a5, 0, &err), ND_EUSAGE);
	CHECK_CONTAINS(err.msg, "takes no value");
	nd_error_release(&err);
}

TEST(suggest_typos)
{
	const char *cmds[] = { "build", "run", "logs", "exec", "stats", "prune" };

	CHECK_INT(nd_edit_distance("biuld", "build"), 1);
	CHECK_STR(nd_suggest("biuld", cmds, 6), "build");
	CHECK_STR(nd_suggest("lgos", cmds, 6), "logs");
	CHECK(nd_suggest("deploy", cmds, 6) == NULL);
}

TEST(durations_and_sizes)
{
	int64_t v;
	double t;

	CHECK_INT(nd_parse_duration_ms("2s", &v), 0);
	CHECK_INT(v, 2000);
	CHECK_INT(nd_parse_duration_ms("1h30m", &v), 0);
	CHECK_INT(v, 5400000);
	CHECK_INT(nd_parse_duration_ms("500ms", &v), 0);
	CHECK_INT(v, 500);
	CHECK_INT(nd_parse_duration_ms("1.5s", &v), 0);
	CHECK_INT(v, 1500);
	CHECK_INT(nd_parse_duration_ms("10", &v), -1);
	CHECK_INT(nd_parse_duration_ms("s", &v), -1);
	CHECK_INT(nd_parse_duration_ms("5x", &v), -1);
	CHECK_INT(nd_parse_size("512m", &v), 0);
	CHECK_INT(v, 512LL << 20);
	CHECK_INT(nd_parse_size("1g", &v), 0);
	CHECK_INT(v, 1LL << 30);
	CHECK_INT(nd_parse_size("64MiB", &v), 0);
	CHECK_INT(v, 64LL << 20);
	CHECK_INT(nd_parse_size("100", &v), 0);
	CHECK_INT(v, 100);
	CHECK_INT(nd_parse_size("12q", &v), -1);
	CHECK_INT(nd_parse_time("10m", 1000000.0, &t), 0);
	CHECK_INT((long long)t, 1000000 - 600);
	CHECK_INT(nd_parse_time("2026-11-23T10:00:00Z", 0, &t), 0);
	CHECK_INT((long long)t, 1795428000LL);
	CHECK_INT(nd_parse_time("2026-11-23T12:00:00.5+02:00", 0, &t), 0);
	CHECK_INT((long long)(t * 10), 17954280005LL);
	CHECK_INT(nd_parse_time("1795472533.25", 0, &t), 0);
	CHECK_INT(nd_parse_time("yesterday", 0, &t), -1);
	CHECK_INT(nd_parse_time("2026-11-23T10:00", 0, &t), 0);
	CHECK_INT((long long)t, 1795428000LL);
	CHECK_INT(nd_parse_time("2026-11-23 10:00:30", 0, &t), 0);
	CHECK_INT((long long)t, 1795428030LL);
	CHECK_INT(nd_parse_time("2026-11-23T10:00-01:00", 0, &t), 0);
	CHECK_INT((long long)t, 1795431600LL);
	CHECK_INT(nd_parse_time("2026-11-23", 0, &t), 0);
	CHECK_INT((long long)t, 1795392000LL);
	CHECK_INT(nd_parse_time("2026-11-23T25:00:00Z", 0, &t), -1);
	/* engine timestamps: exact nanoseconds, Go's zero time, garbage */
	CHECK_INT(nd_rfc3339_ns("2026-11-23T22:15:05.693243593Z"),
		  1795472105693243593LL);
	CHECK_INT(nd_rfc3339_ns("0001-01-01T00:00:00Z"), 0);
	CHECK_INT(nd_rfc3339_ns("2026-11-23T22:15:05"), -1);
	CHECK_INT(nd_rfc3339_ns(NULL), -1);
	CHECK_INT((long long)nd_parse_rfc3339("2026-11-23T23:15:05+01:00"),
		  1795472105LL);
}

TEST(envfile_dialect)
{
	const char *data =
		"\xef\xbb\xbf# comment\n"
		"PLAIN=value  # trailing comment\n"
		"export EXPORTED=yes\n"
		"  SPACED = padded value  \n"
		"DQ=\"a \\\"quoted\\\"\\nline\"\n"
		"SQ='literal $HOME \\n'\n"
		"EMPTY=\n"
		"HASH=a#b\n"
		"MULTI=\"one\ntwo\"\n"
		"PLAIN=override\n"
		"\r\n";
	struct nd_kvlist kv = ND_KVLIST_INIT;
	struct nd_error err = ND_ERROR_INIT;

	CHECK_INT(nd_envfile_parse(&kv, ".env", data, strlen(data), &err), 0);
	CHECK_STR(nd_kvlist_get(&kv, "PLAIN"), "override");
	CHECK_STR(nd_kvlist_get(&kv, "EXPORTED"), "yes");
	CHECK_STR(nd_kvlist_get(&kv, "SPACED"), "padded value");
	CHECK_STR(nd_kvlist_get(&kv, "DQ"), "a \"quoted\"\nline");
	CHECK_STR(nd_kvlist_get(&kv, "SQ"), "literal $HOME \\n");
	CHECK_STR(nd_kvlist_get(&kv, "EMPTY"), "");
	CHECK_STR(nd_kvlist_get(&kv, "HASH"), "a#b");
	CHECK_STR(nd_kvlist_get(&kv, "MULTI"), "one\ntwo");
	CHECK_INT(kv.nr, 8);
	nd_kvlist_release(&kv);
	if (err.code)
		UNIT_FAIL("unexpected error: %s", err.msg);
}

TEST(envfile_errors_have_positions)
{
	struct nd_kvlist kv = ND_KVLIST_INIT;
	struct nd_error err = ND_ERROR_INIT;
	const char *a = "OK=1\nNOEQUALS\n";
	const char *b = "A=1\n1BAD=2\n";
	const char *c = "A=\"open\nB=2\n";
	const char *d = "A=\"x\" y\n";

	CHECK_INT(nd_envfile_parse(&kv, "f", a, strlen(a), &err), ND_EPROJECT);
	CHECK_INT(err.line, 2);
	CHECK_INT(err.col, 9);
	CHECK_CONTAINS(err.msg, "expected '='");
	CHECK_INT(nd_envfile_parse(&kv, "f", b, strlen(b), &err), ND_EPROJECT);
	CHECK_INT(err.line, 2);
	CHECK_INT(err.col, 1);
	CHECK_CONTAINS(err.msg, "invalid variable name '1BAD'");
	CHECK_INT(nd_envfile_parse(&kv, "f", c, strlen(c), &err), ND_EPROJECT);
	CHECK_INT(err.line, 1);
	CHECK_INT(err.col, 3);
	CHECK_CONTAINS(err.msg, "unterminated double-quoted");
	CHECK_INT(nd_envfile_parse(&kv, "f", d, strlen(d), &err), ND_EPROJECT);
	CHECK_INT(err.col, 7);
	CHECK_STR(err.file, "f");
	nd_error_release(&err);
}

int main(void)
{
	RUN(buf_grows_and_caps);
	RUN(buf_sanitizes_and_urlencodes);
	RUN(error_wrap_keeps_code);
	RUN(opt_parses_all_forms);
	RUN(opt_stop_at_positional);
	RUN(opt_errors);
	RUN(suggest_typos);
	RUN(durations_and_sizes);
	RUN(envfile_dialect);
	RUN(envfile_errors_have_positions);
	return unit_done();
}
