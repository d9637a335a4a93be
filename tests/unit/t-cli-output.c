/* SPDX-License-Identifier: MIT */
/* Unit tests: shared output conventions (core/output.h). */
#include "tests/unit/unit.h"
#include "core/buf.h"
#include "core/output.h"

static char *table_text(struct nd_table *t)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	nd_table_print(t, f);
	fclose(f);
	return out;
}

TEST(tables_align_to_content_and_count_characters_not_bytes)
{
	struct nd_table t = ND_TABLE_INIT;
	char *out;

	nd_table_columns(&t, "NAME", "STATE", "PORTS", NULL);
	nd_table_row(&t, "nd-shop-web-1", "running", "8080/tcp", NULL);
	nd_table_row(&t, "caf\xc3\xa9", "exited", "", NULL);
	out = table_text(&t);
	CHECK_STR(out, "NAME            STATE     PORTS\n"
		       "nd-shop-web-1   running   8080/tcp\n"
		       "caf\xc3\xa9            exited    \n");
	free(out);
	nd_table_release(&t);
}

TEST(table_cells_are_sanitized)
{
	struct nd_table t = ND_TABLE_INIT;
	char *out;

	nd_table_columns(&t, "A", "B", NULL);
	nd_table_row(&t, "x\033[31m", "y\nz", NULL);
	out = table_text(&t);
	CHECK_STR(out, "A        B\nx?[31m   y?z\n");
	free(out);
	nd_table_release(&t);
}

TEST(sanitizing_replaces_c0_and_c1_controls)
{
	struct nd_buf b = ND_BUF_INIT;

	/* U+009B (CSI as one character), then a valid U+00E9 */
	nd_buf_add_sanitized(&b, "a\xc2\x9b" "2Jb\xc3\xa9\r", 9, true);
	CHECK_STR(b.buf, "a?2Jb\xc3\xa9?");
	nd_buf_release(&b);
}

TEST(color_and_progress_decisions)
{
	/* unit tests never run on a terminal: no color, no bars */
	setenv("TERM", "xterm", 1);
	unsetenv("NO_COLOR");
	unsetenv("CI");
	nd_output_init(0, 0, false, false);
	CHECK(!nd_out.color_out);
	CHECK(!nd_out.progress_bars);
	CHECK_STR(nd_color(ND_C_RED), "");
	CHECK_STR(nd_color_err(ND_C_RED), "");
	nd_output_init(2, 0, false, false);
	CHECK_INT(nd_out.verbosity, ND_V_TRACE);
	nd_output_init(0, 5, true, false);
	CHECK_INT(nd_out.verbosity, ND_V_ERROR);
	CHECK(nd_out.json);
}

int main(void)
{
	RUN(tables_align_to_content_and_count_characters_not_bytes);
	RUN(table_cells_are_sanitized);
	RUN(sanitizing_replaces_c0_and_c1_controls);
	RUN(color_and_progress_decisions);
	return unit_done();
}
