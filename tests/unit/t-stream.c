/* SPDX-License-Identifier: MIT */
/* Unit tests: JSON-lines and multiplexed-frame decoding across boundaries. */
#include "tests/unit/unit.h"
#include "core/buf.h"
#include "docker/stream.h"

#include <cjson/cJSON.h>

struct collect {
	struct nd_buf out, err;
	int frames;
	int msgs;
	struct nd_buf ids;
};

static int on_frame(int stream, const char *data, size_t len, void *ud)
{
	struct collect *c = ud;

	c->frames++;
	if (stream == ND_STREAM_STDERR)
		nd_buf_add(&c->err, data, len);
	else if (stream == ND_STREAM_STDOUT)
		nd_buf_add(&c->out, data, len);
	else
		nd_buf_addf(&c->err, "[sys:%.*s]", (int)len, data);
	return 0;
}

static size_t frame(char *dst, int stream, const char *payload)
{
	size_t n = strlen(payload);

	dst[0] = (char)stream;
	dst[1] = dst[2] = dst[3] = 0;
	dst[4] = (char)(n >> 24);
	dst[5] = (char)(n >> 16);
	dst[6] = (char)(n >> 8);
	dst[7] = (char)n;
	memcpy(dst + 8, payload, n);
	return n + 8;
}

/* Feed the same bytes in every chunk size: the result must not change. */
TEST(demux_any_split)
{
	char wire[256];
	size_t n = 0, chunk;

	n += frame(wire + n, 1, "out1\n");
	n += frame(wire + n, 2, "err1\n");
	n += frame(wire + n, 1, "partial");
	n += frame(wire + n, 0, " stdin-as-out\n");
	n += frame(wire + n, 1, "");
	for (chunk = 1; chunk <= n; chunk++) {
		struct collect c = { ND_BUF_INIT, ND_BUF_INIT, 0, 0, ND_BUF_INIT };
		struct nd_demux d;
		struct nd_error err = ND_ERROR_INIT;
		size_t off;

		nd_demux_init(&d, false, on_frame, &c, &err);
		for (off = 0; off < n; off += chunk)
			CHECK_INT(nd_demux_feed(&d, wire + off,
						off + chunk > n ? n - off : chunk),
				  0);
		CHECK_INT(nd_demux_finish(&d), 0);
		CHECK_STR(c.out.buf, "out1\npartial stdin-as-out\n");
		CHECK_STR(c.err.buf, "err1\n");
		nd_buf_release(&c.out);
		nd_buf_release(&c.err);
	}
}

TEST(demux_large_frame_streams)
{
	/* a 1 MiB frame is handed out as it arrives, not buffered whole */
	size_t big = 1 << 20, i;
	char *wire = nd_malloc(big + 8);
	struct collect c = { ND_BUF_INIT, ND_BUF_INIT, 0, 0, ND_BUF_INIT };
	struct nd_demux d;

	wire[0] = 1;
	wire[1] = wire[2] = wire[3] = 0;
	wire[4] = 0;
	wire[5] = 0x10;
	wire[6] = 0;
	wire[7] = 0;
	memset(wire + 8, 'x', big);
	nd_demux_init(&d, false, on_frame, &c, NULL);
	for (i = 0; i < big + 8; i += 16384)
		nd_demux_feed(&d, wire + i, i + 16384 > big + 8 ? big + 8 - i : 16384);
	CHECK_INT(c.out.len, big);
	CHECK(c.frames >= 64);
	CHECK_INT(nd_demux_finish(&d), 0);
	nd_buf_release(&c.out);
	free(wire);
}

