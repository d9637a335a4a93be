/* SPDX-License-Identifier: MIT */
/*
 * How exec's command line reaches the command: options end at the first
 * positional, and the "--" that ends them is kept (ND_PARSE_KEEP_DASHDASH)
 * so `exec -- web` runs "web" while `exec web -- ls` names the service.
 */
#include "tests/unit/unit.h"
#include "core/opt.h"

static bool o_i, o_t;
static const char *o_u;

static const struct nd_opt opts[] = {
	ND_OPT_BOOL_ROW('i', "interactive", &o_i, "i"),
	ND_OPT_BOOL_ROW('t', "tty", &o_t, "t"),
	ND_OPT_STRING_ROW('u', "user", &o_u, "USER", ND_ARG_USER, "u"),
	ND_OPT_END_ROW,
};

static int parse(int argc, const char **argv, const char ***pos)
{
	const struct nd_opt *const tables[] = { opts, NULL };
	int n = -1;

	o_i = o_t = false;
	o_u = NULL;
	if (nd_opt_parse(pos, &n, tables, argc, argv,
			 ND_PARSE_STOP_AT_POSITIONAL | ND_PARSE_KEEP_DASHDASH,
			 NULL) < 0)
		return -1;
	return n;
}

TEST(dashdash_kept_before_command)
{
	const char *argv[] = { "-it", "--", "web", "-x" };
	const char **pos = NULL;

	CHECK_INT(parse(4, argv, &pos), 3);
	CHECK(o_i && o_t);
	CHECK_STR(pos[0], "--");
	CHECK_STR(pos[1], "web");
	CHECK_STR(pos[2], "-x");
	free(pos);
}

TEST(options_end_at_service)
{
	const char *argv[] = { "-u", "node", "web", "-t", "--", "ls" };
	const char **pos = NULL;

	CHECK_INT(parse(6, argv, &pos), 4);
	CHECK_STR(o_u, "node");
	CHECK(!o_t);
	CHECK_STR(pos[0], "web");
	CHECK_STR(pos[1], "-t");
	CHECK_STR(pos[2], "--");
	CHECK_STR(pos[3], "ls");
	free(pos);
}

TEST(without_the_flag_dashdash_is_dropped)
{
	const struct nd_opt *const tables[] = { opts, NULL };
	const char *argv[] = { "--", "ls" };
	const char **pos = NULL;
	int n = 0;

	CHECK_INT(nd_opt_parse(&pos, &n, tables, 2, argv,
			       ND_PARSE_STOP_AT_POSITIONAL, NULL), 0);
	CHECK_INT(n, 1);
	CHECK_STR(pos[0], "ls");
	free(pos);
}

int main(void)
{
	RUN(dashdash_kept_before_command);
	RUN(options_end_at_service);
	RUN(without_the_flag_dashdash_is_dropped);
	return unit_done();
}
