/* SPDX-License-Identifier: MIT */
/* Unit tests: the shared progress renderer (core/progress.h). */
#include "tests/unit/unit.h"
#include "core/progress.h"
#include "core/output.h"

#include <cjson/cJSON.h>

/* Feed JSON lines to a renderer writing into memory; return the output. */
static char *render(bool bars, int width, const char *const *lines,
		    int *failed_at, char **errmsg)
{
	struct nd_error err = ND_ERROR_INIT;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct nd_progress *p = nd_progress_new(f, bars);
	int i;

	nd_progress_set_width(p, width);
	nd_progress_set_interval(p, 0);
	*failed_at = -1;
	for (i = 0; lines[i]; i++) {
		if (nd_progress_line(p, lines[i], strlen(lines[i]), &err) < 0) {
			*failed_at = i;
			if (errmsg)
				*errmsg = nd_strdup(err.msg);
			break;
		}
	}
	nd_progress_free(p);
	fclose(f);
	nd_error_release(&err);
	return out;
}

/* The pull stream of NOTES.md §7.1 (a real one, one layer already there). */
static const char *const pull[] = {
	"{\"status\":\"Pulling from research/pull\",\"id\":\"1\"}\r\n",
	"{\"status\":\"Already exists\",\"progressDetail\":{},\"id\":\"ad4bc8857b99\"}",
	"{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"ea6ee8cd4c93\"}",
	"{\"status\":\"Downloading\",\"progressDetail\":{\"current\":69213,\"total\":6002032},\"progress\":\"[>    ]  69.21kB/6.002MB\",\"id\":\"ea6ee8cd4c93\"}",
	"{\"status\":\"Verifying Checksum\",\"progressDetail\":{},\"id\":\"ea6ee8cd4c93\"}",
	"{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"ea6ee8cd4c93\"}",
	"{\"status\":\"Extracting\",\"progressDetail\":{\"current\":65536,\"total\":6002032},\"id\":\"ea6ee8cd4c93\"}",
	"{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"ea6ee8cd4c93\"}",
	"{\"status\":\"Digest: sha256:0cfa2cd4\"}",
	"{\"status\":\"Status: Downloaded newer image for 127.0.0.1:5555/research/pull:1\"}",
	NULL,
};

TEST(plain_mode_prints_each_step_once_and_skips_byte_counts)
{
	int failed;
	char *out = render(false, 80, pull, &failed, NULL);

	CHECK_INT(failed, -1);
	CHECK_STR(out, "1: Pulling from research/pull\n"
		       "ad4bc8857b99: Already exists\n"
		       "ea6ee8cd4c93: Pulling fs layer\n"
		       "ea6ee8cd4c93: Verifying Checksum\n"
		       "ea6ee8cd4c93: Download complete\n"
		       "ea6ee8cd4c93: Pull complete\n"
		       "Digest: sha256:0cfa2cd4\n"
		       "Status: Downloaded newer image for 127.0.0.1:5555/research/pull:1\n");
	CHECK(!strchr(out, '\033'));
	free(out);
}

TEST(plain_mode_errors_aux_stream_and_control_characters)
{
	static const char *const lines[] = {
		"{\"stream\":\"Step 1/2 : FROM busybox\\n\"}",
		"{\"stream\":\"evil \\u001b[2J text\\n\"}",
		"{\"aux\":{\"ID\":\"sha256:abc\"}}",
		"not json at all",
		"{\"status\":\"Preparing\",\"progressDetail\":{},\"id\":\"74cf\"}",
		"{\"errorDetail\":{\"message\":\"denied: requested access\"},\"error\":\"denied: requested access\"}",
		"{\"status\":\"never shown\"}",
		NULL,
	};
	int failed;
	char *msg = NULL;
	char *out = render(false, 80, lines, &failed, &msg);

	CHECK_INT(failed, 5);
	CHECK_STR(msg, "denied: requested access");
	CHECK_STR(out, "Step 1/2 : FROM busybox\n"
		       "evil ?[2J text\n"
		       "not json at all\n"
		       "74cf: Preparing\n");
	free(out);
	free(msg);
}

static void on_aux(const cJSON *aux, void *ud)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(aux, "ID");

	if (cJSON_IsString(id))
		nd_str_replace(ud, id->valuestring);
}

TEST(aux_goes_to_the_callback)
{
	char *out = NULL, *id = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct nd_progress *p = nd_progress_new(f, false);
	struct nd_error err = ND_ERROR_INIT;
	static const char line[] = "{\"aux\":{\"ID\":\"sha256:abc\"}}";

	nd_progress_set_aux(p, on_aux, &id);
	CHECK_INT(nd_progress_line(p, line, strlen(line), &err), 0);
	nd_progress_free(p);
	fclose(f);
	CHECK_STR(id, "sha256:abc");
	CHECK_STR(out, "");
	free(out);
	free(id);
}