TEST(demux_errors)
{
	struct collect c = { ND_BUF_INIT, ND_BUF_INIT, 0, 0, ND_BUF_INIT };
	struct nd_demux d;
	struct nd_error err = ND_ERROR_INIT;
	char wire[64];
	size_t n = frame(wire, 1, "cut short");

	nd_demux_init(&d, false, on_frame, &c, &err);
	CHECK_INT(nd_demux_feed(&d, wire, n - 3), 0);
	CHECK(nd_demux_finish(&d) < 0);
	CHECK_CONTAINS(err.msg, "middle of a frame");
	nd_demux_init(&d, false, on_frame, &c, &err);
	CHECK(nd_demux_feed(&d, "hello, raw text!", 16) < 0);
	CHECK_CONTAINS(err.msg, "malformed");
	n = frame(wire, 3, "oci runtime error");
	nd_demux_init(&d, false, on_frame, &c, &err);
	CHECK_INT(nd_demux_feed(&d, wire, n), 0);
	CHECK_CONTAINS(c.err.buf, "[sys:oci runtime error]");
	/* tty: raw passthrough */
	nd_buf_reset(&c.out);
	nd_demux_init(&d, true, on_frame, &c, &err);
	CHECK_INT(nd_demux_feed(&d, "a\r\nb", 4), 0);
	CHECK_STR(c.out.buf, "a\r\nb");
	nd_buf_release(&c.out);
	nd_buf_release(&c.err);
	nd_error_release(&err);
}

static int on_msg(cJSON *m, void *ud)
{
	struct collect *c = ud;
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(m, "stream");
	const cJSON *aux = cJSON_GetObjectItemCaseSensitive(m, "aux");

	c->msgs++;
	if (cJSON_IsString(s))
		nd_buf_adds(&c->out, s->valuestring);
	if (aux)
		nd_buf_addf(&c->ids, "%s;",
			    cJSON_GetObjectItemCaseSensitive(aux, "ID")->valuestring);
	return 0;
}

TEST(jsonl_any_split)
{
	const char *wire = "{\"stream\":\"Step 1/2 : FROM x\"}\r\n"
			   "{\"stream\":\"\\n\"}\r\n"
			   "{\"aux\":{\"ID\":\"sha256:a\"}}\r\n"
			   "{\"aux\":{\"ID\":\"sha256:b\"}}\n"
			   "\r\n"
			   "{\"stream\":\"done\"}";
	size_t n = strlen(wire), chunk;

	for (chunk = 1; chunk <= n; chunk++) {
		struct collect c = { ND_BUF_INIT, ND_BUF_INIT, 0, 0, ND_BUF_INIT };
		struct nd_jsonl j;
		size_t off;

		nd_jsonl_init(&j, on_msg, &c, NULL);
		for (off = 0; off < n; off += chunk)
			CHECK_INT(nd_jsonl_feed(&j, wire + off,
						off + chunk > n ? n - off : chunk),
				  0);
		CHECK_INT(nd_jsonl_finish(&j), 0);
		CHECK_INT(c.msgs, 5);
		CHECK_STR(c.out.buf, "Step 1/2 : FROM x\ndone");
		CHECK_STR(c.ids.buf, "sha256:a;sha256:b;");
		nd_jsonl_release(&j);
		nd_buf_release(&c.out);
		nd_buf_release(&c.ids);
	}
}

TEST(jsonl_rejects_garbage)
{
	struct collect c = { ND_BUF_INIT, ND_BUF_INIT, 0, 0, ND_BUF_INIT };
	struct nd_jsonl j;
	struct nd_error err = ND_ERROR_INIT;

	nd_jsonl_init(&j, on_msg, &c, &err);
	CHECK(nd_jsonl_feed(&j, "<html>502</html>\n", 17) < 0);
	CHECK_CONTAINS(err.msg, "not JSON");
	nd_jsonl_release(&j);
	nd_error_release(&err);
}

static int on_line(const char *line, size_t len, bool nl, void *ud)
{
	struct nd_buf *b = ud;

	nd_buf_addf(b, "[%.*s%s]", (int)len, line, nl ? "" : "~");
	return 0;
}

TEST(lines_assemble)
{
	struct nd_buf b = ND_BUF_INIT;
	struct nd_lines l;

	nd_lines_init(&l, on_line, &b);
	nd_lines_feed(&l, "ab", 2);
	nd_lines_feed(&l, "c\nd", 3);
	nd_lines_feed(&l, "\n\nlast", 6);
	nd_lines_flush(&l);
	CHECK_STR(b.buf, "[abc][d][][last~]");
	nd_lines_release(&l);
	nd_buf_release(&b);
}

int main(void)
{
	RUN(demux_any_split);
	RUN(demux_large_frame_streams);
	RUN(demux_errors);
	RUN(jsonl_any_split);
	RUN(jsonl_rejects_garbage);
	RUN(lines_assemble);
	return unit_done();
}