TEST(bars_mode_redraws_lines_in_place)
{
	static const char *const lines[] = {
		"{\"status\":\"Pulling from x\",\"id\":\"1\"}",
		"{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"aaa\"}",
		"{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"bbb\"}",
		"{\"status\":\"Downloading\",\"progressDetail\":{\"current\":500,\"total\":1000},\"id\":\"aaa\"}",
		"{\"status\":\"Done\"}",
		NULL,
	};
	int failed;
	char *out = render(true, 120, lines, &failed, NULL);

	CHECK_INT(failed, -1);
	/* the first id gets a line, drawn one line up */
	CHECK_CONTAINS(out, "1: Pulling from x\n\n\033[1A\033[2K\raaa: Waiting\r\033[1B");
	/* the second id: a new line; the first is then two lines up */
	CHECK_CONTAINS(out, "\n\033[1A\033[2K\rbbb: Waiting\r\033[1B");
	CHECK_CONTAINS(out, "\033[2A\033[2K\raaa: Downloading [=========================>"
			    "                         ]     500B/1kB\r\033[2B");
	/* a message without id ends the block: a plain line below it */
	CHECK(strlen(out) > 5 && !strcmp(out + strlen(out) - 5, "Done\n"));
	free(out);
}

TEST(bars_mode_never_wraps_a_line)
{
	static const char *const lines[] = {
		"{\"status\":\"Downloading a very long status text\",\"progressDetail\":{},\"id\":\"abc\"}",
		NULL,
	};
	int failed;
	char *out = render(true, 20, lines, &failed, NULL);

	CHECK_CONTAINS(out, "\033[2K\rabc: Downloading a \r");
	free(out);
}

TEST(format_follows_the_docker_cli)
{
	struct nd_buf b = ND_BUF_INIT;
	struct nd_progress_detail d = { 69213, 6002032, 0, false, NULL };

	nd_progress_format(&b, &d, 80, 0);
	CHECK_STR(b.buf, " 69.21kB/6.002MB");
	nd_buf_reset(&b);
	nd_progress_format(&b, &d, 120, 0);
	CHECK_STR(b.buf, "[>                                                  ]  69.21kB/6.002MB");
	/* current > total (push): the total is dropped, the bar is full */
	d.current = 3001856;
	d.total = 3000000;
	nd_buf_reset(&b);
	nd_progress_format(&b, &d, 120, 0);
	CHECK_STR(b.buf, "[==================================================>]  3.002MB");
	/* no total: only the size */
	d.total = 0;
	nd_buf_reset(&b);
	nd_progress_format(&b, &d, 120, 0);
	CHECK_STR(b.buf, " 3.002MB");
	/* units and hidecounts */
	d.current = 3;
	d.total = 10;
	d.units = "layers";
	nd_buf_reset(&b);
	nd_progress_format(&b, &d, 80, 0);
	CHECK_STR(b.buf, "3/10 layers");
	d.hidecounts = true;
	nd_buf_reset(&b);
	nd_progress_format(&b, &d, 80, 0);
	CHECK_STR(b.buf, "");
	/* ETA: 1000 of 10000 bytes in 10 s leaves 90 s */
	d = (struct nd_progress_detail){ 1000, 10000, 1000, false, NULL };
	nd_buf_reset(&b);
	nd_progress_format(&b, &d, 80, 1010);
	CHECK_STR(b.buf, "     1kB/10kB 1m30s");
	/* nothing at all without numbers */
	d = (struct nd_progress_detail){ 0, 0, 0, false, NULL };
	nd_buf_reset(&b);
	nd_progress_format(&b, &d, 120, 0);
	CHECK_STR(b.buf, "");
	nd_buf_release(&b);
}

TEST(human_sizes_have_four_significant_digits)
{
	char s[32];

	nd_progress_human_size(s, sizeof(s), 0);
	CHECK_STR(s, "0B");
	nd_progress_human_size(s, sizeof(s), 999);
	CHECK_STR(s, "999B");
	nd_progress_human_size(s, sizeof(s), 1000);
	CHECK_STR(s, "1kB");
	nd_progress_human_size(s, sizeof(s), 69213);
	CHECK_STR(s, "69.21kB");
	nd_progress_human_size(s, sizeof(s), 6002032);
	CHECK_STR(s, "6.002MB");
	nd_progress_human_size(s, sizeof(s), 1234567890);
	CHECK_STR(s, "1.235GB");
	nd_progress_human_size(s, sizeof(s), 5e15);
	CHECK_STR(s, "5PB");
}

TEST(go_durations)
{
	char s[32];

	nd_progress_go_duration(s, sizeof(s), 0);
	CHECK_STR(s, "0s");
	nd_progress_go_duration(s, sizeof(s), 59);
	CHECK_STR(s, "59s");
	nd_progress_go_duration(s, sizeof(s), 65);
	CHECK_STR(s, "1m5s");
	nd_progress_go_duration(s, sizeof(s), 7203);
	CHECK_STR(s, "2h0m3s");
}

int main(void)
{
	RUN(plain_mode_prints_each_step_once_and_skips_byte_counts);
	RUN(plain_mode_errors_aux_stream_and_control_characters);
	RUN(aux_goes_to_the_callback);
	RUN(bars_mode_redraws_lines_in_place);
	RUN(bars_mode_never_wraps_a_line);
	RUN(format_follows_the_docker_cli);
	RUN(human_sizes_have_four_significant_digits);
	RUN(go_durations);
	return unit_done();
}
